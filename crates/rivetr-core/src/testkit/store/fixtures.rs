//! Shared setup: users, teams, projects and apps made for one check, and
//! the `New*` inputs the checks store.

use chrono::Utc;

use super::helpers::{ok, parse, tag};
use crate::access::Scope;
use crate::id::{AppId, DeploymentId, EnvironmentId, TeamId, UserId};
use crate::input::DisplayName;
use crate::model::{
    App, AppSpec, Deployment, DeploymentStatus, DeploymentUpdate, Environment, LogStream,
    NewApiToken, NewApp, NewDeployment, NewDomain, NewEnvVar, NewLogLine, NewProject, NewUser,
    NewVolume, Project, Role, SecretString, Team, TokenScope, Trigger, User,
};
use crate::store::Store;

/// A team made for one check, with a project, its `production`
/// environment and one app.
pub(super) struct World {
    pub(super) team: TeamId,
    pub(super) owner: User,
    pub(super) owner_scope: Scope,
    pub(super) project: Project,
    pub(super) env: Environment,
    pub(super) app: App,
}

pub(super) async fn new_user<S: Store + ?Sized>(store: &S, label: &str) -> User {
    let t = tag();
    let new = NewUser {
        email: parse(&format!("{label}-{t}@example.com")),
        name: parse(&format!("{label}-{t}")),
        instance_admin: false,
    };
    let user = ok(
        store.create_user(&Scope::system(), new.clone()).await,
        "create_user from the system scope",
    );
    assert!(
        user.email == new.email && user.name == new.name && !user.instance_admin,
        "store contract: create_user returns the user as given"
    );
    user
}

pub(super) async fn new_team<S: Store + ?Sized>(store: &S, owner: UserId, label: &str) -> Team {
    let name: DisplayName = parse(&format!("{label}-{}", tag()));
    let team = ok(
        store
            .create_team(&Scope::system(), name.clone(), owner)
            .await,
        "create_team from the system scope",
    );
    assert!(
        team.name == name,
        "store contract: create_team keeps the name"
    );
    team
}

pub(super) async fn new_project<S: Store + ?Sized>(
    store: &S,
    scope: &Scope,
    team: TeamId,
) -> Project {
    let new = NewProject {
        team_id: team,
        name: parse(&format!("project-{}", tag())),
    };
    ok(
        store.create_project(scope, new).await,
        "create_project by the team owner",
    )
}

pub(super) async fn production<S: Store + ?Sized>(
    store: &S,
    scope: &Scope,
    project: &Project,
) -> Environment {
    let envs = ok(
        store.list_environments(scope, project.id).await,
        "list_environments of a new project",
    );
    assert!(
        envs.len() == 1 && envs[0].name.as_str() == "production",
        "store contract: create_project creates exactly one environment, `production`; got {envs:?}"
    );
    assert!(
        envs[0].project_id == project.id && envs[0].team_id == project.team_id,
        "store contract: the first environment belongs to its project and team"
    );
    envs[0].clone()
}

pub(super) fn image_spec(tag: &str) -> AppSpec {
    AppSpec::from_image(parse(&format!("example/web:{tag}")))
}

pub(super) async fn new_app<S: Store + ?Sized>(
    store: &S,
    scope: &Scope,
    env: EnvironmentId,
    label: &str,
) -> App {
    let new = NewApp {
        environment_id: env,
        name: parse(&format!("{label}-{}", tag())),
        spec: image_spec("v1"),
    };
    let app = ok(store.create_app(scope, new.clone()).await, "create_app");
    assert!(
        app.name == new.name && app.spec == new.spec && app.environment_id == env,
        "store contract: create_app returns the app as given"
    );
    app
}

