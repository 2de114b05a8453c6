//! The deploy engine's figures, counted from its event stream.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use rivetr_core::engine::Engine;
use rivetr_core::model::{DeploymentStatus, Event};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

/// Counts of the engine's events.
#[derive(Debug, Default)]
pub struct EngineMetrics {
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    transitions: BTreeMap<&'static str, u64>,
    containers_died: u64,
    route_changes: u64,
    lagged: u64,
}

impl EngineMetrics {
    /// Count `engine`'s events until `stop` is cancelled.
    #[must_use]
    pub fn watch(engine: &Engine, stop: CancellationToken) -> Arc<Self> {
        let metrics = Arc::new(Self::default());
        let mut events = engine.subscribe();
        let counting = Arc::clone(&metrics);
        tokio::spawn(async move {
            loop {
                let event = tokio::select! {
                    () = stop.cancelled() => return,
                    event = events.recv() => event,
                };
                match event {
                    Ok(event) => counting.count(&event),
                    Err(RecvError::Lagged(n)) => counting.lock().lagged += n,
                    Err(RecvError::Closed) => return,
                }
            }
        });
        metrics
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn count(&self, event: &Event) {
        let mut counts = self.lock();
        match event {
            Event::DeploymentChanged { status, .. } => {
                *counts.transitions.entry(status.as_str()).or_default() += 1;
            }
            Event::ContainerDied { .. } => counts.containers_died += 1,
            Event::RoutesChanged { .. } => counts.route_changes += 1,
            _ => {}
        }
    }

    pub(super) fn render(&self, out: &mut String) {
        let counts = self.lock();
        out.push_str("# HELP rivetr_engine_deployment_transitions_total Deployments entering each status.\n# TYPE rivetr_engine_deployment_transitions_total counter\n");
        for status in DeploymentStatus::ALL {
            let n = counts
                .transitions
                .get(status.as_str())
                .copied()
                .unwrap_or(0);
            let _ = writeln!(
                out,
                "rivetr_engine_deployment_transitions_total{{status=\"{}\"}} {n}",
                status.as_str()
            );
        }
        let _ = writeln!(
            out,
            "# HELP rivetr_engine_containers_died_total Live containers that stopped unexpectedly.\n# TYPE rivetr_engine_containers_died_total counter\nrivetr_engine_containers_died_total {}",
            counts.containers_died
        );
        let _ = writeln!(
            out,
            "# HELP rivetr_engine_route_changes_total Route switches, rollbacks and restores.\n# TYPE rivetr_engine_route_changes_total counter\nrivetr_engine_route_changes_total {}",
            counts.route_changes
        );
        let _ = writeln!(
            out,
            "# HELP rivetr_engine_events_lagged_total Engine events the metrics missed.\n# TYPE rivetr_engine_events_lagged_total counter\nrivetr_engine_events_lagged_total {}",
            counts.lagged
        );
    }
}
