//! What the conformance suite cannot express: sharing between handles, and
//! this store's choices where the contract leaves room.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::MemoryStore;
use crate::access::Scope;
use crate::error::ErrorKind;
use crate::id::{AppId, TeamId, UserId};
use crate::model::{
    AppSpec, DeploymentStatus, DeploymentUpdate, NewApiToken, NewApp, NewDeployment, NewEnvVar,
    NewProject, NewUser, Page, Role, SecretString, TokenScope, Trigger,
};
use crate::store::{
    AppRepo, DeploymentRepo, EnvVarRepo, ProjectRepo, Store, TeamRepo, TokenRepo, UserRepo,
};

struct Fixture {
    store: MemoryStore,
    owner: UserId,
    team: TeamId,
    app: AppId,
}

impl Fixture {
    fn owner_scope(&self) -> Scope {
        Scope::member(self.owner, self.team, Role::Owner)
    }

    async fn user(&self, email: &str) -> UserId {
        let new = NewUser {
            email: email.parse().unwrap(),
            name: "someone".parse().unwrap(),
            instance_admin: false,
        };
        self.store
            .create_user(&Scope::system(), new)
            .await
            .unwrap()
            .id
    }

    async fn member(&self, email: &str, role: Role) -> UserId {
        let user = self.user(email).await;
        self.store
            .set_member(&Scope::system(), self.team, user, role)
            .await
            .unwrap();
        user
    }

    async fn app(&self, name: &str) -> AppId {
        let scope = self.owner_scope();
        let project = self.store.list_projects(&scope).await.unwrap()[0].id;
        let env = self.store.list_environments(&scope, project).await.unwrap()[0].id;
        let new = NewApp {
            environment_id: env,
            name: name.parse().unwrap(),
            spec: AppSpec::from_image("nginx:1.27".parse().unwrap()),
        };
        self.store.create_app(&scope, new).await.unwrap().id
    }

    async fn enqueue(
        &self,
        app: AppId,
        trigger: Trigger,
    ) -> crate::Result<crate::model::Deployment> {
        let new = NewDeployment {
            app_id: app,
            trigger,
            requested_by: None,
            image: None,
        };
        self.store.enqueue_deployment(&Scope::system(), new).await
    }
}

async fn fixture() -> Fixture {
    let store = MemoryStore::new();
    let system = Scope::system();
    let new = NewUser {
        email: "owner@example.com".parse().unwrap(),
        name: "owner".parse().unwrap(),
        instance_admin: false,
    };
    let owner = store.create_user(&system, new).await.unwrap().id;
    let team = store
        .create_team(&system, "team".parse().unwrap(), owner)
        .await
        .unwrap()
        .id;
    let scope = Scope::member(owner, team, Role::Owner);
    let project = NewProject {
        team_id: team,
        name: "shop".parse().unwrap(),
    };
    store.create_project(&scope, project).await.unwrap();
    let mut fixture = Fixture {
        store,
        owner,
        team,
        app: AppId::new(),
    };
    fixture.app = fixture.app("web").await;
    fixture
}

fn token(user: UserId, team: TeamId, scope: TokenScope, hash: &str) -> NewApiToken {
    NewApiToken {
        user_id: user,
        team_id: team,
        name: "ci".parse().unwrap(),
        scope,
        token_hash: hash.to_owned(),
        expires_at: None,
    }
}

#[tokio::test]
async fn clones_share_state_like_a_restarted_engine_would() {
    let f = fixture().await;
    let restarted = f.store.clone();
    let d = f.enqueue(f.app, Trigger::Manual).await.unwrap();
    let seen = restarted
        .get_deployment(&Scope::system(), d.id)
        .await
        .unwrap();
    assert_eq!(seen, d);
    assert!(!restarted.capabilities().durable);
    let debug = format!("{restarted:?}");
    assert!(
        debug.contains("MemoryStore") && debug.contains("deployments: 1"),
        "{debug}"
    );
}

#[tokio::test]
async fn debug_never_shows_secret_values() {
    let f = fixture().await;
    let new = NewEnvVar {
        app_id: f.app,
        key: "PASSWORD".parse().unwrap(),
        value: SecretString::new("hunter2"),
        secret: true,
    };
    f.store.set_env_var(&Scope::system(), new).await.unwrap();
    assert!(!format!("{:?}", f.store).contains("hunter2"));
}

