#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! Migrations: from an empty database, re-run on an up-to-date one, data
//! surviving, and a database from a newer Rivetr refused.

mod common;

use rivetr_core::access::Scope;
use rivetr_core::model::NewUser;
use rivetr_core::store::UserRepo;
use rivetr_store::{SqlStore, StoreError};
use sea_orm::sqlx::{Connection, Executor};

async fn migrations_table(db: &common::TestDb) -> Vec<String> {
    let url = db.config.url.clone();
    let sql = "SELECT version FROM seaql_migrations ORDER BY version";
    if let Some(path) = url.strip_prefix("sqlite://") {
        let mut conn = sea_orm::sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
            .await
            .unwrap();
        sea_orm::sqlx::query_scalar(sql)
            .fetch_all(&mut conn)
            .await
            .unwrap()
    } else {
        let mut conn = sea_orm::sqlx::PgConnection::connect(&url).await.unwrap();
        sea_orm::sqlx::query_scalar(sql)
            .fetch_all(&mut conn)
            .await
            .unwrap()
    }
}

async fn execute(db: &common::TestDb, sql: &str) {
    let url = db.config.url.clone();
    if let Some(path) = url.strip_prefix("sqlite://") {
        let mut conn = sea_orm::sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
            .await
            .unwrap();
        conn.execute(sql).await.unwrap();
    } else {
        let mut conn = sea_orm::sqlx::PgConnection::connect(&url).await.unwrap();
        conn.execute(sql).await.unwrap();
    }
}

on_both_backends!(
    empty_database_gets_every_migration_and_rerun_changes_nothing,
    |db| {
        let applied = migrations_table(&db).await;
        assert!(applied.len() >= 2, "migrations applied: {applied:?}");
        assert!(applied.iter().any(|m| m.ends_with("_core")), "{applied:?}");
        drop(db.store.clone());
        let again = db.reopen().await;
        assert_eq!(
            migrations_table(&db).await,
            applied,
            "a re-run applied something again"
        );
        drop(again);
    }
);

on_both_backends!(data_survives_reopening, |db| {
    let user = db
        .store
        .create_user(
            &Scope::system(),
            NewUser {
                email: "ada@example.com".parse().unwrap(),
                name: "Ada".parse().unwrap(),
                instance_admin: true,
            },
        )
        .await
        .unwrap();
    let reopened = db.reopen().await;
    assert_eq!(
        reopened.get_user(&Scope::system(), user.id).await.unwrap(),
        user
    );
});

on_both_backends!(database_from_a_newer_rivetr_is_refused, |db| {
    execute(
        &db,
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m29991231_000001_from_the_future', 0)",
    )
    .await;
    let err = SqlStore::open(db.config.clone()).await.unwrap_err();
    assert!(matches!(err, StoreError::Schema(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("newer version"), "{message}");
});
