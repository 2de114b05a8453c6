#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! Users, teams, tokens, projects and apps on SQL under concurrency: races
//! the database must decide (last owner, e-mail case, a token for a member
//! being removed, an app for a project being deleted), on both backends.

mod common;

use rivetr_core::access::Scope;
use rivetr_core::id::{TeamId, UserId};
use rivetr_core::model::{
    AppSpec, NewApiToken, NewApp, NewProject, NewUser, Role, TokenScope, User,
};
use rivetr_core::store::{AppRepo, ProjectRepo, TeamRepo, TokenRepo, UserRepo};
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

fn token(user: UserId, team: TeamId) -> Result<NewApiToken> {
    Ok(NewApiToken {
        user_id: user,
        team_id: team,
        name: "ci".parse()?,
        scope: TokenScope::Read,
        token_hash: format!("sha256-{}", tag()),
        expires_at: None,
    })
}

async fn owners(store: &SqlStore, team: TeamId) -> Result<usize> {
    let members = store.list_members(&Scope::system(), team).await?;
    Ok(members.iter().filter(|m| m.role == Role::Owner).count())
}

/// Exactly one of two racing results is `Ok`; the other is `Conflict`.
fn one_wins<T: std::fmt::Debug>(a: &Result<T>, b: &Result<T>) {
    match (a, b) {
        (Ok(_), Err(e)) | (Err(e), Ok(_)) => {
            assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
        }
        _ => panic!("expected exactly one to succeed: {a:?} / {b:?}"),
    }
}

on_both_backends!(
    two_owners_demoting_themselves_at_once_leave_one_owner,
    |db| {
        for _ in 0..ROUNDS {
            let store = db.store.clone();
            let (team, ada) = team(&store).await.unwrap();
            let bob = user(&store, "bob").await.unwrap();
            let system = Scope::system();
            store
                .set_member(&system, team, bob.id, Role::Owner)
                .await
                .unwrap();
            let demote = |who: UserId| {
                let store = store.clone();
                tokio::spawn(async move {
                    let scope = Scope::member(who, team, Role::Owner);
                    store.set_member(&scope, team, who, Role::Admin).await
                })
            };
            let (a, b) = tokio::join!(demote(ada.id), demote(bob.id));
            one_wins(&a.unwrap(), &b.unwrap());
            assert_eq!(owners(&store, team).await.unwrap(), 1);
        }
    }
);

on_both_backends!(
    two_owners_removing_each_other_at_once_leave_one_owner,
    |db| {
        for _ in 0..ROUNDS {
            let store = db.store.clone();
            let (team, ada) = team(&store).await.unwrap();
            let bob = user(&store, "bob").await.unwrap();
            store
                .set_member(&Scope::system(), team, bob.id, Role::Owner)
                .await
                .unwrap();
            let remove = |who: UserId, whom: UserId| {
                let store = store.clone();
                tokio::spawn(async move {
                    let scope = Scope::member(who, team, Role::Owner);
                    store.remove_member(&scope, team, whom).await
                })
            };
            let (a, b) = tokio::join!(remove(ada.id, bob.id), remove(bob.id, ada.id));
            one_wins(&a.unwrap(), &b.unwrap());
            let members = store.list_members(&Scope::system(), team).await.unwrap();
            assert_eq!(members.len(), 1, "{members:?}");
            assert_eq!(members[0].role, Role::Owner);
        }
    }
);

on_both_backends!(sign_ups_differing_only_in_case_make_one_user, |db| {
    let store = db.store.clone();
    let local = format!("ada{}", tag());
    let variants = [
        local.clone(),
        local.to_uppercase(),
        format!("A{}", &local[1..]),
        local
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect(),
    ];
    let sign_ups = variants.iter().map(|local| {
        let store = store.clone();
        let new = NewUser {
            email: format!("{local}@example.com").parse().unwrap(),
            name: "Ada".parse().unwrap(),
            instance_admin: false,
        };
        tokio::spawn(async move { store.create_user(&Scope::system(), new).await })
    });
    let results: Vec<_> = futures::future::join_all(sign_ups)
        .await
        .into_iter()
        .map(|joined| joined.unwrap())
        .collect();
    let created: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(created.len(), 1, "{results:?}");
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(refused.kind(), ErrorKind::Conflict, "{refused}");
    }
    let found = store
        .find_user_by_email(
            &Scope::system(),
            &format!("{local}@EXAMPLE.com").parse().unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(found.as_ref(), Some(created[0]));
    assert_eq!(store.count_users(&Scope::system()).await.unwrap(), 1);
});

on_both_backends!(
    a_token_never_outlives_a_membership_removed_at_the_same_time,
    |db| {
        for _ in 0..ROUNDS {
            let store = db.store.clone();
            let (team, owner) = team(&store).await.unwrap();
            let dev = user(&store, "dev").await.unwrap();
            let system = Scope::system();
            store
                .set_member(&system, team, dev.id, Role::Developer)
                .await
                .unwrap();
            let owner_scope = Scope::member(owner.id, team, Role::Owner);
            let new = token(dev.id, team).unwrap();
            let hash = new.token_hash.clone();
            let create = {
                let (store, scope) = (store.clone(), owner_scope.clone());
                tokio::spawn(async move { store.create_token(&scope, new).await })
            };
            let remove = {
                let (store, scope) = (store.clone(), owner_scope.clone());
                tokio::spawn(async move { store.remove_member(&scope, team, dev.id).await })
            };
            let (created, removed) = tokio::join!(create, remove);
            removed.unwrap().unwrap();
            if let Err(e) = created.unwrap() {
                assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
            }
            let left = store.find_token_by_hash(&system, &hash).await.unwrap();
            assert!(left.is_none(), "a removed member kept a token: {left:?}");
        }
    }
);

