//! `MemoryStore` keeps the whole `Store` contract.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]

use std::sync::Arc;

use rivetr_core::memory::MemoryStore;
use rivetr_core::store::Store;
use rivetr_core::testkit::store as suite;

#[tokio::test]
async fn memory_store_passes_the_conformance_suite() {
    let store = MemoryStore::new();
    suite::conformance(&store).await;
}

#[tokio::test]
async fn memory_store_passes_it_through_a_trait_object() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    suite::conformance(&*store).await;
    // Twice on the same store: the suite copes with data already there.
    suite::conformance(store.as_ref()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_passes_it_from_many_tasks_at_once() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { suite::conformance(&*store).await })
        })
        .collect();
    for run in runs {
        run.await.unwrap();
    }
}
