//! Sealed secrets at rest: never in the database file in plain text, bound
//! to their row, refused loudly under a wrong or missing key, and carried
//! over a key rotation by `SqlStore::reseal`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::sync::Arc;

use rivetr_core::access::Scope;
use rivetr_core::error::ErrorKind;
use rivetr_core::id::{AppId, TeamId, UserId};
use rivetr_core::model::{AppSpec, NewApp, NewEnvVar, NewProject, NewUser, Role, SecretString};
use rivetr_core::store::{AppRepo, EnvVarRepo, ProjectRepo, TeamRepo, UserRepo};
use rivetr_store::seal::{KeyFile, Sealer, SealingKey};
use rivetr_store::{ResealReport, Sealing, SqlStore, StoreError};
use sea_orm::sqlx::{Connection, PgConnection, SqliteConnection};

/// A user, their team, a project and an app in it.
struct Fixture {
    user: UserId,
    team: TeamId,
    app: AppId,
}

fn unique(label: &str) -> String {
    format!("{label}-{}", uuid::Uuid::new_v4().simple())
}

async fn fixture(store: &SqlStore) -> Fixture {
    let system = Scope::system();
    let user = store
        .create_user(
            &system,
            NewUser {
                email: format!("{}@example.com", unique("ada")).parse().unwrap(),
                name: "Ada".parse().unwrap(),
                instance_admin: false,
            },
        )
        .await
        .unwrap();
    let team = store
        .create_team(&system, unique("team").parse().unwrap(), user.id)
        .await
        .unwrap();
    let app = new_app(store, team.id).await;
    Fixture {
        user: user.id,
        team: team.id,
        app,
    }
}

async fn new_app(store: &SqlStore, team: TeamId) -> AppId {
    let system = Scope::system();
    let project = store
        .create_project(
            &system,
            NewProject {
                team_id: team,
                name: unique("project").parse().unwrap(),
            },
        )
        .await
        .unwrap();
    let env = store
        .list_environments(&system, project.id)
        .await
        .unwrap()
        .remove(0);
    store
        .create_app(
            &system,
            NewApp {
                environment_id: env.id,
                name: unique("web").parse().unwrap(),
                spec: AppSpec::from_image("example/web:v1".parse().unwrap()),
            },
        )
        .await
        .unwrap()
        .id
}

async fn set(store: &SqlStore, app: AppId, key: &str, value: &str, secret: bool) {
    store
        .set_env_var(
            &Scope::system(),
            NewEnvVar {
                app_id: app,
                key: key.parse().unwrap(),
                value: SecretString::new(value),
                secret,
            },
        )
        .await
        .unwrap();
}

