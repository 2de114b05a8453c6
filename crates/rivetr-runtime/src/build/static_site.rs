//! [`StaticSiteBuilder`]: serves a directory of files from a generated
//! image, optionally after a build command.
//!
//! Without a build step ([`BuildSpec::static_site`] is `None`) the generated
//! Dockerfile copies the build directory onto the base image. With one, it
//! has two stages: the build directory is copied into the build image,
//! the command runs there (as an exec-form `RUN`, each argument a JSON
//! string, so no argument can end the instruction or start another), and
//! only its output directory is copied onto the base image.

use async_trait::async_trait;
use bollard::Docker;
use rivetr_core::builder::{BuildRequest, Builder, BuiltImage, Detection};
use rivetr_core::input::{CommandLine, EnvKey, ImageRef, Port};
use rivetr_core::log_sink::LogSink;
use rivetr_core::model::{BuildSpec, BuilderKind, StaticSiteBuild};
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
/// The name of the build stage (with a build command). Not `build`: a base
/// image named `build` would then mean the stage.
pub const BUILD_STAGE: &str = "rivetr-site-build";
/// Where the build stage puts the build directory and runs the command.
pub const BUILD_DIR: &str = "/src";

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
        Ok(format!(
            "FROM {base}\nCOPY {SITE_PREFIX} {SITE_DIR}/\n{serve}",
            base = self.base_image,
            serve = self.serve_instructions()?,
        ))
    }

    /// The instructions after the site's files are in place: label, port
    /// and serve command.
    fn serve_instructions(&self) -> Result<String> {
        let cmd = json_array(self.serve_command.args(), "the serve command")?;
        Ok(format!(
            "LABEL {MANAGED_LABEL}=true\nEXPOSE {port}\nCMD {cmd}\n",
            port = self.port.get(),
        ))
    }

    /// The generated two-stage Dockerfile for a site with a build step:
    /// `build.command` runs in `build.image` on a copy of the build
    /// directory (in [`BUILD_DIR`], with an `ARG` for each of `build_args`
    /// so their values reach it as environment variables), and
    /// `build.output_dir` is copied onto the base image.
    ///
    /// Every value that reaches the file is either a validated name
    /// ([`ImageRef`], [`EnvKey`]) or a JSON string (the command's
    /// arguments, the output path): JSON escapes newlines, quotes and
    /// backslashes, so an argument stays one argument of one `RUN`.
    ///
    /// # Errors
    ///
    /// `Internal` if a value cannot be encoded as JSON.
    pub fn build_dockerfile<'a>(
        &self,
        build: &StaticSiteBuild,
        build_args: impl IntoIterator<Item = &'a EnvKey>,
    ) -> Result<String> {
        let run = json_array(build.command.args(), "the build command")?;
        let output = format!("{BUILD_DIR}/{}/", build.output_dir);
        let copy = json_array(&[output, format!("{SITE_DIR}/")], "the output directory")?;
        let args: String = build_args
            .into_iter()
            .map(|key| format!("ARG {key}\n", key = key.as_str()))
            .collect();
        Ok(format!(
            "FROM {image} AS {BUILD_STAGE}\n{args}WORKDIR {BUILD_DIR}\n\
             COPY {SITE_PREFIX} {BUILD_DIR}/\nRUN {run}\n\
             FROM {base}\nCOPY --from={BUILD_STAGE} {copy}\n{serve}",
            image = build.image,
            base = self.base_image,
            serve = self.serve_instructions()?,
        ))
    }
}

/// `args` as a JSON array of strings (the exec form of `RUN` and `CMD`, and
/// the JSON form of `COPY`).
fn json_array(args: &[String], what: &str) -> Result<String> {
    serde_json::to_string(args).map_err(|e| Error::internal(format!("encoding {what}: {e}")))
}

/// Builds a directory holding an `index.html` (and no Dockerfile) into an
/// image that serves it, from a Dockerfile generated in memory; or, when
/// the spec has a [`StaticSiteBuild`], runs its command first and serves
/// the output directory (see the [module docs](self)).
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
        } else if let Some(build) = &spec.static_site {
            Detection::Yes(format!(
                "no Dockerfile in {} and the app has a static site build: {} runs in {} \
                 and {} is served (its index.html may only exist after the build)",
                report.base,
                build.command,
                build.image,
                report.join(build.output_dir.as_str()),
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
        let dir = match (report.dir.clone(), &spec.static_site) {
            (Some(dir), Some(_)) => dir,
            (Some(dir), None) if report.index_html => dir,
            _ => {
                return Err(Error::invalid_input(format!(
                    "no {}: not a static site",
                    report.join("index.html")
                )));
            }
        };
        let dockerfile = if let Some(build) = &spec.static_site {
            // The argument vector and the image are not secrets: logged as
            // they are (JSON, so each argument shows its bounds and a
            // newline inside one stays on this line).
            log.info(&format!(
                "Building {} as a static site from {}: running the build command {} in {}, \
                 then serving {} on {}",
                request.image,
                report.base,
                json_array(build.command.args(), "the build command")?,
                build.image,
                report.join(build.output_dir.as_str()),
                self.config.base_image
            ));
            self.config
                .build_dockerfile(build, spec.build_args.keys())?
        } else {
            log.info(&format!(
                "Building {} as a static site from {} on {}",
                request.image, report.base, self.config.base_image
            ));
            self.config.dockerfile()?
        };
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

    #[test]
    fn generated_two_stage_dockerfile_keeps_each_argument_in_its_string() {
        let config = StaticSiteConfig::busybox().unwrap();
        let build = StaticSiteBuild {
            image: "node:22".parse().unwrap(),
            command: CommandLine::new(["npm", "run", "build", "a\"]\nRUN evil \\", "$HOME"])
                .unwrap(),
            output_dir: "web/dist".parse().unwrap(),
        };
        let key: EnvKey = "API_URL".parse().unwrap();
        let dockerfile = config.build_dockerfile(&build, [&key]).unwrap();
        assert_eq!(
            dockerfile,
            "FROM node:22 AS rivetr-site-build\nARG API_URL\nWORKDIR /src\n\
             COPY site/ /src/\n\
             RUN [\"npm\",\"run\",\"build\",\"a\\\"]\\nRUN evil \\\\\",\"$HOME\"]\n\
             FROM busybox:stable\n\
             COPY --from=rivetr-site-build [\"/src/web/dist/\",\"/site/\"]\n\
             LABEL dev.rivetr.managed=true\nEXPOSE 8080\n\
             CMD [\"httpd\",\"-f\",\"-p\",\"8080\",\"-h\",\"/site\"]\n"
        );
        // One instruction per line: the hostile argument added none.
        let instructions: Vec<&str> = dockerfile
            .lines()
            .map(|l| l.split(' ').next().unwrap())
            .collect();
        assert_eq!(
            instructions,
            [
                "FROM", "ARG", "WORKDIR", "COPY", "RUN", "FROM", "COPY", "LABEL", "EXPOSE", "CMD"
            ]
        );
        let run = dockerfile
            .lines()
            .nth(4)
            .unwrap()
            .strip_prefix("RUN ")
            .unwrap();
        let args: Vec<String> = serde_json::from_str(run).unwrap();
        assert_eq!(args, build.command.args());
    }
}
