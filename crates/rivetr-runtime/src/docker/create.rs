//! Creating a container from a [`ContainerSpec`].

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::{
    ContainerCreateBody, EndpointSettings, HostConfig, Mount, MountType, NetworkingConfig,
    PortBinding, RestartPolicy as DockerRestart, RestartPolicyNameEnum,
};
use bollard::query_parameters::{CreateContainerOptions, RemoveContainerOptions};
use rivetr_core::model::{MountSource, RestartPolicy};
use rivetr_core::runtime::{ContainerId, ContainerSpec};
use rivetr_core::{Error, Result};

use super::error::{api, status};
use super::names::network_problem;

/// The host address every app port is published on.
pub(crate) const LOOPBACK: &str = "127.0.0.1";

/// Create and start a container; on any failure nothing is left behind.
#[tracing::instrument(skip_all, fields(name = %spec.name, image = %spec.image))]
pub(crate) async fn create(docker: &Docker, spec: &ContainerSpec) -> Result<ContainerId> {
    let body = body(spec)?;
    let options = CreateContainerOptions {
        name: Some(spec.name.clone()),
        ..CreateContainerOptions::default()
    };
    let doing = format!("creating container {} from {}", spec.name, spec.image);
    let created = docker
        .create_container(Some(options), body)
        .await
        .map_err(|e| match status(&e) {
            Some(409) => {
                Error::conflict(format!("{doing}: the name {} is already in use", spec.name))
                    .with_source(e)
            }
            Some(404) => {
                let why = e.to_string();
                let what = if why.contains("network") {
                    format!("network {} not found (ensure_network first)", spec.network)
                } else {
                    format!(
                        "image {} not found locally (pull or build it first)",
                        spec.image
                    )
                };
                Error::not_found(format!("{doing}: {what}")).with_source(e)
            }
            _ => api(doing.clone())(e),
        })?;
    let id = created.id;
    tracing::debug!(id = %id, "created container");
    if let Err(e) = docker.start_container(&id, None).await {
        let err = api(format!("starting container {}", spec.name))(e);
        let cleanup = RemoveContainerOptions {
            force: true,
            v: true,
            ..RemoveContainerOptions::default()
        };
        if let Err(removal) = docker.remove_container(&id, Some(cleanup)).await {
            tracing::warn!(id = %id, error = %removal, "could not remove a container that failed to start");
        }
        return Err(err);
    }
    tracing::info!(id = %id, "started container");
    Ok(ContainerId::new(id))
}

/// The engine request for `spec`. Holds secrets: never log it.
pub(crate) fn body(spec: &ContainerSpec) -> Result<ContainerCreateBody> {
    if let Some(why) = network_problem(&spec.network) {
        return Err(Error::invalid_input(format!(
            "container {}: network {:?}: {why}",
            spec.name, spec.network
        )));
    }
    if spec.publish.is_some() && spec.port.is_none() {
        return Err(Error::invalid_input(format!(
            "container {}: publishing on the host needs the app's port",
            spec.name
        )));
    }
    let env = spec
        .env
        .iter()
        .map(|(key, value)| format!("{key}={}", value.expose()))
        .collect();
    let mut port_bindings = HashMap::new();
    let mut exposed = None;
    if let Some(port) = spec.port {
        let key = format!("{port}/tcp");
        let mut bindings = vec![PortBinding {
            host_ip: Some(LOOPBACK.to_owned()),
            host_port: Some(String::new()),
        }];
        if let Some(publish) = &spec.publish {
            bindings.push(PortBinding {
                host_ip: Some(if publish.public { "0.0.0.0" } else { LOOPBACK }.to_owned()),
                host_port: Some(publish.host_port.to_string()),
            });
        }
        port_bindings.insert(key.clone(), Some(bindings));
        exposed = Some(vec![key]);
    }
    let mounts = spec
        .volumes
        .iter()
        .map(|v| {
            let (typ, source) = match &v.source {
                MountSource::Volume(name) => (MountType::VOLUME, name.as_str().to_owned()),
                MountSource::Bind(path) => (MountType::BIND, path.to_string()),
            };
            Mount {
                target: Some(v.target.as_str().to_owned()),
                source: Some(source),
                typ: Some(typ),
                read_only: Some(v.read_only),
                ..Mount::default()
            }
        })
        .collect();
    let host_config = HostConfig {
        network_mode: Some(spec.network.clone()),
        port_bindings: Some(port_bindings),
        nano_cpus: spec.resources.cpu.map(|c| c.nano_cpus()),
        memory: spec.resources.memory.map(|m| m.bytes_i64()),
        mounts: Some(mounts),
        restart_policy: Some(restart(spec.restart)),
        ..HostConfig::default()
    };
    let endpoint = EndpointSettings {
        aliases: (!spec.aliases.is_empty()).then(|| spec.aliases.clone()),
        ..EndpointSettings::default()
    };
    Ok(ContainerCreateBody {
        image: Some(spec.image.as_str().to_owned()),
        env: Some(env),
        cmd: spec.command.as_ref().map(|c| c.args().to_vec()),
        labels: Some(spec.labels.clone().into_iter().collect()),
        exposed_ports: exposed,
        host_config: Some(host_config),
        networking_config: Some(NetworkingConfig {
            endpoints_config: Some(HashMap::from([(spec.network.clone(), endpoint)])),
        }),
        ..ContainerCreateBody::default()
    })
}

