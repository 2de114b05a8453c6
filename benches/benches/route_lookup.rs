//! Route lookup cost of `rivetr_proxy::table::ProxyRouteTable`: `resolve`
//! and `acquire` of an exact host and of a host matched by a wildcard, with
//! 10, 100, 1,000 and 10,000 routes. The figures should be flat: a lookup is
//! at most two hash probes whatever the table size.
//!
//! Run: `cargo bench -p rivetr-benches --bench route_lookup`
//! (quick: `-- --warm-up-time 1 --measurement-time 2`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark binary fails loudly"
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use rivetr_core::id::AppId;
use rivetr_core::input::DomainName;
use rivetr_core::route::{AppRoutes, HostRoute, RouteTable, SwitchOptions, Upstream};
use rivetr_proxy::table::ProxyRouteTable;

const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];

/// A table with `routes` routes: half exact hosts (`appN.example.com`), half
/// wildcards (`*.appN.preview.example.com`), one app per route, each with
/// two upstreams.
fn table(routes: usize) -> ProxyRouteTable {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let table = ProxyRouteTable::new();
    let options = SwitchOptions {
        health_check: None,
        drain_timeout: Duration::ZERO,
    };
    runtime.block_on(async {
        for i in 0..routes {
            let app = AppId::new();
            let pattern = if i % 2 == 0 {
                format!("app{i}.example.com")
            } else {
                format!("*.app{i}.preview.example.com")
            };
            let routes = AppRoutes {
                hosts: vec![HostRoute::plain(pattern.parse().unwrap())],
                maintenance_page: None,
            };
            table.set_routes(app, routes).await.unwrap();
            let port = u16::try_from(i % 60_000).unwrap();
            let upstreams = vec![
                Upstream {
                    addr: ([127, 0, 0, 1], port).into(),
                },
                Upstream {
                    addr: ([127, 0, 0, 2], port).into(),
                },
            ];
            table.switch(app, upstreams, &options).await.unwrap();
        }
    });
    table
}

fn route_lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("route_lookup");
    for size in SIZES {
        let table = table(size);
        // A route in the middle of the table, of each kind.
        let exact: DomainName = format!("app{}.example.com", size / 2 / 2 * 2)
            .parse()
            .unwrap();
        let wildcard: DomainName = format!("pr-7.app{}.preview.example.com", size / 2 / 2 * 2 + 1)
            .parse()
            .unwrap();
        assert!(table.resolve(&exact).is_some() && table.resolve(&wildcard).is_some());
        group.bench_with_input(BenchmarkId::new("resolve_exact", size), &exact, |b, h| {
            b.iter(|| table.resolve(black_box(h)));
        });
        group.bench_with_input(
            BenchmarkId::new("resolve_wildcard", size),
            &wildcard,
            |b, h| b.iter(|| table.resolve(black_box(h))),
        );
        group.bench_with_input(BenchmarkId::new("acquire_exact", size), &exact, |b, h| {
            b.iter(|| table.acquire(black_box(h)));
        });
        group.bench_with_input(
            BenchmarkId::new("acquire_wildcard", size),
            &wildcard,
            |b, h| b.iter(|| table.acquire(black_box(h))),
        );
    }
    group.finish();
}

fn main() {
    // What `criterion_group!`/`criterion_main!` expand to, without their
    // undocumented public function.
    let mut criterion = Criterion::default().configure_from_args();
    route_lookup(&mut criterion);
    criterion.final_summary();
}
