//! Pebble for the ACME tests: the instance `scripts/with-pebble` started
//! (from its `RIVETR_TEST_PEBBLE_*` variables), raw HTTP/1.1 and TLS
//! clients, and the proxy on the validator's fixed ports.

use std::sync::Arc;

use rivetr_proxy::acme::{AcmeConfig, AcmeManager, ChallengeType};
use rivetr_proxy::server::{Proxy, ProxyConfig};
use rivetr_proxy::table::ProxyRouteTable;
use rivetr_proxy::tls::{self, CertResolver};
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, MutexGuard};
use tokio_util::sync::CancellationToken;

/// The validator's fixed ports: one test binds them at a time.
static VA_PORTS: Mutex<()> = Mutex::const_new(());

/// The Pebble instance from the environment.
#[derive(Debug)]
pub(crate) struct Pebble {
    pub(crate) directory: String,
    pub(crate) roots_url: String,
    pub(crate) ca: CertificateDer<'static>,
    pub(crate) http_port: u16,
    pub(crate) tls_port: u16,
    pub(crate) challtestsrv: String,
}

/// The Pebble from `scripts/with-pebble`'s variables, or `None` after a
/// `SKIPPED:` line (a failure under `RIVETR_TEST_STRICT=1`).
pub(crate) fn pebble_or_skip() -> Option<Pebble> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let found = (|| {
        let ca_path = var("RIVETR_TEST_PEBBLE_CA")?;
        let ca = CertificateDer::from_pem_file(&ca_path).map_err(|e| format!("{ca_path}: {e}"))?;
        let port = |name: &str| {
            var(name)?
                .parse::<u16>()
                .map_err(|e| format!("{name}: {e}"))
        };
        Ok::<_, String>(Pebble {
            directory: var("RIVETR_TEST_PEBBLE_DIRECTORY")?,
            roots_url: var("RIVETR_TEST_PEBBLE_ROOTS_URL")?,
            ca,
            http_port: port("RIVETR_TEST_PEBBLE_HTTP_PORT")?,
            tls_port: port("RIVETR_TEST_PEBBLE_TLS_PORT")?,
            challtestsrv: var("RIVETR_TEST_PEBBLE_CHALLTESTSRV")?,
        })
    })();
    match found {
        Ok(pebble) => Some(pebble),
        Err(e) if std::env::var("RIVETR_TEST_STRICT").as_deref() == Ok("1") => {
            panic!("RIVETR_TEST_STRICT=1 and no Pebble ({e}): run through scripts/with-pebble")
        }
        Err(e) => {
            #[allow(clippy::print_stderr, reason = "a skipped test must say so")]
            {
                eprintln!(
                    "SKIPPED: no Pebble ({e}); run `scripts/with-pebble cargo test -p rivetr-proxy --test acme_pebble`"
                );
            }
            None
        }
    }
}

/// `host:port` and path of an `http(s)://127.0.0.1:PORT/path` URL.
fn split_url(url: &str) -> (String, String) {
    let rest = url.split_once("://").unwrap().1;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    (authority.to_owned(), format!("/{path}"))
}

/// One HTTP/1.1 request with `Connection: close`: the status and body.
pub(crate) async fn exchange(
    mut io: impl AsyncRead + AsyncWrite + Unpin,
    method: &str,
    authority: &str,
    path: &str,
    body: &str,
) -> (u16, String) {
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    io.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    // A peer closing TLS without close_notify still sent everything.
    let _ = io.read_to_end(&mut response).await;
    let response = String::from_utf8(response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_owned())
}

impl Pebble {
    /// Pebble's issuing root, from its management port (HTTPS, signed by
    /// the script's CA). It changes with every Pebble start.
    pub(crate) async fn root(&self) -> CertificateDer<'static> {
        let (authority, path) = split_url(&self.roots_url);
        let tls = tls_client(self.ca.clone(), "127.0.0.1", &authority)
            .await
            .unwrap();
        let (status, body) = exchange(tls, "GET", &authority, &path, "").await;
        assert_eq!(status, 200, "{}: {body}", self.roots_url);
        CertificateDer::from_pem_slice(body.as_bytes()).unwrap()
    }

    /// Make Pebble's DNS answer SERVFAIL for `domain` (its validations fail).
    pub(crate) async fn servfail(&self, domain: &str) {
        let (authority, _) = split_url(&self.challtestsrv);
        let tcp = TcpStream::connect(&authority).await.unwrap();
        let body = format!("{{\"host\":\"{domain}.\"}}");
        let (status, text) = exchange(tcp, "POST", &authority, "/set-servfail", &body).await;
        assert_eq!(status, 200, "set-servfail: {text}");
    }

    pub(crate) fn config(&self, challenge: ChallengeType) -> AcmeConfig {
        AcmeConfig {
            directory_url: self.directory.clone(),
            contact_emails: vec!["ops@rivetr.test".to_owned()],
            challenge,
            extra_roots: vec![self.ca.clone()],
            ..AcmeConfig::default()
        }
    }
}

/// A TLS client to `authority` (`host:port`) for `server_name`, trusting
/// only `root`.
pub(crate) async fn tls_client(
    root: CertificateDer<'static>,
    server_name: &str,
    authority: &str,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let mut roots = RootCertStore::empty();
    roots.add(root).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name = ServerName::try_from(server_name.to_owned()).unwrap();
    let tcp = TcpStream::connect(authority).await?;
    connector.connect(name, tcp).await
}

/// The proxy on the validator's ports (HTTP-01 answered by `acme`, HTTPS
/// from `resolver`), holding them until `shutdown`.
pub(crate) struct Served {
    _ports: MutexGuard<'static, ()>,
    shutdown: CancellationToken,
    servers: Vec<tokio::task::JoinHandle<()>>,
}

impl Served {
    pub(crate) async fn start(
        pebble: &Pebble,
        acme: &AcmeManager,
        resolver: &CertResolver,
    ) -> Self {
        let ports = VA_PORTS.lock().await;
        let shutdown = CancellationToken::new();
        let proxy = Proxy::builder(ProxyConfig::default(), ProxyRouteTable::new())
            .http01(Arc::new(acme.clone()))
            .build()
            .unwrap();
        let http = TcpListener::bind(("127.0.0.1", pebble.http_port))
            .await
            .unwrap();
        let https = TcpListener::bind(("127.0.0.1", pebble.tls_port))
            .await
            .unwrap();
        let tls_config = tls::server_config(resolver.clone()).unwrap();
        let (p1, s1) = (proxy.clone(), shutdown.clone());
        let (p2, s2) = (proxy, shutdown.clone());
        let servers = vec![
            tokio::spawn(async move { p1.serve_http(http, s1).await.unwrap() }),
            tokio::spawn(async move { p2.serve_https(https, tls_config, s2).await.unwrap() }),
        ];
        Self {
            _ports: ports,
            shutdown,
            servers,
        }
    }

    pub(crate) async fn stop(self) {
        self.shutdown.cancel();
        for server in self.servers {
            server.await.unwrap();
        }
    }
}
