//! [`GitUrl`]: where to fetch an app's source from, and [`GitUrlPolicy`](super::GitUrlPolicy).

use std::fmt;

use super::git_url_syntax::{check_chars, parse_hierarchical, parse_scp};
use super::{InputError, rules};

pub(super) const WHAT: &str = "git URL";
const MAX_LEN: usize = 2048;
pub(super) const FORMS: &str = "use https://host/path, ssh://host/path, user@host:path or \
                     file:///absolute/path";

/// How a [`GitUrl`] reaches its repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GitScheme {
    /// `https://`.
    Https,
    /// `http://`: no encryption; refused unless a [`GitUrlPolicy`](super::GitUrlPolicy) allows it.
    Http,
    /// `ssh://` or the scp-like `user@host:path`.
    Ssh,
    /// `file:///absolute/path`: a repository on this machine; refused unless a
    /// [`GitUrlPolicy`](super::GitUrlPolicy) allows it.
    File,
}

impl GitScheme {
    /// `"https"`, `"http"`, `"ssh"` or `"file"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Https => "https",
            Self::Http => "http",
            Self::Ssh => "ssh",
            Self::File => "file",
        }
    }
}

impl fmt::Display for GitScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The URL of a git repository: `https://`, `http://`, `ssh://`, scp-like
/// `user@host:path`, or `file:///absolute/path`.
///
/// Refused: credentials in the URL (an ssh user name such as `git@` is fine),
/// whitespace, control characters and shell metacharacters, anything git or
/// ssh could take as an option (a URL, user, host or scp path starting with
/// `-`, as in `--upload-pack=…` or `-oProxyCommand=…`), the `ext::` and other
/// `<transport>::` forms, other schemes, empty hosts, ports outside 1–65535,
/// percent-encoded control characters, `..` in file URLs, and more than 2048
/// characters. The URL is kept as written.
///
/// Parsing accepts every supported scheme, so stored values always load; the
/// API and the fetcher apply a [`GitUrlPolicy`](super::GitUrlPolicy) on top.
///
/// ```
/// use rivetr_core::input::{GitScheme, GitUrl};
///
/// let url: GitUrl = "git@github.com:rivetr/rivetr.git".parse()?;
/// assert_eq!(url.scheme(), GitScheme::Ssh);
/// assert_eq!(url.host(), Some("github.com"));
///
/// let err = "https://me:ghp_secret@github.com/a/b".parse::<GitUrl>().unwrap_err();
/// assert!(err.reason().contains("git credentials"));
/// assert!("ssh://-oProxyCommand=sh/x".parse::<GitUrl>().is_err());
/// assert!("ext::sh -c touch% /tmp/pwned".parse::<GitUrl>().is_err());
/// # Ok::<(), rivetr_core::input::InputError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GitUrl {
    url: String,
    scheme: GitScheme,
    /// Byte range of the host in `url`.
    host: Option<(usize, usize)>,
}

impl GitUrl {
    /// The URL as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// How the repository is reached.
    #[must_use]
    pub fn scheme(&self) -> GitScheme {
        self.scheme
    }

    /// The host, as written (an IPv6 address keeps its brackets); `None` for
    /// file URLs.
    #[must_use]
    pub fn host(&self) -> Option<&str> {
        self.host.and_then(|(start, end)| self.url.get(start..end))
    }

    /// Whether the repository is on this machine (a file URL).
    #[must_use]
    pub fn is_local(&self) -> bool {
        self.scheme == GitScheme::File
    }

    fn parse(s: &str) -> Result<Self, InputError> {
        let err = |reason: &str| InputError::new(WHAT, s, reason);
        rules::not_empty(WHAT, s)?;
        rules::no_control(WHAT, s)?;
        rules::max_chars(WHAT, s, MAX_LEN)?;
        if s.starts_with('-') {
            return Err(err(
                "must not start with '-' (git would take it as an option such as \
                 --upload-pack)",
            ));
        }
        if let Some(i) = s.find("::") {
            let transport = &s[..i];
            if !transport.is_empty()
                && transport
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            {
                let reason =
                    format!("the \"{transport}::\" transport form is not allowed; {FORMS}");
                return Err(err(&reason));
            }
        }
        check_chars(s)?;
        let (scheme, host) = if let Some(i) = s.find("://") {
            let scheme = match s[..i].to_ascii_lowercase().as_str() {
                "https" => GitScheme::Https,
                "http" => GitScheme::Http,
                "ssh" => GitScheme::Ssh,
                "file" => GitScheme::File,
                other => {
                    let reason = format!("the scheme \"{other}\" is not supported; {FORMS}");
                    return Err(err(&reason));
                }
            };
            let host = parse_hierarchical(scheme, &s[i + 3..]).map_err(|r| err(&r))?;
            (scheme, host.map(|(a, b)| (a + i + 3, b + i + 3)))
        } else {
            let colon = s.find(':').filter(|&c| !s[..c].contains('/'));
            let Some(colon) = colon else {
                return Err(err(&format!("is not a URL git can use; {FORMS}")));
            };
            (
                GitScheme::Ssh,
                Some(parse_scp(s, colon).map_err(|r| err(&r))?),
            )
        };
        Ok(Self {
            url: s.to_owned(),
            scheme,
            host,
        })
    }
}

