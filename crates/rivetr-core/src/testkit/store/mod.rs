//! The conformance suite for [`Store`] implementations.
//!
//! [`conformance`] runs every check; the other functions run one area each,
//! so a failing area can be rerun alone. Each panics with a message that
//! starts with `store contract:` and names the broken promise of the
//! repository traits' `# Behavior` docs.
//!
//! The suite creates its own users, teams and names (with a random suffix),
//! and only makes exact-list assertions inside teams it just created, so it
//! can run against a store that already holds data (a durable backend
//! reusing one database), and several times in a row.
//!
//! [`platform_conformance`] does the same for the platform's own
//! repositories (job queue, audit log, settings, certificates, sign-in
//! credentials, team credentials, notification channels, browser sessions,
//! invitations, webhook deliveries). The job checks
//! use kinds of their own and wait for short (50 ms) leases to run out by
//! polling (for up to 10 s), never by a fixed sleep.
//!
//! # Running it against your store
//!
//! ```toml
//! [dev-dependencies]
//! rivetr-core = { version = "0.1", features = ["testkit"] }
//! tokio = { version = "1", features = ["macros", "rt"] }
//! ```
//!
//! ```no_run
//! # use rivetr_core::memory::MemoryStore as MyStore;
//! # async fn connect() -> MyStore { MyStore::new() }
//! use std::sync::Arc;
//!
//! use rivetr_core::store::Store;
//! use rivetr_core::testkit::store as suite;
//!
//! #[tokio::test]
//! async fn my_store_keeps_the_store_contract() {
//!     let store = connect().await; // your backend, e.g. on a throwaway database
//!     suite::conformance(&store).await;
//!
//!     // Through a trait object, as the engine holds it.
//!     let shared: Arc<dyn Store> = Arc::new(store);
//!     suite::conformance(&*shared).await;
//!
//!     // Or one area at a time.
//!     suite::deployments(&*shared).await;
//! }
//! ```

mod apps;
mod audit;
mod cascades;
mod certificates;
mod channels;
mod config;
mod deployments;
mod fixtures;
mod helpers;
mod identity;
mod invitations;
mod jobs;
mod logs;
mod platform_fixtures;
mod projects;
mod roles;
mod scoping;
mod secrets;
mod sessions;
mod settings;
mod sign_in;
mod tokens;
mod webhook_deliveries;

pub use apps::apps;
pub use audit::audit;
pub use cascades::cascades;
pub use certificates::certificates;
pub use channels::notification_channels;
pub use config::config;
pub use deployments::deployments;
pub use identity::identity;
pub use invitations::invitations;
pub use jobs::jobs;
pub use logs::logs;
pub use projects::projects;
pub use roles::roles;
pub use scoping::scoping;
pub use secrets::secrets;
pub use sessions::sessions;
pub use settings::settings;
pub use sign_in::sign_in;
pub use tokens::tokens;
pub use webhook_deliveries::webhook_deliveries;

use crate::store::{
    AppRepo, AuditRepo, CertificateRepo, CredentialRepo, InvitationRepo, JobRepo,
    NotificationChannelRepo, ProjectRepo, SecretRepo, SessionRepo, SettingsRepo, Store, TeamRepo,
    UserRepo, WebhookDeliveryRepo,
};

/// Run every check of the suite.
///
/// Accepts any store, including `&dyn Store` (use `&*arc` for an
/// `Arc<dyn Store>`).
pub async fn conformance<S: Store + ?Sized>(store: &S) {
    identity(store).await;
    tokens(store).await;
    projects(store).await;
    apps(store).await;
    deployments(store).await;
    logs(store).await;
    config(store).await;
    roles(store).await;
    scoping(store).await;
    cascades(store).await;
    platform_conformance(store).await;
}

/// Run every check of the platform repositories: [`jobs`], [`audit`],
/// [`settings`], [`certificates`], [`sign_in`], [`secrets`],
/// [`notification_channels`], [`sessions`], [`invitations`] and
/// [`webhook_deliveries`] ([`conformance`] runs these too).
///
/// Accepts any store implementing them, not only a whole [`Store`]
/// (`TeamRepo`, `UserRepo`, `ProjectRepo` and `AppRepo` make the teams,
/// users and apps the scoped checks act in).
pub async fn platform_conformance<S>(store: &S)
where
    S: JobRepo
        + AuditRepo
        + SettingsRepo
        + CertificateRepo
        + CredentialRepo
        + SecretRepo
        + NotificationChannelRepo
        + SessionRepo
        + InvitationRepo
        + WebhookDeliveryRepo
        + TeamRepo
        + UserRepo
        + ProjectRepo
        + AppRepo
        + ?Sized,
{
    jobs(store).await;
    audit(store).await;
    settings(store).await;
    certificates(store).await;
    sign_in(store).await;
    secrets(store).await;
    notification_channels(store).await;
    sessions(store).await;
    invitations(store).await;
    webhook_deliveries(store).await;
}
