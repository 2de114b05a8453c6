//! The saved login (`$XDG_CONFIG_HOME/rivetr/credentials.toml`, else
//! `~/.config/rivetr/credentials.toml`; file 0600 in a 0700 directory) and
//! which server and token a command uses.

use std::fmt;
use std::fs::{DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::ClientError;

/// A server URL and the token to use there.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Credentials {
    /// The server's base URL.
    pub(crate) url: String,
    /// The API token.
    pub(crate) token: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("url", &self.url)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// Where the credentials file is.
///
/// # Errors
///
/// [`ClientError::NotLoggedIn`] when neither `XDG_CONFIG_HOME` (absolute)
/// nor `HOME` is set.
pub(crate) fn file_path() -> Result<PathBuf, ClientError> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|home| home.is_absolute())
                .map(|home| home.join(".config"))
        })
        .ok_or_else(|| {
            ClientError::NotLoggedIn(
                "neither XDG_CONFIG_HOME nor HOME is set: set RIVETR_URL and RIVETR_TOKEN"
                    .to_owned(),
            )
        })?;
    Ok(config.join("rivetr").join("credentials.toml"))
}

/// Read the saved credentials; `None` when there is no file.
///
/// # Errors
///
/// The file cannot be read or is not valid.
pub(crate) fn load(path: &Path) -> Result<Option<Credentials>, ClientError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ClientError::File {
                what: "cannot read",
                path: path.to_owned(),
                source,
            });
        }
    };
    if std::fs::metadata(path).is_ok_and(|meta| meta.permissions().mode() & 0o077 != 0) {
        super::output::eprintln(&format!(
            "warning: {} can be read by other users; run `chmod 600` on it",
            path.display()
        ));
    }
    toml::from_str(&text).map(Some).map_err(|err| {
        ClientError::Input(format!(
            "{} is not a valid credentials file ({}); run `rivetr login` again",
            path.display(),
            err.message()
        ))
    })
}

/// Save `credentials` to `path`: the directory is made 0700, the file is
/// written 0600 next to it and renamed into place.
///
/// # Errors
///
/// A directory or the file cannot be written.
pub(crate) fn save(path: &Path, credentials: &Credentials) -> Result<(), ClientError> {
    let file_error = |what, path: &Path| {
        let path = path.to_owned();
        move |source| ClientError::File { what, path, source }
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(file_error("cannot create", dir))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(file_error("cannot restrict", dir))?;
    let text = toml::to_string(credentials)
        .map_err(|err| ClientError::Input(format!("cannot encode the credentials: {err}")))?;
    let temp = dir.join(format!(".credentials.toml.{}", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)
        .and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written.map_err(file_error("cannot write", path))
}

/// Delete the saved credentials; whether there were any.
///
/// # Errors
///
/// The file exists but cannot be removed.
pub(crate) fn remove(path: &Path) -> Result<bool, ClientError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(ClientError::File {
            what: "cannot remove",
            path: path.to_owned(),
            source,
        }),
    }
}

/// The server and token a command uses: `--url`/`RIVETR_URL` and
/// `--token`/`RIVETR_TOKEN` win over the file. The saved token is used
/// only for the saved server, so a token is never sent to another one.
///
/// # Errors
///
/// [`ClientError::NotLoggedIn`] saying how to log in.
pub(crate) fn resolve(url: Option<&str>, token: Option<&str>) -> Result<Credentials, ClientError> {
    let given = |v: Option<&str>| {
        v.map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let (url, token) = (given(url), given(token));
    if let (Some(url), Some(token)) = (&url, &token) {
        return Ok(Credentials {
            url: url.clone(),
            token: token.clone(),
        });
    }
    let path = file_path()?;
    let saved = load(&path)?;
    match (url, token, saved) {
        (None, None, Some(saved)) => Ok(saved),
        (None, Some(token), Some(saved)) => Ok(Credentials {
            url: saved.url,
            token,
        }),
        (Some(url), None, Some(saved)) if same_server(&url, &saved.url) => Ok(Credentials {
            url,
            token: saved.token,
        }),
        (None, Some(_), None) => Err(ClientError::NotLoggedIn(
            "which server? pass --url or set RIVETR_URL (or run `rivetr login`)".to_owned(),
        )),
        (Some(url), None, _) => Err(ClientError::NotLoggedIn(format!(
            "no token for {url}: run `rivetr login --url {url}` or set RIVETR_TOKEN"
        ))),
        _ => Err(ClientError::NotLoggedIn(
            "not logged in: run `rivetr login --url https://rivetr.example.com`, \
             or set RIVETR_URL and RIVETR_TOKEN"
                .to_owned(),
        )),
    }
}

/// Whether two server URLs name the same server (ignoring a trailing `/`).
fn same_server(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_private_file_and_reads_it_back() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let path = dir
            .path()
            .join("cfg")
            .join("rivetr")
            .join("credentials.toml");
        let creds = Credentials {
            url: "https://r.test".into(),
            token: "tok".into(),
        };
        save(&path, &creds).unwrap_or_else(|e| panic!("save: {e}"));
        let mode = |p: &Path| {
            std::fs::metadata(p)
                .unwrap_or_else(|e| panic!("stat: {e}"))
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap_or(&path)), 0o700);
        assert_eq!(load(&path).ok().flatten(), Some(creds.clone()));
        save(&path, &creds).unwrap_or_else(|e| panic!("save again: {e}"));
        assert!(remove(&path).unwrap_or(false));
        assert_eq!(load(&path).ok().flatten(), None);
        assert!(!format!("{creds:?}").contains("tok\""));
    }
}
