//! The `apps` check of the store conformance suite.

use super::fixtures::{image_spec, new_app, new_project, production, world};
use super::helpers::{conflict, ids, not_found, ok, parse};
use crate::id::{AppId, EnvironmentId};
use crate::model::NewApp;
use crate::store::Store;

/// Apps: name uniqueness per environment, listing by project in creation
/// order, spec updates, deletion.
pub async fn apps<S: Store + ?Sized>(store: &S) {
    let w = world(store, "apps").await;
    let owner = &w.owner_scope;
    assert!(
        w.app.team_id == w.team && w.app.project_id == w.project.id,
        "store contract: create_app takes team and project from the environment"
    );
    let same_name = |env| NewApp {
        environment_id: env,
        name: w.app.name.clone(),
        spec: image_spec("v1"),
    };
    conflict(
        store.create_app(owner, same_name(w.env.id)).await,
        "create_app with a name already used in the environment",
    );
    let staging = ok(
        store
            .create_environment(owner, w.project.id, parse("staging"))
            .await,
        "create_environment",
    );
    let twin = ok(
        store.create_app(owner, same_name(staging.id)).await,
        "create_app with a name used only in another environment",
    );
    not_found(
        store
            .create_app(owner, same_name(EnvironmentId::new()))
            .await,
        "create_app in an unknown environment",
    );
    let got = ok(store.get_app(owner, w.app.id).await, "get_app");
    assert!(
        got == w.app,
        "store contract: get_app returns the app as created"
    );
    not_found(
        store.get_app(owner, AppId::new()).await,
        "get_app of an unknown app",
    );

    let other_project = new_project(store, owner, w.team).await;
    let other_env = production(store, owner, &other_project).await;
    let third = new_app(store, owner, other_env.id, "api").await;
    let listed = ok(store.list_apps(owner, None).await, "list_apps");
    assert!(
        ids(&listed, |a| a.id) == vec![w.app.id, twin.id, third.id],
        "store contract: list_apps lists the team's apps ordered by creation; got {listed:?}"
    );
    let listed = ok(
        store.list_apps(owner, Some(w.project.id)).await,
        "list_apps of a project",
    );
    assert!(
        ids(&listed, |a| a.id) == vec![w.app.id, twin.id],
        "store contract: list_apps of a project lists only that project's apps; got {listed:?}"
    );

    let mut spec = image_spec("v2");
    spec.run.replicas = 2;
    let updated = ok(
        store.update_app_spec(owner, w.app.id, spec.clone()).await,
        "update_app_spec",
    );
    assert!(
        updated.spec == spec
            && updated.name == w.app.name
            && updated.created_at == w.app.created_at
            && updated.updated_at >= w.app.updated_at,
        "store contract: update_app_spec replaces the spec (and only the spec) and moves updated_at"
    );
    let got = ok(store.get_app(owner, w.app.id).await, "get_app");
    assert!(got == updated, "store contract: update_app_spec is stored");
    not_found(
        store.update_app_spec(owner, AppId::new(), spec).await,
        "update_app_spec of an unknown app",
    );

    ok(store.delete_app(owner, twin.id).await, "delete_app");
    not_found(
        store.get_app(owner, twin.id).await,
        "get_app of a deleted app",
    );
    not_found(
        store.delete_app(owner, twin.id).await,
        "delete_app of an unknown (already deleted) app",
    );
    let listed = ok(store.list_apps(owner, None).await, "list_apps");
    assert!(
        ids(&listed, |a| a.id) == vec![w.app.id, third.id],
        "store contract: list_apps no longer lists a deleted app; got {listed:?}"
    );
}
