#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! The HTTPS server on 127.0.0.1:0 with certificates from a test CA: SNI
//! picks the certificate (exact, wildcard, default), certificates swap
//! without a restart, user-supplied PEM is checked, HTTP/1.1 over TLS is
//! forwarded as `https`, TLS-ALPN-01 reaches a dynamic resolver only, and
//! slow handshakes and shutdown end.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{TestCa, connect, echo_table, echoed, https, served, table_for, test_config};
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::rt::TokioIo;
use rivetr_proxy::server::ProxyConfig;
use rivetr_proxy::tls::{self, CertResolver, CertSource, TlsError};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn pattern(host: &str) -> rivetr_core::input::HostPattern {
    host.parse().unwrap()
}

#[tokio::test]
async fn sni_picks_each_hosts_certificate() {
    let ca = TestCa::new();
    let resolver = CertResolver::new();
    let hosts = ["a.test", "b.test", "c.example.test"];
    let leaves: Vec<_> = hosts.iter().map(|h| ca.leaf(&[h])).collect();
    for (host, leaf) in hosts.iter().zip(&leaves) {
        resolver.set(pattern(host), CertSource::Static(leaf.key()));
    }
    let server = https(test_config(), echo_table(&[]).await, resolver.clone()).await;
    let client = ca.client(&[b"http/1.1"]);
    for (host, leaf) in hosts.iter().zip(&leaves) {
        // Upper case SNI is the same host.
        let asked = host.to_uppercase();
        let stream = connect(server.addr, Arc::clone(&client), &asked).await;
        let stream = stream.unwrap_or_else(|e| panic!("{host}: {e}"));
        assert_eq!(served(&stream), leaf.der, "{host}");
    }
    let mut hosts = resolver.hosts();
    hosts.sort();
    assert_eq!(
        hosts,
        vec![
            pattern("a.test"),
            pattern("b.test"),
            pattern("c.example.test")
        ]
    );
}

#[tokio::test]
async fn a_wildcard_serves_one_label_and_an_exact_host_wins() {
    let ca = TestCa::new();
    let wildcard = ca.leaf(&["*.apps.test"]);
    let special = ca.leaf(&["special.apps.test"]);
    let resolver = CertResolver::new();
    resolver.set(pattern("*.apps.test"), CertSource::Static(wildcard.key()));
    resolver.set(
        pattern("special.apps.test"),
        CertSource::Static(special.key()),
    );
    let server = https(test_config(), echo_table(&[]).await, resolver).await;
    let client = ca.client(&[b"http/1.1"]);

    let one = connect(server.addr, Arc::clone(&client), "one.apps.test").await;
    assert_eq!(served(&one.unwrap()), wildcard.der);
    let exact = connect(server.addr, Arc::clone(&client), "special.apps.test").await;
    assert_eq!(served(&exact.unwrap()), special.der);
    for refused in ["apps.test", "a.b.apps.test"] {
        let handshake = connect(server.addr, Arc::clone(&client), refused).await;
        assert!(handshake.is_err(), "{refused} must not match *.apps.test");
    }
}

#[tokio::test]
async fn a_swapped_certificate_is_served_by_the_next_handshake() {
    let ca = TestCa::new();
    let (old, new) = (ca.leaf(&["app.test"]), ca.leaf(&["app.test"]));
    let resolver = CertResolver::new();
    resolver.set(pattern("app.test"), CertSource::Static(old.key()));
    let server = https(test_config(), echo_table(&[]).await, resolver.clone()).await;
    let client = ca.client(&[b"http/1.1"]);

    let first = connect(server.addr, Arc::clone(&client), "app.test").await;
    assert_eq!(served(&first.unwrap()), old.der);
    resolver.set(pattern("app.test"), CertSource::Static(new.key()));
    let second = connect(server.addr, Arc::clone(&client), "app.test").await;
    assert_eq!(served(&second.unwrap()), new.der);
    resolver.remove(&pattern("app.test"));
    assert!(resolver.hosts().is_empty());
    let third = connect(server.addr, client, "app.test").await;
    assert!(third.is_err(), "a removed host is refused");
}

#[tokio::test]
async fn unknown_hosts_are_refused_unless_a_default_is_set() {
    let ca = TestCa::new();
    let fallback = ca.leaf(&["other.test"]);
    let resolver = CertResolver::new();
    resolver.set(
        pattern("app.test"),
        CertSource::Static(ca.leaf(&["app.test"]).key()),
    );
    let server = https(test_config(), echo_table(&[]).await, resolver.clone()).await;
    let client = ca.client(&[b"http/1.1"]);

    let refused = connect(server.addr, Arc::clone(&client), "other.test").await;
    let error = refused.expect_err("no certificate for other.test");
    assert!(error.to_string().contains("alert"), "{error}");

    resolver.set_default(CertSource::Static(fallback.key()));
    let unknown = connect(server.addr, Arc::clone(&client), "other.test").await;
    assert_eq!(served(&unknown.unwrap()), fallback.der);
    // A client that sends no SNI at all gets the default too.
    let mut no_sni = (*client).clone();
    no_sni.enable_sni = false;
    let anonymous = connect(server.addr, Arc::new(no_sni), "other.test").await;
    assert_eq!(served(&anonymous.unwrap()), fallback.der);

    resolver.clear_default();
    assert!(connect(server.addr, client, "other.test").await.is_err());
}