string_type!(GitUrl);

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> GitUrl {
        GitUrl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn reason(s: &str) -> String {
        GitUrl::parse(s).unwrap_err().reason().to_owned()
    }

    #[test]
    fn accepts_the_usual_forms() {
        let cases = [
            (
                "https://github.com/rivetr/rivetr.git",
                GitScheme::Https,
                Some("github.com"),
            ),
            (
                "HTTPS://example.com:8443/a/b",
                GitScheme::Https,
                Some("example.com"),
            ),
            (
                "http://10.0.0.2/repo.git",
                GitScheme::Http,
                Some("10.0.0.2"),
            ),
            (
                "ssh://git@example.com:2222/org/repo.git",
                GitScheme::Ssh,
                Some("example.com"),
            ),
            ("ssh://[::1]:22/~me/repo", GitScheme::Ssh, Some("[::1]")),
            (
                "git@github.com:org/repo.git",
                GitScheme::Ssh,
                Some("github.com"),
            ),
            ("host.example:repo", GitScheme::Ssh, Some("host.example")),
            ("git@host:~/repo", GitScheme::Ssh, Some("host")),
            ("file:///srv/git/app.git", GitScheme::File, None),
            (
                "https://example.com/a%20b.git",
                GitScheme::Https,
                Some("example.com"),
            ),
        ];
        for (s, scheme, host) in cases {
            let url = ok(s);
            assert_eq!((url.scheme(), url.host()), (scheme, host), "{s}");
            assert_eq!(url.as_str(), s);
            assert_eq!(url.is_local(), scheme == GitScheme::File);
        }
    }

    #[test]
    fn refuses_credentials() {
        for s in [
            "https://user:token@github.com/a/b",
            "https://ghp_token@github.com/a/b",
            "ssh://git:pw@host/a",
            "git:pw@host:a/b",
        ] {
            assert_eq!(
                reason(s),
                "put credentials in the app's git credentials, not in the URL",
                "{s}"
            );
        }
    }

    #[test]
    fn refuses_option_injection() {
        for s in [
            "--upload-pack=touch /tmp/x",
            "-oProxyCommand=x",
            "ssh://-oProxyCommand=x/a",
            "ssh://-user@host/a",
            "-host:path",
            "host:-path",
            "git@-host:path",
            "https://-x.example.com/a",
        ] {
            assert!(reason(s).contains("'-'"), "{s}: {}", reason(s));
        }
    }

    #[test]
    fn refuses_transports_and_other_schemes() {
        assert!(reason("ext::sh -c touch% /tmp/pwned").contains("\"ext::\" transport"));
        assert!(reason("fd::17").contains("transport"));
        assert!(reason("git://example.com/a").contains("scheme \"git\" is not supported"));
        assert!(reason("ftp://example.com/a").contains("not supported"));
        assert!(reason("/srv/repo").contains("not a URL"));
        assert!(reason("./repo").contains("not a URL"));
    }

    #[test]
    fn refuses_bad_hosts_ports_and_paths() {
        assert_eq!(reason("https:///a/b"), "has no host");
        assert_eq!(reason(":a/b"), "has no host");
        assert!(reason("https://example.com:0/a").contains("port \"0\""));
        assert!(reason("https://example.com:65536/a").contains("1 to 65535"));
        assert!(reason("https://example.com:/a").contains("port"));
        assert!(reason("https://example.com").contains("repository path"));
        assert!(reason("git@host:").contains("repository path"));
        assert!(reason("https://exa%6dple.com/a").contains("host may only"));
        assert!(reason("ssh://host/a%0Ab").contains("control character"));
        assert!(reason("ssh://host/a%zz").contains("two hex digits"));
        assert!(reason("ssh://[zz]/a").contains("IPv6"));
    }

    #[test]
    fn refuses_traversal_in_file_urls() {
        assert!(reason("file:///srv/../etc/x").contains("'..'"));
        assert!(reason("file:///srv/%2e%2e/x").contains("percent"));
        assert!(reason("file://host/srv/x").contains("three slashes"));
        assert!(reason("file:///").contains("path"));
    }

    #[test]
    fn refuses_whitespace_control_metacharacters_and_long_urls() {
        for s in [
            "https://example.com/a b",
            "https://example.com/a\nb",
            "https://example.com/a\0",
            "https://example.com/a;b",
            "https://example.com/$(x)",
            "https://example.com/`x`",
            "https://example.com/a|b",
            "https://example.com/a&b",
            "https://example.com/é",
        ] {
            assert!(GitUrl::parse(s).is_err(), "{s:?}");
        }
        let long = format!("https://example.com/{}", "a".repeat(2048));
        assert!(reason(&long).contains("the limit is 2048"));
    }

    #[test]
    fn serde_round_trip() {
        let url = ok("git@github.com:org/repo.git");
        let json = serde_json::to_string(&url).unwrap();
        assert_eq!(json, "\"git@github.com:org/repo.git\"");
        assert_eq!(serde_json::from_str::<GitUrl>(&json).unwrap(), url);
        assert!(serde_json::from_str::<GitUrl>("\"ext::sh\"").is_err());
    }
}
