//! Running one deployment through its steps.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::log_writer::LogWriter;
use super::{Inner, containers, health, lock, routes, watch};
use crate::access::Scope;
use crate::builder::{BuildRequest, Builder, Detection};
use crate::error::{Error, ErrorKind, Result};
use crate::input::ImageRef;
use crate::log_sink::LogSink;
use crate::model::{
    App, BuilderKind, Deployment, DeploymentStatus, DeploymentUpdate, Event, Notification,
    NotificationLevel, RunningContainer, SourceSpec,
};
use crate::route::{SwitchOptions, Upstream};
use crate::runtime::{LABEL_DEPLOYMENT, LabelFilter};
use crate::source::SourceTree;

/// Run `deployment` (taken from the queue, still `Queued`) to its end:
/// live (then watched), failed, or cancelled.
pub(crate) async fn run(inner: &Arc<Inner>, deployment: Deployment, wake: &Arc<Notify>) {
    let span = tracing::info_span!(
        "deployment",
        deployment = %deployment.id,
        app = %deployment.app_id,
        number = deployment.number
    );
    async {
        let cancel = inner.shutdown.child_token();
        lock(&inner.running).insert(deployment.id, cancel.clone());
        let id = deployment.id;
        let mut run = Run {
            inner: Arc::clone(inner),
            scope: Scope::system(),
            log: LogWriter::spawn(inner, &deployment),
            deployment,
            app: None,
            cancel,
            started: Vec::new(),
            switched_from: None,
        };
        match run.execute().await {
            Ok(previous) => {
                lock(&inner.running).remove(&id);
                watch::after_live(&mut run, previous, wake).await;
                run.log.finish(inner.config.log_flush_timeout).await;
            }
            Err(err) => {
                lock(&inner.running).remove(&id);
                run.fail(err).await;
            }
        }
    }
    .instrument(span)
    .await;
}

/// The state of one deployment while it runs.
pub(crate) struct Run {
    pub(crate) inner: Arc<Inner>,
    pub(crate) scope: Scope,
    pub(crate) deployment: Deployment,
    /// The app, once loaded.
    pub(crate) app: Option<App>,
    pub(crate) cancel: CancellationToken,
    pub(crate) log: LogWriter,
    /// Containers this deployment created (removed if it fails).
    pub(crate) started: Vec<RunningContainer>,
    /// Set once traffic was switched to `started`: the upstreams it came
    /// from, so a failure afterwards points traffic back before the new
    /// containers are removed.
    switched_from: Option<Vec<Upstream>>,
}

impl Run {
    /// A log sink for the current step.
    pub(crate) fn sink(&self) -> LogSink {
        self.log.sink(self.deployment.status)
    }

    /// Compare-and-set the deployment to `update.status`, announcing it.
    pub(crate) async fn advance(&mut self, update: DeploymentUpdate) -> Result<()> {
        // Lines of the step that ends are stored and announced first.
        self.log.flush(self.inner.config.log_flush_timeout).await;
        let from = self.deployment.status;
        let to = update.status;
        self.deployment = self
            .inner
            .parts
            .store
            .transition_deployment(&self.scope, self.deployment.id, from, update)
            .await
            .map_err(|e| e.context(format!("moving deployment from {from} to {to}")))?;
        tracing::info!(%from, %to, "deployment status changed");
        self.announce(&self.deployment.clone());
        Ok(())
    }

    /// Send a `DeploymentChanged` event for `deployment`.
    pub(crate) fn announce(&self, deployment: &Deployment) {
        self.inner.emit(Event::deployment_changed(deployment));
    }

