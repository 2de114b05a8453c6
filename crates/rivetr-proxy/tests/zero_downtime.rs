#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! Zero downtime across deploys: a proxy on 127.0.0.1:0 in front of an app
//! that is switched 20 times in a row to a fresh upstream (each answering
//! with its own id, over HTTP and WebSocket), every old upstream stopped as
//! soon as `switch` returns, as the engine does. Meanwhile a load generator
//! sends 200 requests a second over several keep-alive connections, and a
//! WebSocket stays open, sending a message every few milliseconds.
//!
//! Checked: no request fails (every answer is a 200 from an upstream that
//! was live), every WebSocket message is echoed, the WebSocket on an old
//! upstream stays up until the client closes it (the switch then reports
//! `drained`) or the drain window ends (`drained: false`, and never
//! earlier), and requests sent after a switch returns reach the new
//! upstream.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use http::header::{CONNECTION, HOST, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, UPGRADE};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rivetr_core::id::AppId;
use rivetr_core::model::HealthCheck;
use rivetr_core::route::{AppRoutes, HostRoute, RouteTable, SwitchOptions, Upstream};
use rivetr_proxy::server::{Proxy, ProxyConfig};
use rivetr_proxy::table::ProxyRouteTable;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::{WebSocketStream, client_async};
use tokio_util::sync::CancellationToken;

const HOST_NAME: &str = "app.test";
const SWITCHES: usize = 20;
/// Load-generator connections; each sends `RATE / CONNECTIONS` a second.
const CONNECTIONS: usize = 4;
const RATE: u64 = 200;
/// Every `CUT_EVERY`th switch keeps its WebSocket open past a short drain
/// window; the others close it from the client side during a long one.
const CUT_EVERY: usize = 4;
const SHORT_WINDOW: Duration = Duration::from_millis(300);
const LONG_WINDOW: Duration = Duration::from_secs(30);
/// Responses a new upstream must have served before the next switch.
const PER_UPSTREAM: usize = 10;

/// One upstream: HTTP answers `upstream-<id>`, WebSocket echoes `<id>:<text>`.
/// Stopping it closes its listener and every connection, as a stopped
/// container would.
struct TestUpstream {
    id: usize,
    addr: SocketAddr,
    stop: CancellationToken,
}

async fn start_upstream(id: usize) -> TestUpstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    let token = stop.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = tokio::select! {
                () = token.cancelled() => return,
                accepted = listener.accept() => accepted.unwrap(),
            };
            let token = token.clone();
            tokio::spawn(async move {
                let conn_token = token.clone();
                let service = service_fn(move |req| answer(id, req, token.clone()));
                let connection = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades();
                tokio::select! {
                    () = conn_token.cancelled() => {}
                    _ = connection => {}
                }
            });
        }
    });
    TestUpstream { id, addr, stop }
}

async fn answer(
    id: usize,
    mut req: Request<Incoming>,
    stop: CancellationToken,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let Some(key) = req.headers().get(SEC_WEBSOCKET_KEY).cloned() else {
        return Ok(Response::new(Full::new(format!("upstream-{id}").into())));
    };
    let upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        let io = TokioIo::new(upgrade.await.unwrap());
        let mut ws = WebSocketStream::from_raw_socket(io, Role::Server, None).await;
        loop {
            let message = tokio::select! {
                () = stop.cancelled() => return,
                message = ws.next() => message,
            };
            match message {
                Some(Ok(Message::Text(text))) => {
                    let echo = Message::text(format!("{id}:{text}"));
                    if ws.send(echo).await.is_err() {
                        return;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            }
        }
    });
    let response = Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(UPGRADE, "websocket")
        .header(CONNECTION, "upgrade")
        .header(SEC_WEBSOCKET_ACCEPT, derive_accept_key(key.as_bytes()))
        .body(Full::default())
        .unwrap();
    Ok(response)
}

/// What the load generator saw.
#[derive(Debug, Default)]
struct Load {
    /// Good answers per upstream id.
    served: BTreeMap<usize, usize>,
    /// Anything but a 200 from a live upstream, with what happened.
    failures: Vec<String>,
}

