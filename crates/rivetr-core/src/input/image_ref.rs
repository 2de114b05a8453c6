//! [`ImageRef`]: a Docker image reference.

use super::image_ref_syntax::{check_component, check_registry, check_tag};
use super::{InputError, rules};

const WHAT: &str = "image reference";
const MAX_LEN: usize = 255;

/// A Docker image reference: `[registry[:port]/]path[:tag][@sha256:<64 hex>]`,
/// such as `nginx`, `nginx:1.27`, `ghcr.io/org/app:v2` or
/// `localhost:5000/app@sha256:…`.
///
/// Path components are lowercase `a-z0-9` separated by `.`, `_`, `__` or
/// runs of `-`; a tag is `[A-Za-z0-9_][A-Za-z0-9_.-]` with at most 128
/// characters; the first component is a registry when there are more and it
/// contains a `.` or a `:` or is `localhost`. At most 255 characters, no
/// leading `-`. The reference is kept as written (no `docker.io/library/`
/// added).
///
/// ```
/// use rivetr_core::input::ImageRef;
///
/// let image: ImageRef = "ghcr.io/org/app:v2".parse()?;
/// assert_eq!(image.registry(), Some("ghcr.io"));
/// assert_eq!(image.repository(), "org/app");
/// assert_eq!(image.tag(), Some("v2"));
/// assert_eq!(image.with_tag("v3")?.as_str(), "ghcr.io/org/app:v3");
///
/// let err = "Org/App".parse::<ImageRef>().unwrap_err();
/// assert!(err.reason().contains("lowercase"));
/// # Ok::<(), rivetr_core::input::InputError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageRef {
    s: String,
    /// Where the repository starts: 0, or after the registry's `/`.
    repo_start: usize,
    /// Where the repository ends.
    name_end: usize,
    /// Where the tag ends (`name_end` when there is no tag).
    tag_end: usize,
}

impl ImageRef {
    /// The reference as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.s
    }

    /// The registry, with its port if it has one, e.g. `ghcr.io` or
    /// `localhost:5000`; `None` for Docker Hub short names.
    #[must_use]
    pub fn registry(&self) -> Option<&str> {
        self.repo_start
            .checked_sub(1)
            .and_then(|end| self.s.get(..end))
    }

    /// The repository path without registry, tag or digest, e.g. `org/app`.
    #[must_use]
    pub fn repository(&self) -> &str {
        self.s
            .get(self.repo_start..self.name_end)
            .unwrap_or_default()
    }

    /// The tag, e.g. `1.27`.
    #[must_use]
    pub fn tag(&self) -> Option<&str> {
        (self.tag_end > self.name_end).then(|| self.s.get(self.name_end + 1..self.tag_end))?
    }

    /// The digest, e.g. `sha256:…`.
    #[must_use]
    pub fn digest(&self) -> Option<&str> {
        self.s.get(self.tag_end + 1..).filter(|d| !d.is_empty())
    }

    /// The same image with another tag (a digest, if any, is kept: Docker then
    /// pulls by digest and the tag is only a label).
    ///
    /// # Errors
    ///
    /// If `tag` is not a valid tag or the result would be too long.
    pub fn with_tag(&self, tag: &str) -> Result<ImageRef, InputError> {
        check_tag(tag).map_err(|r| InputError::new("image tag", tag, r))?;
        let digest = self.digest().map(|d| format!("@{d}")).unwrap_or_default();
        Self::parse(&format!("{}:{tag}{digest}", &self.s[..self.name_end]))
    }

    fn parse(s: &str) -> Result<Self, InputError> {
        let err = |reason: String| InputError::new(WHAT, s, reason);
        rules::not_empty(WHAT, s)?;
        rules::no_control(WHAT, s)?;
        rules::max_chars(WHAT, s, MAX_LEN)?;
        rules::no_leading_dash(WHAT, s)?;
        rules::no_shell_meta(WHAT, s, false)?;
        let (name_tag, digest) = match s.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (s, None),
        };
        if let Some(d) = digest {
            let hex = d.strip_prefix("sha256:").unwrap_or_default();
            if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return Err(err(
                    "the digest after '@' must be sha256: followed by 64 lowercase hex digits"
                        .into(),
                ));
            }
        }
        let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_tag[last_slash..].rfind(':') {
            Some(i) => (
                &name_tag[..last_slash + i],
                Some(&name_tag[last_slash + i + 1..]),
            ),
            None => (name_tag, None),
        };
        if let Some(tag) = tag {
            check_tag(tag).map_err(err)?;
        }
        let parts: Vec<&str> = name.split('/').collect();
        let has_registry =
            parts.len() > 1 && (parts[0].contains(['.', ':']) || parts[0] == "localhost");
        if has_registry {
            check_registry(parts[0]).map_err(err)?;
        }
        for part in &parts[usize::from(has_registry)..] {
            check_component(part).map_err(err)?;
        }
        let repo_start = if has_registry { parts[0].len() + 1 } else { 0 };
        Ok(Self {
            s: s.to_owned(),
            repo_start,
            name_end: name.len(),
            tag_end: name.len() + tag.map_or(0, |t| t.len() + 1),
        })
    }
}

