#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support: a failed setup step should fail the test loudly"
)]
//! Rivetr's end-to-end tests: they start the real `rivetr` binary with a
//! temporary data directory and free ports, and talk to it as a user
//! would. The engine's own scenario tests live in `rivetr-core/tests/`.
//!
//! [`Rivetr::start`] builds the binary if needed (through the `cargo` that
//! runs the tests), starts `rivetr serve` and waits until `/health`
//! answers; dropping it stops the server with SIGTERM.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub mod api;
pub mod load;

/// A running `rivetr serve`.
#[derive(Debug)]
pub struct Rivetr {
    child: Option<Child>,
    /// The temp dir holding the config file, the data dir and the log.
    pub dir: TempDir,
    /// Where the API listens.
    pub api: SocketAddr,
    /// Where the proxy serves plain HTTP.
    pub proxy: SocketAddr,
}

impl Rivetr {
    /// Start the server with the defaults plus `extra_toml` (appended to
    /// the generated config), and wait for `/health`.
    ///
    /// # Panics
    ///
    /// When the server does not come up within 60 s (its log is shown).
    #[must_use]
    pub fn start(extra_toml: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (api, proxy, https) = (free_port(), free_port(), free_port());
        let config = format!(
            "[server]\ndata_dir = {data:?}\napi_listen = \"{api}\"\n\n[proxy]\nhttp_listen = \"{proxy}\"\nhttps_listen = \"{https}\"\n\n{extra_toml}",
            data = dir.path().join("data"),
        );
        std::fs::write(dir.path().join("rivetr.toml"), config).expect("write config");
        let mut rivetr = Self {
            child: None,
            dir,
            api,
            proxy,
        };
        rivetr.spawn();
        rivetr
    }

    /// Stop the server if it runs, then start it again on the same config
    /// file and data directory (a restart), and wait for `/health`.
    pub fn restart(&mut self) {
        if self.child.is_some() {
            let _ = self.stop();
        }
        self.spawn();
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("rivetr.log"))
            .expect("log file");
        let child = Command::new(binary())
            .arg("serve")
            .arg("--config")
            .arg(self.dir.path().join("rivetr.toml"))
            .env_remove("RIVETR_CONFIG")
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("start rivetr");
        self.child = Some(child);
        self.wait_healthy(Duration::from_secs(60));
    }

    /// The data directory.
    #[must_use]
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The server's output so far.
    #[must_use]
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("rivetr.log")).unwrap_or_default()
    }

    fn wait_healthy(&mut self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            if get(self.api, "/health", "localhost").is_ok_and(|r| r.status == 200) {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!(
                    "rivetr exited with {status} before answering:\n{}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "rivetr did not answer /health within {within:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stop with SIGTERM and wait; returns the exit status.
    ///
    /// # Panics
    ///
    /// When it does not exit within 30 s.
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("still running");
        let pid = child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", "--", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().expect("wait for rivetr") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!(
                    "rivetr did not stop within 30 s of SIGTERM:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Rivetr {
    /// Kill the server with SIGKILL (no chance to clean up) and wait for
    /// it to be gone.
    pub fn kill9(&mut self) {
        let mut child = self.child.take().expect("still running");
        child.kill().expect("SIGKILL rivetr");
        let _ = child.wait();
    }

    /// `http://<api>`.
    #[must_use]
    pub fn api_url(&self) -> String {
        format!("http://{}", self.api)
    }

    /// The one-time setup token the first start wrote.
    #[must_use]
    pub fn setup_token(&self) -> String {
        std::fs::read_to_string(self.data_dir().join("setup-token"))
            .expect("the setup token file")
            .trim()
            .to_owned()
    }
}

impl Drop for Rivetr {
    fn drop(&mut self) {
        if self.child.is_some() {
            let _ = self.stop();
        }
    }
}

/// The `rivetr` binary: `RIVETR_E2E_BINARY` when set (the test command
/// points it at the binary its own `cargo test` just built), else built
/// first by the `cargo` running the tests (a no-op when up to date).
///
/// # Panics
///
/// When the build fails.
#[must_use]
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("RIVETR_E2E_BINARY") {
        return PathBuf::from(path);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "-p", "rivetr-server", "--bin", "rivetr"])
        .stdout(Stdio::null())
        .status()
        .expect("run cargo build");
    assert!(status.success(), "building rivetr failed");
    // The test binary is target/<profile>/deps/<name>; rivetr sits in
    // target/<profile>.
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile> directory");
    profile_dir.join("rivetr")
}

/// A port free at the time of asking on 127.0.0.1.
#[must_use]
pub fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr")
}

/// An HTTP response.
#[derive(Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Body as text.
    pub body: String,
}

/// A plain HTTP/1.1 `GET` with a `Host` header.
///
/// # Errors
///
/// When the connection fails or the answer is not HTTP.
pub fn get(addr: SocketAddr, path: &str, host: &str) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw)?;
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "not an HTTP response");
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(bad)?;
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok(Response { status, body })
}
