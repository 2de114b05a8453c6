//! Images: pull, presence, removal, pruning what Rivetr built.

use std::collections::HashMap;

use bollard::Docker;
use bollard::auth::DockerCredentials;
use bollard::query_parameters::{
    CreateImageOptions, ListContainersOptions, PruneImagesOptions, RemoveImageOptions,
};
use futures::StreamExt;
use rivetr_core::input::ImageRef;
use rivetr_core::runtime::{LABEL_MANAGED, PruneReport, RegistryAuth};
use rivetr_core::{Error, Result};

use super::error::{DockerError, api, describe, status};

/// Docker Hub's address for credentials of images without a registry.
const DOCKER_HUB: &str = "https://index.docker.io/v1/";

/// Pull `image`, with credentials when given; progress goes to debug events.
#[tracing::instrument(skip(docker, auth), fields(image = %image, auth = auth.is_some()))]
pub(crate) async fn pull(
    docker: &Docker,
    image: &ImageRef,
    auth: Option<&RegistryAuth>,
) -> Result<()> {
    let options = CreateImageOptions {
        from_image: Some(image.as_str().to_owned()),
        // Without a tag the engine would pull every tag of the repository.
        tag: (image.tag().is_none() && image.digest().is_none()).then(|| "latest".to_owned()),
        ..CreateImageOptions::default()
    };
    let credentials = auth.map(|a| DockerCredentials {
        username: Some(a.username.clone()),
        password: Some(a.password.expose().to_owned()),
        serveraddress: Some(image.registry().unwrap_or(DOCKER_HUB).to_owned()),
        ..DockerCredentials::default()
    });
    let doing = format!("pulling image {image}");
    let mut progress = docker.create_image(Some(options), None, credentials);
    while let Some(item) = progress.next().await {
        let info = item.map_err(api(doing.clone()))?;
        if let Some(detail) = info.error_detail {
            let message = detail
                .message
                .unwrap_or_else(|| "the pull failed".to_owned());
            return Err(DockerError::Stream { doing, message }.into());
        }
        if let Some(status) = info.status {
            tracing::debug!(
                layer = info.id.as_deref().unwrap_or(""),
                status,
                "pull progress"
            );
        }
    }
    tracing::info!("pulled image");
    Ok(())
}

/// Whether `image` is present locally.
#[tracing::instrument(skip(docker), fields(image = %image))]
pub(crate) async fn exists(docker: &Docker, image: &ImageRef) -> Result<bool> {
    match docker.inspect_image(image.as_str()).await {
        Ok(_) => Ok(true),
        Err(e) if status(&e) == Some(404) => Ok(false),
        Err(e) => Err(api(format!("inspecting image {image}"))(e)),
    }
}

/// Remove `image`; absent is fine, in use by a container is `Conflict`.
#[tracing::instrument(skip(docker), fields(image = %image))]
pub(crate) async fn remove(docker: &Docker, image: &ImageRef) -> Result<()> {
    // The engine only refuses when the last tag of a used image goes; with
    // several tags it would untag silently. So first look for containers
    // created from this very reference (other tags of the same image may go).
    let users = ListContainersOptions {
        all: true,
        filters: Some(HashMap::from([(
            "ancestor".to_owned(),
            vec![image.as_str().to_owned()],
        )])),
        ..ListContainersOptions::default()
    };
    let users = docker
        .list_containers(Some(users))
        .await
        .map_err(api(format!("listing the containers of image {image}")))?;
    let users: Vec<_> = users
        .into_iter()
        .filter(|c| c.image.as_deref().is_some_and(|i| same_reference(i, image)))
        .collect();
    if !users.is_empty() {
        let names: Vec<String> = users
            .iter()
            .filter_map(|c| c.names.as_ref()?.first().cloned())
            .map(|n| n.trim_start_matches('/').to_owned())
            .collect();
        return Err(Error::conflict(format!(
            "removing image {image}: used by container(s) {}",
            names.join(", ")
        )));
    }
    let options = RemoveImageOptions {
        force: false,
        noprune: false,
        ..RemoveImageOptions::default()
    };
    match docker
        .remove_image(image.as_str(), Some(options), None)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if status(&e) == Some(404) => Ok(()),
        Err(e) if status(&e) == Some(409) => Err(Error::conflict(format!(
            "removing image {image}: a container uses it ({})",
            describe(&e)
        ))
        .with_source(e)),
        Err(e) => Err(api(format!("removing image {image}"))(e)),
    }
}

/// Whether `name` (as a container records it) is `image`, reading a
/// missing tag as `latest`.
fn same_reference(name: &str, image: &ImageRef) -> bool {
    let full = |r: &ImageRef| match (r.tag(), r.digest()) {
        (None, None) => format!("{}:latest", r.as_str()),
        _ => r.as_str().to_owned(),
    };
    name.parse::<ImageRef>()
        .is_ok_and(|n| full(&n) == full(image))
}

/// Remove every image labelled [`LABEL_MANAGED`] that no container (running
/// or stopped) uses, tagged or dangling. Images without the label, someone
/// else's, are never touched.
#[tracing::instrument(skip(docker))]
pub(crate) async fn prune(docker: &Docker) -> Result<PruneReport> {
    let filters = HashMap::from([
        // "false": every unused image, not only dangling ones.
        ("dangling".to_owned(), vec!["false".to_owned()]),
        ("label".to_owned(), vec![format!("{LABEL_MANAGED}=true")]),
    ]);
    let options = PruneImagesOptions {
        filters: Some(filters),
    };
    let answer = docker
        .prune_images(Some(options))
        .await
        .map_err(api("pruning images"))?;
    let removed: Vec<ImageRef> = answer
        .images_deleted
        .iter()
        .flatten()
        .filter_map(|item| item.untagged.as_deref()?.parse().ok())
        .collect();
    let reclaimed_bytes = answer
        .space_reclaimed
        .and_then(|b| u64::try_from(b).ok())
        .unwrap_or(0);
    tracing::info!(removed = removed.len(), reclaimed_bytes, "pruned images");
    Ok(PruneReport {
        removed,
        reclaimed_bytes,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::*;

    #[test]
    fn references_compare_with_latest_as_the_default_tag() {
        let image: ImageRef = "nginx".parse().unwrap();
        assert!(same_reference("nginx:latest", &image));
        assert!(same_reference("nginx", &image));
        assert!(!same_reference("nginx:1.27", &image));
        assert!(!same_reference("sha256:0123", &"app:1".parse().unwrap()));
    }
}
