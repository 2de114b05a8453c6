//! The configuration reference: every key with its type, default,
//! environment variable and meaning. `docs/configuration.md` is rendered
//! from it, and a test checks it names exactly the fields of [`Config`].

use super::Config;

/// The type of a config value, as the reference shows it and as an
/// environment override is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValueKind {
    /// Free text.
    String,
    /// A file system path.
    Path,
    /// A socket address, `IP:PORT`.
    Address,
    /// A URL.
    Url,
    /// A duration such as `"30s"` (see [`HumanDuration`](super::HumanDuration)).
    Duration,
    /// A size such as `"16MiB"` (see [`ByteSize`](super::ByteSize)).
    Size,
    /// A whole number.
    Integer,
    /// `true` or `false`.
    Bool,
    /// A list of strings; in an environment variable, comma-separated.
    List,
}

impl ValueKind {
    /// The name the reference shows.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ValueKind::String => "string",
            ValueKind::Path => "path",
            ValueKind::Address => "address",
            ValueKind::Url => "URL",
            ValueKind::Duration => "duration",
            ValueKind::Size => "size",
            ValueKind::Integer => "integer",
            ValueKind::Bool => "boolean",
            ValueKind::List => "list",
        }
    }
}

impl std::fmt::Display for ValueKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One key of the reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReferenceEntry {
    /// The dotted key, `section.key` (`proxy.acme.email`).
    pub key: &'static str,
    /// Its type.
    pub kind: ValueKind,
    /// The default when it is not a plain value (derived from another key,
    /// detected, or unset); otherwise the default is [`Config::default`]'s.
    pub default_text: Option<&'static str>,
    /// What it means.
    pub doc: &'static str,
}

impl ReferenceEntry {
    /// The environment variable overriding this key.
    #[must_use]
    pub fn env_var(&self) -> String {
        Self::env_var_for(self.key)
    }

    /// The environment variable overriding `key` (`store.url` →
    /// `RIVETR_STORE__URL`).
    #[must_use]
    pub fn env_var_for(key: &str) -> String {
        format!(
            "{}{}",
            super::ENV_PREFIX,
            key.replace('.', "__").to_ascii_uppercase()
        )
    }

    /// The section's name (`proxy.acme` for `proxy.acme.email`).
    #[must_use]
    pub fn section(&self) -> &'static str {
        self.key.rsplit_once('.').map_or("", |(s, _)| s)
    }

    /// The key within its section.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.key.rsplit_once('.').map_or(self.key, |(_, n)| n)
    }

    /// The default as the reference shows it.
    #[must_use]
    pub fn default_shown(&self) -> String {
        if let Some(text) = self.default_text {
            return text.to_owned();
        }
        let defaults = serde_json::to_value(Config::default()).unwrap_or_default();
        let value = self
            .key
            .split('.')
            .try_fold(&defaults, |v, part| v.get(part));
        match value {
            Some(serde_json::Value::String(s)) => format!("`\"{s}\"`"),
            Some(serde_json::Value::Null) | None => "none".to_owned(),
            Some(other) => format!("`{other}`"),
        }
    }
}

const fn entry(key: &'static str, kind: ValueKind, doc: &'static str) -> ReferenceEntry {
    ReferenceEntry {
        key,
        kind,
        default_text: None,
        doc,
    }
}

const fn derived(
    key: &'static str,
    kind: ValueKind,
    default_text: &'static str,
    doc: &'static str,
) -> ReferenceEntry {
    ReferenceEntry {
        key,
        kind,
        default_text: Some(default_text),
        doc,
    }
}

use ValueKind::{Address, Bool, Duration, Integer, List, Path, Size, String as Text, Url};

