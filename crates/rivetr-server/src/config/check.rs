//! [`Config::check`]: what a config means, checked beyond its syntax, as
//! [`Finding`]s that explain what is wrong and how to fix it.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use super::{AcmeDirectory, Challenge, Config, Finding};

impl Config {
    /// Check what the values mean together (the syntax was checked when
    /// loading). Errors must be fixed before the server starts; warnings
    /// are worth a look. An empty list means a clean config.
    #[must_use]
    pub fn check(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        self.check_paths(&mut out);
        self.check_store(&mut out);
        self.check_listeners(&mut out);
        self.check_acme(&mut out);
        self.check_engine(&mut out);
        self.check_auth(&mut out);
        self.check_metrics(&mut out);
        check_log_level(&self.log.level, &mut out);
        out
    }

    fn check_paths(&self, out: &mut Vec<Finding>) {
        let must_be_absolute = [
            ("server.data_dir", Some(self.server.data_dir.as_path())),
            (
                "store.sealing_key_file",
                self.store.sealing_key_file.as_deref(),
            ),
            ("engine.work_dir", self.engine.work_dir.as_deref()),
            (
                "auth.setup_token_file",
                self.auth.setup_token_file.as_deref(),
            ),
            ("runtime.socket", self.runtime.socket.as_deref()),
            (
                "proxy.acme.extra_roots_file",
                self.proxy.acme.extra_roots_file.as_deref(),
            ),
        ];
        for (key, path) in must_be_absolute {
            if let Some(path) = path.filter(|p| !p.is_absolute()) {
                out.push(Finding::error(
                    key,
                    format!("{} is a relative path, which would depend on the directory the server is started from", path.display()),
                    "write an absolute path, starting with /",
                ));
            }
        }
    }

