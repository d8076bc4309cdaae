//! A throwaway redis-server per test, on a free loopback port, killed by its PID when dropped:
//! the crate's own (`doc_support`), which the examples and benchmarks use too.

use pool_redis::doc_support::DocServer;

/// A running redis-server.
pub struct RedisServer(DocServer);

impl RedisServer {
    /// Starts a server without persistence; `None` (the test is skipped, and says so) if
    /// redis-server is not installed, unless `CI=true`, where that is a failure.
    pub fn start() -> Option<Self> {
        DocServer::start_on_loopback(false).map(Self)
    }

    /// Starts a server with the append-only file on, for tests that restart it.
    pub fn start_durable() -> Option<Self> {
        DocServer::start_on_loopback(true).map(Self)
    }

    /// The server's URL.
    pub fn url(&self) -> String {
        self.0.url()
    }

    /// Freezes the server (SIGSTOP): connections stay open, nothing answers, as in a
    /// network partition. Thawed when the returned guard drops.
    pub fn freeze(&self) -> Frozen {
        signal("-STOP", self.0.pid());
        Frozen(self.0.pid())
    }

    /// Kills the server (as a crash would) and starts it again on the same port and data.
    pub fn restart(&mut self) {
        self.0.restart();
    }
}

/// A frozen server, thawed (SIGCONT) on drop, so that a failed assertion leaves no
/// server stopped for ever.
pub struct Frozen(u32);

impl Drop for Frozen {
    fn drop(&mut self) {
        signal("-CONT", self.0);
    }
}

fn signal(which: &str, pid: u32) {
    let status = std::process::Command::new("kill")
        .args([which, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill {which} {pid} failed");
}
