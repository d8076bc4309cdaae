//! A throwaway redis-server on a free loopback port, killed by its PID when dropped, and what
//! it says about itself (`INFO`): its CPU time and the commands it ran.

use std::collections::HashMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running redis-server.
pub(crate) struct Server {
    child: Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl Server {
    /// Starts one without persistence (the same for every system measured; `appendonly yes`
    /// would add the same disk write to each).
    pub(crate) fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .expect("a free port");
        let dir = std::env::temp_dir().join(format!("bench-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (apt-get install -y redis-server)");
        let server = Self { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while server.connection().is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// Its URL.
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
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

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
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
    fn parse(text: &str) -> Self {
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