#[tokio::test]
async fn user_supplied_pem_is_loaded_and_checked() {
    let ca = TestCa::new();
    let leaf = ca.leaf(&["mine.test"]);
    let other = ca.leaf(&["mine.test"]);

    let error = tls::load_pem(leaf.cert_pem.as_bytes(), other.key_pem.as_bytes()).unwrap_err();
    assert!(matches!(error, TlsError::KeyMismatch), "{error:?}");
    assert!(error.to_string().contains("does not match"), "{error}");
    let no_cert = tls::load_pem(leaf.key_pem.as_bytes(), leaf.key_pem.as_bytes());
    assert!(matches!(no_cert, Err(TlsError::NoCertificate)));
    let no_key = tls::load_pem(leaf.cert_pem.as_bytes(), leaf.cert_pem.as_bytes());
    assert!(matches!(no_key, Err(TlsError::NoKey)));
    let broken = leaf.cert_pem.replace("-----END CERTIFICATE-----", "");
    let broken = tls::load_pem(broken.as_bytes(), leaf.key_pem.as_bytes());
    assert!(matches!(broken, Err(TlsError::Pem { .. })), "{broken:?}");

    // From files, the chain and key together in one PEM as some tools write.
    let dir = std::env::temp_dir().join(format!("rivetr-tls-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let both = dir.join("both.pem");
    std::fs::write(&both, format!("{}{}", leaf.cert_pem, leaf.key_pem)).unwrap();
    let loaded = tls::load_pem_files(&both, &both);
    let missing = tls::load_pem_files(&dir.join("nope.pem"), &both);
    std::fs::remove_dir_all(&dir).unwrap();
    let missing = missing.unwrap_err();
    assert!(matches!(missing, TlsError::Read { .. }));
    assert!(missing.to_string().contains("nope.pem"), "{missing}");

    let resolver = CertResolver::new();
    resolver.set(pattern("mine.test"), CertSource::Static(loaded.unwrap()));
    let server = https(test_config(), echo_table(&[]).await, resolver).await;
    let stream = connect(server.addr, ca.client(&[]), "mine.test").await;
    assert_eq!(served(&stream.unwrap()), leaf.der);
}

#[tokio::test]
async fn http1_over_tls_is_forwarded_as_https() {
    let ca = TestCa::new();
    let resolver = CertResolver::new();
    resolver.set(
        pattern("app.test"),
        CertSource::Static(ca.leaf(&["app.test"]).key()),
    );
    let server = https(test_config(), echo_table(&["app.test"]).await, resolver).await;

    let stream = connect(server.addr, ca.client(&[b"http/1.1"]), "app.test").await;
    let stream = stream.unwrap();
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    for path in ["/one", "/two"] {
        let request = Request::get(path)
            .header("host", "app.test")
            .header("x-forwarded-proto", "http")
            .body(Empty::<Bytes>::new())
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let echo = String::from_utf8(body.to_vec()).unwrap();
        assert_eq!(echoed(&echo, "target"), Some(path));
        assert_eq!(echoed(&echo, "x-forwarded-proto"), Some("https"), "{echo}");
        assert_eq!(echoed(&echo, "host"), Some("app.test"), "{echo}");
    }
}

#[tokio::test]
async fn smuggling_over_tls_is_refused() {
    let ca = TestCa::new();
    let resolver = CertResolver::new();
    resolver.set(
        pattern("app.test"),
        CertSource::Static(ca.leaf(&["app.test"]).key()),
    );
    let server = https(test_config(), echo_table(&["app.test"]).await, resolver).await;

    let mut stream = connect(server.addr, ca.client(&[]), "app.test")
        .await
        .unwrap();
    let request = b"POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer));
    // The proxy closes after refusing (with or without close_notify).
    let _ = read.await.expect("the proxy answers and closes");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
}

/// A resolver in the manner of rustls-acme's: a challenge certificate for
/// `acme-tls/1` clients, its issued certificate for the others.
#[derive(Debug)]
struct AcmeLike {
    issued: Arc<CertifiedKey>,
    challenge: Arc<CertifiedKey>,
}

impl ResolvesServerCert for AcmeLike {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let acme = (hello.alpn()).is_some_and(|mut p| p.any(|p| p == tls::ACME_TLS_ALPN));
        Some(Arc::clone(if acme {
            &self.challenge
        } else {
            &self.issued
        }))
    }
}

#[tokio::test]
async fn tls_alpn_01_reaches_a_dynamic_source_and_is_closed_after_the_handshake() {
    let ca = TestCa::new();
    let (issued, challenge) = (ca.leaf(&["acme.test"]), ca.leaf(&["acme.test"]));
    let resolver = CertResolver::new();
    let dynamic = AcmeLike {
        issued: issued.key(),
        challenge: challenge.key(),
    };
    resolver.set(pattern("acme.test"), CertSource::Dynamic(Arc::new(dynamic)));
    resolver.set(
        pattern("static.test"),
        CertSource::Static(ca.leaf(&["static.test"]).key()),
    );
    let server = https(test_config(), echo_table(&["acme.test"]).await, resolver).await;

    let validator = ca.client(&[tls::ACME_TLS_ALPN]);
    let mut stream = connect(server.addr, Arc::clone(&validator), "acme.test")
        .await
        .unwrap();
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(tls::ACME_TLS_ALPN));
    assert_eq!(served(&stream), challenge.der);
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: acme.test\r\n\r\n")
        .await
        .ok();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest));
    let _ = read
        .await
        .expect("the proxy closes the validation connection");
    let rest = String::from_utf8_lossy(&rest);
    assert!(rest.is_empty(), "no HTTP on acme-tls/1: {rest}");

    let browser = connect(server.addr, ca.client(&[b"h2", b"http/1.1"]), "acme.test").await;
    assert_eq!(served(&browser.unwrap()), issued.der);
    // A static certificate is never the answer to a validation.
    assert!(
        connect(server.addr, validator, "static.test")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_client_that_never_finishes_the_handshake_is_cut_off() {
    let ca = TestCa::new();
    let resolver = CertResolver::new();
    resolver.set(
        pattern("app.test"),
        CertSource::Static(ca.leaf(&["app.test"]).key()),
    );
    let server = https(test_config(), echo_table(&[]).await, resolver).await;

    // Half a ClientHello record header, then silence.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(&[0x16, 0x03, 0x01]).await.unwrap();
    let mut buf = [0_u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf));
    let read = read.await.expect("the proxy closes the connection");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
}

