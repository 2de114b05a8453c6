#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! The proxy server on 127.0.0.1:0 against a tiny upstream written here:
//! forwarding, `X-Forwarded-*`, hop-by-hop headers, smuggling attempts,
//! limits, timeouts, ejection, maintenance, redirects and upgrades.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rivetr_core::id::AppId;
use rivetr_core::route::{AppRoutes, HostRoute, RouteTable, SwitchOptions, Upstream};
use rivetr_proxy::server::{ProxyConfig, serve};
use rivetr_proxy::table::ProxyRouteTable;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// An upstream answering 200 with the request's target and headers, one
/// `name: value` a line (after reading the whole body).
async fn echo_upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let service = service_fn(|req: Request<hyper::body::Incoming>| async move {
                    let mut out = format!("target: {}\n", req.uri());
                    for (name, value) in req.headers() {
                        out.push_str(&format!("{name}: {}\n", value.to_str().unwrap_or("?")));
                    }
                    let body = req.into_body().collect().await;
                    out.push_str(&format!("body-ok: {}\n", body.is_ok()));
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(out))))
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// An address nothing listens on.
async fn dead_upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

fn options() -> SwitchOptions {
    SwitchOptions {
        health_check: None,
        drain_timeout: Duration::from_secs(1),
    }
}

/// Route `routes` (with an optional maintenance page) to `upstreams`.
async fn route(
    table: &ProxyRouteTable,
    routes: Vec<HostRoute>,
    maintenance_page: Option<&str>,
    upstreams: Vec<SocketAddr>,
) -> AppId {
    let app = AppId::new();
    let routes = AppRoutes {
        hosts: routes,
        maintenance_page: maintenance_page.map(str::to_owned),
    };
    table.set_routes(app, routes).await.unwrap();
    let upstreams = upstreams
        .into_iter()
        .map(|addr| Upstream { addr })
        .collect();
    table.switch(app, upstreams, &options()).await.unwrap();
    app
}

fn host(name: &str) -> HostRoute {
    HostRoute::plain(name.parse().unwrap())
}

/// A proxy on 127.0.0.1:0; cancelled when the token is dropped... by the
/// test's end (the runtime stops with it).
async fn proxy(config: ProxyConfig, table: ProxyRouteTable) -> (SocketAddr, CancellationToken) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    tokio::spawn(serve(listener, config, table, shutdown.clone()));
    (addr, shutdown)
}

/// A proxy with `config` in front of one echo upstream serving `app.test`.
async fn echo_app(config: ProxyConfig) -> (SocketAddr, CancellationToken) {
    let table = ProxyRouteTable::new();
    route(
        &table,
        vec![host("app.test")],
        None,
        vec![echo_upstream().await],
    )
    .await;
    proxy(config, table).await
}

fn test_config() -> ProxyConfig {
    ProxyConfig {
        header_read_timeout: Duration::from_millis(300),
        max_header_bytes: 8192,
        max_body_bytes: 64,
        ..ProxyConfig::default()
    }
}

/// Send `request` raw and read the whole answer (the proxy closes after it:
/// requests say `Connection: close`, or are refused).
async fn raw(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0_u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    });
    read.await.expect("the proxy answers and closes");
    String::from_utf8_lossy(&out).into_owned()
}

fn get(host: &str, path: &str, extra: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{extra}\r\n").into_bytes()
}

fn status(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {response:?}"))
}

fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    let head = response.split("\r\n\r\n").next()?;
    head.lines().skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn body(response: &str) -> &str {
    response.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

#[tokio::test]
async fn forwards_with_x_forwarded_headers() {
    let (addr, _shutdown) = echo_app(test_config()).await;

    let response = raw(addr, &get("app.test:8080", "/a/b?c=d", "")).await;
    assert_eq!(status(&response), 200, "{response}");
    let echoed = body(&response);
    assert!(echoed.contains("target: /a/b?c=d\n"), "{echoed}");
    assert!(echoed.contains("host: app.test:8080\n"), "{echoed}");
    assert!(echoed.contains("x-forwarded-for: 127.0.0.1\n"), "{echoed}");
    assert!(echoed.contains("x-forwarded-proto: http\n"), "{echoed}");
    assert!(
        echoed.contains("x-forwarded-host: app.test:8080\n"),
        "{echoed}"
    );
    assert!(
        echoed.contains("forwarded: for=127.0.0.1;host=\"app.test:8080\";proto=http\n"),
        "{echoed}"
    );
}

#[tokio::test]
async fn spoofed_forwarded_headers_from_untrusted_clients_are_replaced() {
    let (addr, _shutdown) = echo_app(test_config()).await;

    let spoof = "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\n\
                 X-Forwarded-Host: evil.test\r\nForwarded: for=6.6.6.6\r\n";
    let response = raw(addr, &get("app.test", "/", spoof)).await;
    assert_eq!(status(&response), 200, "{response}");
    let echoed = body(&response);
    assert!(!echoed.contains("6.6.6.6"), "{echoed}");
    assert!(!echoed.contains("evil.test"), "{echoed}");
    assert!(echoed.contains("x-forwarded-for: 127.0.0.1\n"), "{echoed}");
    assert!(echoed.contains("x-forwarded-proto: http\n"), "{echoed}");
}

#[tokio::test]
async fn forwarded_headers_from_trusted_proxies_are_kept() {
    let config = ProxyConfig {
        trusted_proxies: vec!["127.0.0.0/8".parse().unwrap()],
        ..test_config()
    };
    let (addr, _shutdown) = echo_app(config).await;

    let chain = "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n";
    let response = raw(addr, &get("app.test", "/", chain)).await;
    let echoed = body(&response);
    assert!(
        echoed.contains("x-forwarded-for: 203.0.113.9, 127.0.0.1\n"),
        "{echoed}"
    );
    assert!(echoed.contains("x-forwarded-proto: https\n"), "{echoed}");
}

#[tokio::test]
async fn hop_by_hop_headers_are_stripped() {
    let (addr, _shutdown) = echo_app(test_config()).await;

    let request = "GET / HTTP/1.1\r\nHost: app.test\r\nConnection: close, X-Private\r\n\
                   X-Private: secret\r\nKeep-Alive: timeout=5\r\nProxy-Authorization: x\r\n\
                   TE: trailers\r\nX-Kept: yes\r\n\r\n";
    let response = raw(addr, request.as_bytes()).await;
    assert_eq!(status(&response), 200, "{response}");
    let echoed = body(&response);
    assert!(echoed.contains("x-kept: yes\n"), "{echoed}");
    for gone in [
        "x-private",
        "keep-alive",
        "proxy-authorization",
        "te:",
        "secret",
    ] {
        assert!(!echoed.contains(gone), "{gone} forwarded: {echoed}");
    }
}

#[tokio::test]
async fn smuggling_attempts_are_refused() {
    let (addr, _shutdown) = echo_app(test_config()).await;

    let both = "POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5\r\n\
                Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    assert_eq!(status(&raw(addr, both.as_bytes()).await), 400);

    let two = "POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5\r\n\
               Content-Length: 6\r\n\r\nhello!";
    assert_eq!(status(&raw(addr, two.as_bytes()).await), 400);

    let listed = "POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5, 6\r\n\r\nhello!";
    assert_eq!(status(&raw(addr, listed.as_bytes()).await), 400);
}

#[tokio::test]
async fn unknown_and_bad_hosts() {
    let (addr, _shutdown) = echo_app(test_config()).await;

    assert_eq!(status(&raw(addr, &get("other.test", "/", "")).await), 404);
    assert_eq!(status(&raw(addr, &get("bad host!", "/", "")).await), 400);
    let two = get("app.test", "/", "Host: other.test\r\n");
    assert_eq!(status(&raw(addr, &two).await), 400);
}

#[tokio::test]
async fn idle_keep_alive_connections_are_closed() {
    let (addr, _shutdown) = echo_app(test_config()).await;

    // No `Connection: close`: the proxy keeps the connection open after the
    // response, and `raw` returns only once the idle connection is closed.
    let keep_alive = b"GET / HTTP/1.1\r\nHost: app.test\r\n\r\n";
    let response = raw(addr, keep_alive).await;
    assert_eq!(status(&response), 200, "{response}");
}

#[tokio::test]
async fn slow_headers_are_cut_off() {
    let (addr, _shutdown) = echo_app(test_config()).await;

    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let slowloris = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        for byte in get("app.test", "/", "") {
            tick.tick().await;
            if writer.write_all(&[byte]).await.is_err() {
                return;
            }
        }
    });
    // The request would take ~50 s to send; the 300 ms timeout closes it.
    let mut buf = [0_u8; 1024];
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    });
    closed
        .await
        .expect("the header read timeout closes the connection");
    slowloris.abort();
}