pub(super) async fn world<S: Store + ?Sized>(store: &S, label: &str) -> World {
    let owner = new_user(store, &format!("{label}-owner")).await;
    let team = new_team(store, owner.id, label).await.id;
    let owner_scope = Scope::member(owner.id, team, Role::Owner);
    let project = new_project(store, &owner_scope, team).await;
    let env = production(store, &owner_scope, &project).await;
    let app = new_app(store, &owner_scope, env.id, "web").await;
    World {
        team,
        owner,
        owner_scope,
        project,
        env,
        app,
    }
}

/// A new user who joins `world`'s team with `role`, and their scope.
pub(super) async fn join<S: Store + ?Sized>(store: &S, world: &World, role: Role) -> (User, Scope) {
    let user = new_user(store, role.as_str()).await;
    let membership = ok(
        store
            .set_member(&Scope::system(), world.team, user.id, role)
            .await,
        "set_member from the system scope",
    );
    assert!(
        membership.team_id == world.team
            && membership.user_id == user.id
            && membership.role == role,
        "store contract: set_member returns the membership as set"
    );
    (user.clone(), Scope::member(user.id, world.team, role))
}

pub(super) fn deploy_of(app: AppId) -> NewDeployment {
    NewDeployment {
        app_id: app,
        trigger: Trigger::Manual,
        requested_by: None,
        image: None,
    }
}

pub(super) async fn enqueue<S: Store + ?Sized>(store: &S, scope: &Scope, app: AppId) -> Deployment {
    ok(
        store.enqueue_deployment(scope, deploy_of(app)).await,
        "enqueue_deployment",
    )
}

/// Move a deployment from `from` through `path`.
pub(super) async fn advance<S: Store + ?Sized>(
    store: &S,
    scope: &Scope,
    id: DeploymentId,
    mut from: DeploymentStatus,
    path: &[DeploymentStatus],
) -> Deployment {
    let mut last = None;
    for &to in path {
        let moved = ok(
            store
                .transition_deployment(scope, id, from, DeploymentUpdate::to(to))
                .await,
            &format!("transition_deployment {from} → {to} (allowed by the status machine)"),
        );
        assert!(
            moved.status == to,
            "store contract: transition_deployment returns the deployment in its new status"
        );
        from = to;
        last = Some(moved);
    }
    last.unwrap_or_else(|| panic!("testkit: advance needs a non-empty path"))
}

pub(super) fn log_lines(texts: &[&str]) -> Vec<NewLogLine> {
    texts
        .iter()
        .map(|text| NewLogLine {
            at: Utc::now(),
            step: DeploymentStatus::Building,
            stream: LogStream::Stdout,
            text: (*text).to_owned(),
        })
        .collect()
}

pub(super) fn env_var(app: AppId, key: &str, value: &str, secret: bool) -> NewEnvVar {
    NewEnvVar {
        app_id: app,
        key: parse(key),
        value: SecretString::new(value),
        secret,
    }
}

pub(super) fn domain(app: AppId, host: &str) -> NewDomain {
    NewDomain {
        app_id: app,
        host: parse(host),
        force_https: true,
        redirect_to: None,
        basic_auth: None,
    }
}

pub(super) fn volume(app: AppId, name: &str) -> NewVolume {
    NewVolume {
        app_id: app,
        name: parse(name),
        mount_path: parse("/data"),
    }
}

pub(super) fn token(user: UserId, team: TeamId, scope: TokenScope) -> NewApiToken {
    NewApiToken {
        user_id: user,
        team_id: team,
        name: parse(&format!("token-{}", tag())),
        scope,
        token_hash: format!("sha256-{}-{}", tag(), tag()),
        expires_at: None,
    }
}

/// The env vars an app's members see, as `(key, value)` pairs.
pub(super) async fn env_seen<S: Store + ?Sized>(
    store: &S,
    scope: &Scope,
    app: AppId,
) -> Vec<(String, Option<String>)> {
    let vars = ok(store.list_env_vars(scope, app).await, "list_env_vars");
    vars.iter()
        .map(|v| {
            (
                v.key.as_str().to_owned(),
                v.value.as_ref().map(|s| s.expose().to_owned()),
            )
        })
        .collect()
}
