//! Every key of a pattern and a type, by `SCAN`, which walks the keyspace a page at a time
//! without holding Redis: on one server, or on each master of a cluster in turn (a cluster
//! has no keyspace-wide cursor).

use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{Cmd, RedisResult, Value};

use crate::store::connection::Connection;

/// The keys matching `pattern` whose type is `kind`, perhaps some twice.
pub(crate) async fn keys(
    connection: &Connection,
    pattern: &str,
    kind: &str,
) -> RedisResult<Vec<Vec<u8>>> {
    match connection {
        Connection::Single(_) => scan(connection.clone(), None, pattern, kind).await,
        Connection::Cluster(cluster) => {
            let mut keys = Vec::new();
            for master in masters(cluster.clone()).await? {
                keys.extend(scan(connection.clone(), Some(master), pattern, kind).await?);
            }
            Ok(keys)
        }
    }
}

/// A node by its address, as the cluster names it.
struct Node {
    host: String,
    port: u16,
}

async fn scan(
    mut connection: Connection,
    node: Option<Node>,
    pattern: &str,
    kind: &str,
) -> RedisResult<Vec<Vec<u8>>> {
    let mut keys = Vec::new();
    let mut cursor = 0_u64;
    loop {
        let mut page = redis::cmd("SCAN");
        page.arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(1000)
            .arg("TYPE")
            .arg(kind);
        let (next, found): (u64, Vec<Vec<u8>>) = match (&mut connection, &node) {
            (Connection::Cluster(cluster), Some(node)) => {
                redis::from_redis_value(on_node(cluster, page, node).await?)?
            }
            _ => page.query_async(&mut connection).await?,
        };
        keys.extend(found);
        if next == 0 {
            return Ok(keys);
        }
        cursor = next;
    }
}

async fn on_node(cluster: &mut ClusterConnection, command: Cmd, node: &Node) -> RedisResult<Value> {
    let route = SingleNodeRoutingInfo::ByAddress {
        host: node.host.clone(),
        port: node.port,
    };
    cluster
        .route_command(command, RoutingInfo::SingleNode(route))
        .await
}

/// The masters the cluster knows of and does not count as failed.
async fn masters(mut cluster: ClusterConnection) -> RedisResult<Vec<Node>> {
    let nodes: String = redis::cmd("CLUSTER")
        .arg("NODES")
        .query_async(&mut cluster)
        .await?;
    Ok(nodes.lines().filter_map(master).collect())
}

/// A line of `CLUSTER NODES` (`id host:port@bus[,hostname] flags …`) if it is a live master.
fn master(line: &str) -> Option<Node> {
    let mut fields = line.split(' ');
    let address = fields.nth(1)?;
    let flags = fields.next()?;
    let is_live_master = flags.split(',').any(|flag| flag == "master")
        && !flags
            .split(',')
            .any(|flag| matches!(flag, "fail" | "fail?" | "noaddr" | "handshake"));
    if !is_live_master {
        return None;
    }
    let (host, port) = address.split(['@', ',']).next()?.rsplit_once(':')?;
    Some(Node {
        host: host.to_owned(),
        port: port.parse().ok()?,
    })
    .filter(|node| !node.host.is_empty())
}

#[cfg(test)]
mod tests {
    use super::master;

    #[test]
    fn live_masters_are_read_from_cluster_nodes() {
        let node =
            master("07c3 127.0.0.1:30001@40001 myself,master - 0 0 1 connected 0-5460").unwrap();
        assert_eq!((node.host.as_str(), node.port), ("127.0.0.1", 30001));
        let named = master("07c3 10.0.0.5:6379@16379,redis-0 master - 0 0 1 connected").unwrap();
        assert_eq!((named.host.as_str(), named.port), ("10.0.0.5", 6379));
        assert!(master("e7d1 127.0.0.1:30004@40004 slave 07c3 0 0 1 connected").is_none());
        assert!(master("e7d1 127.0.0.1:30002@40002 master,fail - 0 0 2 disconnected").is_none());
    }
}
