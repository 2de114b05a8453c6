//! Start-up reconciliation: make the runtime and route table agree with the
//! store after a restart or a crash.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use super::{Inner, containers, routes};
use crate::access::Scope;
use crate::error::{Error, Result};
use crate::id::{AppId, DeploymentId};
use crate::log_sink::LogSink;
use crate::model::{App, Deployment, DeploymentStatus, DeploymentUpdate, Event, RunningContainer};
use crate::route::SwitchOptions;
use crate::runtime::{ContainerState, LABEL_DEPLOYMENT, LabelFilter};

/// What reconciliation did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReconcileReport {
    /// Deployments found mid-flight and marked failed.
    pub failed: Vec<DeploymentId>,
    /// Apps whose routes were restored from the store.
    pub routes_restored: Vec<AppId>,
    /// Live containers that were stopped and started again.
    pub restarted: usize,
    /// Live containers that were missing and recreated from their image.
    pub recreated: usize,
    /// Containers that belonged to no live deployment and were removed.
    pub orphans_removed: usize,
    /// Work directories of interrupted deployments that were removed.
    pub work_dirs_removed: usize,
    /// Apps whose live version could not be brought back, with the reason.
    pub problems: Vec<(AppId, String)>,
}

pub(crate) async fn reconcile(inner: &Arc<Inner>) -> Result<ReconcileReport> {
    let scope = Scope::system();
    let store = inner.parts.store.as_ref();
    let mut report = ReconcileReport::default();

    // 1. Deployments that were in flight when the engine stopped.
    for deployment in store.list_unfinished(&scope).await? {
        if !deployment.status.is_in_flight() {
            continue;
        }
        let reason = format!(
            "interrupted: the engine stopped while this deployment was {}; deploy again",
            deployment.status
        );
        match store
            .transition_deployment(
                &scope,
                deployment.id,
                deployment.status,
                DeploymentUpdate::to(DeploymentStatus::Failed).reason(reason.clone()),
            )
            .await
        {
            Ok(failed) => {
                tracing::warn!(deployment = %failed.id, %reason, "failed an interrupted deployment");
                inner.emit(Event::deployment_changed(&failed));
                report.failed.push(failed.id);
            }
            Err(err) => {
                tracing::error!(deployment = %deployment.id, error = %err, "cannot fail an interrupted deployment");
            }
        }
    }

    // 2. Live versions: containers running, routes restored.
    let mut live_ids = BTreeSet::new();
    for app in store.list_apps(&scope, None).await? {
        let hosts = routes::app_routes(store, app.id).await?;
        if let Err(err) = inner.parts.routes.set_routes(app.id, hosts).await {
            report
                .problems
                .push((app.id, format!("restoring hosts: {err}")));
        }
        let Some(live) = store.live_deployment(&scope, app.id).await? else {
            continue;
        };
        live_ids.insert(live.id.to_string());
        match revive(inner, &app, &live, &mut report).await {
            Ok(()) => report.routes_restored.push(app.id),
            Err(err) => report.problems.push((app.id, err.to_string())),
        }
    }

    // 3. Work trees left by deployments the stop interrupted.
    report.work_dirs_removed = sweep_work_dir(&inner.config.work_dir).await;

    // 4. Containers that belong to no live deployment.
    let managed = inner
        .parts
        .runtime
        .list_containers(&LabelFilter::managed())
        .await?;
    for info in managed {
        let owner = info.labels.get(LABEL_DEPLOYMENT);
        if owner.is_some_and(|d| live_ids.contains(d)) {
            continue;
        }
        match inner.parts.runtime.remove_container(&info.id).await {
            Ok(()) => report.orphans_removed += 1,
            Err(err) => tracing::warn!(container = %info.id, error = %err, "cannot remove orphan"),
        }
    }
    Ok(report)
}

/// Bring a live deployment's containers back and point its routes at them.
///
/// Stopped containers are started again; when any is missing, all are
/// replaced by fresh ones from the deployment's image.
async fn revive(
    inner: &Arc<Inner>,
    app: &App,
    live: &Deployment,
    report: &mut ReconcileReport,
) -> Result<()> {
    let runtime = inner.parts.runtime.as_ref();
    let log = LogSink::discard();
    let present: HashMap<_, _> = runtime
        .list_containers(&LabelFilter::managed().with(LABEL_DEPLOYMENT, live.id.to_string()))
        .await?
        .into_iter()
        .map(|info| (info.id.clone(), info))
        .collect();
    // Strays: labelled with this deployment but not recorded (a create cut
    // short by the crash).
    let strays: Vec<_> = present
        .keys()
        .filter(|id| !live.containers.iter().any(|c| &c.id == *id))
        .map(|id| RunningContainer {
            id: id.clone(),
            address: None,
        })
        .collect();
    containers::remove_all(inner, &strays, &log).await;

    let all_present =
        !live.containers.is_empty() && live.containers.iter().all(|c| present.contains_key(&c.id));
    let mut current = Vec::with_capacity(live.containers.len());
    if all_present {
        for container in &live.containers {
            if present
                .get(&container.id)
                .is_some_and(|info| info.state != ContainerState::Running)
            {
                runtime.start_container(&container.id).await?;
                report.restarted += 1;
            }
            current.push(RunningContainer {
                id: container.id.clone(),
                address: containers::address_of(runtime, &container.id, app).await?,
            });
        }
    } else {
        let Some(image) = &live.image else {
            return Err(Error::conflict(format!(
                "the containers of live deployment #{} are gone and it has no image to recreate them from",
                live.number
            )));
        };
        containers::remove_all(inner, &live.containers, &log).await;
        let result = containers::start_replicas(inner, app, live, image, &mut current, &log).await;
        if let Err(err) = result {
            containers::remove_all(inner, &current, &log).await;
            return Err(err.context("recreating the live version's containers"));
        }
        report.recreated += current.len();
    }
    let upstreams = routes::upstreams_of(&current);
    if current != live.containers {
        inner
            .parts
            .store
            .transition_deployment(
                &Scope::system(),
                live.id,
                DeploymentStatus::Live,
                DeploymentUpdate::to(DeploymentStatus::Live).containers(current),
            )
            .await?;
    }
    if app.spec.run.port.is_some() {
        inner
            .parts
            .routes
            .switch(
                app.id,
                upstreams,
                &SwitchOptions {
                    health_check: None,
                    drain_timeout: std::time::Duration::ZERO,
                },
            )
            .await?;
        inner.emit(Event::RoutesChanged {
            team_id: app.team_id,
            app_id: app.id,
        });
    }
    Ok(())
}

/// Remove what interrupted deployments left in the work directory (nothing
/// runs yet, so everything there is left over). The work directory belongs
/// to one engine.
async fn sweep_work_dir(work_dir: &std::path::Path) -> usize {
    let Ok(mut entries) = tokio::fs::read_dir(work_dir).await else {
        return 0;
    };
    let mut removed = 0;
    while let Ok(Some(entry)) = entries.next_entry().await {
        let path = entry.path();
        let result = match entry.file_type().await {
            Ok(kind) if kind.is_dir() => tokio::fs::remove_dir_all(&path).await,
            Ok(_) => tokio::fs::remove_file(&path).await,
            Err(err) => Err(err),
        };
        match result {
            Ok(()) => removed += 1,
            Err(err) => {
                tracing::warn!(path = %path.display(), error = %err, "cannot remove a leftover work tree");
            }
        }
    }
    removed
}
