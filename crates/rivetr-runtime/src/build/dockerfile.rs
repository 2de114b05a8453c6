//! [`DockerfileBuilder`]: builds a Dockerfile through the Engine API.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use bollard::Docker;
use bollard::query_parameters::BuildImageOptions;
use futures::StreamExt;
use rivetr_core::builder::{BuildRequest, Builder, BuiltImage, Detection};
use rivetr_core::log_sink::LogSink;
use rivetr_core::model::{BuildSpec, BuilderKind};
use rivetr_core::source::SourceTree;
use rivetr_core::{Error, Result};

use super::context::{self, BuildContext, ContextStream};
use super::detect::{self, dockerfile_inside};
use crate::docker::Connection;

/// The label every image Rivetr builds carries.
pub const MANAGED_LABEL: &str = "dev.rivetr.managed";

/// How long the engine may take to start answering a build request (it
/// reads the whole context first).
const DEFAULT_BUILD_TIMEOUT: Duration = Duration::from_secs(3600);

/// Builds the tree's Dockerfile with the engine's build API (never the
/// CLI).
///
/// The context is the tree's root joined with the spec's base directory,
/// streamed as a tar (see the [`context`] module); the Dockerfile is
/// the spec's `dockerfile` (default `Dockerfile`) relative to that
/// directory. Build arguments are passed to the engine as they are; only
/// their names are logged.
#[derive(Clone, Debug)]
pub struct DockerfileBuilder {
    docker: Docker,
}

impl DockerfileBuilder {
    /// A builder using `docker` (its request timeout is raised for builds,
    /// which can take long before the engine answers).
    #[must_use]
    pub fn new(docker: Docker) -> Self {
        Self {
            docker: docker.with_timeout(DEFAULT_BUILD_TIMEOUT),
        }
    }

    /// A builder on a connected engine.
    #[must_use]
    pub fn from_connection(connection: &Connection) -> Self {
        Self::new(connection.docker.clone())
    }
}

#[async_trait]
impl Builder for DockerfileBuilder {
    fn kind(&self) -> BuilderKind {
        BuilderKind::Dockerfile
    }

    async fn detect(&self, tree: &SourceTree, spec: &BuildSpec) -> Result<Detection> {
        let report = detect::describe(tree, spec).await?;
        Ok(if let Some(problem) = report.problem {
            Detection::No(problem)
        } else if report.dockerfile {
            Detection::Yes(format!("found {}", report.dockerfile_path))
        } else {
            Detection::No(format!("no Dockerfile at {}", report.dockerfile_path))
        })
    }

    async fn build(&self, request: &BuildRequest, log: &LogSink) -> Result<BuiltImage> {
        let spec = &request.spec;
        let report = detect::describe(&request.tree, spec).await?;
        if let Some(problem) = report.problem {
            return Err(Error::invalid_input(problem));
        }
        let Some(dir) = report.dir.clone() else {
            return Err(Error::invalid_input(format!(
                "the base directory {} does not exist",
                report.base
            )));
        };
        if dockerfile_inside(&dir, spec)?.is_none() {
            return Err(Error::invalid_input(format!(
                "no Dockerfile at {}",
                report.dockerfile_path
            )));
        }
        let dockerfile = spec
            .dockerfile
            .as_ref()
            .map_or_else(|| "Dockerfile".to_owned(), |d| d.as_str().to_owned());
        log.info(&format!(
            "Building {} from {} (context {})",
            request.image, report.dockerfile_path, report.base
        ));
        if !spec.build_args.is_empty() {
            let keys: Vec<&str> = spec.build_args.keys().map(|k| k.as_str()).collect();
            log.info(&format!("Build arguments: {}", keys.join(", ")));
        }
        if let Some(target) = &spec.target {
            log.info(&format!("Target stage: {target}"));
        }
        if spec.no_cache {
            log.info("Building without the cache");
        }
        let context = BuildContext {
            root: dir,
            keep: vec![dockerfile.clone(), ".dockerignore".to_owned()],
            ..BuildContext::default()
        };
        engine_build(&self.docker, context, dockerfile, spec, request, log).await?;
        Ok(BuiltImage {
            image: request.image.clone(),
        })
    }
}

