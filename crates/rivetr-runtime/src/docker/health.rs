//! One health probe of a container, over loopback.

use std::net::SocketAddr;
use std::time::Duration;

use bollard::Docker;
use rivetr_core::Result;
use rivetr_core::input::HttpPath;
use rivetr_core::model::{HealthCheck, HealthProbe};
use rivetr_core::runtime::{ContainerId, ContainerState, HealthStatus};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

use super::containers::{address_of, exit_code_of, inspect_raw, state_of};

/// How long a TCP probe waits to see whether the connection is dropped at
/// once: the engine's port proxy accepts connections even when nothing
/// listens in the container, then closes them.
const SETTLE: Duration = Duration::from_millis(200);
/// The most of a response read to find the status line.
const MAX_STATUS_LINE: usize = 8 * 1024;

/// Probe `id` once as `check` says, bounded by `check.timeout`.
#[tracing::instrument(skip_all, fields(id = %id, probe = ?check.probe))]
pub(crate) async fn check(
    docker: &Docker,
    id: &ContainerId,
    check: &HealthCheck,
) -> Result<HealthStatus> {
    let deadline = Instant::now() + check.timeout;
    let raw = match timeout(check.timeout, inspect_raw(docker, id)).await {
        Ok(raw) => raw?,
        Err(_) => {
            return Ok(unhealthy(format!(
                "inspecting container {id} took longer than {:?}",
                check.timeout
            )));
        }
    };
    match state_of(&raw) {
        ContainerState::Running => {}
        ContainerState::Created => {
            return Ok(unhealthy(format!("container {id} has not been started")));
        }
        ContainerState::Restarting => {
            return Ok(unhealthy(format!("container {id} is restarting or paused")));
        }
        ContainerState::Exited => {
            let code = exit_code_of(&raw).map_or_else(|| "unknown".to_owned(), |c| c.to_string());
            return Ok(unhealthy(format!(
                "container {id} is not running (exit code {code})"
            )));
        }
    }
    if check.probe == HealthProbe::Running {
        return Ok(HealthStatus::Healthy);
    }
    let Some(address) = address_of(&raw) else {
        return Ok(unhealthy(format!(
            "container {id} has no published port to probe"
        )));
    };
    let remaining = deadline.saturating_duration_since(Instant::now());
    let outcome = match &check.probe {
        HealthProbe::Http { path } => timeout(remaining, http(address, path)).await,
        _ => timeout(remaining, tcp(address, remaining)).await,
    };
    let status = match outcome {
        Ok(status) => status,
        Err(_) => unhealthy(format!(
            "no answer from {address} within {:?}",
            check.timeout
        )),
    };
    tracing::debug!(?status, "probed");
    Ok(status)
}

fn unhealthy(why: String) -> HealthStatus {
    HealthStatus::Unhealthy(why)
}

/// Connect; a connection the port proxy drops at once means nothing
/// listens behind it.
async fn tcp(address: SocketAddr, budget: Duration) -> HealthStatus {
    let mut stream = match TcpStream::connect(address).await {
        Ok(stream) => stream,
        Err(e) => return unhealthy(format!("cannot connect to {address}: {e}")),
    };
    let mut byte = [0u8; 1];
    match timeout(SETTLE.min(budget / 2), stream.read(&mut byte)).await {
        Ok(Ok(0)) | Ok(Err(_)) => unhealthy(format!(
            "{address} accepted the connection and closed it at once: nothing listens in the container"
        )),
        // Data (a server that speaks first) or silence: something listens.
        Ok(Ok(_)) | Err(_) => HealthStatus::Healthy,
    }
}

/// `GET path` over HTTP/1.1; 2xx and 3xx are healthy.
async fn http(address: SocketAddr, path: &HttpPath) -> HealthStatus {
    let mut stream = match TcpStream::connect(address).await {
        Ok(stream) => stream,
        Err(e) => return unhealthy(format!("cannot connect to {address}: {e}")),
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    if let Err(e) = stream.write_all(request.as_bytes()).await {
        return unhealthy(format!("sending GET {path} to {address}: {e}"));
    }
    let mut response = Vec::with_capacity(256);
    let mut buf = [0u8; 1024];
    while !response.contains(&b'\n') && response.len() < MAX_STATUS_LINE {
        match stream.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => response.extend_from_slice(buf.get(..n).unwrap_or_default()),
            Err(e) => return unhealthy(format!("reading the answer to GET {path}: {e}")),
        }
    }
    let line = response
        .split(|b| *b == b'\n')
        .next()
        .map(|l| String::from_utf8_lossy(l).trim().to_owned())
        .unwrap_or_default();
    if line.is_empty() {
        return unhealthy(format!(
            "GET {path} on {address}: the connection closed without an answer"
        ));
    }
    match parse_status(&line) {
        Some(code) if (200..400).contains(&code) => HealthStatus::Healthy,
        Some(_) => unhealthy(format!("GET {path} answered {line}")),
        None => unhealthy(format!(
            "GET {path} answered something that is not HTTP: {line:?}"
        )),
    }
}

/// The status code of an HTTP/1.x status line.
fn parse_status(line: &str) -> Option<u16> {
    let mut parts = line.split_whitespace();
    let version = parts.next()?;
    if !version.starts_with("HTTP/") {
        return None;
    }
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_lines() {
        assert_eq!(parse_status("HTTP/1.1 200 OK"), Some(200));
        assert_eq!(parse_status("HTTP/1.0 404 Not Found"), Some(404));
        assert_eq!(parse_status("SSH-2.0-OpenSSH"), None);
        assert_eq!(parse_status("HTTP/1.1"), None);
    }
}
