//! Setup for the platform checks, which need only users, teams and apps
//! (not a whole [`Store`](crate::store::Store)).

use super::helpers::{ok, parse, tag};
use crate::access::Scope;
use crate::id::TeamId;
use crate::model::{App, AppSpec, NewApp, NewProject, NewUser, Role, User};
use crate::store::{AppRepo, ProjectRepo, TeamRepo, UserRepo};

/// A team made for one check, with its owner.
pub(super) struct Crew {
    pub(super) team: TeamId,
    pub(super) owner: User,
    pub(super) owner_scope: Scope,
}

pub(super) async fn user<S: UserRepo + ?Sized>(store: &S, label: &str) -> User {
    let t = tag();
    let new = NewUser {
        email: parse(&format!("{label}-{t}@example.com")),
        name: parse(&format!("{label}-{t}")),
        instance_admin: false,
    };
    ok(
        store.create_user(&Scope::system(), new).await,
        "create_user from the system scope",
    )
}

pub(super) async fn crew<S: TeamRepo + UserRepo + ?Sized>(store: &S, label: &str) -> Crew {
    let owner = user(store, &format!("{label}-owner")).await;
    let name = parse(&format!("{label}-{}", tag()));
    let team = ok(
        store.create_team(&Scope::system(), name, owner.id).await,
        "create_team from the system scope",
    )
    .id;
    Crew {
        team,
        owner_scope: Scope::member(owner.id, team, Role::Owner),
        owner,
    }
}

/// A new member of `crew`'s team with `role`, as a scope.
pub(super) async fn member<S: TeamRepo + UserRepo + ?Sized>(
    store: &S,
    crew: &Crew,
    role: Role,
) -> Scope {
    let user = user(store, role.as_str()).await;
    ok(
        store
            .set_member(&Scope::system(), crew.team, user.id, role)
            .await,
        "set_member from the system scope",
    );
    Scope::member(user.id, crew.team, role)
}

/// A member scope of a team that does not exist: for calls that are the
/// platform's only, where a member of any team must be refused.
pub(super) fn stranger() -> Scope {
    Scope::member(crate::id::UserId::new(), TeamId::new(), Role::Owner)
}

/// A new app in a new project of `crew`'s team (created by its owner).
pub(super) async fn app<S: ProjectRepo + AppRepo + ?Sized>(store: &S, crew: &Crew) -> App {
    let new = NewProject {
        team_id: crew.team,
        name: parse(&format!("project-{}", tag())),
    };
    let project = ok(
        store.create_project(&crew.owner_scope, new).await,
        "create_project by the team owner",
    );
    let envs = ok(
        store.list_environments(&crew.owner_scope, project.id).await,
        "list_environments",
    );
    let Some(env) = envs.first() else {
        panic!("store contract: create_project creates a first environment");
    };
    let new = NewApp {
        environment_id: env.id,
        name: parse(&format!("web-{}", tag())),
        spec: AppSpec::from_image(parse("example/web:v1")),
    };
    ok(
        store.create_app(&crew.owner_scope, new).await,
        "create_app by the team owner",
    )
}
