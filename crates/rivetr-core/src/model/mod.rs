//! The domain model: the nouns a PaaS user talks about.
//!
//! Types here are plain serde data. Every user-supplied string inside them is
//! already a validated type from [`crate::input`], so a value of a model type is
//! safe to hand to Docker, git, the file system or the proxy.

#[macro_use]
pub(crate) mod dotted_name;

mod app;
mod audit;
mod certificate;
mod credential;
mod deployment;
mod domain;
mod env_var;
mod event;
mod job;
mod notification_channel;
mod password_hash;
mod project;
mod secret;
mod session;
mod setting;
mod team;
mod volume;
mod webhook_delivery;

pub(crate) mod duration_ms;

pub use app::{
    App, AppSpec, BuildSpec, BuilderKind, DeployPolicy, HealthCheck, HealthProbe, MountSource,
    NewApp, PublishSpec, Resources, RestartPolicy, RunSpec, SourceSpec, StaticSiteBuild,
    VolumeMount,
};
pub use audit::{AuditAction, AuditEntry, NewAuditEntry};
pub use certificate::{CertificateInfo, StoredCertificate};
pub use credential::{Credential, CredentialKind, NewCredential};
pub use deployment::{
    CommitInfo, Deployment, DeploymentStatus, DeploymentUpdate, LogLine, LogStream, NewDeployment,
    NewLogLine, Page, RunningContainer, Trigger,
};
pub use domain::{BasicAuth, Domain, NewDomain};
pub use env_var::{EnvVar, NewEnvVar};
pub use event::{Event, Notification, NotificationLevel};
pub use job::{Job, JobKind, JobLease, JobStatus, NewJob};
pub use notification_channel::{ChannelKind, NewNotificationChannel, NotificationChannel};
pub use password_hash::PasswordHash;
pub use project::{Environment, NewProject, Project};
pub use secret::SecretString;
pub use session::StoredSession;
pub use setting::SettingKey;
pub use team::{
    Action, ApiToken, Invitation, Membership, NewApiToken, NewInvitation, NewUser, Role, Team,
    TokenScope, User,
};
pub use volume::{NewVolume, Volume};
pub use webhook_delivery::{NewWebhookDelivery, WebhookDelivery, WebhookOutcome, WebhookProvider};
