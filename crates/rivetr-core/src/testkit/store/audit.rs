//! The `audit` check of the store conformance suite.

use serde_json::json;

use super::helpers::{denied, ids, not_found, ok, parse, refused, tag};
use super::platform_fixtures::{crew, member};
use crate::access::Scope;
use crate::error::ErrorKind;
use crate::id::TeamId;
use crate::model::{AuditEntry, NewAuditEntry, Page, Role};
use crate::store::{AuditRepo, TeamRepo, UserRepo};

fn entry(team: Option<TeamId>, action: &str) -> NewAuditEntry {
    NewAuditEntry {
        team_id: team,
        action: parse(action),
        target: format!("app web-{}", tag()),
        detail: json!({ "from": "testkit" }),
    }
}

/// The audit log: the actor comes from the scope; members record only in
/// their own team; reading needs `ManageMembers` and shows only the own
/// team; instance-level entries are the platform's; newest-first keyset
/// pages by `seq`; entries outlive their team.
pub async fn audit<S: AuditRepo + TeamRepo + UserRepo + ?Sized>(store: &S) {
    let system = Scope::system();
    let a = crew(store, "audit-a").await;
    let b = crew(store, "audit-b").await;
    let viewer = member(store, &a, Role::Viewer).await;
    let dev = member(store, &a, Role::Developer).await;
    let admin = member(store, &a, Role::Admin).await;
    let owner = &a.owner_scope;

    // Recording.
    let new = entry(Some(a.team), "env_var.reveal");
    let first = ok(
        store.record_audit(owner, new.clone()).await,
        "record_audit by an owner",
    );
    assert!(
        first.team_id == Some(a.team)
            && first.actor == Some(a.owner.id)
            && first.action == new.action
            && first.target == new.target
            && first.detail == new.detail,
        "store contract: record_audit stores the entry as given, with the scope's user as actor; got {first:?}"
    );
    let by_viewer = ok(
        store
            .record_audit(&viewer, entry(Some(a.team), "session.sign_in"))
            .await,
        "record_audit by a viewer in their own team",
    );
    assert!(
        by_viewer.actor == viewer.user() && by_viewer.seq > first.seq,
        "store contract: record_audit takes the actor from the scope and numbers entries upwards; \
         got {by_viewer:?} after seq {}",
        first.seq
    );
    let by_system = ok(
        store
            .record_audit(&system, entry(Some(a.team), "deployment.fail"))
            .await,
        "record_audit by the system in a team",
    );
    assert!(
        by_system.actor.is_none() && by_system.seq > by_viewer.seq,
        "store contract: an entry recorded by the system has no actor; got {by_system:?}"
    );
    let instance = ok(
        store
            .record_audit(&system, entry(None, "settings.change"))
            .await,
        "record_audit of an instance-level entry by the system",
    );
    assert!(
        instance.team_id.is_none() && instance.actor.is_none(),
        "store contract: an instance-level entry has no team; got {instance:?}"
    );
    denied(
        store
            .record_audit(owner, entry(None, "settings.change"))
            .await,
        "record_audit of an instance-level entry by a member",
    );
    not_found(
        store
            .record_audit(owner, entry(Some(b.team), "app.delete"))
            .await,
        "record_audit in another team",
    );
    not_found(
        store
            .record_audit(&system, entry(Some(TeamId::new()), "app.delete"))
            .await,
        "record_audit in an unknown team",
    );
    let mut long = entry(Some(a.team), "app.delete");
    long.target = "x".repeat(257);
    refused(
        store.record_audit(owner, long).await,
        ErrorKind::InvalidInput,
        "record_audit with a target over 256 characters is InvalidInput",
    );
    let mut two_lines = entry(Some(a.team), "app.delete");
    two_lines.target = "web\nforged entry".to_owned();
    refused(
        store.record_audit(owner, two_lines).await,
        ErrorKind::InvalidInput,
        "record_audit with a control character in the target is InvalidInput",
    );
    let in_b = ok(
        store
            .record_audit(&b.owner_scope, entry(Some(b.team), "member.remove"))
            .await,
        "record_audit in the own team",
    );

    // Reading.
    let page = Page::first(100);
    let listed = ok(
        store.list_audit(owner, Some(a.team), page).await,
        "list_audit by an owner",
    );
    let want = vec![by_system.clone(), by_viewer.clone(), first.clone()];
    assert!(
        listed == want,
        "store contract: list_audit lists exactly the team's entries, newest first; got {listed:?}"
    );
    let by_admin = ok(
        store.list_audit(&admin, Some(a.team), page).await,
        "list_audit by an admin (ManageMembers)",
    );
    assert!(
        by_admin == want,
        "store contract: an admin reads the team's audit log"
    );
    denied(
        store.list_audit(&viewer, Some(a.team), page).await,
        "list_audit by a viewer",
    );
    denied(
        store.list_audit(&dev, Some(a.team), page).await,
        "list_audit by a developer",
    );
    not_found(
        store.list_audit(owner, Some(b.team), page).await,
        "list_audit of another team",
    );
    denied(
        store.list_audit(owner, None, page).await,
        "list_audit of instance-level entries by a member",
    );
    let instance_log = ok(
        store.list_audit(&system, None, Page::first(1000)).await,
        "list_audit of instance-level entries by the system",
    );
    assert!(
        instance_log.iter().all(|e| e.team_id.is_none())
            && instance_log.iter().any(|e| e.id == instance.id),
        "store contract: list_audit with no team lists the instance-level entries only"
    );
    let b_log = ok(
        store.list_audit(&system, Some(b.team), page).await,
        "list_audit of a team by the system",
    );
    assert!(
        b_log == vec![in_b.clone()],
        "store contract: list_audit of a team lists only that team's entries; got {b_log:?}"
    );

    // Pages.
    let top = ok(
        store.list_audit(owner, Some(a.team), Page::first(2)).await,
        "list_audit",
    );
    assert!(
        ids(&top, |e: &AuditEntry| e.seq) == vec![by_system.seq, by_viewer.seq],
        "store contract: list_audit returns at most `limit` entries, the newest; got {top:?}"
    );
    let next = Page {
        before: Some(by_viewer.seq),
        limit: 2,
    };
    let rest = ok(
        store.list_audit(owner, Some(a.team), next).await,
        "list_audit",
    );
    assert!(
        rest == vec![first.clone()],
        "store contract: list_audit with `before` lists entries with a lower seq; got {rest:?}"
    );
    refused(
        store.list_audit(owner, Some(a.team), Page::first(0)).await,
        ErrorKind::InvalidInput,
        "list_audit with limit 0 is InvalidInput",
    );

    // Entries outlive their team.
    ok(
        store.delete_team(owner, a.team).await,
        "delete_team by its owner",
    );
    let kept = ok(
        store.list_audit(&system, Some(a.team), page).await,
        "list_audit of a deleted team by the system",
    );
    assert!(
        kept == want,
        "store contract: a deleted team's audit entries are kept; got {kept:?}"
    );
}
