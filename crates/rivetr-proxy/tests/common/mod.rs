//! Shared by the integration tests: upstreams and plain HTTP proxies on
//! 127.0.0.1:0, and for TLS and HTTP/2 a test CA issuing leaf certificates
//! (rcgen), TLS clients trusting it, an echo upstream and an HTTPS proxy
//! on 127.0.0.1:0.

#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test binary uses part of this module"
)]

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rivetr_core::id::AppId;
use rivetr_core::route::{AppRoutes, HostRoute, RouteTable, SwitchOptions, Upstream};
use rivetr_proxy::server::{Proxy, ProxyConfig};
use rivetr_proxy::table::ProxyRouteTable;
use rivetr_proxy::tls::{self, CertResolver};
use rustls::RootCertStore;
use rustls::client::ClientConfig;
use rustls::sign::CertifiedKey;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_util::sync::CancellationToken;

/// A certificate authority for the tests, and the leaves it issued.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A leaf certificate: PEM for `load_pem`, DER to compare with what a
/// server sent.
pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
    pub der: CertificateDer<'static>,
}

impl Leaf {
    /// The certificate and key, loaded as the proxy serves them.
    pub fn key(&self) -> Arc<CertifiedKey> {
        tls::load_pem(self.cert_pem.as_bytes(), self.key_pem.as_bytes()).unwrap()
    }
}

impl TestCa {
    pub fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        (params.distinguished_name).push(DnType::CommonName, "Rivetr test CA");
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Self { issuer }
    }

    /// A leaf for `names` (DNS names, `*.example.test` allowed).
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &self.issuer)
            .unwrap();
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
        }
    }

    /// A TLS client trusting only this CA, offering `alpn`.
    pub fn client(&self, alpn: &[&[u8]]) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots.add(self.issuer.der().clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Arc::new(config)
    }
}

/// A TLS handshake with `addr` for `name` (SNI, and the name the server's
/// certificate is verified against).
pub async fn connect(
    addr: SocketAddr,
    client: Arc<ClientConfig>,
    name: &str,
) -> io::Result<TlsStream<TcpStream>> {
    let stream = TcpStream::connect(addr).await?;
    let name = ServerName::try_from(name.to_owned()).unwrap();
    let handshake = TlsConnector::from(client).connect(name, stream);
    tokio::time::timeout(Duration::from_secs(10), handshake)
        .await
        .expect("the handshake ends")
}

/// The leaf certificate the server sent on `stream`.
pub fn served(stream: &TlsStream<TcpStream>) -> CertificateDer<'static> {
    let certs = stream.get_ref().1.peer_certificates().unwrap();
    certs[0].clone().into_owned()
}

/// An HTTP/1.1 upstream on 127.0.0.1:0 answering each request with
/// `answer(head, body)`, after reading the whole body.
pub async fn upstream_with<F>(answer: F) -> SocketAddr
where
    F: Fn(http::request::Parts, Bytes) -> Response<Full<Bytes>> + Clone + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let answer = answer.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let answer = answer.clone();
                    async move {
                        let (head, body) = req.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        Ok::<_, Infallible>(answer(head, body))
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// An upstream answering 200 with the request's target and headers, one
/// `name: value` a line, then `body: <bytes>`.
pub async fn echo_upstream() -> SocketAddr {
    upstream_with(|head, body| {
        let mut out = format!("target: {}\nversion: {:?}\n", head.uri, head.version);
        for (name, value) in &head.headers {
            out.push_str(&format!("{name}: {}\n", value.to_str().unwrap_or("?")));
        }
        out.push_str(&format!("body: {}\n", String::from_utf8_lossy(&body)));
        Response::new(Full::new(Bytes::from(out)))
    })
    .await
}

/// An address nothing listens on.
pub async fn dead_upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// Route `hosts` of a new app to `upstream` in `table`; the app.
pub async fn route(table: &ProxyRouteTable, hosts: Vec<HostRoute>, upstream: SocketAddr) -> AppId {
    let app = AppId::new();
    let routes = AppRoutes {
        hosts,
        maintenance_page: None,
    };
    table.set_routes(app, routes).await.unwrap();
    let options = SwitchOptions {
        health_check: None,
        drain_timeout: Duration::from_secs(1),
    };
    let upstreams = vec![Upstream { addr: upstream }];
    table.switch(app, upstreams, &options).await.unwrap();
    app
}

/// A plain HTTP proxy on 127.0.0.1:0 over `table`: its address, the proxy
/// (for its metrics) and the token that stops it.
pub async fn http(
    config: ProxyConfig,
    table: ProxyRouteTable,
) -> (SocketAddr, Proxy, CancellationToken) {
    let proxy = Proxy::builder(config, table).build().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    tokio::spawn({
        let (proxy, shutdown) = (proxy.clone(), shutdown.clone());
        async move { proxy.serve_http(listener, shutdown).await }
    });
    (addr, proxy, shutdown)
}

/// Send `request` (raw bytes, ending with `Connection: close`) to `addr`;
/// the whole answer.
pub async fn exchange(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    out
}

/// Route `hosts` to one echo upstream.
pub async fn echo_table(hosts: &[&str]) -> ProxyRouteTable {
    table_for(hosts, echo_upstream().await).await
}

/// Route `hosts` to `upstream`.
pub async fn table_for(hosts: &[&str], upstream: SocketAddr) -> ProxyRouteTable {
    let table = ProxyRouteTable::new();
    let hosts = (hosts.iter())
        .map(|h| HostRoute::plain(h.parse().unwrap()))
        .collect();
    route(&table, hosts, upstream).await;
    table
}

/// Limits small enough for the tests to hit.
pub fn test_config() -> ProxyConfig {
    ProxyConfig {
        header_read_timeout: Duration::from_millis(300),
        max_header_bytes: 8192,
        max_body_bytes: 64,
        ..ProxyConfig::default()
    }
}

/// A running HTTPS proxy.
pub struct Https {
    pub addr: SocketAddr,
    pub shutdown: CancellationToken,
    pub served: JoinHandle<io::Result<()>>,
}

/// An HTTPS proxy on 127.0.0.1:0 over `table`, certificates from
/// `resolver`.
pub async fn https(config: ProxyConfig, table: ProxyRouteTable, resolver: CertResolver) -> Https {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let proxy = Proxy::builder(config, table).build().unwrap();
    let tls = tls::server_config(resolver).unwrap();
    let shutdown = CancellationToken::new();
    let token = shutdown.clone();
    let served = tokio::spawn(async move { proxy.serve_https(listener, tls, token).await });
    Https {
        addr,
        shutdown,
        served,
    }
}

/// `name: value` from an echoed request, if there.
pub fn echoed<'a>(echo: &'a str, name: &str) -> Option<&'a str> {
    echo.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(": "))
}
