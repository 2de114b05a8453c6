//! The [`RouteTable`] conformance suites: [`conformance`] through the trait
//! alone, and [`drain_conformance`] for tables that can simulate requests in
//! flight.

use std::time::Duration;

use crate::ErrorKind;
use crate::id::AppId;
use crate::input::{DomainName, HostPattern};
use crate::route::{AppRoutes, HostRoute, RouteTable, SwitchOptions, Upstream};

/// Hosts and names unique to one suite run (the table may be shared).
struct Names {
    suffix: String,
}

impl Names {
    fn new() -> Self {
        Self {
            suffix: format!("c{}.conformance.test", uuid::Uuid::now_v7().simple()),
        }
    }

    fn host(&self, label: &str) -> DomainName {
        let name = format!("{label}.{}", self.suffix);
        name.parse()
            .unwrap_or_else(|e| panic!("testkit: bad host {name}: {e}"))
    }

    fn pattern(&self, label: &str) -> HostPattern {
        let name = format!("{label}.{}", self.suffix);
        name.parse()
            .unwrap_or_else(|e| panic!("testkit: bad host pattern {name}: {e}"))
    }

    fn routes(&self, labels: &[&str]) -> AppRoutes {
        AppRoutes {
            hosts: labels
                .iter()
                .map(|l| HostRoute::plain(self.pattern(l)))
                .collect(),
            maintenance_page: None,
        }
    }
}

fn upstream(port: u16) -> Upstream {
    Upstream {
        addr: ([127, 0, 0, 1], port).into(),
    }
}

fn options(drain_timeout: Duration) -> SwitchOptions {
    SwitchOptions {
        health_check: None,
        drain_timeout,
    }
}

fn sorted(mut upstreams: Vec<Upstream>) -> Vec<Upstream> {
    upstreams.sort();
    upstreams
}

async fn set(table: &dyn RouteTable, app: AppId, routes: AppRoutes) {
    (table.set_routes(app, routes).await)
        .unwrap_or_else(|e| panic!("route contract: set_routes failed: {e}"));
}

async fn upstreams_of(table: &dyn RouteTable, app: AppId) -> Vec<Upstream> {
    let upstreams = (table.upstreams(app).await)
        .unwrap_or_else(|e| panic!("route contract: upstreams failed: {e}"));
    sorted(upstreams)
}

fn owner(table: &dyn RouteTable, host: &DomainName) -> Option<AppId> {
    table.resolve(host).map(|r| r.app)
}

