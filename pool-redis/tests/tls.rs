//! pool-redis over TLS (`rediss://`), as managed Redis services require: a redis-server with
//! TLS on (Debian's is built with it), a certificate from a throwaway CA made with `openssl`,
//! and producers, consumers, status and dead letters on every runtime. The server is checked:
//! without the CA among the trusted roots, connecting fails.
//!
//! The cases run in a child process (this binary again) whose `SSL_CERT_FILE` names the CA:
//! the roots are read from there, and setting it here would change every test's environment.
#![cfg(feature = "tls")]

mod support;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_lite::future;
use pool_core::testkit::Harness;
use pool_redis::doc_support::free_port;
use pool_redis::{DeadLetters, Producer, Queue, QueueError, queue_stats};
use support::runtimes::{AsyncStd, Smol, Tokio};
use support::{Probe, eventually, probe_consumer, ran, runs};

const CHILD_URL: &str = "POOL_REDIS_TLS_URL";

/// Jobs go through a TLS connection on every runtime; a server not among the trusted roots
/// is refused.
#[test]
fn jobs_travel_over_tls() {
    let Some(server) = TlsServer::start() else {
        return;
    };
    let url = format!("rediss://localhost:{}", server.port);
    let child = |trusted: Option<&Path>| {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args(["tls_cases", "--exact", "--nocapture"])
            .env(CHILD_URL, &url)
            .env(
                "POOL_REDIS_TLS_TRUSTED",
                if trusted.is_some() { "yes" } else { "no" },
            );
        match trusted {
            Some(ca) => command.env("SSL_CERT_FILE", ca),
            // An empty set of roots: the server's certificate cannot be trusted.
            None => command.env("SSL_CERT_FILE", server.dir.join("none.pem")),
        };
        command.output().unwrap()
    };
    for (trusted, output) in [
        (true, child(Some(&server.dir.join("ca.pem")))),
        (false, child(None)),
    ] {
        let said = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "trusted {trusted}: {output:?}");
        // The child ran its cases (a filter that matched nothing would pass too).
        assert!(said.contains("test tls_cases ... ok"), "{said}");
    }
}

/// The child's cases: what `jobs_travel_over_tls` runs with the CA trusted, or not.
#[test]
fn tls_cases() {
    let Ok(url) = std::env::var(CHILD_URL) else {
        return;
    };
    let trusted = std::env::var("POOL_REDIS_TLS_TRUSTED").as_deref() == Ok("yes");
    if trusted {
        Tokio::block_on(round_trip::<Tokio>(&url));
        AsyncStd::block_on(round_trip::<AsyncStd>(&url));
        Smol::block_on(round_trip::<Smol>(&url));
    } else {
        Tokio::block_on(refused(&url));
        Smol::block_on(refused(&url));
    }
}

async fn round_trip<H: Harness>(url: &str) {
    let queue = Queue::new(format!("tls-{}", std::any::type_name::<H>()));
    let test = queue.name().to_owned();
    let producer = Producer::connect(url, queue.clone()).await.unwrap();
    let jobs: Vec<Probe> = (0..20).map(|_| Probe::new(&test)).collect();
    producer.enqueue_many(&jobs).await.unwrap();
    let consumer = probe_consumer::<H>(url, &queue).connect().await.unwrap();
    let body = async {
        eventually("the jobs to run over TLS", || async {
            let stats = queue_stats(url, &queue).await.unwrap();
            stats.length == 0 && stats.pending == 0
        })
        .await;
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!(stats.acknowledged, 20);
    assert_eq!(runs(&test).len(), 20);
    let dead = DeadLetters::connect(url, queue).await.unwrap();
    assert!(dead.list(10).await.unwrap().is_empty());
}

async fn refused(url: &str) {
    let refused = Producer::connect(url, Queue::new("untrusted"))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, QueueError::Unreachable { .. }),
        "{refused:?}"
    );
}

/// A redis-server with TLS only, on a free loopback port, killed by its PID when dropped.
struct TlsServer {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl TlsServer {
    /// `None` (skipped, and said so) where redis-server or openssl is missing, unless
    /// `CI=true`, where that is a failure.
    fn start() -> Option<Self> {
        let present = |tool: &str, arg: &str| Command::new(tool).arg(arg).output().is_ok();
        if !present("redis-server", "--version") || !present("openssl", "version") {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "redis-server or openssl is missing: .ci/run installs them"
            );
            eprintln!("SKIPPED: redis-server or openssl is not installed");
            return None;
        }
        let dir =
            std::env::temp_dir().join(format!("pool-redis-tls-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        make_certificates(&dir);
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", "0", "--bind", "127.0.0.1", "--save", ""])
            .args(["--tls-port", &port.to_string(), "--tls-auth-clients", "no"])
            .arg("--tls-cert-file")
            .arg(dir.join("server.pem"))
            .arg("--tls-key-file")
            .arg(dir.join("server.key"))
            .arg("--tls-ca-cert-file")
            .arg(dir.join("ca.pem"))
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Self { child, dir, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server with TLS did not listen"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        Some(server)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A throwaway CA, and a server certificate it signed for localhost and 127.0.0.1; and an
/// empty bundle, for a client that trusts nothing.
fn make_certificates(dir: &Path) {
    let openssl = |args: &[&str]| {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(output.status.success(), "openssl {args:?}: {output:?}");
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        "/CN=pool-redis test CA",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
    std::fs::write(dir.join("none.pem"), "").unwrap();
}
