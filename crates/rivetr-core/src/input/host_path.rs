//! [`HostPath`]: an absolute path on the host, the source of a bind mount.

use std::path::Path;

use super::{InputError, abs_path};

const WHAT: &str = "host path";

/// An absolute path on the Rivetr host, such as the source of a bind mount.
/// Same rules as [`ContainerPath`](super::ContainerPath): starts with `/`, not
/// `/` itself, no `..`, no `:` or `,`, no control characters or shell
/// metacharacters, at most 1024 characters, stored normalized.
///
/// [`starts_with`](Self::starts_with) compares whole components, for checks
/// against the roots an admin allows bind mounts from. It does not resolve
/// symbolic links: a caller that must not follow them out of a root has to
/// check the real path too.
///
/// ```
/// use rivetr_core::input::HostPath;
///
/// let root: HostPath = "/srv/rivetr".parse()?;
/// let p: HostPath = "/srv/rivetr/app/data".parse()?;
/// assert!(p.starts_with(&root));
/// assert!(!"/srv/rivetr-other".parse::<HostPath>()?.starts_with(&root));
///
/// assert!("/srv/rivetr/../../etc".parse::<HostPath>().is_err());
/// # Ok::<(), rivetr_core::input::InputError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostPath(String);

impl HostPath {
    /// The normalized path.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path as a [`Path`].
    #[must_use]
    pub fn as_path(&self) -> &Path {
        Path::new(&self.0)
    }

    /// Whether `root` is this path or one of its ancestors, comparing whole
    /// components (`/srv/a` is not under `/srv/ab`).
    #[must_use]
    pub fn starts_with(&self, root: &HostPath) -> bool {
        self.as_path().starts_with(root.as_path())
    }

    fn parse(s: &str) -> Result<Self, InputError> {
        abs_path::normalize(WHAT, s).map(Self)
    }
}

string_type!(HostPath);

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> HostPath {
        HostPath::parse(s).unwrap()
    }

    #[test]
    fn starts_with_compares_components() {
        assert!(p("/srv/a").starts_with(&p("/srv")));
        assert!(p("/srv/a").starts_with(&p("/srv/a")));
        assert!(p("/srv/a/").starts_with(&p("/srv//a")));
        assert!(!p("/srv/ab").starts_with(&p("/srv/a")));
        assert!(!p("/srv").starts_with(&p("/srv/a")));
        assert_eq!(p("/srv/./x").as_path(), Path::new("/srv/x"));
    }

    #[test]
    fn refuses_bad_paths() {
        for s in [
            "srv", "/", "/srv/..", "/a:/b", "/a,b", "/a\0", "/a\nb", "/a`b", "/a$b", "",
        ] {
            assert_eq!(HostPath::parse(s).unwrap_err().what(), "host path", "{s:?}");
        }
    }

    #[test]
    fn serde_round_trip() {
        let h = p("/srv/data");
        assert_eq!(serde_json::to_string(&h).unwrap(), "\"/srv/data\"");
        assert_eq!(
            serde_json::from_str::<HostPath>("\"/srv/data\"").unwrap(),
            h
        );
    }
}
