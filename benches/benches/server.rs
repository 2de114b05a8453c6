//! The reference server as users run it: the release `rivetr serve`
//! binary on its embedded default (SQLite in the data dir, the local Docker
//! Engine).
//!
//! Measured:
//! 1. **Start-up**: from spawning `rivetr serve` to the first 200 from
//!    `/health`, on an empty data dir (first start: migrations, keys, setup
//!    token) and on a data dir with 100 apps (a restart), each
//!    `RIVETR_BENCH_STARTS` times (p50 / max). Target: under 300 ms.
//! 2. **Idle memory**: resident memory (`VmRSS`) of the server with 100
//!    apps registered, after answering a few requests and then sitting idle
//!    for `RIVETR_BENCH_IDLE_SECS` seconds. Target: under 20 MiB.
//! 3. **API list latency**: `GET /api/v1/apps`, `GET /api/v1/projects`,
//!    `GET /api/v1/tokens` and `GET /api/v1/teams/{team}/members`, each
//!    at a constant 500 requests a second for `RIVETR_BENCH_LOAD_SECS`
//!    seconds (open loop: requests are sent on schedule whether or not the
//!    previous ones answered; latency counts from the scheduled instant),
//!    over keep-alive connections. Target: p99 under 10 ms.
//!
//! The 100 apps (in 5 projects) and the admin's API token are written
//! with the same store and keys the server uses, before it starts.
//!
//! Run: `cargo bench -p rivetr-benches --bench server` (Docker must be
//! running; the test script's `scripts/lib/setup.sh` starts it). See
//! `benches/server/README.md` for results.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark binary reports on stdout and fails loudly"
)]

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rivetr_core::access::Scope;
use rivetr_core::model::{AppSpec, NewApiToken, NewApp, NewProject, NewUser, TokenScope};
use rivetr_core::store::{AppRepo, ProjectRepo, TeamRepo, TokenRepo, UserRepo};
use rivetr_server::auth::api_token::{ApiTokenSecret, TokenHasher};
use rivetr_server::auth::server_key::ServerKey;
use rivetr_server::config::Config;
use rivetr_store::SqlStore;
use tokio::sync::Mutex;

const APPS: usize = 100;
const PROJECTS: usize = 5;
const RATE: u64 = 500;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The release `rivetr` binary, built first (a no-op when up to date).
fn binary() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "rivetr-server",
            "--bin",
            "rivetr",
        ])
        .status()
        .expect("cargo build");
    assert!(status.success(), "building rivetr failed");
    let exe = std::env::current_exe().expect("bench binary path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/release")
        .join("rivetr")
}

fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A data dir with its config file.
struct Instance {
    dir: tempfile::TempDir,
    config: Config,
    api: SocketAddr,
}