    fn check_store(&self, out: &mut Vec<Finding>) {
        if let Err(err) = self.sealing_keys() {
            out.push(Finding::error(
                "store.sealing_keys",
                err.to_string(),
                "give ID:BASE64 entries of 32 random bytes, comma-separated (e.g. k1:$(head -c 32 /dev/urandom | base64)), or leave it unset to use the key file",
            ));
        }
        let url = self.database_url();
        let scheme_fix = "use sqlite:///absolute/path.db or postgres://USER:PASSWORD@HOST:PORT/DB";
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            let path = path.split('?').next().unwrap_or_default();
            if path == ":memory:" {
                out.push(Finding::warning(
                    "store.url",
                    "an in-memory database: everything is lost when the server stops",
                    "use sqlite:///var/lib/rivetr/rivetr.db for a durable database",
                ));
            } else if path.is_empty() {
                out.push(Finding::error(
                    "store.url",
                    "the SQLite URL names no file",
                    scheme_fix,
                ));
            } else if self.store.url.is_some() && !Path::new(path).is_absolute() {
                out.push(Finding::warning(
                    "store.url",
                    format!("the SQLite file {path} is relative to the directory the server is started from"),
                    "write an absolute path after sqlite:// (three slashes: sqlite:///var/lib/rivetr/rivetr.db)",
                ));
            }
        } else if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            let scheme = url.split("://").next().unwrap_or_default();
            out.push(Finding::error(
                "store.url",
                format!("unsupported database scheme {scheme:?}"),
                scheme_fix,
            ));
        }
        let s = &self.store;
        if s.max_connections == 0 {
            out.push(Finding::error(
                "store.max_connections",
                "no connection could ever be made",
                "set it to at least 1 (default 8)",
            ));
        }
        zero_error(out, "store.busy_timeout", s.busy_timeout.get(), "5s");
        if s.logs.lines_per_chunk == 0 {
            out.push(Finding::error(
                "store.logs.lines_per_chunk",
                "a chunk could hold no line",
                "set it to at least 1 (default 256)",
            ));
        }
        let chunk = s.logs.bytes_per_chunk.get();
        if chunk == 0 || chunk > u64::from(u32::MAX) {
            out.push(Finding::error(
                "store.logs.bytes_per_chunk",
                format!("{} is out of range", s.logs.bytes_per_chunk),
                "set it between 1B and 4GiB (default 64KiB)",
            ));
        }
        if s.logs.bytes_per_deployment.get() < chunk {
            out.push(Finding::warning(
                "store.logs.bytes_per_deployment",
                "smaller than one chunk: every deployment's log is cut at its first chunk",
                "make it larger than store.logs.bytes_per_chunk (default 16MiB)",
            ));
        }
        if s.logs.retention.get().is_zero() {
            out.push(Finding::warning(
                "store.logs.retention",
                "logs of finished deployments are deleted at the first prune (apart from the newest of each app)",
                "keep them for a while, e.g. \"30d\"",
            ));
        }
    }

    fn check_listeners(&self, out: &mut Vec<Finding>) {
        let everyone = self
            .server
            .trusted_proxies
            .iter()
            .find(|t| t.to_string().ends_with("/0"));
        if let Some(net) = everyone {
            out.push(Finding::warning(
                "server.trusted_proxies",
                format!("{net} trusts every client's X-Forwarded-For: anyone can pose as any address, which defeats per-address login limits"),
                "list only the load balancers in front of this machine",
            ));
        }
        if let Err(e) = self.proxy_config().validate() {
            out.push(Finding::error(
                "proxy",
                e.to_string(),
                "see the [proxy] section of docs/configuration.md for the allowed values",
            ));
        }
        zero_error(out, "runtime.timeout", self.runtime.timeout.get(), "120s");
        let listeners = self.listeners();
        for (i, (key_a, a)) in listeners.iter().enumerate() {
            for (key_b, b) in &listeners[i + 1..] {
                if clash(*a, *b) {
                    out.push(Finding::error(
                        key_b,
                        format!("{b} takes the same port as {key_a} ({a})"),
                        format!("give {key_b} another port"),
                    ));
                }
            }
        }
        if let Some(range) = self.engine.publish_port_range {
            for (key, addr) in &listeners {
                if range.contains(addr.port()) {
                    out.push(Finding::warning(
                        "engine.publish_port_range",
                        format!("{range} includes the port of {key} ({addr}): an app publishing it would fail or take it"),
                        "choose a range clear of the server's own ports",
                    ));
                }
            }
        }
    }

    /// The server's own listeners, with their keys.
    pub(crate) fn listeners(&self) -> Vec<(&'static str, SocketAddr)> {
        let mut all = vec![
            ("server.api_listen", self.server.api_listen),
            ("proxy.http_listen", self.proxy.http_listen),
            ("proxy.https_listen", self.proxy.https_listen),
        ];
        if self.metrics.enabled
            && let Some(listen) = self.metrics.listen
        {
            all.push(("metrics.listen", listen));
        }
        all
    }

    fn check_acme(&self, out: &mut Vec<Finding>) {
        let a = &self.proxy.acme;
        if !a.enabled {
            return;
        }
        if a.email.is_none() {
            out.push(Finding::error(
                "proxy.acme.email",
                "ACME is enabled but no contact e-mail is set",
                "set proxy.acme.email = \"you@example.com\" (or RIVETR_PROXY__ACME__EMAIL)",
            ));
        }
        match &self.server.public_url {
            None => out.push(Finding::error(
                "server.public_url",
                "ACME is enabled but the instance has no public domain to order a certificate for",
                "set server.public_url = \"https://paas.example.com\", a domain whose DNS points at this machine",
            )),
            Some(url) if url.domain().is_none() => out.push(Finding::error(
                "server.public_url",
                format!("{url} is an IP address: ACME certificates are issued for domain names"),
                "use a domain name pointing at this machine, or disable proxy.acme",
            )),
            Some(url) if !url.is_https() => out.push(Finding::warning(
                "server.public_url",
                format!("{url} is http:// although ACME gives the instance a certificate"),
                "write the public URL with https://",
            )),
            Some(_) => {}
        }
        if a.directory == AcmeDirectory::Production {
            out.push(Finding::warning(
                "proxy.acme.directory",
                "Let's Encrypt production has strict rate limits (5 failed validations per domain per hour, 50 certificates per domain per week)",
                "make sure issuance works with directory = \"staging\" first",
            ));
        }
        match a.challenge {
            Challenge::Http01 if self.proxy.http_listen.port() != 80 => out.push(Finding::warning(
                "proxy.acme.challenge",
                format!(
                    "http-01 is validated on port 80 but the proxy's HTTP listener is {}",
                    self.proxy.http_listen
                ),
                "listen on port 80, or forward port 80 to proxy.http_listen",
            )),
            Challenge::TlsAlpn01 if self.proxy.https_listen.port() != 443 => {
                out.push(Finding::warning(
                    "proxy.acme.challenge",
                    format!(
                        "tls-alpn-01 is validated on port 443 but the proxy's HTTPS listener is {}",
                        self.proxy.https_listen
                    ),
                    "listen on port 443, or forward port 443 to proxy.https_listen",
                ));
            }
            _ => {}
        }
        match self.acme_config() {
            Err(e) => out.push(Finding::error(
                "proxy.acme.extra_roots_file",
                e.to_string(),
                "point it at a readable PEM file holding the CA's root certificate",
            )),
            Ok(Some(config)) => {
                if let Err(e) = config.validate() {
                    out.push(Finding::error(
                        "proxy.acme",
                        e.to_string(),
                        "see the [proxy.acme] section of docs/configuration.md",
                    ));
                }
            }
            Ok(None) => {}
        }
    }

    fn check_engine(&self, out: &mut Vec<Finding>) {
        let e = &self.engine;
        let max_network = 63 - 33; // `-<team id>` takes 33 characters.
        let network_ok = !e.network.is_empty()
            && e.network.len() <= max_network
            && e.network.starts_with(|c: char| c.is_ascii_alphanumeric())
            && e.network
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
        if !network_ok {
            out.push(Finding::error(
                "engine.network",
                format!("{:?} is not a usable network name prefix", e.network),
                format!("use 1 to {max_network} lowercase letters, digits, '-', '_' or '.', starting with a letter or digit"),
            ));
        }
        let repo_ok = !e.image_repository.is_empty()
            && !e.image_repository.starts_with(['/', '-', '.'])
            && !e.image_repository.ends_with('/')
            && e.image_repository
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_./:".contains(c));
        if !repo_ok {
            out.push(Finding::error(
                "engine.image_repository",
                format!("{:?} is not a valid image repository prefix", e.image_repository),
                "use lowercase letters, digits and '-', '_', '.', '/' (and a registry host:port), e.g. \"rivetr\" or \"registry.local:5000/rivetr\"",
            ));
        }
        if e.watch_failures == 0 {
            out.push(Finding::error(
                "engine.watch_failures",
                "a rollback would need zero failed probes",
                "set it to at least 1 (default 3)",
            ));
        }
        if e.event_capacity == 0 {
            out.push(Finding::error(
                "engine.event_capacity",
                "an event channel cannot hold zero events",
                "set it to at least 1 (default 1024)",
            ));
        }
        zero_error(out, "engine.watch_interval", e.watch_interval.get(), "1s");
        zero_error(
            out,
            "engine.log_flush_timeout",
            e.log_flush_timeout.get(),
            "10s",
        );
        if e.allow_engine_socket {
            out.push(Finding::warning(
                "engine.allow_engine_socket",
                "apps may mount the container engine's socket, which gives them control of this machine",
                "turn it off unless every app on this instance is trusted",
            ));
        }
    }

    fn check_auth(&self, out: &mut Vec<Finding>) {
        let a = &self.auth;
        zero_error(out, "auth.session_ttl", a.session_ttl.get(), "14d");
        if a.min_password_length < 8 {
            out.push(Finding::warning(
                "auth.min_password_length",
                format!(
                    "passwords of {} characters are easy to guess",
                    a.min_password_length
                ),
                "require at least 8 characters (default 12)",
            ));
        }
        if a.login_rate_limit == 0 {
            out.push(Finding::error(
                "auth.login_rate_limit",
                "no one could ever log in",
                "allow a few attempts per minute (default 10)",
            ));
        }
    }

    fn check_metrics(&self, out: &mut Vec<Finding>) {
        let m = &self.metrics;
        if !m.enabled {
            if m.listen.is_some() || m.token.is_some() {
                out.push(Finding::warning(
                    "metrics.enabled",
                    "metrics.listen or metrics.token is set but metrics are off",
                    "set metrics.enabled = true, or remove the other metrics settings",
                ));
            }
            return;
        }
        if let Some(token) = &m.token {
            if token.expose().trim().is_empty() {
                out.push(Finding::error(
                    "metrics.token",
                    "the token is empty",
                    "set a long random token, e.g. from `openssl rand -hex 32`",
                ));
            } else if token.expose().len() < 16 {
                out.push(Finding::warning(
                    "metrics.token",
                    "the token is shorter than 16 characters",
                    "use a long random token, e.g. from `openssl rand -hex 32`",
                ));
            }
            return;
        }
        let (key, public) = match m.listen {
            Some(addr) => ("metrics.listen", !addr.ip().is_loopback()),
            None => (
                "server.api_listen",
                !self.server.api_listen.ip().is_loopback() || self.server.public_url.is_some(),
            ),
        };
        if public {
            out.push(Finding::error(
                "metrics.token",
                format!("metrics would be served without a token on a public address (through {key})"),
                "set metrics.token, or set metrics.listen to a loopback address such as 127.0.0.1:9100",
            ));
        }
    }
}