#[tokio::test]
async fn the_system_scope_sees_secret_values() {
    let f = fixture().await;
    let new = NewEnvVar {
        app_id: f.app,
        key: "PASSWORD".parse().unwrap(),
        value: SecretString::new("hunter2"),
        secret: true,
    };
    f.store.set_env_var(&f.owner_scope(), new).await.unwrap();
    let vars = f
        .store
        .list_env_vars(&Scope::system(), f.app)
        .await
        .unwrap();
    assert_eq!(
        vars[0].value.as_ref().map(SecretString::expose),
        Some("hunter2")
    );
}

#[tokio::test]
async fn e_mail_addresses_are_unique_regardless_of_case() {
    let f = fixture().await;
    let new = NewUser {
        email: "Owner@Example.COM".parse().unwrap(),
        name: "again".parse().unwrap(),
        instance_admin: false,
    };
    let err = f
        .store
        .create_user(&Scope::system(), new)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    let found = f
        .store
        .find_user_by_email(&Scope::system(), &"OWNER@example.com".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(found.map(|u| u.id), Some(f.owner));
}

#[tokio::test]
async fn removing_a_member_revokes_their_tokens_in_that_team() {
    let f = fixture().await;
    let dev = f.member("dev@example.com", Role::Developer).await;
    let dev_scope = Scope::member(dev, f.team, Role::Developer);
    f.store
        .create_token(&dev_scope, token(dev, f.team, TokenScope::Deploy, "h1"))
        .await
        .unwrap();
    f.store
        .remove_member(&f.owner_scope(), f.team, dev)
        .await
        .unwrap();
    let found = f
        .store
        .find_token_by_hash(&Scope::system(), "h1")
        .await
        .unwrap();
    assert!(found.is_none());
}

#[tokio::test]
async fn a_token_cannot_mint_a_more_powerful_token() {
    let f = fixture().await;
    let read_token = f.owner_scope().with_token_scope(TokenScope::Read);
    let err = f
        .store
        .create_token(&read_token, token(f.owner, f.team, TokenScope::Admin, "h1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    f.store
        .create_token(&read_token, token(f.owner, f.team, TokenScope::Read, "h2"))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_admin_cannot_mint_an_owner_powered_token_for_an_owner() {
    let f = fixture().await;
    let admin = f.member("admin@example.com", Role::Admin).await;
    let admin_scope = Scope::member(admin, f.team, Role::Admin);
    let err = f
        .store
        .create_token(
            &admin_scope,
            token(f.owner, f.team, TokenScope::Admin, "h1"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    f.store
        .create_token(
            &admin_scope,
            token(f.owner, f.team, TokenScope::Write, "h2"),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn token_hashes_are_unique() {
    let f = fixture().await;
    let scope = f.owner_scope();
    f.store
        .create_token(&scope, token(f.owner, f.team, TokenScope::Read, "same"))
        .await
        .unwrap();
    let err = f
        .store
        .create_token(&scope, token(f.owner, f.team, TokenScope::Read, "same"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
}

#[tokio::test]
async fn a_rollback_must_name_a_deployment_of_the_same_app() {
    let f = fixture().await;
    let other = f.app("api").await;
    let theirs = f.enqueue(other, Trigger::Manual).await.unwrap();
    let err = f
        .enqueue(f.app, Trigger::Rollback { of: theirs.id })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let ours = f.enqueue(f.app, Trigger::Manual).await.unwrap();
    let rollback = f
        .enqueue(f.app, Trigger::Rollback { of: ours.id })
        .await
        .unwrap();
    assert_eq!(rollback.number, 2, "the refused rollback used no number");
}

#[tokio::test]
async fn an_empty_page_is_refused() {
    let f = fixture().await;
    let err = f
        .store
        .list_deployments(&Scope::system(), f.app, Page::first(0))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn finished_at_keeps_the_moment_a_deployment_went_live() {
    use DeploymentStatus::*;
    let f = fixture().await;
    let system = Scope::system();
    let d = f.enqueue(f.app, Trigger::Manual).await.unwrap();
    let mut from = Queued;
    let mut live = None;
    for to in [Starting, Checking, Switching, Live] {
        live = Some(
            f.store
                .transition_deployment(&system, d.id, from, DeploymentUpdate::to(to))
                .await
                .unwrap(),
        );
        from = to;
    }
    let went_live = live.unwrap().finished_at.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let replaced = f
        .store
        .transition_deployment(&system, d.id, Live, DeploymentUpdate::to(Replaced))
        .await
        .unwrap();
    assert_eq!(replaced.finished_at, Some(went_live));
    assert!(replaced.started_at.unwrap() <= went_live);
}

#[tokio::test]
async fn live_deployment_prefers_the_newer_when_two_are_live() {
    use DeploymentStatus::*;
    let f = fixture().await;
    let system = Scope::system();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let d = f.enqueue(f.app, Trigger::Manual).await.unwrap();
        let mut from = Queued;
        for to in [Starting, Checking, Switching, Live] {
            f.store
                .transition_deployment(&system, d.id, from, DeploymentUpdate::to(to))
                .await
                .unwrap();
            from = to;
        }
        ids.push(d.id);
    }
    let live = f.store.live_deployment(&system, f.app).await.unwrap();
    assert_eq!(live.map(|d| d.id), Some(ids[1]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_takers_supersede_each_deployment_once() {
    let f = fixture().await;
    let mut newest = None;
    for _ in 0..50 {
        newest = Some(f.enqueue(f.app, Trigger::Manual).await.unwrap().id);
    }
    let store = Arc::new(f.store.clone());
    let takers: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            let app = f.app;
            tokio::spawn(async move {
                store
                    .take_next_queued(&Scope::system(), app)
                    .await
                    .unwrap()
                    .unwrap()
            })
        })
        .collect();
    let mut superseded = Vec::new();
    for taker in takers {
        let taken = taker.await.unwrap();
        assert_eq!(Some(taken.deployment.id), newest);
        superseded.extend(taken.superseded.into_iter().map(|d| d.number));
    }
    let unique: BTreeSet<u64> = superseded.iter().copied().collect();
    assert_eq!(
        superseded.len(),
        49,
        "each older deployment superseded once"
    );
    assert_eq!(unique, (1..=49).collect());
}

#[tokio::test]
async fn deleting_an_app_forgets_its_numbers_but_a_new_app_starts_at_one() {
    let f = fixture().await;
    f.enqueue(f.app, Trigger::Manual).await.unwrap();
    f.store.delete_app(&f.owner_scope(), f.app).await.unwrap();
    let again = f.app("web").await;
    assert_ne!(again, f.app);
    assert_eq!(f.enqueue(again, Trigger::Manual).await.unwrap().number, 1);
    let err = f.enqueue(f.app, Trigger::Manual).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn deletes_leave_no_orphan_rows_behind() {
    let f = fixture().await;
    let system = Scope::system();
    let d = f.enqueue(f.app, Trigger::Manual).await.unwrap();
    let line = crate::model::NewLogLine {
        at: chrono::Utc::now(),
        step: DeploymentStatus::Building,
        stream: crate::model::LogStream::Stdout,
        text: "hello".to_owned(),
    };
    crate::store::LogRepo::append_logs(&f.store, &system, d.id, vec![line])
        .await
        .unwrap();
    let new = NewEnvVar {
        app_id: f.app,
        key: "A".parse().unwrap(),
        value: SecretString::new("1"),
        secret: false,
    };
    f.store.set_env_var(&system, new).await.unwrap();
    f.store
        .create_token(&system, token(f.owner, f.team, TokenScope::Read, "h"))
        .await
        .unwrap();

    f.store.delete_app(&system, f.app).await.unwrap();
    {
        let state = f.store.state();
        assert!(state.logs.is_empty() && state.numbers.is_empty());
        assert_eq!(state.deployments.len() + state.env_vars.len(), 0);
    }
    f.store.delete_team(&system, f.team).await.unwrap();
    let state = f.store.state();
    assert_eq!(
        state.teams.len()
            + state.members.len()
            + state.tokens.len()
            + state.projects.len()
            + state.environments.len()
            + state.apps.len(),
        0
    );
    assert_eq!(state.users.len(), 1, "users outlive their teams");
}