/// Run the route table suite against `table` (which may hold other routes:
/// the suite uses fresh app ids and hosts, and removes its apps at the end).
///
/// Checks: `set_routes` and `resolve`, exact hosts over wildcards, conflicts
/// (exact or the same wildcard) leaving the table unchanged, hosts replaced
/// atomically and upstreams kept, maintenance pages, `switch` returning the
/// previous upstreams, switching an app without routes, empty upstreams,
/// and `remove` being idempotent and freeing the hosts.
///
/// # Panics
///
/// With a message naming the broken contract.
pub async fn conformance(table: &dyn RouteTable) {
    let names = Names::new();
    let (shop, api, late) = (AppId::new(), AppId::new(), AppId::new());
    let quick = options(Duration::from_secs(5));
    let (www, any, api_host) = (names.host("www"), names.host("any"), names.host("api"));
    assert!(
        table.resolve(&www).is_none(),
        "route contract: resolve must be None for an unknown host"
    );

    set(table, shop, names.routes(&["www", "*"])).await;
    let report = (table.switch(shop, vec![upstream(1)], &quick).await)
        .unwrap_or_else(|e| panic!("route contract: switch failed: {e}"));
    assert!(
        report.previous.is_empty(),
        "route contract: the first switch must report no previous upstreams"
    );
    assert!(
        report.drained,
        "route contract: a switch with nothing in flight must report drained"
    );
    let resolved = table
        .resolve(&www)
        .unwrap_or_else(|| panic!("route contract: resolve must find an exact host"));
    assert_eq!(
        (resolved.app, resolved.upstreams),
        (shop, vec![upstream(1)]),
        "route contract: resolve must give the app and its upstreams"
    );
    let resolved = table
        .resolve(&any)
        .unwrap_or_else(|| panic!("route contract: resolve must find a host through a wildcard"));
    assert_eq!(
        (resolved.app, resolved.route.host),
        (shop, names.pattern("*")),
        "route contract: a wildcard route must resolve with its pattern"
    );

    set(table, api, names.routes(&["api"])).await;
    assert_eq!(
        owner(table, &api_host),
        Some(api),
        "route contract: an exact host must win over a wildcard"
    );
    assert_eq!(
        owner(table, &any),
        Some(shop),
        "route contract: other hosts must still match the wildcard"
    );

    let taken = names.routes(&["api", "www", "new"]);
    assert_eq!(
        table.set_routes(api, taken).await.map_err(|e| e.kind()),
        Err(ErrorKind::Conflict),
        "route contract: a host of another app must be a Conflict"
    );
    let taken = names.routes(&["*"]);
    assert_eq!(
        table.set_routes(api, taken).await.map_err(|e| e.kind()),
        Err(ErrorKind::Conflict),
        "route contract: the same wildcard as another app's must be a Conflict"
    );
    assert_eq!(
        owner(table, &www),
        Some(shop),
        "route contract: a conflicting set_routes must change nothing"
    );
    assert_eq!(
        owner(table, &api_host),
        Some(api),
        "route contract: a conflicting set_routes must change nothing"
    );
    assert_eq!(
        owner(table, &names.host("new")),
        Some(shop),
        "route contract: a conflicting set_routes must not add any host"
    );

    set(table, api, names.routes(&["api2"])).await;
    assert_eq!(
        owner(table, &api_host),
        Some(shop),
        "route contract: set_routes must replace the app's previous hosts"
    );
    assert_eq!(
        owner(table, &names.host("api2")),
        Some(api),
        "route contract: set_routes must add the new hosts"
    );
    let mut paused = names.routes(&["www", "*"]);
    paused.maintenance_page = Some("back soon".to_owned());
    set(table, shop, paused).await;
    let resolved = table
        .resolve(&www)
        .unwrap_or_else(|| panic!("route contract: resolve lost a host"));
    assert_eq!(
        resolved.maintenance_page.as_deref(),
        Some("back soon"),
        "route contract: resolve must show the maintenance page"
    );
    assert_eq!(
        resolved.upstreams,
        [upstream(1)],
        "route contract: set_routes must keep the app's upstreams"
    );
    set(table, shop, names.routes(&["www", "*"])).await;
    assert!(
        table
            .resolve(&www)
            .is_some_and(|r| r.maintenance_page.is_none()),
        "route contract: set_routes must end maintenance"
    );

    let report = (table
        .switch(shop, vec![upstream(3), upstream(2)], &quick)
        .await)
        .unwrap_or_else(|e| panic!("route contract: switch failed: {e}"));
    assert_eq!(
        report.previous,
        [upstream(1)],
        "route contract: switch must return the previous upstreams"
    );
    assert_eq!(
        upstreams_of(table, shop).await,
        [upstream(2), upstream(3)],
        "route contract: switch must set the new upstreams"
    );

    let report = (table.switch(late, vec![upstream(4)], &quick).await).unwrap_or_else(|e| {
        panic!("route contract: switching an app without routes must be allowed: {e}")
    });
    assert!(
        report.previous.is_empty(),
        "route contract: a new app has no previous upstreams"
    );
    assert_eq!(
        upstreams_of(table, late).await,
        [upstream(4)],
        "route contract: upstreams of an app without routes must be kept"
    );
    set(table, late, names.routes(&["late"])).await;
    let resolved = table.resolve(&names.host("late")).map(|r| r.upstreams);
    assert_eq!(
        resolved,
        Some(vec![upstream(4)]),
        "route contract: hosts added later must reach the kept upstreams"
    );

    let report = (table.switch(shop, Vec::new(), &quick).await).unwrap_or_else(|e| {
        panic!("route contract: switching to no upstreams must be allowed: {e}")
    });
    assert_eq!(
        sorted(report.previous),
        [upstream(2), upstream(3)],
        "route contract: switch must return the previous upstreams"
    );
    let resolved = table
        .resolve(&www)
        .unwrap_or_else(|| panic!("route contract: an offline app keeps its hosts"));
    assert!(
        resolved.upstreams.is_empty(),
        "route contract: empty upstreams take the app offline"
    );

    for _ in 0..2 {
        (table.remove(shop).await)
            .unwrap_or_else(|e| panic!("route contract: remove must be idempotent: {e}"));
    }
    assert!(
        table.resolve(&www).is_none(),
        "route contract: remove must drop the app's hosts"
    );
    assert!(
        upstreams_of(table, shop).await.is_empty(),
        "route contract: remove must drop the app's upstreams"
    );
    set(table, api, names.routes(&["www"])).await;
    assert_eq!(
        owner(table, &www),
        Some(api),
        "route contract: hosts of a removed app must be free"
    );
    for app in [api, late] {
        (table.remove(app).await).unwrap_or_else(|e| panic!("route contract: remove failed: {e}"));
    }
}

