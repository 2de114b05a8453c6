//! A complete PaaS in your own program: Rivetr's store, deploy engine,
//! HTTPS proxy and REST API, assembled by `Platform::builder`, with one
//! part of your own (a notifier that prints what happens).
//!
//! ```sh
//! cargo run -p example-embed-paas -- /tmp/my-paas          # SQLite + local Docker, until Ctrl-C
//! cargo run -p example-embed-paas -- /tmp/my-paas --memory # everything in memory (no Docker)
//! ```
//!
//! With `--smoke` it starts, checks `/health` and stops again (CI runs
//! that, on the in-memory parts).
#![allow(clippy::print_stdout, reason = "an example prints its progress")]

use std::error::Error;
use std::sync::Arc;

use async_trait::async_trait;
use rivetr_core::memory::{MemoryRuntime, MemoryStore};
use rivetr_core::model::Notification;
use rivetr_core::notifier::Notifier;
use rivetr_server::config::Config;
use rivetr_server::platform::Platform;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Your own part: every deployment event, printed.
#[derive(Debug)]
struct PrintNotifier;

#[async_trait]
impl Notifier for PrintNotifier {
    fn name(&self) -> &str {
        "print"
    }

    async fn notify(&self, n: &Notification) -> rivetr_core::Result<()> {
        println!("[{:?}] {}: {}", n.level, n.title, n.body);
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    let data_dir = args.iter().find(|a| !a.starts_with("--")).map_or_else(
        || std::env::temp_dir().join(format!("rivetr-embed-{}", std::process::id())),
        std::path::PathBuf::from,
    );

    // 1. Configuration: the defaults, a data dir, and ports of our choosing
    //    (port 0 = any free port). A TOML file works too:
    //    `rivetr_server::config::load(path, std::env::vars())`.
    let mut config = Config::default();
    config.server.data_dir = data_dir;
    config.server.api_listen = "127.0.0.1:0".parse()?;
    config.proxy.http_listen = "127.0.0.1:0".parse()?;

    // 2. Assembly: anything not replaced is built from the config (SQLite
    //    in the data dir, the local Docker Engine, git and archive sources,
    //    Dockerfile and static-site builders).
    let mut builder = Platform::builder(config).notifier(Arc::new(PrintNotifier));
    if flag("--memory") || flag("--smoke") {
        builder = builder
            .store(Arc::new(MemoryStore::new()))
            .runtime(Arc::new(MemoryRuntime::new()));
    }
    let platform = builder.start().await?;
    println!("API:   http://{}/api/v1/openapi.json", platform.api_addr());
    println!("proxy: http://{}", platform.proxy_addr());
    if platform.setup_token().is_pending().await? {
        println!(
            "first admin: POST /api/v1/setup with the token in {}",
            platform.setup_token().path().display()
        );
    }

    // 3. Run until Ctrl-C (or, for --smoke, until /health answers).
    if flag("--smoke") {
        let mut stream = tokio::net::TcpStream::connect(platform.api_addr()).await?;
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await?;
        let healthy = answer.starts_with("HTTP/1.1 200");
        println!("health: {}", if healthy { "ok" } else { "NOT OK" });
        platform.shutdown().await;
        return if healthy {
            Ok(())
        } else {
            Err("the platform did not answer /health".into())
        };
    }
    tokio::signal::ctrl_c().await?;

    // 4. Shutdown in reverse order: API, engine, proxy, store.
    platform.shutdown().await;
    Ok(())
}
