//! Setup for the platform checks, which need only users and teams (not a
//! whole [`Store`](crate::store::Store)).

use super::helpers::{ok, parse, tag};
use crate::access::Scope;
use crate::id::TeamId;
use crate::model::{NewUser, Role, User};
use crate::store::{TeamRepo, UserRepo};

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
