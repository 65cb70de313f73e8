//! Headless Chromium for end-to-end tests, driven over WebDriver.
//!
//! The browser is Debian's `chromium` and the driver Debian's `chromedriver`
//! (packages `chromium` and `chromium-driver`); nothing is downloaded. Where
//! they are missing, [`Browser::launch`] prints why the test is skipped and
//! returns `None`, unless `DOSSIER_REQUIRE_BROWSER=1` is set (as `.ci/run`
//! does), in which case a missing browser fails the test.
//!
//! Tests are plain `#[test]` functions: every method blocks on a small
//! runtime owned by the [`Browser`], and panics with what it was doing.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tempfile::TempDir;

const CHROMIUM: &[&str] = &["/usr/bin/chromium", "/usr/bin/chromium-browser"];
const CHROMEDRIVER: &[&str] = &["/usr/bin/chromedriver"];

/// Flags for a quiet headless browser on a machine without outside network.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
];

/// How long a wait may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// A headless Chromium session and the chromedriver serving it.
pub struct Browser {
    runtime: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Child,
    _profile: TempDir,
}

fn first_existing(candidates: &[&str]) -> Option<PathBuf> {
    candidates
        .iter()
        .map(Path::new)
        .find(|p| p.exists())
        .map(Path::to_path_buf)
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session, or returns `None`
    /// (with a message) when they are not installed.
    pub fn launch() -> Option<Browser> {
        let (Some(chromium), Some(chromedriver)) =
            (first_existing(CHROMIUM), first_existing(CHROMEDRIVER))
        else {
            let why = "Chromium or chromedriver is not installed \
                       (apt-get install chromium chromium-driver)";
            if std::env::var_os("DOSSIER_REQUIRE_BROWSER").is_some_and(|v| v == "1") {
                panic!("DOSSIER_REQUIRE_BROWSER=1 but {why}");
            }
            eprintln!("skipped: browser test needs a browser: {why}");
            return None;
        };
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", chromedriver.display()));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let profile = tempfile::tempdir().expect("a profile folder");
        let mut args: Vec<String> = FLAGS.iter().map(|f| f.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("json! of an object is an object")
        };
        let webdriver = format!("http://127.0.0.1:{port}");
        let mut browser = Browser {
            runtime,
            client: None,
            driver,
            _profile: profile,
        };
        let started = Instant::now();
        let client = loop {
            let attempt = browser.runtime.block_on(
                ClientBuilder::new(HttpConnector::new())
                    .capabilities(capabilities.clone())
                    .connect(&webdriver),
            );
            match attempt {
                Ok(client) => break client,
                Err(e) if started.elapsed() > PATIENCE => {
                    panic!("could not open a Chromium session through chromedriver: {e}")
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        };
        browser.client = Some(client);
        Some(browser)
    }

    /// The WebDriver client, for anything the helpers below do not cover.
    pub fn client(&self) -> &Client {
        self.client
            .as_ref()
            .expect("a session is open while the Browser lives")
    }

    /// Runs a future on the browser's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Opens `url` and waits for it to load.
    pub fn goto(&self, url: &str) {
        self.block_on(self.client().goto(url))
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Runs `script` (a function body: use `return`) in the page and returns its result.
    pub fn eval(&self, script: &str) -> Value {
        self.block_on(self.client().execute(script, Vec::new()))
            .unwrap_or_else(|e| panic!("run script {script:?}: {e}"))
    }

    /// The text of the first element matching `css`, waiting for it to appear.
    pub fn text(&self, css: &str) -> String {
        let element = self.wait_for(css);
        self.block_on(element.text())
            .unwrap_or_else(|e| panic!("text of {css}: {e}"))
    }

    /// Waits until an element matches `css`, and returns it.
    pub fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.block_on(
            self.client()
                .wait()
                .at_most(PATIENCE)
                .for_element(Locator::Css(css)),
        )
        .unwrap_or_else(|e| panic!("no element {css} after {PATIENCE:?}: {e}"))
    }

    /// Waits until the JavaScript expression `condition` is true in the page
    /// (re-evaluated every 50 ms, across reloads). `what` says what is awaited.
    pub fn wait_until(&self, what: &str, condition: &str) {
        let script =
            format!("try {{ return Boolean({condition}); }} catch (e) {{ return false; }}");
        let started = Instant::now();
        loop {
            // A navigation in progress makes a script fail; that is "not yet".
            let ready = self.block_on(self.client().execute(&script, Vec::new()));
            if matches!(ready, Ok(Value::Bool(true))) {
                return;
            }
            if started.elapsed() > PATIENCE {
                let url = self
                    .block_on(self.client().current_url())
                    .map(|u| u.to_string())
                    .unwrap_or_default();
                panic!("waited {PATIENCE:?} for {what} ({condition}) on {url}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Clicks the first element matching `css`.
    pub fn click(&self, css: &str) {
        let element = self.wait_for(css);
        self.block_on(element.click())
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Types `text` into the first element matching `css`, as a user would.
    pub fn type_into(&self, css: &str, text: &str) {
        let element = self.wait_for(css);
        self.block_on(element.send_keys(text))
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(client.close());
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The harness itself: a page served from memory by no server at all (a
/// `data:` URL) is opened, read and scripted.
#[test]
fn the_harness_drives_headless_chromium() {
    let Some(browser) = Browser::launch() else {
        return;
    };
    browser.goto(
        "data:text/html,<title>t</title><input id=q><button id=go>Go</button><p id=out></p>\
         <script>go.onclick=()=>out.textContent='you typed '+q.value</script>",
    );
    browser.type_into("#q", "Tillerson");
    browser.click("#go");
    browser.wait_until("the page to react", "out.textContent.length > 0");
    assert_eq!(browser.text("#out"), "you typed Tillerson");
    assert_eq!(browser.eval("return 6 * 7"), json!(42));
}
