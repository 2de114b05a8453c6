//! Builders that run a CLI: Nixpacks, Railpack and Cloud Native Buildpacks
//! (`pack`).
//!
//! Each runs `Command::new(program).args([...])` (no shell) with `--`
//! before its positional argument, a cleared environment (only the
//! variables named in [`CliConfig::pass_env`], `PATH`, and the build
//! arguments are set), standard output and error streamed line by line into
//! the [`LogSink`], and `kill_on_drop` so that dropping the build future
//! kills the tool.
//!
//! Build arguments are given to the tool as `--env NAME` (the value-less
//! form, which reads the value from the tool's environment), so their
//! values never appear in a process's arguments.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use async_trait::async_trait;
use rivetr_core::builder::{BuildRequest, Builder, BuiltImage, Detection};
use rivetr_core::input::ImageRef;
use rivetr_core::log_sink::LogSink;
use rivetr_core::model::{BuildSpec, BuilderKind, LogStream};
use rivetr_core::source::SourceTree;
use rivetr_core::{Error, Result};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;

use super::detect::{self, LANGUAGE_MARKERS};

/// Lines of standard error quoted in the error of a failed build.
const STDERR_TAIL: usize = 20;
/// Longest line kept from a tool's output (longer ones are cut, ending in
/// [`CUT_MARK`], and the rest of them dropped without being held).
const MAX_LINE: usize = 16 * 1024;
/// Marks a line that was cut at [`MAX_LINE`].
const CUT_MARK: char = '…';

/// Where to find a CLI and what it may see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CliConfig {
    /// The program: a name looked up in `search_path`, or a path (with a
    /// `/`) used as it is.
    pub program: PathBuf,
    /// `PATH`-style list of directories to look in, also the tool's `PATH`;
    /// `None`: the process's `PATH`.
    pub search_path: Option<OsString>,
    /// Names of the process's environment variables passed to the tool
    /// (everything else is cleared).
    pub pass_env: Vec<String>,
}

impl CliConfig {
    /// `program` looked up on the process's `PATH`, passing the variables
    /// the tools need to reach the engine: `HOME`, `TMPDIR`, `LANG`,
    /// `DOCKER_HOST`, `DOCKER_CONFIG`, `DOCKER_CERT_PATH`,
    /// `DOCKER_TLS_VERIFY`, `BUILDKIT_HOST`, `XDG_RUNTIME_DIR`.
    #[must_use]
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            search_path: None,
            pass_env: [
                "HOME",
                "TMPDIR",
                "LANG",
                "DOCKER_HOST",
                "DOCKER_CONFIG",
                "DOCKER_CERT_PATH",
                "DOCKER_TLS_VERIFY",
                "BUILDKIT_HOST",
                "XDG_RUNTIME_DIR",
            ]
            .map(str::to_owned)
            .to_vec(),
        }
    }

    /// The same, looking in `path` (a `PATH`-style list) instead.
    #[must_use]
    pub fn with_search_path(mut self, path: impl Into<OsString>) -> Self {
        self.search_path = Some(path.into());
        self
    }

    fn path_var(&self) -> Option<OsString> {
        self.search_path
            .clone()
            .or_else(|| std::env::var_os("PATH"))
    }

    /// The program's location: the first executable regular file named
    /// `program` in the search path (or `program` itself when it holds a
    /// `/`).
    #[must_use]
    pub fn locate(&self) -> Option<PathBuf> {
        if self.program.as_os_str().is_empty() {
            return None;
        }
        if self.program.components().count() > 1 || self.program.is_absolute() {
            return is_executable(&self.program).then(|| self.program.clone());
        }
        let path = self.path_var()?;
        std::env::split_paths(&path)
            .filter(|dir| dir.is_absolute())
            .map(|dir| dir.join(&self.program))
            .find(|candidate| is_executable(candidate))
    }
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// What differs between the tools.
#[derive(Clone, Copy, Debug)]
struct Tool {
    kind: BuilderKind,
    name: &'static str,
    args: fn(&Path, &ImageRef, &BuildSpec, &[String]) -> Vec<OsString>,
}

fn env_args(spec: &BuildSpec) -> Vec<OsString> {
    (spec.build_args.keys())
        .flat_map(|k| [OsString::from("--env"), OsString::from(k.as_str())])
        .collect()
}

/// `nixpacks build --name IMAGE [--env K]... [--no-cache] -- DIR`
fn nixpacks_args(dir: &Path, image: &ImageRef, spec: &BuildSpec, _: &[String]) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["build".into(), "--name".into(), image.as_str().into()];
    args.extend(env_args(spec));
    if spec.no_cache {
        args.push("--no-cache".into());
    }
    args.push("--".into());
    args.push(dir.as_os_str().to_owned());
    args
}