    /// Run one step's work in its span, giving up when cancelled.
    async fn step<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        let span = tracing::info_span!("step", step = %self.deployment.status);
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => Err(self.cancelled_error()),
            result = work.instrument(span) => result,
        }
    }

    fn cancelled_error(&self) -> Error {
        if self.inner.shutdown.is_cancelled() {
            Error::cancelled("cancelled because the engine is shutting down")
        } else {
            Error::cancelled(format!("cancelled during {}", self.deployment.status))
        }
    }

    /// Every step up to and including the switch. Returns the deployment
    /// that was live before, if any.
    async fn execute(&mut self) -> Result<Option<Deployment>> {
        let app = self
            .inner
            .parts
            .store
            .get_app(&self.scope, self.deployment.app_id)
            .await?;
        self.sink().info(&format!(
            "Deployment #{} of {}: {}",
            self.deployment.number,
            app.name,
            app.spec.source.describe()
        ));
        self.app = Some(app.clone());

        let image = match (self.deployment.image.clone(), &app.spec.source) {
            (Some(image), _) => self.reuse(image).await?,
            (None, SourceSpec::Image { image }) => self.pull(image.clone()).await?,
            (None, source) => self.fetch_and_build(&app, source).await?,
        };

        // Starting.
        let log = self.sink();
        let mut started = Vec::new();
        let result = self
            .step(containers::start_replicas(
                &self.inner,
                &app,
                &self.deployment,
                &image,
                &mut started,
                &log,
            ))
            .await;
        self.started = started;
        result?;
        self.advance(
            DeploymentUpdate::to(DeploymentStatus::Checking).containers(self.started.clone()),
        )
        .await?;

        // Checking.
        let check = health::effective_check(&app.spec.run);
        let log = self.sink();
        self.step(health::wait_all_healthy(
            self.inner.parts.runtime.as_ref(),
            &self.started,
            &check,
            &log,
        ))
        .await?;

        // Switching.
        let previous = self
            .inner
            .parts
            .store
            .live_deployment(&self.scope, app.id)
            .await?;
        self.advance(DeploymentUpdate::to(DeploymentStatus::Switching))
            .await?;
        self.switch(&app, previous.as_ref()).await?;
        self.switched_from = Some(
            previous
                .as_ref()
                .map_or_else(Vec::new, |p| routes::upstreams_of(&p.containers)),
        );
        self.advance(DeploymentUpdate::to(DeploymentStatus::Live))
            .await?;
        self.switched_from = None;
        if let Some(previous) = &previous {
            self.retire(previous).await;
        }
        self.sink()
            .info(&format!("Deployment #{} is live", self.deployment.number));
        self.inner.notify(&Notification {
            team_id: app.team_id,
            app_id: Some(app.id),
            deployment_id: Some(self.deployment.id),
            level: NotificationLevel::Success,
            title: format!(
                "{} deployment #{} is live",
                app.name, self.deployment.number
            ),
            body: app.spec.source.describe(),
        });
        Ok(previous)
    }

    /// A rollback: reuse the image, skip fetch and build.
    async fn reuse(&mut self, image: ImageRef) -> Result<ImageRef> {
        self.sink().info(&format!(
            "Reusing image {image}: nothing is fetched or built"
        ));
        let runtime = Arc::clone(&self.inner.parts.runtime);
        if !self.step(runtime.image_exists(&image)).await? {
            return Err(Error::not_found(format!(
                "image {image} is no longer present in the runtime; deploy again to rebuild it"
            )));
        }
        self.advance(DeploymentUpdate::to(DeploymentStatus::Starting).image(image.clone()))
            .await?;
        Ok(image)
    }

    /// An image source: pull it when missing.
    async fn pull(&mut self, image: ImageRef) -> Result<ImageRef> {
        self.advance(DeploymentUpdate::to(DeploymentStatus::Fetching))
            .await?;
        let runtime = Arc::clone(&self.inner.parts.runtime);
        let log = self.sink();
        self.step(async {
            if runtime.image_exists(&image).await? {
                log.info(&format!("Image {image} is present"));
            } else {
                log.info(&format!("Pulling {image}"));
                runtime
                    .pull_image(&image, None)
                    .await
                    .map_err(|e| e.context(format!("pulling {image}")))?;
                log.info(&format!("Pulled {image}"));
            }
            Ok(())
        })
        .await?;
        self.advance(DeploymentUpdate::to(DeploymentStatus::Starting).image(image.clone()))
            .await?;
        Ok(image)
    }

    /// A git or archive source: fetch the tree, then build it.
    async fn fetch_and_build(&mut self, app: &App, source: &SourceSpec) -> Result<ImageRef> {
        self.advance(DeploymentUpdate::to(DeploymentStatus::Fetching))
            .await?;
        let fetcher = self
            .inner
            .parts
            .sources
            .iter()
            .find(|f| f.supports(source))
            .cloned()
            .ok_or_else(|| {
                Error::unsupported(format!(
                    "no source fetcher on this server handles {}",
                    source.describe()
                ))
            })?;
        let workdir =
            WorkDir::create(&self.inner.config.work_dir, &self.deployment.id.to_string()).await?;
        let log = self.sink();
        let tree = self
            .step(fetcher.fetch(source, workdir.path(), &log))
            .await?;
        let mut update = DeploymentUpdate::to(DeploymentStatus::Building);
        if let Some(commit) = tree.commit.clone() {
            log.info(&format!(
                "Fetched commit {} ({})",
                commit.sha, commit.summary
            ));
            update = update.commit(commit);
        }
        self.advance(update).await?;

        let image =
            containers::image_for(&self.inner.config.image_repository, app, &self.deployment)?;
        let log = self.sink();
        let builder = self
            .step(choose_builder(&self.inner.parts.builders, &tree, app, &log))
            .await?;
        let request = BuildRequest {
            tree,
            spec: app.spec.build.clone(),
            image: image.clone(),
        };

        let built = self.step(builder.build(&request, &log)).await?;
        drop(workdir);
        self.advance(DeploymentUpdate::to(DeploymentStatus::Starting).image(built.image.clone()))
            .await?;
        Ok(built.image)
    }

    /// Set the hosts and switch traffic to the new containers. When
    /// cancelled midway, traffic is pointed back at `previous`.
    async fn switch(&mut self, app: &App, previous: Option<&Deployment>) -> Result<()> {
        let log = self.sink();
        if app.spec.run.port.is_none() {
            log.info("The app has no port: it serves no traffic, so no route switch");
            return Ok(());
        }
        let table = Arc::clone(&self.inner.parts.routes);
        let app_routes = self
            .step(routes::app_routes(self.inner.parts.store.as_ref(), app.id))
            .await?;
        let hosts = app_routes.hosts.len();
        self.step(table.set_routes(app.id, app_routes)).await?;
        let upstreams = routes::upstreams_of(&self.started);
        let options = SwitchOptions {
            health_check: table
                .capabilities()
                .health_checks
                .then(|| health::effective_check(&app.spec.run)),
            drain_timeout: app.spec.deploy.drain_timeout,
        };
        log.info(&format!(
            "Switching {hosts} host(s) to {} new upstream(s); old requests drain for up to {}s",
            upstreams.len(),
            options.drain_timeout.as_secs()
        ));
        let outcome = self.step(table.switch(app.id, upstreams, &options)).await;
        match outcome {
            Ok(report) => {
                if !report.drained {
                    log.info("The drain window ended with requests still open on the old version");
                }
                self.inner.emit(Event::RoutesChanged {
                    team_id: app.team_id,
                    app_id: app.id,
                });
                Ok(())
            }
            Err(err) if err.kind() == ErrorKind::Cancelled => {
                let back = previous.map_or_else(Vec::new, |p| routes::upstreams_of(&p.containers));
                log.info(
                    "Cancelled during the switch: pointing traffic back at the previous version",
                );
                let revert = SwitchOptions {
                    health_check: None,
                    drain_timeout: app.spec.deploy.drain_timeout,
                };
                if let Err(revert_err) = table.switch(app.id, back, &revert).await {
                    tracing::error!(error = %revert_err, "cannot restore the previous routes");
                }
                self.inner.emit(Event::RoutesChanged {
                    team_id: app.team_id,
                    app_id: app.id,
                });
                Err(err)
            }
            Err(err) => Err(err.context("switching traffic")),
        }
    }

    /// Mark the previously live deployment replaced and stop its containers
    /// (they are removed once the watch window passes).
    async fn retire(&mut self, previous: &Deployment) {
        let log = self.sink();
        match self
            .inner
            .parts
            .store
            .transition_deployment(
                &self.scope,
                previous.id,
                DeploymentStatus::Live,
                DeploymentUpdate::to(DeploymentStatus::Replaced).reason(format!(
                    "replaced by deployment #{}",
                    self.deployment.number
                )),
            )
            .await
        {
            Ok(replaced) => self.announce(&replaced),
            // The store may already have replaced it when this one went live.
            Err(err) if err.kind() == ErrorKind::Conflict => {
                if let Ok(replaced) = self
                    .inner
                    .parts
                    .store
                    .get_deployment(&self.scope, previous.id)
                    .await
                {
                    self.announce(&replaced);
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot mark the previous deployment replaced");
            }
        }
        let grace = self
            .app
            .as_ref()
            .map_or(std::time::Duration::from_secs(10), |a| {
                a.spec.deploy.stop_grace
            });
        log.info(&format!(
            "Stopping the {} container(s) of deployment #{}",
            previous.containers.len(),
            previous.number
        ));
        containers::stop_all(&self.inner, &previous.containers, grace, &log).await;
    }

    /// Clean up after a failure before going live, and record the outcome.
    async fn fail(mut self, err: Error) {
        let cancelled = err.kind() == ErrorKind::Cancelled;
        let log = self.sink();
        if cancelled {
            log.info(&format!("Deployment cancelled: {}", err.message()));
        } else {
            log.info(&format!("Deployment failed: {err}"));
        }
        // Traffic already moved to the new containers: move it back first.
        if let (Some(back), Some(app)) = (self.switched_from.take(), self.app.as_ref()) {
            log.info("Pointing traffic back at the previous version");
            let options = SwitchOptions {
                health_check: None,
                drain_timeout: app.spec.deploy.drain_timeout,
            };
            if let Err(revert) = self.inner.parts.routes.switch(app.id, back, &options).await {
                tracing::error!(error = %revert, "cannot restore the previous routes");
            }
            self.inner.emit(Event::RoutesChanged {
                team_id: app.team_id,
                app_id: app.id,
            });
        }
        // A create call cut short by cancellation may have left a container
        // the runtime knows but `started` does not: find them by label too.
        let mut doomed = self.started.clone();
        let filter = LabelFilter::managed().with(LABEL_DEPLOYMENT, self.deployment.id.to_string());
        match self.inner.parts.runtime.list_containers(&filter).await {
            Ok(found) => {
                for info in found {
                    if !doomed.iter().any(|c| c.id == info.id) {
                        doomed.push(RunningContainer {
                            id: info.id,
                            address: None,
                        });
                    }
                }
            }
            Err(list_err) => {
                tracing::warn!(error = %list_err, "cannot list the deployment's containers");
            }
        }
        if !doomed.is_empty() {
            log.info(&format!(
                "Removing the {} new container(s); the previous version keeps serving",
                doomed.len()
            ));
            containers::remove_all(&self.inner, &doomed, &log).await;
        }
        drop(log);
        let Run {
            inner,
            scope,
            deployment,
            app,
            log: writer,
            ..
        } = self;
        writer.finish(inner.config.log_flush_timeout).await;
        let status = if cancelled {
            DeploymentStatus::Cancelled
        } else {
            DeploymentStatus::Failed
        };
        let reason = err.message().to_owned();
        match inner
            .parts
            .store
            .transition_deployment(
                &scope,
                deployment.id,
                deployment.status,
                DeploymentUpdate::to(status).reason(reason.clone()),
            )
            .await
        {
            Ok(done) => inner.emit(Event::deployment_changed(&done)),
            Err(store_err) => {
                tracing::error!(error = %store_err, "cannot record the deployment's failure");
            }
        }
        if !cancelled {
            inner.notify(&Notification {
                team_id: deployment.team_id,
                app_id: Some(deployment.app_id),
                deployment_id: Some(deployment.id),
                level: NotificationLevel::Failure,
                title: format!(
                    "{} deployment #{} failed",
                    app.as_ref()
                        .map_or_else(|| "app".to_owned(), |a| a.name.to_string()),
                    deployment.number
                ),
                body: reason,
            });
        }
    }
}

