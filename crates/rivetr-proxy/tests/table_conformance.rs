//! The proxy's route table against `rivetr_core::testkit`'s route suites.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]

use std::sync::Arc;

use rivetr_core::route::RouteTable;
use rivetr_core::testkit::route::{conformance, drain_conformance};
use rivetr_proxy::table::ProxyRouteTable;

#[tokio::test]
async fn passes_conformance() {
    let table = ProxyRouteTable::new();
    conformance(&table).await;
}

#[tokio::test]
async fn passes_conformance_through_dyn() {
    let table: Arc<dyn RouteTable> = Arc::new(ProxyRouteTable::new());
    conformance(table.as_ref()).await;
    // Twice on the same table: the suite cleans up after itself.
    conformance(table.as_ref()).await;
}

#[tokio::test]
async fn passes_drain_conformance() {
    let table = ProxyRouteTable::new();
    drain_conformance(&table, |host| {
        table.acquire(host).map(|l| Box::new(l) as Box<dyn Send>)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_drain_conformance_multi_thread() {
    let table = ProxyRouteTable::new();
    drain_conformance(&table, |host| {
        table.acquire(host).map(|l| Box::new(l) as Box<dyn Send>)
    })
    .await;
}
