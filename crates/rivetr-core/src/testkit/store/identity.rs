//! The `identity` check of the store conformance suite.

use super::fixtures::{new_team, new_user};
use super::helpers::{conflict, denied, ids, not_found, ok, parse, tag};
use crate::access::Scope;
use crate::id::{TeamId, UserId};
use crate::input::DisplayName;
use crate::model::{NewUser, Role};
use crate::store::Store;

/// Users, teams and memberships: system-only user calls, e-mail
/// uniqueness, who may create teams, which teams a scope sees, member
/// changes, `scope_for`, and last-owner protection.
pub async fn identity<S: Store + ?Sized>(store: &S) {
    let system = Scope::system();

    // Users.
    let before = ok(store.count_users(&system).await, "count_users");
    let ada = new_user(store, "ada").await;
    let after = ok(store.count_users(&system).await, "count_users");
    assert!(
        after > before,
        "store contract: count_users counts a newly created user ({before} then {after})"
    );
    let again = NewUser {
        email: ada.email.clone(),
        name: parse("someone-else"),
        instance_admin: false,
    };
    conflict(
        store.create_user(&system, again).await,
        "create_user with an e-mail already used",
    );
    let found = ok(
        store.find_user_by_email(&system, &ada.email).await,
        "find_user_by_email",
    );
    assert!(
        found.as_ref() == Some(&ada),
        "store contract: find_user_by_email finds the user with that e-mail; got {found:?}"
    );
    let nobody = parse(&format!("nobody-{}@example.com", tag()));
    let found = ok(
        store.find_user_by_email(&system, &nobody).await,
        "find_user_by_email of an unknown address",
    );
    assert!(
        found.is_none(),
        "store contract: find_user_by_email is Ok(None) for an unknown address"
    );
    let got = ok(
        store.get_user(&system, ada.id).await,
        "get_user by the system",
    );
    assert!(
        got == ada,
        "store contract: get_user returns the user as created"
    );
    not_found(
        store.get_user(&system, UserId::new()).await,
        "get_user of an unknown user",
    );

    // Teams.
    let team = new_team(store, ada.id, "ada").await;
    let ada_scope = Scope::member(ada.id, team.id, Role::Owner);
    let own: DisplayName = parse(&format!("own-{}", tag()));
    let second = ok(
        store.create_team(&ada_scope, own, ada.id).await,
        "create_team by a member naming themself owner",
    );
    let bob = new_user(store, "bob").await;
    denied(
        store
            .create_team(&ada_scope, parse("not-mine"), bob.id)
            .await,
        "create_team by a member for another owner",
    );
    not_found(
        store
            .create_team(&system, parse("ghost"), UserId::new())
            .await,
        "create_team with an unknown owner",
    );
    let members = ok(
        store.list_members(&ada_scope, team.id).await,
        "list_members",
    );
    assert!(
        members.len() == 1 && members[0].user_id == ada.id && members[0].role == Role::Owner,
        "store contract: create_team makes the owner its only member, with role owner; got {members:?}"
    );
    let got = ok(
        store.get_team(&ada_scope, team.id).await,
        "get_team of the own team",
    );
    assert!(
        got == team,
        "store contract: get_team returns the team as created"
    );
    not_found(
        store.get_team(&ada_scope, second.id).await,
        "get_team of a team other than the scope's (even one the user belongs to)",
    );
    not_found(
        store.get_team(&system, TeamId::new()).await,
        "get_team of an unknown team",
    );
    let listed = ok(store.list_teams(&ada_scope).await, "list_teams");
    assert!(
        listed == vec![team.clone()],
        "store contract: list_teams for a member is exactly the acting team; got {listed:?}"
    );
    let all = ok(store.list_teams(&system).await, "list_teams by the system");
    let first = all.iter().position(|t| t.id == team.id);
    let later = all.iter().position(|t| t.id == second.id);
    assert!(
        matches!((first, later), (Some(a), Some(b)) if a < b),
        "store contract: list_teams by the system lists every team, ordered by creation"
    );

    // Which teams a user is in.
    let mine = ok(
        store.teams_of_user(&ada_scope, ada.id).await,
        "teams_of_user of oneself",
    );
    for t in [&team, &second] {
        assert!(
            mine.contains(&(t.clone(), Role::Owner)),
            "store contract: teams_of_user lists every team of the user with its role; got {mine:?}"
        );
    }
    denied(
        store.teams_of_user(&ada_scope, bob.id).await,
        "teams_of_user of someone else from a member scope",
    );
    let bobs = ok(store.teams_of_user(&system, bob.id).await, "teams_of_user");
    assert!(
        bobs.is_empty(),
        "store contract: teams_of_user of a user in no team is empty"
    );

    // Members.
    let joined = ok(
        store
            .set_member(&ada_scope, team.id, bob.id, Role::Developer)
            .await,
        "set_member by an owner",
    );
    assert!(
        joined.team_id == team.id && joined.user_id == bob.id && joined.role == Role::Developer,
        "store contract: set_member returns the membership as set"
    );
    let changed = ok(
        store
            .set_member(&ada_scope, team.id, bob.id, Role::Viewer)
            .await,
        "set_member changing a role",
    );
    assert!(
        changed.role == Role::Viewer,
        "store contract: set_member changes the role"
    );
    let members = ok(
        store.list_members(&ada_scope, team.id).await,
        "list_members",
    );
    assert!(
        ids(&members, |m| (m.user_id, m.role))
            == vec![(ada.id, Role::Owner), (bob.id, Role::Viewer)],
        "store contract: list_members lists each member once, ordered by join time; got {members:?}"
    );
    not_found(
        store
            .set_member(&ada_scope, team.id, UserId::new(), Role::Viewer)
            .await,
        "set_member of an unknown user",
    );
    let bob_scope = ok(store.scope_for(bob.id, team.id).await, "scope_for a member");
    assert!(
        bob_scope == Scope::member(bob.id, team.id, Role::Viewer),
        "store contract: scope_for gives the member's user, team and role; got {bob_scope:?}"
    );
    not_found(
        store.scope_for(bob.id, second.id).await,
        "scope_for a team the user is not in",
    );
    let got = ok(
        store.get_user(&bob_scope, ada.id).await,
        "get_user of a teammate",
    );
    assert!(got.id == ada.id, "store contract: get_user shows teammates");

    // Users outside one's teams are invisible.
    let carol = new_user(store, "carol").await;
    let carols = new_team(store, carol.id, "carol").await;
    let carol_scope = Scope::member(carol.id, carols.id, Role::Owner);
    not_found(
        store.get_user(&carol_scope, ada.id).await,
        "get_user of someone sharing no team with the scope",
    );
    ok(
        store.get_user(&carol_scope, carol.id).await,
        "get_user of oneself",
    );

    // System-only calls.
    let new = NewUser {
        email: parse(&format!("mallory-{}@example.com", tag())),
        name: parse("mallory"),
        instance_admin: true,
    };
    denied(
        store.create_user(&ada_scope, new).await,
        "create_user from a member scope",
    );
    denied(
        store.find_user_by_email(&ada_scope, &ada.email).await,
        "find_user_by_email from a member scope",
    );
    denied(
        store.count_users(&ada_scope).await,
        "count_users from a member scope",
    );

    // Last-owner protection.
    conflict(
        store
            .set_member(&ada_scope, team.id, ada.id, Role::Admin)
            .await,
        "set_member demoting the last owner",
    );
    conflict(
        store.remove_member(&ada_scope, team.id, ada.id).await,
        "remove_member of the last owner",
    );
    ok(
        store
            .set_member(&ada_scope, team.id, bob.id, Role::Owner)
            .await,
        "set_member granting owner, by an owner",
    );
    ok(
        store
            .set_member(&ada_scope, team.id, ada.id, Role::Admin)
            .await,
        "set_member demoting an owner while another owner remains",
    );

    // Removing members.
    not_found(
        store.remove_member(&system, team.id, carol.id).await,
        "remove_member of a user who is not a member",
    );
    ok(
        store.remove_member(&system, team.id, ada.id).await,
        "remove_member",
    );
    not_found(
        store.scope_for(ada.id, team.id).await,
        "scope_for a removed member",
    );
    let members = ok(store.list_members(&system, team.id).await, "list_members");
    assert!(
        ids(&members, |m| m.user_id) == vec![bob.id],
        "store contract: remove_member removes the membership; got {members:?}"
    );
}
