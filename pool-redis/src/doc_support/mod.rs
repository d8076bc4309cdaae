//! A throwaway redis-server for this crate's examples, tests and benchmarks, so that they
//! run, not only compile. Not part of the API.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod cluster;
pub use cluster::DocCluster;

/// A redis-server with its data in a temp dir, killed by its PID when dropped.
#[derive(Debug)]
pub struct DocServer {
    child: Child,
    dir: PathBuf,
    address: Address,
    durable: bool,
}

/// Where a server listens.
#[derive(Clone, Copy, Debug)]
enum Address {
    /// `redis.sock` in its dir.
    #[cfg(unix)]
    UnixSocket,
    /// A port on 127.0.0.1.
    Loopback(u16),
}

impl DocServer {
    /// Starts one on a unix socket (a loopback port where there are none), without
    /// persistence; `None` if redis-server is not installed (the example then stops early,
    /// saying it skipped), unless `CI=true`, where that is a failure.
    ///
    /// # Panics
    ///
    /// If the server does not come up within 10 s.
    pub fn start() -> Option<Self> {
        #[cfg(unix)]
        let address = Address::UnixSocket;
        #[cfg(not(unix))]
        let address = Address::Loopback(free_port());
        Self::start_at(address, false)
    }

    /// Starts one on a free loopback port; `durable` turns the append-only file on (with an
    /// fsync per write), for tests that restart it. `None` as for [`start`](Self::start).
    ///
    /// # Panics
    ///
    /// As [`start`](Self::start).
    pub fn start_on_loopback(durable: bool) -> Option<Self> {
        Self::start_at(Address::Loopback(free_port()), durable)
    }

    fn start_at(mut address: Address, durable: bool) -> Option<Self> {
        if !redis_server_installed() {
            return None;
        }
        // A free port may be handed to two servers started at once (the OS gives it out
        // again once the probe's listener is dropped): the second cannot bind it, and the
        // first would answer for both. So a server counts as started only once it answers
        // with its own process id, and one that lost its port starts again on another.
        for _ in 0..10 {
            let dir =
                std::env::temp_dir().join(format!("pool-redis-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&dir).ok()?;
            let child = spawn(&dir, address, durable);
            let mut server = Self {
                child,
                dir,
                address,
                durable,
            };
            if server.wait_until_it_answers() {
                return Some(server);
            }
            drop(server);
            if let Address::Loopback(_) = address {
                address = Address::Loopback(free_port());
            }
        }
        panic!("redis-server did not start in 10 tries");
    }

    /// Its URL.
    pub fn url(&self) -> String {
        match self.address {
            #[cfg(unix)]
            Address::UnixSocket => format!("redis+unix://{}", self.socket().display()),
            Address::Loopback(port) => format!("redis://127.0.0.1:{port}"),
        }
    }

    /// The server's process id (to pause it with SIGSTOP, as a network partition looks).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the server (as a crash would) and starts it again at the same address, on the
    /// same data.
    pub fn restart(&mut self) {
        self.stop();
        self.child = spawn(&self.dir, self.address, self.durable);
        assert!(
            self.wait_until_it_answers(),
            "redis-server could not start again at {}: another process took its address",
            self.url()
        );
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    #[cfg(unix)]
    fn socket(&self) -> PathBuf {
        self.dir.join("redis.sock")
    }

    /// Until this server answers at its address (a socket's file, or a port, exists a
    /// moment before the server takes commands): true, or false if it exited first (its
    /// port was taken).
    fn wait_until_it_answers(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        let pid = self.child.id();
        while !self.answers_as(pid) {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return false;
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer at {} within 10 s",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        true
    }

    /// Whether the server at its address answers, and is process `pid`.
    fn answers_as(&self, pid: u32) -> bool {
        let timeout = Some(Duration::from_millis(500));
        match self.address {
            #[cfg(unix)]
            Address::UnixSocket => UnixStream::connect(self.socket()).is_ok_and(|stream| {
                stream.set_read_timeout(timeout).is_ok() && is_process(stream, pid)
            }),
            Address::Loopback(port) => {
                TcpStream::connect(("127.0.0.1", port)).is_ok_and(|stream| {
                    stream.set_read_timeout(timeout).is_ok() && is_process(stream, pid)
                })
            }
        }
    }
}

impl Drop for DocServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn spawn(dir: &std::path::Path, address: Address, durable: bool) -> Child {
    let mut command = Command::new("redis-server");
    command.args(["--save", ""]).arg("--dir").arg(dir);
    match address {
        #[cfg(unix)]
        Address::UnixSocket => command
            .args(["--port", "0", "--unixsocket"])
            .arg(dir.join("redis.sock")),
        Address::Loopback(port) => {
            command.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        }
    };
    command
        .args(["--appendonly", if durable { "yes" } else { "no" }])
        .args(["--appendfsync", "always"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server starts")
}

/// Whether redis-server can be run. If not, says that the example or test skipped (straight
/// to stderr, past the test harness's capture: a skipped test passes, so its output would
/// otherwise never be seen).
///
/// # Panics
///
/// If it is missing under `CI=true`, where a skip would hide a failure.
fn redis_server_installed() -> bool {
    if Command::new("redis-server")
        .arg("--version")
        .output()
        .is_ok()
    {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "redis-server is missing: .ci/run installs it (apt-get install -y redis-server)"
    );
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: redis-server is not installed (apt-get install -y redis-server)"
    );
    false
}

/// A loopback port nobody listens on now (the OS picks it; the listener is dropped at once).
///
/// # Panics
///
/// If the OS has no port to give.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// Whether the server at the other end of `stream` answers, as process `pid` (`INFO
/// server` says which it is; the stream has a read timeout, so a server that takes
/// connections but not commands yet is a no).
fn is_process(mut stream: impl Read + Write, pid: u32) -> bool {
    if stream.write_all(b"INFO server\r\n").is_err() {
        return false;
    }
    let mut reply = Vec::new();
    let mut chunk = [0_u8; 4096];
    while reply.len() < 64 * 1024 {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return false,
            Ok(read) => reply.extend_from_slice(&chunk[..read]),
        }
        let text = String::from_utf8_lossy(&reply);
        // The whole line, once it has come.
        let line = text
            .split_once("process_id:")
            .and_then(|(_, rest)| rest.split_once("\r\n"));
        if let Some((id, _)) = line {
            return id == pid.to_string();
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::{Address, DocServer};

    /// A server asked for a port another server holds starts on another port, instead of
    /// passing the other one off as itself.
    #[test]
    fn a_taken_port_is_not_shared() {
        let Some(first) = DocServer::start_on_loopback(false) else {
            return;
        };
        let Address::Loopback(port) = first.address else {
            unreachable!("a loopback server");
        };
        let second = DocServer::start_at(Address::Loopback(port), false).unwrap();
        assert_ne!(first.url(), second.url());
        assert!(second.answers_as(second.pid()));
        assert!(!second.answers_as(first.pid()));
    }
}
