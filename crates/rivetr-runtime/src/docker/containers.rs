//! Container lifecycle: start, stop, remove, inspect, list.

use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use bollard::Docker;
use bollard::models::{ContainerInspectResponse, ContainerStateStatusEnum};
use bollard::query_parameters::{
    ListContainersOptions, RemoveContainerOptions, StopContainerOptions,
};
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use rivetr_core::runtime::{ContainerId, ContainerInfo, ContainerState, LabelFilter};
use rivetr_core::{Error, ErrorKind, Result};

use super::create::LOOPBACK;
use super::error::{api, status};
use super::names::is_object_name;

/// Start a container; a running one stays running.
#[tracing::instrument(skip(docker), fields(id = %id))]
pub(crate) async fn start(docker: &Docker, id: &ContainerId) -> Result<()> {
    known(id)?;
    match docker.start_container(id.as_str(), None).await {
        Ok(()) => Ok(()),
        // 304: already started.
        Err(e) if status(&e) == Some(304) => Ok(()),
        Err(e) => Err(api(format!("starting container {id}"))(e)),
    }
}

/// Stop a container: SIGTERM, then SIGKILL after `grace`.
#[tracing::instrument(skip(docker), fields(id = %id))]
pub(crate) async fn stop(docker: &Docker, id: &ContainerId, grace: Duration) -> Result<()> {
    known(id)?;
    let secs = grace.as_secs() + u64::from(grace.subsec_nanos() > 0);
    // The engine answers once the container is down: allow for the grace.
    let patience = docker.timeout().max(Duration::from_secs(secs + 30));
    let docker = docker.clone().with_timeout(patience);
    let options = StopContainerOptions {
        t: Some(i32::try_from(secs).unwrap_or(i32::MAX)),
        signal: None,
    };
    match docker.stop_container(id.as_str(), Some(options)).await {
        Ok(()) => Ok(()),
        // 304: already stopped.
        Err(e) if status(&e) == Some(304) => Ok(()),
        Err(e) => Err(api(format!("stopping container {id}"))(e)),
    }
}

/// Remove a container (forced: a running one is killed) and its anonymous
/// volumes; an unknown one is fine.
#[tracing::instrument(skip(docker), fields(id = %id))]
pub(crate) async fn remove(docker: &Docker, id: &ContainerId) -> Result<()> {
    if !is_object_name(id.as_str()) {
        // Cannot name a container: there is nothing to remove.
        return Ok(());
    }
    let options = RemoveContainerOptions {
        force: true,
        v: true,
        ..RemoveContainerOptions::default()
    };
    match docker.remove_container(id.as_str(), Some(options)).await {
        Ok(()) => Ok(()),
        Err(e) if status(&e) == Some(404) => Ok(()),
        Err(e) => Err(api(format!("removing container {id}"))(e)),
    }
}

/// Inspect a container, raw.
pub(crate) async fn inspect_raw(
    docker: &Docker,
    id: &ContainerId,
) -> Result<ContainerInspectResponse> {
    known(id)?;
    docker
        .inspect_container(id.as_str(), None)
        .await
        .map_err(api(format!("inspecting container {id}")))
}

/// `NotFound` for an id that cannot name a container (and must not reach
/// an API path).
fn known(id: &ContainerId) -> Result<()> {
    if is_object_name(id.as_str()) {
        Ok(())
    } else {
        Err(Error::not_found(format!(
            "container {:?}: not a container name or id",
            id.as_str()
        )))
    }
}

/// Describe a container.
#[tracing::instrument(skip(docker), fields(id = %id))]
pub(crate) async fn inspect(docker: &Docker, id: &ContainerId) -> Result<ContainerInfo> {
    info(&inspect_raw(docker, id).await?)
}