/// `(key, value)` of every env var of `app`, as the system scope sees them.
async fn values(store: &SqlStore, app: AppId) -> Vec<(String, Option<String>)> {
    store
        .list_env_vars(&Scope::system(), app)
        .await
        .unwrap()
        .into_iter()
        .map(|v| {
            let value = v.value.as_ref().map(|s| s.expose().to_owned());
            (v.key.as_str().to_owned(), value)
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A plain connection to the test's database, beside the store.
enum Raw {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// Run the same sqlx expression on whichever backend `raw` is.
macro_rules! on_raw {
    ($raw:expr, |$c:ident| $body:expr) => {
        match $raw {
            Raw::Sqlite($c) => $body,
            Raw::Postgres($c) => $body,
        }
    };
}

impl Raw {
    async fn connect(db: &common::TestDb) -> Self {
        let url = &db.config.url;
        if url.starts_with("sqlite:") {
            Self::Sqlite(SqliteConnection::connect(url).await.unwrap())
        } else {
            Self::Postgres(PgConnection::connect(url).await.unwrap())
        }
    }

    /// The sealed bytes of `app`'s env var `key`.
    async fn sealed(&mut self, app: AppId, key: &str) -> Vec<u8> {
        let sql = "SELECT sealed FROM env_vars WHERE app_id = $1 AND key = $2";
        on_raw!(self, |c| sea_orm::sqlx::query_scalar(sql)
            .bind(*app.as_uuid())
            .bind(key)
            .fetch_one(c)
            .await
            .unwrap())
    }

    /// Overwrite the sealed bytes of `app`'s env var `key`.
    async fn set_sealed(&mut self, app: AppId, key: &str, sealed: &[u8]) {
        let sql = "UPDATE env_vars SET sealed = $1 WHERE app_id = $2 AND key = $3";
        let updated = on_raw!(self, |c| sea_orm::sqlx::query(sql)
            .bind(sealed)
            .bind(*app.as_uuid())
            .bind(key)
            .execute(c)
            .await
            .unwrap()
            .rows_affected());
        assert_eq!(updated, 1, "UPDATE of env var {key}");
    }

    /// Every value of the one blob column `sql` selects.
    async fn blobs(&mut self, sql: &str) -> Vec<Vec<u8>> {
        on_raw!(self, |c| sea_orm::sqlx::query_scalar(sql)
            .fetch_all(c)
            .await
            .unwrap())
    }

    /// Every value of the one text column `sql` selects.
    async fn texts(&mut self, sql: &str) -> Vec<String> {
        on_raw!(self, |c| sea_orm::sqlx::query_scalar(sql)
            .fetch_all(c)
            .await
            .unwrap())
    }

    /// One sealed value in each platform table, sealed by `sealer` at the
    /// place its repository uses; returns `(select sql, place, plain)` per
    /// value.
    async fn platform_rows(
        &mut self,
        sealer: &Sealer,
        user: UserId,
        team: TeamId,
    ) -> Vec<(String, String, Vec<u8>)> {
        let now = chrono::Utc::now();
        let (user, team) = (*user.as_uuid(), *team.as_uuid());
        let (credential, channel) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let directory = "https://acme.example/dir";
        let seal = |place: &str, plain: &[u8]| sealer.seal(place.as_bytes(), plain).unwrap();
        let mut made = Vec::new();

        let place = format!("user_credentials.totp_sealed:{user}");
        let sealed = seal(&place, b"totp-seed");
        let sql = "INSERT INTO user_credentials (user_id, totp_sealed, updated_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (user_id) DO UPDATE SET totp_sealed = excluded.totp_sealed";
        on_raw!(self, |c| sea_orm::sqlx::query(sql)
            .bind(user)
            .bind(&sealed)
            .bind(now)
            .execute(c)
            .await
            .unwrap()
            .rows_affected());
        made.push((
            "SELECT totp_sealed FROM user_credentials WHERE totp_sealed IS NOT NULL".to_owned(),
            place,
            b"totp-seed".to_vec(),
        ));

        let place = format!("certificates.pem_sealed:example.com:{directory}");
        let sealed = seal(&place, b"-----BEGIN PRIVATE KEY-----");
        let sql = "INSERT INTO certificates (key, directory_url, pem_sealed, not_after, updated_at) \
                   VALUES ('example.com', $1, $2, $3, $4)";
        on_raw!(self, |c| sea_orm::sqlx::query(sql)
            .bind(directory)
            .bind(&sealed)
            .bind(now)
            .bind(now)
            .execute(c)
            .await
            .unwrap()
            .rows_affected());
        made.push((
            "SELECT pem_sealed FROM certificates".to_owned(),
            place,
            b"-----BEGIN PRIVATE KEY-----".to_vec(),
        ));

        let place = format!("acme_accounts.key_sealed:mailto:ops@example.com:{directory}");
        let sealed = seal(&place, b"account-key");
        let sql = "INSERT INTO acme_accounts (contact, directory_url, key_sealed, created_at) \
                   VALUES ('mailto:ops@example.com', $1, $2, $3)";
        on_raw!(self, |c| sea_orm::sqlx::query(sql)
            .bind(directory)
            .bind(&sealed)
            .bind(now)
            .execute(c)
            .await
            .unwrap()
            .rows_affected());
        made.push((
            "SELECT key_sealed FROM acme_accounts".to_owned(),
            place,
            b"account-key".to_vec(),
        ));

        let place = format!("credentials.value_sealed:{credential}");
        let sealed = seal(&place, b"registry-password");
        let sql = "INSERT INTO credentials (id, team_id, name, kind, value_sealed, created_at, updated_at) \
                   VALUES ($1, $2, 'registry', 'registry_password', $3, $4, $5)";
        on_raw!(self, |c| sea_orm::sqlx::query(sql)
            .bind(credential)
            .bind(team)
            .bind(&sealed)
            .bind(now)
            .bind(now)
            .execute(c)
            .await
            .unwrap()
            .rows_affected());
        made.push((
            "SELECT value_sealed FROM credentials".to_owned(),
            place,
            b"registry-password".to_vec(),
        ));

        let place = format!("notification_channels.config_sealed:{channel}");
        let sealed = seal(&place, b"{\"url\":\"https://hooks.example/x\"}");
        let sql = "INSERT INTO notification_channels (id, team_id, name, kind, config_sealed, enabled, created_at) \
                   VALUES ($1, $2, 'ops', 'webhook', $3, TRUE, $4)";
        on_raw!(self, |c| sea_orm::sqlx::query(sql)
            .bind(channel)
            .bind(team)
            .bind(&sealed)
            .bind(now)
            .execute(c)
            .await
            .unwrap()
            .rows_affected());
        made.push((
            "SELECT config_sealed FROM notification_channels".to_owned(),
            place,
            b"{\"url\":\"https://hooks.example/x\"}".to_vec(),
        ));
        made
    }
}

/// The configured key file's sealer (to seal and open as the store does).
fn key_file(db: &common::TestDb) -> KeyFile {
    match &db.config.sealing {
        Sealing::KeyFile(path) => KeyFile::new(path),
        other => panic!("the test store has a key file, not {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_file_never_holds_a_secret_in_plain_text() {
    let db = common::sqlite().await;
    let f = fixture(&db.store).await;
    let secret = unique("hunter2-secret-value");
    let plain = unique("plain-visible-value");
    set(&db.store, f.app, "DB_PASSWORD", &secret, true).await;
    set(&db.store, f.app, "PLAIN", &plain, false).await;
    // Replacing a secret must not leave the old value behind either.
    let replaced = unique("replaced-secret-value");
    set(&db.store, f.app, "API_KEY", &replaced, true).await;
    set(&db.store, f.app, "API_KEY", &unique("new-secret"), true).await;
    assert_eq!(
        values(&db.store, f.app).await[1],
        ("DB_PASSWORD".to_owned(), Some(secret.clone())),
        "the secret is stored and reads back"
    );

    let path = db.dir.path().join("rivetr.db");
    let mut bytes = std::fs::read(&path).unwrap();
    let wal = db.dir.path().join("rivetr.db-wal");
    if wal.exists() {
        bytes.extend(std::fs::read(&wal).unwrap());
    }

    assert!(
        contains(&bytes, plain.as_bytes()),
        "the plain value is in the database files, so the search works"
    );
    assert!(
        !contains(&bytes, secret.as_bytes()),
        "a secret value is in the database files in plain text"
    );
    assert!(
        !contains(&bytes, replaced.as_bytes()),
        "a replaced secret value is in the database files in plain text"
    );
}

on_both_backends!(secret_rows_hold_only_sealed_bytes, |db| {
    let f = fixture(&db.store).await;
    set(&db.store, f.app, "TOKEN", "tok-123456", true).await;
    set(&db.store, f.app, "PORT", "8080", false).await;
    let mut raw = Raw::connect(&db).await;

    let sealed = raw
        .blobs("SELECT sealed FROM env_vars WHERE key = 'TOKEN' AND value IS NULL")
        .await;
    assert_eq!(
        sealed.len(),
        1,
        "a secret row has sealed bytes and no value"
    );
    assert!(!contains(&sealed[0], b"tok-123456"));
    let current = key_file(&db).sealer().unwrap().current_key().clone();
    assert_eq!(Sealer::key_of(&sealed[0]).unwrap(), current.as_str());
    assert!(
        raw.blobs("SELECT sealed FROM env_vars WHERE key = 'PORT' AND sealed IS NOT NULL")
            .await
            .is_empty(),
        "a plain row has no sealed bytes"
    );
    assert_eq!(
        raw.texts("SELECT value FROM env_vars WHERE key = 'PORT'")
            .await,
        ["8080"],
        "a plain row holds its value"
    );
});

on_both_backends!(a_different_key_under_the_same_id_is_refused_at_open, |db| {
    let f = fixture(&db.store).await;
    set(&db.store, f.app, "TOKEN", "tok-123456", true).await;
    let id = key_file(&db).sealer().unwrap().current_key().clone();
    let impostor = SealingKey::generate(id.clone()).unwrap();
    let mut config = db.config.clone();
    config.sealing = Sealing::Sealer(Arc::new(Sealer::new(impostor)));

    let err = SqlStore::open(config).await.unwrap_err();

    assert!(
        matches!(&err, StoreError::WrongSealingKey { key_id } if *key_id == id.as_str()),
        "{err:?}"
    );
});

on_both_backends!(a_value_under_a_missing_key_fails_loudly, |db| {
    let f = fixture(&db.store).await;
    set(&db.store, f.app, "TOKEN", "tok-123456", true).await;
    set(&db.store, f.app, "PORT", "8080", false).await;
    let old = key_file(&db).sealer().unwrap().current_key().clone();
    let mut config = db.config.clone();
    config.sealing = Sealing::Sealer(Arc::new(Sealer::new(
        SealingKey::generate("other-key".parse().unwrap()).unwrap(),
    )));
    let store = SqlStore::open(config).await.unwrap();

    let err = store
        .list_env_vars(&Scope::system(), f.app)
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Internal, "{err}");
    let message = err.to_string();
    assert!(
        message.contains("TOKEN") && message.contains(old.as_str()),
        "the error names the variable and the missing key: {message}"
    );
    // Callers who may not see the value are not troubled by it.
    let developer = Scope::member(f.user, f.team, Role::Developer);
    let seen = store.list_env_vars(&developer, f.app).await.unwrap();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|v| v.secret == v.value.is_none()));
});

on_both_backends!(a_sealed_value_moved_to_another_row_does_not_open, |db| {
    let f = fixture(&db.store).await;
    let other_app = new_app(&db.store, f.team).await;
    set(&db.store, f.app, "TOKEN", "tok-of-app-one", true).await;
    set(&db.store, f.app, "OTHER", "other-of-app-one", true).await;
    set(&db.store, other_app, "TOKEN", "tok-of-app-two", true).await;
    let mut raw = Raw::connect(&db).await;
    let token = raw.sealed(f.app, "TOKEN").await;
    let other = raw.sealed(f.app, "OTHER").await;
    let token_two = raw.sealed(other_app, "TOKEN").await;

    // Into the same key of another app.
    raw.set_sealed(other_app, "TOKEN", &token).await;
    let err = db
        .store
        .list_env_vars(&Scope::system(), other_app)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Internal, "{err}");
    assert!(err.to_string().contains("TOKEN"), "{err}");

    // Into another key of the same app.
    raw.set_sealed(f.app, "OTHER", &token).await;
    let err = db
        .store
        .list_env_vars(&Scope::system(), f.app)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Internal, "{err}");
    assert!(err.to_string().contains("OTHER"), "{err}");

    // Put back where they belong, they open again.
    raw.set_sealed(f.app, "OTHER", &other).await;
    raw.set_sealed(other_app, "TOKEN", &token_two).await;
    assert_eq!(
        values(&db.store, f.app).await,
        [
            ("OTHER".to_owned(), Some("other-of-app-one".to_owned())),
            ("TOKEN".to_owned(), Some("tok-of-app-one".to_owned())),
        ]
    );
    assert_eq!(
        values(&db.store, other_app).await,
        [("TOKEN".to_owned(), Some("tok-of-app-two".to_owned()))]
    );
});

on_both_backends!(rotation_then_reseal_then_retire_keeps_every_secret, |db| {
    let f = fixture(&db.store).await;
    // More than one reseal batch.
    let count: u64 = 230;
    for i in 0..count {
        let (key, value) = (format!("SECRET_{i:03}"), format!("value-{i}"));
        set(&db.store, f.app, &key, &value, true).await;
    }
    set(&db.store, f.app, "PLAIN", "plain", false).await;
    let before = values(&db.store, f.app).await;
    let file = key_file(&db);
    let old_sealer = file.sealer().unwrap();
    let old = old_sealer.current_key().clone();
    let mut raw = Raw::connect(&db).await;
    let platform = raw.platform_rows(&old_sealer, f.user, f.team).await;
    let total = count + platform.len() as u64;

    let new = file.rotate().unwrap();
    let store = db.reopen().await;
    let report = store.reseal().await.unwrap();

    assert_eq!(
        report,
        ResealReport {
            resealed: total,
            already_current: 0
        }
    );
    assert_eq!(values(&store, f.app).await, before, "read with both keys");
    let again = store.reseal().await.unwrap();
    assert_eq!(
        again,
        ResealReport {
            resealed: 0,
            already_current: total
        },
        "a second reseal has nothing left to do"
    );
    drop(store);

    file.retire().unwrap();
    let retired = file.sealer().unwrap();
    assert_eq!(retired.key_ids().collect::<Vec<_>>(), vec![&new]);
    let store = db.reopen().await;
    assert_eq!(
        values(&store, f.app).await,
        before,
        "read after the old key is gone"
    );
    let sealed = raw
        .blobs("SELECT sealed FROM env_vars WHERE sealed IS NOT NULL")
        .await;
    assert_eq!(sealed.len() as u64, count);
    assert!(
        sealed
            .iter()
            .all(|s| Sealer::key_of(s).unwrap() == new.as_str()),
        "every env var is sealed by the new key"
    );
    for (select, place, plain) in platform {
        let sealed = raw.blobs(&select).await;
        assert_eq!(sealed.len(), 1, "{select}");
        assert_eq!(
            Sealer::key_of(&sealed[0]).unwrap(),
            new.as_str(),
            "{select}"
        );
        assert_eq!(
            retired.open(place.as_bytes(), &sealed[0]).unwrap(),
            plain,
            "{select}: the resealed value opens at its place with the new key"
        );
    }
    let checked = raw
        .texts("SELECT key_id FROM sealing_keys ORDER BY key_id")
        .await;
    assert!(
        checked.contains(&new.to_string()) && checked.contains(&old.to_string()),
        "both keys have a check value: {checked:?}"
    );
});

on_both_backends!(concurrent_sets_of_one_secret_leave_one_row, |db| {
    let f = fixture(&db.store).await;
    let writers = (0..16).map(|i| {
        let store = db.store.clone();
        async move {
            store
                .set_env_var(
                    &Scope::system(),
                    NewEnvVar {
                        app_id: f.app,
                        key: "TOKEN".parse().unwrap(),
                        value: SecretString::new(format!("value-{i}")),
                        secret: true,
                    },
                )
                .await
        }
    });
    let set: Vec<_> = futures::future::join_all(writers.map(tokio::spawn))
        .await
        .into_iter()
        .map(|joined| joined.unwrap().unwrap())
        .collect();

    assert!(
        set.iter().all(|var| var.id == set[0].id),
        "every writer replaced the one row: {:?}",
        set.iter().map(|var| var.id).collect::<Vec<_>>()
    );
    let stored = values(&db.store, f.app).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    let value = stored[0].1.clone().unwrap();
    assert!(
        (0..16).any(|i| value == format!("value-{i}")),
        "the stored value is one that was written: {value}"
    );
});
