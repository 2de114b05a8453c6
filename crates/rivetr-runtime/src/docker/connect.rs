//! Finding and connecting to a container engine: Docker or Podman.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::{API_DEFAULT_VERSION, Docker};
use rivetr_core::{Error, Result};

/// Which engine answers on the socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineFlavor {
    /// Docker Engine.
    Docker,
    /// Podman, through its Docker-compatible API.
    Podman,
}

impl fmt::Display for EngineFlavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EngineFlavor::Docker => "Docker",
            EngineFlavor::Podman => "Podman",
        })
    }
}

/// How to find the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectOptions {
    /// A socket to use; when `None`, `DOCKER_HOST` (a `unix://` address),
    /// then Docker's and Podman's usual sockets are tried in turn.
    pub socket: Option<PathBuf>,
    /// Timeout of each API request.
    pub timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            socket: None,
            timeout: Duration::from_secs(120),
        }
    }
}

/// A connected engine.
#[derive(Clone)]
pub struct Connection {
    /// The API client, with the API version negotiated.
    pub docker: Docker,
    /// The socket it answers on.
    pub socket: PathBuf,
    /// Docker or Podman.
    pub flavor: EngineFlavor,
    /// The engine's version string.
    pub version: String,
    /// The API version both sides speak.
    pub api_version: String,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("socket", &self.socket)
            .field("flavor", &self.flavor)
            .field("version", &self.version)
            .field("api_version", &self.api_version)
            .finish_non_exhaustive()
    }
}

/// The sockets tried, in order, when none is configured.
#[must_use]
pub fn candidate_sockets(options: &ConnectOptions) -> Vec<PathBuf> {
    if let Some(socket) = &options.socket {
        return vec![socket.clone()];
    }
    let mut sockets = Vec::new();
    if let Some(host) = std::env::var_os("DOCKER_HOST")
        && let Some(path) = host.to_str().and_then(|h| h.strip_prefix("unix://"))
    {
        sockets.push(PathBuf::from(path));
    }
    sockets.push(PathBuf::from("/var/run/docker.sock"));
    if let Some(runtime_dir) = std::env::var_os("XDG_RUNTIME_DIR") {
        sockets.push(Path::new(&runtime_dir).join("podman/podman.sock"));
    }
    sockets.push(PathBuf::from("/run/podman/podman.sock"));
    sockets
}

/// Connect to the first engine that answers, negotiating the API version
/// (so an engine that raised its minimum API version, as Docker 29 did, still
/// works).
///
/// # Errors
///
/// `Unavailable`, listing every socket tried and why it did not answer.
pub async fn connect(options: &ConnectOptions) -> Result<Connection> {
    let mut tried = Vec::new();
    for socket in candidate_sockets(options) {
        match try_socket(&socket, options.timeout).await {
            Ok(connection) => {
                tracing::info!(
                    socket = %connection.socket.display(),
                    flavor = %connection.flavor,
                    version = %connection.version,
                    api = %connection.api_version,
                    "connected to the container engine"
                );
                return Ok(connection);
            }
            Err(why) => tried.push(format!("{} ({why})", socket.display())),
        }
    }
    Err(Error::unavailable(format!(
        "no container engine answered; tried {}. Start dockerd (or podman system service), \
         or set the runtime socket in the configuration",
        tried.join(", ")
    )))
}

async fn try_socket(socket: &Path, timeout: Duration) -> Result<Connection, String> {
    if !socket.exists() {
        return Err("no such socket".to_owned());
    }
    let path = socket
        .to_str()
        .ok_or_else(|| "socket path is not UTF-8".to_owned())?;
    let docker = Docker::connect_with_unix(path, timeout.as_secs().max(1), API_DEFAULT_VERSION)
        .map_err(|e| e.to_string())?;
    let docker = docker
        .negotiate_version()
        .await
        .map_err(|e| format!("version negotiation failed: {e}"))?;
    let version = docker.version().await.map_err(|e| e.to_string())?;
    let podman = version
        .components
        .iter()
        .flatten()
        .any(|c| c.name.to_ascii_lowercase().contains("podman"));
    Ok(Connection {
        api_version: docker.client_version().to_string(),
        docker,
        socket: socket.to_path_buf(),
        flavor: if podman {
            EngineFlavor::Podman
        } else {
            EngineFlavor::Docker
        },
        version: version.version.unwrap_or_default(),
    })
}
