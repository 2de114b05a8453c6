//! The `scoping` check of the store conformance suite.

use super::fixtures::{
    advance, deploy_of, domain, enqueue, env_seen, env_var, image_spec, join, log_lines, token,
    volume, world,
};
use super::helpers::{denied, ids, none, not_found, nothing, ok, parse, tag};
use crate::access::Scope;
use crate::error::ErrorKind;
use crate::input::EnvKey;
use crate::model::{
    DeploymentStatus, DeploymentUpdate, NewApp, NewProject, Page, Role, TokenScope,
};
use crate::store::Store;

/// Team scoping through every repository method: the owner of team B
/// (the most powerful member scope there is) can neither read nor change
/// anything of team A. Reads of A's rows are `NotFound` (or an empty list
/// / `None`), writes are `NotFound`, lists leave A's rows out; afterwards
/// A's data is checked to be unchanged. A user who belongs to both teams
/// sees only the team their scope acts in.
pub async fn scoping<S: Store + ?Sized>(store: &S) {
    use DeploymentStatus::*;

    let system = Scope::system();
    let a = world(store, "scope-a").await;
    let b = world(store, "scope-b").await;
    let x = &b.owner_scope;
    let (a_dev, _) = join(store, &a, Role::Developer).await;
    let a_owner = &a.owner_scope;

    // Team A's data.
    let a_token = ok(
        store
            .create_token(a_owner, token(a.owner.id, a.team, TokenScope::Admin))
            .await,
        "create_token",
    );
    let live = enqueue(store, a_owner, a.app.id).await;
    advance(
        store,
        a_owner,
        live.id,
        Queued,
        &[Starting, Checking, Switching, Live],
    )
    .await;
    let queued1 = enqueue(store, a_owner, a.app.id).await;
    let queued2 = enqueue(store, a_owner, a.app.id).await;
    ok(
        store
            .append_logs(a_owner, queued1.id, log_lines(&["secret build output"]))
            .await,
        "append_logs",
    );
    ok(
        store
            .set_env_var(a_owner, env_var(a.app.id, "SECRET", "hunter2", true))
            .await,
        "set_env_var",
    );
    let a_domain = ok(
        store
            .add_domain(a_owner, domain(a.app.id, &format!("{}.example.com", tag())))
            .await,
        "add_domain",
    );
    let a_volume = ok(
        store
            .create_volume(a_owner, volume(a.app.id, &format!("a-{}", tag())))
            .await,
        "create_volume",
    );
    let a_members = ok(store.list_members(&system, a.team).await, "list_members");
    let a_key: EnvKey = parse("SECRET");
    let cross = |what: &str| format!("{what} of another team's resource");

    // Teams, members, users.
    not_found(store.get_team(x, a.team).await, &cross("get_team"));
    let teams = ok(store.list_teams(x).await, "list_teams");
    assert!(
        teams.iter().all(|t| t.id != a.team),
        "store contract: list_teams leaves other teams out"
    );
    nothing(store.list_members(x, a.team).await, &cross("list_members"));
    not_found(
        store.set_member(x, a.team, b.owner.id, Role::Owner).await,
        &cross("set_member (joining another team)"),
    );
    not_found(
        store.set_member(x, a.team, a_dev.id, Role::Viewer).await,
        &cross("set_member"),
    );
    not_found(
        store.remove_member(x, a.team, a_dev.id).await,
        &cross("remove_member"),
    );
    not_found(store.delete_team(x, a.team).await, &cross("delete_team"));
    not_found(store.get_user(x, a.owner.id).await, &cross("get_user"));
    denied(
        store.teams_of_user(x, a.owner.id).await,
        &cross("teams_of_user"),
    );
    denied(
        store.create_team(x, parse("hijack"), a.owner.id).await,
        "create_team naming another team's owner",
    );
    not_found(
        store.scope_for(b.owner.id, a.team).await,
        "scope_for a team the user is not in",
    );

    // Tokens.
    not_found(
        store
            .create_token(x, token(b.owner.id, a.team, TokenScope::Admin))
            .await,
        &cross("create_token (in another team)"),
    );
    not_found(
        store
            .create_token(x, token(a.owner.id, a.team, TokenScope::Admin))
            .await,
        &cross("create_token (for another team's member)"),
    );
    let tokens = ok(store.list_tokens(x).await, "list_tokens");
    assert!(
        tokens.iter().all(|t| t.team_id != a.team),
        "store contract: list_tokens leaves other teams' tokens out"
    );
    not_found(
        store.revoke_token(x, a_token.id).await,
        &cross("revoke_token"),
    );

    // Projects and environments.
    not_found(
        store
            .create_project(
                x,
                NewProject {
                    team_id: a.team,
                    name: parse(&format!("p-{}", tag())),
                },
            )
            .await,
        &cross("create_project (in another team)"),
    );
    not_found(
        store.get_project(x, a.project.id).await,
        &cross("get_project"),
    );
    let projects = ok(store.list_projects(x).await, "list_projects");
    assert!(
        projects.iter().all(|p| p.team_id != a.team),
        "store contract: list_projects leaves other teams' projects out"
    );
    not_found(
        store.delete_project(x, a.project.id).await,
        &cross("delete_project"),
    );
    not_found(
        store
            .create_environment(x, a.project.id, parse("staging"))
            .await,
        &cross("create_environment"),
    );
    not_found(
        store.get_environment(x, a.env.id).await,
        &cross("get_environment"),
    );
    nothing(
        store.list_environments(x, a.project.id).await,
        &cross("list_environments"),
    );

    // Apps.
    not_found(
        store
            .create_app(
                x,
                NewApp {
                    environment_id: a.env.id,
                    name: parse(&format!("intruder-{}", tag())),
                    spec: image_spec("v1"),
                },
            )
            .await,
        &cross("create_app (in another team's environment)"),
    );
    not_found(store.get_app(x, a.app.id).await, &cross("get_app"));
    let apps = ok(store.list_apps(x, None).await, "list_apps");
    assert!(
        apps.iter().all(|app| app.team_id != a.team),
        "store contract: list_apps leaves other teams' apps out"
    );
    nothing(
        store.list_apps(x, Some(a.project.id)).await,
        &cross("list_apps"),
    );
    not_found(
        store.update_app_spec(x, a.app.id, image_spec("evil")).await,
        &cross("update_app_spec"),
    );
    not_found(store.delete_app(x, a.app.id).await, &cross("delete_app"));

    // Deployments and logs.
    not_found(
        store.enqueue_deployment(x, deploy_of(a.app.id)).await,
        &cross("enqueue_deployment"),
    );
    not_found(
        store.get_deployment(x, live.id).await,
        &cross("get_deployment"),
    );
    nothing(
        store.list_deployments(x, a.app.id, Page::first(10)).await,
        &cross("list_deployments"),
    );
    not_found(
        store
            .transition_deployment(x, queued2.id, Queued, DeploymentUpdate::to(Cancelled))
            .await,
        &cross("transition_deployment"),
    );
    match store.take_next_queued(x, a.app.id).await {
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        other => panic!(
            "store contract: take_next_queued of another team's app: expected NotFound, got {other:?}"
        ),
    }
    let unfinished = ok(store.list_unfinished(x).await, "list_unfinished");
    assert!(
        unfinished.iter().all(|d| d.team_id != a.team),
        "store contract: list_unfinished leaves other teams' deployments out"
    );
    none(
        store.live_deployment(x, a.app.id).await,
        &cross("live_deployment"),
    );
    not_found(
        store
            .append_logs(x, queued1.id, log_lines(&["injected"]))
            .await,
        &cross("append_logs"),
    );
    nothing(
        store.read_logs(x, queued1.id, 0, 100).await,
        &cross("read_logs"),
    );

    // Env vars, domains, volumes.
    not_found(
        store
            .set_env_var(x, env_var(a.app.id, "SECRET", "pwned", false))
            .await,
        &cross("set_env_var"),
    );
    nothing(
        store.list_env_vars(x, a.app.id).await,
        &cross("list_env_vars"),
    );
    not_found(
        store.delete_env_var(x, a.app.id, &a_key).await,
        &cross("delete_env_var"),
    );
    not_found(
        store
            .add_domain(x, domain(a.app.id, &format!("{}.example.com", tag())))
            .await,
        &cross("add_domain"),
    );
    nothing(
        store.list_domains(x, Some(a.app.id)).await,
        &cross("list_domains"),
    );
    let domains = ok(store.list_domains(x, None).await, "list_domains");
    assert!(
        domains.iter().all(|d| d.team_id != a.team),
        "store contract: list_domains(None) leaves other teams' domains out"
    );
    not_found(
        store.remove_domain(x, a_domain.id).await,
        &cross("remove_domain"),
    );
    not_found(
        store
            .create_volume(x, volume(a.app.id, &format!("v-{}", tag())))
            .await,
        &cross("create_volume"),
    );
    nothing(
        store.list_volumes(x, a.app.id).await,
        &cross("list_volumes"),
    );
    not_found(
        store.delete_volume(x, a_volume.id).await,
        &cross("delete_volume"),
    );

    // A member of both teams sees only the team the scope acts in.
    ok(
        store
            .set_member(&system, b.team, a.owner.id, Role::Viewer)
            .await,
        "set_member",
    );
    let both = Scope::member(a.owner.id, b.team, Role::Viewer);
    not_found(
        store.get_app(&both, a.app.id).await,
        "get_app of the user's other team through a scope acting in this team",
    );
    let projects = ok(store.list_projects(&both).await, "list_projects");
    assert!(
        ids(&projects, |p| p.id) == vec![b.project.id],
        "store contract: list_projects shows only the acting team's projects, even to a member of several teams"
    );

    // Nothing of team A changed.
    ok(store.get_team(&system, a.team).await, "team A still exists");
    let members = ok(store.list_members(&system, a.team).await, "list_members");
    assert!(
        members == a_members,
        "store contract: team A's members are unchanged after refused cross-team calls"
    );
    let found = ok(
        store.find_token_by_hash(&system, &a_token.token_hash).await,
        "find_token_by_hash",
    );
    assert!(
        found.as_ref() == Some(&a_token),
        "store contract: team A's token is unchanged"
    );
    let projects = ok(store.list_projects(a_owner).await, "list_projects");
    assert!(
        projects == vec![a.project.clone()],
        "store contract: team A's projects are unchanged; got {projects:?}"
    );
    let app = ok(store.get_app(&system, a.app.id).await, "get_app");
    assert!(app == a.app, "store contract: team A's app is unchanged");
    let envs = ok(
        store.list_environments(&system, a.project.id).await,
        "list_environments",
    );
    assert!(
        envs == vec![a.env.clone()],
        "store contract: team A's environments are unchanged"
    );
    for (d, status) in [(&live, Live), (&queued1, Queued), (&queued2, Queued)] {
        let got = ok(store.get_deployment(&system, d.id).await, "get_deployment");
        assert!(
            got.status == status,
            "store contract: team A's deployment #{} is still {status}; got {}",
            got.number,
            got.status
        );
    }
    let listed = ok(
        store
            .list_deployments(&system, a.app.id, Page::first(10))
            .await,
        "list_deployments",
    );
    assert!(
        listed.len() == 3,
        "store contract: no deployment was added to team A's app"
    );
    let lines = ok(
        store.read_logs(&system, queued1.id, 0, 100).await,
        "read_logs",
    );
    assert!(
        lines.len() == 1 && lines[0].text == "secret build output",
        "store contract: team A's logs are unchanged"
    );
    let vars = env_seen(store, &system, a.app.id).await;
    assert!(
        vars == vec![("SECRET".to_owned(), Some("hunter2".to_owned()))],
        "store contract: team A's env vars are unchanged; got {vars:?}"
    );
    let domains = ok(
        store.list_domains(&system, Some(a.app.id)).await,
        "list_domains",
    );
    assert!(
        domains == vec![a_domain],
        "store contract: team A's domains are unchanged"
    );
    let volumes = ok(store.list_volumes(&system, a.app.id).await, "list_volumes");
    assert!(
        volumes == vec![a_volume],
        "store contract: team A's volumes are unchanged"
    );
}