/// Pick the builder for `app`: the one its spec names, or the first whose
/// detection says yes, explaining the choice in the log.
async fn choose_builder(
    builders: &[Arc<dyn Builder>],
    tree: &SourceTree,
    app: &App,
    log: &LogSink,
) -> Result<Arc<dyn Builder>> {
    let spec = &app.spec.build;
    if spec.builder != BuilderKind::Auto {
        let builder = builders
            .iter()
            .find(|b| b.kind() == spec.builder)
            .ok_or_else(|| {
                Error::unsupported(format!(
                    "the {} builder is not available on this server",
                    spec.builder.as_str()
                ))
            })?;
        return match builder.detect(tree, spec).await? {
            Detection::Yes(reason) => {
                log.info(&format!(
                    "Using the {} builder: {reason}",
                    spec.builder.as_str()
                ));
                Ok(Arc::clone(builder))
            }
            Detection::No(reason) | Detection::Unavailable(reason) => {
                Err(Error::invalid_input(format!(
                    "the {} builder cannot build this tree: {reason}",
                    spec.builder.as_str()
                )))
            }
        };
    }
    let mut refusals = Vec::new();
    for builder in builders {
        let detection = builder.detect(tree, spec).await?;
        let name = builder.kind().as_str();
        if detection.is_yes() {
            log.info(&format!(
                "Detected the {name} builder: {}",
                detection.reason()
            ));
            return Ok(Arc::clone(builder));
        }
        log.info(&format!("Not the {name} builder: {}", detection.reason()));
        refusals.push(format!("{name}: {}", detection.reason()));
    }
    Err(Error::invalid_input(if refusals.is_empty() {
        "no builder is configured on this server".to_owned()
    } else {
        format!("no builder can build this tree ({})", refusals.join("; "))
    }))
}

/// A deployment's working directory, removed when dropped (also when the
/// deployment is cancelled mid-fetch or mid-build).
struct WorkDir {
    path: PathBuf,
}

impl WorkDir {
    /// Create `<base>/<name>`; `base` itself is made private to this user
    /// (mode 0700 on Unix), since it holds every team's source trees.
    async fn create(base: &std::path::Path, name: &str) -> Result<Self> {
        let path = base.join(name);
        tokio::fs::create_dir_all(&path).await.map_err(|e| {
            Error::unavailable(format!(
                "cannot create work directory {}: {e}",
                path.display()
            ))
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let private = std::fs::Permissions::from_mode(0o700);
            tokio::fs::set_permissions(base, private)
                .await
                .map_err(|e| {
                    Error::unavailable(format!(
                        "cannot make work directory {} private: {e}",
                        base.display()
                    ))
                })?;
        }
        Ok(Self { path })
    }

    fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let path = std::mem::take(&mut self.path);
        let remove = move || {
            if let Err(err) = std::fs::remove_dir_all(&path)
                && err.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(path = %path.display(), error = %err, "cannot remove work directory");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn_blocking(remove);
            }
            Err(_) => remove(),
        }
    }
}
