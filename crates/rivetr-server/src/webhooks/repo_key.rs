//! [`RepoKey`]: what two addresses of one repository have in common.

use rivetr_core::input::{GitScheme, GitUrl};

/// The host and path of a repository address, lowercased, without the scheme,
/// ssh user, port, trailing `/` or `.git` suffix: `https://GitHub.com/a/b.git`,
/// `ssh://git@github.com:22/a/b` and `git@github.com:a/b` share one key.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct RepoKey {
    host: String,
    path: String,
}

impl RepoKey {
    /// The key of `url`; `None` for a `file://` URL or one without a path.
    pub(super) fn of(url: &GitUrl) -> Option<Self> {
        if url.scheme() == GitScheme::File {
            return None;
        }
        let host = url.host()?.to_ascii_lowercase();
        let s = url.as_str();
        let path = match s.find("://") {
            Some(i) => {
                let rest = &s[i + 3..];
                &rest[rest.find('/')?..]
            }
            None => scp_path(s)?,
        };
        let path = path.trim_matches('/');
        let path = path
            .strip_suffix(".git")
            .unwrap_or(path)
            .trim_end_matches('/');
        if path.is_empty() {
            return None;
        }
        Some(Self {
            host,
            path: path.to_lowercase(),
        })
    }
}

/// The path of an scp-like address, `[user@]host:path` (GitUrl allows no
/// brackets, so the host has no `:`).
fn scp_path(s: &str) -> Option<&str> {
    let colon = s.find(':')?;
    Some(&s[colon + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Option<(String, String)> {
        RepoKey::of(&s.parse().unwrap()).map(|k| (k.host, k.path))
    }

    #[test]
    fn one_key_for_every_form_of_an_address() {
        let want = Some(("github.com".to_owned(), "acme/shop".to_owned()));
        for s in [
            "https://github.com/acme/shop",
            "https://GitHub.com/Acme/Shop.git",
            "https://github.com/acme/shop/",
            "http://github.com/acme/shop.git/",
            "ssh://git@github.com/acme/shop.git",
            "ssh://git@github.com:2222/acme/shop",
            "git@github.com:acme/shop.git",
            "github.com:acme/shop",
        ] {
            assert_eq!(key(s), want, "{s}");
        }
        assert_eq!(
            key("ssh://git@[::1]:2222/group/sub/proj.git"),
            Some(("[::1]".to_owned(), "group/sub/proj".to_owned()))
        );
        assert_eq!(
            key("git@gitlab.example:group/sub/proj.git"),
            key("https://gitlab.example/group/sub/proj")
        );
    }

    #[test]
    fn different_repositories_differ() {
        assert_ne!(
            key("https://github.com/acme/shop"),
            key("https://github.com/acme/shop2")
        );
        assert_ne!(
            key("https://github.com/acme/shop"),
            key("https://gitlab.com/acme/shop")
        );
        assert_ne!(
            key("https://github.com/acme/shop"),
            key("https://github.com/acme/shop/sub")
        );
    }

    #[test]
    fn no_key_without_a_path_or_for_local_repositories() {
        assert_eq!(key("https://github.com/.git"), None);
        assert_eq!(key("file:///srv/git/shop.git"), None);
    }
}
