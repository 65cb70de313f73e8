//! `dossier serve`: the real binary on a temporary copy of the fixture site,
//! on a free port, fetched with a real HTTP client (ureq), with its
//! live-reload event stream read as a browser would.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use scraper::Html;
use url::Url;

use crate::support::{Site, sel, text_of};

/// Long enough for a debug build of the fixture site on a busy machine.
const PATIENCE: Duration = Duration::from_secs(60);

const GENEVA: &str = "content/briefings/2021/geneva.md";
const GENEVA_PAGE: &str = "briefings/geneva-appeal/";

/// A running `dossier serve`, killed when dropped.
pub struct Server {
    child: Child,
    /// The URL it printed: the site's root.
    pub url: Url,
    /// Its preview folder, as printed.
    pub preview: PathBuf,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `dossier serve --port 0` on `site` with `args`, and waits until it serves.
    pub fn start(site: &Site, args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dossier"))
            .arg("serve")
            .arg("--root")
            .arg(site.root())
            .args(["--port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dossier serve");
        let stdout = collect(child.stdout.take().expect("piped stdout"));
        let stderr = collect(child.stderr.take().expect("piped stderr"));
        let mut server = Server {
            child,
            url: Url::parse("http://unknown/").expect("a URL"),
            preview: PathBuf::new(),
            stdout,
            stderr,
        };
        let printed = server.wait_for_stdout(|out| out.contains("Ctrl-C"));
        let url = printed
            .lines()
            .find_map(|l| l.strip_prefix("Serving "))
            .unwrap_or_else(|| panic!("no URL printed:\n{printed}"));
        server.url = Url::parse(url.trim()).unwrap_or_else(|e| panic!("{url:?}: {e}"));
        let preview = printed
            .lines()
            .find_map(|l| l.trim().strip_prefix("from "))
            .and_then(|l| l.split(" (").next())
            .unwrap_or_else(|| panic!("no preview folder printed:\n{printed}"));
        server.preview = PathBuf::from(preview);
        server
    }

    /// Waits until what the server printed on stdout satisfies `done`.
    pub fn wait_for_stdout(&mut self, done: impl Fn(&str) -> bool) -> String {
        let out = self.stdout.clone();
        self.wait_for(&out, "stdout", done)
    }

    /// Waits until what the server printed on stderr satisfies `done`.
    pub fn wait_for_stderr(&mut self, done: impl Fn(&str) -> bool) -> String {
        let err = self.stderr.clone();
        self.wait_for(&err, "stderr", done)
    }

    fn wait_for(
        &mut self,
        text: &Mutex<String>,
        name: &str,
        done: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let now = lock(text).clone();
            if done(&now) {
                return now;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "dossier serve exited ({status}); stdout:\n{}\nstderr:\n{}",
                    lock(&self.stdout),
                    lock(&self.stderr)
                );
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting on {name}; it says:\n{now}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The absolute URL of a path below the site's root.
    pub fn at(&self, path: &str) -> String {
        self.url
            .join(path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .to_string()
    }

    /// GET a path below the site's root.
    pub fn get(&self, path: &str) -> Fetched {
        fetch(&self.at(path))
    }

    /// The live-reload event stream, as the injected script opens it.
    pub fn events(&self) -> Events {
        Events::open(&self.at("/__dossier/events"))
    }

    /// The text of the first element matching `css` in the page at `path`.
    pub fn text(&self, path: &str, css: &str) -> String {
        let page = self.get(path);
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        let html = Html::parse_document(&page.body);
        let element = html
            .select(&sel(css))
            .next()
            .unwrap_or_else(|| panic!("{path}: nothing matches {css}"));
        text_of(element)
    }

    /// Sends Ctrl-C (SIGINT) and waits for the exit.
    pub fn interrupt(mut self) -> std::process::ExitStatus {
        self.stop(PATIENCE)
            .unwrap_or_else(|| panic!("serve did not stop on Ctrl-C"))
    }

    /// SIGINT, then the exit status if it comes within `patience`.
    fn stop(&mut self, patience: Duration) -> Option<std::process::ExitStatus> {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-INT", &pid]).status().ok()?;
        if !sent.success() {
            return None;
        }
        let deadline = Instant::now() + patience;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    /// Ctrl-C first, so the server removes its preview folder; a kill if that fails.
    fn drop(&mut self) {
        if self.stop(Duration::from_secs(10)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn lock(text: &Mutex<String>) -> std::sync::MutexGuard<'_, String> {
    text.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Gathers what a child prints, on a thread of its own.
fn collect(from: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { break };
            let mut all = lock(&sink);
            all.push_str(&line);
            all.push('\n');
        }
    });
    text
}

/// A response, read whole.
#[derive(Debug)]
pub struct Fetched {
    pub status: u16,
    pub content_type: String,
    pub content_length: Option<usize>,
    pub body: String,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(PATIENCE))
        .build()
        .into()
}

fn fetch(url: &str) -> Fetched {
    let mut response = agent()
        .get(url)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let body = response
        .body_mut()
        .read_to_string()
        .unwrap_or_else(|e| panic!("GET {url}: read the body: {e}"));
    Fetched {
        status: response.status().as_u16(),
        content_type: header(response.headers(), "content-type"),
        content_length: header(response.headers(), "content-length").parse().ok(),
        body,
    }
}

fn header(headers: &ureq::http::HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// One request written byte for byte, so the path reaches the server exactly
/// as given (an HTTP client would normalize `..` away): status and body.
fn raw_get(server: &Server, path: &str) -> (u16, String) {
    raw(server, "GET", path)
}

fn raw(server: &Server, method: &str, path: &str) -> (u16, String) {
    let host = server.url.host_str().expect("a host");
    let port = server.url.port().expect("a port");
    let mut stream = TcpStream::connect((host, port)).expect("connect");
    stream
        .set_read_timeout(Some(PATIENCE))
        .expect("set a timeout");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
    )
    .expect("send the request");
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).expect("read the reply");
    let reply = String::from_utf8_lossy(&reply).into_owned();
    let status = reply
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP reply: {reply:?}"));
    (status, reply)
}

/// The live-reload stream: (event, data) pairs as a browser's EventSource sees them.
pub struct Events {
    received: Receiver<(String, String)>,
}

impl Events {
    fn open(url: &str) -> Events {
        let response = agent()
            .get(url)
            .call()
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            header(response.headers(), "content-type"),
            "text/event-stream"
        );
        let (send, received) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let reader = BufReader::new(response.into_body().into_reader());
            let (mut event, mut data) = (String::new(), Vec::<String>::new());
            for line in reader.lines() {
                let Ok(line) = line else { break };
                if line.is_empty() {
                    if !data.is_empty() && send.send((event.clone(), data.join("\n"))).is_err() {
                        break;
                    }
                    event.clear();
                    data.clear();
                } else if let Some(name) = line.strip_prefix("event:") {
                    event = name.trim_start().to_string();
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push(value.strip_prefix(' ').unwrap_or(value).to_string());
                }
            }
        });
        Events { received }
    }

    /// The next event named `name`, skipping others; fails the test after a while.
    pub fn wait_for(&self, name: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.received.recv_timeout(left) {
                Ok((event, data)) if event == name => return data,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => panic!("no `{name}` event in time"),
                Err(RecvTimeoutError::Disconnected) => panic!("the event stream ended"),
            }
        }
    }

    /// The next event of any name.
    pub fn next(&self) -> (String, String) {
        self.received
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|e| panic!("no event in time: {e}"))
    }
}

