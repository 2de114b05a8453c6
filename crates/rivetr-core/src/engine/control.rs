//! The engine's public verbs: deploy, roll back, cancel, and wait.

use tokio::sync::broadcast::error::RecvError;

use super::{Engine, lock, policy, workers};
use crate::access::Scope;
use crate::error::{Error, Result};
use crate::id::{AppId, DeploymentId};
use crate::model::{
    Action, Deployment, DeploymentStatus, DeploymentUpdate, Event, NewDeployment, Page, Trigger,
};

impl Engine {
    /// Queue a deployment of `app` and return it at once, `Queued`; the
    /// app's worker picks it up in the background.
    ///
    /// # Errors
    ///
    /// `NotFound` for an app the scope cannot see, `PermissionDenied` when
    /// its role may not deploy or the app mounts a host path this instance
    /// does not allow; store errors.
    pub async fn deploy(&self, scope: &Scope, app: AppId, trigger: Trigger) -> Result<Deployment> {
        self.check_spec(scope, app).await?;
        let deployment = self
            .inner
            .parts
            .store
            .enqueue_deployment(
                scope,
                NewDeployment {
                    app_id: app,
                    trigger,
                    requested_by: scope.user(),
                    image: None,
                },
            )
            .await?;
        self.announce_queued(&deployment);
        Ok(deployment)
    }

    /// Queue a rollback of `app` to the image of an earlier deployment that
    /// went live: `to`, or the most recent one replaced by the current
    /// version. Nothing is fetched or rebuilt.
    ///
    /// # Errors
    ///
    /// `NotFound` when there is no such deployment, `Conflict` when it
    /// never went live or has no image, plus the errors of
    /// [`Engine::deploy`].
    pub async fn rollback(
        &self,
        scope: &Scope,
        app: AppId,
        to: Option<DeploymentId>,
    ) -> Result<Deployment> {
        self.check_spec(scope, app).await?;
        let store = &self.inner.parts.store;
        let target = match to {
            Some(id) => {
                let target = store.get_deployment(scope, id).await?;
                if target.app_id != app {
                    return Err(Error::not_found(format!(
                        "deployment {id} does not belong to this app"
                    )));
                }
                target
            }
            None => previous_live(store.as_ref(), scope, app).await?,
        };
        if !matches!(
            target.status,
            DeploymentStatus::Replaced | DeploymentStatus::Live
        ) {
            return Err(Error::conflict(format!(
                "deployment #{} never went live ({}); only a version that ran can be rolled back to",
                target.number, target.status
            )));
        }
        let Some(image) = target.image.clone() else {
            return Err(Error::conflict(format!(
                "deployment #{} has no image to reuse",
                target.number
            )));
        };
        let deployment = store
            .enqueue_deployment(
                scope,
                NewDeployment {
                    app_id: app,
                    trigger: Trigger::Rollback { of: target.id },
                    requested_by: scope.user(),
                    image: Some(image),
                },
            )
            .await?;
        self.announce_queued(&deployment);
        Ok(deployment)
    }

    /// Cancel a deployment: a queued one at once, one in flight at the end
    /// of its current step's await (its new containers are removed and the
    /// routes left as they were). Returns the deployment as it is now.
    ///
    /// # Errors
    ///
    /// `Conflict` when it is already live or finished; scope errors.
    pub async fn cancel(&self, scope: &Scope, id: DeploymentId) -> Result<Deployment> {
        let store = &self.inner.parts.store;
        let deployment = store.get_deployment(scope, id).await?;
        scope.check(deployment.team_id, Action::Deploy)?;
        match deployment.status {
            DeploymentStatus::Queued => {
                let cancelled = store
                    .transition_deployment(
                        scope,
                        id,
                        DeploymentStatus::Queued,
                        DeploymentUpdate::to(DeploymentStatus::Cancelled)
                            .reason("cancelled before it started"),
                    )
                    .await;
                match cancelled {
                    Ok(d) => {
                        self.inner.emit(Event::deployment_changed(&d));
                        Ok(d)
                    }
                    // The worker took it meanwhile: cancel the running one.
                    Err(err) if err.kind() == crate::ErrorKind::Conflict => {
                        self.cancel_running(id);
                        store.get_deployment(scope, id).await
                    }
                    Err(err) => Err(err),
                }
            }
            status if status.is_in_flight() => {
                self.cancel_running(id);
                Ok(deployment)
            }
            status => Err(Error::conflict(format!(
                "deployment #{} is already {status}; there is nothing to cancel",
                deployment.number
            ))),
        }
    }

