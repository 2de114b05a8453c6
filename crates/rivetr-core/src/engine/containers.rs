//! Creating, addressing and removing an app's containers.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{Inner, policy};
use crate::access::Scope;
use crate::error::{Error, Result};
use crate::input::ImageRef;
use crate::log_sink::LogSink;
use crate::model::{App, Deployment, RunningContainer};
use crate::runtime::{
    ContainerId, ContainerSpec, ContainerState, LABEL_APP, LABEL_DEPLOYMENT, LABEL_MANAGED,
};

/// Refuse an image repository prefix that cannot make valid image names.
pub(crate) fn check_image_repository(repository: &str) -> Result<()> {
    format!("{repository}/app-00000000000000000000000000000000:1")
        .parse::<ImageRef>()
        .map(|_| ())
        .map_err(|err| {
            Error::invalid_input(format!(
                "engine image_repository {repository:?} cannot prefix image names: {err}"
            ))
        })
}

/// The image name the engine gives a deployment's build.
pub(crate) fn image_for(repository: &str, app: &App, deployment: &Deployment) -> Result<ImageRef> {
    // The deployment id in the tag makes names unguessable, so another
    // team's Dockerfile cannot `FROM` this app's image by name.
    format!(
        "{repository}/app-{}:{}-{}",
        app.id.as_uuid().simple(),
        deployment.number,
        deployment.id.as_uuid().simple()
    )
    .parse::<ImageRef>()
    .map_err(Error::from)
}

/// The network alias other containers reach the app by: unique per app.
pub(crate) fn alias_for(app: &App) -> String {
    format!("app-{}", app.id.as_uuid().simple())
}

/// Start the app's replicas from `image`, pushing each container into
/// `started` as soon as it exists, so a failure halfway leaves the caller
/// knowing what to remove.
pub(crate) async fn start_replicas(
    inner: &Inner,
    app: &App,
    deployment: &Deployment,
    image: &ImageRef,
    started: &mut Vec<RunningContainer>,
    log: &LogSink,
) -> Result<()> {
    policy::check_app(&inner.config, app)?;
    let runtime = inner.parts.runtime.as_ref();
    let network = inner.config.team_network(app.team_id);
    runtime
        .ensure_network(&network)
        .await
        .map_err(|e| e.context(format!("creating network {network}")))?;
    let env = inner
        .parts
        .store
        .list_env_vars(&Scope::system(), app.id)
        .await?
        .into_iter()
        .filter_map(|var| var.value.map(|value| (var.key, value)))
        .collect::<Vec<_>>();
    let replicas = app.spec.run.replicas.max(1);
    for index in 0..replicas {
        let spec = spec_for(inner, app, deployment, image, index, env.clone())?;
        log.info(&format!(
            "Starting container {} ({}/{replicas}) from {image}",
            spec.name,
            index + 1
        ));
        let id = runtime
            .create_container(&spec)
            .await
            .map_err(|e| e.context(format!("starting container {}", spec.name)))?;
        started.push(RunningContainer { id, address: None });
    }
    for container in started.iter_mut() {
        container.address = address_of(runtime, &container.id, app).await?;
    }
    Ok(())
}

fn spec_for(
    inner: &Inner,
    app: &App,
    deployment: &Deployment,
    image: &ImageRef,
    index: u16,
    env: Vec<(crate::input::EnvKey, crate::model::SecretString)>,
) -> Result<ContainerSpec> {
    let run = &app.spec.run;
    let labels = BTreeMap::from([
        (LABEL_MANAGED.to_owned(), "true".to_owned()),
        (LABEL_APP.to_owned(), app.id.to_string()),
        (LABEL_DEPLOYMENT.to_owned(), deployment.id.to_string()),
    ]);
    Ok(ContainerSpec {
        name: format!(
            "rivetr-{}-{}-{index}",
            app.name,
            deployment.id.as_uuid().simple()
        ),
        image: image.clone(),
        env,
        command: run.command.clone(),
        labels,
        network: inner.config.team_network(app.team_id),
        aliases: vec![alias_for(app)],
        port: run.port,
        publish: run.publish.clone(),
        resources: run.resources.clone(),
        volumes: policy::scoped_volumes(app)?,
        restart: run.restart,
    })
}

/// Where a running container of `app` answers, if the app has a port.
pub(crate) async fn address_of(
    runtime: &dyn crate::runtime::ContainerRuntime,
    id: &ContainerId,
    app: &App,
) -> Result<Option<std::net::SocketAddr>> {
    if app.spec.run.port.is_none() {
        return Ok(None);
    }
    let info = runtime.inspect_container(id).await?;
    match info.address {
        Some(addr) => Ok(Some(addr)),
        None if info.state != ContainerState::Running => Err(Error::unavailable(format!(
            "container {id} stopped right after it started (exit code {})",
            info.exit_code
                .map_or_else(|| "unknown".to_owned(), |c| c.to_string())
        ))
        .with_retryable(false)),
        None => Err(Error::internal(format!(
            "the runtime reports no address for running container {id}"
        ))),
    }
}

/// Remove containers, logging (not failing on) errors: used on paths that
/// are already handling a failure or finishing a rollout.
pub(crate) async fn remove_all(inner: &Inner, containers: &[RunningContainer], log: &LogSink) {
    for container in containers {
        if let Err(err) = inner.parts.runtime.remove_container(&container.id).await {
            log.info(&format!(
                "Could not remove container {}: {err}",
                container.id
            ));
            tracing::warn!(container = %container.id, error = %err, "cannot remove container");
        }
    }
}

/// Stop containers with a grace period, logging errors.
pub(crate) async fn stop_all(
    inner: &Inner,
    containers: &[RunningContainer],
    grace: Duration,
    log: &LogSink,
) {
    for container in containers {
        if let Err(err) = inner
            .parts
            .runtime
            .stop_container(&container.id, grace)
            .await
        {
            log.info(&format!("Could not stop container {}: {err}", container.id));
            tracing::warn!(container = %container.id, error = %err, "cannot stop container");
        }
    }
}