#[tokio::test]
async fn oversized_headers_get_431() {
    let (addr, _shutdown) = echo_app(test_config()).await;

    let big = format!("X-Big: {}\r\n", "a".repeat(9000));
    assert_eq!(status(&raw(addr, &get("app.test", "/", &big)).await), 431);
    let many: String = (0..150).map(|i| format!("X-H{i}: v\r\n")).collect();
    assert_eq!(status(&raw(addr, &get("app.test", "/", &many)).await), 431);
}

#[tokio::test]
async fn bodies_over_the_limit_get_413() {
    let (addr, _shutdown) = echo_app(test_config()).await;

    let payload = "x".repeat(100);
    let sized = format!(
        "POST / HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\nContent-Length: 100\r\n\r\n{payload}"
    );
    assert_eq!(status(&raw(addr, sized.as_bytes()).await), 413);

    let chunked = format!(
        "POST / HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\
         Transfer-Encoding: chunked\r\n\r\n64\r\n{payload}\r\n0\r\n\r\n"
    );
    assert_eq!(status(&raw(addr, chunked.as_bytes()).await), 413);

    let small = "POST / HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\
                 Content-Length: 5\r\n\r\nhello";
    let response = raw(addr, small.as_bytes()).await;
    assert_eq!(status(&response), 200, "{response}");
    assert!(body(&response).contains("body-ok: true"), "{response}");
}

#[tokio::test]
async fn a_dead_upstream_gets_502_and_is_ejected() {
    let table = ProxyRouteTable::new();
    let (dead, live) = (dead_upstream().await, echo_upstream().await);
    route(&table, vec![host("app.test")], None, vec![dead, live]).await;
    let (addr, _shutdown) = proxy(test_config(), table).await;

    // Round-robin hits the dead one within two requests.
    let mut statuses = Vec::new();
    for _ in 0..2 {
        statuses.push(status(&raw(addr, &get("app.test", "/", "")).await));
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 502]);
    // Ejected: every request now goes to the live one.
    for _ in 0..4 {
        assert_eq!(status(&raw(addr, &get("app.test", "/", "")).await), 200);
    }
}

#[tokio::test]
async fn maintenance_mode_gets_503_with_the_page() {
    let table = ProxyRouteTable::new();
    let page = "<h1>Back soon</h1>";
    route(
        &table,
        vec![host("app.test")],
        Some(page),
        vec![echo_upstream().await],
    )
    .await;
    let (addr, _shutdown) = proxy(test_config(), table).await;

    let response = raw(addr, &get("app.test", "/", "")).await;
    assert_eq!(status(&response), 503);
    assert_eq!(body(&response), page);
    assert!(
        header(&response, "content-type")
            .unwrap()
            .starts_with("text/html")
    );
}

