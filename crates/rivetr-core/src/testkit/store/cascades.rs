//! The `cascades` check of the store conformance suite.

use super::fixtures::{domain, enqueue, env_var, join, log_lines, new_app, token, volume, world};
use super::helpers::{not_found, nothing, ok, parse, tag};
use crate::access::Scope;
use crate::model::{Page, Role, TokenScope};
use crate::store::Store;

/// Deleting cascades: `delete_app` removes the app's deployments, logs,
/// env vars, domains and volume records (freeing the host and volume
/// names); `delete_team` removes everything the team owns (memberships,
/// tokens, projects, environments, apps and all below) but not its users.
pub async fn cascades<S: Store + ?Sized>(store: &S) {
    let system = Scope::system();
    let w = world(store, "cascade").await;
    let owner = &w.owner_scope;
    let app = w.app.id;
    let t = tag();
    let host = format!("{t}.example.com");
    let volume_name = format!("cascade-{t}");

    let d = enqueue(store, owner, app).await;
    ok(
        store.append_logs(owner, d.id, log_lines(&["x"])).await,
        "append_logs",
    );
    ok(
        store
            .set_env_var(owner, env_var(app, "A", "1", false))
            .await,
        "set_env_var",
    );
    let dom = ok(
        store.add_domain(owner, domain(app, &host)).await,
        "add_domain",
    );
    ok(
        store.create_volume(owner, volume(app, &volume_name)).await,
        "create_volume",
    );

    ok(store.delete_app(owner, app).await, "delete_app");
    let gone = |what: &str| format!("delete_app removes the app's {what}");
    not_found(
        store.get_deployment(&system, d.id).await,
        &gone("deployments"),
    );
    nothing(
        store.list_deployments(&system, app, Page::first(10)).await,
        &gone("deployments"),
    );
    nothing(store.read_logs(&system, d.id, 0, 10).await, &gone("logs"));
    nothing(store.list_env_vars(&system, app).await, &gone("env vars"));
    nothing(
        store.list_domains(&system, Some(app)).await,
        &gone("domains"),
    );
    let domains = ok(store.list_domains(&system, None).await, "list_domains");
    assert!(
        domains.iter().all(|x| x.id != dom.id),
        "store contract: {}",
        gone("domains")
    );
    nothing(store.list_volumes(&system, app).await, &gone("volumes"));
    let unfinished = ok(store.list_unfinished(&system).await, "list_unfinished");
    assert!(
        unfinished.iter().all(|x| x.id != d.id),
        "store contract: {}",
        gone("queued deployments")
    );

    // The names are free again.
    let next = new_app(store, owner, w.env.id, "next").await;
    ok(
        store.add_domain(owner, domain(next.id, &host)).await,
        "add_domain of the host of a deleted app",
    );
    ok(
        store
            .create_volume(owner, volume(next.id, &volume_name))
            .await,
        "create_volume with the name of a deleted app's volume",
    );

    // Deleting the team removes everything it owns.
    let (member, _) = join(store, &w, Role::Developer).await;
    let tok = ok(
        store
            .create_token(owner, token(w.owner.id, w.team, TokenScope::Read))
            .await,
        "create_token",
    );
    let d2 = enqueue(store, owner, next.id).await;
    ok(
        store.append_logs(owner, d2.id, log_lines(&["y"])).await,
        "append_logs",
    );
    let staging = ok(
        store
            .create_environment(owner, w.project.id, parse("staging"))
            .await,
        "create_environment",
    );

    ok(
        store.delete_team(owner, w.team).await,
        "delete_team by its owner",
    );
    let gone = |what: &str| format!("delete_team removes the team's {what}");
    not_found(store.get_team(&system, w.team).await, &gone("row"));
    nothing(store.list_members(&system, w.team).await, &gone("members"));
    not_found(
        store.scope_for(member.id, w.team).await,
        &gone("memberships"),
    );
    let teams = ok(
        store.teams_of_user(&system, member.id).await,
        "teams_of_user",
    );
    assert!(teams.is_empty(), "store contract: {}", gone("memberships"));
    let found = ok(
        store.find_token_by_hash(&system, &tok.token_hash).await,
        "find_token_by_hash",
    );
    assert!(found.is_none(), "store contract: {}", gone("tokens"));
    not_found(
        store.get_project(&system, w.project.id).await,
        &gone("projects"),
    );
    not_found(
        store.get_environment(&system, w.env.id).await,
        &gone("environments"),
    );
    not_found(
        store.get_environment(&system, staging.id).await,
        &gone("environments"),
    );
    not_found(store.get_app(&system, next.id).await, &gone("apps"));
    not_found(
        store.get_deployment(&system, d2.id).await,
        &gone("deployments"),
    );
    nothing(store.read_logs(&system, d2.id, 0, 10).await, &gone("logs"));
    nothing(
        store.list_env_vars(&system, next.id).await,
        &gone("env vars"),
    );
    nothing(
        store.list_domains(&system, Some(next.id)).await,
        &gone("domains"),
    );
    nothing(store.list_volumes(&system, next.id).await, &gone("volumes"));
    ok(
        store.get_user(&system, w.owner.id).await,
        "delete_team keeps the users (only memberships go)",
    );

    // The team's names are free again.
    let other = world(store, "cascade-other").await;
    ok(
        store
            .add_domain(&other.owner_scope, domain(other.app.id, &host))
            .await,
        "add_domain of a host of a deleted team",
    );
    ok(
        store
            .create_volume(&other.owner_scope, volume(other.app.id, &volume_name))
            .await,
        "create_volume with a volume name of a deleted team",
    );
}
