//! The rules shared by [`ContainerPath`](super::ContainerPath) and
//! [`HostPath`](super::HostPath): absolute, normalized, usable in a mount spec.

use super::{InputError, rules};

/// The longest absolute path.
pub(super) const MAX_LEN: usize = 1024;
/// The longest single component: the file-system limit.
pub(super) const MAX_COMPONENT: usize = 255;

/// Checks an absolute path and returns it normalized: no `.` components, no
/// repeated or trailing `/`.
pub(super) fn normalize(what: &'static str, s: &str) -> Result<String, InputError> {
    let err = |reason: String| InputError::new(what, s, reason);
    rules::not_empty(what, s)?;
    rules::no_control(what, s)?;
    rules::max_chars(what, s, MAX_LEN)?;
    if !s.starts_with('/') {
        return Err(err("must be an absolute path, starting with '/'".into()));
    }
    if let Some(found) = rules::found(s, |c| c == ':' || c == ',') {
        return Err(err(format!(
            "must not contain ':' or ',', which Docker uses to separate mount options ({found})"
        )));
    }
    rules::no_shell_meta(what, s, true)?;
    let mut parts = Vec::new();
    for part in s.split('/').filter(|p| !p.is_empty() && *p != ".") {
        if part == ".." {
            return Err(err("must not contain '..'; give the path without it".into()));
        }
        if part.len() > MAX_COMPONENT {
            return Err(err(format!(
                "has a part of {} bytes; the limit is {MAX_COMPONENT}",
                part.len()
            )));
        }
        parts.push(part);
    }
    if parts.is_empty() {
        return Err(err("must not be the root directory '/' itself".into()));
    }
    Ok(format!("/{}", parts.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        assert_eq!(normalize("p", "/a//b/./c/").unwrap(), "/a/b/c");
        assert_eq!(normalize("p", "/my data").unwrap(), "/my data");
    }

    #[test]
    fn refuses() {
        let cases = [
            ("a/b", "absolute"),
            ("/a:/b", "':' or ','"),
            ("/a,readonly", "':' or ','"),
            ("/a/../b", "'..'"),
            ("/", "root"),
            ("//./", "root"),
            ("/a\n", "line break"),
            ("/a\0", "NUL"),
            ("/a;b", "shell"),
            ("/$x", "shell"),
            ("/a\\b", "shell"),
            ("/a\tb", "tab"),
            ("", "empty"),
        ];
        for (s, needle) in cases {
            let r = normalize("p", s).unwrap_err().reason().to_owned();
            assert!(r.contains(needle), "{s:?}: {r}");
        }
        let long = format!("/{}", "a".repeat(256));
        assert!(
            normalize("p", &long)
                .unwrap_err()
                .reason()
                .contains("256 bytes")
        );
        let long = "/a".repeat(513);
        assert!(
            normalize("p", &long)
                .unwrap_err()
                .reason()
                .contains("limit is 1024")
        );
    }
}
