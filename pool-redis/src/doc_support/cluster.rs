//! A throwaway Redis Cluster on loopback: masters with a replica each, every node a
//! redis-server killed by its PID when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{free_port, is_process, redis_server_installed};

/// How long a node may go unanswered before the others count it as failed and promote its
/// replica: short, so that a test's failover takes seconds.
const NODE_TIMEOUT_MS: u32 = 2_000;

/// How long the cluster may take to form, or to settle after a failover.
const SETTLE_WITHIN: Duration = Duration::from_secs(30);

/// A cluster of `masters` masters and one replica each.
#[derive(Debug)]
pub struct DocCluster {
    nodes: Vec<Node>,
}

#[derive(Debug)]
struct Node {
    child: Child,
    dir: PathBuf,
    port: u16,
}

/// What `CLUSTER NODES` says of one node.
#[derive(Clone, Debug)]
struct NodeView {
    id: String,
    port: u16,
    master_of: Option<String>,
    slots: Vec<(u16, u16)>,
    failed: bool,
}

impl DocCluster {
    /// Starts `masters` masters with a replica each and forms the cluster; `None` if
    /// redis-server is not installed (as [`DocServer::start`](super::DocServer::start)).
    ///
    /// # Panics
    ///
    /// If the nodes do not start or the cluster does not form within 30 s.
    pub fn start(masters: usize) -> Option<Self> {
        if !redis_server_installed() {
            return None;
        }
        let nodes: Vec<Node> = (0..masters * 2).map(|_| Node::start()).collect();
        let addresses = nodes.iter().map(|node| format!("127.0.0.1:{}", node.port));
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(addresses)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .status()
            .expect("redis-cli runs (it comes with redis-server)");
        assert!(created.success(), "redis-cli --cluster create failed");
        let cluster = Self { nodes };
        cluster.wait_until_settled();
        Some(cluster)
    }

    /// A `redis+cluster://` URL naming every node.
    pub fn url(&self) -> String {
        let nodes: Vec<String> = self
            .nodes
            .iter()
            .map(|node| format!("127.0.0.1:{}", node.port))
            .collect();
        format!("redis+cluster://{}", nodes.join(","))
    }

    /// A plain URL of node `node` (an index), for commands to that node alone.
    pub fn node_url(&self, node: usize) -> String {
        format!("redis://127.0.0.1:{}", self.nodes[node].port)
    }

    /// The process id of node `node`, to freeze it (SIGSTOP) or kill it.
    pub fn pid(&self, node: usize) -> u32 {
        self.nodes[node].child.id()
    }

    /// The node serving `key` now.
    pub fn master_of(&self, key: &str) -> usize {
        let slot: u16 = self.ask_any(redis::cmd("CLUSTER").arg("KEYSLOT").arg(key));
        let views = self.views();
        let master = views
            .iter()
            .find(|view| !view.failed && view.slots.iter().any(|(a, b)| (*a..=*b).contains(&slot)))
            .expect("every slot is served");
        self.index_of(master.port)
    }

    /// A replica of master `master`, once the cluster lists one (after a failover, the old
    /// master rejoins as a replica, and the news reaches every node by gossip).
    pub fn replica_of(&self, master: usize) -> usize {
        let port = self.nodes[master].port;
        let mut found = None;
        self.wait_for("the master to have a replica", || {
            let views = self.views();
            let id = views
                .iter()
                .find(|view| view.port == port)
                .map(|view| &view.id);
            found = views
                .iter()
                .find(|view| !view.failed && id.is_some() && view.master_of.as_ref() == id)
                .map(|view| view.port);
            found.is_some()
        });
        self.index_of(found.expect("waited for"))
    }

    /// The masters serving slots now, as node indexes.
    pub fn masters(&self) -> Vec<usize> {
        self.views()
            .iter()
            .filter(|view| !view.failed && !view.slots.is_empty())
            .map(|view| self.index_of(view.port))
            .collect()
    }

    /// Names (`{prefix}-N`) of `count` queues living on `count` different masters.
    ///
    /// # Panics
    ///
    /// If the cluster has fewer masters.
    pub fn names_on_different_masters(&self, prefix: &str, count: usize) -> Vec<String> {
        let mut names: Vec<(String, usize)> = Vec::new();
        for n in 0.. {
            let name = format!("{prefix}-{n}");
            let master = self.master_of(&format!("{{{name}}}"));
            if names.iter().all(|(_, taken)| *taken != master) {
                names.push((name, master));
            }
            if names.len() == count {
                break;
            }
            assert!(n < 10_000, "fewer than {count} masters");
        }
        names.into_iter().map(|(name, _)| name).collect()
    }

    /// Promotes `replica` by a manual failover (`CLUSTER FAILOVER`: its master stops taking
    /// writes until the replica has them all, so nothing acknowledged is lost), or, with
    /// `force`, without its master's agreement (`CLUSTER FAILOVER FORCE`). Returns once the
    /// cluster agrees.
    pub fn fail_over(&self, replica: usize, force: bool) {
        let mut command = redis::cmd("CLUSTER");
        command.arg("FAILOVER");
        if force {
            command.arg("FORCE");
        }
        let _: () = self.ask(replica, &command);
        let port = self.nodes[replica].port;
        self.wait_for("the replica to be promoted", || {
            self.views()
                .iter()
                .any(|view| view.port == port && view.master_of.is_none() && !view.slots.is_empty())
        });
        self.wait_until_settled();
    }

