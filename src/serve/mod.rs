//! `dossier serve`: build the site, serve it, and rebuild it on every save.
//!
//! [`serve`] reads like its steps: bind the port (so `--port 0` knows its
//! address before building), make a preview folder of its own outside the
//! site (never `public/`), start watching, build once, then serve until
//! Ctrl-C, when the watcher and the build thread stop and the preview folder
//! is removed. State is passed explicitly: the [`reload::Hub`] to the server
//! and the build loop, the output folder and base path to the server.
//!
//! - `watch.rs`: notify's debouncer → classified [`watch::ChangeSet`]s.
//! - `rebuild.rs`: [`rebuild::Rebuild::run`], the one way a rebuild happens,
//!   and the loop that runs it on its own thread, one build at a time.
//! - `reload.rs`: the live-reload events (`reload`, `css`, `error`, `ok`).
//! - `http.rs`: axum and tower-http's `ServeDir`; the script injection.

pub mod http;
pub mod rebuild;
pub mod reload;
pub mod watch;

use std::io::{BufRead, IsTerminal, Write};
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::config::{BuildOptions, SiteConfig};
use crate::diag::Diagnostic;

use rebuild::Rebuild;
use reload::Hub;
use watch::{ChangeSet, Signal, Watcher};

/// The port `serve` tries first, as in the default `base_url`.
pub const DEFAULT_PORT: u16 = 1111;

/// How many ports after a taken one are tried for a suggestion.
const PORTS_TO_TRY: u16 = 100;

/// How long open connections get to finish once Ctrl-C was pressed.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// What `dossier serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub root: PathBuf,
    pub bind: IpAddr,
    /// 0 for any free port.
    pub port: u16,
    pub drafts: bool,
    /// Open the site in the default browser once it is built.
    pub open: bool,
}

/// Why `serve` could not start. Build errors are not among them: those are
/// shown, and the preview goes on.
#[derive(Debug)]
pub enum ServeError {
    /// The port is taken; `free` is the next one that is not, if any.
    PortTaken {
        port: u16,
        free: Option<u16>,
    },
    Io(Diagnostic),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::PortTaken {
                port,
                free: Some(free),
            } => write!(
                f,
                "port {port} is taken; port {free} is free: run again with --port {free} (or --port 0 for any free port)"
            ),
            ServeError::PortTaken { port, free: None } => write!(
                f,
                "port {port} is taken, and so are the {PORTS_TO_TRY} after it: choose one with --port, or --port 0 for any free port"
            ),
            ServeError::Io(diagnostic) => write!(f, "{diagnostic}"),
        }
    }
}

/// Serves the site until Ctrl-C.
pub fn serve(options: &ServeOptions) -> Result<(), ServeError> {
    let listener = bind(options.bind, options.port)?;
    let address = listener
        .local_addr()
        .map_err(|e| io("find the address listened on", &e))?;
    let base_path = base_path(&options.root);
    let url = format!("http://{}{base_path}", url_host(address));

    let preview = preview_folder(&options.root).map_err(|e| io("create the preview folder", &e))?;
    let output = preview.path().join("site");
    let mut build_options = BuildOptions::new(&options.root);
    build_options.output = output.clone();
    build_options.base_url = Some(url.clone());
    build_options.drafts = options.drafts;

    let hub = Hub::new();
    let (signals, incoming) = std::sync::mpsc::channel();
    let watcher = Watcher::start(&options.root, signals.clone()).map_err(ServeError::Io)?;
    let mut rebuild = Rebuild::new(build_options);
    rebuild::build_and_tell(&mut rebuild, &ChangeSet::everything(), "first build", &hub);
    let builder = {
        let hub = hub.clone();
        std::thread::Builder::new()
            .name("dossier-rebuild".into())
            .spawn(move || rebuild::keep_building(rebuild, watcher, incoming, hub))
            .map_err(|e| io("start the build thread", &e))?
    };

    println!("Serving {url}");
    println!(
        "  from {} (a preview folder of its own; public/ is left alone)",
        output.display()
    );
    if !options.bind.is_loopback() {
        println!(
            "  reachable from other machines on the network (--bind {})",
            options.bind
        );
    }
    println!("  watching content/, templates/, themes/, static/ and dossier.yaml; Ctrl-C to stop");
    if options.open
        && let Err(e) = webbrowser::open(&url)
    {
        eprintln!("warning: cannot open a browser: {e}");
    }

    let state = Arc::new(http::AppState {
        output,
        base_path,
        hub: hub.clone(),
    });
    let served = run_server(listener, state, hub);
    // Stop watching and building before the preview folder goes.
    let _ = signals.send(Signal::Stop);
    let _ = builder.join();
    drop(preview);
    served?;
    println!("Stopped; the preview folder was removed");
    Ok(())
}

