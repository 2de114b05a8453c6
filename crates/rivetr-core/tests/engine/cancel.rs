//! Cancellation in every step: the new version's containers go, the old
//! version keeps serving.

use rivetr_core::ErrorKind;
use rivetr_core::memory::{BuilderOp, RuntimeOp, SourceOp, Stall};
use rivetr_core::model::DeploymentStatus::{self, *};

use crate::{Harness, V1, V2, container_ids, upstreams};

/// Deploy V2 with `stall` in place, cancel it once it waits in `step`, and
/// check the old version is untouched.
async fn cancel_while_stalled(h: &Harness, stall: &Stall, step: DeploymentStatus) {
    let v1 = h.get(h.live_id().await).await;
    h.push(V2);
    let d = h.deploy().await;
    stall.reached().await;
    let waiting = h.reach(d.id, step).await;
    assert_eq!(waiting.status, step);

    h.engine
        .cancel(&h.scope, d.id)
        .await
        .expect("cancel is accepted");
    let cancelled = h.settle(d.id).await;
    assert_eq!(cancelled.status, Cancelled, "cancelled during {step}");
    let reason = cancelled.reason.clone().unwrap_or_default();
    assert!(
        reason.contains(step.as_str()),
        "the reason names the step: {reason}"
    );
    stall.release();

    assert_eq!(
        h.get(v1.id).await.status,
        Live,
        "the old version stays live"
    );
    assert_eq!(h.routed(), upstreams(&v1), "and keeps its traffic");
    assert_eq!(
        h.container_ids(),
        container_ids(&v1),
        "no new container is left"
    );
    assert!(h.log_text(d.id).await.contains("Deployment cancelled"));
}

impl Harness {
    pub(crate) async fn live_id(&self) -> rivetr_core::id::DeploymentId {
        use rivetr_core::store::DeploymentRepo;
        self.world
            .store
            .live_deployment(&self.scope, self.app.id)
            .await
            .unwrap()
            .expect("a live deployment")
            .id
    }
}

#[tokio::test]
async fn cancel_while_fetching() {
    let h = Harness::new().await;
    h.ship(V1).await;
    let stall = h.world.source.faults().stall(SourceOp::Fetch);
    cancel_while_stalled(&h, &stall, Fetching).await;
}

#[tokio::test]
async fn cancel_while_building() {
    let h = Harness::new().await;
    h.ship(V1).await;
    let stall = h.world.builder.faults().stall(BuilderOp::Build);
    cancel_while_stalled(&h, &stall, Building).await;
}

#[tokio::test]
async fn cancel_while_starting() {
    let h = Harness::new().await;
    h.ship(V1).await;
    let stall = h.world.runtime.faults().stall(RuntimeOp::CreateContainer);
    cancel_while_stalled(&h, &stall, Starting).await;
}

#[tokio::test]
async fn cancel_while_checking() {
    let h = Harness::new().await;
    h.ship(V1).await;
    let stall = h.world.runtime.faults().stall(RuntimeOp::CheckHealth);
    cancel_while_stalled(&h, &stall, Checking).await;
}

#[tokio::test]
async fn cancel_while_switching_points_traffic_back() {
    let h = Harness::new().await;
    let v1 = h.ship(V1).await;
    // A request in flight on v1 keeps the switch draining.
    let host = crate::HOST.parse().unwrap();
    let held = h.routes.hold(&host).expect("the host resolves");
    assert_eq!(Some(held.upstream()), upstreams(&v1).first().copied());

    h.push(V2);
    let d = h.deploy().await;
    h.reach(d.id, Switching).await;
    // The swap happened: new requests already go to v2 while v1 drains.
    tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while h.routed() == upstreams(&v1) {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the table swaps before draining");

    h.engine.cancel(&h.scope, d.id).await.unwrap();
    let cancelled = h.settle(d.id).await;
    assert_eq!(cancelled.status, Cancelled);
    assert_eq!(h.routed(), upstreams(&v1), "traffic is pointed back at v1");
    assert_eq!(h.get(v1.id).await.status, Live);
    assert_eq!(h.container_ids(), container_ids(&v1));
    drop(held);
}

#[tokio::test]
async fn cancel_a_queued_deployment_before_it_starts() {
    let h = Harness::new().await;
    h.ship(V1).await;
    let stall = h.world.builder.faults().stall(BuilderOp::Build);
    h.push(V2);
    let running = h.deploy().await;
    stall.reached().await;
    let queued = h.deploy().await;
    let cancelled = h.engine.cancel(&h.scope, queued.id).await.unwrap();
    assert_eq!(
        cancelled.status, Cancelled,
        "a queued deployment is cancelled at once"
    );
    stall.release();
    assert_eq!(h.settle(running.id).await.status, Live);
    assert_eq!(h.get(queued.id).await.status, Cancelled);
}

#[tokio::test]
async fn cancel_a_finished_deployment_is_a_conflict() {
    let h = Harness::new().await;
    let v1 = h.ship(V1).await;
    let err = h.engine.cancel(&h.scope, v1.id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
}