    /// Freezes master `master` (SIGSTOP, as a hung or cut-off machine looks) until the
    /// cluster has promoted a replica of it on its own, then thaws it: it rejoins as a
    /// replica. Writes it acknowledged but had not yet sent to its replica are lost, as with
    /// any asynchronous replication. Returns the promoted node once the cluster agrees.
    pub fn freeze_until_replaced(&self, master: usize) -> usize {
        let replica = self.replica_of(master);
        let port = self.nodes[replica].port;
        signal("-STOP", self.pid(master));
        let promoted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.wait_for("a replica to take over from a frozen master", || {
                self.views().iter().any(|view| {
                    view.port == port && view.master_of.is_none() && !view.slots.is_empty()
                })
            });
        }));
        signal("-CONT", self.pid(master));
        if let Err(panic) = promoted {
            std::panic::resume_unwind(panic);
        }
        self.wait_until_settled();
        replica
    }

    /// Until every live node says the cluster is ok and agrees on who serves each slot.
    pub fn wait_until_settled(&self) {
        self.wait_for("the cluster to settle", || {
            self.nodes.iter().enumerate().all(|(index, _)| {
                self.try_ask::<String>(index, redis::cmd("CLUSTER").arg("INFO"))
                    .is_some_and(|info| info.contains("cluster_state:ok"))
            }) && self.replicas_in_sync()
        });
    }

    fn replicas_in_sync(&self) -> bool {
        self.views()
            .iter()
            .filter(|view| view.master_of.is_some())
            .all(|view| {
                self.try_ask::<String>(
                    self.index_of(view.port),
                    redis::cmd("INFO").arg("replication"),
                )
                .is_some_and(|info| info.contains("master_link_status:up"))
            })
    }

    fn wait_for(&self, what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + SETTLE_WITHIN;
        while !done() {
            assert!(
                Instant::now() < deadline,
                "waited {SETTLE_WITHIN:?} for {what}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn views(&self) -> Vec<NodeView> {
        let nodes: String = self.ask_any(redis::cmd("CLUSTER").arg("NODES"));
        nodes.lines().filter_map(NodeView::parse).collect()
    }

    fn index_of(&self, port: u16) -> usize {
        self.nodes
            .iter()
            .position(|node| node.port == port)
            .expect("a node of this cluster")
    }

    /// The first answer from a node that answers (a frozen or failed one does not).
    fn ask_any<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> T {
        (0..self.nodes.len())
            .find_map(|node| self.try_ask(node, command))
            .expect("a node answers")
    }

    fn ask<T: redis::FromRedisValue>(&self, node: usize, command: &redis::Cmd) -> T {
        self.try_ask(node, command).expect("the node answers")
    }

    fn try_ask<T: redis::FromRedisValue>(&self, node: usize, command: &redis::Cmd) -> Option<T> {
        let client = redis::Client::open(self.node_url(node)).ok()?;
        let mut connection = client
            .get_connection_with_timeout(Duration::from_millis(500))
            .ok()?;
        connection
            .set_read_timeout(Some(Duration::from_millis(500)))
            .ok()?;
        command.query(&mut connection).ok()
    }
}

fn signal(which: &str, pid: u32) {
    let status = Command::new("kill")
        .args([which, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill {which} {pid} failed");
}

impl NodeView {
    /// A line of `CLUSTER NODES`: `id host:port@bus flags master ping pong epoch link
    /// slots…`.
    fn parse(line: &str) -> Option<Self> {
        let fields: Vec<&str> = line.split(' ').collect();
        let port = fields
            .get(1)?
            .split('@')
            .next()?
            .rsplit_once(':')?
            .1
            .parse()
            .ok()?;
        let flags = fields.get(2)?;
        let slots = fields
            .iter()
            .skip(8)
            .filter(|field| !field.starts_with('['))
            .filter_map(|range| match range.split_once('-') {
                Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
                None => range.parse().ok().map(|slot| (slot, slot)),
            })
            .collect();
        Some(Self {
            id: (*fields.first()?).to_owned(),
            port,
            master_of: Some((*fields.get(3)?).to_owned()).filter(|master| master != "-"),
            slots,
            failed: flags.split(',').any(|flag| flag == "fail"),
        })
    }
}

impl Node {
    fn start() -> Self {
        for _ in 0..10 {
            let dir = std::env::temp_dir().join(format!(
                "pool-redis-cluster-{}",
                uuid::Uuid::new_v4().simple()
            ));
            std::fs::create_dir_all(&dir).expect("a temp dir");
            let port = free_port();
            let mut node = Self {
                child: spawn(&dir, port),
                dir,
                port,
            };
            if node.wait_until_it_answers() {
                return node;
            }
        }
        panic!("a cluster node did not start in 10 tries");
    }

    /// As `DocServer`'s: false if it exited first (its port was taken).
    fn wait_until_it_answers(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        let pid = self.child.id();
        loop {
            let answers =
                std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok_and(|stream| {
                    stream
                        .set_read_timeout(Some(Duration::from_millis(500)))
                        .is_ok()
                        && is_process(stream, pid)
                });
            if answers {
                return true;
            }
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return false;
            }
            assert!(
                Instant::now() < deadline,
                "a cluster node did not answer within 10 s"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn spawn(dir: &std::path::Path, port: u16) -> Child {
    Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .arg("--dir")
        .arg(dir)
        .args(["--save", "", "--appendonly", "no"])
        .args([
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
        ])
        .args(["--cluster-node-timeout", &NODE_TIMEOUT_MS.to_string()])
        // A replica may always take over, however long it was cut off: a test's freeze is
        // longer than the node timeout by design.
        .args(["--cluster-replica-validity-factor", "0"])
        // Replicas sync over the socket at once, not after the default 5 s wait.
        .args([
            "--repl-diskless-sync",
            "yes",
            "--repl-diskless-sync-delay",
            "0",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server starts")
}