/// `CONNECTIONS` keep-alive connections, each sending one request every
/// `CONNECTIONS / RATE` seconds until `stop`. `floor` is the oldest
/// upstream a request may reach (the newest whose switch had returned when
/// it was sent); `newest` the newest switched to.
fn start_load(
    proxy: SocketAddr,
    floor: &Arc<AtomicUsize>,
    newest: &Arc<AtomicUsize>,
    stop: &CancellationToken,
) -> (watch::Receiver<Load>, Vec<tokio::task::JoinHandle<()>>) {
    let (report, seen) = watch::channel(Load::default());
    let report = Arc::new(report);
    let period = Duration::from_micros(1_000_000 * CONNECTIONS as u64 / RATE);
    let tasks = (0..CONNECTIONS)
        .map(|_| {
            let (floor, newest, stop) = (floor.clone(), newest.clone(), stop.clone());
            let report = Arc::clone(&report);
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(period);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let mut sender = None;
                loop {
                    tokio::select! {
                        () = stop.cancelled() => return,
                        _ = ticks.tick() => {}
                    }
                    if sender.is_none() {
                        let stream = TcpStream::connect(proxy).await.unwrap();
                        let (send, conn) =
                            hyper::client::conn::http1::handshake(TokioIo::new(stream))
                                .await
                                .unwrap();
                        tokio::spawn(conn);
                        sender = Some(send);
                    }
                    let send = sender.as_mut().unwrap();
                    let lowest = floor.load(Ordering::SeqCst);
                    let request = Request::get("/")
                        .header(HOST, HOST_NAME)
                        .body(Empty::<Bytes>::new())
                        .unwrap();
                    let outcome = match send.send_request(request).await {
                        Ok(response) => {
                            let status = response.status();
                            let body = response.into_body().collect().await;
                            let body =
                                body.map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned());
                            let id = (body.as_deref().ok())
                                .and_then(|b| b.strip_prefix("upstream-"))
                                .and_then(|n| n.parse::<usize>().ok());
                            let highest = newest.load(Ordering::SeqCst);
                            match id {
                                Some(id)
                                    if status == StatusCode::OK
                                        && (lowest..=highest).contains(&id) =>
                                {
                                    Ok(id)
                                }
                                _ => Err(format!(
                                    "{status} {body:?}, expected upstream {lowest}..={highest}"
                                )),
                            }
                        }
                        Err(error) => {
                            sender = None; // A new connection next time.
                            Err(format!("request failed: {error}"))
                        }
                    };
                    report.send_modify(|load| match outcome {
                        Ok(id) => *load.served.entry(id).or_default() += 1,
                        Err(failure) => load.failures.push(failure),
                    });
                }
            })
        })
        .collect();
    (seen, tasks)
}

/// What the WebSocket client reports.
#[derive(Debug)]
enum WsEvent {
    /// Upgraded through the proxy, answered by this upstream.
    Connected(usize),
    /// The connection was closed from the far side (not by the client) at
    /// this instant.
    Cut(Instant),
}

