//! [`GitRef`]: a branch, a tag or a commit id.

use super::{InputError, rules};

const WHAT: &str = "git ref";
const MAX_LEN: usize = 255;

/// A branch, tag or full commit id to build from: `main`, `v1.2.3`,
/// `refs/heads/feature/x`, or a 40- or 64-digit hex commit id.
///
/// Follows `git check-ref-format`: no `..`, no `@{`, not `@` alone, no
/// control characters, spaces or `~ ^ : ? * [ \`, no component starting
/// with `.` or ending with `.lock`, no leading or trailing `/`, no `//`, no
/// trailing `.`. In addition: no leading `-` (it could be taken as an option),
/// no shell metacharacters, at most 255 characters.
///
/// ```
/// use rivetr_core::input::GitRef;
///
/// let r: GitRef = "release/v1.2".parse()?;
/// assert!(!r.is_commit_id());
/// assert!("0123456789abcdef0123456789abcdef01234567".parse::<GitRef>()?.is_commit_id());
///
/// assert!("main..dev".parse::<GitRef>().is_err());
/// assert!("--upload-pack=x".parse::<GitRef>().is_err());
/// # Ok::<(), rivetr_core::input::InputError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GitRef(String);

impl GitRef {
    /// The ref as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a full commit id: 40 (SHA-1) or 64 (SHA-256) hex digits.
    #[must_use]
    pub fn is_commit_id(&self) -> bool {
        matches!(self.0.len(), 40 | 64) && self.0.bytes().all(|b| b.is_ascii_hexdigit())
    }

    fn parse(s: &str) -> Result<Self, InputError> {
        let err = |reason: String| InputError::new(WHAT, s, reason);
        rules::not_empty(WHAT, s)?;
        rules::no_control(WHAT, s)?;
        rules::max_chars(WHAT, s, MAX_LEN)?;
        rules::no_leading_dash(WHAT, s)?;
        if s == "@" {
            return Err(err(
                "\"@\" alone is not a ref name; give a branch, tag or commit".into(),
            ));
        }
        if s.contains("..") {
            return Err(err("must not contain '..'".into()));
        }
        if s.contains("@{") {
            return Err(err("must not contain '@{'".into()));
        }
        let git_forbidden = |c: char| c.is_whitespace() || "~^:?*[\\".contains(c);
        if let Some((pos, c)) = rules::find(s, git_forbidden) {
            let c = rules::describe(c);
            return Err(err(format!(
                "contains {c} at position {pos}; git does not allow spaces or ~ ^ : ? * [ \\ \
                 in ref names"
            )));
        }
        rules::no_shell_meta(WHAT, s, false)?;
        if s.starts_with('/') || s.ends_with('/') {
            return Err(err("must not start or end with '/'".into()));
        }
        if s.contains("//") {
            return Err(err("must not contain '//'".into()));
        }
        if s.ends_with('.') {
            return Err(err("must not end with '.'".into()));
        }
        for part in s.split('/') {
            if part.starts_with('.') {
                return Err(err(format!("the part \"{part}\" must not start with '.'")));
            }
            if part.strip_suffix(".lock").is_some() {
                return Err(err(format!(
                    "the part \"{part}\" must not end with '.lock'"
                )));
            }
        }
        Ok(Self(s.to_owned()))
    }
}

string_type!(GitRef);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_branches_tags_and_commits() {
        let sha1 = "0123456789abcdef0123456789abcdef01234567";
        let sha256 = "a".repeat(64);
        for s in [
            "main",
            "v1.2.3",
            "refs/heads/x",
            "feature/a-b_c",
            "fix#12",
            "ü",
            sha1,
            &sha256,
        ] {
            assert_eq!(GitRef::parse(s).unwrap().as_str(), s);
        }
        assert!(GitRef::parse(sha1).unwrap().is_commit_id());
        assert!(GitRef::parse(&sha256).unwrap().is_commit_id());
        assert!(!GitRef::parse("abc123").unwrap().is_commit_id());
        assert!(!GitRef::parse(&"g".repeat(40)).unwrap().is_commit_id());
    }

    #[test]
    fn refuses_check_ref_format_violations() {
        let cases = [
            ("a..b", "'..'"),
            ("a@{1}", "'@{'"),
            ("@", "alone"),
            ("a b", "a space at position 2"),
            ("a~1", "'~'"),
            ("a^", "'^'"),
            ("a:b", "':'"),
            ("a?", "'?'"),
            ("a*", "'*'"),
            ("a[b", "'['"),
            ("a\\b", "'\\'"),
            ("/a", "start or end with '/'"),
            ("a/", "start or end with '/'"),
            ("a//b", "'//'"),
            ("a.", "end with '.'"),
            (".a", "\".a\" must not start with '.'"),
            ("a/.b", "\".b\""),
            ("a.lock", "'.lock'"),
            ("a.lock/b", "'.lock'"),
        ];
        for (s, needle) in cases {
            let r = GitRef::parse(s).unwrap_err().reason().to_owned();
            assert!(r.contains(needle), "{s}: {r}");
        }
    }

    #[test]
    fn refuses_options_control_metacharacters_and_long_refs() {
        for s in [
            "-b",
            "--upload-pack=x",
            "a\nb",
            "a\0",
            "a;b",
            "a$b",
            "a`b",
            "a|b",
            "a\tb",
            "",
        ] {
            assert!(GitRef::parse(s).is_err(), "{s:?}");
        }
        assert!(GitRef::parse(&"a".repeat(255)).is_ok());
        assert!(
            GitRef::parse(&"a".repeat(256))
                .unwrap_err()
                .reason()
                .contains("limit is 255")
        );
    }

    #[test]
    fn serde_round_trip() {
        let r = GitRef::parse("v1.0").unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"v1.0\"");
        assert_eq!(serde_json::from_str::<GitRef>("\"v1.0\"").unwrap(), r);
    }
}
