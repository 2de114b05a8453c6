//! From the file's sections to the settings each crate takes, so the
//! server's assembly uses them directly.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use rivetr_core::engine::EngineConfig;
use rivetr_core::input::GitUrlPolicy;
use rivetr_proxy::acme::{AcmeConfig, Backoff};
use rivetr_proxy::server::{ProxyConfig, TrustedProxy};
use rivetr_runtime::docker::ConnectOptions;
use rivetr_store::seal::{Sealer, SealingKey};
use rivetr_store::{LogLimits, Sealing, StoreConfig};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use super::{Config, ConfigError};
use crate::api::ApiSettings;
use crate::auth::client_addr::TrustedProxies;
use crate::auth::password::HashParams;
use crate::auth::service::AuthSettings;

impl Config {
    /// The database URL: `store.url`, else SQLite at `<data_dir>/rivetr.db`.
    #[must_use]
    pub fn database_url(&self) -> String {
        match &self.store.url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}",
                self.server.data_dir.join("rivetr.db").display()
            ),
        }
    }

    /// The sealing key file: `store.sealing_key_file`, else
    /// `<data_dir>/sealing.keys`.
    #[must_use]
    pub fn sealing_key_file(&self) -> PathBuf {
        self.store
            .sealing_key_file
            .clone()
            .unwrap_or_else(|| self.server.data_dir.join("sealing.keys"))
    }

    /// The build directory: `engine.work_dir`, else `<data_dir>/work`.
    #[must_use]
    pub fn work_dir(&self) -> PathBuf {
        self.engine
            .work_dir
            .clone()
            .unwrap_or_else(|| self.server.data_dir.join("work"))
    }

    /// The setup token file: `auth.setup_token_file`, else
    /// `<data_dir>/setup-token`.
    #[must_use]
    pub fn setup_token_file(&self) -> PathBuf {
        self.auth
            .setup_token_file
            .clone()
            .unwrap_or_else(|| self.server.data_dir.join("setup-token"))
    }

    /// The proxies whose `X-Forwarded-*` headers are trusted (by the proxy
    /// and by the API).
    #[must_use]
    pub fn trusted_proxies(&self) -> Vec<TrustedProxy> {
        self.server
            .trusted_proxies
            .iter()
            .map(super::TrustedNet::net)
            .collect()
    }

    /// The sealing keys of `store.sealing_keys`, current first, or `None`
    /// when the key file is used.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Invalid`] naming the entry that is not `ID:BASE64`
    /// of 32 bytes (never the key itself).
    pub fn sealing_keys(&self) -> Result<Option<Vec<SealingKey>>, ConfigError> {
        let Some(keys) = &self.store.sealing_keys else {
            return Ok(None);
        };
        let mut parsed = Vec::new();
        for (index, entry) in keys.expose().split(',').enumerate() {
            let key = entry
                .parse::<SealingKey>()
                .map_err(|e| ConfigError::Invalid {
                    key: "store.sealing_keys",
                    message: format!("entry {}: {e}", index + 1),
                })?;
            parsed.push(key);
        }
        Ok(Some(parsed))
    }

    /// The store's settings: sealing with `store.sealing_keys` when given,
    /// else with the key file.
    ///
    /// # Errors
    ///
    /// As [`sealing_keys`](Self::sealing_keys).
    pub fn store_config(&self) -> Result<StoreConfig, ConfigError> {
        let section = &self.store;
        let sealing = match self.sealing_keys()? {
            Some(keys) => {
                let mut keys = keys.into_iter();
                let current = keys.next().ok_or(ConfigError::Invalid {
                    key: "store.sealing_keys",
                    message: "no key given".to_owned(),
                })?;
                Sealing::Sealer(Arc::new(Sealer::with_old_keys(current, keys)))
            }
            None => Sealing::KeyFile(self.sealing_key_file()),
        };
        let mut config = StoreConfig::new(self.database_url(), sealing);
        config.max_connections = section.max_connections;
        config.busy_timeout = section.busy_timeout.get();
        let mut logs = LogLimits::default();
        logs.lines_per_chunk = section.logs.lines_per_chunk;
        logs.bytes_per_chunk =
            u32::try_from(section.logs.bytes_per_chunk.get()).unwrap_or(u32::MAX);
        logs.bytes_per_deployment = section.logs.bytes_per_deployment.get();
        logs.retention = section.logs.retention.get();
        logs.keep_per_app = section.logs.keep_per_app;
        config.logs = logs;
        Ok(config)
    }

    /// The proxy server's settings; it listens on `proxy.http_listen` (the
    /// HTTPS listener is [`https_listen`](Self::https_listen)).
    #[must_use]
    pub fn proxy_config(&self) -> ProxyConfig {
        let p = &self.proxy;
        ProxyConfig {
            listen: p.http_listen,
            header_read_timeout: p.header_read_timeout.get(),
            max_headers: p.max_headers,
            max_header_bytes: usize::try_from(p.max_header_bytes.get()).unwrap_or(usize::MAX),
            max_body_bytes: p.max_body_bytes.get(),
            idle_timeout: p.idle_timeout.get(),
            upstream_timeout: p.upstream_timeout.get(),
            trusted_proxies: self.trusted_proxies(),
        }
    }

    /// Where the proxy serves HTTPS.
    #[must_use]
    pub fn https_listen(&self) -> SocketAddr {
        self.proxy.https_listen
    }

    /// The ACME manager's settings, `None` when `proxy.acme.enabled` is
    /// off. Reads `extra_roots_file` when set.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Referenced`] when the roots file cannot be read or
    /// holds no certificate.
    pub fn acme_config(&self) -> Result<Option<AcmeConfig>, ConfigError> {
        let a = &self.proxy.acme;
        if !a.enabled {
            return Ok(None);
        }
        let extra_roots = match &a.extra_roots_file {
            None => Vec::new(),
            Some(path) => read_roots(path)?,
        };
        Ok(Some(AcmeConfig {
            directory_url: a.directory.url().to_owned(),
            contact_emails: a.email.iter().map(|e| e.as_str().to_owned()).collect(),
            challenge: a.challenge.into(),
            renew_before: a.renew_before.get(),
            backoff: Backoff {
                initial: a.backoff_initial.get(),
                max: a.backoff_max.get(),
                max_failures_per_hour: a.max_failures_per_hour,
            },
            order_timeout: a.order_timeout.get(),
            extra_roots,
        }))
    }

    /// Where uploaded source archives are kept: `<data_dir>/uploads`
    /// (not in the work dir, which the engine sweeps at start-up).
    #[must_use]
    pub fn uploads_dir(&self) -> PathBuf {
        self.server.data_dir.join("uploads")
    }

    /// Which git URLs apps may use (`engine.allow_http_git`,
    /// `engine.allow_file_git`), for the API's checks and the git source.
    #[must_use]
    pub fn git_url_policy(&self) -> GitUrlPolicy {
        GitUrlPolicy {
            allow_file: self.engine.allow_file_git,
            allow_http: self.engine.allow_http_git,
        }
    }

    /// How to reach the container engine.
    #[must_use]
    pub fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            socket: self.runtime.socket.clone(),
            timeout: self.runtime.timeout.get(),
        }
    }

    /// The deploy engine's settings.
    #[must_use]
    pub fn engine_config(&self) -> EngineConfig {
        let e = &self.engine;
        EngineConfig {
            network: e.network.clone(),
            work_dir: self.work_dir(),
            image_repository: e.image_repository.clone(),
            watch_interval: e.watch_interval.get(),
            watch_failures: e.watch_failures,
            event_capacity: e.event_capacity,
            log_flush_timeout: e.log_flush_timeout.get(),
            allowed_bind_roots: e.allowed_bind_roots.clone(),
            allow_engine_socket: e.allow_engine_socket,
            publish_port_range: e.publish_port_range.map(|r| (r.start, r.end)),
            allow_public_ports: e.allow_public_ports,
        }
    }
}

