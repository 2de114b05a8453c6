#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line program: it prints where it listens, and its errors"
)]
//! The proxy alone, for benchmarks and for trying it out:
//!
//! ```text
//! cargo run --release -p rivetr-proxy --example standalone -- \
//!     --listen 127.0.0.1:8080 --route app.example.com=127.0.0.1:3000,127.0.0.1:3001 \
//!     --route '*=127.0.0.1:4000' --threads 1
//! ```
//!
//! Each `--route` becomes one app in a
//! [`ProxyRouteTable`]; the `*` route is the table's
//! [fallback](ProxyRouteTable::set_fallback), taking every host that no
//! other route matches (only hosts that are domain names: a request whose
//! `Host` is an IP address gets 400 before routing). With `--tls-listen`,
//! `--tls-cert` and `--tls-key` it also serves HTTPS (HTTP/2 or HTTP/1.1 by
//! ALPN) with that one certificate, whatever the SNI. It runs until killed.
//! `--help` lists the flags.

mod args;

/// jemalloc hands the memory of idle connections back to the system,
/// where glibc's allocator keeps what per-request allocations freed.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::error::Error;
use std::process::ExitCode;
use std::time::Duration;

use rivetr_core::id::AppId;
use rivetr_core::route::{AppRoutes, HostRoute, RouteTable, SwitchOptions};
use rivetr_proxy::server::{Proxy, ProxyConfig};
use rivetr_proxy::table::ProxyRouteTable;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use self::args::{ArgError, Args, Hosts, USAGE};

/// The name given to the catch-all route's settings (never matched).
const CATCH_ALL_NAME: &str = "catch-all.invalid";

fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) if args.help => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(args) => args,
        Err(error) => {
            eprintln!("standalone: {error}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // One thread: the current_thread runtime, which skips the
    // multi-thread scheduler's handoffs (about 15% less CPU per request
    // than a multi-thread runtime with one worker, see benches/proxy).
    let runtime = if args.threads == Some(1) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        if let Some(threads) = args.threads {
            builder.worker_threads(threads);
        }
        builder.enable_all().build()
    };
    let result = match runtime {
        Ok(runtime) => runtime.block_on(run(args)),
        Err(error) => Err(error.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("standalone: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn Error>> {
    let table = table(&args).await?;
    let mut config = ProxyConfig::default();
    if let Some(timeout) = args.header_timeout {
        config.header_read_timeout = timeout;
    }
    if let Some(timeout) = args.idle_timeout {
        config.idle_timeout = timeout;
    }
    let proxy = Proxy::builder(config, table).build()?;
    let shutdown = CancellationToken::new();
    let mut servers = JoinSet::new();
    for addr in &args.listen {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| ArgError(format!("--listen {addr}: {e}")))?;
        println!("listening on http://{}", listener.local_addr()?);
        let (proxy, shutdown) = (proxy.clone(), shutdown.clone());
        servers.spawn(async move { proxy.serve_http(listener, shutdown).await });
    }
    if let Some(tls) = &args.tls {
        tls::serve(&proxy, tls, &shutdown, &mut servers).await?;
    }
    // Serve until killed; a server that stops early is an error.
    while let Some(ended) = servers.join_next().await {
        ended??;
    }
    Ok(())
}

/// One app per `--route`, switched to its upstreams; `*` is the fallback.
async fn table(args: &Args) -> Result<ProxyRouteTable, Box<dyn Error>> {
    let table = ProxyRouteTable::new();
    let options = SwitchOptions {
        health_check: None,
        drain_timeout: Duration::ZERO,
    };
    for route in &args.routes {
        let app = AppId::new();
        match &route.hosts {
            Hosts::Any => {
                let settings = HostRoute::plain(CATCH_ALL_NAME.parse()?);
                table.set_fallback(Some((app, settings)));
            }
            Hosts::Pattern(pattern) => {
                let routes = AppRoutes {
                    hosts: vec![HostRoute::plain(pattern.clone())],
                    maintenance_page: None,
                };
                table.set_routes(app, routes).await?;
            }
        }
        table.switch(app, route.upstreams.clone(), &options).await?;
    }
    Ok(table)
}

/// HTTPS listeners (`--tls-listen`): one certificate, served as the
/// resolver's default whatever the SNI.
mod tls {
    use rivetr_proxy::tls::{CertResolver, CertSource, load_pem_files, server_config};
    use tokio::net::TcpListener;

    use super::{ArgError, CancellationToken, Error, JoinSet, Proxy};
    use crate::args::TlsArgs;

    pub(super) async fn serve(
        proxy: &Proxy,
        tls: &TlsArgs,
        shutdown: &CancellationToken,
        servers: &mut JoinSet<std::io::Result<()>>,
    ) -> Result<(), Box<dyn Error>> {
        let key = load_pem_files(&tls.cert, &tls.key)?;
        let resolver = CertResolver::new();
        resolver.set_default(CertSource::Static(key));
        let config = server_config(resolver)?;
        for addr in &tls.listen {
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|e| ArgError(format!("--tls-listen {addr}: {e}")))?;
            println!("listening on https://{}", listener.local_addr()?);
            let (proxy, shutdown, config) = (proxy.clone(), shutdown.clone(), config.clone());
            servers.spawn(async move { proxy.serve_https(listener, config, shutdown).await });
        }
        Ok(())
    }
}
