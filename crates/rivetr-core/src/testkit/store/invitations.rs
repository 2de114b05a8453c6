//! The `invitations` check of the store conformance suite.

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};

use super::helpers::{conflict, denied, ids, not_found, ok, parse, refused, tag};
use super::platform_fixtures::{Crew, crew, member, user};
use crate::access::Scope;
use crate::error::ErrorKind;
use crate::id::{InvitationId, UserId};
use crate::model::{Invitation, NewInvitation, Role, User};
use crate::store::{InvitationRepo, TeamRepo, UserRepo};

fn invite(crew: &Crew, email: &str, role: Role, expires_at: DateTime<Utc>) -> NewInvitation {
    NewInvitation {
        team_id: crew.team,
        email: parse(email),
        role,
        invited_by: crew.owner.id,
        token_hash: format!("invitation-{}-{}", tag(), tag()),
        expires_at,
    }
}

/// Invitations: `ManageMembers` to send, list and revoke (`ManageTeam` to
/// invite an owner), sent in the sender's own name; accepting is the
/// platform's, works once, only before expiry and only for the invited
/// address, adds the member with the invited role and refuses an existing
/// member; re-inviting an address replaces its invitation; another team's
/// invitations are invisible; a deleted team's are gone.
pub async fn invitations<S: InvitationRepo + TeamRepo + UserRepo + ?Sized>(store: &S) {
    let system = Scope::system();
    let a = crew(store, "invitations-a").await;
    let b = crew(store, "invitations-b").await;
    let admin = member(store, &a, Role::Admin).await;
    let dev = member(store, &a, Role::Developer).await;
    let owner = &a.owner_scope;
    // Whole seconds, so every store keeps them exactly.
    let now = Utc::now().trunc_subsecs(0);
    let later = now + TimeDelta::days(7);

    // Sending, and what is returned.
    let ada = user(store, "invitee-ada").await;
    let new = invite(&a, ada.email.as_str(), Role::Developer, later);
    let sent = ok(
        store.create_invitation(owner, new.clone()).await,
        "create_invitation by an owner",
    );
    assert!(
        sent.team_id == a.team
            && sent.email == new.email
            && sent.role == Role::Developer
            && sent.invited_by == a.owner.id
            && sent.expires_at == later,
        "store contract: create_invitation returns the invitation as given; got {sent:?}"
    );
    let listed = ok(
        store.list_invitations(owner, a.team).await,
        "list_invitations",
    );
    assert!(
        listed == [sent.clone()],
        "store contract: list_invitations returns the team's invitations as created; got {listed:?}"
    );

    // Accepting: system only, for the invited address, once.
    let bob = user(store, "invitee-bob").await;
    denied(
        store
            .accept_invitation(owner, &new.token_hash, ada.id, now)
            .await,
        "accept_invitation from a member scope",
    );
    denied(
        store
            .accept_invitation(&system, &new.token_hash, bob.id, now)
            .await,
        "accept_invitation by a user with another e-mail address",
    );
    refused(
        store
            .accept_invitation(&system, &new.token_hash, ada.id, later)
            .await,
        ErrorKind::InvalidInput,
        "accept_invitation at its expiry",
    );
    not_found(
        store
            .accept_invitation(&system, &new.token_hash, UserId::new(), now)
            .await,
        "accept_invitation for an unknown user",
    );
    not_found(
        store
            .accept_invitation(&system, "no-such-token", ada.id, now)
            .await,
        "accept_invitation of an unknown token",
    );
    let still = ok(
        store.list_invitations(owner, a.team).await,
        "list_invitations",
    );
    assert!(
        still == [sent.clone()],
        "store contract: refused accept_invitation calls leave the invitation; got {still:?}"
    );
    let joined = ok(
        store
            .accept_invitation(&system, &new.token_hash, ada.id, now)
            .await,
        "accept_invitation by the invited user before expiry",
    );
    assert!(
        joined.team_id == a.team && joined.user_id == ada.id && joined.role == Role::Developer,
        "store contract: accept_invitation adds the user with the invited role; got {joined:?}"
    );
    let scope = ok(store.scope_for(ada.id, a.team).await, "scope_for");
    assert!(
        scope.role() == Some(Role::Developer),
        "store contract: the accepted invitation's role is the member's role"
    );
    not_found(
        store
            .accept_invitation(&system, &new.token_hash, ada.id, now)
            .await,
        "accept_invitation a second time",
    );
    let left = ok(
        store.list_invitations(owner, a.team).await,
        "list_invitations",
    );
    assert!(
        left.is_empty(),
        "store contract: an accepted invitation is gone; got {left:?}"
    );

    // An existing member: Conflict, role unchanged, invitation kept.
    let again = invite(&a, ada.email.as_str(), Role::Admin, later);
    let pending = ok(
        store.create_invitation(owner, again.clone()).await,
        "create_invitation for a member",
    );
    conflict(
        store
            .accept_invitation(&system, &again.token_hash, ada.id, now)
            .await,
        "accept_invitation by a user already in the team",
    );
    let scope = ok(store.scope_for(ada.id, a.team).await, "scope_for");
    let kept = ok(
        store.list_invitations(owner, a.team).await,
        "list_invitations",
    );
    assert!(
        scope.role() == Some(Role::Developer) && ids(&kept, |i| i.id) == [pending.id],
        "store contract: a refused accept_invitation changes neither role nor invitation"
    );
    ok(
        store.revoke_invitation(owner, pending.id).await,
        "revoke_invitation",
    );

    e_mail_case_and_replacing(store, &a, &bob, later, now).await;
    roles_and_refusals(store, &a, &b, &admin, &dev, later).await;

    // Revoking, and invisibility to another team.
    let carol = invite(
        &a,
        &format!("carol-{}@example.com", tag()),
        Role::Viewer,
        later,
    );
    let to_carol = ok(
        store
            .create_invitation(&admin, invite_as(&carol, &admin))
            .await,
        "create_invitation by an admin",
    );
    let outsider = &b.owner_scope;
    not_found(
        store.list_invitations(outsider, a.team).await,
        "list_invitations of another team",
    );
    not_found(
        store.revoke_invitation(outsider, to_carol.id).await,
        "revoke_invitation of another team's invitation",
    );
    denied(
        store.revoke_invitation(&dev, to_carol.id).await,
        "revoke_invitation by a developer",
    );
    ok(
        store.revoke_invitation(&admin, to_carol.id).await,
        "revoke_invitation by an admin",
    );
    not_found(
        store.revoke_invitation(&admin, to_carol.id).await,
        "revoke_invitation of a revoked invitation",
    );
    not_found(
        store.revoke_invitation(&system, InvitationId::new()).await,
        "revoke_invitation of an unknown invitation",
    );
    let carol_user = user(store, "invitee-carol").await;
    not_found(
        store
            .accept_invitation(&system, &carol.token_hash, carol_user.id, now)
            .await,
        "accept_invitation of a revoked invitation",
    );

    // A deleted team's invitations are gone.
    let doomed = invite(
        &b,
        &format!("dora-{}@example.com", tag()),
        Role::Viewer,
        later,
    );
    ok(
        store
            .create_invitation(&b.owner_scope, doomed.clone())
            .await,
        "create_invitation",
    );
    ok(
        store.delete_team(&b.owner_scope, b.team).await,
        "delete_team",
    );
    not_found(
        store
            .accept_invitation(&system, &doomed.token_hash, carol_user.id, now)
            .await,
        "accept_invitation of a deleted team's invitation",
    );
}

