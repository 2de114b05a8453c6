//! Typed identifiers: an `AppId` can never be passed where a `TeamId` is meant.
//!
//! Every id wraps a UUID (version 7 when generated here, so ids sort by
//! creation time) and prints as the plain hyphenated UUID.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::input::InputError;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, unique, time-ordered id.
            #[must_use]
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wrap an existing UUID (for stores reading their rows back).
            #[must_use]
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside.
            #[must_use]
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = InputError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s)
                    .map(Self)
                    .map_err(|_| InputError::new($what, s, "expected a UUID such as 0190c5d2-7a8b-7c3d-9e4f-0a1b2c3d4e5f"))
            }
        }
    };
}

typed_id!(
    /// Identifies a [`Team`](crate::model::Team).
    TeamId, "team id"
);
typed_id!(
    /// Identifies a [`User`](crate::model::User).
    UserId, "user id"
);
typed_id!(
    /// Identifies an [`ApiToken`](crate::model::ApiToken).
    TokenId, "token id"
);
typed_id!(
    /// Identifies a [`Project`](crate::model::Project).
    ProjectId, "project id"
);
typed_id!(
    /// Identifies an [`Environment`](crate::model::Environment).
    EnvironmentId, "environment id"
);
typed_id!(
    /// Identifies an [`App`](crate::model::App).
    AppId, "app id"
);
typed_id!(
    /// Identifies a [`Deployment`](crate::model::Deployment).
    DeploymentId, "deployment id"
);
typed_id!(
    /// Identifies a [`Domain`](crate::model::Domain) attached to an app.
    DomainId, "domain id"
);
typed_id!(
    /// Identifies a [`Volume`](crate::model::Volume).
    VolumeId, "volume id"
);
typed_id!(
    /// Identifies an [`EnvVar`](crate::model::EnvVar).
    EnvVarId, "environment variable id"
);
typed_id!(
    /// Identifies an [`Invitation`](crate::model::Invitation) to a team.
    InvitationId, "invitation id"
);
typed_id!(
    /// Identifies an uploaded source archive kept by the server.
    UploadId, "upload id"
);
typed_id!(
    /// Identifies a background [`Job`](crate::model::Job).
    JobId, "job id"
);
typed_id!(
    /// Identifies an [`AuditEntry`](crate::model::AuditEntry).
    AuditId, "audit entry id"
);
typed_id!(
    /// Identifies a team's sealed [`Credential`](crate::model::Credential).
    CredentialId, "credential id"
);
typed_id!(
    /// Identifies a [`NotificationChannel`](crate::model::NotificationChannel).
    ChannelId, "notification channel id"
);
typed_id!(
    /// Identifies a [`WebhookDelivery`](crate::model::WebhookDelivery).
    WebhookDeliveryId, "webhook delivery id"
);
