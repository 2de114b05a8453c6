//! The `deployments` check of the store conformance suite.

use std::collections::BTreeSet;

use super::fixtures::{advance, deploy_of, enqueue, join, new_app, world};
use super::helpers::{conflict, ids, not_found, nothing, ok, parse, tag};
use crate::access::Scope;
use crate::id::{AppId, DeploymentId};
use crate::model::{
    CommitInfo, DeploymentStatus, DeploymentUpdate, Page, Role, RunningContainer, Trigger,
};
use crate::runtime::ContainerId;
use crate::store::Store;

/// Deployments: per-app numbers from 1 that never repeat (also when
/// enqueued concurrently), paging, compare-and-set transitions (stale
/// `from` and forbidden moves are `Conflict` and change nothing),
/// `started_at`/`finished_at`, fields set by updates, `take_next_queued`
/// superseding older queued ones, `list_unfinished`, `live_deployment`.
pub async fn deployments<S: Store + ?Sized>(store: &S) {
    use DeploymentStatus::*;

    let w = world(store, "deploys").await;
    let owner = &w.owner_scope;
    let app = w.app.id;
    let (dev, dev_scope) = join(store, &w, Role::Developer).await;

    let live = ok(store.live_deployment(owner, app).await, "live_deployment");
    assert!(
        live.is_none(),
        "store contract: live_deployment is None before anything went live"
    );
    let taken = ok(store.take_next_queued(owner, app).await, "take_next_queued");
    assert!(
        taken.is_none(),
        "store contract: take_next_queued is Ok(None) when nothing is queued"
    );

    let mut new = deploy_of(app);
    new.requested_by = Some(dev.id);
    new.trigger = Trigger::Webhook {
        provider: "github".to_owned(),
    };
    let d1 = ok(
        store.enqueue_deployment(&dev_scope, new.clone()).await,
        "enqueue_deployment by a developer",
    );
    assert!(
        d1.number == 1
            && d1.status == Queued
            && d1.app_id == app
            && d1.team_id == w.team
            && d1.trigger == new.trigger
            && d1.requested_by == Some(dev.id)
            && d1.reason.is_none()
            && d1.containers.is_empty()
            && d1.started_at.is_none()
            && d1.finished_at.is_none(),
        "store contract: enqueue_deployment stores a Queued deployment numbered 1 for a new app; got {d1:?}"
    );
    not_found(
        store
            .enqueue_deployment(owner, deploy_of(AppId::new()))
            .await,
        "enqueue_deployment for an unknown app",
    );
    let d2 = enqueue(store, owner, app).await;
    let d3 = enqueue(store, owner, app).await;
    assert!(
        d2.number == 2 && d3.number == 3,
        "store contract: deployment numbers count up per app"
    );
    let got = ok(store.get_deployment(owner, d1.id).await, "get_deployment");
    assert!(
        got == d1,
        "store contract: get_deployment returns it as enqueued"
    );
    not_found(
        store.get_deployment(owner, DeploymentId::new()).await,
        "get_deployment of an unknown deployment",
    );

    // Paging, newest first.
    let page = |before, limit| Page { before, limit };
    for (p, want) in [
        (Page::first(10), vec![3, 2, 1]),
        (Page::first(2), vec![3, 2]),
        (page(Some(3), 1), vec![2]),
        (page(Some(2), 5), vec![1]),
        (page(Some(1), 5), vec![]),
    ] {
        let listed = ok(
            store.list_deployments(owner, app, p).await,
            "list_deployments",
        );
        assert!(
            ids(&listed, |d| d.number) == want,
            "store contract: list_deployments({p:?}) gives numbers {want:?} (newest first, before is exclusive); got {:?}",
            ids(&listed, |d| d.number)
        );
    }
    nothing(
        store
            .list_deployments(owner, AppId::new(), Page::first(10))
            .await,
        "list_deployments of an unknown app",
    );

    // Taking the newest queued one supersedes the older ones.
    let taken = ok(store.take_next_queued(owner, app).await, "take_next_queued")
        .unwrap_or_else(|| panic!("store contract: take_next_queued finds a queued deployment"));
    assert!(
        taken.deployment.id == d3.id && taken.deployment.status == Queued,
        "store contract: take_next_queued hands out the newest queued deployment, still Queued"
    );
    let superseded: BTreeSet<_> = taken.superseded.iter().map(|d| d.id).collect();
    assert!(
        superseded == BTreeSet::from([d1.id, d2.id]),
        "store contract: take_next_queued supersedes every older queued deployment"
    );
    for d in [d1.id, d2.id] {
        let got = ok(store.get_deployment(owner, d).await, "get_deployment");
        assert!(
            got.status == Superseded
                && got.reason.as_deref().is_some_and(|r| r.contains("#3"))
                && got.finished_at.is_some(),
            "store contract: a superseded deployment is stored Superseded, with a reason naming #3 and finished_at; got {got:?}"
        );
        assert!(
            taken.superseded.contains(&got),
            "store contract: take_next_queued returns the superseded rows as stored"
        );
    }
    let again = ok(store.take_next_queued(owner, app).await, "take_next_queued")
        .unwrap_or_else(|| panic!("store contract: take_next_queued leaves the taken one Queued"));
    assert!(
        again.deployment.id == d3.id && again.superseded.is_empty(),
        "store contract: take_next_queued leaves the taken deployment Queued until it is moved"
    );

    // Compare-and-set.
    conflict(
        store
            .transition_deployment(owner, d3.id, Fetching, DeploymentUpdate::to(Building))
            .await,
        "transition_deployment with a stale `from`",
    );
    conflict(
        store
            .transition_deployment(owner, d3.id, Queued, DeploymentUpdate::to(Live))
            .await,
        "transition_deployment Queued → Live (forbidden)",
    );
    let got = ok(store.get_deployment(owner, d3.id).await, "get_deployment");
    assert!(
        got == again.deployment,
        "store contract: a refused transition changes nothing"
    );
    not_found(
        store
            .transition_deployment(
                owner,
                DeploymentId::new(),
                Queued,
                DeploymentUpdate::to(Fetching),
            )
            .await,
        "transition_deployment of an unknown deployment",
    );

    // A full run, with the fields each step fills in.
    let fetching = ok(
        store
            .transition_deployment(&dev_scope, d3.id, Queued, DeploymentUpdate::to(Fetching))
            .await,
        "transition_deployment Queued → Fetching",
    );
    assert!(
        fetching.status == Fetching
            && fetching.started_at.is_some()
            && fetching.finished_at.is_none(),
        "store contract: leaving Queued sets started_at (and not finished_at)"
    );
    let commit = CommitInfo {
        sha: "0123456789abcdef0123456789abcdef01234567".to_owned(),
        summary: "Fix the thing".to_owned(),
        author: "Ada".to_owned(),
    };
    let building = ok(
        store
            .transition_deployment(
                owner,
                d3.id,
                Fetching,
                DeploymentUpdate::to(Building).commit(commit.clone()),
            )
            .await,
        "transition_deployment Fetching → Building",
    );
    assert!(
        building.commit.as_ref() == Some(&commit) && building.started_at == fetching.started_at,
        "store contract: transition_deployment stores the commit and keeps started_at"
    );
    let image = parse(&format!("example/web:{}", tag()));
    ok(
        store
            .transition_deployment(
                owner,
                d3.id,
                Building,
                DeploymentUpdate::to(Starting).image(image),
            )
            .await,
        "transition_deployment Building → Starting",
    );
    let containers = vec![RunningContainer {
        id: ContainerId::new(format!("c-{}", tag())),
        address: Some(parse("127.0.0.1:8080")),
    }];
    let checking = ok(
        store
            .transition_deployment(
                owner,
                d3.id,
                Starting,
                DeploymentUpdate::to(Checking).containers(containers.clone()),
            )
            .await,
        "transition_deployment Starting → Checking",
    );
    assert!(
        checking.containers == containers
            && checking.image.is_some()
            && checking.commit.as_ref() == Some(&commit),
        "store contract: fields left None by an update keep their value"
    );
    let live3 = advance(store, owner, d3.id, Checking, &[Switching, Live]).await;
    assert!(
        live3.finished_at.is_some() && live3.containers == containers,
        "store contract: reaching Live sets finished_at"
    );
    let live = ok(store.live_deployment(owner, app).await, "live_deployment");
    assert!(
        live.as_ref() == Some(&live3),
        "store contract: live_deployment returns the Live deployment; got {live:?}"
    );

    // A new version replaces it; an automatic rollback puts it back.
    let d4 = enqueue(store, owner, app).await;
    assert!(
        d4.number == 4,
        "store contract: numbers continue after superseded deployments"
    );
    advance(
        store,
        owner,
        d4.id,
        Queued,
        &[Starting, Checking, Switching, Live],
    )
    .await;
    let replaced = ok(store.get_deployment(owner, d3.id).await, "get_deployment");
    assert!(
        replaced.status == Replaced,
        "store contract: when a deployment goes Live, the app's previously live one becomes Replaced in the same write; got {}",
        replaced.status
    );
    assert!(
        replaced
            .reason
            .as_deref()
            .is_some_and(|r| r.contains(&format!("#{}", d4.number))),
        "store contract: the replaced deployment's reason names its successor; got {:?}",
        replaced.reason
    );
    assert!(
        replaced.finished_at.is_some(),
        "store contract: a Replaced deployment has finished_at"
    );
    // Live → Live refreshes containers without replacing anything.
    let refreshed = ok(
        store
            .transition_deployment(
                owner,
                d4.id,
                Live,
                DeploymentUpdate::to(Live).containers(containers.clone()),
            )
            .await,
        "transition_deployment Live → Live",
    );
    assert!(
        refreshed.status == Live && refreshed.containers == containers,
        "store contract: Live → Live updates the containers and stays Live"
    );
    let live = ok(store.live_deployment(owner, app).await, "live_deployment");
    assert!(
        live.map(|d| d.id) == Some(d4.id),
        "store contract: live_deployment follows the newest Live deployment"
    );
    let rolled = ok(
        store
            .transition_deployment(
                owner,
                d4.id,
                Live,
                DeploymentUpdate::to(RolledBack).reason("health check failed"),
            )
            .await,
        "transition_deployment Live → RolledBack",
    );
    assert!(
        rolled.reason.as_deref() == Some("health check failed"),
        "store contract: transition_deployment stores the reason"
    );
    advance(store, owner, d3.id, Replaced, &[Live]).await;
    let live = ok(store.live_deployment(owner, app).await, "live_deployment");
    assert!(
        live.map(|d| d.id) == Some(d3.id),
        "store contract: Replaced → Live puts the old deployment back live"
    );

    // More statuses, to check every forbidden move and every stale `from`.
    let failed = enqueue(store, owner, app).await;
    advance(store, owner, failed.id, Queued, &[Failed]).await;
    let cancelled = enqueue(store, owner, app).await;
    advance(store, owner, cancelled.id, Queued, &[Fetching, Cancelled]).await;
    let building = enqueue(store, owner, app).await;
    advance(store, owner, building.id, Queued, &[Fetching, Building]).await;
    let queued = enqueue(store, owner, app).await;
    for id in [
        d1.id,
        d3.id,
        d4.id,
        failed.id,
        cancelled.id,
        building.id,
        queued.id,
    ] {
        let before = ok(store.get_deployment(owner, id).await, "get_deployment");
        let status = before.status;
        for to in DeploymentStatus::ALL {
            if !status.can_transition_to(to) {
                conflict(
                    store
                        .transition_deployment(owner, id, status, DeploymentUpdate::to(to))
                        .await,
                    &format!("transition_deployment {status} → {to} (forbidden)"),
                );
            }
        }
        for from in DeploymentStatus::ALL {
            let allowed = DeploymentStatus::ALL
                .into_iter()
                .find(|&to| from.can_transition_to(to));
            if let (true, Some(to)) = (from != status, allowed) {
                conflict(
                    store
                        .transition_deployment(owner, id, from, DeploymentUpdate::to(to))
                        .await,
                    &format!("transition_deployment from {from} of a deployment that is {status}"),
                );
            }
        }
        let after = ok(store.get_deployment(owner, id).await, "get_deployment");
        assert!(
            after == before,
            "store contract: refused transitions change nothing ({status})"
        );
        if status.is_terminal() {
            assert!(
                after.finished_at.is_some(),
                "store contract: a {status} deployment has finished_at"
            );
        }
        if status != Queued && status != Superseded {
            assert!(
                after.started_at.is_some(),
                "store contract: a deployment that left Queued has started_at ({status})"
            );
        }
    }

    // What is unfinished: queued or in flight, oldest first.
    let unfinished = ok(store.list_unfinished(owner).await, "list_unfinished");
    assert!(
        ids(&unfinished, |d| d.id) == vec![building.id, queued.id],
        "store contract: list_unfinished lists Queued and in-flight deployments, oldest first; got {unfinished:?}"
    );
    let all = ok(
        store.list_unfinished(&Scope::system()).await,
        "list_unfinished",
    );
    let first = all.iter().position(|d| d.id == building.id);
    let later = all.iter().position(|d| d.id == queued.id);
    assert!(
        matches!((first, later), (Some(a), Some(b)) if a < b),
        "store contract: list_unfinished by the system includes every team's, oldest first"
    );

    // Concurrent enqueues still get distinct, gap-free numbers.
    let fresh = new_app(store, owner, w.env.id, "burst").await;
    let burst = futures::future::join_all(
        (0..8).map(|_| store.enqueue_deployment(owner, deploy_of(fresh.id))),
    )
    .await;
    let numbers: BTreeSet<u64> = burst
        .into_iter()
        .map(|r| ok(r, "concurrent enqueue_deployment").number)
        .collect();
    assert!(
        numbers == (1..=8).collect(),
        "store contract: concurrent enqueues get numbers 1..=8, each once; got {numbers:?}"
    );
}
