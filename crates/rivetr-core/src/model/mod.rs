//! The domain model: the nouns a PaaS user talks about.
//!
//! Types here are plain serde data. Every user-supplied string inside them is
//! already a validated type from [`crate::input`], so a value of a model type is
//! safe to hand to Docker, git, the file system or the proxy.

mod app;
mod deployment;
mod domain;
mod env_var;
mod event;
mod project;
mod secret;
mod team;
mod volume;

pub(crate) mod duration_ms;

pub use app::{
    App, AppSpec, BuildSpec, BuilderKind, DeployPolicy, HealthCheck, HealthProbe, MountSource,
    NewApp, PublishSpec, Resources, RestartPolicy, RunSpec, SourceSpec, StaticSiteBuild,
    VolumeMount,
};
pub use deployment::{
    CommitInfo, Deployment, DeploymentStatus, DeploymentUpdate, LogLine, LogStream, NewDeployment,
    NewLogLine, Page, RunningContainer, Trigger,
};
pub use domain::{BasicAuth, Domain, NewDomain};
pub use env_var::{EnvVar, NewEnvVar};
pub use event::{Event, Notification, NotificationLevel};
pub use project::{Environment, NewProject, Project};
pub use secret::SecretString;
pub use team::{
    Action, ApiToken, Invitation, Membership, NewApiToken, NewUser, Role, Team, TokenScope, User,
};
pub use volume::{NewVolume, Volume};
