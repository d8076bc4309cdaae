//! A throwaway redis-server for this crate's examples, so that they run, not only compile.
//! Not part of the API.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A redis-server on a unix socket in a temp dir, killed when dropped.
#[derive(Debug)]
pub struct DocServer {
    child: Child,
    dir: PathBuf,
}

impl DocServer {
    /// Starts one; `None` if redis-server is not installed (the example then stops early),
    /// unless `CI=true`, where that is a failure.
    ///
    /// # Panics
    ///
    /// If the server does not come up within 10 s.
    pub fn start() -> Option<Self> {
        if Command::new("redis-server")
            .arg("--version")
            .output()
            .is_err()
        {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "redis-server is missing"
            );
            return None;
        }
        let dir =
            std::env::temp_dir().join(format!("pool-redis-doc-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).ok()?;
        let child = Command::new("redis-server")
            .args(["--port", "0", "--save", "", "--appendonly", "no"])
            .arg("--unixsocket")
            .arg(dir.join("redis.sock"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let server = Self { child, dir };
        // Until it answers: the socket's file exists a moment before it accepts connections.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !answers(&server.dir.join("redis.sock")) {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
        Some(server)
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.dir.join("redis.sock").display())
    }
}

/// Whether a server on `socket` answers `PING`.
fn answers(socket: &std::path::Path) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::os::unix::net::UnixStream::connect(socket) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut reply = [0_u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

impl Drop for DocServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