fn restart(policy: RestartPolicy) -> DockerRestart {
    let (name, retries) = match policy {
        RestartPolicy::No => (RestartPolicyNameEnum::NO, None),
        RestartPolicy::OnFailure { max_retries } => (
            RestartPolicyNameEnum::ON_FAILURE,
            Some(i64::from(max_retries)),
        ),
        RestartPolicy::Always => (RestartPolicyNameEnum::ALWAYS, None),
        RestartPolicy::UnlessStopped => (RestartPolicyNameEnum::UNLESS_STOPPED, None),
    };
    DockerRestart {
        name: Some(name),
        maximum_retry_count: retries,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use std::collections::BTreeMap;

    use rivetr_core::model::{PublishSpec, Resources, SecretString, VolumeMount};

    use rivetr_core::ErrorKind;

    use super::*;

    fn spec() -> ContainerSpec {
        ContainerSpec {
            name: "rivetr-web-1".to_owned(),
            image: "rivetr/app:3".parse().unwrap(),
            env: vec![("TOKEN".parse().unwrap(), SecretString::new("s3cret"))],
            command: Some(rivetr_core::input::CommandLine::new(["/bin/app", "--serve"]).unwrap()),
            labels: BTreeMap::from([("dev.rivetr.managed".to_owned(), "true".to_owned())]),
            network: "rivetr".to_owned(),
            aliases: vec!["web".to_owned()],
            port: Some("8080".parse().unwrap()),
            publish: None,
            resources: Resources {
                cpu: Some("0.5".parse().unwrap()),
                memory: Some("256Mi".parse().unwrap()),
            },
            volumes: vec![VolumeMount {
                source: MountSource::Volume("data".parse().unwrap()),
                target: "/data".parse().unwrap(),
                read_only: false,
            }],
            restart: RestartPolicy::OnFailure { max_retries: 3 },
        }
    }

    #[test]
    fn maps_every_field() {
        let body = body(&spec()).unwrap();
        assert_eq!(body.env.unwrap(), ["TOKEN=s3cret"]);
        assert_eq!(body.cmd.unwrap(), ["/bin/app", "--serve"]);
        let host = body.host_config.unwrap();
        assert_eq!(host.nano_cpus, Some(500_000_000));
        assert_eq!(host.memory, Some(256 * 1024 * 1024));
        assert_eq!(host.network_mode.as_deref(), Some("rivetr"));
        let restart = host.restart_policy.unwrap();
        assert_eq!(restart.name, Some(RestartPolicyNameEnum::ON_FAILURE));
        assert_eq!(restart.maximum_retry_count, Some(3));
        let mount = &host.mounts.unwrap()[0];
        assert_eq!(mount.typ, Some(MountType::VOLUME));
        assert_eq!(mount.source.as_deref(), Some("data"));
        let bindings = host.port_bindings.unwrap()["8080/tcp"].clone().unwrap();
        assert_eq!(bindings.len(), 1);
        assert_eq!(bindings[0].host_ip.as_deref(), Some(LOOPBACK));
        assert_eq!(bindings[0].host_port.as_deref(), Some(""));
        let endpoints = body.networking_config.unwrap().endpoints_config.unwrap();
        assert_eq!(
            endpoints["rivetr"].aliases.as_deref(),
            Some(&["web".to_owned()][..])
        );
    }

    #[test]
    fn publishes_publicly_only_when_asked() {
        for (public, ip) in [(false, LOOPBACK), (true, "0.0.0.0")] {
            let mut s = spec();
            s.publish = Some(PublishSpec {
                host_port: "18080".parse().unwrap(),
                public,
            });
            let host = body(&s).unwrap().host_config.unwrap();
            let bindings = host.port_bindings.unwrap()["8080/tcp"].clone().unwrap();
            assert_eq!(bindings[1].host_ip.as_deref(), Some(ip));
            assert_eq!(bindings[1].host_port.as_deref(), Some("18080"));
        }
    }

    #[test]
    fn host_networking_is_refused() {
        for network in ["host", "none", "container:other"] {
            let mut s = spec();
            s.network = network.to_owned();
            assert_eq!(
                body(&s).unwrap_err().kind(),
                ErrorKind::InvalidInput,
                "{network}"
            );
        }
    }

    #[test]
    fn publishing_without_a_port_is_refused() {
        let mut s = spec();
        s.port = None;
        s.publish = Some(PublishSpec {
            host_port: "18080".parse().unwrap(),
            public: false,
        });
        assert_eq!(body(&s).unwrap_err().kind(), ErrorKind::InvalidInput);
    }
}