impl Config {
    /// How the API authenticates callers.
    #[must_use]
    pub fn auth_settings(&self) -> AuthSettings {
        let public = self.server.public_url.as_ref();
        AuthSettings {
            hash_params: HashParams::PRODUCTION,
            min_password_length: usize::try_from(self.auth.min_password_length).unwrap_or(12),
            session_ttl: chrono::TimeDelta::from_std(self.auth.session_ttl.get())
                .unwrap_or(chrono::TimeDelta::days(14)),
            login_per_minute: self.auth.login_rate_limit,
            trusted_proxies: TrustedProxies::new(self.trusted_proxies()),
            public_origin: public.map(ToString::to_string),
            secure_cookie: public.is_some_and(super::PublicUrl::is_https),
        }
    }

    /// The API's other settings; the apps' base domain defaults to the
    /// proxy address's sslip.io name (`127.0.0.1.sslip.io`).
    #[must_use]
    pub fn api_settings(&self) -> ApiSettings {
        let apps_domain = self.server.apps_domain.as_ref().map_or_else(
            || {
                let ip = self.proxy.http_listen.ip();
                let ip = if ip.is_unspecified() {
                    std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
                } else {
                    ip
                };
                match ip {
                    std::net::IpAddr::V4(v4) => format!("{v4}.sslip.io"),
                    std::net::IpAddr::V6(v6) => {
                        format!("{}.sslip.io", v6.to_string().replace(':', "-"))
                    }
                }
            },
            |d| d.as_str().to_owned(),
        );
        ApiSettings {
            app_base_domain: Some(apps_domain),
            git_policy: self.git_url_policy(),
            uploads_dir: self.uploads_dir(),
            max_webhook_bytes: usize::try_from(self.server.max_webhook_body.get())
                .unwrap_or(usize::MAX),
            max_upload_bytes: usize::try_from(self.server.max_upload.get()).unwrap_or(usize::MAX),
        }
    }
}

fn read_roots(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let bad = |message: String| ConfigError::Referenced {
        key: "proxy.acme.extra_roots_file",
        path: path.to_path_buf(),
        message,
    };
    let roots = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("bad PEM: {e}")))?;
    if roots.is_empty() {
        return Err(bad("no CERTIFICATE block in the file".to_owned()));
    }
    Ok(roots)
}
