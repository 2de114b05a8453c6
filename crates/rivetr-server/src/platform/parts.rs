//! The default parts, built from the configuration.

use std::sync::Arc;

use bollard::Docker;
use rivetr_core::builder::Builder;
use rivetr_core::runtime::ContainerRuntime;
use rivetr_core::source::SourceFetcher;
use rivetr_core::store::Store;
use rivetr_runtime::build::{DockerfileBuilder, StaticSiteBuilder, StaticSiteConfig};
use rivetr_runtime::docker::DockerRuntime;
use rivetr_runtime::source::{ArchiveLimits, ArchiveSource, GitSource, GitSourceConfig};
use rivetr_store::SqlStore;

use super::StartError;
use crate::config::Config;

/// Create the data directory (mode 0700: it holds the database, the
/// sealing keys and the setup token) when it does not exist yet; an
/// existing one is left as it is.
///
/// # Errors
///
/// [`StartError::DataDir`] when it cannot be created.
pub fn prepare_data_dir(config: &Config) -> Result<(), StartError> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = &config.server.data_dir;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| StartError::DataDir {
            path: dir.clone(),
            source,
        })
}

/// `SqlStore` on the configured database, migrated.
pub(super) async fn open_store(config: &Config) -> Result<Arc<dyn Store>, StartError> {
    let store_config = config.store_config().map_err(|e| StartError::Config {
        reason: e.to_string(),
    })?;
    let store = SqlStore::open(store_config)
        .await
        .map_err(|source| StartError::Store { source })?;
    Ok(Arc::new(store))
}

/// The configured Docker Engine, and its client for the builders.
pub(super) async fn connect_runtime(
    config: &Config,
) -> Result<(Arc<dyn ContainerRuntime>, Option<Docker>), StartError> {
    let runtime = DockerRuntime::connect(&config.connect_options())
        .await
        .map_err(|source| StartError::Runtime { source })?;
    let docker = runtime.connection().docker.clone();
    Ok((Arc::new(runtime), Some(docker)))
}

/// Git (cache under the work dir) and uploaded archives.
pub(super) fn default_sources(config: &Config) -> Result<Vec<Arc<dyn SourceFetcher>>, StartError> {
    let work = config.work_dir();
    let mut git_config = GitSourceConfig::new(work.join("git-cache"));
    git_config.policy = config.git_url_policy();
    let git = GitSource::new(git_config);
    let limits = ArchiveLimits {
        max_bytes: config.server.max_upload.get(),
        ..ArchiveLimits::default()
    };
    let archives = ArchiveSource::new(config.uploads_dir(), limits);
    Ok(vec![Arc::new(git), Arc::new(archives)])
}

/// The Dockerfile and static-site builders, when a Docker Engine is
/// connected (a replaced runtime brings its own builders).
pub(super) fn default_builders(
    docker: Option<&Docker>,
) -> Result<Vec<Arc<dyn Builder>>, StartError> {
    let Some(docker) = docker else {
        return Ok(Vec::new());
    };
    let site = StaticSiteConfig::busybox().map_err(|source| StartError::Part {
        what: "the static-site builder",
        source,
    })?;
    Ok(vec![
        Arc::new(DockerfileBuilder::new(docker.clone())),
        Arc::new(StaticSiteBuilder::new(docker.clone(), site)),
    ])
}