string_type!(ImageRef);

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(s: &str) -> (Option<String>, String, Option<String>, Option<String>) {
        let i = ImageRef::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(i.as_str(), s);
        let own = |o: Option<&str>| o.map(str::to_owned);
        (
            own(i.registry()),
            i.repository().to_owned(),
            own(i.tag()),
            own(i.digest()),
        )
    }

    #[test]
    fn splits_references() {
        let sha = format!("sha256:{}", "a".repeat(64));
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(parts("nginx"), (None, "nginx".into(), None, None));
        assert_eq!(
            parts("nginx:1.27"),
            (None, "nginx".into(), some("1.27"), None)
        );
        assert_eq!(
            parts("library/nginx"),
            (None, "library/nginx".into(), None, None)
        );
        assert_eq!(
            parts("ghcr.io/o/a:v2"),
            (some("ghcr.io"), "o/a".into(), some("v2"), None)
        );
        assert_eq!(
            parts("localhost:5000/app"),
            (some("localhost:5000"), "app".into(), None, None)
        );
        assert_eq!(
            parts("localhost/app"),
            (some("localhost"), "app".into(), None, None)
        );
        assert_eq!(
            parts("localhost:5000"),
            (None, "localhost".into(), some("5000"), None)
        );
        assert_eq!(
            parts(&format!("r.io:443/a/b:t@{sha}")),
            (some("r.io:443"), "a/b".into(), some("t"), Some(sha.clone()))
        );
        assert_eq!(
            parts(&format!("app@{sha}")),
            (None, "app".into(), None, Some(sha))
        );
        for s in ["a__b", "a.b", "a_b", "a---b", "a0/b-c/d.e", "x:_Tag.1-2"] {
            parts(s);
        }
    }

    #[test]
    fn with_tag_replaces_the_tag() {
        let i = ImageRef::parse("r.io/app:v1").unwrap();
        assert_eq!(i.with_tag("v2").unwrap().as_str(), "r.io/app:v2");
        let i = ImageRef::parse("localhost:5000/app").unwrap();
        assert_eq!(i.with_tag("v2").unwrap().as_str(), "localhost:5000/app:v2");
        let e = i.with_tag("v 2").unwrap_err();
        assert_eq!(e.what(), "image tag");
        assert!(i.with_tag("-x").is_err());
    }

    #[test]
    fn refuses_bad_references() {
        let cases = [
            ("App", "lowercase"),
            ("a..b", "separator \"..\""),
            ("a._b", "separator"),
            ("a___b", "separator"),
            ("-a", "'-'"),
            ("_a", "start and end"),
            ("a/", "empty path component"),
            ("a//b", "empty path component"),
            ("a:", "1 to 128"),
            ("a:.x", "must not start with '.'"),
            (&format!("a:{}", "t".repeat(129)), "1 to 128"),
            ("a@sha256:abc", "64 lowercase hex"),
            ("a@md5:abc", "sha256:"),
            ("re-.io/a", "registry"),
            ("r.io:0/a", "port"),
            ("r.io:99999/a", "port"),
            ("a b", "whitespace"),
            ("a;b", "shell"),
            ("a$b", "shell"),
            ("a`b", "shell"),
            ("a\nb", "line break"),
            ("a\0", "NUL"),
            ("", "empty"),
            (&"a".repeat(256), "limit is 255"),
        ];
        for (s, needle) in cases {
            let r = ImageRef::parse(s)
                .map(|_| ())
                .unwrap_err()
                .reason()
                .to_owned();
            assert!(r.contains(needle), "{s}: {r}");
        }
    }

    #[test]
    fn serde_round_trip() {
        let i = ImageRef::parse("nginx:1.27").unwrap();
        assert_eq!(serde_json::to_string(&i).unwrap(), "\"nginx:1.27\"");
        assert_eq!(
            serde_json::from_str::<ImageRef>("\"nginx:1.27\"").unwrap(),
            i
        );
    }
}
