//! Health-checked switches: `switch` with `options.health_check` probes the
//! new upstreams (HTTP or TCP) before the swap, and changes nothing when
//! one does not pass by the deadline. Upstreams run on 127.0.0.1:0.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rivetr_core::ErrorKind;
use rivetr_core::id::AppId;
use rivetr_core::model::HealthCheck;
use rivetr_core::route::{AppRoutes, HostRoute, RouteTable, SwitchOptions, Upstream};
use rivetr_proxy::server::{ProxyConfig, serve};
use rivetr_proxy::table::ProxyRouteTable;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// An upstream that answers `GET /health` with the status in `health`
/// (counting the probes in `probes`) and anything else with 200 and its
/// name.
struct Named {
    addr: SocketAddr,
    health: Arc<AtomicU16>,
    probes: watch::Receiver<u32>,
}

async fn named(name: &'static str, health: StatusCode) -> Named {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let health = Arc::new(AtomicU16::new(health.as_u16()));
    let (probed, probes) = watch::channel(0_u32);
    let (status, probed) = (Arc::clone(&health), Arc::new(probed));
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (status, probed) = (Arc::clone(&status), Arc::clone(&probed));
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let (status, probed) = (Arc::clone(&status), Arc::clone(&probed));
                    async move {
                        let mut response = Response::new(Full::new(Bytes::from(name)));
                        if req.uri().path() == "/health" {
                            probed.send_modify(|n| *n += 1);
                            *response.status_mut() =
                                StatusCode::from_u16(status.load(Ordering::SeqCst)).unwrap();
                        }
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Named {
        addr,
        health,
        probes,
    }
}

/// An upstream that accepts connections and never answers.
async fn hanging() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            held.push(stream);
        }
    });
    addr
}

/// An address nothing listens on.
async fn dead() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

fn http_check(deadline: Duration) -> HealthCheck {
    HealthCheck {
        interval: Duration::from_millis(20),
        timeout: Duration::from_secs(2),
        deadline,
        ..HealthCheck::http("/health".parse().unwrap())
    }
}

fn checked(check: HealthCheck) -> SwitchOptions {
    SwitchOptions {
        health_check: Some(check),
        drain_timeout: Duration::from_secs(5),
    }
}

fn unchecked() -> SwitchOptions {
    SwitchOptions {
        health_check: None,
        drain_timeout: Duration::from_secs(5),
    }
}

fn up(addr: SocketAddr) -> Upstream {
    Upstream { addr }
}

/// A table routing `app.test` to `old` (switched without a check), and a
/// proxy in front of it.
async fn setup(old: SocketAddr) -> (ProxyRouteTable, AppId, SocketAddr, CancellationToken) {
    let table = ProxyRouteTable::new();
    let app = AppId::new();
    let routes = AppRoutes {
        hosts: vec![HostRoute::plain("app.test".parse().unwrap())],
        maintenance_page: None,
    };
    table.set_routes(app, routes).await.unwrap();
    table
        .switch(app, vec![up(old)], &unchecked())
        .await
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let config = ProxyConfig::default();
    tokio::spawn(serve(listener, config, table.clone(), shutdown.clone()));
    (table, app, proxy, shutdown)
}

/// The body of `GET /` on `app.test` through the proxy.
async fn answer(proxy: SocketAddr) -> String {
    let mut stream = TcpStream::connect(proxy).await.unwrap();
    let request = "GET / HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    out.rsplit("\r\n\r\n").next().unwrap().to_owned()
}

/// Guard against a hang: a switch must return by itself.
async fn bounded<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), future)
        .await
        .expect("the switch returns")
}

#[tokio::test]
async fn the_table_says_it_probes() {
    assert!(ProxyRouteTable::new().capabilities().health_checks);
}

#[tokio::test]
async fn traffic_moves_only_once_the_new_upstream_is_healthy() {
    let old = named("old", StatusCode::OK).await;
    let mut new = named("new", StatusCode::SERVICE_UNAVAILABLE).await;
    let (table, app, proxy, _shutdown) = setup(old.addr).await;

    let options = checked(http_check(Duration::from_secs(60)));
    let switch = tokio::spawn({
        let table = table.clone();
        async move { table.switch(app, vec![up(new.addr)], &options).await }
    });
    // Three failed probes: the switch waits, traffic stays on the old one.
    new.probes.wait_for(|n| *n >= 3).await.unwrap();
    assert!(!switch.is_finished());
    assert_eq!(table.upstreams(app).await.unwrap(), [up(old.addr)]);
    assert_eq!(answer(proxy).await, "old");

    new.health.store(204, Ordering::SeqCst);
    let report = bounded(switch).await.unwrap().unwrap();
    assert_eq!(report.previous, [up(old.addr)]);
    assert_eq!(table.upstreams(app).await.unwrap(), [up(new.addr)]);
    assert_eq!(answer(proxy).await, "new");
}

#[tokio::test]
async fn redirects_count_as_healthy() {
    let old = named("old", StatusCode::OK).await;
    let new = named("new", StatusCode::FOUND).await;
    let (table, app, proxy, _shutdown) = setup(old.addr).await;
    let options = checked(http_check(Duration::from_secs(60)));
    bounded(table.switch(app, vec![up(new.addr)], &options))
        .await
        .unwrap();
    assert_eq!(answer(proxy).await, "new");
}

