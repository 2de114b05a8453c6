#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]

use std::collections::HashSet;
use std::time::Duration;

use rivetr_core::route::HostRoute;

use super::*;

fn upstream(port: u16) -> Upstream {
    Upstream {
        addr: ([127, 0, 0, 1], port).into(),
    }
}

fn drain(timeout: Duration) -> SwitchOptions {
    SwitchOptions {
        health_check: None,
        drain_timeout: timeout,
    }
}

fn host(name: &str) -> DomainName {
    name.parse().unwrap()
}

async fn table_with(pattern: &str, upstreams: Vec<Upstream>) -> (ProxyRouteTable, AppId) {
    let (table, app) = (ProxyRouteTable::new(), AppId::new());
    let routes = AppRoutes {
        hosts: vec![HostRoute::plain(pattern.parse().unwrap())],
        maintenance_page: None,
    };
    table.set_routes(app, routes).await.unwrap();
    table
        .switch(app, upstreams, &drain(Duration::ZERO))
        .await
        .unwrap();
    (table, app)
}

#[tokio::test]
async fn round_robin_spreads_over_upstreams() {
    let ups = vec![upstream(1), upstream(2), upstream(3)];
    let (table, _) = table_with("web.test", ups.clone()).await;
    let mut counts = [0usize; 3];
    for _ in 0..30 {
        let lease = table.acquire(&host("web.test")).unwrap();
        let i = ups.iter().position(|u| *u == lease.upstream()).unwrap();
        counts[i] += 1;
    }
    assert_eq!(counts, [10, 10, 10]);
}

#[tokio::test]
async fn ejection_skips_then_returns() {
    let (a, b) = (upstream(1), upstream(2));
    let (table, app) = table_with("web.test", vec![a, b]).await;
    let web = host("web.test");
    assert!(table.eject(app, a, Duration::from_millis(100)));
    for _ in 0..10 {
        assert_eq!(table.acquire(&web).unwrap().upstream(), b);
    }
    assert!(table.eject(app, b, Duration::from_millis(100)));
    let all_ejected: HashSet<Upstream> = (0..4)
        .map(|_| table.acquire(&web).unwrap().upstream())
        .collect();
    assert_eq!(
        all_ejected.len(),
        2,
        "all ejected: round-robin uses them all"
    );
    assert!(table.eject(app, b, Duration::from_secs(3600)));
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(table.acquire(&web).unwrap().upstream(), a);
    assert!(table.eject(app, b, Duration::ZERO));
    let back: HashSet<Upstream> = (0..4)
        .map(|_| table.acquire(&web).unwrap().upstream())
        .collect();
    assert_eq!(back, HashSet::from([a, b]), "ejected upstreams come back");
    assert!(!table.eject(app, upstream(9), Duration::from_secs(1)));
}

#[tokio::test]
async fn lease_before_switch_drains_and_lease_after_goes_to_new() {
    let (a, b) = (upstream(1), upstream(2));
    let (table, app) = table_with("*.apps.test", vec![a]).await;
    let web = host("x.apps.test");
    let before = table.acquire(&web).unwrap();
    assert_eq!((before.upstream(), before.app()), (a, app));
    assert_eq!(before.route().host, "*.apps.test".parse().unwrap());
    let options = drain(Duration::from_secs(3600));
    let switch = table.switch(app, vec![b], &options);
    tokio::pin!(switch);
    assert!(
        futures::poll!(&mut switch).is_pending(),
        "waits for `before`"
    );
    let after = table.acquire(&web).unwrap();
    assert_eq!(after.upstream(), b, "new requests go to the new upstream");
    drop(after);
    assert!(futures::poll!(&mut switch).is_pending());
    drop(before);
    let report = switch.await.unwrap();
    assert_eq!(report.previous, [a]);
    assert!(report.drained);
}

#[tokio::test(start_paused = true)]
async fn drain_timeout_ends_the_wait() {
    let (table, app) = table_with("web.test", vec![upstream(1)]).await;
    let _held = table.acquire(&host("web.test")).unwrap();
    let report = table
        .switch(app, vec![upstream(2)], &drain(Duration::from_millis(50)))
        .await
        .unwrap();
    assert!(!report.drained);
}