/// `new` sent in `scope`'s user's name.
fn invite_as(new: &NewInvitation, scope: &Scope) -> NewInvitation {
    let mut new = new.clone();
    if let Some(user) = scope.user() {
        new.invited_by = user;
    }
    new
}

/// The invited address matches without regard to ASCII case; inviting an
/// address again replaces its earlier invitation.
async fn e_mail_case_and_replacing<S: InvitationRepo + TeamRepo + UserRepo + ?Sized>(
    store: &S,
    a: &Crew,
    bob: &User,
    later: DateTime<Utc>,
    now: DateTime<Utc>,
) {
    let owner = &a.owner_scope;
    let shouted = bob.email.as_str().to_ascii_uppercase();
    let first = invite(a, &shouted, Role::Viewer, later);
    let first_sent = ok(
        store.create_invitation(owner, first.clone()).await,
        "create_invitation",
    );
    let second = invite(a, bob.email.as_str(), Role::Admin, later);
    let second_sent = ok(
        store.create_invitation(owner, second.clone()).await,
        "create_invitation of an address already invited",
    );
    let listed = ok(
        store.list_invitations(owner, a.team).await,
        "list_invitations",
    );
    assert!(
        ids(&listed, |i| i.id) == [second_sent.id],
        "store contract: inviting an address again (in any case) replaces its invitation; \
         got {listed:?}, first was {}",
        first_sent.id
    );
    not_found(
        store
            .accept_invitation(&Scope::system(), &first.token_hash, bob.id, now)
            .await,
        "accept_invitation of a replaced invitation",
    );
    let joined = ok(
        store
            .accept_invitation(&Scope::system(), &second.token_hash, bob.id, now)
            .await,
        "accept_invitation for the invited address",
    );
    assert!(
        joined.role == Role::Admin,
        "store contract: the replacing invitation's role is granted; got {joined:?}"
    );
}

