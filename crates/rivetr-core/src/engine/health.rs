//! Waiting for new containers to pass their health check.

use std::time::Duration;

use futures::future::try_join_all;
use tokio::time::Instant;

use crate::error::{Error, Result};
use crate::log_sink::LogSink;
use crate::model::{HealthCheck, HealthProbe, RunSpec, RunningContainer};
use crate::runtime::{ContainerRuntime, HealthStatus};

/// The check an app's containers must pass: the configured one, else a TCP
/// connect to its port, else "running" for apps without a port.
pub(crate) fn effective_check(run: &RunSpec) -> HealthCheck {
    match (&run.health_check, &run.port) {
        (Some(check), _) => check.clone(),
        (None, Some(_)) => HealthCheck::tcp(),
        (None, None) => HealthCheck {
            probe: HealthProbe::Running,
            ..HealthCheck::tcp()
        },
    }
}

/// Probe every container until all are healthy, or fail when one is not
/// healthy by the check's deadline.
pub(crate) async fn wait_all_healthy(
    runtime: &dyn ContainerRuntime,
    containers: &[RunningContainer],
    check: &HealthCheck,
    log: &LogSink,
) -> Result<()> {
    log.info(&format!(
        "Waiting for {} container(s) to pass the {} health check (deadline {}s)",
        containers.len(),
        describe(&check.probe),
        check.deadline.as_secs()
    ));
    try_join_all(
        containers
            .iter()
            .map(|c| wait_healthy(runtime, c, check, log)),
    )
    .await?;
    log.info("All containers are healthy");
    Ok(())
}

async fn wait_healthy(
    runtime: &dyn ContainerRuntime,
    container: &RunningContainer,
    check: &HealthCheck,
    log: &LogSink,
) -> Result<()> {
    let deadline = Instant::now() + check.deadline;
    let mut attempts: u32 = 0;
    loop {
        attempts += 1;
        let status = match tokio::time::timeout(
            check.timeout.max(Duration::from_millis(1)),
            runtime.check_health(&container.id, check),
        )
        .await
        {
            Ok(status) => status?,
            Err(_) => HealthStatus::Unhealthy(format!(
                "no answer within {} ms",
                check.timeout.as_millis()
            )),
        };
        let reason = match status {
            HealthStatus::Healthy => return Ok(()),
            HealthStatus::Unhealthy(reason) => reason,
        };
        // First failure, then every tenth: enough to follow, not a flood.
        if attempts == 1 || attempts.is_multiple_of(10) {
            log.info(&format!(
                "Container {} is not healthy yet (attempt {attempts}): {reason}",
                container.id
            ));
        }
        let next = Instant::now() + check.interval;
        if next > deadline {
            return Err(Error::timeout(format!(
                "container {} did not pass its health check within {}s ({attempts} attempts; last: {reason})",
                container.id,
                check.deadline.as_secs_f32()
            ))
            .with_retryable(false));
        }
        tokio::time::sleep_until(next).await;
    }
}

fn describe(probe: &HealthProbe) -> String {
    match probe {
        HealthProbe::Http { path } => format!("HTTP GET {path}"),
        HealthProbe::Tcp => "TCP connect".to_owned(),
        HealthProbe::Running => "container running".to_owned(),
    }
}
