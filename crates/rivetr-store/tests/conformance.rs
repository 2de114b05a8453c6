#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! `rivetr_core::testkit`'s store suite on SQLite and PostgreSQL, one test
//! per area so a failure names its area.

mod common;

use rivetr_core::testkit::store as suite;

on_both_backends!(identity, |db| suite::identity(&db.store).await);
on_both_backends!(tokens, |db| suite::tokens(&db.store).await);
on_both_backends!(projects, |db| suite::projects(&db.store).await);
on_both_backends!(apps, |db| suite::apps(&db.store).await);
on_both_backends!(deployments, |db| suite::deployments(&db.store).await);
on_both_backends!(logs, |db| suite::logs(&db.store).await);
on_both_backends!(config, |db| suite::config(&db.store).await);
on_both_backends!(roles, |db| suite::roles(&db.store).await);
on_both_backends!(scoping, |db| suite::scoping(&db.store).await);
on_both_backends!(cascades, |db| suite::cascades(&db.store).await);

on_both_backends!(whole_suite_through_dyn_store, |db| {
    let shared: std::sync::Arc<dyn rivetr_core::store::Store> =
        std::sync::Arc::new(db.store.clone());
    suite::conformance(&*shared).await;
});

// The platform repositories (jobs, audit, settings, certificates, sign-in
// credentials, team credentials, notification channels, sessions,
// invitations, webhook deliveries).
on_both_backends!(jobs, |db| suite::jobs(&db.store).await);
on_both_backends!(audit, |db| suite::audit(&db.store).await);
on_both_backends!(settings, |db| suite::settings(&db.store).await);
on_both_backends!(certificates, |db| suite::certificates(&db.store).await);
on_both_backends!(sign_in, |db| suite::sign_in(&db.store).await);
on_both_backends!(secrets, |db| suite::secrets(&db.store).await);
on_both_backends!(notification_channels, |db| suite::notification_channels(
    &db.store
)
.await);
on_both_backends!(sessions, |db| suite::sessions(&db.store).await);
on_both_backends!(invitations, |db| suite::invitations(&db.store).await);
on_both_backends!(webhook_deliveries, |db| suite::webhook_deliveries(
    &db.store
)
.await);
