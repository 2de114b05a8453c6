//! The sections of the config file, one struct each. Every field is
//! documented in the configuration reference (`reference.rs`), which a
//! test keeps in step with these structs.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use rivetr_core::input::{DomainName, Email, HostPath};
use serde::{Deserialize, Serialize};

use super::types::{AcmeDirectory, Challenge, LogFormat, PortRange, PublicUrl, Secret, TrustedNet};
use super::units::{ByteSize, HumanDuration};

const DAY: u64 = 24 * 60 * 60;

/// `[server]`: where the instance keeps its files and serves its API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSection {
    /// The directory for the database, sealing keys, build work and
    /// setup token (default `/var/lib/rivetr`).
    pub data_dir: PathBuf,
    /// Where the REST API and dashboard listen (default `127.0.0.1:8080`).
    pub api_listen: SocketAddr,
    /// Where people reach the instance, `https://paas.example.com`.
    pub public_url: Option<PublicUrl>,
    /// Clients whose `X-Forwarded-*` headers the proxy and the API trust.
    pub trusted_proxies: Vec<TrustedNet>,
    /// Skip the start-up self checks.
    pub skip_self_checks: bool,
    /// Free disk space below which the start-up check fails (default 1 GiB).
    pub min_free_disk: ByteSize,
    /// Base domain of generated app domains (`<app>-<id>.<apps_domain>`).
    pub apps_domain: Option<DomainName>,
    /// Largest webhook body accepted (default 1 MiB).
    pub max_webhook_body: ByteSize,
    /// Largest uploaded source archive accepted (default 256 MiB).
    pub max_upload: ByteSize,
}

impl Default for ServerSection {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("/var/lib/rivetr"),
            api_listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8080),
            public_url: None,
            trusted_proxies: Vec::new(),
            skip_self_checks: false,
            min_free_disk: ByteSize::new(1 << 30),
            apps_domain: None,
            max_webhook_body: ByteSize::new(1 << 20),
            max_upload: ByteSize::new(256 << 20),
        }
    }
}

/// `[store]`: the database.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSection {
    /// `sqlite://PATH` or `postgres://...`; default SQLite at
    /// `<data_dir>/rivetr.db`.
    pub url: Option<String>,
    /// The sealing key file; default `<data_dir>/sealing.keys`.
    pub sealing_key_file: Option<PathBuf>,
    /// Sealing keys given directly instead of the key file (from a secret
    /// manager, say): `ID:BASE64` entries, comma-separated, the first one
    /// sealing.
    pub sealing_keys: Option<Secret>,
    /// Pool size (default 8).
    pub max_connections: u32,
    /// Wait for a lock or a pooled connection (default 5 s).
    pub busy_timeout: HumanDuration,
    /// Bounds on deployment logs.
    pub logs: StoreLogsSection,
}

impl Default for StoreSection {
    fn default() -> Self {
        Self {
            url: None,
            sealing_key_file: None,
            sealing_keys: None,
            max_connections: 8,
            busy_timeout: HumanDuration::from_secs(5),
            logs: StoreLogsSection::default(),
        }
    }
}

/// `[store.logs]`: bounds on stored deployment logs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreLogsSection {
    /// Most lines in one stored chunk (default 256).
    pub lines_per_chunk: u32,
    /// Most bytes in one stored chunk (default 64 KiB, at most 4 GiB - 1).
    pub bytes_per_chunk: ByteSize,
    /// Most bytes kept per deployment (default 16 MiB).
    pub bytes_per_deployment: ByteSize,
    /// Logs of finished deployments older than this are deleted (30 days).
    pub retention: HumanDuration,
    /// Newest deployments per app whose logs are kept whatever their age.
    pub keep_per_app: u32,
}

impl Default for StoreLogsSection {
    fn default() -> Self {
        Self {
            lines_per_chunk: 256,
            bytes_per_chunk: ByteSize::new(64 << 10),
            bytes_per_deployment: ByteSize::new(16 << 20),
            retention: HumanDuration::from_secs(30 * DAY),
            keep_per_app: 10,
        }
    }
}

/// `[proxy]`: the built-in reverse proxy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProxySection {
    /// Plain HTTP listener (default `0.0.0.0:80`).
    pub http_listen: SocketAddr,
    /// HTTPS listener (default `0.0.0.0:443`).
    pub https_listen: SocketAddr,
    /// Time for a client to send a request's headers (default 10 s).
    pub header_read_timeout: HumanDuration,
    /// Most headers in a request (default 100).
    pub max_headers: usize,
    /// Most bytes of request line and headers (default 16 KiB).
    pub max_header_bytes: ByteSize,
    /// Most bytes of a request body (default 10 MiB).
    pub max_body_bytes: ByteSize,
    /// How long an idle upstream connection is kept (default 90 s).
    pub idle_timeout: HumanDuration,
    /// Time for an upstream to answer with headers (default 60 s).
    pub upstream_timeout: HumanDuration,
    /// Automatic certificates.
    pub acme: AcmeSection,
}

impl Default for ProxySection {
    fn default() -> Self {
        Self {
            http_listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 80),
            https_listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 443),
            header_read_timeout: HumanDuration::from_secs(10),
            max_headers: 100,
            max_header_bytes: ByteSize::new(16 << 10),
            max_body_bytes: ByteSize::new(10 << 20),
            idle_timeout: HumanDuration::from_secs(90),
            upstream_timeout: HumanDuration::from_secs(60),
            acme: AcmeSection::default(),
        }
    }
}