    /// Refuse, before anything is queued, an app whose spec this instance
    /// would refuse to run (bind mounts outside the allowed roots, the engine
    /// socket).
    async fn check_spec(&self, scope: &Scope, app: AppId) -> Result<()> {
        let app = self.inner.parts.store.get_app(scope, app).await?;
        policy::check_app(&self.inner.config, &app)
    }

    fn cancel_running(&self, id: DeploymentId) {
        if let Some(token) = lock(&self.inner.running).get(&id) {
            token.cancel();
        }
    }

    /// Wait until deployment `id` satisfies `done`, and return it.
    ///
    /// ```no_run
    /// # async fn demo(engine: rivetr_core::engine::Engine, scope: rivetr_core::access::Scope, id: rivetr_core::id::DeploymentId) {
    /// use rivetr_core::model::DeploymentStatus;
    /// let live = engine.wait_for(&scope, id, |d| d.status == DeploymentStatus::Live).await.unwrap();
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// Store errors; `Unavailable` when the engine shuts down first.
    pub async fn wait_for(
        &self,
        scope: &Scope,
        id: DeploymentId,
        done: impl Fn(&Deployment) -> bool + Send,
    ) -> Result<Deployment> {
        let mut events = self.subscribe();
        loop {
            let deployment = self.inner.parts.store.get_deployment(scope, id).await?;
            if done(&deployment) {
                return Ok(deployment);
            }
            loop {
                tokio::select! {
                    event = events.recv() => match event {
                        Ok(Event::DeploymentChanged { deployment_id, .. }) if deployment_id == id => break,
                        Ok(_) => {}
                        Err(RecvError::Lagged(_)) => break,
                        Err(RecvError::Closed) => return Err(Error::unavailable("the engine stopped")),
                    },
                    () = self.inner.shutdown.cancelled() => {
                        return Err(Error::unavailable("the engine is shutting down"));
                    }
                }
            }
        }
    }

    /// Wait until the app's worker has nothing left to do: no deployment
    /// queued or in flight, and the watch window of the latest one over.
    pub async fn wait_idle(&self, app: AppId) {
        loop {
            let idle = self.inner.idle.notified();
            if !lock(&self.inner.workers).contains_key(&app) {
                return;
            }
            idle.await;
        }
    }

    fn announce_queued(&self, deployment: &Deployment) {
        self.inner.emit(Event::deployment_changed(deployment));
        workers::kick(&self.inner, deployment.app_id);
    }
}

/// The most recent deployment of `app` that was live before the current one.
async fn previous_live(
    store: &dyn crate::store::Store,
    scope: &Scope,
    app: AppId,
) -> Result<Deployment> {
    let mut page = Page::first(100);
    loop {
        let batch = store.list_deployments(scope, app, page).await?;
        if let Some(found) = batch
            .iter()
            .find(|d| d.status == DeploymentStatus::Replaced && d.image.is_some())
        {
            return Ok(found.clone());
        }
        match batch.last() {
            Some(last) if batch.len() == page.limit as usize => page.before = Some(last.number),
            _ => {
                return Err(Error::not_found(
                    "no earlier deployment of this app went live; there is nothing to roll back to",
                ));
            }
        }
    }
}
