//! The redis-server measured, and what it says about itself (`INFO`): its CPU time and the
//! commands it ran.

use std::collections::HashMap;

use pool_redis::doc_support::DocServer;

/// A running redis-server: pool-redis's throwaway one (the examples' and tests'), on a free
/// loopback port, without persistence (the same for every system measured; `appendonly yes`
/// would add the same disk write to each).
pub(crate) struct Server {
    server: DocServer,
}

impl Server {
    pub(crate) fn start() -> Self {
        let server = DocServer::start_on_loopback(false)
            .expect("redis-server is installed (apt-get install -y redis-server)");
        crate::pinning::redis(server.pid());
        Self { server }
    }

    /// Its URL.
    pub(crate) fn url(&self) -> String {
        self.server.url()
    }

    /// A blocking connection, for the runner's own few commands.
    pub(crate) fn connection(&self) -> redis::RedisResult<redis::Connection> {
        redis::Client::open(self.url())?.get_connection()
    }

    /// Empties it and zeroes its command statistics, between measurements.
    pub(crate) fn reset(&self) {
        let mut connection = self.connection().expect("the server answers");
        redis::cmd("FLUSHALL")
            .exec(&mut connection)
            .expect("FLUSHALL");
        redis::cmd("CONFIG")
            .arg("RESETSTAT")
            .exec(&mut connection)
            .expect("CONFIG RESETSTAT");
    }

    /// What it reports of itself now.
    pub(crate) fn info(&self) -> Info {
        let mut connection = self.connection().expect("the server answers");
        let text: String = redis::cmd("INFO")
            .arg("everything")
            .query(&mut connection)
            .expect("INFO");
        Info::parse(&text)
    }
}

/// The server's CPU time and per-command counts, as `INFO` gives them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Info {
    /// Seconds of CPU the server has used (user and system).
    pub(crate) cpu_seconds: f64,
    /// Per command: calls and microseconds. Commands run inside a script count here too, and
    /// their time inside the script's.
    pub(crate) commands: HashMap<String, (u64, u64)>,
    /// Bytes the server holds for data.
    pub(crate) used_memory: u64,
}

impl Info {
    pub(crate) fn parse(text: &str) -> Self {
        let mut info = Self::default();
        for line in text.lines() {
            let Some((name, value)) = line.trim().split_once(':') else {
                continue;
            };
            match name {
                "used_cpu_sys" | "used_cpu_user" => {
                    info.cpu_seconds += value.parse::<f64>().unwrap_or(0.0);
                }
                "used_memory" => info.used_memory = value.parse().unwrap_or(0),
                _ => {
                    if let Some(command) = name.strip_prefix("cmdstat_") {
                        info.commands
                            .insert(command.to_owned(), calls_and_usec(value));
                    }
                }
            }
        }
        info
    }
}

/// `calls=3,usec=10,usec_per_call=...` → (3, 10).
fn calls_and_usec(value: &str) -> (u64, u64) {
    let field = |name: &str| {
        value
            .split(',')
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
            .and_then(|number| number.parse().ok())
            .unwrap_or(0)
    };
    (field("calls"), field("usec"))
}