/// Rewrites one line of a site file.
fn replace_line(site: &Site, rel: &str, starts_with: &str, new_line: &str) {
    let path = site.root().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {rel}: {e}"));
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with(starts_with) {
                new_line.to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    assert_ne!(
        lines.join("\n") + "\n",
        text,
        "{rel} has no {starts_with:?}"
    );
    site.write(rel, &(lines.join("\n") + "\n"));
}

/// The `src` of every script in a page.
fn scripts(html: &str) -> Vec<String> {
    Html::parse_document(html)
        .select(&sel("script[src]"))
        .filter_map(|s| s.value().attr("src").map(str::to_string))
        .collect()
}

#[test]
fn serves_pages_with_their_types_head_and_the_404_page() {
    let site = Site::fixture();
    let server = Server::start(&site, &[]);
    assert_eq!(
        server.url.host_str(),
        Some("127.0.0.1"),
        "loopback by default"
    );

    let home = server.get("");
    assert_eq!(home.status, 200);
    assert_eq!(home.content_type, "text/html; charset=utf-8");
    assert_eq!(home.content_length, Some(home.body.len()));
    assert_eq!(scripts(&home.body), ["/__dossier/livereload.js"]);
    // Links are made from the preview's address, not the configured one.
    let canonical = Html::parse_document(&home.body)
        .select(&sel("link[rel=canonical]"))
        .next()
        .and_then(|l| l.value().attr("href").map(str::to_string));
    assert_eq!(canonical.as_deref(), Some(server.url.as_str()));

    for (path, expected_type) in [
        ("style.css", "text/css"),
        ("favicon.svg", "image/svg+xml"),
        ("__dossier/livereload.js", "text/javascript; charset=utf-8"),
    ] {
        let file = server.get(path);
        assert_eq!(file.status, 200, "{path}");
        assert_eq!(file.content_type, expected_type, "{path}");
    }
    let script = server.get("/__dossier/livereload.js").body;
    assert!(script.contains("EventSource(\"/__dossier/events\")"));

    // A folder without its slash is redirected (and the client follows).
    let briefing = server.get(GENEVA_PAGE.trim_end_matches('/'));
    assert_eq!(briefing.status, 200);
    assert_eq!(server.text(GENEVA_PAGE, "h1"), "Geneva appeal");

    let head = agent()
        .head(server.at(""))
        .call()
        .expect("HEAD the home page");
    assert_eq!(head.status().as_u16(), 200);
    assert_eq!(
        header(head.headers(), "content-length")
            .parse::<usize>()
            .ok(),
        Some(home.body.len()),
        "HEAD gives the length GET sends"
    );
    let (_, raw_head) = raw(&server, "HEAD", "/");
    let (_, body) = raw_head.split_once("\r\n\r\n").expect("headers end");
    assert_eq!(body, "", "HEAD has no body");

    let missing = server.get("no/such/page/");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.content_type, "text/html; charset=utf-8");
    let html = Html::parse_document(&missing.body);
    let h1 = html.select(&sel("h1")).next().map(text_of);
    assert_eq!(h1.as_deref(), Some("No record of this page"));
    assert_eq!(scripts(&missing.body), ["/__dossier/livereload.js"]);
}

