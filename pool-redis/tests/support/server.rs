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

    /// Kills the server (as a crash would) and starts it again on the same port and data.
    pub fn restart(&mut self) {
        self.0.restart();
    }
}
