//! [`StaticSiteBuilder`]: serves a directory of files from a generated
//! image.

use async_trait::async_trait;
use bollard::Docker;
use rivetr_core::builder::{BuildRequest, Builder, BuiltImage, Detection};
use rivetr_core::input::{CommandLine, ImageRef, Port};
use rivetr_core::log_sink::LogSink;
use rivetr_core::model::{BuildSpec, BuilderKind};
use rivetr_core::source::SourceTree;
use rivetr_core::{Error, Result};

use super::context::BuildContext;
use super::detect;
use super::dockerfile::{MANAGED_LABEL, engine_build};
use crate::docker::Connection;

/// Where the site's files go in the image.
pub const SITE_DIR: &str = "/site";

/// The generated Dockerfile's name in the build context. The site's files
/// sit under `site/` beside it, so no file of the site can clash with it.
const GENERATED_DOCKERFILE: &str = "Dockerfile";
/// Where the site's files sit in the build context.
const SITE_PREFIX: &str = "site/";

/// How the generated image serves the files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticSiteConfig {
    /// The image the site's files are copied onto; it must hold a program
    /// that serves files, and be present on the engine or pullable from
    /// its registry (the build pulls it like any `FROM`).
    pub base_image: ImageRef,
    /// The command serving [`SITE_DIR`] (an argument vector, no shell).
    pub serve_command: CommandLine,
    /// The port it listens on (declared with `EXPOSE`).
    pub port: Port,
}

impl StaticSiteConfig {
    /// `busybox:stable` running `httpd -f -p 8080 -h /site`.
    ///
    /// # Errors
    ///
    /// Never in practice (the values are constants); `Internal` if one of
    /// them stopped parsing.
    pub fn busybox() -> Result<Self> {
        let bad = |e: rivetr_core::input::InputError| Error::internal(format!("{e}"));
        Ok(Self {
            base_image: "busybox:stable".parse().map_err(bad)?,
            serve_command: CommandLine::new(["httpd", "-f", "-p", "8080", "-h", SITE_DIR])
                .map_err(bad)?,
            port: Port::try_from(8080u16).map_err(bad)?,
        })
    }

    /// The generated Dockerfile.
    ///
    /// # Errors
    ///
    /// `Internal` if the command cannot be encoded as JSON.
    pub fn dockerfile(&self) -> Result<String> {
        let cmd = serde_json::to_string(self.serve_command.args())
            .map_err(|e| Error::internal(format!("encoding the serve command: {e}")))?;
        Ok(format!(
            "FROM {base}\nCOPY {SITE_PREFIX} {SITE_DIR}/\nLABEL {MANAGED_LABEL}=true\n\
             EXPOSE {port}\nCMD {cmd}\n",
            base = self.base_image,
            port = self.port.get(),
        ))
    }
}

/// Builds a directory holding an `index.html` (and no Dockerfile) into an
/// image that serves it, from a Dockerfile generated in memory.
#[derive(Clone, Debug)]
pub struct StaticSiteBuilder {
    docker: Docker,
    config: StaticSiteConfig,
}

impl StaticSiteBuilder {
    /// A builder using `docker` and `config`.
    #[must_use]
    pub fn new(docker: Docker, config: StaticSiteConfig) -> Self {
        Self {
            docker: docker.with_timeout(std::time::Duration::from_secs(3600)),
            config,
        }
    }

    /// A builder on a connected engine.
    #[must_use]
    pub fn from_connection(connection: &Connection, config: StaticSiteConfig) -> Self {
        Self::new(connection.docker.clone(), config)
    }

    /// How it serves the files.
    #[must_use]
    pub fn config(&self) -> &StaticSiteConfig {
        &self.config
    }
}

#[async_trait]
impl Builder for StaticSiteBuilder {
    fn kind(&self) -> BuilderKind {
        BuilderKind::Static
    }

    async fn detect(&self, tree: &SourceTree, spec: &BuildSpec) -> Result<Detection> {
        let report = detect::describe(tree, spec).await?;
        let index = report.join("index.html");
        Ok(if let Some(problem) = report.problem {
            Detection::No(problem)
        } else if report.dockerfile {
            Detection::No(format!(
                "found {}: the Dockerfile builder takes it, not the static site one",
                report.dockerfile_path
            ))
        } else if report.index_html {
            Detection::Yes(format!(
                "found {index} and no Dockerfile: serving {} as a static site",
                report.base
            ))
        } else {
            Detection::No(format!("no {index}: not a static site"))
        })
    }

    async fn build(&self, request: &BuildRequest, log: &LogSink) -> Result<BuiltImage> {
        let spec = &request.spec;
        let report = detect::describe(&request.tree, spec).await?;
        if let Some(problem) = report.problem {
            return Err(Error::invalid_input(problem));
        }
        let (Some(dir), true) = (report.dir.clone(), report.index_html) else {
            return Err(Error::invalid_input(format!(
                "no {}: not a static site",
                report.join("index.html")
            )));
        };
        let dockerfile = self.config.dockerfile()?;
        log.info(&format!(
            "Building {} as a static site from {} on {}",
            request.image, report.base, self.config.base_image
        ));
        let context = BuildContext {
            root: dir,
            prefix: SITE_PREFIX.to_owned(),
            keep: Vec::new(),
            skip: vec![".dockerignore".to_owned()],
            extra: vec![(GENERATED_DOCKERFILE.to_owned(), dockerfile.into_bytes())],
        };
        let spec = BuildSpec {
            dockerfile: None,
            target: None,
            ..spec.clone()
        };
        engine_build(
            &self.docker,
            context,
            GENERATED_DOCKERFILE.to_owned(),
            &spec,
            request,
            log,
        )
        .await?;
        Ok(BuiltImage {
            image: request.image.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::*;

    #[test]
    fn generated_dockerfile() {
        let config = StaticSiteConfig::busybox().unwrap();
        assert_eq!(
            config.dockerfile().unwrap(),
            "FROM busybox:stable\nCOPY site/ /site/\nLABEL dev.rivetr.managed=true\n\
             EXPOSE 8080\nCMD [\"httpd\",\"-f\",\"-p\",\"8080\",\"-h\",\"/site\"]\n"
        );
    }
}
