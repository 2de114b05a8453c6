//! [`ContainerPath`]: an absolute path inside a container.

use super::{InputError, abs_path};

const WHAT: &str = "container path";

/// An absolute path inside a container, such as the target of a mount:
/// starts with `/`, is not `/` itself, has no `..`, no `:` or `,` (Docker's
/// mount-spec separators), no control characters or shell metacharacters
/// (spaces are fine), at most 1024 characters. Stored normalized: `.`
/// components and repeated or trailing slashes are dropped.
///
/// ```
/// use rivetr_core::input::ContainerPath;
///
/// let p: ContainerPath = "/var/lib//data/".parse()?;
/// assert_eq!(p.as_str(), "/var/lib/data");
///
/// assert!("/data:/etc".parse::<ContainerPath>().is_err());
/// assert!("/data/../etc".parse::<ContainerPath>().is_err());
/// # Ok::<(), rivetr_core::input::InputError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContainerPath(String);

impl ContainerPath {
    /// The normalized path.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn parse(s: &str) -> Result<Self, InputError> {
        abs_path::normalize(WHAT, s).map(Self)
    }
}

string_type!(ContainerPath);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalizes() {
        assert_eq!(ContainerPath::parse("/data").unwrap().as_str(), "/data");
        assert_eq!(ContainerPath::parse("/./a/").unwrap().as_str(), "/a");
    }

    #[test]
    fn refuses_relative_root_traversal_and_separators() {
        for s in [
            "data", "/", "/a/..", "/a:ro", "/a,b", "/a\n", "/a;b", "-a", "",
        ] {
            let e = ContainerPath::parse(s).unwrap_err();
            assert_eq!(e.what(), "container path", "{s:?}");
        }
    }

    #[test]
    fn serde_round_trip() {
        let p = ContainerPath::parse("/app/data").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"/app/data\"");
        assert_eq!(
            serde_json::from_str::<ContainerPath>("\"/app//data\"").unwrap(),
            p
        );
    }
}
