//! Several deployments requested at once.

use rivetr_core::memory::BuilderOp;
use rivetr_core::model::DeploymentStatus::*;

use crate::{Harness, V1, V2, V3, upstreams};

#[tokio::test]
async fn the_newest_request_wins_and_older_queued_ones_are_superseded() {
    let h = Harness::new().await;
    let stall = h.world.builder.faults().stall(BuilderOp::Build);
    h.push(V1);
    let first = h.deploy().await;
    stall.reached().await;

    // While #1 builds, three more requests arrive.
    h.push(V2);
    let second = h.deploy().await;
    let third = h.deploy().await;
    h.push(V3);
    let newest = h.deploy().await;
    assert_eq!(
        [first.number, second.number, third.number, newest.number],
        [1, 2, 3, 4]
    );
    stall.release();

    let newest = h.settle(newest.id).await;
    assert_eq!(newest.status, Live, "the newest request ends live");
    assert_eq!(
        h.get(first.id).await.status,
        Replaced,
        "the one already running finished first"
    );
    for older in [second.id, third.id] {
        let d = h.get(older).await;
        assert_eq!(d.status, Superseded, "queued #{} is superseded", d.number);
        assert!(d.reason.unwrap_or_default().contains("#4"));
        assert!(
            h.logs(older).await.is_empty(),
            "a superseded deployment never ran"
        );
    }
    assert_eq!(h.routed(), upstreams(&newest));
    assert!(h.log_text(newest.id).await.contains("LABEL log=v3"));
}

#[tokio::test]
async fn deployments_of_one_app_never_overlap() {
    use rivetr_core::model::Event;
    let h = Harness::new().await;
    let mut events = h.engine.subscribe();
    h.push(V1);
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(h.deploy().await.id);
    }
    let last = *ids.last().unwrap();
    h.settle(last).await;
    // Replay the events: at no point are two deployments in flight.
    let mut in_flight = std::collections::HashSet::new();
    let mut max = 0;
    while let Ok(event) = events.try_recv() {
        if let Event::DeploymentChanged {
            deployment_id,
            status,
            ..
        } = event
        {
            if status.is_in_flight() {
                in_flight.insert(deployment_id);
            } else {
                in_flight.remove(&deployment_id);
            }
            max = max.max(in_flight.len());
        }
    }
    assert_eq!(max, 1, "one deployment at a time per app");
    assert_eq!(h.get(last).await.status, Live);
}
