//! [`MemoryBuilder`]: a [`Builder`] that "builds" Dockerfiles into a
//! [`MemoryRuntime`].

use std::path::PathBuf;

use async_trait::async_trait;

use super::faults::Faults;
use super::runtime::{ImageBehavior, MemoryRuntime};
use crate::builder::{BuildRequest, Builder, BuiltImage, Detection};
use crate::error::{Error, Result};
use crate::log_sink::LogSink;
use crate::model::{BuildSpec, BuilderKind};
use crate::source::SourceTree;

/// The operations of [`MemoryBuilder`] that can be scripted through
/// [`MemoryBuilder::faults`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BuilderOp {
    /// [`Builder::detect`].
    Detect,
    /// [`Builder::build`].
    Build,
}

/// Dockerfile instructions the builder accepts.
const INSTRUCTIONS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// A Dockerfile [`Builder`] that reads the Dockerfile, logs each step and
/// adds the image to a [`MemoryRuntime`]; nothing is executed.
///
/// Every non-empty line that is not a `#` comment is one step (no line
/// continuations); the first must be `FROM` or `ARG`, and unknown
/// instructions fail the build. Some steps steer the result:
///
/// - `RUN exit N` with `N != 0` fails the build at that step;
/// - `RUN echo TEXT` prints `TEXT`;
/// - `LABEL health=unhealthy` makes the image's containers fail health
///   probes, `LABEL crash-after-probes=N` makes them exit after `N` probes
///   (see [`ImageBehavior`]);
/// - each `LABEL log=TEXT` adds a line the image's containers print.
#[derive(Clone, Debug)]
pub struct MemoryBuilder {
    runtime: MemoryRuntime,
    faults: std::sync::Arc<Faults<BuilderOp>>,
}

impl MemoryBuilder {
    /// A builder whose images land in `runtime`.
    #[must_use]
    pub fn new(runtime: MemoryRuntime) -> Self {
        Self {
            runtime,
            faults: std::sync::Arc::default(),
        }
    }

    /// The failures and stalls scripted for this builder.
    #[must_use]
    pub fn faults(&self) -> &Faults<BuilderOp> {
        &self.faults
    }

    /// The runtime the images go to.
    #[must_use]
    pub fn runtime(&self) -> &MemoryRuntime {
        &self.runtime
    }
}

/// The Dockerfile's path inside the tree (for messages) and on disk
/// ([`PathInRepo`](crate::input::PathInRepo) keeps both inside the tree).
fn dockerfile(tree: &SourceTree, spec: &BuildSpec) -> (String, PathBuf) {
    let file = spec
        .dockerfile
        .as_ref()
        .map_or("Dockerfile", |f| f.as_str());
    let relative = match &spec.base_directory {
        Some(base) => format!("{}/{file}", base.as_str()),
        None => file.to_owned(),
    };
    let path = tree.root.join(&relative);
    (relative, path)
}