#[tokio::test]
async fn kept_upstream_is_not_waited_on() {
    let (a, b) = (upstream(1), upstream(2));
    let (table, app) = table_with("web.test", vec![a, b]).await;
    let web = host("web.test");
    let first = table.acquire(&web).unwrap();
    let second = table.acquire(&web).unwrap();
    let (on_a, on_b) = if first.upstream() == a {
        (first, second)
    } else {
        (second, first)
    };
    assert_eq!(on_b.upstream(), b);
    drop(on_b);
    let report = table
        .switch(app, vec![a, upstream(3)], &drain(Duration::from_secs(3600)))
        .await
        .unwrap();
    assert!(report.drained, "a stays, so only b had to drain");
    assert_eq!(
        table.in_flight(app, a),
        1,
        "the kept lease is still counted"
    );
    drop(on_a);
    assert_eq!(table.in_flight(app, a), 0);
}

#[tokio::test]
async fn readers_work_while_a_writer_holds_the_lock() {
    let (table, app) = table_with("web.test", vec![upstream(1)]).await;
    let _writer = table.inner.writer.lock().unwrap();
    let reader = table.clone();
    // `resolve`, `acquire` and `eject` are plain functions: they cannot
    // await, and here they run while the writer lock is held.
    let seen = std::thread::spawn(move || {
        let web = host("web.test");
        let resolved = reader.resolve(&web).map(|r| r.app);
        let leased = reader.acquire(&web).map(|l| l.upstream());
        let ejected = reader.eject(app, upstream(1), Duration::ZERO);
        (resolved, leased, ejected)
    })
    .join()
    .unwrap();
    assert_eq!(seen, (Some(app), Some(upstream(1)), true));
}

#[tokio::test]
async fn maintenance_wildcards_and_exact_over_wildcard() {
    let (table, app) = table_with("*.apps.test", vec![upstream(1)]).await;
    assert!(table.resolve(&host("apps.test")).is_none());
    assert!(table.resolve(&host("a.b.apps.test")).is_none());
    assert_eq!(table.resolve(&host("x.apps.test")).unwrap().app, app);
    let exact = AppId::new();
    let routes = AppRoutes {
        hosts: vec![HostRoute::plain("api.apps.test".parse().unwrap())],
        maintenance_page: None,
    };
    table.set_routes(exact, routes).await.unwrap();
    assert_eq!(table.resolve(&host("api.apps.test")).unwrap().app, exact);
    assert!(
        table.acquire(&host("api.apps.test")).is_none(),
        "no upstream"
    );

    let mut route = HostRoute::plain("*.apps.test".parse().unwrap());
    route.redirect_to = Some(host("apps.test"));
    route.force_https = true;
    let routes = AppRoutes {
        hosts: vec![route.clone()],
        maintenance_page: Some("back soon".to_owned()),
    };
    table.set_routes(app, routes).await.unwrap();
    assert!(table.acquire(&host("x.apps.test")).is_none(), "maintenance");
    let resolved = table.resolve(&host("x.apps.test")).unwrap();
    assert_eq!(resolved.maintenance_page.as_deref(), Some("back soon"));
    assert_eq!(resolved.route, route);
}

#[tokio::test]
async fn lease_racing_a_switch_is_drained_or_moved() {
    let (a, b) = (upstream(1), upstream(2));
    let (table, app) = table_with("web.test", vec![a]).await;
    let web = host("web.test");
    // A lease on a retired upstream is refused and retried on the new one.
    let state = table.inner.snapshot.load().apps[&app].slots[0]
        .state
        .clone();
    table
        .switch(app, vec![b], &drain(Duration::ZERO))
        .await
        .unwrap();
    assert!(!state.enter(), "a retired upstream takes no new request");
    assert_eq!(state.in_flight(), 0);
    assert_eq!(table.acquire(&web).unwrap().upstream(), b);
}

#[tokio::test]
async fn the_fallback_catches_unmatched_hosts_until_its_app_is_removed() {
    let (table, app) = table_with("web.test", vec![upstream(1)]).await;
    let other = AppId::new();
    table
        .switch(other, vec![upstream(2)], &drain(Duration::ZERO))
        .await
        .unwrap();
    table.set_fallback(Some((other, HostRoute::plain("any.test".parse().unwrap()))));
    assert_eq!(
        table.acquire(&host("web.test")).unwrap().upstream(),
        upstream(1)
    );
    assert_eq!(
        table.acquire(&host("else.example")).unwrap().upstream(),
        upstream(2)
    );
    assert_eq!(table.resolve(&host("else.example")).unwrap().app, other);
    table.remove(other).await.unwrap();
    assert!(table.acquire(&host("else.example")).is_none());
    assert_eq!(table.acquire(&host("web.test")).unwrap().app(), app);
}
