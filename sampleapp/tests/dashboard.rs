//! The dashboard in a real browser: headless Chromium driven through chromedriver
//! (WebDriver), against a real Redis with a real consumer. The token is enforced, the
//! overview shows the queue's numbers and updates them live, a job payload and error
//! holding `<script>` render as text, a dead letter re-queued from the page runs, "delete
//! all" empties the dead letters, forged and cross-site actions are refused, a read-only
//! dashboard offers and allows no action, and a Redis URL's password never reaches a page.
//! Screenshots of each page are saved under `target/tmp/dashboard/`.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use pool_redis::doc_support::DocServer;
use pool_redis::{
    BoxError, Consumer, Inspector, JobState, Producer, Queue, Registry, RemoteContext, RemoteJob,
    RemoteOutcome, RetryPolicy,
};
use serde::{Deserialize, Serialize};
use support::{App, get, request};

/// The token the dashboard is started with.
const TOKEN: &str = "correct-horse-battery-staple";

/// What a hostile payload holds: scripts that would set `window.pwned` if they ever ran.
const HOSTILE: &str = r#"<script>window.pwned=1</script><img src=x onerror="window.pwned=1">"#;

/// Until the test opens it, failing jobs fail.
static OPEN: AtomicBool = AtomicBool::new(false);

/// A job that fails (saying its note) while the gate is shut, if asked to.
#[derive(Serialize, Deserialize)]
struct Flaky {
    note: String,
    fails: bool,
}

impl RemoteJob for Flaky {
    const KIND: &'static str = "flaky";
    type Output = String;

    async fn run(self, _ctx: RemoteContext) -> Result<String, BoxError> {
        if self.fails && !OPEN.load(Ordering::SeqCst) {
            return Err(format!("failed: {}", self.note).into());
        }
        Ok(self.note)
    }
}

/// A kind no consumer registered, with a hostile name: dead-lettered unrun.
#[derive(Serialize, Deserialize)]
struct Stranger {
    note: String,
}

impl RemoteJob for Stranger {
    const KIND: &'static str = "<b>stranger</b>";
    type Output = ();

    async fn run(self, _ctx: RemoteContext) -> Result<(), BoxError> {
        Ok(())
    }
}

/// chromedriver on a free loopback port, killed when dropped; `None` where Chromium or its
/// driver is missing (a failure under `CI=true`, where `.ci/run` installs both).
struct Driver {
    child: std::process::Child,
    url: String,
}

impl Driver {
    fn start() -> Option<Self> {
        let port = pool_redis::doc_support::free_port();
        let child = std::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        let missing = std::process::Command::new("chromium")
            .arg("--version")
            .output()
            .is_err();
        match child {
            Ok(child) if !missing => Some(Self {
                child,
                url: format!("http://127.0.0.1:{port}"),
            }),
            _ => {
                assert!(
                    std::env::var("CI").is_err(),
                    "chromium and chromedriver are needed (apt install chromium chromium-driver)"
                );
                eprintln!(
                    "skipped: no chromium or chromedriver (apt install chromium chromium-driver)"
                );
                None
            }
        }
    }

