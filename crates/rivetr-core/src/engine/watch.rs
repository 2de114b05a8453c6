//! After the switch: watch the new version, roll back automatically when it
//! fails inside its watch window, and clean up the old version.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::pipeline::Run;
use super::{containers, health, routes};
use crate::error::{Error, Result};
use crate::log_sink::LogSink;
use crate::model::{
    App, Deployment, DeploymentStatus, DeploymentUpdate, Event, Notification, NotificationLevel,
    RunningContainer,
};
use crate::route::SwitchOptions;
use crate::runtime::{ContainerState, HealthStatus};

/// What the watch window found.
enum Verdict {
    /// The window passed with the new version healthy.
    Passed,
    /// A newer deployment was queued, or the engine is stopping: stop
    /// watching and keep the new version.
    Interrupted,
    /// The new version failed.
    Failed(String),
}

/// Watch the version that just went live, then retire the old one.
pub(crate) async fn after_live(run: &mut Run, previous: Option<Deployment>, wake: &Arc<Notify>) {
    let Some(app) = run.app.clone() else {
        return;
    };
    let Some(previous) = previous else {
        return;
    };
    let log = run.sink();
    let window = app.spec.deploy.watch_window;
    if !window.is_zero() {
        log.info(&format!(
            "Watching the new version for {}s; it is rolled back to #{} if it fails",
            window.as_secs(),
            previous.number
        ));
        match observe(run, &app, window, wake, &log).await {
            Verdict::Passed => log.info("The watch window passed; the new version stays"),
            Verdict::Interrupted => log.info("Watch ended early: a newer deployment is queued"),
            Verdict::Failed(reason) => {
                if roll_back(run, &app, &previous, &reason, &log).await {
                    return;
                }
            }
        }
    }
    log.info(&format!(
        "Removing the {} container(s) of deployment #{}",
        previous.containers.len(),
        previous.number
    ));
    containers::remove_all(&run.inner, &previous.containers, &log).await;
}

async fn observe(
    run: &Run,
    app: &App,
    window: Duration,
    wake: &Arc<Notify>,
    log: &LogSink,
) -> Verdict {
    let runtime = run.inner.parts.runtime.as_ref();
    let check = health::effective_check(&app.spec.run);
    let deadline = Instant::now() + window;
    let mut failures = 0_u32;
    loop {
        let next = Instant::now() + run.inner.config.watch_interval;
        tokio::select! {
            () = tokio::time::sleep_until(next.min(deadline)) => {}
            () = wake.notified() => {
                if newer_queued(run).await {
                    return Verdict::Interrupted;
                }
                continue;
            }
            () = run.inner.shutdown.cancelled() => return Verdict::Interrupted,
        }
        for container in &run.deployment.containers {
            match runtime.inspect_container(&container.id).await {
                Ok(info) if info.state != ContainerState::Running => {
                    run.inner.emit(Event::ContainerDied {
                        team_id: app.team_id,
                        app_id: app.id,
                        container: container.id.clone(),
                    });
                    return Verdict::Failed(format!(
                        "container {} exited (code {}) inside the watch window",
                        container.id,
                        info.exit_code
                            .map_or_else(|| "unknown".to_owned(), |c| c.to_string())
                    ));
                }
                Ok(_) => {}
                Err(err) => {
                    return Verdict::Failed(format!(
                        "container {} disappeared inside the watch window: {err}",
                        container.id
                    ));
                }
            }
            match runtime.check_health(&container.id, &check).await {
                Ok(HealthStatus::Healthy) => failures = 0,
                Ok(HealthStatus::Unhealthy(reason)) => {
                    failures += 1;
                    log.info(&format!(
                        "Health check failed inside the watch window ({failures}/{}): {reason}",
                        run.inner.config.watch_failures
                    ));
                    if failures >= run.inner.config.watch_failures {
                        return Verdict::Failed(format!(
                            "health check failed {failures} times in a row inside the watch window: {reason}"
                        ));
                    }
                }
                Err(err) => log.info(&format!("Could not probe {}: {err}", container.id)),
            }
        }
        if Instant::now() >= deadline {
            return Verdict::Passed;
        }
    }
}