/// Runs the HTTP server on a runtime of its own until Ctrl-C (or SIGTERM).
fn run_server(
    listener: TcpListener,
    state: Arc<http::AppState>,
    hub: Arc<Hub>,
) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| io("start the server's runtime", &e))?;
    runtime.block_on(async move {
        listener
            .set_nonblocking(true)
            .map_err(|e| io("set up the listener", &e))?;
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| io("set up the listener", &e))?;
        let (stopping, stopped) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async move {
            stop_signal().await;
            println!("\nStopping…");
            // Live-reload streams never end by themselves: end them.
            hub.shutdown();
            let _ = stopping.send(());
        };
        let server = axum::serve(listener, http::router(state)).with_graceful_shutdown(shutdown);
        let server = async move { server.await.map_err(|e| io("serve", &e)) };
        tokio::pin!(server);
        tokio::select! {
            result = &mut server => result,
            // A connection that will not close does not hold up the exit for long.
            () = async {
                let _ = stopped.await;
                tokio::time::sleep(SHUTDOWN_GRACE).await;
            } => Ok(()),
        }
    })
}

/// Ctrl-C, or SIGTERM where there is one.
async fn stop_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = interrupt => {}
            () = terminate => {}
        }
    }
    #[cfg(not(unix))]
    interrupt.await;
}

/// Binds `bind:port`. When the port is taken, names the next free one and,
/// at a terminal, offers to use it.
fn bind(bind: IpAddr, port: u16) -> Result<TcpListener, ServeError> {
    bind_or_ask(bind, port, |port, free| {
        if !std::io::stdin().is_terminal() {
            return false;
        }
        eprint!("Port {port} is taken. Serve on port {free} instead? [Y/n] ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        matches!(
            answer.trim().to_ascii_lowercase().as_str(),
            "" | "y" | "yes"
        )
    })
}

/// [`bind`], with `ask(taken, free)` deciding whether to use the free port.
fn bind_or_ask(
    bind: IpAddr,
    port: u16,
    ask: impl FnOnce(u16, u16) -> bool,
) -> Result<TcpListener, ServeError> {
    let error = match TcpListener::bind((bind, port)) {
        Ok(listener) => return Ok(listener),
        Err(e) => e,
    };
    if error.kind() != std::io::ErrorKind::AddrInUse || port == 0 {
        return Err(ServeError::Io(Diagnostic::error(
            SocketAddr::new(bind, port).to_string(),
            format!("cannot listen here: {error}"),
        )));
    }
    let next = (port.saturating_add(1)..=port.saturating_add(PORTS_TO_TRY))
        .find_map(|p| TcpListener::bind((bind, p)).ok());
    let free = next
        .as_ref()
        .and_then(|l| l.local_addr().ok())
        .map(|a| a.port());
    match (next, free) {
        (Some(listener), Some(free)) if ask(port, free) => Ok(listener),
        _ => Err(ServeError::PortTaken { port, free }),
    }
}

/// The path part of the site's `base_url` (`/` or `/archive/`); `/` when the
/// config cannot be read (the first build then shows why).
fn base_path(root: &Path) -> String {
    SiteConfig::load(&BuildOptions::new(root))
        .map(|config| config.urls.root().to_string())
        .unwrap_or_else(|_| "/".to_string())
}

/// A preview built in memory needs room for about this many times the
/// bytes of `content/`: the site weighs six to seven times its sources, and
/// a full rebuild holds the old site and the new one at once.
const PREVIEW_ROOM_PER_CONTENT_BYTE: u64 = 16;
/// And this much besides, for the theme's files and some slack.
const PREVIEW_ROOM_EXTRA: u64 = 256 << 20;

/// A new, empty preview folder for the site at `root`, removed when dropped:
/// in memory (`/dev/shm` on Linux) when it has room for the site and
/// `TMPDIR` is not set, else in the system's temporary folder.
pub fn preview_folder(root: &Path) -> std::io::Result<tempfile::TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("dossier-serve-");
    match preview_parent(root).and_then(|parent| builder.tempdir_in(parent).ok()) {
        Some(folder) => Ok(folder),
        None => builder.tempdir(),
    }
}

