//! The bridge network apps join.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::NetworkCreateRequest;
use rivetr_core::runtime::LABEL_MANAGED;
use rivetr_core::{Error, Result};

use super::error::{api, status};
use super::names::network_problem;

/// Create the bridge network `name` unless it exists.
#[tracing::instrument(skip(docker))]
pub(crate) async fn ensure_network(docker: &Docker, name: &str) -> Result<()> {
    if let Some(why) = network_problem(name) {
        return Err(Error::invalid_input(format!(
            "network name {name:?}: {why}"
        )));
    }
    match docker.inspect_network(name, None).await {
        Ok(_) => {
            tracing::debug!(network = name, "network exists");
            return Ok(());
        }
        Err(e) if status(&e) == Some(404) => {}
        Err(e) => return Err(api(format!("inspecting network {name}"))(e)),
    }
    let request = NetworkCreateRequest {
        name: name.to_owned(),
        driver: Some("bridge".to_owned()),
        labels: Some(HashMap::from([(
            LABEL_MANAGED.to_owned(),
            "true".to_owned(),
        )])),
        ..NetworkCreateRequest::default()
    };
    match docker.create_network(request).await {
        Ok(_) => {
            tracing::info!(network = name, "created network");
            Ok(())
        }
        // Created concurrently by someone else: fine.
        Err(e) if status(&e) == Some(409) => Ok(()),
        Err(e) => Err(api(format!("creating network {name}"))(e)),
    }
}