static REFERENCE: &[ReferenceEntry] = &[
    entry(
        "server.data_dir",
        Path,
        "Directory for the database, sealing keys, build work and setup token. Must be absolute.",
    ),
    entry(
        "server.api_listen",
        Address,
        "Where the REST API and dashboard listen. The reference deployment keeps it on loopback and reaches it through the proxy on the instance's domain.",
    ),
    derived(
        "server.public_url",
        Url,
        "none",
        "Where people reach the instance, `https://paas.example.com` (scheme, host, optional port). Needed for ACME and for webhook URLs.",
    ),
    entry(
        "server.trusted_proxies",
        List,
        "Addresses or networks (`10.0.0.0/8`) whose `X-Forwarded-*` headers the proxy and the API trust; others are replaced.",
    ),
    entry(
        "server.skip_self_checks",
        Bool,
        "Skip the start-up self checks (store, runtime, data dir, disk space, ports). Same as `--skip-self-checks`.",
    ),
    entry(
        "server.min_free_disk",
        Size,
        "Free space the data dir's file system must have at start-up.",
    ),
    derived(
        "server.apps_domain",
        Text,
        "`<proxy.http_listen IP>.sslip.io`",
        "Base domain under which every app gets a generated domain, `<app>-<short id>.<apps_domain>`: a wildcard DNS record (`*.apps.example.com`) pointing at this machine, or an sslip.io-style name.",
    ),
    entry(
        "server.max_webhook_body",
        Size,
        "Largest webhook body accepted; larger deliveries are refused with 413 before any parsing.",
    ),
    entry(
        "server.max_upload",
        Size,
        "Largest source archive accepted by `POST /api/v1/apps/{app}/deploy/archive`.",
    ),
    derived(
        "store.url",
        Url,
        "`sqlite://<data_dir>/rivetr.db`",
        "Database: `sqlite://PATH` or `postgres://USER:PASSWORD@HOST:PORT/DB`.",
    ),
    derived(
        "store.sealing_key_file",
        Path,
        "`<data_dir>/sealing.keys`",
        "Key file sealing secrets at rest; created (mode 0600) when missing. Back it up with the database.",
    ),
    derived(
        "store.sealing_keys",
        Text,
        "none",
        "Sealing keys given directly, e.g. from a secret manager: `ID:BASE64` (32 bytes) entries, comma-separated, the first one sealing. When set, the key file is not used.",
    ),
    entry(
        "store.max_connections",
        Integer,
        "Connection pool size (PostgreSQL), or readers beside the one writer (SQLite).",
    ),
    entry(
        "store.busy_timeout",
        Duration,
        "How long a statement waits for a lock or a pooled connection.",
    ),
    entry(
        "store.logs.lines_per_chunk",
        Integer,
        "Most lines in one stored chunk of deployment log.",
    ),
    entry(
        "store.logs.bytes_per_chunk",
        Size,
        "Most bytes in one stored chunk of deployment log.",
    ),
    entry(
        "store.logs.bytes_per_deployment",
        Size,
        "Most bytes of log kept per deployment; later lines are dropped and one line says so.",
    ),
    entry(
        "store.logs.retention",
        Duration,
        "Logs of finished deployments older than this are deleted.",
    ),
    entry(
        "store.logs.keep_per_app",
        Integer,
        "The newest deployments of each app whose logs are kept whatever their age.",
    ),
    entry(
        "proxy.http_listen",
        Address,
        "The proxy's plain HTTP listener (apps' HTTP traffic, HTTP-01 challenges).",
    ),
    entry(
        "proxy.https_listen",
        Address,
        "The proxy's HTTPS listener (TLS-ALPN-01 challenges).",
    ),
    entry(
        "proxy.header_read_timeout",
        Duration,
        "How long a client may take to send a request's headers (also closes idle keep-alive connections).",
    ),
    entry(
        "proxy.max_headers",
        Integer,
        "Most headers in a request; more gets 431.",
    ),
    entry(
        "proxy.max_header_bytes",
        Size,
        "Most bytes of request line and headers (at least 8KiB); more gets 431.",
    ),
    entry(
        "proxy.max_body_bytes",
        Size,
        "Most bytes of a request body; more gets 413.",
    ),
    entry(
        "proxy.idle_timeout",
        Duration,
        "How long an idle pooled upstream connection is kept.",
    ),
    entry(
        "proxy.upstream_timeout",
        Duration,
        "How long an upstream may take to accept and send its response headers; longer gets 504.",
    ),
    entry(
        "proxy.acme.enabled",
        Bool,
        "Order certificates automatically for the instance's and apps' domains.",
    ),
    derived(
        "proxy.acme.email",
        Text,
        "none",
        "Contact e-mail of the ACME account; required when ACME is enabled.",
    ),
    entry(
        "proxy.acme.directory",
        Url,
        "`\"staging\"` (untrusted certificates, loose limits), `\"production\"` (Let's Encrypt, strict rate limits) or another CA's `https://` directory URL.",
    ),
    entry(
        "proxy.acme.challenge",
        Text,
        "`\"tls-alpn-01\"` (on port 443) or `\"http-01\"` (on port 80, works behind a TLS-terminating load balancer).",
    ),
    entry(
        "proxy.acme.renew_before",
        Duration,
        "Renew a certificate when less than this is left (or a third of its lifetime, if that comes first).",
    ),
    entry(
        "proxy.acme.order_timeout",
        Duration,
        "Longest time one order may take; longer counts as a failure.",
    ),
    entry(
        "proxy.acme.backoff_initial",
        Duration,
        "Wait after a domain's first failed order; doubles after each further failure.",
    ),
    entry(
        "proxy.acme.backoff_max",
        Duration,
        "Longest wait between two orders of a domain.",
    ),
    entry(
        "proxy.acme.max_failures_per_hour",
        Integer,
        "Most failed orders of one domain in any hour (Let's Encrypt allows 5 failed validations per hour).",
    ),
    derived(
        "proxy.acme.extra_roots_file",
        Path,
        "none",
        "PEM file of extra roots trusted for the CA's own HTTPS (a private or test CA such as Pebble).",
    ),
    derived(
        "runtime.socket",
        Path,
        "detected",
        "The container engine's socket. Default: `DOCKER_HOST` (`unix://`), then `/var/run/docker.sock`, then Podman's sockets.",
    ),
    entry(
        "runtime.timeout",
        Duration,
        "Timeout of each container engine API request.",
    ),
    entry(
        "engine.network",
        Text,
        "Prefix of the per-team networks app containers join (`<network>-<team id>`).",
    ),
    derived(
        "engine.work_dir",
        Path,
        "`<data_dir>/work`",
        "Where sources are fetched and built; one sub-directory per deployment.",
    ),
    entry(
        "engine.image_repository",
        Text,
        "Repository prefix of built images (`<prefix>/app-<app id>:<number>`).",
    ),
    entry(
        "engine.watch_interval",
        Duration,
        "How often a new version is probed during its watch window.",
    ),
    entry(
        "engine.watch_failures",
        Integer,
        "Failed probes in a row in the watch window that trigger an automatic rollback.",
    ),
    entry(
        "engine.event_capacity",
        Integer,
        "Capacity of the event channel; slow subscribers lose the oldest events.",
    ),
    entry(
        "engine.log_flush_timeout",
        Duration,
        "How long to wait for a deployment's logs to be written when it ends.",
    ),
    entry(
        "engine.allowed_bind_roots",
        List,
        "Host directories apps may bind-mount (and anything below). Empty refuses every bind mount.",
    ),
    entry(
        "engine.allow_engine_socket",
        Bool,
        "Let apps mount the container engine's socket, which hands them the host.",
    ),
    derived(
        "engine.publish_port_range",
        Text,
        "none",
        "Host ports apps may publish, `\"20000-20999\"`. Unset refuses publishing: traffic goes through the proxy.",
    ),
    entry(
        "engine.allow_public_ports",
        Bool,
        "Let apps publish ports on all interfaces; otherwise published ports bind 127.0.0.1.",
    ),
    entry(
        "engine.allow_http_git",
        Bool,
        "Accept git repositories over plain `http://` (unencrypted: for a git server on a private network). `https://` and SSH are always accepted.",
    ),
    entry(
        "engine.allow_file_git",
        Bool,
        "Accept `file://` git repositories on this host (anyone who can create an app could read any repository the server can).",
    ),
    entry(
        "auth.session_ttl",
        Duration,
        "How long a browser session lasts.",
    ),
    entry(
        "auth.min_password_length",
        Integer,
        "Shortest password accepted (in characters).",
    ),
    entry(
        "auth.login_rate_limit",
        Integer,
        "Login attempts allowed per minute per client address.",
    ),
    derived(
        "auth.setup_token_file",
        Path,
        "`<data_dir>/setup-token`",
        "Where the one-time token creating the first admin is written at first start.",
    ),
    entry(
        "metrics.enabled",
        Bool,
        "Serve Prometheus metrics at `/metrics`.",
    ),
    derived(
        "metrics.listen",
        Address,
        "the API listener",
        "A separate listener for `/metrics`.",
    ),
    derived(
        "metrics.token",
        Text,
        "none",
        "Bearer token `/metrics` requires. Required unless metrics listen on a loopback address.",
    ),
    entry(
        "log.level",
        Text,
        "Log filter: a level (`trace`, `debug`, `info`, `warn`, `error`, `off`), optionally with per-crate levels: `warn,rivetr_proxy=debug`.",
    ),
    entry(
        "log.format",
        Text,
        "`\"text\"` (human-readable lines) or `\"json\"` (one object per line).",
    ),
];

impl Config {
    /// Every config key, in file order: the configuration reference.
    #[must_use]
    pub fn reference() -> &'static [ReferenceEntry] {
        REFERENCE
    }
}

/// The reference as Markdown: one table per section, as it appears in
/// `docs/configuration.md` between the `config-reference` markers.
#[must_use]
pub fn render_reference() -> String {
    let mut out = String::new();
    let mut section = "";
    for e in REFERENCE {
        if e.section() != section {
            section = e.section();
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&format!(
                "### `[{section}]`\n\n| key | type | default | environment variable | meaning |\n| --- | --- | --- | --- | --- |\n"
            ));
        }
        out.push_str(&format!(
            "| `{}` | {} | {} | `{}` | {} |\n",
            e.name(),
            e.kind.name(),
            e.default_shown(),
            e.env_var(),
            e.doc.replace('|', "\\|"),
        ));
    }
    out
}