on_both_backends!(
    remove_member_revokes_only_that_members_tokens_in_that_team,
    |db| {
        let store = db.store.clone();
        let system = Scope::system();
        let (first, owner) = team(&store).await.unwrap();
        let second = store
            .create_team(&system, "second".parse().unwrap(), owner.id)
            .await
            .unwrap()
            .id;
        let dev = user(&store, "dev").await.unwrap();
        for team in [first, second] {
            store
                .set_member(&system, team, dev.id, Role::Developer)
                .await
                .unwrap();
        }
        let devs_first = store
            .create_token(&system, token(dev.id, first).unwrap())
            .await
            .unwrap();
        let devs_second = store
            .create_token(&system, token(dev.id, second).unwrap())
            .await
            .unwrap();
        let owners_first = store
            .create_token(&system, token(owner.id, first).unwrap())
            .await
            .unwrap();

        store.remove_member(&system, first, dev.id).await.unwrap();

        let left: Vec<_> = store
            .list_tokens(&system)
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect();
        assert!(!left.contains(&devs_first.id), "{left:?}");
        assert!(left.contains(&devs_second.id), "{left:?}");
        assert!(left.contains(&owners_first.id), "{left:?}");
    }
);

on_both_backends!(
    an_app_created_while_its_project_is_deleted_is_never_lost,
    |db| {
        for round in 0..ROUNDS {
            let store = db.store.clone();
            let (team, owner) = team(&store).await.unwrap();
            let scope = Scope::member(owner.id, team, Role::Owner);
            let project = store
                .create_project(
                    &scope,
                    NewProject {
                        team_id: team,
                        name: format!("p{round}").parse().unwrap(),
                    },
                )
                .await
                .unwrap();
            let env = store.list_environments(&scope, project.id).await.unwrap()[0].id;
            let create = {
                let (store, scope) = (store.clone(), scope.clone());
                tokio::spawn(async move {
                    let new = NewApp {
                        environment_id: env,
                        name: "web".parse().unwrap(),
                        spec: AppSpec::from_image("example/web:v1".parse().unwrap()),
                    };
                    store.create_app(&scope, new).await
                })
            };
            let delete = {
                let (store, scope) = (store.clone(), scope.clone());
                tokio::spawn(async move { store.delete_project(&scope, project.id).await })
            };
            let (created, deleted) = tokio::join!(create, delete);
            match (created.unwrap(), deleted.unwrap()) {
                (Ok(app), Err(e)) => {
                    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
                    assert_eq!(store.get_app(&scope, app.id).await.unwrap(), app);
                }
                (Err(e), Ok(())) => assert_eq!(e.kind(), ErrorKind::NotFound, "{e}"),
                other => panic!("expected exactly one to succeed: {other:?}"),
            }
        }
    }
);

on_both_backends!(a_token_never_allows_more_than_its_creator_may_do, |db| {
    let store = db.store.clone();
    let system = Scope::system();
    let (team, owner) = team(&store).await.unwrap();
    let admin = user(&store, "admin").await.unwrap();
    let dev = user(&store, "dev").await.unwrap();
    store
        .set_member(&system, team, admin.id, Role::Admin)
        .await
        .unwrap();
    store
        .set_member(&system, team, dev.id, Role::Developer)
        .await
        .unwrap();
    let with_scope = |user: UserId, scope: TokenScope| {
        let mut new = token(user, team).unwrap();
        new.scope = scope;
        new
    };
    let admin_scope = Scope::member(admin.id, team, Role::Admin);
    let admin_via_write = admin_scope.clone().with_token_scope(TokenScope::Write);
    let denied = |result: Result<_>, what: &str| {
        let e = result.expect_err(what);
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{what}: {e}");
    };

    // An admin acting through a write token cannot mint an admin token...
    denied(
        store
            .create_token(&admin_via_write, with_scope(admin.id, TokenScope::Admin))
            .await,
        "an admin token minted through a write token",
    );
    // ...but can mint one that does no more than the write token does.
    store
        .create_token(&admin_via_write, with_scope(admin.id, TokenScope::Deploy))
        .await
        .unwrap();
    // A developer's admin token is bounded by the developer role.
    let dev_scope = Scope::member(dev.id, team, Role::Developer);
    store
        .create_token(&dev_scope, with_scope(dev.id, TokenScope::Admin))
        .await
        .unwrap();
    // An admin cannot hand an owner a token with the owner's full rights,
    // only one within the admin's own.
    denied(
        store
            .create_token(&admin_scope, with_scope(owner.id, TokenScope::Admin))
            .await,
        "an owner's admin token minted by an admin",
    );
    store
        .create_token(&admin_scope, with_scope(owner.id, TokenScope::Write))
        .await
        .unwrap();
    let tokens = store.list_tokens(&system).await.unwrap();
    assert_eq!(tokens.len(), 3, "refused tokens were stored: {tokens:?}");
});