/// Why `line` (step `i` of `n`) fails the build, if it does; else how it
/// changes `behavior`.
fn step(line: &str, i: usize, n: usize, behavior: &mut ImageBehavior, log: &LogSink) -> Result<()> {
    let failed = |why: String| Error::invalid_input(format!("build failed at step {i}/{n}: {why}"));
    let (instruction, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let instruction = instruction.to_ascii_uppercase();
    let rest = rest.trim();
    if !INSTRUCTIONS.contains(&instruction.as_str()) {
        return Err(failed(format!("unknown instruction {instruction}")));
    }
    if i == 1 && !matches!(instruction.as_str(), "FROM" | "ARG") {
        return Err(failed("the first instruction must be FROM".to_owned()));
    }
    match instruction.as_str() {
        "RUN" => {
            if let Some(code) = rest.strip_prefix("exit ") {
                let code: i64 = (code.trim().parse())
                    .map_err(|_| failed(format!("{line}: exit needs a number")))?;
                if code != 0 {
                    log.stderr(&format!(
                        "The command '{rest}' returned a non-zero code: {code}"
                    ));
                    return Err(failed(format!("{line} returned {code}")));
                }
            } else if let Some(text) = rest.strip_prefix("echo ") {
                log.stdout(text.trim());
            }
        }
        "LABEL" => {
            if let Some(text) = rest.strip_prefix("log=") {
                behavior.logs.push(unquote(text).to_owned());
                return Ok(());
            }
            for pair in rest.split_whitespace() {
                match pair.split_once('=').map(|(k, v)| (k, unquote(v))) {
                    Some(("health", "unhealthy")) => behavior.healthy = false,
                    Some(("health", "healthy")) => behavior.healthy = true,
                    Some(("crash-after-probes", n)) => {
                        let n = (n.parse())
                            .map_err(|_| failed(format!("{line}: expected a number of probes")))?;
                        behavior.crash_after_probes = Some(n);
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn unquote(text: &str) -> &str {
    let text = text.trim();
    (text.strip_prefix('"').and_then(|t| t.strip_suffix('"'))).unwrap_or(text)
}

#[async_trait]
impl Builder for MemoryBuilder {
    fn kind(&self) -> BuilderKind {
        BuilderKind::Dockerfile
    }

    async fn detect(&self, tree: &SourceTree, spec: &BuildSpec) -> Result<Detection> {
        self.faults.enter(BuilderOp::Detect).await?;
        let (relative, path) = dockerfile(tree, spec);
        Ok(match tokio::fs::metadata(&path).await {
            Ok(meta) if meta.is_file() => Detection::Yes(format!("found {relative}")),
            _ => Detection::No(format!("no Dockerfile at {relative}")),
        })
    }

    async fn build(&self, request: &BuildRequest, log: &LogSink) -> Result<BuiltImage> {
        self.faults.enter(BuilderOp::Build).await?;
        let (relative, path) = dockerfile(&request.tree, &request.spec);
        let text = match tokio::fs::read(&path).await {
            Ok(bytes) => String::from_utf8(bytes)
                .map_err(|_| Error::invalid_input(format!("{relative} is not UTF-8 text")))?,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::invalid_input(format!("no Dockerfile at {relative}")));
            }
            Err(err) => {
                return Err(Error::internal(format!("reading {relative}: {err}")).with_source(err));
            }
        };
        log.info(&format!("Building {} from {relative}", request.image));
        if !request.spec.build_args.is_empty() {
            let keys: Vec<&str> = request.spec.build_args.keys().map(|k| k.as_str()).collect();
            log.info(&format!("Build arguments: {}", keys.join(", ")));
        }
        if let Some(target) = &request.spec.target {
            log.info(&format!("Target stage: {target}"));
        }
        let steps: Vec<&str> = (text.lines().map(str::trim))
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        if steps.is_empty() {
            return Err(Error::invalid_input(format!(
                "{relative} has no instructions"
            )));
        }
        let mut behavior = ImageBehavior::default();
        for (i, line) in steps.iter().enumerate() {
            log.stdout(&format!("Step {}/{} : {line}", i + 1, steps.len()));
            step(line, i + 1, steps.len(), &mut behavior, log)?;
        }
        self.runtime.add_image(&request.image, behavior);
        log.stdout(&format!("Successfully tagged {}", request.image));
        Ok(BuiltImage {
            image: request.image.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DeploymentStatus;

    fn tree(dockerfile: &str) -> (tempfile::TempDir, SourceTree) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
        let tree = SourceTree {
            root: dir.path().to_path_buf(),
            commit: None,
        };
        (dir, tree)
    }

    fn request(tree: SourceTree) -> BuildRequest {
        let mut spec = BuildSpec::default();
        spec.build_args
            .insert("NODE_ENV".parse().unwrap(), "sekrit-value".to_owned());
        BuildRequest {
            tree,
            spec,
            image: "app:v1".parse().unwrap(),
        }
    }

    #[tokio::test]
    async fn labels_steer_the_image_and_values_stay_out_of_the_log() {
        let runtime = MemoryRuntime::new();
        let builder = MemoryBuilder::new(runtime.clone());
        let (_dir, tree) = tree(
            "# comment\nFROM scratch\n\nLABEL health=unhealthy crash-after-probes=3\n\
             LABEL log=\"hello world\"\nRUN echo hi\n",
        );
        let (log, mut rx) = LogSink::channel(DeploymentStatus::Building);
        builder.build(&request(tree), &log).await.unwrap();
        let behavior = runtime.image_behavior(&"app:v1".parse().unwrap()).unwrap();
        assert!(!behavior.healthy);
        assert_eq!(behavior.crash_after_probes, Some(3));
        assert_eq!(behavior.logs, ["hello world"]);
        let mut lines = Vec::new();
        while let Ok(line) = rx.try_recv() {
            lines.push(line.text);
        }
        assert!(
            lines.contains(&"Step 1/4 : FROM scratch".to_owned()),
            "{lines:?}"
        );
        assert!(lines.contains(&"hi".to_owned()));
        assert!(lines.iter().any(|l| l.contains("NODE_ENV")));
        assert!(lines.iter().all(|l| !l.contains("sekrit")));
        assert_eq!(lines.last().unwrap(), "Successfully tagged app:v1");
    }

    #[tokio::test]
    async fn failing_step_fails_the_build_after_logging() {
        let runtime = MemoryRuntime::new();
        let builder = MemoryBuilder::new(runtime.clone());
        let (_dir, tree) = tree("FROM scratch\nRUN exit 2\nCMD [\"x\"]\n");
        let (log, mut rx) = LogSink::channel(DeploymentStatus::Building);
        let err = builder.build(&request(tree), &log).await.unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert_eq!(
            err.message(),
            "build failed at step 2/3: RUN exit 2 returned 2"
        );
        let mut saw_step = false;
        while let Ok(line) = rx.try_recv() {
            saw_step |= line.text == "Step 2/3 : RUN exit 2";
        }
        assert!(saw_step);
        assert!(runtime.images().is_empty());
    }

    #[tokio::test]
    async fn detect_honours_base_directory_and_dockerfile() {
        let builder = MemoryBuilder::new(MemoryRuntime::new());
        let (dir, tree) = tree("FROM scratch\n");
        std::fs::create_dir(dir.path().join("web")).unwrap();
        std::fs::write(dir.path().join("web/App.dockerfile"), "FROM scratch\n").unwrap();
        let mut spec = BuildSpec {
            base_directory: Some("web".parse().unwrap()),
            ..BuildSpec::default()
        };
        let no = builder.detect(&tree, &spec).await.unwrap();
        assert_eq!(
            no,
            Detection::No("no Dockerfile at web/Dockerfile".to_owned())
        );
        spec.dockerfile = Some("App.dockerfile".parse().unwrap());
        let yes = builder.detect(&tree, &spec).await.unwrap();
        assert_eq!(yes, Detection::Yes("found web/App.dockerfile".to_owned()));
    }

    #[tokio::test]
    async fn scripted_fail_and_stall() {
        let builder = MemoryBuilder::new(MemoryRuntime::new());
        let (_dir, tree) = tree("FROM scratch\n");
        let spec = BuildSpec::default();
        builder
            .faults()
            .fail_next(BuilderOp::Detect, Error::internal("boom"));
        assert!(builder.detect(&tree, &spec).await.is_err());
        assert!(builder.detect(&tree, &spec).await.unwrap().is_yes());
        let stall = builder.faults().stall(BuilderOp::Build);
        let request = request(tree);
        let log = LogSink::discard();
        let release = async {
            stall.reached().await;
            assert!(
                builder.runtime().images().is_empty(),
                "stalled before building"
            );
            stall.release();
        };
        let (built, ()) = tokio::join!(builder.build(&request, &log), release);
        assert_eq!(built.unwrap().image, request.image);
    }
}