/// Build `context` with the engine, `dockerfile` being its path inside the
/// context, streaming output to `log`.
pub(crate) async fn engine_build(
    docker: &Docker,
    context: BuildContext,
    dockerfile: String,
    spec: &BuildSpec,
    request: &BuildRequest,
    log: &LogSink,
) -> Result<()> {
    let buildargs: HashMap<String, String> = (spec.build_args.iter())
        .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
        .collect();
    let options = BuildImageOptions {
        dockerfile,
        t: Some(request.image.as_str().to_owned()),
        target: spec
            .target
            .as_ref()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        buildargs: Some(buildargs),
        nocache: spec.no_cache,
        rm: true,
        forcerm: true,
        labels: Some(HashMap::from([(
            MANAGED_LABEL.to_owned(),
            "true".to_owned(),
        )])),
        ..BuildImageOptions::default()
    };
    let ContextStream { body, producer } = context::stream(context);
    let body = bollard::body_try_stream(ContextStream::chunks(body));
    let mut output = docker.build_image(options, None, Some(body));
    let mut lines = LineBuffer::default();
    let mut failure = None;
    while let Some(item) = output.next().await {
        match item {
            Ok(info) => {
                if let Some(text) = &info.stream {
                    lines.push(text, log);
                }
                // Pull progress of a base image: one line per layer and
                // state, not one per progress tick.
                if let Some(status) = &info.status
                    && info
                        .progress_detail
                        .as_ref()
                        .is_none_or(|p| p.total.is_none() && p.current.is_none())
                {
                    lines.flush(log);
                    match &info.id {
                        Some(id) => log.stdout(&format!("{id}: {status}")),
                        None => log.stdout(status),
                    }
                }
                if let Some(detail) = info.error_detail {
                    let message = detail.message.unwrap_or_else(|| "unknown error".to_owned());
                    failure = Some(message);
                    break;
                }
            }
            Err(bollard::errors::Error::DockerStreamError { error }) => {
                failure = Some(error);
                break;
            }
            Err(bollard::errors::Error::DockerResponseServerError { message, .. }) => {
                failure = Some(message);
                break;
            }
            Err(err) => {
                lines.flush(log);
                drop(output);
                // A broken context explains a broken request better than
                // the HTTP error does.
                if let Ok(Err(io)) = producer.await
                    && io.kind() != std::io::ErrorKind::BrokenPipe
                {
                    return Err(Error::invalid_input(format!(
                        "build failed: reading the build context: {io}"
                    )));
                }
                return Err(Error::unavailable(format!(
                    "build failed: the container engine did not complete the request: {err}"
                ))
                .with_source(err));
            }
        }
    }
    lines.flush(log);
    drop(output);
    if let Some(message) = failure {
        let message = message.trim().to_owned();
        log.stderr(&message);
        return Err(Error::invalid_input(format!("build failed: {message}")));
    }
    match producer.await {
        Ok(Ok(stats)) => {
            tracing::debug!(
                files = stats.files,
                bytes = stats.bytes,
                "build context sent"
            );
            Ok(())
        }
        Ok(Err(io)) => Err(Error::invalid_input(format!(
            "build failed: reading the build context: {io}"
        ))),
        Err(join) => Err(Error::internal(format!("build context producer: {join}"))),
    }
}

/// Longest line kept from the build output: a longer one is cut (ending
/// in [`CUT_MARK`]) and the rest of it, up to the next newline, dropped.
const MAX_LINE: usize = 64 * 1024;
/// Marks a line that was cut at [`MAX_LINE`].
const CUT_MARK: char = '…';

/// Joins the engine's `stream` fragments into whole lines, holding at most
/// [`MAX_LINE`] bytes of an unfinished line.
#[derive(Default)]
struct LineBuffer {
    pending: String,
    /// The current line was cut: drop its text until the next newline.
    discarding: bool,
}

