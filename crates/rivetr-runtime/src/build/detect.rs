//! What a source tree looks like, in words the deployment log can show.
//!
//! [`describe`] looks at the build directory (the tree's root joined with
//! the spec's base directory) without building anything: is there a
//! Dockerfile (where the spec says), a compose file, an `index.html`, and
//! which language markers (the files Nixpacks, Railpack and buildpacks key
//! on). [`TreeReport::explanations`] says it in sentences such as "found
//! Dockerfile at api/Dockerfile" or "no Dockerfile; found package.json
//! (Node.js): nixpacks can build it".

use std::path::{Path, PathBuf};

use rivetr_core::model::{BuildSpec, BuilderKind};
use rivetr_core::source::SourceTree;
use rivetr_core::{Error, Result};

use super::context::resolve_inside;

/// A file whose presence says which language a tree is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LanguageMarker {
    /// The file name, at the top of the build directory.
    pub file: &'static str,
    /// The language or ecosystem it stands for.
    pub language: &'static str,
}

/// The markers looked for, in order (those Nixpacks' providers key on).
pub const LANGUAGE_MARKERS: &[LanguageMarker] = &[
    marker("package.json", "Node.js"),
    marker("deno.json", "Deno"),
    marker("deno.jsonc", "Deno"),
    marker("requirements.txt", "Python"),
    marker("pyproject.toml", "Python"),
    marker("Pipfile", "Python"),
    marker("setup.py", "Python"),
    marker("go.mod", "Go"),
    marker("Cargo.toml", "Rust"),
    marker("Gemfile", "Ruby"),
    marker("composer.json", "PHP"),
    marker("pom.xml", "Java"),
    marker("build.gradle", "Java"),
    marker("build.gradle.kts", "Java"),
    marker("build.sbt", "Scala"),
    marker("mix.exs", "Elixir"),
    marker("pubspec.yaml", "Dart"),
    marker("shard.yml", "Crystal"),
    marker("stack.yaml", "Haskell"),
    marker("build.zig", "Zig"),
    marker("gleam.toml", "Gleam"),
    marker("Package.swift", "Swift"),
    marker("project.clj", "Clojure"),
    marker("deps.edn", "Clojure"),
];

const fn marker(file: &'static str, language: &'static str) -> LanguageMarker {
    LanguageMarker { file, language }
}

/// Compose files, in the order Docker Compose looks for them.
pub const COMPOSE_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// What [`describe`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeReport {
    /// The build directory relative to the tree root (`.` for the root).
    pub base: String,
    /// The build directory on disk (canonical), when it exists.
    pub dir: Option<PathBuf>,
    /// The Dockerfile looked for, relative to the tree root.
    pub dockerfile_path: String,
    /// Whether it exists (as a regular file, inside the tree).
    pub dockerfile: bool,
    /// A compose file in the build directory, relative to the tree root.
    pub compose_file: Option<String>,
    /// Whether the build directory has an `index.html`.
    pub index_html: bool,
    /// The language markers present in the build directory.
    pub markers: Vec<LanguageMarker>,
    /// Why the build directory (or the Dockerfile) cannot be used, when
    /// it resolves outside the tree or is missing.
    pub problem: Option<String>,
}

impl TreeReport {
    /// The builder the tree suggests: a Dockerfile first, then a static
    /// site (an `index.html` and no language marker), then Nixpacks for a
    /// tree with a language marker.
    #[must_use]
    pub fn suggested(&self) -> Option<BuilderKind> {
        if self.problem.is_some() {
            None
        } else if self.dockerfile {
            Some(BuilderKind::Dockerfile)
        } else if self.index_html && self.markers.is_empty() {
            Some(BuilderKind::Static)
        } else if !self.markers.is_empty() {
            Some(BuilderKind::Nixpacks)
        } else {
            None
        }
    }

