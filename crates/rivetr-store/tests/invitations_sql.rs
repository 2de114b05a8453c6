#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! Invitations on SQL under concurrency: races the database must decide
//! (one token accepted twice at once, an acceptance racing a revocation,
//! one address invited twice at once), on both backends.

mod common;

use chrono::{TimeDelta, Utc};
use rivetr_core::access::Scope;
use rivetr_core::id::TeamId;
use rivetr_core::model::{Invitation, NewInvitation, NewUser, Role, User};
use rivetr_core::store::{InvitationRepo, TeamRepo, UserRepo};
use rivetr_core::{ErrorKind, Result};
use rivetr_store::SqlStore;

/// How many times each race is run.
const ROUNDS: usize = 12;

fn tag() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

async fn user(store: &SqlStore, label: &str) -> Result<User> {
    let new = NewUser {
        email: format!("{label}-{}@example.com", tag()).parse()?,
        name: label.parse()?,
        instance_admin: false,
    };
    store.create_user(&Scope::system(), new).await
}

/// A team owned by a new user, and that owner.
async fn team(store: &SqlStore) -> Result<(TeamId, User)> {
    let owner = user(store, "owner").await?;
    let name = format!("team-{}", tag()).parse()?;
    let team = store.create_team(&Scope::system(), name, owner.id).await?;
    Ok((team.id, owner))
}

/// `who` invited to `team` by its `owner`, with a fresh token hash.
async fn invite(
    store: &SqlStore,
    team: TeamId,
    owner: &User,
    who: &User,
) -> Result<(Invitation, String)> {
    let token_hash = format!("invitation-{}", tag());
    let new = NewInvitation {
        team_id: team,
        email: who.email.clone(),
        role: Role::Developer,
        invited_by: owner.id,
        token_hash: token_hash.clone(),
        expires_at: Utc::now() + TimeDelta::days(1),
    };
    let invitation = store.create_invitation(&Scope::system(), new).await?;
    Ok((invitation, token_hash))
}

/// Exactly one of two racing results is `Ok`; the other is `NotFound`.
fn one_wins<T: std::fmt::Debug, U: std::fmt::Debug>(a: &Result<T>, b: &Result<U>) {
    let ((Ok(_), Err(loser)) | (Err(loser), Ok(_))) = (a, b) else {
        panic!("expected exactly one to succeed: {a:?} / {b:?}");
    };
    assert_eq!(loser.kind(), ErrorKind::NotFound, "{loser}");
}

on_both_backends!(one_token_accepted_twice_at_once_adds_one_member, |db| {
    for _ in 0..ROUNDS {
        let store = db.store.clone();
        let (team, owner) = team(&store).await.unwrap();
        let ada = user(&store, "ada").await.unwrap();
        let (_, token) = invite(&store, team, &owner, &ada).await.unwrap();
        let accept = || {
            let (store, token) = (store.clone(), token.clone());
            tokio::spawn(async move {
                store
                    .accept_invitation(&Scope::system(), &token, ada.id, Utc::now())
                    .await
            })
        };
        let (a, b) = tokio::join!(accept(), accept());
        one_wins(&a.unwrap(), &b.unwrap());
        let members = store.list_members(&Scope::system(), team).await.unwrap();
        assert_eq!(members.len(), 2, "{members:?}");
        let left = store
            .list_invitations(&Scope::system(), team)
            .await
            .unwrap();
        assert!(left.is_empty(), "{left:?}");
    }
});

on_both_backends!(an_acceptance_racing_a_revocation_never_both_succeed, |db| {
    for _ in 0..ROUNDS {
        let store = db.store.clone();
        let (team, owner) = team(&store).await.unwrap();
        let ada = user(&store, "ada").await.unwrap();
        let (invitation, token) = invite(&store, team, &owner, &ada).await.unwrap();
        let accept = {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .accept_invitation(&Scope::system(), &token, ada.id, Utc::now())
                    .await
            })
        };
        let revoke = {
            let store = store.clone();
            let scope = Scope::member(owner.id, team, Role::Owner);
            tokio::spawn(async move { store.revoke_invitation(&scope, invitation.id).await })
        };
        let (accepted, revoked) = tokio::join!(accept, revoke);
        let (accepted, revoked) = (accepted.unwrap(), revoked.unwrap());
        one_wins(&accepted, &revoked);
        let joined = store.scope_for(ada.id, team).await.is_ok();
        assert_eq!(joined, accepted.is_ok(), "membership follows the winner");
    }
});

on_both_backends!(
    one_address_invited_twice_at_once_keeps_one_invitation,
    |db| {
        for _ in 0..ROUNDS {
            let store = db.store.clone();
            let (team, owner) = team(&store).await.unwrap();
            let ada = user(&store, "ada").await.unwrap();
            let send = || {
                let (store, owner, ada) = (store.clone(), owner.clone(), ada.clone());
                tokio::spawn(async move { invite(&store, team, &owner, &ada).await })
            };
            let (a, b) = tokio::join!(send(), send());
            let (a, b) = (a.unwrap().unwrap(), b.unwrap().unwrap());
            let left = store
                .list_invitations(&Scope::system(), team)
                .await
                .unwrap();
            assert_eq!(left.len(), 1, "{left:?}");
            assert!(left[0].id == a.0.id || left[0].id == b.0.id, "{left:?}");
        }
    }
);
