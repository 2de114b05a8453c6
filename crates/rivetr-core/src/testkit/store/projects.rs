//! The `projects` check of the store conformance suite.

use super::fixtures::{new_project, production, world};
use super::helpers::{conflict, ids, not_found, nothing, ok, parse};
use crate::id::{EnvironmentId, ProjectId};
use crate::input::DisplayName;
use crate::model::NewProject;
use crate::store::Store;

/// Projects and environments: the first `production` environment, name
/// uniqueness per team and per project, ordering, not-found, and
/// `delete_project` refusing while apps remain.
pub async fn projects<S: Store + ?Sized>(store: &S) {
    let w = world(store, "projects").await;
    let owner = &w.owner_scope;

    conflict(
        store
            .create_project(
                owner,
                NewProject {
                    team_id: w.team,
                    name: w.project.name.clone(),
                },
            )
            .await,
        "create_project with a name already used in the team",
    );
    let other = world(store, "projects-other").await;
    ok(
        store
            .create_project(
                &other.owner_scope,
                NewProject {
                    team_id: other.team,
                    name: w.project.name.clone(),
                },
            )
            .await,
        "create_project with a name used only in another team",
    );
    let second = new_project(store, owner, w.team).await;
    assert!(
        second.team_id == w.team,
        "store contract: create_project puts the project in the given team"
    );
    let got = ok(store.get_project(owner, w.project.id).await, "get_project");
    assert!(
        got == w.project,
        "store contract: get_project returns the project as created"
    );
    not_found(
        store.get_project(owner, ProjectId::new()).await,
        "get_project of an unknown project",
    );
    let listed = ok(store.list_projects(owner).await, "list_projects");
    assert!(
        ids(&listed, |p| p.id) == vec![w.project.id, second.id],
        "store contract: list_projects lists the team's projects ordered by creation; got {listed:?}"
    );

    let first_env = production(store, owner, &second).await;
    let staging: DisplayName = parse("staging");
    let env = ok(
        store
            .create_environment(owner, second.id, staging.clone())
            .await,
        "create_environment",
    );
    assert!(
        env.name == staging && env.project_id == second.id && env.team_id == w.team,
        "store contract: create_environment returns the environment as given"
    );
    conflict(
        store
            .create_environment(owner, second.id, staging.clone())
            .await,
        "create_environment with a name already used in the project",
    );
    ok(
        store
            .create_environment(owner, w.project.id, staging.clone())
            .await,
        "create_environment with a name used only in another project",
    );
    let envs = ok(
        store.list_environments(owner, second.id).await,
        "list_environments",
    );
    assert!(
        ids(&envs, |e| e.id) == vec![first_env.id, env.id],
        "store contract: list_environments is ordered by creation; got {envs:?}"
    );
    let got = ok(
        store.get_environment(owner, env.id).await,
        "get_environment",
    );
    assert!(
        got == env,
        "store contract: get_environment returns it as created"
    );
    not_found(
        store.get_environment(owner, EnvironmentId::new()).await,
        "get_environment of an unknown environment",
    );
    not_found(
        store
            .create_environment(owner, ProjectId::new(), staging)
            .await,
        "create_environment in an unknown project",
    );
    nothing(
        store.list_environments(owner, ProjectId::new()).await,
        "list_environments of an unknown project",
    );

    conflict(
        store.delete_project(owner, w.project.id).await,
        "delete_project while it still has apps",
    );
    ok(
        store.get_app(owner, w.app.id).await,
        "a refused delete_project leaves its apps alone",
    );
    ok(store.delete_app(owner, w.app.id).await, "delete_app");
    ok(
        store.delete_project(owner, w.project.id).await,
        "delete_project once its apps are gone",
    );
    not_found(
        store.get_project(owner, w.project.id).await,
        "get_project of a deleted project",
    );
    not_found(
        store.get_environment(owner, w.env.id).await,
        "get_environment of a deleted project's environment",
    );
    let listed = ok(store.list_projects(owner).await, "list_projects");
    assert!(
        ids(&listed, |p| p.id) == vec![second.id],
        "store contract: list_projects no longer lists a deleted project; got {listed:?}"
    );
}