/// `railpack build --name IMAGE [--env K]... -- DIR`
fn railpack_args(dir: &Path, image: &ImageRef, spec: &BuildSpec, _: &[String]) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["build".into(), "--name".into(), image.as_str().into()];
    args.extend(env_args(spec));
    args.push("--".into());
    args.push(dir.as_os_str().to_owned());
    args
}

/// `pack build --path DIR [--builder B] [--env K]... [--clear-cache] -- IMAGE`
fn pack_args(dir: &Path, image: &ImageRef, spec: &BuildSpec, extra: &[String]) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["build".into(), "--path".into(), dir.as_os_str().to_owned()];
    if let Some(builder) = extra.first() {
        args.push("--builder".into());
        args.push(builder.into());
    }
    args.extend(env_args(spec));
    if spec.no_cache {
        args.push("--clear-cache".into());
    }
    args.push("--".into());
    args.push(image.as_str().into());
    args
}

const NIXPACKS: Tool = Tool {
    kind: BuilderKind::Nixpacks,
    name: "nixpacks",
    args: nixpacks_args,
};
const RAILPACK: Tool = Tool {
    kind: BuilderKind::Railpack,
    name: "railpack",
    args: railpack_args,
};
const PACK: Tool = Tool {
    kind: BuilderKind::Buildpacks,
    name: "pack",
    args: pack_args,
};

async fn detect_with(
    tool: Tool,
    config: &CliConfig,
    tree: &SourceTree,
    spec: &BuildSpec,
) -> Result<Detection> {
    let cfg = config.clone();
    let located = tokio::task::spawn_blocking(move || cfg.locate())
        .await
        .map_err(|e| Error::internal(format!("looking for {}: {e}", tool.name)))?;
    if located.is_none() {
        return Ok(Detection::Unavailable(format!(
            "{} is not on the PATH",
            config.program.display()
        )));
    }
    let report = detect::describe(tree, spec).await?;
    Ok(if let Some(problem) = report.problem {
        Detection::No(problem)
    } else if report.markers.is_empty() {
        let known: Vec<&str> = LANGUAGE_MARKERS.iter().take(8).map(|m| m.file).collect();
        Detection::No(format!(
            "no language marker {} knows in {} (such as {}, …)",
            tool.name,
            report.base,
            known.join(", ")
        ))
    } else {
        let found = report.markers_text();
        if report.dockerfile {
            Detection::Yes(format!(
                "found {found}: {} can build it (there is a Dockerfile at {} too, which {} ignores)",
                tool.name, report.dockerfile_path, tool.name
            ))
        } else {
            Detection::Yes(format!("found {found}: {} can build it", tool.name))
        }
    })
}

async fn build_with(
    tool: Tool,
    config: &CliConfig,
    extra: &[String],
    request: &BuildRequest,
    log: &LogSink,
) -> Result<BuiltImage> {
    let cfg = config.clone();
    let program = tokio::task::spawn_blocking(move || cfg.locate())
        .await
        .map_err(|e| Error::internal(format!("looking for {}: {e}", tool.name)))?
        .ok_or_else(|| {
            Error::unavailable(format!("{} is not on the PATH", config.program.display()))
        })?;
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
    let args = (tool.args)(&dir, &request.image, spec, extra);
    let shown: Vec<String> = std::iter::once(program.display().to_string())
        .chain(args.iter().map(|a| a.to_string_lossy().into_owned()))
        .collect();
    log.info(&format!("Running {}", shown.join(" ")));
    if spec.target.is_some() || spec.dockerfile.is_some() {
        log.info(&format!(
            "{} ignores the Dockerfile path and build target settings",
            tool.name
        ));
    }
    let mut command = Command::new(&program);
    command
        .args(&args)
        .current_dir(&dir)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(path) = config.path_var() {
        command.env("PATH", path);
    }
    for name in &config.pass_env {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    for (key, value) in &spec.build_args {
        command.env(key.as_str(), value);
    }
    let mut child = command.spawn().map_err(|e| {
        Error::unavailable(format!("starting {}: {e}", program.display())).with_source(e)
    })?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let mut tail = VecDeque::new();
    let (status, (), ()) = tokio::join!(
        child.wait(),
        pump(stdout, log, LogStream::Stdout, None),
        pump(stderr, log, LogStream::Stderr, Some(&mut tail)),
    );
    let status = status
        .map_err(|e| Error::internal(format!("waiting for {}: {e}", tool.name)).with_source(e))?;
    if status.success() {
        log.info(&format!("{} built {}", tool.name, request.image));
        return Ok(BuiltImage {
            image: request.image.clone(),
        });
    }
    let how = match status.code() {
        Some(code) => format!("exit status {code}"),
        None => "killed by a signal".to_owned(),
    };
    let tail: Vec<String> = tail.into_iter().collect();
    let mut message = format!("build failed: {} ended with {how}", tool.name);
    if !tail.is_empty() {
        message.push_str(": ");
        message.push_str(&tail.join("\n"));
    }
    Err(Error::invalid_input(message))
}

/// Copy `reader` into `log` line by line, keeping the last lines in `tail`.
async fn pump<R: AsyncRead + Unpin>(
    reader: Option<R>,
    log: &LogSink,
    stream: LogStream,
    mut tail: Option<&mut VecDeque<String>>,
) {
    let Some(reader) = reader else { return };
    let mut reader = BufReader::new(reader);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match read_line_capped(&mut reader, &mut buf).await {
            Ok(None) | Err(_) => break,
            Ok(Some(cut)) => {
                let text = String::from_utf8_lossy(&buf);
                let text = text.trim_end_matches(['\n', '\r']);
                let text = if cut {
                    format!("{text}{CUT_MARK}")
                } else {
                    text.to_owned()
                };
                log.line(stream, &text);
                if let Some(tail) = tail.as_deref_mut() {
                    if tail.len() == STDERR_TAIL {
                        tail.pop_front();
                    }
                    tail.push_back(text);
                }
            }
        }
    }
}