fn zero_error(out: &mut Vec<Finding>, key: &str, value: Duration, default: &str) {
    if value.is_zero() {
        out.push(Finding::error(
            key,
            "must be above zero",
            format!("set a duration such as \"{default}\" (the default)"),
        ));
    }
}

/// Two listeners clash when they share a port and an address, or one of
/// them listens on every address.
fn clash(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() != 0
        && a.port() == b.port()
        && (a.ip() == b.ip() || a.ip().is_unspecified() || b.ip().is_unspecified())
}

const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];

fn check_log_level(level: &str, out: &mut Vec<Finding>) {
    let valid_target = |t: &str| {
        !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':' || c == '-')
    };
    let bad = level
        .split(',')
        .map(str::trim)
        .find(|directive| match directive.split_once('=') {
            None => !LEVELS.contains(&directive.to_ascii_lowercase().as_str()),
            Some((target, lvl)) => {
                !valid_target(target) || !LEVELS.contains(&lvl.to_ascii_lowercase().as_str())
            }
        });
    if let Some(directive) = bad {
        out.push(Finding::error(
            "log.level",
            format!("{directive:?} is not a level or a target=level directive"),
            "write a level (trace, debug, info, warn, error, off), optionally followed by per-crate levels: \"warn,rivetr_proxy=debug\"",
        ));
    }
}