#[tokio::test]
async fn a_500_never_passes_and_nothing_changes() {
    let old = named("old", StatusCode::OK).await;
    let new = named("new", StatusCode::INTERNAL_SERVER_ERROR).await;
    let (table, app, proxy, _shutdown) = setup(old.addr).await;

    let options = checked(http_check(Duration::from_millis(300)));
    let error = bounded(table.switch(app, vec![up(new.addr)], &options))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert!(error.message().contains("HTTP 500"), "{error}");
    assert!(*new.probes.borrow() >= 1);
    assert_eq!(table.upstreams(app).await.unwrap(), [up(old.addr)]);
    assert_eq!(answer(proxy).await, "old");
}

#[tokio::test]
async fn one_unhealthy_upstream_fails_the_whole_switch() {
    let old = named("old", StatusCode::OK).await;
    let good = named("good", StatusCode::OK).await;
    let bad = named("bad", StatusCode::BAD_GATEWAY).await;
    let (table, app, proxy, _shutdown) = setup(old.addr).await;

    let options = checked(http_check(Duration::from_millis(300)));
    let error = bounded(table.switch(app, vec![up(good.addr), up(bad.addr)], &options))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert!(error.message().contains(&bad.addr.to_string()), "{error}");
    assert_eq!(table.upstreams(app).await.unwrap(), [up(old.addr)]);
    assert_eq!(answer(proxy).await, "old");
}

#[tokio::test]
async fn a_hanging_upstream_hits_the_probe_timeout() {
    let old = named("old", StatusCode::OK).await;
    let stuck = hanging().await;
    let (table, app, proxy, _shutdown) = setup(old.addr).await;

    let check = HealthCheck {
        timeout: Duration::from_millis(100),
        ..http_check(Duration::from_millis(500))
    };
    let error = bounded(table.switch(app, vec![up(stuck)], &checked(check)))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert!(error.message().contains("no answer within"), "{error}");
    assert_eq!(table.upstreams(app).await.unwrap(), [up(old.addr)]);
    assert_eq!(answer(proxy).await, "old");
}

#[tokio::test]
async fn tcp_probes_pass_on_connect_and_fail_without_a_listener() {
    let old = named("old", StatusCode::OK).await;
    // Its health path says 500: a TCP probe only connects.
    let new = named("new", StatusCode::INTERNAL_SERVER_ERROR).await;
    let (table, app, proxy, _shutdown) = setup(old.addr).await;
    let tcp = |deadline| HealthCheck {
        interval: Duration::from_millis(20),
        deadline,
        ..HealthCheck::tcp()
    };

    let nobody = dead().await;
    let error = bounded(table.switch(
        app,
        vec![up(nobody)],
        &checked(tcp(Duration::from_millis(200))),
    ))
    .await
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert!(error.message().contains("TCP connect"), "{error}");
    assert_eq!(answer(proxy).await, "old");

    let options = checked(tcp(Duration::from_secs(60)));
    bounded(table.switch(app, vec![up(new.addr)], &options))
        .await
        .unwrap();
    assert_eq!(table.upstreams(app).await.unwrap(), [up(new.addr)]);
    assert_eq!(answer(proxy).await, "new");
}

#[tokio::test]
async fn dropping_a_probing_switch_changes_nothing() {
    let old = named("old", StatusCode::OK).await;
    let mut new = named("new", StatusCode::SERVICE_UNAVAILABLE).await;
    let (table, app, proxy, _shutdown) = setup(old.addr).await;

    let options = checked(http_check(Duration::from_secs(3600)));
    let switch = table.switch(app, vec![up(new.addr)], &options);
    tokio::select! {
        _ = switch => panic!("the switch must wait for a healthy upstream"),
        probed = new.probes.wait_for(|n| *n >= 2) => { probed.unwrap(); }
    }
    // The switch future is dropped here, in the middle of probing.
    assert_eq!(table.upstreams(app).await.unwrap(), [up(old.addr)]);
    assert_eq!(answer(proxy).await, "old");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_probe_does_not_block_other_writers() {
    let (slow, other) = (AppId::new(), AppId::new());
    let table = ProxyRouteTable::new();
    let stuck = hanging().await;
    let options = checked(HealthCheck {
        timeout: Duration::from_secs(3600),
        ..http_check(Duration::from_secs(3600))
    });
    let probing = tokio::spawn({
        let table = table.clone();
        async move { table.switch(slow, vec![up(stuck)], &options).await }
    });

    // While it waits on its upstream, other writers go through.
    let routes = AppRoutes {
        hosts: vec![HostRoute::plain("other.test".parse().unwrap())],
        maintenance_page: None,
    };
    let other_up = named("other", StatusCode::OK).await;
    bounded(table.set_routes(other, routes)).await.unwrap();
    let quick = checked(http_check(Duration::from_secs(60)));
    bounded(table.switch(other, vec![up(other_up.addr)], &quick))
        .await
        .unwrap();
    bounded(table.switch(slow, Vec::new(), &unchecked()))
        .await
        .unwrap();
    assert_eq!(table.upstreams(other).await.unwrap(), [up(other_up.addr)]);
    assert!(!probing.is_finished());
    probing.abort();
    assert!(probing.await.unwrap_err().is_cancelled());
    assert!(table.upstreams(slow).await.unwrap().is_empty());
}
