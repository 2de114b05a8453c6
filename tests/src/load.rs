//! A constant-rate load generator: one request every `interval` through
//! the proxy, each on its own connection, counting every answer that is
//! not a 200 (and every connection error) as a failure.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// What a load run saw.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Requests answered 200.
    pub ok: u64,
    /// Requests that failed, with the first few reasons.
    pub failed: u64,
    /// Up to 10 failure reasons.
    pub reasons: Vec<String>,
    /// Bodies seen (distinct, in order of first appearance).
    pub bodies: Vec<String>,
}

/// A running load generator.
#[derive(Debug)]
pub struct Load {
    stop: CancellationToken,
    task: tokio::task::JoinHandle<LoadReport>,
    sent: Arc<AtomicU64>,
}

impl Load {
    /// Start sending `GET /` with `Host: host` to `proxy` every
    /// `interval`.
    #[must_use]
    pub fn start(proxy: SocketAddr, host: &str, interval: Duration) -> Self {
        let stop = CancellationToken::new();
        let sent = Arc::new(AtomicU64::new(0));
        let host = host.to_owned();
        let (token, counter) = (stop.clone(), Arc::clone(&sent));
        let task = tokio::spawn(async move {
            let mut report = LoadReport::default();
            let mut inflight = JoinSet::new();
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            loop {
                tokio::select! {
                    () = token.cancelled() => break,
                    _ = tick.tick() => {
                        counter.fetch_add(1, Ordering::Relaxed);
                        let host = host.clone();
                        inflight.spawn(async move { one(proxy, &host).await });
                    }
                    Some(done) = inflight.join_next(), if !inflight.is_empty() => {
                        record(&mut report, done);
                    }
                }
            }
            while let Some(done) = inflight.join_next().await {
                record(&mut report, done);
            }
            report
        });
        Self { stop, task, sent }
    }

    /// Requests sent so far.
    #[must_use]
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Stop, wait for the requests in flight, and report.
    ///
    /// # Panics
    ///
    /// When the generator task panicked.
    pub async fn finish(self) -> LoadReport {
        self.stop.cancel();
        self.task.await.expect("the load generator")
    }
}

fn record(report: &mut LoadReport, done: Result<Result<String, String>, tokio::task::JoinError>) {
    match done {
        Ok(Ok(body)) => {
            report.ok += 1;
            if !report.bodies.contains(&body) {
                report.bodies.push(body);
            }
        }
        Ok(Err(reason)) => {
            report.failed += 1;
            if report.reasons.len() < 10 {
                report.reasons.push(reason);
            }
        }
        Err(err) => {
            report.failed += 1;
            report.reasons.push(format!("task: {err}"));
        }
    }
}

async fn one(proxy: SocketAddr, host: &str) -> Result<String, String> {
    let attempt = async {
        let mut stream = TcpStream::connect(proxy).await.map_err(|e| e.to_string())?;
        let request = format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .await
            .map_err(|e| e.to_string())?;
        let raw = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
        if head.starts_with("HTTP/1.1 200") {
            Ok(body.trim().to_owned())
        } else {
            Err(head.lines().next().unwrap_or("no answer").to_owned())
        }
    };
    tokio::time::timeout(Duration::from_secs(10), attempt)
        .await
        .map_err(|_| "timed out after 10 s".to_owned())?
}