#[tokio::test]
async fn redirects_get_308() {
    let table = ProxyRouteTable::new();
    let mut old = host("old.test");
    old.redirect_to = Some("new.test".parse().unwrap());
    let mut secure = host("secure.test");
    secure.force_https = true;
    let upstream = echo_upstream().await;
    route(
        &table,
        vec![old, secure, host("new.test")],
        None,
        vec![upstream],
    )
    .await;
    let (addr, _shutdown) = proxy(test_config(), table).await;

    let response = raw(addr, &get("old.test", "/p?q=1", "")).await;
    assert_eq!(status(&response), 308);
    assert_eq!(header(&response, "location"), Some("http://new.test/p?q=1"));

    let response = raw(addr, &get("secure.test:80", "/x", "")).await;
    assert_eq!(status(&response), 308);
    assert_eq!(header(&response, "location"), Some("https://secure.test/x"));
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(serve(
        listener,
        test_config(),
        ProxyRouteTable::new(),
        shutdown.clone(),
    ));
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("serve returns after shutdown")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn the_lease_is_held_until_the_response_body_is_done() {
    // An upstream that sends half its body, then waits for `release`.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let slow = listener.local_addr().unwrap();
    let release = std::sync::Arc::new(tokio::sync::Notify::new());
    let upstream_release = std::sync::Arc::clone(&release);
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        let mut buf = [0_u8; 1024];
        while !head.ends_with(b"\r\n\r\n") {
            let n = stream.read(&mut buf).await.unwrap();
            head.extend_from_slice(&buf[..n]);
        }
        let first = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello";
        stream.write_all(first).await.unwrap();
        upstream_release.notified().await;
        stream.write_all(b"world").await.unwrap();
    });
    let table = ProxyRouteTable::new();
    let app = route(&table, vec![host("app.test")], None, vec![slow]).await;
    let (addr, _shutdown) = proxy(test_config(), table.clone()).await;

    let mut client = TcpStream::connect(addr).await.unwrap();
    client.write_all(&get("app.test", "/", "")).await.unwrap();
    let mut seen = Vec::new();
    let mut buf = [0_u8; 1024];
    while !String::from_utf8_lossy(&seen).contains("hello") {
        let n = client.read(&mut buf).await.unwrap();
        assert_ne!(n, 0, "closed early");
        seen.extend_from_slice(&buf[..n]);
    }
    let upstream = Upstream { addr: slow };
    assert_eq!(table.in_flight(app, upstream), 1);

    release.notify_one();
    client.read_to_end(&mut seen).await.unwrap();
    assert!(String::from_utf8_lossy(&seen).ends_with("helloworld"));
    // A switch away drains once the lease is dropped (no sleep: it waits).
    let other = Upstream {
        addr: dead_upstream().await,
    };
    let options = SwitchOptions {
        health_check: None,
        drain_timeout: Duration::from_secs(5),
    };
    let report = table.switch(app, vec![other], &options).await.unwrap();
    assert!(report.drained);
}

/// An upstream answering an upgrade request (one whose head has
/// `connection: upgrade` and `upgrade: echo`, as forwarded) with 101 and
/// then echoing bytes until the client closes; anything else gets 400.
async fn upgrade_upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let head = read_head(&mut stream).await.to_ascii_lowercase();
                if !(head.contains("\r\nconnection: upgrade\r\n")
                    && head.contains("\r\nupgrade: echo\r\n"))
                {
                    let _ = stream
                        .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                        .await;
                    return;
                }
                stream
                    .write_all(
                        b"HTTP/1.1 101 Switching Protocols\r\n\
                          Connection: Upgrade\r\nUpgrade: echo\r\n\r\n",
                    )
                    .await
                    .unwrap();
                let mut buf = [0_u8; 1024];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if stream.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

/// Read a message head, up to and including its empty line (byte by byte:
/// nothing after it is consumed).
async fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0_u8; 1];
        let n = stream.read(&mut byte).await.unwrap();
        assert_eq!(
            n,
            1,
            "closed in a head: {:?}",
            String::from_utf8_lossy(&head)
        );
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

