//! What deleting an app does outside the store: its deployments in
//! flight are cancelled, its routes leave the proxy and its containers
//! are stopped and removed.

use std::time::Duration;

use rivetr_core::access::Scope;
use rivetr_core::model::App;
use rivetr_core::runtime::{LABEL_APP, LabelFilter};

use crate::api::{ApiState, Caller};

/// How long a delete waits for the app's worker to wind down after its
/// deployments were cancelled.
const IDLE_WAIT: Duration = Duration::from_secs(10);

/// Cancel the app's queued and running deployments and wait (briefly)
/// for its worker to stop, so no new container starts after the delete.
pub(super) async fn cancel_in_flight(state: &ApiState, caller: &Caller, app: &App) {
    // The system scope only lists; the caller's scope cancels (it was
    // already allowed to see the app).
    let unfinished = match state.store().list_unfinished(&Scope::system()).await {
        Ok(list) => list,
        Err(err) => {
            tracing::warn!(error = %err, app = %app.id, "listing deployments in flight failed");
            return;
        }
    };
    let mut cancelled = false;
    for deployment in unfinished.iter().filter(|d| d.app_id == app.id) {
        match state.engine().cancel(&caller.scope, deployment.id).await {
            Ok(_) => cancelled = true,
            Err(err) => {
                tracing::warn!(error = %err, deployment = %deployment.id, "cancelling before delete failed");
            }
        }
    }
    if cancelled
        && tokio::time::timeout(IDLE_WAIT, state.engine().wait_idle(app.id))
            .await
            .is_err()
    {
        tracing::warn!(app = %app.id, "the app's worker is still busy; deleting anyway");
    }
}

/// Take the app's routes off the proxy and stop and remove its
/// containers. Failures are logged: the app is already gone from the
/// store, and the reconciler removes leftovers on start-up.
pub(super) async fn tear_down(state: &ApiState, app: &App) {
    let parts = state.engine().parts();
    if let Err(err) = parts.routes.remove(app.id).await {
        tracing::warn!(error = %err, app = %app.id, "removing the app's routes failed");
    }
    let filter = LabelFilter::managed().with(LABEL_APP, app.id.to_string());
    let containers = match parts.runtime.list_containers(&filter).await {
        Ok(list) => list,
        Err(err) => {
            tracing::warn!(error = %err, app = %app.id, "listing the app's containers failed");
            return;
        }
    };
    for container in containers {
        let grace = app.spec.deploy.stop_grace;
        if let Err(err) = parts.runtime.stop_container(&container.id, grace).await {
            tracing::warn!(error = %err, container = %container.id, "stopping a container failed");
        }
        if let Err(err) = parts.runtime.remove_container(&container.id).await {
            tracing::warn!(error = %err, container = %container.id, "removing a container failed");
        }
    }
}
