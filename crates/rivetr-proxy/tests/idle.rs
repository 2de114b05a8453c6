//! Idle keep-alive connections: parked (taken back from hyper) after a
//! short quiet time, and still served, checked and closed as before.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use rivetr_proxy::server::{Proxy, ProxyConfig};
use rivetr_proxy::tls::{CertResolver, CertSource};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use self::common::{TestCa, echo_table, https};

/// Longer than the proxy waits before parking an idle connection (100 ms).
const IDLE: Duration = Duration::from_millis(400);

/// A plain HTTP proxy in front of an echo upstream for `app.test`.
async fn proxy(config: ProxyConfig) -> (SocketAddr, CancellationToken, JoinHandle<()>) {
    let table = echo_table(&["app.test"]).await;
    let proxy = Proxy::builder(config, table).build().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let token = shutdown.clone();
    let served = tokio::spawn(async move { proxy.serve_http(listener, token).await.unwrap() });
    (addr, shutdown, served)
}

fn config(header_read_timeout: Duration) -> ProxyConfig {
    ProxyConfig {
        header_read_timeout,
        max_header_bytes: 8192,
        max_body_bytes: 64,
        ..ProxyConfig::default()
    }
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: app.test\r\n\r\n")
}

/// Read one response (head and `Content-Length` body); `None` when the
/// connection closed first.
async fn response<S: AsyncRead + Unpin>(stream: &mut S, pending: &mut Vec<u8>) -> Option<String> {
    let mut buf = [0_u8; 4096];
    loop {
        if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end]).to_ascii_lowercase();
            let length: usize = (head.lines())
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if pending.len() >= end + 4 + length {
                let whole: Vec<u8> = pending.drain(..end + 4 + length).collect();
                return Some(String::from_utf8(whole).unwrap());
            }
        }
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("an answer or a close")
            .unwrap_or(0);
        if n == 0 {
            return None;
        }
        pending.extend_from_slice(&buf[..n]);
    }
}

fn status(response: &str) -> u16 {
    response[9..12].parse().unwrap()
}

/// The connection closes (EOF or reset), with nothing more sent.
async fn closes<S: AsyncRead + Unpin>(stream: &mut S) {
    let mut buf = [0_u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf));
    let n = read.await.expect("closed").unwrap_or(0);
    assert_eq!(n, 0, "closed without more bytes");
}

/// A client connection that has had one `GET /` answered with 200; its
/// stream and the bytes read past that answer.
async fn served_once(addr: SocketAddr) -> (TcpStream, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut pending = Vec::new();
    stream.write_all(get("/").as_bytes()).await.unwrap();
    assert_eq!(
        status(&response(&mut stream, &mut pending).await.unwrap()),
        200
    );
    (stream, pending)
}

#[tokio::test]
async fn an_idle_connection_serves_its_next_requests_in_order() {
    let (addr, _shutdown, _served) = proxy(config(Duration::from_secs(10))).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut pending = Vec::new();

    stream.write_all(get("/first").as_bytes()).await.unwrap();
    let first = response(&mut stream, &mut pending).await.unwrap();
    assert!(first.contains("target: /first"), "{first}");

    for round in 0..2 {
        tokio::time::sleep(IDLE).await;
        // Pipelined, in one write: answered in order.
        let two = format!(
            "{}{}",
            get(&format!("/a{round}")),
            get(&format!("/b{round}"))
        );
        stream.write_all(two.as_bytes()).await.unwrap();
        let a = response(&mut stream, &mut pending).await.unwrap();
        let b = response(&mut stream, &mut pending).await.unwrap();
        assert!(a.contains(&format!("target: /a{round}")), "{a}");
        assert!(b.contains(&format!("target: /b{round}")), "{b}");
    }
}

#[tokio::test]
async fn a_request_split_across_the_idle_time_is_served() {
    let (addr, _shutdown, _served) = proxy(config(Duration::from_secs(10))).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut pending = Vec::new();

    stream.write_all(get("/one").as_bytes()).await.unwrap();
    assert_eq!(
        status(&response(&mut stream, &mut pending).await.unwrap()),
        200
    );
    tokio::time::sleep(IDLE).await;
    // The next request starts, then stalls a while before its end.
    stream.write_all(b"GET /two HTTP/1.1\r\n").await.unwrap();
    tokio::time::sleep(IDLE).await;
    stream.write_all(b"Host: app.test\r\n\r\n").await.unwrap();
    let two = response(&mut stream, &mut pending).await.unwrap();
    assert!(two.contains("target: /two"), "{two}");
}

#[tokio::test]
async fn smuggling_is_refused_after_an_idle_time() {
    let (addr, _shutdown, _served) = proxy(config(Duration::from_secs(10))).await;
    let (mut stream, mut pending) = served_once(addr).await;
    tokio::time::sleep(IDLE).await;

    let both = "POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5\r\n\
                Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    stream.write_all(both.as_bytes()).await.unwrap();
    let refused = response(&mut stream, &mut pending).await.unwrap();
    assert_eq!(status(&refused), 400, "{refused}");
}

#[tokio::test]
async fn the_header_read_timeout_closes_an_idle_connection() {
    let (addr, _shutdown, _served) = proxy(config(Duration::from_millis(600))).await;
    let (mut stream, _) = served_once(addr).await;
    // Parked after 100 ms, closed when the 600 ms run out.
    closes(&mut stream).await;
}

#[tokio::test]
async fn a_late_head_after_an_idle_time_is_cut_off() {
    let (addr, _shutdown, _served) = proxy(config(Duration::from_millis(600))).await;
    let (mut stream, _) = served_once(addr).await;
    tokio::time::sleep(IDLE).await;
    // Started while parked, never finished: closed like any slow head.
    stream.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    closes(&mut stream).await;
}

#[tokio::test]
async fn shutdown_closes_idle_connections_at_once() {
    let (addr, shutdown, served) = proxy(config(Duration::from_secs(60))).await;
    let (mut stream, _) = served_once(addr).await;
    tokio::time::sleep(IDLE).await;

    shutdown.cancel();
    closes(&mut stream).await;
    tokio::time::timeout(Duration::from_secs(10), served)
        .await
        .expect("serve returns once the idle connection closed")
        .unwrap();
}

#[tokio::test]
async fn an_idle_tls_connection_serves_its_next_request() {
    let ca = TestCa::new();
    let leaf = ca.leaf(&["app.test"]);
    let resolver = CertResolver::new();
    let host = "app.test".parse().unwrap();
    resolver.set(host, CertSource::Static(leaf.key()));
    let table = echo_table(&["app.test"]).await;
    let server = https(config(Duration::from_secs(10)), table, resolver).await;
    let client = ca.client(&[b"http/1.1"]);
    let mut stream = common::connect(server.addr, client, "app.test")
        .await
        .unwrap();
    let mut pending = Vec::new();

    for path in ["/one", "/two", "/three"] {
        stream.write_all(get(path).as_bytes()).await.unwrap();
        let answer = response(&mut stream, &mut pending).await.unwrap();
        assert!(answer.contains(&format!("target: {path}")), "{answer}");
        tokio::time::sleep(IDLE).await;
    }

    server.shutdown.cancel();
    closes(&mut stream).await;
}