/// Connect through the proxy at `addr` and upgrade to `echo` on `host`.
async fn upgraded(addr: SocketAddr, host: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive, Upgrade\r\n\
         Upgrade: echo\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let head = read_head(&mut stream).await;
    assert_eq!(status(&head), 101, "{head}");
    assert_eq!(header(&head, "upgrade"), Some("echo"), "{head}");
    assert_eq!(header(&head, "connection"), Some("upgrade"), "{head}");
    stream
}

/// Write `bytes` and read back as many.
async fn echoes(stream: &mut TcpStream, bytes: &[u8]) {
    stream.write_all(bytes).await.unwrap();
    let mut back = vec![0_u8; bytes.len()];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut back));
    read.await.expect("echoed in time").unwrap();
    assert_eq!(back, bytes);
}

/// The client side sees the connection closed (EOF or reset).
async fn closed(stream: &mut TcpStream) {
    let mut buf = [0_u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf));
    match read.await.expect("the proxy closes the connection") {
        Ok(0) | Err(_) => {}
        Ok(n) => panic!("unexpected bytes: {:?}", &buf[..n]),
    }
}

#[tokio::test]
async fn upgrades_are_proxied_both_ways() {
    let table = ProxyRouteTable::new();
    let upstream = upgrade_upstream().await;
    route(&table, vec![host("ws.example.com")], None, vec![upstream]).await;
    let (addr, _shutdown) = proxy(test_config(), table).await;

    let mut stream = upgraded(addr, "ws.example.com").await;
    echoes(&mut stream, b"ping").await;
    // More than the body limit: upgraded bytes are not a body.
    echoes(&mut stream, &[7_u8; 4096]).await;
    stream.shutdown().await.unwrap();
    closed(&mut stream).await;

    // Without `Connection: upgrade` the `Upgrade` header is hop-by-hop.
    let answer = raw(addr, &get("ws.example.com", "/", "Upgrade: echo\r\n")).await;
    assert_eq!(status(&answer), 400, "{answer}");
}

#[tokio::test]
async fn a_switch_drains_an_upgraded_connection_when_it_closes() {
    let table = ProxyRouteTable::new();
    let (old, new) = (upgrade_upstream().await, echo_upstream().await);
    let app = route(&table, vec![host("ws.example.com")], None, vec![old]).await;
    let (addr, _shutdown) = proxy(test_config(), table.clone()).await;
    let mut stream = upgraded(addr, "ws.example.com").await;
    assert_eq!(table.in_flight(app, Upstream { addr: old }), 1);

    let options = SwitchOptions {
        health_check: None,
        drain_timeout: Duration::from_secs(30),
    };
    let mut switch = table.switch(app, vec![Upstream { addr: new }], &options);
    // The first poll swaps the upstreams, then waits on the lease.
    assert!(futures::poll!(&mut switch).is_pending());

    let answer = raw(addr, &get("ws.example.com", "/after", "")).await;
    assert_eq!(status(&answer), 200, "{answer}");
    assert!(body(&answer).contains("target: /after"), "{answer}");
    echoes(&mut stream, b"still here").await;
    assert!(futures::poll!(&mut switch).is_pending());

    drop(stream);
    let report = tokio::time::timeout(Duration::from_secs(10), switch)
        .await
        .expect("the switch ends once the connection closes")
        .unwrap();
    assert!(report.drained);
    assert_eq!(report.previous, [Upstream { addr: old }]);
}

#[tokio::test]
async fn the_drain_window_closes_an_upgraded_connection() {
    let table = ProxyRouteTable::new();
    let (old, new) = (upgrade_upstream().await, echo_upstream().await);
    let app = route(&table, vec![host("ws.example.com")], None, vec![old]).await;
    let (addr, _shutdown) = proxy(test_config(), table.clone()).await;
    let mut stream = upgraded(addr, "ws.example.com").await;
    echoes(&mut stream, b"ping").await;

    let options = SwitchOptions {
        health_check: None,
        drain_timeout: Duration::from_millis(200),
    };
    let report = table
        .switch(app, vec![Upstream { addr: new }], &options)
        .await
        .unwrap();
    assert!(!report.drained);
    closed(&mut stream).await;
}