#[test]
fn only_serve_injects_the_live_reload_script_and_public_is_left_alone() {
    let site = Site::fixture();
    site.build();
    let public = site.output();
    let before = public.tree();
    for page in public.pages() {
        let html = std::fs::read_to_string(public.file(&page)).expect("read a built page");
        assert!(
            !html.contains("__dossier"),
            "{page} of `dossier build` has the live-reload script"
        );
    }

    let server = Server::start(&site, &[]);
    assert!(
        !server.preview.starts_with(site.root()),
        "the preview folder {} is inside the site",
        server.preview.display()
    );
    for page in public.pages() {
        let served = server.get(page.trim_start_matches('/'));
        assert_eq!(served.status, 200, "{page}");
        let live: Vec<String> = scripts(&served.body)
            .into_iter()
            .filter(|src| src.contains("__dossier"))
            .collect();
        assert_eq!(
            live,
            ["/__dossier/livereload.js"],
            "{page} served without the script, or with it twice"
        );
    }
    let events = server.events();
    replace_line(&site, GENEVA, "title:", "title: Geneva, edited");
    events.wait_for("reload");
    assert_eq!(public.tree(), before, "serve changed public/");
}

#[test]
fn an_edit_reloads_and_a_broken_file_keeps_the_last_good_page() {
    let site = Site::fixture();
    let mut server = Server::start(&site, &[]);
    let events = server.events();

    replace_line(&site, GENEVA, "title:", "title: Geneva appeal, revised");
    // A title edit leaves the briefing where it was: only its pages are redone.
    let summary = events.wait_for("reload");
    assert!(summary.starts_with("Rebuilt "), "{summary}");
    assert_eq!(server.text(GENEVA_PAGE, "h1"), "Geneva appeal, revised");
    server.wait_for_stdout(|out| out.contains(&format!("{GENEVA} changed: Rebuilt ")));

    // Break the front matter: an unknown key on line 5.
    replace_line(&site, GENEVA, "slug:", "slug: geneva-appeal\nsulg: oops");
    let error = events.wait_for("error");
    assert!(error.contains(&format!("{GENEVA}:5:1")), "{error}");
    assert!(error.contains("unknown field `sulg`"), "{error}");
    let stderr = server.wait_for_stderr(|err| err.contains("still serving the last good site"));
    assert!(stderr.contains(&format!("{GENEVA}:5:1")), "{stderr}");
    assert_eq!(
        server.text(GENEVA_PAGE, "h1"),
        "Geneva appeal, revised",
        "the last good page is still served"
    );
    // A tab opened now is told at once.
    let late = server.events();
    let (name, data) = late.next();
    assert_eq!(name, "error");
    assert!(data.contains("unknown field `sulg`"), "{data}");

    // Fix it: the overlay goes (ok), the page reloads with the new text.
    let text = std::fs::read_to_string(site.root().join(GENEVA)).expect("read");
    site.write(
        GENEVA,
        &text.replace("sulg: oops\n", "").replace("revised", "fixed"),
    );
    events.wait_for("ok");
    events.wait_for("reload");
    // After a failure the next build is a full one.
    assert!(late.wait_for("ok").starts_with("Built 5 briefings"));
    assert_eq!(server.text(GENEVA_PAGE, "h1"), "Geneva appeal, fixed");
}