/// Read one line (with its newline) into `line`, keeping at most
/// [`MAX_LINE`] bytes of it and discarding the rest up to the newline, in
/// bounded chunks (never more than the reader's buffer at a time).
/// `Ok(None)` at the end of the input, else `Ok(Some(cut))`.
async fn read_line_capped<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut Vec<u8>,
) -> std::io::Result<Option<bool>> {
    let mut read_any = false;
    let mut cut = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(read_any.then_some(cut));
        }
        read_any = true;
        let (used, ended) = crate::line_cap::take_line_chunk(available, line, &mut cut, MAX_LINE);
        reader.consume(used);
        if ended {
            return Ok(Some(cut));
        }
    }
}

macro_rules! cli_builder {
    ($(#[$doc:meta])* $name:ident, $tool:expr, $program:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name {
            config: CliConfig,
            extra: Vec<String>,
        }

        impl $name {
            #[doc = concat!("A builder running `", $program, "` from the process's `PATH`.")]
            #[must_use]
            pub fn new() -> Self {
                Self::with_config(CliConfig::new($program))
            }

            /// A builder with its own program location and environment.
            #[must_use]
            pub fn with_config(config: CliConfig) -> Self {
                Self {
                    config,
                    extra: Vec::new(),
                }
            }

            /// Where the program is looked for and what it may see.
            #[must_use]
            pub fn config(&self) -> &CliConfig {
                &self.config
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        #[async_trait]
        impl Builder for $name {
            fn kind(&self) -> BuilderKind {
                $tool.kind
            }

            async fn detect(&self, tree: &SourceTree, spec: &BuildSpec) -> Result<Detection> {
                detect_with($tool, &self.config, tree, spec).await
            }

            async fn build(&self, request: &BuildRequest, log: &LogSink) -> Result<BuiltImage> {
                build_with($tool, &self.config, &self.extra, request, log).await
            }
        }
    };
}

cli_builder!(
    /// Builds with [Nixpacks](https://nixpacks.com):
    /// `nixpacks build --name IMAGE [--env NAME]... [--no-cache] -- DIR`.
    NixpacksBuilder,
    NIXPACKS,
    "nixpacks"
);
cli_builder!(
    /// Builds with [Railpack](https://railpack.com):
    /// `railpack build --name IMAGE [--env NAME]... -- DIR` (no-cache is not
    /// passed: Railpack has no such flag).
    RailpackBuilder,
    RAILPACK,
    "railpack"
);
cli_builder!(
    /// Builds with Cloud Native Buildpacks' `pack`:
    /// `pack build --path DIR [--builder B] [--env NAME]... [--clear-cache] -- IMAGE`.
    BuildpacksBuilder,
    PACK,
    "pack"
);

impl BuildpacksBuilder {
    /// The same, with `--builder builder` (otherwise `pack`'s configured
    /// default builder is used).
    #[must_use]
    pub fn with_pack_builder(mut self, builder: &ImageRef) -> Self {
        self.extra = vec![builder.as_str().to_owned()];
        self
    }
}

/// The program name of a tool kind, for messages (`None` for kinds that
/// are not CLI builders).
#[must_use]
pub fn program_of(kind: BuilderKind) -> Option<&'static OsStr> {
    match kind {
        BuilderKind::Nixpacks => Some(OsStr::new(NIXPACKS.name)),
        BuilderKind::Railpack => Some(OsStr::new(RAILPACK.name)),
        BuilderKind::Buildpacks => Some(OsStr::new(PACK.name)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::*;

    #[test]
    fn argument_vectors() {
        let image: ImageRef = "app:v1".parse().unwrap();
        let mut spec = BuildSpec::default();
        spec.build_args
            .insert("NODE_ENV".parse().unwrap(), "secret-ish".into());
        spec.no_cache = true;
        let dir = Path::new("/src/app");
        let strs = |v: Vec<OsString>| -> Vec<String> {
            v.into_iter().map(|a| a.into_string().unwrap()).collect()
        };
        assert_eq!(
            strs(nixpacks_args(dir, &image, &spec, &[])),
            [
                "build",
                "--name",
                "app:v1",
                "--env",
                "NODE_ENV",
                "--no-cache",
                "--",
                "/src/app"
            ]
        );
        assert_eq!(
            strs(railpack_args(dir, &image, &spec, &[])),
            [
                "build", "--name", "app:v1", "--env", "NODE_ENV", "--", "/src/app"
            ]
        );
        assert_eq!(
            strs(pack_args(
                dir,
                &image,
                &spec,
                &["paketobuildpacks/builder:base".into()]
            )),
            [
                "build",
                "--path",
                "/src/app",
                "--builder",
                "paketobuildpacks/builder:base",
                "--env",
                "NODE_ENV",
                "--clear-cache",
                "--",
                "app:v1"
            ]
        );
    }

    #[tokio::test]
    async fn a_huge_line_without_newlines_is_cut_and_bounded() {
        use rivetr_core::model::DeploymentStatus;
        use tokio::io::AsyncReadExt;

        let (log, mut rx) = LogSink::channel(DeploymentStatus::Building);
        // 64 MiB without a newline, never held in memory by the test.
        let input = std::io::Cursor::new(b"before\n".to_vec())
            .chain(tokio::io::repeat(b'y').take(64 << 20))
            .chain(std::io::Cursor::new(b"\r\nafter\r\n".to_vec()))
            .chain(tokio::io::repeat(b'z').take(MAX_LINE as u64))
            .chain(std::io::Cursor::new(b"\nlast".to_vec()));
        let mut tail = VecDeque::new();
        pump(Some(input), &log, LogStream::Stderr, Some(&mut tail)).await;
        let got: Vec<String> = std::iter::from_fn(|| rx.try_recv().ok())
            .map(|l| l.text)
            .collect();
        assert_eq!(got.len(), 5);
        assert_eq!(got[0], "before");
        assert_eq!(got[1].len(), MAX_LINE + CUT_MARK.len_utf8());
        assert!(got[1].starts_with("yyy") && got[1].ends_with(CUT_MARK));
        assert_eq!(got[2], "after");
        assert_eq!(got[3], "z".repeat(MAX_LINE), "exactly the limit: not cut");
        assert_eq!(got[4], "last");
        assert_eq!(tail, got);
    }

    #[tokio::test]
    async fn read_line_capped_keeps_short_lines_whole() {
        let mut reader = BufReader::with_capacity(4, &b"ab\n\ncdefgh\nij"[..]);
        let mut line = Vec::new();
        let mut lines = Vec::new();
        while let Some(cut) = read_line_capped(&mut reader, &mut line).await.unwrap() {
            assert!(!cut);
            lines.push(String::from_utf8(std::mem::take(&mut line)).unwrap());
        }
        assert_eq!(lines, ["ab\n", "\n", "cdefgh\n", "ij"]);
    }

    #[test]
    fn locate_only_finds_executables_in_the_search_path() {
        let dir = tempfile::tempdir().unwrap();
        let config = CliConfig::new("nixpacks").with_search_path(dir.path());
        assert_eq!(config.locate(), None);
        let file = dir.path().join("nixpacks");
        std::fs::write(&file, "").unwrap();
        assert_eq!(config.locate(), None, "not executable");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(config.locate(), Some(file));
        let relative = CliConfig::new("nixpacks").with_search_path("relative/dir");
        assert_eq!(relative.locate(), None, "relative PATH entries are ignored");
    }
}