/// Where the preview folder goes, when not in the system's temporary folder:
/// `/dev/shm` (memory) on Linux, if it has room for the site
/// ([`has_room`]) and `TMPDIR` does not name a place of the user's choosing.
/// A full rebuild writes the whole site again, and into a disk that costs
/// more than the build itself: 10,000 briefings took 6 to 10 s into `/tmp`
/// on ext4 on the benchmark machine, against 1.4 s into memory.
fn preview_parent(root: &Path) -> Option<PathBuf> {
    if !cfg!(target_os = "linux") || std::env::var_os("TMPDIR").is_some() {
        return None;
    }
    let shm = Path::new("/dev/shm");
    let stats = rustix::fs::statvfs(shm).ok()?;
    let free = stats.f_bavail.saturating_mul(stats.f_frsize);
    has_room(free, content_bytes(&root.join("content"))).then(|| shm.to_path_buf())
}

/// Whether `free` bytes hold the preview of a site whose `content/` has
/// `content` bytes.
fn has_room(free: u64, content: u64) -> bool {
    let needed = content
        .saturating_mul(PREVIEW_ROOM_PER_CONTENT_BYTE)
        .saturating_add(PREVIEW_ROOM_EXTRA);
    free >= needed
}

/// The bytes of the files under `dir` (what can be read of them).
fn content_bytes(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|entry| entry.metadata().ok())
        .filter(std::fs::Metadata::is_file)
        .map(|metadata| metadata.len())
        .sum()
}

/// The host part of the preview's URL: a wildcard address is reached as loopback.
fn url_host(address: SocketAddr) -> String {
    let ip = match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, address.port()).to_string()
}

fn io(action: &str, error: &std::io::Error) -> ServeError {
    ServeError::Io(Diagnostic::error(
        "serve",
        format!("cannot {action}: {error}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preview_goes_in_memory_only_with_room_for_the_site() {
        let mib = 1 << 20;
        // 60 MiB of sources (10,000 briefings): about a GiB and a quarter.
        assert!(has_room(2048 * mib, 60 * mib));
        assert!(!has_room(1024 * mib, 60 * mib));
        // Docker's default /dev/shm of 64 MiB holds no site at all.
        assert!(!has_room(64 * mib, 0));
        assert!(has_room(PREVIEW_ROOM_EXTRA, 0));
        assert!(!has_room(u64::MAX - 1, u64::MAX / 2), "no overflow");

        let dir = tempfile::tempdir().expect("a folder");
        let content = dir.path().join("content");
        std::fs::create_dir_all(content.join("briefings/2021")).expect("folders");
        std::fs::write(content.join("briefings/2021/a.md"), [b'a'; 300]).expect("a file");
        std::fs::write(content.join("people.md"), [b'b'; 12]).expect("a file");
        assert_eq!(content_bytes(&content), 312);
        assert_eq!(content_bytes(&dir.path().join("missing")), 0);
    }

    #[test]
    fn a_taken_port_names_the_next_free_one() {
        let taken = TcpListener::bind(("127.0.0.1", 0)).expect("bind a port");
        let port = taken.local_addr().expect("an address").port();
        let mut offered = None;
        let refuse = |taken, free| {
            offered = Some((taken, free));
            false
        };
        match bind_or_ask(IpAddr::from([127, 0, 0, 1]), port, refuse) {
            Err(ServeError::PortTaken { port: p, free }) => {
                assert_eq!(p, port);
                assert!(free.is_some_and(|f| f > port), "{free:?}");
                assert_eq!(offered, free.map(|f| (port, f)));
            }
            other => panic!("expected PortTaken, got {other:?}"),
        }
        let accept = |_, _| true;
        let listener = bind_or_ask(IpAddr::from([127, 0, 0, 1]), port, accept)
            .expect("the offered port is used when accepted");
        assert_ne!(listener.local_addr().map(|a| a.port()).ok(), Some(port));
    }

    #[test]
    fn wildcard_addresses_are_shown_as_loopback() {
        assert_eq!(
            url_host(SocketAddr::from(([0, 0, 0, 0], 8080))),
            "127.0.0.1:8080"
        );
        assert_eq!(url_host(SocketAddr::from(([0u16; 8], 8080))), "[::1]:8080");
    }
}
