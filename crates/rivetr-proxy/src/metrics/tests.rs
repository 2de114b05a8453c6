#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]

use std::time::Duration;

use http::StatusCode;

use super::*;

fn pattern(s: &str) -> HostPattern {
    s.parse().unwrap()
}

/// The value of the sample line starting with `series ` in `text`.
fn sample(text: &str, series: &str) -> Option<u64> {
    let line = text
        .lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))?;
    line.rsplit(' ').next()?.parse().ok()
}

#[test]
fn a_route_keeps_its_metrics() {
    let metrics = Metrics::new();
    let app = AppId::new();
    let first = metrics.route(app, &pattern("a.test"));
    let again = metrics.route(app, &pattern("a.test"));
    assert!(Arc::ptr_eq(&first, &again));
    let other = metrics.route(app, &pattern("*.a.test"));
    assert!(!Arc::ptr_eq(&first, &other));
}

#[test]
fn counts_classes_origins_and_latency() {
    let metrics = Metrics::new();
    let app = AppId::new();
    let route = metrics.route(app, &pattern("*.shop.test"));
    route.record(StatusCode::OK, Origin::Upstream, Duration::from_micros(300));
    route.record(StatusCode::OK, Origin::Upstream, Duration::from_millis(7));
    route.record(
        StatusCode::NOT_FOUND,
        Origin::Upstream,
        Duration::from_millis(7),
    );
    route.record(
        StatusCode::BAD_GATEWAY,
        Origin::Proxy,
        Duration::from_secs(60),
    );
    route.record(
        StatusCode::SWITCHING_PROTOCOLS,
        Origin::Upstream,
        Duration::ZERO,
    );
    metrics
        .unrouted()
        .record(StatusCode::NOT_FOUND, Origin::Proxy, Duration::ZERO);

    let text = metrics.render_prometheus();
    let labels = format!("app=\"{app}\",host=\"*.shop.test\"");
    let requests = |class: &str, origin: &str| {
        sample(
            &text,
            &format!(
                "rivetr_proxy_requests_total{{{labels},class=\"{class}\",origin=\"{origin}\"}}"
            ),
        )
    };
    assert_eq!(requests("2xx", "upstream"), Some(2));
    assert_eq!(requests("4xx", "upstream"), Some(1));
    assert_eq!(requests("1xx", "upstream"), Some(1));
    assert_eq!(requests("5xx", "proxy"), Some(1));
    assert_eq!(requests("5xx", "upstream"), Some(0));
    let bucket = |le: &str| {
        sample(
            &text,
            &format!("rivetr_proxy_request_duration_seconds_bucket{{{labels},le=\"{le}\"}}"),
        )
    };
    assert_eq!(bucket("0.0005"), Some(2));
    assert_eq!(bucket("0.005"), Some(2));
    assert_eq!(bucket("0.01"), Some(4));
    assert_eq!(bucket("30"), Some(4));
    assert_eq!(bucket("+Inf"), Some(5));
    let count = format!("rivetr_proxy_request_duration_seconds_count{{{labels}}}");
    assert_eq!(sample(&text, &count), Some(5));
    let sum = format!("rivetr_proxy_request_duration_seconds_sum{{{labels}}} 60.0143");
    assert!(text.lines().any(|l| l == sum), "{text}");

    let unknown =
        "rivetr_proxy_requests_total{app=\"none\",host=\"unknown\",class=\"4xx\",origin=\"proxy\"}";
    assert_eq!(sample(&text, unknown), Some(1));
    for name in [
        "rivetr_proxy_requests_total counter",
        "rivetr_proxy_request_duration_seconds histogram",
    ] {
        assert!(text.contains(&format!("# TYPE {name}\n")), "{text}");
    }
}
