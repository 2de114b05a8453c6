//! One in-memory container: its state machine, output, probes and execs.

use std::net::{Ipv4Addr, SocketAddr};

use chrono::{DateTime, Utc};
use futures::stream::{self, BoxStream, StreamExt};
use tokio::sync::{mpsc, watch};

use super::ImageBehavior;
use crate::error::Result;
use crate::model::{HealthCheck, HealthProbe, LogStream};
use crate::runtime::{
    ContainerId, ContainerInfo, ContainerSpec, ContainerState, ContainerStats, ExecSession,
    HealthStatus, LogChunk, LogOptions,
};

#[derive(Debug)]
pub(super) struct Container {
    pub(super) spec: ContainerSpec,
    pub(super) name: String,
    behavior: ImageBehavior,
    ip: Ipv4Addr,
    created_at: DateTime<Utc>,
    exit_code: Option<i64>,
    probes: u32,
    output: Vec<(DateTime<Utc>, String)>,
    /// Dropped with the container, which ends followers and execs.
    state: watch::Sender<ContainerState>,
}

impl Container {
    /// A new container (not started yet) numbered `n`.
    pub(super) fn new(spec: &ContainerSpec, name: String, behavior: ImageBehavior, n: u32) -> Self {
        let [_, _, hi, lo] = n.to_be_bytes();
        Self {
            spec: spec.clone(),
            name,
            behavior,
            ip: Ipv4Addr::new(127, 77, hi, lo),
            created_at: Utc::now(),
            exit_code: None,
            probes: 0,
            output: Vec::new(),
            state: watch::channel(ContainerState::Created).0,
        }
    }

    pub(super) fn running(&self) -> bool {
        *self.state.borrow() == ContainerState::Running
    }

    /// Start the process: it prints its image's lines again.
    pub(super) fn start(&mut self) {
        let now = Utc::now();
        let lines = self.behavior.logs.iter().map(|line| (now, line.clone()));
        self.output.extend(lines);
        self.exit_code = None;
        self.probes = 0;
        self.state.send_replace(ContainerState::Running);
    }

    pub(super) fn exit(&mut self, code: i64) {
        self.exit_code = Some(code);
        self.state.send_replace(ContainerState::Exited);
    }

    pub(super) fn info(&self, id: &ContainerId) -> ContainerInfo {
        let state = *self.state.borrow();
        let running = state == ContainerState::Running;
        ContainerInfo {
            id: id.clone(),
            name: self.name.clone(),
            image: self.spec.image.clone(),
            labels: self.spec.labels.clone(),
            state,
            exit_code: self.exit_code,
            address: (self.spec.port)
                .filter(|_| running)
                .map(|port| SocketAddr::new(self.ip.into(), port.get())),
            created_at: self.created_at,
        }
    }

    /// Existing output as `options` selects it; with `follow` on a running
    /// container the stream then stays open until it stops.
    pub(super) fn logs(&self, options: &LogOptions) -> BoxStream<'static, Result<LogChunk>> {
        let lines: Vec<&String> = (self.output.iter())
            .filter(|(at, _)| options.since.is_none_or(|since| *at > since))
            .map(|(_, line)| line)
            .collect();
        let skip = options
            .tail
            .map_or(0, |tail| lines.len().saturating_sub(tail as usize));
        let chunks: Vec<Result<LogChunk>> = (lines.into_iter().skip(skip))
            .map(|line| {
                Ok(LogChunk {
                    stream: LogStream::Stdout,
                    bytes: format!("{line}\n").into_bytes(),
                })
            })
            .collect();
        let existing = stream::iter(chunks);
        if !(options.follow && self.running()) {
            return existing.boxed();
        }
        let mut state = self.state.subscribe();
        let until_exit = stream::once(async move { stopped(&mut state).await })
            .filter_map(|()| futures::future::ready(None));
        existing.chain(until_exit).boxed()
    }

    /// A plausible reading: fixed use, traffic growing with probes.
    pub(super) fn stats(&self) -> ContainerStats {
        if !self.running() {
            return ContainerStats::default();
        }
        let traffic = 1024 * u64::from(self.probes + 1);
        ContainerStats {
            cpu_percent: 0.5,
            memory_bytes: 12 * 1024 * 1024,
            memory_limit_bytes: 0,
            network_rx_bytes: traffic,
            network_tx_bytes: traffic * 2,
        }
    }

    /// A `cat` session, ended by dropping it or by the container stopping.
    /// Call only on a running container, inside a tokio runtime.
    pub(super) fn exec(&self) -> ExecSession {
        let mut state = self.state.subscribe();
        let (stdin, mut input) = mpsc::channel::<Vec<u8>>(16);
        let (echo, output) = mpsc::channel(16);
        let (resize, mut resizes) = mpsc::channel(4);
        tokio::spawn(async move {
            let mut resizes_open = true;
            loop {
                tokio::select! {
                    bytes = input.recv() => {
                        let Some(bytes) = bytes else { break };
                        if echo.send(bytes).await.is_err() {
                            break;
                        }
                    }
                    size = resizes.recv(), if resizes_open => resizes_open = size.is_some(),
                    () = stopped(&mut state) => break,
                }
            }
        });
        ExecSession {
            stdin,
            output,
            resize,
        }
    }

    /// One probe: healthy iff running and the image is healthy; counts
    /// towards `crash_after_probes`.
    pub(super) fn probe(&mut self, id: &ContainerId, check: &HealthCheck) -> HealthStatus {
        let unhealthy = |why: String| HealthStatus::Unhealthy(why);
        if !self.running() {
            return unhealthy(format!("container {id} is not running"));
        }
        let port = self.spec.port;
        if port.is_none() && !matches!(check.probe, HealthProbe::Running) {
            return unhealthy(format!("container {id} has no port to probe"));
        }
        self.probes += 1;
        if let Some(limit) = self.behavior.crash_after_probes
            && self.probes > limit
        {
            self.exit(137);
            return unhealthy(format!("container {id} exited with code 137"));
        }
        if self.behavior.healthy {
            return HealthStatus::Healthy;
        }
        let port = port.map_or(0, crate::input::Port::get);
        unhealthy(match &check.probe {
            HealthProbe::Http { path } => format!("GET {path} on port {port} answered 503"),
            HealthProbe::Tcp => format!("connection refused on port {port}"),
            HealthProbe::Running => "container reports unhealthy".to_owned(),
        })
    }
}

/// Resolves once the container is not running (or is removed).
async fn stopped(state: &mut watch::Receiver<ContainerState>) {
    let _ = state.wait_for(|s| *s != ContainerState::Running).await;
}
