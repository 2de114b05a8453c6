//! Health probes run by a [`switch`](rivetr_core::route::RouteTable::switch)
//! before it swaps: an HTTP GET (any 2xx or 3xx is healthy) or a TCP
//! connect, repeated every `interval` until the upstream passes or the
//! check's `deadline` ends.
//!
//! # Timings
//!
//! The check's own timings are used, so a caller picks them per app;
//! [`HealthCheck::http`] and [`HealthCheck::tcp`] default to a **short
//! interval of 250 ms** between probes (kamal-proxy waits a full second), a
//! 2 s timeout per probe and a 60 s deadline. Two guards apply on top:
//!
//! - one probe never runs past the deadline (its timeout is cut to the time
//!   left), so a hanging upstream fails the switch on time;
//! - the pause between probes is at least [`MIN_PROBE_INTERVAL`], so a zero
//!   interval does not spin.
//!
//! The HTTP probe is a minimal HTTP/1.1 client on its own connection:
//! `GET <path>` with `Host: <upstream address>` and `Connection: close`;
//! only the status line is read.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use rivetr_core::model::{HealthCheck, HealthProbe};
use rivetr_core::route::Upstream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// The shortest pause between two probes of one upstream, whatever the
/// check's `interval` says.
pub const MIN_PROBE_INTERVAL: Duration = Duration::from_millis(10);

/// The most bytes read while looking for the status line.
const MAX_STATUS_LINE: usize = 1024;

/// The checks of one upstream, until it passes or its deadline ends.
type Probe<'a> = Pin<Box<dyn Future<Output = Result<(), Unhealthy>> + Send + 'a>>;

/// Why one probe found an upstream unhealthy.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ProbeError {
    /// The connection or the exchange failed.
    #[error("{doing}: {source}")]
    Io {
        /// What the probe was doing.
        doing: &'static str,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The probe took longer than its timeout.
    #[error("no answer within {0:?}")]
    TimedOut(Duration),
    /// The upstream answered with a status that is not 2xx or 3xx.
    #[error("answered HTTP {0}")]
    Status(u16),
    /// The answer did not start with an HTTP/1 status line.
    #[error("answered something that is not an HTTP/1 status line")]
    NotHttp,
    /// The deadline ended before any probe ran.
    #[error("the deadline ended before a probe could run")]
    NoTime,
}

/// Why an upstream did not pass its health check by the deadline.
#[derive(Debug, thiserror::Error)]
#[error("upstream {addr} failed its health check ({probe}) within {deadline:?}: {last}")]
pub(crate) struct Unhealthy {
    /// The upstream.
    pub(crate) addr: SocketAddr,
    /// What was probed (e.g. `HTTP GET /health`).
    pub(crate) probe: String,
    /// The check's deadline.
    pub(crate) deadline: Duration,
    /// Why the last probe failed.
    #[source]
    pub(crate) last: ProbeError,
}

/// Check every one of `upstreams` (concurrently, on this task) until each
/// passes `check` or its deadline ends. The first failure ends the wait;
/// dropping the returned future stops every probe.
pub(crate) async fn all_healthy(
    upstreams: &[Upstream],
    check: &HealthCheck,
) -> Result<(), Unhealthy> {
    let mut addrs: Vec<SocketAddr> = upstreams.iter().map(|u| u.addr).collect();
    addrs.sort_unstable();
    addrs.dedup();
    let mut probes: Vec<Probe<'_>> = (addrs.into_iter())
        .map(|addr| Box::pin(until_healthy(addr, check)) as Probe<'_>)
        .collect();
    std::future::poll_fn(|cx| {
        let mut failed = None;
        probes.retain_mut(|probe| match probe.as_mut().poll(cx) {
            Poll::Ready(Ok(())) => false,
            Poll::Ready(Err(unhealthy)) => {
                failed.get_or_insert(unhealthy);
                false
            }
            Poll::Pending => true,
        });
        match failed {
            Some(unhealthy) => Poll::Ready(Err(unhealthy)),
            None if probes.is_empty() => Poll::Ready(Ok(())),
            None => Poll::Pending,
        }
    })
    .await
}

/// Probe `addr` every `check.interval` until it passes or `check.deadline`
/// ends.
pub(crate) async fn until_healthy(addr: SocketAddr, check: &HealthCheck) -> Result<(), Unhealthy> {
    let deadline = Instant::now() + check.deadline;
    let interval = check.interval.max(MIN_PROBE_INTERVAL);
    let mut last = ProbeError::NoTime;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let timeout = check.timeout.min(left);
        let started = Instant::now();
        match tokio::time::timeout(timeout, probe_once(addr, &check.probe)).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(error)) => last = error,
            Err(_elapsed) => last = ProbeError::TimedOut(timeout),
        }
        tracing::debug!(%addr, error = %last, "health probe failed");
        let next = (started + interval).min(deadline);
        if next >= deadline {
            break;
        }
        tokio::time::sleep_until(next).await;
    }
    Err(Unhealthy {
        addr,
        probe: describe(&check.probe),
        deadline: check.deadline,
        last,
    })
}