#[tokio::test]
async fn shutdown_returns_with_connections_open() {
    let ca = TestCa::new();
    let resolver = CertResolver::new();
    resolver.set(
        pattern("app.test"),
        CertSource::Static(ca.leaf(&["app.test"]).key()),
    );
    let server = https(
        ProxyConfig {
            header_read_timeout: Duration::from_secs(60),
            ..test_config()
        },
        echo_table(&["app.test"]).await,
        resolver,
    )
    .await;
    // One connection idle after its handshake, one mid-handshake, one h2.
    let mut idle = connect(server.addr, ca.client(&[b"http/1.1"]), "app.test")
        .await
        .unwrap();
    let mut halfway = TcpStream::connect(server.addr).await.unwrap();
    halfway.write_all(&[0x16, 0x03, 0x01]).await.unwrap();
    let h2 = connect(server.addr, ca.client(&[b"h2"]), "app.test")
        .await
        .unwrap();

    server.shutdown.cancel();
    let served = tokio::time::timeout(Duration::from_secs(10), server.served);
    served.await.expect("serve_https returns").unwrap().unwrap();
    let mut buf = Vec::new();
    assert!(matches!(idle.read_to_end(&mut buf).await, Ok(0) | Err(_)));
    assert!(matches!(
        halfway.read(&mut [0_u8; 16]).await,
        Ok(0) | Err(_)
    ));
    drop(h2);
}

/// An upstream answering `Upgrade: echo` with 101, then echoing bytes.
async fn upgrade_upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let service =
                hyper::service::service_fn(|mut req: Request<hyper::body::Incoming>| async move {
                    let on_upgrade = hyper::upgrade::on(&mut req);
                    tokio::spawn(async move {
                        let mut io = TokioIo::new(on_upgrade.await.unwrap());
                        let (mut reader, mut writer) = tokio::io::split(&mut io);
                        let _ = tokio::io::copy(&mut reader, &mut writer).await;
                    });
                    let response = hyper::Response::builder()
                        .status(101)
                        .header("connection", "upgrade")
                        .header("upgrade", "echo")
                        .body(Empty::<Bytes>::new())
                        .unwrap();
                    Ok::<_, std::convert::Infallible>(response)
                });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::spawn(connection);
        }
    });
    addr
}

#[tokio::test]
async fn upgrades_over_tls_are_proxied_both_ways() {
    let ca = TestCa::new();
    let resolver = CertResolver::new();
    resolver.set(
        pattern("ws.test"),
        CertSource::Static(ca.leaf(&["ws.test"]).key()),
    );
    let table = table_for(&["ws.test"], upgrade_upstream().await).await;
    let server = https(test_config(), table, resolver).await;

    let stream = connect(server.addr, ca.client(&[b"http/1.1"]), "ws.test")
        .await
        .unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn.with_upgrades());
    let request = Request::get("/ws")
        .header("host", "ws.test")
        .header("connection", "upgrade")
        .header("upgrade", "echo")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), 101);
    let mut io = TokioIo::new(hyper::upgrade::on(response).await.unwrap());
    io.write_all(b"ping over tls").await.unwrap();
    let mut back = [0_u8; 13];
    let read = tokio::time::timeout(Duration::from_secs(10), io.read_exact(&mut back));
    read.await.expect("echoed in time").unwrap();
    assert_eq!(&back, b"ping over tls");
}