/// A WebSocket through the proxy sending `0`, `1`, `2`, ... every few ms,
/// each once the previous one is echoed. On `close`, it closes cleanly and
/// reconnects; when the proxy cuts it, it reconnects and sends again the
/// message left unanswered. Returns how many messages were echoed.
fn start_websocket(
    proxy: SocketAddr,
    mut close: mpsc::UnboundedReceiver<()>,
    events: mpsc::UnboundedSender<WsEvent>,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move {
        let mut next = 0_u64;
        let mut ticks = tokio::time::interval(Duration::from_millis(3));
        loop {
            let stream = TcpStream::connect(proxy).await.unwrap();
            let url = format!("ws://{HOST_NAME}/ws");
            let (mut ws, _) = client_async(url, stream).await.expect("WebSocket upgrade");
            let mut upstream = None;
            loop {
                tokio::select! {
                    () = stop.cancelled() => {
                        ws.close(None).await.unwrap();
                        return next;
                    }
                    Some(()) = close.recv() => {
                        ws.close(None).await.unwrap();
                        while let Some(Ok(_)) = ws.next().await {}
                        break;
                    }
                    _ = ticks.tick() => {}
                }
                ws.send(Message::text(next.to_string())).await.ok();
                match ws.next().await {
                    Some(Ok(Message::Text(echo))) => {
                        let (id, n) = echo.split_once(':').unwrap();
                        assert_eq!(n, next.to_string(), "echo out of order");
                        let id: usize = id.parse().unwrap();
                        if upstream.is_none() {
                            events.send(WsEvent::Connected(id)).unwrap();
                        }
                        assert!(
                            upstream.is_none_or(|u| u == id),
                            "one connection, one upstream"
                        );
                        upstream = Some(id);
                        next += 1;
                    }
                    Some(Ok(other)) => panic!("unexpected message {other:?}"),
                    Some(Err(_)) | None => {
                        events.send(WsEvent::Cut(Instant::now())).unwrap();
                        break;
                    }
                }
            }
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_switches_under_load_drop_nothing() {
    // A guard against a hang, not a speed check (the run takes seconds).
    let run = tokio::time::timeout(Duration::from_secs(120), twenty_switches());
    run.await.expect("the scenario hung");
}

async fn twenty_switches() {
    let table = ProxyRouteTable::new();
    let app = AppId::new();
    let routes = AppRoutes {
        hosts: vec![HostRoute::plain(HOST_NAME.parse().unwrap())],
        maintenance_page: None,
    };
    table.set_routes(app, routes).await.unwrap();
    let health = HealthCheck {
        interval: Duration::from_millis(10),
        ..HealthCheck::http("/healthz".parse().unwrap())
    };
    let options = |drain_timeout| SwitchOptions {
        health_check: Some(health.clone()),
        drain_timeout,
    };
    let mut live = start_upstream(0).await;
    let report = table
        .switch(
            app,
            vec![Upstream { addr: live.addr }],
            &options(LONG_WINDOW),
        )
        .await
        .unwrap();
    assert!(report.previous.is_empty());

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_addr = listener.local_addr().unwrap();
    let proxy = Proxy::builder(ProxyConfig::default(), table.clone())
        .build()
        .unwrap();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { proxy.serve_http(listener, shutdown).await }
    });

    let (floor, newest) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let stop_load = CancellationToken::new();
    let (mut load, load_tasks) = start_load(proxy_addr, &floor, &newest, &stop_load);
    let (close_ws, close_rx) = mpsc::unbounded_channel();
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let stop_ws = CancellationToken::new();
    let ws_task = start_websocket(proxy_addr, close_rx, events_tx, stop_ws.clone());
    let first = events.recv().await.unwrap();
    assert!(matches!(first, WsEvent::Connected(0)), "{first:?}");

    let mut cuts = 0;
    for i in 1..=SWITCHES {
        let next = start_upstream(i).await;
        newest.store(i, Ordering::SeqCst);
        let keep_open = i % CUT_EVERY == 0;
        let window = if keep_open { SHORT_WINDOW } else { LONG_WINDOW };
        let started = Instant::now();
        let options = options(window);
        let switch = table.switch(app, vec![Upstream { addr: next.addr }], &options);
        let client_side = async {
            if keep_open {
                return;
            }
            // The swap is done once a request reaches the new upstream: the
            // client then closes its WebSocket on the old one.
            load.wait_for(|l| l.served.contains_key(&i)).await.unwrap();
            close_ws.send(()).unwrap();
        };
        let (report, ()) = tokio::join!(switch, client_side);
        let report = report.unwrap();
        assert_eq!(
            report.previous,
            [Upstream { addr: live.addr }],
            "switch {i}"
        );
        // The engine stops the old container only now.
        floor.store(i, Ordering::SeqCst);
        live.stop.cancel();
        assert_eq!(live.id, i - 1);

        if keep_open {
            assert!(
                !report.drained,
                "switch {i}: the open WebSocket outlives the window"
            );
            match events.recv().await.unwrap() {
                WsEvent::Cut(at) => {
                    assert!(
                        at - started >= window,
                        "switch {i}: WebSocket cut before its drain window ended"
                    );
                    cuts += 1;
                }
                other => panic!("switch {i}: expected the cut, got {other:?}"),
            }
        } else {
            assert!(
                report.drained,
                "switch {i}: the client closed its WebSocket, so the old upstream drained"
            );
        }
        match events.recv().await.unwrap() {
            WsEvent::Connected(id) => assert_eq!(
                id, i,
                "switch {i}: the new WebSocket reaches the new upstream"
            ),
            other => panic!("switch {i}: expected a new connection, got {other:?}"),
        }
        // Traffic reaches the new upstream, and nothing else fails.
        let seen = load
            .wait_for(|l| {
                !l.failures.is_empty() || l.served.get(&i).copied().unwrap_or(0) >= PER_UPSTREAM
            })
            .await
            .unwrap();
        assert!(seen.failures.is_empty(), "switch {i}: {:?}", seen.failures);
        drop(seen);
        live = next;
    }

    stop_load.cancel();
    for task in load_tasks {
        task.await.unwrap();
    }
    stop_ws.cancel();
    let echoed = ws_task.await.unwrap();
    let load = load.borrow();
    assert!(load.failures.is_empty(), "{:?}", load.failures);
    let total: usize = load.served.values().sum();
    assert_eq!(
        load.served.keys().copied().collect::<Vec<_>>(),
        (0..=SWITCHES).collect::<Vec<_>>()
    );
    assert!(total >= SWITCHES * PER_UPSTREAM, "{total} requests");
    assert_eq!(cuts, SWITCHES / CUT_EVERY);
    assert!(echoed > 0);
    shutdown.cancel();
    server.await.unwrap().unwrap();
}