    /// The markers as "package.json (Node.js), go.mod (Go)".
    #[must_use]
    pub fn markers_text(&self) -> String {
        (self.markers.iter())
            .map(|m| format!("{} ({})", m.file, m.language))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// What was found, one sentence each, for the deployment log.
    #[must_use]
    pub fn explanations(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(problem) = &self.problem {
            out.push(problem.clone());
            return out;
        }
        if self.dockerfile {
            out.push(format!("found Dockerfile at {}", self.dockerfile_path));
        } else if !self.markers.is_empty() {
            out.push(format!(
                "no Dockerfile; found {}: nixpacks can build it",
                self.markers_text()
            ));
        } else if self.index_html {
            out.push(format!(
                "no Dockerfile; found {} and no language marker: a static site",
                self.join("index.html")
            ));
        } else {
            out.push(format!(
                "no Dockerfile at {}, no index.html and no language marker in {}",
                self.dockerfile_path, self.base
            ));
        }
        if let Some(compose) = &self.compose_file {
            out.push(format!(
                "found compose file {compose} (compose deployments are separate from app builds)"
            ));
        }
        if self.dockerfile && self.index_html {
            out.push(format!(
                "{} is present too, but the Dockerfile takes precedence",
                self.join("index.html")
            ));
        }
        out
    }

    /// `name` inside the build directory, relative to the tree root.
    #[must_use]
    pub fn join(&self, name: &str) -> String {
        if self.base == "." {
            name.to_owned()
        } else {
            format!("{}/{name}", self.base)
        }
    }
}

/// Describe the build directory of `tree` (reads the tree, never writes).
///
/// # Errors
///
/// Only `Internal` when the blocking task panics; unreadable or escaping
/// paths are reported in [`TreeReport::problem`].
pub async fn describe(tree: &SourceTree, spec: &BuildSpec) -> Result<TreeReport> {
    let root = tree.root.clone();
    let spec = spec.clone();
    tokio::task::spawn_blocking(move || describe_blocking(&root, &spec))
        .await
        .map_err(|e| Error::internal(format!("describing the tree: {e}")))
}

/// [`describe`], on the calling thread.
#[must_use]
pub fn describe_blocking(root: &Path, spec: &BuildSpec) -> TreeReport {
    let base = spec
        .base_directory
        .as_ref()
        .map_or_else(|| ".".to_owned(), |b| b.as_str().to_owned());
    let dockerfile_name = spec
        .dockerfile
        .as_ref()
        .map_or("Dockerfile", |d| d.as_str());
    let mut report = TreeReport {
        dockerfile_path: if base == "." {
            dockerfile_name.to_owned()
        } else {
            format!("{base}/{dockerfile_name}")
        },
        base,
        dir: None,
        dockerfile: false,
        compose_file: None,
        index_html: false,
        markers: Vec::new(),
        problem: None,
    };
    let dir = match resolve_inside(root, spec.base_directory.as_ref()) {
        Ok((_, Some(dir))) if dir.is_dir() => dir,
        Ok(_) => {
            report.problem = Some(format!("the base directory {} does not exist", report.base));
            return report;
        }
        Err(err) => {
            report.problem = Some(err.message().to_owned());
            return report;
        }
    };
    report.dockerfile = match dockerfile_inside(&dir, spec) {
        Ok(found) => found.is_some(),
        Err(err) => {
            report.problem = Some(err.message().to_owned());
            return report;
        }
    };
    let is_file = |name: &str| {
        std::fs::symlink_metadata(dir.join(name)).is_ok_and(|m| m.file_type().is_file())
    };
    report.compose_file = (COMPOSE_FILES.iter())
        .find(|f| is_file(f))
        .map(|f| report.join(f));
    report.index_html = is_file("index.html");
    report.markers = (LANGUAGE_MARKERS.iter())
        .filter(|m| is_file(m.file))
        .copied()
        .collect();
    report.dir = Some(dir);
    report
}

/// The Dockerfile of `spec` inside the (canonical) build directory `dir`:
/// `Ok(None)` when missing or not a regular file.
///
/// # Errors
///
/// `InvalidInput` when it resolves outside `dir` (a symbolic link).
pub fn dockerfile_inside(dir: &Path, spec: &BuildSpec) -> Result<Option<PathBuf>> {
    let default: rivetr_core::input::PathInRepo = "Dockerfile"
        .parse()
        .map_err(|e| Error::internal(format!("the default Dockerfile name: {e}")))?;
    let rel = spec.dockerfile.as_ref().unwrap_or(&default);
    let (_, path) = resolve_inside(dir, Some(rel))?;
    Ok(path.filter(|p| p.is_file()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::*;

    #[test]
    fn explains_each_kind_of_tree() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("api")).unwrap();
        std::fs::write(root.join("api/Dockerfile"), "FROM scratch").unwrap();
        std::fs::write(root.join("api/index.html"), "hi").unwrap();
        std::fs::write(root.join("package.json"), "{}").unwrap();
        std::fs::write(root.join("compose.yaml"), "services: {}").unwrap();
        let mut spec = BuildSpec {
            base_directory: Some("api".parse().unwrap()),
            ..BuildSpec::default()
        };
        let r = describe_blocking(root, &spec);
        assert_eq!(r.suggested(), Some(BuilderKind::Dockerfile));
        assert_eq!(r.explanations()[0], "found Dockerfile at api/Dockerfile");
        assert!(r.explanations()[1].contains("Dockerfile takes precedence"));

        spec.base_directory = None;
        let r = describe_blocking(root, &spec);
        assert_eq!(r.suggested(), Some(BuilderKind::Nixpacks));
        assert_eq!(
            r.explanations(),
            [
                "no Dockerfile; found package.json (Node.js): nixpacks can build it",
                "found compose file compose.yaml (compose deployments are separate from app builds)"
            ]
        );

        std::fs::remove_file(root.join("package.json")).unwrap();
        std::fs::write(root.join("index.html"), "hi").unwrap();
        let r = describe_blocking(root, &spec);
        assert_eq!(r.suggested(), Some(BuilderKind::Static));
        assert!(r.explanations()[0].contains("static site"));

        spec.base_directory = Some("nope".parse().unwrap());
        let r = describe_blocking(root, &spec);
        assert_eq!(r.suggested(), None);
        assert_eq!(r.explanations(), ["the base directory nope does not exist"]);
    }

    #[test]
    fn dockerfile_link_out_of_the_tree_is_a_problem() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("Dockerfile"), "FROM scratch").unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("Dockerfile"),
            dir.path().join("Dockerfile"),
        )
        .unwrap();
        let r = describe_blocking(dir.path(), &BuildSpec::default());
        assert!(!r.dockerfile);
        assert!(r.problem.unwrap().contains("outside"));
    }
}
