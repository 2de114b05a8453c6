#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line program: it prints where it listens, and its errors"
)]
//! The benchmark's upstream (`benches/proxy/run`): a keep-alive HTTP/1.1
//! server answering every request with the same tiny body, so that what a
//! benchmark measures is the proxy in front of it.
//!
//! ```text
//! cargo run --release -p rivetr-proxy --example bench_backend -- \
//!     --listen 127.0.0.1:9000 [--threads N]
//! ```
//!
//! Prints `listening on http://ADDR` once bound; runs until killed.

use std::convert::Infallible;
use std::error::Error;
use std::net::SocketAddr;
use std::process::ExitCode;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The body of every response.
const BODY: &[u8] = b"hello from the bench backend\n";

const USAGE: &str = "usage: bench_backend --listen ADDR [--threads N]";

fn main() -> ExitCode {
    let (listen, threads) = match parse(std::env::args().skip(1)) {
        Ok(parsed) => parsed,
        Err(error) => {
            eprintln!("bench_backend: {error}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = threads {
        builder.worker_threads(threads);
    }
    let result = match builder.enable_all().build() {
        Ok(runtime) => runtime.block_on(serve(listen)),
        Err(error) => Err(error.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench_backend: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `--listen ADDR [--threads N]`.
fn parse(mut argv: impl Iterator<Item = String>) -> Result<(SocketAddr, Option<usize>), String> {
    let (mut listen, mut threads) = (None, None);
    while let Some(flag) = argv.next() {
        let value = argv.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--listen" => {
                listen = Some(
                    value
                        .parse()
                        .map_err(|e| format!("--listen {value:?}: {e}"))?,
                );
            }
            "--threads" => match value.parse::<usize>() {
                Ok(n) if n > 0 => threads = Some(n),
                _ => return Err(format!("--threads {value:?}: expected a number above 0")),
            },
            _ => return Err(format!("unknown flag {flag:?}")),
        }
    }
    Ok((listen.ok_or("--listen is required")?, threads))
}

async fn serve(listen: SocketAddr) -> Result<(), Box<dyn Error>> {
    let listener = TcpListener::bind(listen).await?;
    println!("listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        tokio::spawn(async move {
            let service = service_fn(|_req: Request<hyper::body::Incoming>| async {
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(BODY))))
            });
            // A client that goes away mid-request is not our concern.
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
