//! Per-route metrics through the proxy on 127.0.0.1:0: after a known set
//! of requests, the Prometheus text has the counts, status classes and
//! histogram a user would check, and unknown hosts add no label sets.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode};
use rivetr_core::route::HostRoute;
use rivetr_proxy::server::{Proxy, ProxyConfig};
use rivetr_proxy::table::ProxyRouteTable;
use tokio_util::sync::CancellationToken;

mod common;

use common::{dead_upstream as dead, route};

/// An upstream answering 404 for `/missing` and 200 otherwise.
async fn upstream() -> SocketAddr {
    common::upstream_with(|head, _body| {
        let mut response = Response::new(Full::new(Bytes::from_static(b"hi\n")));
        if head.uri.path() == "/missing" {
            *response.status_mut() = StatusCode::NOT_FOUND;
        }
        response
    })
    .await
}

async fn serve(table: ProxyRouteTable) -> (SocketAddr, Proxy, CancellationToken) {
    common::http(ProxyConfig::default(), table).await
}

/// `GET path` on `host`; the status code.
async fn get(addr: SocketAddr, host: &str, path: &str) -> u16 {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let out = common::exchange(addr, &request).await;
    out.split(' ').nth(1).unwrap().parse().unwrap()
}

/// The value of the one sample `series` in `text` (`None` when absent).
fn sample(text: &str, series: &str) -> Option<u64> {
    let mut values = (text.lines())
        .filter_map(|l| l.strip_prefix(series))
        .filter_map(|rest| rest.strip_prefix(' '));
    let value = values.next()?.parse().unwrap();
    assert!(values.next().is_none(), "{series} appears twice");
    Some(value)
}

fn requests(labels: &str, class: &str, origin: &str) -> String {
    format!("rivetr_proxy_requests_total{{{labels},class=\"{class}\",origin=\"{origin}\"}}")
}

#[tokio::test]
async fn counts_requests_status_classes_and_latency_per_route() {
    let table = ProxyRouteTable::new();
    let live = upstream().await;
    let shop = route(
        &table,
        vec![HostRoute::plain("shop.test".parse().unwrap())],
        live,
    )
    .await;
    let mut redirected = HostRoute::plain("www.shop.test".parse().unwrap());
    redirected.redirect_to = Some("shop.test".parse().unwrap());
    let previews = route(
        &table,
        vec![
            HostRoute::plain("*.preview.test".parse().unwrap()),
            redirected,
        ],
        live,
    )
    .await;
    let broken = route(
        &table,
        vec![HostRoute::plain("down.test".parse().unwrap())],
        dead().await,
    )
    .await;
    let (addr, proxy, _shutdown) = serve(table).await;

    for _ in 0..5 {
        assert_eq!(get(addr, "shop.test", "/").await, 200);
    }
    assert_eq!(get(addr, "shop.test", "/missing").await, 404);
    for pr in ["pr-1", "pr-2", "pr-3"] {
        assert_eq!(get(addr, &format!("{pr}.preview.test"), "/").await, 200);
    }
    assert_eq!(get(addr, "www.shop.test", "/").await, 308);
    assert_eq!(get(addr, "down.test", "/").await, 502);

    let text = proxy.metrics().render_prometheus();
    let shop_labels = format!("app=\"{shop}\",host=\"shop.test\"");
    assert_eq!(
        sample(&text, &requests(&shop_labels, "2xx", "upstream")),
        Some(5),
        "{text}"
    );
    assert_eq!(
        sample(&text, &requests(&shop_labels, "4xx", "upstream")),
        Some(1)
    );
    assert_eq!(
        sample(&text, &requests(&shop_labels, "5xx", "upstream")),
        Some(0)
    );
    assert_eq!(
        sample(&text, &requests(&shop_labels, "4xx", "proxy")),
        Some(0)
    );
    let histogram = "rivetr_proxy_request_duration_seconds";
    assert_eq!(
        sample(&text, &format!("{histogram}_count{{{shop_labels}}}")),
        Some(6)
    );
    assert_eq!(
        sample(
            &text,
            &format!("{histogram}_bucket{{{shop_labels},le=\"+Inf\"}}")
        ),
        Some(6)
    );
    let buckets: Vec<u64> = (text.lines())
        .filter(|l| l.starts_with(&format!("{histogram}_bucket{{{shop_labels},")))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(buckets.len() > 10, "{text}");
    assert!(
        buckets.is_sorted(),
        "buckets must be cumulative: {buckets:?}"
    );
    assert!(text.contains(&format!("{histogram}_sum{{{shop_labels}}} ")));

    // A wildcard route is one label set, whatever host matched it.
    let wildcard = format!("app=\"{previews}\",host=\"*.preview.test\"");
    assert_eq!(
        sample(&text, &requests(&wildcard, "2xx", "upstream")),
        Some(3)
    );
    assert!(!text.contains("pr-1"), "{text}");
    let redirect = format!("app=\"{previews}\",host=\"www.shop.test\"");
    assert_eq!(sample(&text, &requests(&redirect, "3xx", "proxy")), Some(1));
    let down = format!("app=\"{broken}\",host=\"down.test\"");
    assert_eq!(sample(&text, &requests(&down, "5xx", "proxy")), Some(1));

    for kind in ["counter", "histogram"] {
        assert!(text.contains(&format!(" {kind}\n")), "{text}");
    }
    assert!(text.contains("# HELP rivetr_proxy_requests_total "));
}

#[tokio::test]
async fn unknown_hosts_share_one_label_set() {
    let table = ProxyRouteTable::new();
    route(
        &table,
        vec![HostRoute::plain("known.test".parse().unwrap())],
        upstream().await,
    )
    .await;
    let (addr, proxy, _shutdown) = serve(table).await;
    let before = proxy.metrics().render_prometheus().lines().count();

    for i in 0..20 {
        assert_eq!(get(addr, &format!("random-{i}.example"), "/").await, 404);
    }
    // Refused before routing: a bad `Host`.
    assert_eq!(get(addr, "bad_host!", "/").await, 400);

    let text = proxy.metrics().render_prometheus();
    assert_eq!(text.lines().count(), before, "no new series: {text}");
    assert!(!text.contains("random-"), "{text}");
    let unknown = "app=\"none\",host=\"unknown\"";
    assert_eq!(sample(&text, &requests(unknown, "4xx", "proxy")), Some(21));
    let count = format!("rivetr_proxy_request_duration_seconds_count{{{unknown}}}");
    assert_eq!(sample(&text, &count), Some(21));
}