/// `[proxy.acme]`: certificates from Let's Encrypt or another ACME CA.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AcmeSection {
    /// Order certificates automatically (default off).
    pub enabled: bool,
    /// The account's contact e-mail (required when enabled).
    pub email: Option<Email>,
    /// `staging` (default), `production` or a directory URL.
    pub directory: AcmeDirectory,
    /// `tls-alpn-01` (default) or `http-01`.
    pub challenge: Challenge,
    /// Renew when less than this is left (default 30 days).
    pub renew_before: HumanDuration,
    /// Longest time one order may take (default 10 min).
    pub order_timeout: HumanDuration,
    /// Wait after the first failed order (default 5 min).
    pub backoff_initial: HumanDuration,
    /// Longest wait between attempts (default 6 h).
    pub backoff_max: HumanDuration,
    /// Most failed orders of one domain per hour (default 3).
    pub max_failures_per_hour: u32,
    /// PEM file of extra roots for the CA's own HTTPS (a private CA).
    pub extra_roots_file: Option<PathBuf>,
}

impl Default for AcmeSection {
    fn default() -> Self {
        Self {
            enabled: false,
            email: None,
            directory: AcmeDirectory::Staging,
            challenge: Challenge::TlsAlpn01,
            renew_before: HumanDuration::from_secs(30 * DAY),
            order_timeout: HumanDuration::from_secs(10 * 60),
            backoff_initial: HumanDuration::from_secs(5 * 60),
            backoff_max: HumanDuration::from_secs(6 * 60 * 60),
            max_failures_per_hour: 3,
            extra_roots_file: None,
        }
    }
}

/// `[runtime]`: the container engine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuntimeSection {
    /// The engine's socket; default: `DOCKER_HOST`, then Docker's and
    /// Podman's usual sockets.
    pub socket: Option<PathBuf>,
    /// Timeout of each engine API request (default 120 s).
    pub timeout: HumanDuration,
}

impl Default for RuntimeSection {
    fn default() -> Self {
        Self {
            socket: None,
            timeout: HumanDuration::from_secs(120),
        }
    }
}

/// `[engine]`: the deploy engine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineSection {
    /// Prefix of the per-team networks (default `rivetr`).
    pub network: String,
    /// Where sources are fetched and built; default `<data_dir>/work`.
    pub work_dir: Option<PathBuf>,
    /// Repository prefix of built images (default `rivetr`).
    pub image_repository: String,
    /// Probe interval in the watch window (default 1 s).
    pub watch_interval: HumanDuration,
    /// Failed probes in a row that roll back (default 3).
    pub watch_failures: u32,
    /// Capacity of the event channel (default 1024).
    pub event_capacity: usize,
    /// Wait for a deployment's logs to flush (default 10 s).
    pub log_flush_timeout: HumanDuration,
    /// Host directories apps may bind-mount (default none).
    pub allowed_bind_roots: Vec<HostPath>,
    /// Let apps mount the engine's socket (default off).
    pub allow_engine_socket: bool,
    /// Host ports apps may publish, `"20000-20999"` (default none).
    pub publish_port_range: Option<PortRange>,
    /// Let apps publish on all interfaces (default off).
    pub allow_public_ports: bool,
    /// Accept plain `http://` git repositories (default off).
    pub allow_http_git: bool,
    /// Accept `file://` git repositories on this host (default off).
    pub allow_file_git: bool,
}

impl Default for EngineSection {
    fn default() -> Self {
        Self {
            network: "rivetr".to_owned(),
            work_dir: None,
            image_repository: "rivetr".to_owned(),
            watch_interval: HumanDuration::from_secs(1),
            watch_failures: 3,
            event_capacity: 1024,
            log_flush_timeout: HumanDuration::from_secs(10),
            allowed_bind_roots: Vec::new(),
            allow_engine_socket: false,
            publish_port_range: None,
            allow_http_git: false,
            allow_file_git: false,
            allow_public_ports: false,
        }
    }
}

/// `[auth]`: sign-in and sessions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSection {
    /// How long a browser session lasts (default 14 days).
    pub session_ttl: HumanDuration,
    /// Shortest password accepted (default 12 characters).
    pub min_password_length: u32,
    /// Login attempts per minute per client address (default 10).
    pub login_rate_limit: u32,
    /// Where the one-time setup token is written at first start; default
    /// `<data_dir>/setup-token`.
    pub setup_token_file: Option<PathBuf>,
}

impl Default for AuthSection {
    fn default() -> Self {
        Self {
            session_ttl: HumanDuration::from_secs(14 * DAY),
            min_password_length: 12,
            login_rate_limit: 10,
            setup_token_file: None,
        }
    }
}

/// `[metrics]`: the Prometheus endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSection {
    /// Serve `/metrics` (default off).
    pub enabled: bool,
    /// A separate listener for `/metrics`; default: on the API listener.
    pub listen: Option<SocketAddr>,
    /// A bearer token `/metrics` requires.
    pub token: Option<Secret>,
}

/// `[log]`: the server's own logs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSection {
    /// A filter: `info`, or `warn,rivetr_proxy=debug` (default `info`).
    pub level: String,
    /// `text` (default) or `json`.
    pub format: LogFormat,
}

impl Default for LogSection {
    fn default() -> Self {
        Self {
            level: "info".to_owned(),
            format: LogFormat::Text,
        }
    }
}
