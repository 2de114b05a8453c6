//! [`GitUrlPolicy`]: which kinds of git URL an instance allows.

use super::git_url::WHAT;
use super::{GitScheme, GitUrl, InputError};

/// Which kinds of [`GitUrl`] this instance lets apps use. The default allows
/// neither `file://` nor `http://`.
///
/// ```
/// use rivetr_core::input::{GitUrl, GitUrlPolicy};
///
/// let local: GitUrl = "file:///srv/git/app.git".parse()?;
/// assert!(GitUrlPolicy::default().check(&local).is_err());
/// assert!(GitUrlPolicy { allow_file: true, ..Default::default() }.check(&local).is_ok());
/// # Ok::<(), rivetr_core::input::InputError>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(default)]
pub struct GitUrlPolicy {
    /// Allow `file://` URLs (repositories on the Rivetr host).
    pub allow_file: bool,
    /// Allow plain `http://` URLs.
    pub allow_http: bool,
}

impl GitUrlPolicy {
    /// Refuses `url` if its scheme is not allowed here.
    ///
    /// # Errors
    ///
    /// An [`InputError`] saying which setting would allow it.
    pub fn check(&self, url: &GitUrl) -> Result<(), InputError> {
        let reason = match url.scheme() {
            GitScheme::File if !self.allow_file => {
                "repositories on the server's file system (file://) are not allowed on this \
                 instance; an instance admin can allow them"
            }
            GitScheme::Http if !self.allow_http => {
                "plain http:// is not encrypted; use https://, or ask an instance admin to \
                 allow http"
            }
            _ => return Ok(()),
        };
        Err(InputError::new(WHAT, url.as_str(), reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> GitUrl {
        s.parse().unwrap()
    }

    #[test]
    fn default_refuses_file_and_http() {
        let p = GitUrlPolicy::default();
        assert!(p.check(&url("https://example.com/a")).is_ok());
        assert!(p.check(&url("git@example.com:a")).is_ok());
        assert!(
            p.check(&url("file:///srv/a"))
                .unwrap_err()
                .reason()
                .contains("file://")
        );
        assert!(
            p.check(&url("http://example.com/a"))
                .unwrap_err()
                .reason()
                .contains("https")
        );
    }

    #[test]
    fn admins_can_allow_them() {
        let p = GitUrlPolicy {
            allow_file: true,
            allow_http: true,
        };
        assert!(p.check(&url("file:///srv/a")).is_ok());
        assert!(p.check(&url("http://example.com/a")).is_ok());
        let p: GitUrlPolicy = serde_json::from_str(r#"{"allow_http": true}"#).unwrap();
        assert!(!p.allow_file && p.allow_http);
    }
}