/// Who may send and list invitations, and the input rules.
async fn roles_and_refusals<S: InvitationRepo + TeamRepo + UserRepo + ?Sized>(
    store: &S,
    a: &Crew,
    b: &Crew,
    admin: &Scope,
    dev: &Scope,
    later: DateTime<Utc>,
) {
    let owner = &a.owner_scope;
    let email = format!("erin-{}@example.com", tag());
    let to_owner = invite(a, &email, Role::Owner, later);
    denied(
        store
            .create_invitation(admin, invite_as(&to_owner, admin))
            .await,
        "create_invitation of an owner by an admin",
    );
    let as_owner = ok(
        store.create_invitation(owner, to_owner).await,
        "create_invitation of an owner by an owner",
    );
    denied(
        store
            .create_invitation(dev, invite_as(&invite(a, &email, Role::Viewer, later), dev))
            .await,
        "create_invitation by a developer",
    );
    denied(
        store.list_invitations(dev, a.team).await,
        "list_invitations by a developer",
    );
    denied(
        store
            .create_invitation(admin, invite(a, &email, Role::Viewer, later))
            .await,
        "create_invitation in another user's name",
    );
    not_found(
        store
            .create_invitation(&b.owner_scope, invite(a, &email, Role::Viewer, later))
            .await,
        "create_invitation in another team",
    );
    let mut ghost = invite(a, &email, Role::Viewer, later);
    ghost.invited_by = UserId::new();
    not_found(
        store.create_invitation(&Scope::system(), ghost).await,
        "create_invitation in the name of an unknown user",
    );
    let past = invite(a, &email, Role::Viewer, Utc::now() - TimeDelta::minutes(1));
    refused(
        store.create_invitation(owner, past).await,
        ErrorKind::InvalidInput,
        "create_invitation that has already expired",
    );
    for bad in [String::new(), "x".repeat(201), "line\nbreak".to_owned()] {
        let mut malformed = invite(a, &email, Role::Viewer, later);
        malformed.token_hash.clone_from(&bad);
        refused(
            store.create_invitation(owner, malformed).await,
            ErrorKind::InvalidInput,
            &format!("create_invitation with token hash {bad:?}"),
        );
    }
    let mut twin = invite(
        a,
        &format!("frank-{}@example.com", tag()),
        Role::Viewer,
        later,
    );
    let first = ok(
        store.create_invitation(owner, twin.clone()).await,
        "create_invitation",
    );
    twin.email = parse(&format!("grace-{}@example.com", tag()));
    conflict(
        store.create_invitation(owner, twin).await,
        "create_invitation with a token hash already stored",
    );
    let listed: Vec<Invitation> = ok(
        store.list_invitations(admin, a.team).await,
        "list_invitations by an admin",
    );
    assert!(
        ids(&listed, |i| i.id) == [as_owner.id, first.id],
        "store contract: refused create_invitation calls store nothing, and list_invitations \
         orders by creation; got {listed:?}"
    );
    for id in [as_owner.id, first.id] {
        ok(
            store.revoke_invitation(owner, id).await,
            "revoke_invitation",
        );
    }
}