impl LineBuffer {
    fn push(&mut self, mut text: &str, log: &LogSink) {
        while !text.is_empty() {
            let (part, ended) = match text.find('\n') {
                Some(end) => {
                    let part = &text[..end];
                    text = &text[end + 1..];
                    (part, true)
                }
                None => (std::mem::take(&mut text), false),
            };
            if self.discarding {
                self.discarding = !ended;
                continue;
            }
            let room = MAX_LINE - self.pending.len();
            if part.len() > room {
                let mut cut = room;
                while !part.is_char_boundary(cut) {
                    cut -= 1;
                }
                self.pending.push_str(&part[..cut]);
                self.pending.push(CUT_MARK);
                self.emit(log);
                self.discarding = !ended;
            } else {
                self.pending.push_str(part);
                if ended {
                    self.emit(log);
                }
            }
        }
    }

    /// Send the pending line (unless blank) and clear it.
    fn emit(&mut self, log: &LogSink) {
        let line = self.pending.trim_end_matches(['\n', '\r']);
        if !line.trim().is_empty() {
            log.stdout(line);
        }
        self.pending.clear();
    }

    fn flush(&mut self, log: &LogSink) {
        self.discarding = false;
        let rest = std::mem::take(&mut self.pending);
        if !rest.trim().is_empty() {
            log.stdout(rest.trim_end());
        }
    }
}

#[cfg(test)]
mod tests {
    use rivetr_core::model::DeploymentStatus;

    use super::*;

    fn received(
        rx: &mut tokio::sync::mpsc::UnboundedReceiver<rivetr_core::model::NewLogLine>,
    ) -> Vec<String> {
        std::iter::from_fn(|| rx.try_recv().ok())
            .map(|l| l.text)
            .collect()
    }

    #[test]
    fn fragments_are_joined_into_lines() {
        let (log, mut rx) = LogSink::channel(DeploymentStatus::Building);
        let mut lines = LineBuffer::default();
        lines.push("Step 1/2 : FR", &log);
        lines.push("OM scratch\r\n\n  \nStep 2", &log);
        assert_eq!(received(&mut rx), ["Step 1/2 : FROM scratch"]);
        lines.flush(&log);
        assert_eq!(received(&mut rx), ["Step 2"]);
    }

    #[test]
    fn a_huge_line_without_newlines_is_cut_and_bounded() {
        let (log, mut rx) = LogSink::channel(DeploymentStatus::Building);
        let mut lines = LineBuffer::default();
        lines.push("before\n", &log);
        // 64 MiB of output without a newline, in engine-sized fragments.
        let chunk = "y".repeat(64 * 1024 - 1) + "é";
        for _ in 0..1024 {
            lines.push(&chunk, &log);
            assert!(lines.pending.len() <= MAX_LINE);
        }
        lines.push("tail of the long line\nafter\n", &log);
        lines.push("é".repeat(MAX_LINE).as_str(), &log);
        lines.push("\nlast", &log);
        lines.flush(&log);
        let got = received(&mut rx);
        assert_eq!(
            got.len(),
            5,
            "{:?}",
            got.iter().map(String::len).collect::<Vec<_>>()
        );
        assert_eq!(got[0], "before");
        assert!(got[1].len() <= MAX_LINE + CUT_MARK.len_utf8());
        assert!(got[1].starts_with("yyy") && got[1].ends_with(CUT_MARK));
        assert_eq!(got[2], "after");
        assert!(got[3].len() <= MAX_LINE + CUT_MARK.len_utf8());
        assert!(got[3].starts_with('é') && got[3].ends_with(CUT_MARK));
        assert_eq!(got[4], "last");
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_not_cut() {
        let (log, mut rx) = LogSink::channel(DeploymentStatus::Building);
        let mut lines = LineBuffer::default();
        let line = "z".repeat(MAX_LINE);
        lines.push(&line[..10], &log);
        lines.push(&line[10..], &log);
        lines.push("\nnext\n", &log);
        assert_eq!(received(&mut rx), [line, "next".to_owned()]);
    }
}