/// Put `previous` back live. Returns whether the rollback happened; when it
/// could not, the new version stays live and the failure is reported.
async fn roll_back(
    run: &mut Run,
    app: &App,
    previous: &Deployment,
    reason: &str,
    log: &LogSink,
) -> bool {
    log.info(&format!(
        "The new version failed: {reason}. Rolling back to deployment #{}",
        previous.number
    ));
    match restore(run, app, previous, log).await {
        Ok(restored) => {
            let failed_containers = run.deployment.containers.clone();
            if let Err(err) = run
                .advance(
                    DeploymentUpdate::to(DeploymentStatus::RolledBack)
                        .reason(format!("rolled back to #{}: {reason}", previous.number)),
                )
                .await
            {
                tracing::error!(error = %err, "cannot record the rollback");
            }
            match run
                .inner
                .parts
                .store
                .transition_deployment(
                    &run.scope,
                    previous.id,
                    DeploymentStatus::Replaced,
                    DeploymentUpdate::to(DeploymentStatus::Live).containers(restored),
                )
                .await
            {
                Ok(live) => run.announce(&live),
                Err(err) => {
                    tracing::error!(error = %err, "cannot mark the previous deployment live");
                }
            }
            containers::remove_all(&run.inner, &failed_containers, log).await;
            log.info(&format!("Deployment #{} is live again", previous.number));
            failure(
                run,
                app,
                format!(
                    "{} deployment #{} was rolled back to #{}",
                    app.name, run.deployment.number, previous.number
                ),
                reason.to_owned(),
            );
            true
        }
        Err(err) => {
            log.info(&format!(
                "The automatic rollback failed: {err}. Deployment #{} stays live",
                run.deployment.number
            ));
            failure(
                run,
                app,
                format!(
                    "{} deployment #{} is failing and could not be rolled back",
                    app.name, run.deployment.number
                ),
                format!("{reason}; rollback failed: {err}"),
            );
            false
        }
    }
}

/// Start the previous version's containers again (they were stopped, not
/// removed), wait for them to be healthy, and switch traffic back.
async fn restore(
    run: &Run,
    app: &App,
    previous: &Deployment,
    log: &LogSink,
) -> Result<Vec<RunningContainer>> {
    let runtime = run.inner.parts.runtime.as_ref();
    let mut restored = Vec::with_capacity(previous.containers.len());
    for container in &previous.containers {
        runtime
            .start_container(&container.id)
            .await
            .map_err(|e| e.context(format!("restarting container {}", container.id)))?;
        // An address may change across a restart: ask again.
        let address = containers::address_of(runtime, &container.id, app).await?;
        restored.push(RunningContainer {
            id: container.id.clone(),
            address,
        });
    }
    if restored.is_empty() {
        return Err(Error::conflict(format!(
            "deployment #{} has no containers to restart",
            previous.number
        )));
    }
    let check = health::effective_check(&app.spec.run);
    health::wait_all_healthy(runtime, &restored, &check, log).await?;
    if app.spec.run.port.is_some() {
        let table = &run.inner.parts.routes;
        table
            .switch(
                app.id,
                routes::upstreams_of(&restored),
                &SwitchOptions {
                    health_check: None,
                    drain_timeout: app.spec.deploy.drain_timeout,
                },
            )
            .await
            .map_err(|e| e.context("switching traffic back"))?;
        run.inner.emit(Event::RoutesChanged {
            team_id: app.team_id,
            app_id: app.id,
        });
    }
    Ok(restored)
}

/// Whether a deployment newer than the running one is queued for its app.
async fn newer_queued(run: &Run) -> bool {
    match run
        .inner
        .parts
        .store
        .list_deployments(
            &run.scope,
            run.deployment.app_id,
            crate::model::Page::first(16),
        )
        .await
    {
        Ok(recent) => recent
            .iter()
            .any(|d| d.status == DeploymentStatus::Queued && d.number > run.deployment.number),
        // When in doubt, let the queue move on.
        Err(_) => true,
    }
}

/// Tell people the deployment being watched failed.
fn failure(run: &Run, app: &App, title: String, body: String) {
    run.inner.notify(&Notification {
        team_id: app.team_id,
        app_id: Some(app.id),
        deployment_id: Some(run.deployment.id),
        level: NotificationLevel::Failure,
        title,
        body,
    });
}