    /// A headless browser session, once the driver answers.
    async fn browser(&self) -> Client {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,900"],
            }),
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&self.url)
                .await
            {
                Ok(client) => return client,
                Err(error) => {
                    assert!(Instant::now() < deadline, "no browser in 60 s: {error}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits (up to a minute) until `condition` holds, saying what it waited for if it never does.
async fn eventually<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    while !condition().await {
        assert!(Instant::now() < deadline, "waited 60 s for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Saves what the browser shows as `name`.png under `target/tmp/dashboard/`.
async fn screenshot(browser: &Client, name: &str) {
    let directory = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
    std::fs::create_dir_all(&directory).unwrap();
    let png = browser.screenshot().await.unwrap();
    std::fs::write(directory.join(format!("{name}.png")), png).unwrap();
}

/// The text of the first element `css` finds, once there is one (a click's navigation
/// ends after the click returns).
async fn text(browser: &Client, css: &str) -> String {
    browser
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("no {css}: {error}"))
        .text()
        .await
        .unwrap()
}

/// Clicks the element `locator` finds.
async fn click(browser: &Client, locator: Locator<'_>) {
    browser
        .find(locator)
        .await
        .unwrap_or_else(|error| panic!("nothing to click: {error}"))
        .click()
        .await
        .unwrap();
}

/// The anti-forgery value of the page at `path`'s form.
fn csrf_of(address: &str, path: &str) -> String {
    let page = get(
        address,
        path,
        &[("Authorization", &format!("Bearer {TOKEN}"))],
    );
    let after = page
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .expect("a form");
    after.split('"').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_in_a_browser() {
    let Some(driver) = Driver::start() else {
        return;
    };
    let Some(server) = DocServer::start() else {
        return;
    };
    let url = server.url();
    let queue = Queue::new("dash");
    let producer = Producer::connect(&url, queue.clone()).await.unwrap();
    let consumer = Consumer::builder(
        &url,
        queue.clone(),
        Registry::new().register::<Flaky>(),
        pool_tokio::TokioExecutor::default(),
    )
    .retry(RetryPolicy::new(1))
    .keep_outcomes(Duration::from_secs(600))
    .connect()
    .await
    .unwrap();
    let running = tokio::spawn({
        let consumer = consumer.clone();
        async move { consumer.run().await }
    });
    let inspector = Inspector::connect(&url).await.unwrap();
    let dead = inspector.dead_letters(&queue).unwrap();
    let fine: Vec<Flaky> = (0..10)
        .map(|n| Flaky {
            note: format!("fine {n}"),
            fails: false,
        })
        .collect();
    producer.enqueue_many(&fine).await.unwrap();
    let plain = producer
        .enqueue(&Flaky {
            note: "plain".into(),
            fails: true,
        })
        .await
        .unwrap();
    producer
        .enqueue(&Flaky {
            note: HOSTILE.into(),
            fails: true,
        })
        .await
        .unwrap();
    producer
        .enqueue(&Stranger {
            note: HOSTILE.into(),
        })
        .await
        .unwrap();
    eventually("3 dead letters and 10 acknowledged", || async {
        let stats = inspector.stats(&queue).await.unwrap();
        stats.dead_letters == 3 && stats.acknowledged_total == 10
    })
    .await;

    let mut dashboard = App::start(
        &["dashboard", "--redis", &url, "--listen", "127.0.0.1:0"],
        &[("SAMPLEAPP_DASHBOARD_TOKEN", TOKEN)],
    );
    let address = dashboard.address("dashboard on");
    let base = format!("http://{address}");
    let bearer = format!("Bearer {TOKEN}");

    // The token, by plain HTTP: every path but the login form and the style needs it.
    for path in ["/", "/api/overview", "/metrics", "/queue/dead?name=dash"] {
        assert_eq!(get(&address, path, &[]).status, 401, "{path}");
        let wrong = get(&address, path, &[("Authorization", "Bearer nope")]);
        assert_eq!(wrong.status, 401, "{path}");
        assert_eq!(
            get(&address, path, &[("Authorization", &bearer)]).status,
            200,
            "{path}"
        );
    }
    let browser_like = get(&address, "/", &[("Accept", "text/html")]);
    assert_eq!(
        (browser_like.status, browser_like.header("location")),
        (303, Some("/login"))
    );
    let scraped = get(&address, "/metrics", &[("Authorization", &bearer)]).body;
    assert!(
        scraped.contains("pool_redis_queue_dead_letters{queue=\"dash\"} 3"),
        "{scraped}"
    );
    assert!(scraped.contains("pool_redis_queue_acknowledged_total{queue=\"dash\"} 10"));

    let browser = driver.browser().await;
    // The login form: a wrong token is refused, the right one lets the browser in.
    browser.goto(&format!("{base}/")).await.unwrap();
    assert_eq!(browser.current_url().await.unwrap().path(), "/login");
    screenshot(&browser, "login").await;
    let form = browser.form(Locator::Css("form")).await.unwrap();
    form.set_by_name("token", "guess").await.unwrap();
    form.submit().await.unwrap();
    assert!(
        text(&browser, ".flash.error")
            .await
            .contains("not the token")
    );
    let form = browser.form(Locator::Css("form")).await.unwrap();
    form.set_by_name("token", TOKEN).await.unwrap();
    form.submit().await.unwrap();
    eventually("the overview after logging in", || async {
        browser.current_url().await.unwrap().path() == "/"
            && browser.find(Locator::Css("table.queues")).await.is_ok()
    })
    .await;

    // The overview: the queue's numbers as Redis has them, kept live by the page's script.
    let row = "tr[data-queue=\"dash\"]";
    let stats = inspector.stats(&queue).await.unwrap();
    let cell = |field: &str| format!("{row} [data-field=\"{field}\"]");
    assert_eq!(text(&browser, &cell("dead_letters")).await, "3");
    assert_eq!(
        text(&browser, &cell("length")).await,
        stats.length.to_string()
    );
    assert_eq!(text(&browser, &cell("consumers")).await, "1");
    assert_eq!(text(&browser, &cell("delayed")).await, "0");
    let later: Vec<Flaky> = (0..5)
        .map(|n| Flaky {
            note: format!("later {n}"),
            fails: false,
        })
        .collect();
    producer
        .enqueue_many_in(&later, Duration::from_secs(3600))
        .await
        .unwrap();
    eventually(
        "the page to show 5 delayed jobs without a reload",
        || async { text(&browser, &cell("delayed")).await == "5" },
    )
    .await;
    screenshot(&browser, "overview").await;

    // The queue's page: its consumer, alive, on tokio.
    browser
        .goto(&format!("{base}/queue?name=dash"))
        .await
        .unwrap();
    let consumers = text(&browser, "table.consumers").await;
    assert!(consumers.contains(consumer.name()), "{consumers}");
    assert!(
        consumers.contains("tokio") && consumers.contains("alive"),
        "{consumers}"
    );
    screenshot(&browser, "queue").await;

    // The dead letters: hostile payloads, errors and kinds show as text, and run nothing.
    browser
        .goto(&format!("{base}/queue/dead?name=dash"))
        .await
        .unwrap();
    let table = text(&browser, "table.letters").await;
    assert!(table.contains("<script>window.pwned=1</script>"), "{table}");
    assert!(table.contains("<b>stranger</b>"), "{table}");
    let pwned = browser
        .execute("return window.pwned === undefined;", Vec::new())
        .await
        .unwrap();
    assert_eq!(
        pwned,
        serde_json::Value::Bool(true),
        "a payload's script ran"
    );
    assert!(browser.get_alert_text().await.is_err(), "an alert opened");
    assert!(
        !browser
            .source()
            .await
            .unwrap()
            .contains("<script>window.pwned")
    );
    screenshot(&browser, "dead-letters").await;

    // Re-queue one from the page, after a confirmation: it runs, now that it can succeed.
    OPEN.store(true, Ordering::SeqCst);
    let requeue = format!(
        "//tr[td/a[@title='{plain}']]//a[contains(@class, 'button') and text()='Re-queue']"
    );
    click(&browser, Locator::XPath(&requeue)).await;
    // The confirmation page is the one with the anti-forgery field.
    text(&browser, "form input[name=csrf]").await;
    assert!(
        text(&browser, "main")
            .await
            .contains("Re-queue dead letter")
    );
    screenshot(&browser, "confirm").await;
    click(&browser, Locator::Css("form button[type=submit]")).await;
    assert_eq!(text(&browser, ".flash").await, "Re-queued 1 dead letters.");
    eventually("the re-queued job to finish", || async {
        inspector.find_job(&queue, plain).await.unwrap().state
            == JobState::Finished(RemoteOutcome::Completed("plain".into()))
    })
    .await;

    // The job, found by its key from the queue's page.
    browser
        .goto(&format!("{base}/queue?name=dash"))
        .await
        .unwrap();
    let find = browser.form(Locator::Css("form")).await.unwrap();
    find.set_by_name("key", &plain.to_string()).await.unwrap();
    find.submit().await.unwrap();
    let state = text(&browser, "p.state").await;
    assert!(
        state.contains("Finished") && state.contains("plain"),
        "{state}"
    );
    screenshot(&browser, "job").await;
    browser
        .goto(&format!("{base}/queue/dead?name=dash"))
        .await
        .unwrap();

    // Delete all, confirmed.
    click(&browser, Locator::LinkText("Delete all")).await;
    text(&browser, "form input[name=csrf]").await;
    assert!(
        text(&browser, "main")
            .await
            .contains("all 2 dead letters of dash")
    );
    click(&browser, Locator::Css("form button[type=submit]")).await;
    assert_eq!(text(&browser, ".flash").await, "Deleted 2 dead letters.");
    assert_eq!(dead.count().await.unwrap(), 0);
    browser.close().await.unwrap();

    // Forged actions: a wrong anti-forgery value, another site's origin, a cross-site
    // fetch: each refused, the dead letter still there; the genuine form works.
    producer
        .enqueue(&Stranger { note: "x".into() })
        .await
        .unwrap();
    eventually("a new dead letter", || async {
        dead.count().await.unwrap() == 1
    })
    .await;
    let csrf = csrf_of(&address, "/queue/dead/delete?name=dash&all=1");
    let form = "application/x-www-form-urlencoded";
    for (body, extra) in [
        ("csrf=forged&all=1".to_owned(), None),
        (
            format!("csrf={csrf}&all=1"),
            Some(("Origin", "http://evil.example")),
        ),
        (
            format!("csrf={csrf}&all=1"),
            Some(("Sec-Fetch-Site", "cross-site")),
        ),
    ] {
        let mut headers = vec![("Authorization", bearer.as_str()), ("Content-Type", form)];
        headers.extend(extra);
        let refused = request(
            &address,
            "POST",
            "/queue/dead/delete?name=dash",
            &headers,
            &body,
        );
        assert_eq!(refused.status, 403, "{body} {extra:?}: {}", refused.body);
        assert_eq!(dead.count().await.unwrap(), 1);
    }
    let genuine = request(
        &address,
        "POST",
        "/queue/dead/delete?name=dash",
        &[("Authorization", &bearer), ("Content-Type", form)],
        &format!("csrf={csrf}&all=1"),
    );
    assert_eq!(genuine.status, 303, "{}", genuine.body);
    assert_eq!(dead.count().await.unwrap(), 0);

    // Read-only: no action offered, none allowed.
    producer
        .enqueue(&Stranger { note: "y".into() })
        .await
        .unwrap();
    eventually("another dead letter", || async {
        dead.count().await.unwrap() == 1
    })
    .await;
    let mut read_only = App::start(
        &[
            "dashboard",
            "--redis",
            &url,
            "--listen",
            "127.0.0.1:0",
            "--read-only",
        ],
        &[],
    );
    let watcher = read_only.address("dashboard on");
    let page = get(&watcher, "/queue/dead?name=dash", &[]);
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("Re-queue") && !page.body.contains("Delete"),
        "{}",
        page.body
    );
    assert_eq!(
        get(&watcher, "/queue/dead/requeue?name=dash&all=1", &[]).status,
        403
    );
    let posted = request(
        &watcher,
        "POST",
        "/queue/dead/requeue?name=dash",
        &[("Content-Type", form)],
        "csrf=x&all=1",
    );
    assert_eq!(posted.status, 403);
    assert_eq!(dead.count().await.unwrap(), 1);
    // Without a token, it answers to its own address only (a page of another site whose
    // name was pointed here, DNS rebinding, is refused), and no cross-site page may make it
    // work (a script's fetch, an image); a link from elsewhere still opens it.
    let port = watcher.rsplit(':').next().unwrap();
    let rebound = get(&watcher, "/", &[("Host", &format!("evil.example:{port}"))]);
    assert_eq!(rebound.status, 403, "{}", rebound.body);
    let local = get(&watcher, "/", &[("Host", &format!("localhost:{port}"))]);
    assert_eq!(local.status, 200);
    let cross_site = [
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Mode", "no-cors"),
    ];
    assert_eq!(
        get(&watcher, "/queue/dead?name=dash", &cross_site).status,
        403
    );
    let opened = [
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Mode", "navigate"),
    ];
    assert_eq!(get(&watcher, "/queue/dead?name=dash", &opened).status, 200);
    // A success message is the page's words, not a link's.
    let forged = get(
        &watcher,
        "/queue/dead?name=dash&done=Log+in+at+evil.example&count=1",
        &[],
    );
    assert!(!forged.body.contains("evil.example"), "{}", forged.body);
    // Queue names that are path syntax (`..`, `/`, `?`, `&`, `#`) link to their own pages.
    let odd = "../odd/?&#";
    Producer::connect(&url, Queue::new(odd))
        .await
        .unwrap()
        .enqueue(&Stranger { note: "z".into() })
        .await
        .unwrap();
    let overview = loop {
        // The names found are kept 10 s: wait for the new one.
        let overview = get(&watcher, "/", &[]).body;
        if overview.contains("odd") {
            break overview;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let link = overview
        .split("href=\"")
        .map(|rest| rest.split('"').next().unwrap())
        .find(|link| link.starts_with("/queue?name=..%2Fodd"))
        .expect("a link to the odd queue");
    let page = get(&watcher, link, &[]);
    assert_eq!(page.status, 200, "{link}");
    assert!(page.body.contains("Queue ../odd/?&amp;#"), "{}", page.body);

    // A password in the Redis URL never reaches a page.
    let mut unreachable = App::start(
        &[
            "dashboard",
            "--redis",
            "redis://:hunter2secret@127.0.0.1:1",
            "--listen",
            "127.0.0.1:0",
        ],
        &[],
    );
    let nowhere = unreachable.address("dashboard on");
    let failed = get(&nowhere, "/", &[]);
    assert_eq!(failed.status, 502);
    assert!(
        failed.body.contains("cannot reach Redis"),
        "{}",
        failed.body
    );
    assert!(!failed.body.contains("hunter2secret"), "{}", failed.body);

    consumer.shutdown().await;
    running.await.unwrap().unwrap();
    drop(dashboard);
}

/// Listening beyond loopback without a token is allowed, with a warning.
#[test]
fn listening_beyond_loopback_without_a_token_warns() {
    let mut dashboard = App::start(
        &[
            "dashboard",
            "--redis",
            "redis://127.0.0.1:1",
            "--listen",
            "0.0.0.0:0",
        ],
        &[],
    );
    dashboard.wait_for("without a --token");
}

/// An empty token is refused.
#[test]
fn an_empty_token_is_refused() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sampleapp"))
        .args(["dashboard", "--token", "", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--token is empty"));
}

/// A paused Redis (SIGSTOP: a frozen primary, say) makes a page an error that says Redis
/// timed out (its command's response timeout, 10 s, or the page's deadline, 15 s), not a
/// browser spinning; once Redis is back, so are the pages.
#[test]
fn a_paused_redis_is_an_error_page_within_the_deadline() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let Some(server) = DocServer::start() else {
        return;
    };
    let url = server.url();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(Producer::connect(&url, Queue::new("paused")))
        .unwrap();
    let mut dashboard = App::start(
        &["dashboard", "--redis", &url, "--listen", "127.0.0.1:0"],
        &[],
    );
    let address = dashboard.address("dashboard on");
    assert_eq!(get(&address, "/queue?name=paused", &[]).status, 200);
    let redis = Pid::from_raw(i32::try_from(server.pid()).unwrap());
    kill(redis, Signal::SIGSTOP).unwrap();
    let asked = Instant::now();
    let page = get(&address, "/queue?name=paused", &[]);
    let waited = asked.elapsed();
    kill(redis, Signal::SIGCONT).unwrap();
    assert!([502, 504].contains(&page.status), "{}", page.body);
    assert!(
        page.body.contains("timed out") || page.body.contains("did not answer within"),
        "{}",
        page.body
    );
    assert!(waited < Duration::from_secs(30), "{waited:?}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while get(&address, "/queue?name=paused", &[]).status != 200 {
        assert!(Instant::now() < deadline, "the pages did not come back");
        std::thread::sleep(Duration::from_millis(100));
    }
}