/// Every container (running or not) whose labels match `filter`.
#[tracing::instrument(skip_all, fields(filter = ?filter.labels))]
pub(crate) async fn list(docker: &Docker, filter: &LabelFilter) -> Result<Vec<ContainerInfo>> {
    let labels: Vec<String> = filter
        .labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let options = ListContainersOptions {
        all: true,
        filters: (!labels.is_empty()).then(|| HashMap::from([("label".to_owned(), labels)])),
        ..ListContainersOptions::default()
    };
    let summaries = docker
        .list_containers(Some(options))
        .await
        .map_err(api("listing containers"))?;
    let ids: Vec<ContainerId> = summaries
        .into_iter()
        .filter_map(|s| s.id.map(ContainerId::new))
        .collect();
    let infos: Vec<Option<ContainerInfo>> = futures::stream::iter(ids)
        .map(|id| async move {
            match inspect(docker, &id).await {
                Ok(info) => Ok(Some(info)),
                // Removed between the listing and the inspection.
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        })
        .buffered(8)
        .try_collect()
        .await?;
    Ok(infos
        .into_iter()
        .flatten()
        .filter(|info| filter.matches(&info.labels))
        .collect())
}

/// The state a container is in.
pub(crate) fn state_of(raw: &ContainerInspectResponse) -> ContainerState {
    let status = raw.state.as_ref().and_then(|s| s.status);
    match status {
        Some(ContainerStateStatusEnum::RUNNING | ContainerStateStatusEnum::STOPPING) => {
            ContainerState::Running
        }
        Some(ContainerStateStatusEnum::PAUSED | ContainerStateStatusEnum::RESTARTING) => {
            ContainerState::Restarting
        }
        Some(
            ContainerStateStatusEnum::EXITED
            | ContainerStateStatusEnum::DEAD
            | ContainerStateStatusEnum::REMOVING,
        ) => ContainerState::Exited,
        Some(ContainerStateStatusEnum::CREATED | ContainerStateStatusEnum::EMPTY) | None => {
            ContainerState::Created
        }
    }
}

/// The exit code, when the container exited.
pub(crate) fn exit_code_of(raw: &ContainerInspectResponse) -> Option<i64> {
    (state_of(raw) == ContainerState::Exited)
        .then(|| raw.state.as_ref().and_then(|s| s.exit_code))
        .flatten()
}

/// `127.0.0.1:<host port>` of the app port, while the container runs.
pub(crate) fn address_of(raw: &ContainerInspectResponse) -> Option<SocketAddr> {
    if state_of(raw) != ContainerState::Running {
        return None;
    }
    // The app port is the one Rivetr asked to publish.
    let wanted = raw.host_config.as_ref()?.port_bindings.as_ref()?;
    let ports = raw.network_settings.as_ref()?.ports.as_ref()?;
    let mut keys: Vec<&String> = wanted.keys().collect();
    keys.sort();
    let bindings = keys
        .into_iter()
        .find_map(|key| ports.get(key).cloned().flatten())?;
    let port = bindings
        .iter()
        .filter(|b| b.host_ip.as_deref() == Some(LOOPBACK))
        .chain(bindings.iter())
        .find_map(|b| b.host_port.as_deref()?.parse::<u16>().ok())?;
    Some(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
}

fn info(raw: &ContainerInspectResponse) -> Result<ContainerInfo> {
    let id = raw.id.clone().unwrap_or_default();
    let name = raw
        .name
        .as_deref()
        .unwrap_or_default()
        .trim_start_matches('/')
        .to_owned();
    let config = raw.config.as_ref();
    let image_name = config.and_then(|c| c.image.as_deref()).unwrap_or_default();
    let image = image_name.parse().map_err(|e| {
        Error::internal(format!(
            "inspecting container {name}: its image {image_name:?} is not an image reference"
        ))
        .with_source(e)
    })?;
    let labels: BTreeMap<String, String> = config
        .and_then(|c| c.labels.clone())
        .unwrap_or_default()
        .into_iter()
        .collect();
    let created = raw.created.as_deref().unwrap_or_default();
    let created_at = DateTime::parse_from_rfc3339(created)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            Error::internal(format!(
                "inspecting container {name}: creation time {created:?} is not RFC 3339"
            ))
            .with_source(e)
        })?;
    Ok(ContainerInfo {
        id: ContainerId::new(id),
        name,
        image,
        labels,
        state: state_of(raw),
        exit_code: exit_code_of(raw),
        address: address_of(raw),
        created_at,
    })
}