/// One probe, without a timeout (the caller bounds it).
async fn probe_once(addr: SocketAddr, probe: &HealthProbe) -> Result<(), ProbeError> {
    match probe {
        HealthProbe::Http { path } => http_get(addr, path.as_str()).await,
        HealthProbe::Tcp => connect(addr).await.map(drop),
        // The runtime watches containers; the proxy has nothing to probe.
        HealthProbe::Running => Ok(()),
    }
}

async fn connect(addr: SocketAddr) -> Result<TcpStream, ProbeError> {
    TcpStream::connect(addr)
        .await
        .map_err(|source| ProbeError::Io {
            doing: "connect",
            source,
        })
}

/// `GET path` on a fresh connection; healthy on a 2xx or 3xx status line.
async fn http_get(addr: SocketAddr, path: &str) -> Result<(), ProbeError> {
    let mut stream = connect(addr).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: rivetr-proxy health check\r\n\
         Accept: */*\r\nConnection: close\r\n\r\n"
    );
    (stream.write_all(request.as_bytes()).await).map_err(|source| ProbeError::Io {
        doing: "send the request",
        source,
    })?;
    let mut head = Vec::with_capacity(128);
    let mut buf = [0_u8; 256];
    while !head.contains(&b'\n') && head.len() < MAX_STATUS_LINE {
        let n = (stream.read(&mut buf).await).map_err(|source| ProbeError::Io {
            doing: "read the answer",
            source,
        })?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(buf.get(..n).unwrap_or_default());
    }
    let status = status_code(&head).ok_or(ProbeError::NotHttp)?;
    if (200..400).contains(&status) {
        Ok(())
    } else {
        Err(ProbeError::Status(status))
    }
}

/// The status code of an HTTP/1 status line (`HTTP/1.1 200 OK`).
fn status_code(head: &[u8]) -> Option<u16> {
    let line = head.split(|&b| b == b'\n').next()?;
    let rest = line.strip_prefix(b"HTTP/1.")?;
    let code = rest.get(2..5)?;
    if rest.get(1) != Some(&b' ') || !code.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(code).ok()?.parse().ok()
}

/// The probe, for error messages.
fn describe(probe: &HealthProbe) -> String {
    match probe {
        HealthProbe::Http { path } => format!("HTTP GET {path}"),
        HealthProbe::Tcp => "TCP connect".to_owned(),
        HealthProbe::Running => "running".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(status_code(b"HTTP/1.1 200 OK\r\n"), Some(200));
        assert_eq!(status_code(b"HTTP/1.0 302 Found\r\n"), Some(302));
        assert_eq!(status_code(b"HTTP/1.1 503\r\n"), Some(503));
        assert_eq!(status_code(b"HTTP/2 200\r\n"), None);
        assert_eq!(status_code(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(status_code(b"HTTP/1.1 2x0 OK\r\n"), None);
        assert_eq!(status_code(b""), None);
    }
}