impl Instance {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let api = free_port();
        let mut config = Config::default();
        config.server.data_dir = dir.path().join("data");
        config.server.api_listen = api;
        config.proxy.http_listen = free_port();
        config.proxy.https_listen = free_port();
        let toml = format!(
            "[server]\ndata_dir = {:?}\napi_listen = \"{api}\"\n\n[proxy]\nhttp_listen = \"{}\"\nhttps_listen = \"{}\"\n\n[log]\nlevel = \"warn\"\n",
            config.server.data_dir, config.proxy.http_listen, config.proxy.https_listen
        );
        std::fs::write(dir.path().join("rivetr.toml"), toml).unwrap();
        Self { dir, config, api }
    }

    /// Spawn `rivetr serve` and time it until `/health` answers 200.
    fn start(&self, binary: &Path) -> (Child, Duration) {
        let started = Instant::now();
        let mut child = Command::new(binary)
            .arg("serve")
            .arg("--config")
            .arg(self.dir.path().join("rivetr.toml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn rivetr");
        loop {
            if health(self.api) {
                return (child, started.elapsed());
            }
            if started.elapsed() > Duration::from_secs(30)
                || child.try_wait().is_ok_and(|s| s.is_some())
            {
                let _ = child.kill();
                let _ = child.wait();
                panic!("rivetr did not answer /health within 30 s (or exited)");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

fn health(api: SocketAddr) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(api) else {
        return false;
    };
    let _ = stream.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && &head[9..12] == b"200"
}

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", "--", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// Write 100 apps in 5 projects and an admin with an API token into the
/// instance's store, as the server would; returns the token and team id.
async fn seed(instance: &Instance) -> (String, String) {
    rivetr_server::platform::prepare_data_dir(&instance.config).unwrap();
    let store = SqlStore::open(instance.config.store_config().unwrap())
        .await
        .unwrap();
    let key = ServerKey::load_or_create(&instance.config.server.data_dir)
        .await
        .unwrap();
    let system = Scope::system();
    let user = store
        .create_user(
            &system,
            NewUser {
                email: "admin@bench.test".parse().unwrap(),
                name: "Bench Admin".parse().unwrap(),
                instance_admin: true,
            },
        )
        .await
        .unwrap();
    let team = store
        .create_team(&system, "Bench".parse().unwrap(), user.id)
        .await
        .unwrap();
    let scope = store.scope_for(user.id, team.id).await.unwrap();
    for p in 0..PROJECTS {
        let project = store
            .create_project(
                &scope,
                NewProject {
                    team_id: team.id,
                    name: format!("project {p}").parse().unwrap(),
                },
            )
            .await
            .unwrap();
        let environment = store.list_environments(&scope, project.id).await.unwrap()[0].id;
        for a in 0..APPS / PROJECTS {
            store
                .create_app(
                    &scope,
                    NewApp {
                        environment_id: environment,
                        name: format!("app-{p}-{a}").parse().unwrap(),
                        spec: AppSpec::from_image(
                            format!("registry.example/app-{a}:1").parse().unwrap(),
                        ),
                    },
                )
                .await
                .unwrap();
        }
    }
    let secret = ApiTokenSecret::generate().unwrap();
    store
        .create_token(
            &scope,
            NewApiToken {
                user_id: user.id,
                team_id: team.id,
                name: "bench".parse().unwrap(),
                scope: TokenScope::Admin,
                token_hash: TokenHasher::new(key.bytes()).hash(&secret),
                expires_at: None,
            },
        )
        .await
        .unwrap();
    (secret.expose().to_owned(), team.id.to_string())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// `GET path` at `RATE` per second for `secs`, open loop.
async fn load(
    client: &reqwest::Client,
    url: String,
    token: &str,
    secs: u64,
) -> (Vec<Duration>, u64) {
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let total = RATE * secs;
    let interval = Duration::from_micros(1_000_000 / RATE);
    let begin = tokio::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..total {
        let scheduled = begin + interval * u32::try_from(i).unwrap();
        tokio::time::sleep_until(scheduled).await;
        let (client, url, token) = (client.clone(), url.clone(), token.to_owned());
        let (latencies, failures) = (Arc::clone(&latencies), Arc::clone(&failures));
        tasks.spawn(async move {
            let ok = client
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false);
            if !ok {
                failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            latencies.lock().await.push(scheduled.elapsed());
        });
    }
    while tasks.join_next().await.is_some() {}
    let mut all = std::mem::take(&mut *latencies.lock().await);
    all.sort();
    (all, failures.load(std::sync::atomic::Ordering::Relaxed))
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let starts = env_u64("RIVETR_BENCH_STARTS", 10);
    let idle_secs = env_u64("RIVETR_BENCH_IDLE_SECS", 5);
    let load_secs = env_u64("RIVETR_BENCH_LOAD_SECS", 10);
    let binary = binary();

    // 1a. First start on an empty data dir.
    let mut first = Vec::new();
    for _ in 0..starts {
        let instance = Instance::new();
        let (child, took) = instance.start(&binary);
        first.push(took);
        stop(child);
    }
    first.sort();
    println!(
        "start-up, empty data dir ({starts} runs): p50 {} max {}",
        ms(percentile(&first, 0.5)),
        ms(*first.last().unwrap())
    );

    // 1b. Restarts with 100 apps.
    let instance = Instance::new();
    let (token, team) = seed(&instance).await;
    let mut warm = Vec::new();
    for _ in 0..starts {
        let (child, took) = instance.start(&binary);
        warm.push(took);
        stop(child);
    }
    warm.sort();
    println!(
        "start-up, {APPS} apps ({starts} runs): p50 {} max {}",
        ms(percentile(&warm, 0.5)),
        ms(*warm.last().unwrap())
    );

    // 2. Idle memory with 100 apps.
    let (child, _) = instance.start(&binary);
    let client = reqwest::Client::new();
    let base = format!("http://{}", instance.api);
    for path in ["/api/v1/apps", "/api/v1/projects", "/api/v1/auth/me"] {
        let status = client
            .get(format!("{base}{path}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status();
        println!("warm-up GET {path}: {status}");
    }
    tokio::time::sleep(Duration::from_secs(idle_secs)).await;
    let rss = resident_kib(child.id());
    println!(
        "idle resident memory, {APPS} apps, after {idle_secs} s idle: {:.1} MiB",
        rss as f64 / 1024.0
    );

    // 3. List endpoints: one at a time (the cost of one request), then at
    //    500 requests/s.
    let paths = [
        "/api/v1/apps".to_owned(),
        "/api/v1/projects".to_owned(),
        "/api/v1/tokens".to_owned(),
        format!("/api/v1/teams/{team}/members"),
    ];
    for path in &paths {
        let mut one = Vec::new();
        let mut bytes = 0;
        for _ in 0..200 {
            let started = Instant::now();
            let body = client
                .get(format!("{base}{path}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            one.push(started.elapsed());
            bytes = body.len();
        }
        one.sort();
        println!(
            "GET {path} one at a time: {bytes} bytes, p50 {} p99 {}",
            ms(percentile(&one, 0.5)),
            ms(percentile(&one, 0.99))
        );
    }
    for path in &paths {
        let (latencies, failures) = load(&client, format!("{base}{path}"), &token, load_secs).await;
        println!(
            "GET {path} at {RATE}/s for {load_secs} s: {} requests, {failures} failed, p50 {} p99 {} max {}",
            latencies.len(),
            ms(percentile(&latencies, 0.5)),
            ms(percentile(&latencies, 0.99)),
            ms(*latencies.last().unwrap_or(&Duration::ZERO)),
        );
    }
    let rss_after = resident_kib(child.id());
    println!(
        "resident memory after the load runs: {:.1} MiB",
        rss_after as f64 / 1024.0
    );
    stop(child);
}
