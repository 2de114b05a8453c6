//! What this instance lets an app do, checked before anything is queued and
//! again before containers start: bind mounts, engine sockets, published
//! ports, images of other apps, and volume names shared across teams.

use super::EngineConfig;
use crate::error::{Error, Result};
use crate::input::VolumeName;
use crate::model::{App, MountSource, SourceSpec, VolumeMount};

/// Longest volume name a user may give: the runtime name adds a team prefix.
const MAX_VOLUME_NAME: usize = 50;

/// Refuse an app whose spec this instance does not allow.
pub(crate) fn check_app(config: &EngineConfig, app: &App) -> Result<()> {
    check_mounts(config, &app.spec.run.volumes)?;
    check_publish(config, app)?;
    check_image(config, app)?;
    scoped_volumes(app).map(|_| ())
}

/// Bind mounts only under the roots the admin allows; never an engine
/// socket unless explicitly allowed.
fn check_mounts(config: &EngineConfig, volumes: &[VolumeMount]) -> Result<()> {
    for mount in volumes {
        let MountSource::Bind(path) = &mount.source else {
            continue;
        };
        let is_socket = path
            .as_path()
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| matches!(name, "docker.sock" | "podman.sock" | "containerd.sock"));
        if is_socket && !config.allow_engine_socket {
            return Err(Error::permission_denied(format!(
                "mounting the container engine socket {path} would give the app control of the host; \
                 an instance admin must allow it"
            )));
        }
        if !config
            .allowed_bind_roots
            .iter()
            .any(|root| path.starts_with(root))
        {
            let allowed = if config.allowed_bind_roots.is_empty() {
                "no host directory may be bind-mounted on this instance; use a named volume"
                    .to_owned()
            } else {
                let roots: Vec<&str> = config
                    .allowed_bind_roots
                    .iter()
                    .map(|r| r.as_str())
                    .collect();
                format!("allowed roots: {}", roots.join(", "))
            };
            return Err(Error::permission_denied(format!(
                "bind mount of {path} is outside the directories apps may mount ({allowed})"
            )));
        }
    }
    Ok(())
}

/// Host ports only inside the range the admin allows, and on all
/// interfaces only when the admin allows public ports.
fn check_publish(config: &EngineConfig, app: &App) -> Result<()> {
    let Some(publish) = &app.spec.run.publish else {
        return Ok(());
    };
    let port = publish.host_port.get();
    let Some((low, high)) = config.publish_port_range else {
        return Err(Error::permission_denied(
            "publishing a host port is not allowed on this instance; traffic reaches apps through the proxy",
        ));
    };
    if !(low..=high).contains(&port) {
        return Err(Error::permission_denied(format!(
            "host port {port} is outside the range apps may publish ({low}-{high})"
        )));
    }
    if publish.public && !config.allow_public_ports {
        return Err(Error::permission_denied(
            "publishing on all interfaces (0.0.0.0) is not allowed on this instance",
        ));
    }
    Ok(())
}

/// An image source may not name an image the engine built for another app.
fn check_image(config: &EngineConfig, app: &App) -> Result<()> {
    let SourceSpec::Image { image } = &app.spec.source else {
        return Ok(());
    };
    let repository = image.repository();
    let engine_prefix = format!("{}/", config.image_repository);
    let own = format!("{engine_prefix}app-{}", app.id.as_uuid().simple());
    if repository.starts_with(&engine_prefix) && repository != own {
        return Err(Error::permission_denied(format!(
            "{image} is an image this instance built for another app; deploy from source or a registry image"
        )));
    }
    Ok(())
}

/// The app's mounts with each named volume renamed into its team's
/// namespace (`t<team>-<name>`), so two teams' `data` volumes never meet.
pub(crate) fn scoped_volumes(app: &App) -> Result<Vec<VolumeMount>> {
    let team = app.team_id.as_uuid().simple().to_string();
    // The random tail of the team's UUIDv7.
    let prefix = &team[team.len() - 12..];
    app.spec
        .run
        .volumes
        .iter()
        .map(|mount| {
            let MountSource::Volume(name) = &mount.source else {
                return Ok(mount.clone());
            };
            if name.as_str().len() > MAX_VOLUME_NAME {
                return Err(Error::invalid_input(format!(
                    "volume name {name} is longer than {MAX_VOLUME_NAME} characters"
                )));
            }
            let scoped: VolumeName = format!("t{prefix}-{name}").parse()?;
            Ok(VolumeMount {
                source: MountSource::Volume(scoped),
                ..mount.clone()
            })
        })
        .collect()
}
