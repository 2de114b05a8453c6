//! A crash mid-deploy, then a restart: the reconciler leaves a consistent
//! state.

use std::time::Duration;

use rivetr_core::memory::{MemoryRouteTable, RuntimeOp};
use rivetr_core::model::DeploymentStatus::*;
use rivetr_core::store::DeploymentRepo;

use crate::{Harness, V1, V2, V3, container_ids, routed, upstreams};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn crash_mid_deploy_then_restart_is_consistent() {
    // First life of the server.
    let before = runtime();
    let (h, v1, v2, v3) = before.block_on(async {
        let h = Harness::new().await;
        let v1 = h.ship(V1).await;
        let stall = h.world.runtime.faults().stall(RuntimeOp::CheckHealth);
        h.push(V2);
        let v2 = h.deploy().await;
        stall.reached().await;
        h.reach(v2.id, Checking).await;
        // Another request is queued behind it.
        h.push(V3);
        let v3 = h.deploy().await;
        (h, v1, v2, v3)
    });
    // The process dies: every task stops where it is.
    drop(before);
    let world = h.world.clone();
    let old_routes = h.routes.clone();
    drop(h);
    assert_eq!(
        world.runtime.containers().len(),
        2,
        "v2's container was left running"
    );
    world.runtime.faults().clear(RuntimeOp::CheckHealth);
    // v1's container also died while the server was down.
    let v1_container = v1.containers[0].id.clone();
    world.runtime.crash(&v1_container).unwrap();

    // Second life: a fresh proxy (empty route table), same store and runtime.
    let after = runtime();
    after.block_on(async {
        let routes = MemoryRouteTable::new();
        assert!(routed(&routes).is_empty());
        let scope = rivetr_core::access::Scope::system();
        let engine = world.engine(&routes).await;

        let v2_now = world.store.get_deployment(&scope, v2.id).await.unwrap();
        assert_eq!(
            v2_now.status, Failed,
            "the interrupted deployment is failed"
        );
        assert!(v2_now.reason.unwrap_or_default().contains("interrupted"));

        // The queued deployment survived the crash and runs now.
        let v3_done = tokio::time::timeout(
            Duration::from_secs(20),
            engine.wait_for(&scope, v3.id, |d| {
                d.status == Live || d.status.is_terminal()
            }),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(
            v3_done.status, Live,
            "the durable queue resumes after a restart"
        );
        engine.wait_idle(v3.app_id).await;
        assert_eq!(routed(&routes), upstreams(&v3_done));
        assert_eq!(
            world
                .store
                .get_deployment(&scope, v1.id)
                .await
                .unwrap()
                .status,
            Replaced
        );
        let mut ids: Vec<_> = world
            .runtime
            .containers()
            .into_iter()
            .map(|c| c.id.to_string())
            .collect();
        ids.sort();
        assert_eq!(ids, container_ids(&v3_done), "no orphan is left");
        engine.shutdown().await;
    });
    drop(old_routes);
}

#[test]
fn restart_restores_routes_and_revives_the_live_version() {
    let before = runtime();
    let (world, v1) = before.block_on(async {
        let h = Harness::new().await;
        let v1 = h.ship(V1).await;
        (h.world.clone(), v1)
    });
    drop(before);
    world.runtime.crash(&v1.containers[0].id).unwrap();

    let after = runtime();
    after.block_on(async {
        let routes = MemoryRouteTable::new();
        let engine = world.engine(&routes).await;
        let scope = rivetr_core::access::Scope::system();
        let live = world
            .store
            .live_deployment(&scope, v1.app_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(live.id, v1.id);
        assert_eq!(
            routed(&routes),
            upstreams(&live),
            "routes come back from the store"
        );
        assert!(
            world
                .runtime
                .containers()
                .iter()
                .all(|c| c.state == rivetr_core::runtime::ContainerState::Running),
            "the crashed live container was started again"
        );
        engine.shutdown().await;
    });
}

#[test]
fn a_crash_while_building_leaves_no_work_tree_after_restart() {
    use rivetr_core::memory::BuilderOp;
    let before = runtime();
    let (world, building) = before.block_on(async {
        let h = Harness::new().await;
        let stall = h.world.builder.faults().stall(BuilderOp::Build);
        h.push(V1);
        let d = h.deploy().await;
        stall.reached().await;
        h.reach(d.id, Building).await;
        (h.world.clone(), d)
    });
    drop(before);
    // Dropping the runtime still runs destructors (the work tree may be
    // removed on the way down); a killed process would not. Leave the tree
    // as a hard crash does.
    let tree = world.work_dir.join(building.id.to_string());
    std::fs::create_dir_all(tree.join("src")).unwrap();
    std::fs::write(tree.join("src/main.rs"), "fn main() {}").unwrap();
    world.builder.faults().clear(BuilderOp::Build);

    let after = runtime();
    after.block_on(async {
        let routes = MemoryRouteTable::new();
        let engine = world.engine(&routes).await;
        let scope = rivetr_core::access::Scope::system();
        let d = world
            .store
            .get_deployment(&scope, building.id)
            .await
            .unwrap();
        assert_eq!(d.status, Failed);
        assert_eq!(
            std::fs::read_dir(&world.work_dir).unwrap().count(),
            0,
            "the reconciler removed the leftover work tree"
        );
        engine.shutdown().await;
    });
    let _ = std::fs::remove_dir_all(&world.work_dir);
}