#[test]
fn an_editor_saving_through_a_temporary_file_is_seen() {
    let site = Site::fixture();
    let server = Server::start(&site, &[]);
    let events = server.events();
    // Write a hidden temporary file beside the briefing, then rename it over
    // the briefing, as many editors save.
    let text = std::fs::read_to_string(site.root().join(GENEVA)).expect("read");
    let temporary = site.root().join("content/briefings/2021/.geneva.md.tmp");
    std::fs::write(
        &temporary,
        text.replace("Geneva appeal", "Geneva, renamed in"),
    )
    .expect("write the temporary file");
    std::fs::rename(&temporary, site.root().join(GENEVA)).expect("rename it over");
    events.wait_for("reload");
    assert_eq!(server.text(GENEVA_PAGE, "h1"), "Geneva, renamed in");
}

#[test]
fn a_static_folder_made_later_is_watched_and_stylesheets_swap() {
    let site = Site::fixture();
    let mut server = Server::start(&site, &[]);
    let events = server.events();
    assert_eq!(server.get("extra.css").status, 404);
    site.write("static/extra.css", "body { color: red; }\n");
    // The folder appearing is one change, the file maybe another: wait until
    // a build has copied it.
    let deadline = Instant::now() + PATIENCE;
    while server.get("extra.css").status != 200 {
        assert!(Instant::now() < deadline, "static/extra.css never served");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Drain what those builds said, then change only the stylesheet.
    std::thread::sleep(Duration::from_millis(300));
    while events.received.try_recv().is_ok() {}
    site.write("static/extra.css", "body { color: blue; }\n");
    let (name, _) = events.next();
    assert_eq!(name, "css", "a stylesheet alone is swapped, not reloaded");
    assert_eq!(server.get("extra.css").body, "body { color: blue; }\n");
    // No page changed, so the search index has nothing to report: an index
    // that only finishes what the change interrupted stays quiet.
    std::thread::sleep(Duration::from_millis(500));
    let said = server.wait_for_stdout(|out| out.contains("static/extra.css changed"));
    assert!(!said.contains("search index: 0 of"), "{said}");
}

#[test]
fn paths_that_climb_out_of_the_preview_folder_are_refused() {
    let site = Site::fixture();
    let server = Server::start(&site, &[]);
    // A file just outside the output folder, where a traversal would land.
    let outside = server
        .preview
        .parent()
        .expect("the preview folder has a parent")
        .join("secret.txt");
    std::fs::write(&outside, "CANARY").expect("write the canary");
    for path in [
        "/../secret.txt",
        "/briefings/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/..%2fsecret.txt",
        "/..%2Fsecret.txt",
        "/..\\secret.txt",
        "/..%5csecret.txt",
        "/%252e%252e/secret.txt",
        "/../../../../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/..%5c..%5c..%5c..%5cetc%5cpasswd",
    ] {
        let (status, reply) = raw_get(&server, path);
        assert!(
            status == 400 || status == 404,
            "{path}: status {status}\n{reply}"
        );
        assert!(
            !reply.contains("CANARY") && !reply.contains("root:"),
            "{path} read a file outside the output:\n{reply}"
        );
    }
    // The canary itself is real: a sibling of the output is not served by name either.
    let (status, reply) = raw_get(&server, "/secret.txt");
    assert_eq!(status, 404, "{reply}");
}

#[test]
fn serves_under_the_base_url_path_like_a_project_site() {
    let site = Site::fixture();
    let config = std::fs::read_to_string(site.root().join("dossier.yaml")).expect("read");
    site.write(
        "dossier.yaml",
        &config.replace(
            "base_url: https://dossier.example.org/",
            "base_url: https://user.github.io/archive/",
        ),
    );
    let server = Server::start(&site, &[]);
    assert_eq!(server.url.path(), "/archive/");

    let home = server.get("");
    assert_eq!(home.status, 200);
    let html = Html::parse_document(&home.body);
    let links: Vec<String> = html
        .select(&sel("main a[href]"))
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect();
    assert!(!links.is_empty());
    for href in &links {
        assert!(href.starts_with("/archive/"), "{href}");
        let target = server.url.join(href).expect("a link");
        assert_eq!(fetch(target.as_str()).status, 200, "{href}");
    }
    let stylesheet = server.url.join("/archive/style.css").expect("a URL");
    assert_eq!(fetch(stylesheet.as_str()).status, 200);

    // Outside the base path there is no site, as on GitHub Pages.
    let (status, _) = raw_get(&server, "/style.css");
    assert_eq!(status, 404);
    let (status, reply) = raw_get(&server, "/archive");
    assert_eq!(status, 307);
    assert!(
        reply
            .to_ascii_lowercase()
            .contains("location: /archive/\r\n"),
        "{reply}"
    );
}

#[test]
fn ctrl_c_stops_the_server_and_removes_its_preview_folder() {
    let site = Site::fixture();
    let server = Server::start(&site, &[]);
    let preview = server.preview.clone();
    assert!(preview.join("index.html").is_file());
    let _events = server.events();
    let status = server.interrupt();
    assert!(status.success(), "exit status {status}");
    assert!(!preview.exists(), "{} was left behind", preview.display());
    assert!(!site.root().join("public").exists());
}

#[test]
fn a_taken_port_is_named_with_the_next_free_one() {
    let site = Site::fixture();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let port = taken.local_addr().expect("an address").port().to_string();
    let run = Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args(["serve", "--port", &port, "--root"])
        .arg(site.root())
        .stdin(Stdio::null())
        .output()
        .expect("run dossier serve");
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    let expected = format!("error: port {port} is taken; port ");
    assert!(stderr.starts_with(&expected), "{stderr}");
    let free: u16 = stderr[expected.len()..]
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no free port named: {stderr}"));
    assert!(stderr.contains(&format!("--port {free}")), "{stderr}");
    assert!(std::net::TcpListener::bind(("127.0.0.1", free)).is_ok());
    assert!(!Path::new(&site.root().join("public")).exists());
}

/// Hundreds of saves in a second, a briefing deleted and written again, a
/// folder renamed: once the storm is over, the preview holds exactly what a
/// fresh build of the final files writes.
#[test]
fn a_storm_of_edits_ends_with_the_final_state_served() {
    let site = Site::fixture();
    let server = Server::start(&site, &[]);
    let talks = "content/briefings/2019/ankara-talks.md";
    let original = std::fs::read_to_string(site.root().join(talks)).expect("read");
    let started = Instant::now();
    for i in 0..300 {
        replace_line(&site, GENEVA, "title:", &format!("title: Storm {i}"));
        if i % 50 == 25 {
            site.remove(talks);
        }
        if i % 50 == 30 {
            site.write(
                talks,
                &original.replace("Ankara talks on the border", &format!("Talks {i}")),
            );
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    std::fs::rename(
        site.root().join("content/briefings/2019"),
        site.root().join("content/briefings/2019-moved"),
    )
    .expect("rename a folder");
    eprintln!("storm of 300 saves took {:?}", started.elapsed());

    // What a fresh build of the final files, at the preview's address, writes.
    let fresh = tempfile::tempdir().expect("a folder");
    let options = dossier::config::BuildOptions {
        output: fresh.path().join("site"),
        base_url: Some(server.url.to_string()),
        ..site.options()
    };
    dossier::build(&options).unwrap_or_else(|d| panic!("{}", crate::support::lines(&d)));
    let want = crate::support::Output::new(&options.output, server.url.as_str()).tree();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let got = crate::support::Output::new(&server.preview, server.url.as_str()).tree_now();
        if got.as_ref() == Some(&want) {
            break;
        }
        if Instant::now() > deadline {
            let got = got.unwrap_or_default();
            let differ = crate::support::differences(&want, &got);
            panic!("after the storm the preview still differs from a fresh build in {differ:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(server.text(GENEVA_PAGE, "h1"), "Storm 299");
    assert_eq!(server.text("briefings/ankara-talks/", "h1"), "Talks 280");
}

/// When the watcher loses events (the kernel's queue overflowed, as a large
/// checkout can make it), serve reads every file again: changes it was never
/// told of reach the site, and the site is what a fresh build writes.
#[test]
fn lost_events_make_serve_read_every_file_again() {
    use crate::support::{Output, briefing, lines};
    use dossier::config::BuildOptions;
    use dossier::serve::rebuild::Rebuild;
    use dossier::serve::watch::ChangeSet;

    const NEW: &str = "/briefings/unreported/";
    let site = Site::fixture();
    let out = tempfile::tempdir().expect("a folder");
    let options = BuildOptions {
        output: out.path().join("site"),
        ..site.options()
    };
    let preview = Output::new(&options.output, "http://127.0.0.1:1111/");
    let mut rebuild = Rebuild::new(options.clone());
    rebuild
        .run(&ChangeSet::everything())
        .unwrap_or_else(|d| panic!("{}", lines(&d)));
    // Two changes no event reported: a briefing's new title, a new briefing.
    replace_line(&site, GENEVA, "title:", "title: Unreported title");
    let new_briefing = briefing("An unreported briefing", 9);
    site.write("content/briefings/2021/unreported.md", &new_briefing);
    let told_nothing = rebuild
        .run(&ChangeSet::default())
        .unwrap_or_else(|d| panic!("{}", lines(&d)));
    assert!(
        told_nothing.is_none(),
        "no change reported, nothing rebuilt"
    );
    assert_ne!(preview.page(GENEVA_PAGE).text("h1"), "Unreported title");
    assert!(!preview.exists(NEW));

    let lost = ChangeSet {
        rescan: true,
        ..ChangeSet::default()
    };
    rebuild
        .run(&lost)
        .unwrap_or_else(|d| panic!("{}", lines(&d)))
        .expect("a rescan rebuilds");
    assert_eq!(preview.page(GENEVA_PAGE).text("h1"), "Unreported title");
    assert_eq!(preview.page(NEW).text("h1"), "An unreported briefing");
    let fresh = tempfile::tempdir().expect("a folder");
    let fresh_options = BuildOptions {
        output: fresh.path().join("site"),
        ..site.options()
    };
    dossier::build(&fresh_options).unwrap_or_else(|d| panic!("{}", lines(&d)));
    let built = Output::new(&fresh_options.output, "http://127.0.0.1:1111/");
    assert_eq!(preview.pages(), built.pages());
}
