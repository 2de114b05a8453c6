//! The [`Store`]: durable state, split into small repository traits.
//!
//! Every method takes the caller's [`Scope`](crate::access::Scope) and
//! enforces it: reads return only what the scope may see (another team's
//! rows are `NotFound`), writes check the role's [`Action`](crate::model::Action).
//! The engine uses [`Scope::system`](crate::access::Scope::system).
//!
//! # Implementing it
//!
//! Implement each repository trait, then `Store` (which only adds
//! [`Store::capabilities`]), and run
//! `rivetr_core::testkit::store::conformance(&your_store)`. Writes that
//! touch several rows (a project with its first environment, superseding
//! queued deployments) must be atomic.
//!
//! The platform's own tables ([`JobRepo`], [`AuditRepo`], [`SettingsRepo`],
//! [`CertificateRepo`], [`CredentialRepo`], [`SecretRepo`],
//! [`NotificationChannelRepo`], [`SessionRepo`], [`InvitationRepo`],
//! [`WebhookDeliveryRepo`]) are part of `Store` too; their checks can
//! also run alone through
//! `rivetr_core::testkit::store::platform_conformance`.

mod app;
mod audit;
mod certificate;
mod config;
pub mod contract;
mod deployment;
mod identity;
mod invitation;
mod job;
mod notification;
mod project;
mod secret;
mod session;
mod settings;
mod sign_in;
mod webhook;

use std::fmt;

pub use app::AppRepo;
pub use audit::AuditRepo;
pub use certificate::CertificateRepo;
pub use config::{DomainRepo, EnvVarRepo, VolumeRepo};
pub use deployment::{DeploymentRepo, LogRepo, TakenDeployment};
pub use identity::{TeamRepo, TokenRepo, UserRepo};
pub use invitation::InvitationRepo;
pub use job::JobRepo;
pub use notification::NotificationChannelRepo;
pub use project::ProjectRepo;
pub use secret::SecretRepo;
pub use session::SessionRepo;
pub use settings::SettingsRepo;
pub use sign_in::CredentialRepo;
pub use webhook::WebhookDeliveryRepo;

/// What a store offers beyond the repository traits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreCapabilities {
    /// State survives a restart of the process.
    pub durable: bool,
}

impl StoreCapabilities {
    /// A store whose state survives restarts.
    #[must_use]
    pub fn durable() -> Self {
        Self { durable: true }
    }

    /// A store that lives in memory only.
    #[must_use]
    pub fn volatile() -> Self {
        Self { durable: false }
    }
}

/// All of Rivetr's durable state. Object-safe: stored as `Arc<dyn Store>`.
pub trait Store:
    TeamRepo
    + UserRepo
    + TokenRepo
    + ProjectRepo
    + AppRepo
    + DeploymentRepo
    + LogRepo
    + EnvVarRepo
    + DomainRepo
    + VolumeRepo
    + JobRepo
    + AuditRepo
    + SettingsRepo
    + CertificateRepo
    + CredentialRepo
    + SecretRepo
    + NotificationChannelRepo
    + SessionRepo
    + InvitationRepo
    + WebhookDeliveryRepo
    + fmt::Debug
    + Send
    + Sync
    + 'static
{
    /// What this store offers.
    fn capabilities(&self) -> StoreCapabilities;
}
