//! The `roles` check of the store conformance suite.

use super::fixtures::{
    deploy_of, domain, enqueue, env_var, image_spec, join, log_lines, new_project, new_team,
    volume, world,
};
use super::helpers::{denied, ids, not_found, ok, parse, tag};
use crate::access::Scope;
use crate::id::UserId;
use crate::input::EnvKey;
use crate::model::{
    DeploymentStatus, DeploymentUpdate, NewApp, NewProject, Page, Role, TokenScope,
};
use crate::store::Store;

/// The role matrix of [`Role`] and token narrowing
/// ([`Scope::with_token_scope`]): viewers only read; developers deploy and
/// change apps but not projects, members or secrets; admins do all that
/// but cannot grant or take away ownership or delete the team; owners
/// can; a token never exceeds its owner's role. Refusals are
/// `PermissionDenied` and change nothing.
pub async fn roles<S: Store + ?Sized>(store: &S) {
    use DeploymentStatus::*;

    let w = world(store, "roles").await;
    let owner = &w.owner_scope;
    let app = w.app.id;
    let (viewer_user, viewer) = join(store, &w, Role::Viewer).await;
    let (_, dev) = join(store, &w, Role::Developer).await;
    let (admin_user, admin) = join(store, &w, Role::Admin).await;
    let d = enqueue(store, owner, app).await;
    ok(
        store.append_logs(owner, d.id, log_lines(&["hello"])).await,
        "append_logs",
    );
    ok(
        store
            .set_env_var(owner, env_var(app, "TOKEN", "s3cret", true))
            .await,
        "set_env_var",
    );
    let dom = ok(
        store
            .add_domain(owner, domain(app, &format!("{}.example.com", tag())))
            .await,
        "add_domain",
    );
    let vol = ok(
        store
            .create_volume(owner, volume(app, &format!("roles-{}", tag())))
            .await,
        "create_volume",
    );
    let token_key: EnvKey = parse("TOKEN");

    // Every member reads everything (secret values excepted).
    for (who, scope) in [("a viewer", &viewer), ("a developer", &dev)] {
        let read = |what: &str| format!("{what} by {who} (Read)");
        ok(store.get_team(scope, w.team).await, &read("get_team"));
        ok(
            store.list_members(scope, w.team).await,
            &read("list_members"),
        );
        ok(
            store.get_project(scope, w.project.id).await,
            &read("get_project"),
        );
        ok(
            store.list_environments(scope, w.project.id).await,
            &read("list_environments"),
        );
        ok(
            store.get_environment(scope, w.env.id).await,
            &read("get_environment"),
        );
        ok(store.get_app(scope, app).await, &read("get_app"));
        ok(
            store.get_deployment(scope, d.id).await,
            &read("get_deployment"),
        );
        ok(
            store.list_deployments(scope, app, Page::first(5)).await,
            &read("list_deployments"),
        );
        ok(
            store.live_deployment(scope, app).await,
            &read("live_deployment"),
        );
        let lines = ok(
            store.read_logs(scope, d.id, 0, 10).await,
            &read("read_logs"),
        );
        assert!(lines.len() == 1, "store contract: {who} reads logs");
        let unfinished = ok(store.list_unfinished(scope).await, &read("list_unfinished"));
        assert!(
            unfinished.len() == 1,
            "store contract: {who} sees unfinished deployments"
        );
        let vars = ok(
            store.list_env_vars(scope, app).await,
            &read("list_env_vars"),
        );
        assert!(
            vars.len() == 1 && vars[0].value.is_none(),
            "store contract: {who} sees a secret var without its value"
        );
        let domains = ok(
            store.list_domains(scope, Some(app)).await,
            &read("list_domains"),
        );
        assert!(domains.len() == 1, "store contract: {who} sees domains");
        let volumes = ok(store.list_volumes(scope, app).await, &read("list_volumes"));
        assert!(volumes.len() == 1, "store contract: {who} sees volumes");
        let listed = ok(store.list_apps(scope, None).await, &read("list_apps"));
        assert!(listed.len() == 1, "store contract: {who} sees apps");
        let listed = ok(store.list_projects(scope).await, &read("list_projects"));
        assert!(listed.len() == 1, "store contract: {who} sees projects");
    }

    // A viewer can neither deploy nor change apps.
    let v = &viewer;
    let no = "a viewer";
    denied(
        store.enqueue_deployment(v, deploy_of(app)).await,
        &format!("enqueue_deployment by {no}"),
    );
    denied(
        store
            .transition_deployment(v, d.id, Queued, DeploymentUpdate::to(Fetching))
            .await,
        &format!("transition_deployment by {no}"),
    );
    denied(
        store.take_next_queued(v, app).await,
        &format!("take_next_queued by {no}"),
    );
    denied(
        store.append_logs(v, d.id, log_lines(&["x"])).await,
        &format!("append_logs by {no}"),
    );
    let new_app_in = |env| NewApp {
        environment_id: env,
        name: parse(&format!("app-{}", tag())),
        spec: image_spec("v1"),
    };
    denied(
        store.create_app(v, new_app_in(w.env.id)).await,
        &format!("create_app by {no}"),
    );
    denied(
        store.update_app_spec(v, app, image_spec("v9")).await,
        &format!("update_app_spec by {no}"),
    );
    denied(
        store.delete_app(v, app).await,
        &format!("delete_app by {no}"),
    );
    denied(
        store.set_env_var(v, env_var(app, "X", "1", false)).await,
        &format!("set_env_var by {no}"),
    );
    denied(
        store.delete_env_var(v, app, &token_key).await,
        &format!("delete_env_var by {no}"),
    );
    denied(
        store
            .add_domain(v, domain(app, &format!("{}.example.com", tag())))
            .await,
        &format!("add_domain by {no}"),
    );
    denied(
        store.remove_domain(v, dom.id).await,
        &format!("remove_domain by {no}"),
    );
    denied(
        store
            .create_volume(v, volume(app, &format!("v-{}", tag())))
            .await,
        &format!("create_volume by {no}"),
    );
    denied(
        store.delete_volume(v, vol.id).await,
        &format!("delete_volume by {no}"),
    );

    // A developer deploys and changes apps...
    ok(
        store.enqueue_deployment(&dev, deploy_of(app)).await,
        "enqueue_deployment by a developer",
    );
    ok(
        store.take_next_queued(&dev, app).await,
        "take_next_queued by a developer",
    );
    let dev_app = ok(
        store.create_app(&dev, new_app_in(w.env.id)).await,
        "create_app by a developer",
    );
    ok(
        store
            .update_app_spec(&dev, dev_app.id, image_spec("v2"))
            .await,
        "update_app_spec by a developer",
    );
    ok(
        store.delete_app(&dev, dev_app.id).await,
        "delete_app by a developer",
    );
    // ...but does not manage projects or members.
    let no = "a developer";
    let another_project = || NewProject {
        team_id: w.team,
        name: parse(&format!("project-{}", tag())),
    };
    denied(
        store.create_project(&dev, another_project()).await,
        &format!("create_project by {no}"),
    );
    denied(
        store
            .create_environment(&dev, w.project.id, parse("staging"))
            .await,
        &format!("create_environment by {no}"),
    );
    let empty = new_project(store, owner, w.team).await;
    denied(
        store.delete_project(&dev, empty.id).await,
        &format!("delete_project by {no}"),
    );
    denied(
        store
            .set_member(&dev, w.team, viewer_user.id, Role::Developer)
            .await,
        &format!("set_member by {no}"),
    );
    denied(
        store.remove_member(&dev, w.team, viewer_user.id).await,
        &format!("remove_member by {no}"),
    );
    denied(
        store.delete_team(&dev, w.team).await,
        &format!("delete_team by {no}"),
    );

    // An admin manages projects and members, reveals secrets...
    let admins = ok(
        store.create_project(&admin, another_project()).await,
        "create_project by an admin",
    );
    ok(
        store
            .create_environment(&admin, admins.id, parse("staging"))
            .await,
        "create_environment by an admin",
    );
    ok(
        store.delete_project(&admin, empty.id).await,
        "delete_project by an admin",
    );
    ok(
        store
            .set_member(&admin, w.team, viewer_user.id, Role::Developer)
            .await,
        "set_member by an admin",
    );
    ok(
        store
            .set_member(&admin, w.team, viewer_user.id, Role::Viewer)
            .await,
        "set_member by an admin",
    );
    let vars = ok(
        store.list_env_vars(&admin, app).await,
        "list_env_vars by an admin",
    );
    assert!(
        vars.iter().all(|v| v.value.is_some()),
        "store contract: an admin may reveal secrets"
    );
    // ...but neither grants nor takes away ownership, nor deletes the team.
    let no = "an admin";
    denied(
        store
            .set_member(&admin, w.team, viewer_user.id, Role::Owner)
            .await,
        &format!("set_member granting owner by {no}"),
    );
    denied(
        store
            .set_member(&admin, w.team, admin_user.id, Role::Owner)
            .await,
        &format!("set_member granting owner to oneself by {no}"),
    );
    let (second_owner, _) = join(store, &w, Role::Owner).await;
    denied(
        store
            .set_member(&admin, w.team, second_owner.id, Role::Admin)
            .await,
        &format!("set_member demoting an owner by {no}"),
    );
    denied(
        store.remove_member(&admin, w.team, second_owner.id).await,
        &format!("remove_member of an owner by {no}"),
    );
    denied(
        store.delete_team(&admin, w.team).await,
        &format!("delete_team by {no}"),
    );
    let members = ok(store.list_members(owner, w.team).await, "list_members");
    let roles_now: Vec<(UserId, Role)> = ids(&members, |m| (m.user_id, m.role));
    assert!(
        roles_now.contains(&(second_owner.id, Role::Owner))
            && roles_now.contains(&(viewer_user.id, Role::Viewer))
            && roles_now.contains(&(admin_user.id, Role::Admin)),
        "store contract: refused member changes change nothing; got {roles_now:?}"
    );

    // An owner can.
    ok(
        store
            .set_member(owner, w.team, admin_user.id, Role::Owner)
            .await,
        "set_member granting owner by an owner",
    );
    ok(
        store
            .set_member(owner, w.team, admin_user.id, Role::Admin)
            .await,
        "set_member demoting an owner by an owner",
    );
    ok(
        store.remove_member(owner, w.team, second_owner.id).await,
        "remove_member of an owner by an owner",
    );
    let doomed = new_team(store, w.owner.id, "doomed").await;
    let doomed_owner = Scope::member(w.owner.id, doomed.id, Role::Owner);
    ok(
        store.delete_team(&doomed_owner, doomed.id).await,
        "delete_team by its owner",
    );
    not_found(
        store.get_team(&Scope::system(), doomed.id).await,
        "get_team of a deleted team",
    );

    // Tokens narrow the role, never widen it.
    let read = owner.clone().with_token_scope(TokenScope::Read);
    ok(store.get_app(&read, app).await, "get_app with a read token");
    denied(
        store.enqueue_deployment(&read, deploy_of(app)).await,
        "enqueue_deployment with a read token",
    );
    denied(
        store.create_app(&read, new_app_in(w.env.id)).await,
        "create_app with a read token",
    );
    let deploy = owner.clone().with_token_scope(TokenScope::Deploy);
    ok(
        store.enqueue_deployment(&deploy, deploy_of(app)).await,
        "enqueue_deployment with a deploy token",
    );
    denied(
        store.create_app(&deploy, new_app_in(w.env.id)).await,
        "create_app with a deploy token",
    );
    denied(
        store
            .set_env_var(&deploy, env_var(app, "X", "1", false))
            .await,
        "set_env_var with a deploy token",
    );
    let write = owner.clone().with_token_scope(TokenScope::Write);
    let written = ok(
        store.create_app(&write, new_app_in(w.env.id)).await,
        "create_app with a write token",
    );
    denied(
        store.create_project(&write, another_project()).await,
        "create_project with a write token",
    );
    denied(
        store
            .set_member(&write, w.team, viewer_user.id, Role::Developer)
            .await,
        "set_member with a write token",
    );
    denied(
        store.delete_team(&write, w.team).await,
        "delete_team with a write token",
    );
    let admin_token = owner.clone().with_token_scope(TokenScope::Admin);
    ok(
        store.create_project(&admin_token, another_project()).await,
        "create_project with an admin token",
    );
    ok(
        store.delete_app(&admin_token, written.id).await,
        "delete_app with an admin token",
    );
    let viewer_admin_token = viewer.clone().with_token_scope(TokenScope::Admin);
    denied(
        store
            .enqueue_deployment(&viewer_admin_token, deploy_of(app))
            .await,
        "enqueue_deployment by a viewer with an admin token (a token never exceeds its owner's role)",
    );
    denied(
        store
            .set_env_var(&viewer_admin_token, env_var(app, "X", "1", false))
            .await,
        "set_env_var by a viewer with an admin token",
    );
}
