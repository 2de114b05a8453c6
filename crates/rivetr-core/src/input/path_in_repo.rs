//! [`PathInRepo`]: a relative path inside a repository.

use std::path::{Path, PathBuf};

use super::{InputError, rules};

const WHAT: &str = "path in the repository";
const MAX_LEN: usize = 1024;
const MAX_COMPONENT: usize = 255;

/// A path relative to the root of a repository: a Dockerfile, a base
/// directory, a watched path. `/`-separated; not absolute; no `..`; no
/// backslash, control characters or shell metacharacters (spaces are fine);
/// no part starting with `-`; parts of at most 255 bytes, at most 1024
/// characters in all. Stored normalized: `.` parts and one trailing `/` are
/// dropped. Never empty: use `Option<PathInRepo>` for "the root".
///
/// [`join_to`](Self::join_to) never leaves the root it joins to (symbolic
/// links inside the checkout aside: they are the fetcher's concern).
///
/// ```
/// use std::path::Path;
/// use rivetr_core::input::PathInRepo;
///
/// let p: PathInRepo = "./services/web/Dockerfile".parse()?;
/// assert_eq!(p.as_str(), "services/web/Dockerfile");
/// assert_eq!(p.join_to(Path::new("/src")), Path::new("/src/services/web/Dockerfile"));
///
/// assert!("../secrets".parse::<PathInRepo>().is_err());
/// assert!("/etc/passwd".parse::<PathInRepo>().is_err());
/// # Ok::<(), rivetr_core::input::InputError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PathInRepo(String);

impl PathInRepo {
    /// The normalized path.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path as a (relative) [`Path`].
    #[must_use]
    pub fn as_path(&self) -> &Path {
        Path::new(&self.0)
    }

    /// `root` joined with this path: always inside `root`.
    #[must_use]
    pub fn join_to(&self, root: &Path) -> PathBuf {
        root.join(&self.0)
    }

    fn parse(s: &str) -> Result<Self, InputError> {
        let err = |reason: String| InputError::new(WHAT, s, reason);
        rules::not_empty(WHAT, s)?;
        rules::no_control(WHAT, s)?;
        rules::max_chars(WHAT, s, MAX_LEN)?;
        if s.starts_with('/') {
            return Err(err(
                "must be relative to the repository root; remove the leading '/'".into(),
            ));
        }
        if let Some((pos, _)) = rules::find(s, |c| c == '\\') {
            return Err(err(format!(
                "contains '\\' at position {pos}; use '/' to separate directories"
            )));
        }
        rules::no_shell_meta(WHAT, s, true)?;
        let trimmed = s.strip_suffix('/').unwrap_or(s);
        let mut parts = Vec::new();
        for part in trimmed.split('/') {
            match part {
                "" => return Err(err("has an empty part ('//')".into())),
                "." => {}
                ".." => {
                    return Err(err(
                        "must not contain '..'; the path must stay inside the repository".into(),
                    ));
                }
                _ if part.starts_with('-') => {
                    return Err(err(format!(
                        "the part \"{part}\" must not start with '-' (it could be taken as a \
                         command-line option)"
                    )));
                }
                _ if part.len() > MAX_COMPONENT => {
                    return Err(err(format!(
                        "has a part of {} bytes; the limit is {MAX_COMPONENT}",
                        part.len()
                    )));
                }
                _ => parts.push(part),
            }
        }
        if parts.is_empty() {
            return Err(err(
                "is the repository root itself; leave the field empty for the root".into(),
            ));
        }
        Ok(Self(parts.join("/")))
    }
}

string_type!(PathInRepo);

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        PathInRepo::parse(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .0
    }

    #[test]
    fn accepts_and_normalizes() {
        assert_eq!(ok("Dockerfile"), "Dockerfile");
        assert_eq!(ok("./a/./b/"), "a/b");
        assert_eq!(
            ok("apps/web app/Dockerfile.prod"),
            "apps/web app/Dockerfile.prod"
        );
        assert_eq!(ok(".github/x"), ".github/x");
        assert_eq!(ok("a..b/c"), "a..b/c");
    }

    #[test]
    fn refuses_escapes_and_bad_parts() {
        let cases = [
            ("..", "'..'"),
            ("a/../../etc", "'..'"),
            ("/etc/passwd", "leading '/'"),
            ("a\\..\\b", "'\\'"),
            ("a//b", "empty part"),
            ("a//", "empty part"),
            (".", "root itself"),
            ("./", "root itself"),
            ("-f", "'-'"),
            ("a/--x", "'-'"),
            ("a\nb", "line break"),
            ("a\0b", "NUL"),
            ("a;b", "shell"),
            ("$(x)", "shell"),
            ("a`b", "shell"),
            ("a\tb", "tab"),
            ("*", "shell"),
            ("", "empty"),
        ];
        for (s, needle) in cases {
            let r = PathInRepo::parse(s).unwrap_err().reason().to_owned();
            assert!(r.contains(needle), "{s:?}: {r}");
        }
        assert!(
            PathInRepo::parse(&"a".repeat(256))
                .unwrap_err()
                .reason()
                .contains("256 bytes")
        );
        let long = "a/".repeat(513);
        assert!(
            PathInRepo::parse(&long)
                .unwrap_err()
                .reason()
                .contains("limit is 1024")
        );
    }

    #[test]
    fn join_to_stays_inside() {
        let root = Path::new("/work/src");
        let p = PathInRepo::parse("a/./b").unwrap();
        assert_eq!(p.join_to(root), Path::new("/work/src/a/b"));
        assert_eq!(p.as_path(), Path::new("a/b"));
    }

    #[test]
    fn serde_round_trip() {
        let p = PathInRepo::parse("web/Dockerfile").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"web/Dockerfile\"");
        assert_eq!(
            serde_json::from_str::<PathInRepo>("\"./web/Dockerfile\"").unwrap(),
            p
        );
    }
}
