#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! Upstream connections as the upstream sees them: one client connection's
//! requests reuse one upstream connection, and a kept connection the
//! upstream closed while idle is replaced without failing a request; what
//! a connection remembers between requests (host, route metrics) follows
//! the host of each request.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use rivetr_core::id::AppId;
use rivetr_core::route::{AppRoutes, HostRoute, RouteTable, SwitchOptions, Upstream};
use rivetr_proxy::server::{Proxy, serve};
use rivetr_proxy::table::ProxyRouteTable;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use common::{table_for, test_config};

/// The proxy on 127.0.0.1:0 over `table`; its address.
async fn proxy(table: ProxyRouteTable) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(
        listener,
        test_config(),
        table,
        CancellationToken::new(),
    ));
    addr
}

/// One keep-alive client connection to `addr`.
async fn client(addr: SocketAddr) -> SendRequest<Empty<Bytes>> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, connection) = http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    sender
}

/// GET `path` for `host` on `sender`: the status and the body.
async fn get(sender: &mut SendRequest<Empty<Bytes>>, host: &str, path: &str) -> (u16, String) {
    sender.ready().await.unwrap();
    let req = Request::get(path)
        .header("host", host)
        .body(Empty::new())
        .unwrap();
    let response = sender.send_request(req).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// An upstream that counts the connections it accepted, in front of the
/// echo upstream (bytes copied both ways).
async fn counting(echo: SocketAddr) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        loop {
            let (mut inbound, _) = listener.accept().await.unwrap();
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut outbound = TcpStream::connect(echo).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    });
    (addr, accepted)
}

#[tokio::test]
async fn one_client_connection_keeps_one_upstream_connection() {
    let (upstream, accepted) = counting(common::echo_upstream().await).await;
    let addr = proxy(table_for(&["app.example.com"], upstream).await).await;

    let mut first = client(addr).await;
    for i in 0..5 {
        let (status, body) = get(&mut first, "app.example.com", &format!("/r{i}")).await;
        assert_eq!(status, 200);
        assert!(body.contains(&format!("target: /r{i}\n")), "{body}");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1);

    // Another client connection, while the first one is open: its own.
    let mut second = client(addr).await;
    assert_eq!(get(&mut second, "app.example.com", "/").await.0, 200);
    assert_eq!(get(&mut first, "app.example.com", "/").await.0, 200);
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn closed_client_connection_hands_its_upstream_connection_on() {
    let (upstream, accepted) = counting(common::echo_upstream().await).await;
    let addr = proxy(table_for(&["app.example.com"], upstream).await).await;

    let mut first = client(addr).await;
    assert_eq!(get(&mut first, "app.example.com", "/").await.0, 200);
    drop(first);
    // The next client connection may come before the proxy saw the first
    // one close: either way, at most one more upstream connection.
    let mut second = client(addr).await;
    for _ in 0..3 {
        assert_eq!(get(&mut second, "app.example.com", "/").await.0, 200);
    }
    assert!(accepted.load(Ordering::SeqCst) <= 2);
}

/// An upstream answering one request per connection, then closing it
/// without saying so (no `Connection: close`), as an upstream's idle
/// timeout would; each closed connection is reported on `closed`.
async fn one_shot_upstream(closed: mpsc::UnboundedSender<()>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            let closed = closed.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = stream.read(&mut buf).await.unwrap();
                    assert!(n > 0, "request head cut short");
                    head.extend_from_slice(&buf[..n]);
                }
                stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .await
                    .unwrap();
                drop(stream);
                let _ = closed.send(());
            });
        }
    });
    addr
}

#[tokio::test(flavor = "current_thread")]
async fn kept_connection_closed_by_the_upstream_is_replaced() {
    let (closed_tx, mut closed) = mpsc::unbounded_channel();
    let upstream = one_shot_upstream(closed_tx).await;
    let addr = proxy(table_for(&["app.example.com"], upstream).await).await;

    let mut client = client(addr).await;
    for _ in 0..4 {
        let (status, body) = get(&mut client, "app.example.com", "/").await;
        assert_eq!((status, body.as_str()), (200, "ok"));
        // The upstream has closed the connection the proxy keeps.
        closed.recv().await.unwrap();
    }
}

/// Route `host` to `upstream` in `table`, as an app of its own.
async fn add_app(table: &ProxyRouteTable, host: &str, upstream: SocketAddr) {
    let app = AppId::new();
    let routes = AppRoutes {
        hosts: vec![HostRoute::plain(host.parse().unwrap())],
        maintenance_page: None,
    };
    table.set_routes(app, routes).await.unwrap();
    let options = SwitchOptions {
        health_check: None,
        drain_timeout: Duration::from_secs(1),
    };
    let upstreams = vec![Upstream { addr: upstream }];
    table.switch(app, upstreams, &options).await.unwrap();
}

#[tokio::test]
async fn alternating_upstreams_reuse_their_idle_connections() {
    let (a, accepted_a) = counting(common::echo_upstream().await).await;
    let (b, accepted_b) = counting(common::echo_upstream().await).await;
    let table = ProxyRouteTable::new();
    add_app(&table, "a.example.com", a).await;
    add_app(&table, "b.example.com", b).await;
    let addr = proxy(table).await;

    let mut client = client(addr).await;
    for i in 0..3 {
        for host in ["a.example.com", "b.example.com"] {
            let (status, body) = get(&mut client, host, &format!("/{i}")).await;
            assert_eq!(status, 200);
            assert!(body.contains(&format!("host: {host}\n")), "{body}");
            assert!(
                body.contains(&format!("x-forwarded-host: {host}\n")),
                "{body}"
            );
            assert!(
                body.contains(&format!("host=\"{host}\";proto=http")),
                "{body}"
            );
        }
    }
    assert_eq!(accepted_a.load(Ordering::SeqCst), 1);
    assert_eq!(accepted_b.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn each_host_is_counted_under_its_route_on_one_client_connection() {
    let table = ProxyRouteTable::new();
    add_app(&table, "a.example.com", common::echo_upstream().await).await;
    add_app(&table, "b.example.com", common::echo_upstream().await).await;
    let proxy = Proxy::builder(test_config(), table.clone())
        .build()
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = proxy.clone();
    tokio::spawn(async move { server.serve_http(listener, CancellationToken::new()).await });

    let mut client = client(addr).await;
    for _ in 0..3 {
        assert_eq!(get(&mut client, "a.example.com", "/").await.0, 200);
        assert_eq!(get(&mut client, "b.example.com", "/").await.0, 200);
        assert_eq!(get(&mut client, "b.example.com", "/").await.0, 200);
    }
    let text = proxy.metrics().render_prometheus();
    for (host, count) in [("a.example.com", 3), ("b.example.com", 6)] {
        let line = format!("host=\"{host}\",class=\"2xx\",origin=\"upstream\"}} {count}\n");
        assert!(text.contains(&line), "{line} not in\n{text}");
    }
}