/// Run the drain suite against `table`, whose `capabilities().drain` is
/// true. `hold` must simulate a request to a host: route it as a proxy
/// would and keep it in flight on its upstream until the returned value is
/// dropped (`None` when nothing serves the host).
///
/// Checks: a `switch` does not return while a request is in flight on an
/// old upstream, while new requests already go to the new upstreams; it
/// returns `drained` once the request ends; and with a short drain timeout
/// it returns `drained == false` while the request is still in flight.
///
/// # Panics
///
/// With a message naming the broken contract.
pub async fn drain_conformance<F>(table: &dyn RouteTable, hold: F)
where
    F: Fn(&DomainName) -> Option<Box<dyn Send>>,
{
    assert!(
        table.capabilities().drain,
        "testkit: drain_conformance needs a table that drains"
    );
    let names = Names::new();
    let (app, host) = (AppId::new(), names.host("web"));
    set(table, app, names.routes(&["web"])).await;
    let long = options(Duration::from_secs(3600));
    (table.switch(app, vec![upstream(1)], &long).await)
        .unwrap_or_else(|e| panic!("route contract: switch failed: {e}"));
    let held =
        hold(&host).unwrap_or_else(|| panic!("testkit: hold must route a request to a live host"));

    let switch = table.switch(app, vec![upstream(2)], &long);
    tokio::pin!(switch);
    let mut swapped = false;
    for _ in 0..1000 {
        tokio::select! {
            biased;
            _ = &mut switch => panic!("route contract: switch must not return while a request is in flight on an old upstream"),
            () = tokio::task::yield_now() => {}
        }
        if table
            .resolve(&host)
            .is_some_and(|r| r.upstreams == [upstream(2)])
        {
            swapped = true;
            break;
        }
    }
    assert!(
        swapped,
        "route contract: switch must swap the upstreams before it drains"
    );
    drop(held);
    let report = tokio::time::timeout(Duration::from_secs(60), switch)
        .await
        .unwrap_or_else(|_| {
            panic!("route contract: switch must return once the old upstreams are idle")
        })
        .unwrap_or_else(|e| panic!("route contract: switch failed: {e}"));
    assert!(
        report.drained,
        "route contract: a switch whose old requests finished must report drained"
    );
    assert_eq!(
        report.previous,
        [upstream(1)],
        "route contract: switch must return the previous upstreams"
    );

    let held =
        hold(&host).unwrap_or_else(|| panic!("testkit: hold must route a request to a live host"));
    let short = options(Duration::from_millis(50));
    let report = tokio::time::timeout(
        Duration::from_secs(60),
        table.switch(app, vec![upstream(3)], &short),
    )
    .await
    .unwrap_or_else(|_| panic!("route contract: switch must return when the drain timeout ends"))
    .unwrap_or_else(|e| panic!("route contract: switch failed: {e}"));
    assert!(
        !report.drained,
        "route contract: a switch whose drain timeout ended first must report drained == false"
    );
    drop(held);
    (table.remove(app).await).unwrap_or_else(|e| panic!("route contract: remove failed: {e}"));
}
