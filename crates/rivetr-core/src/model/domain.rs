//! Domains attached to apps, with their routing options.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{AppId, DomainId, TeamId};
use crate::input::{DomainName, HostPattern};

/// A host name (or wildcard) that routes to an app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    /// Identity.
    pub id: DomainId,
    /// Owning team.
    pub team_id: TeamId,
    /// The app it routes to.
    pub app_id: AppId,
    /// Host or `*.host`, unique on the instance.
    pub host: HostPattern,
    /// Redirect plain HTTP to HTTPS.
    pub force_https: bool,
    /// Answer with a permanent redirect to this host instead of proxying
    /// (www to apex and back).
    pub redirect_to: Option<DomainName>,
    /// Ask for a user name and password first.
    pub basic_auth: Option<BasicAuth>,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

/// What it takes to add a [`Domain`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDomain {
    /// The app to route to.
    pub app_id: AppId,
    /// Host or `*.host`.
    pub host: HostPattern,
    /// Redirect plain HTTP to HTTPS.
    pub force_https: bool,
    /// Redirect to this host instead of proxying.
    pub redirect_to: Option<DomainName>,
    /// Basic auth in front of the app.
    pub basic_auth: Option<BasicAuth>,
}

/// HTTP basic auth credentials: the password is kept only as a hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasicAuth {
    /// User name.
    pub username: String,
    /// PHC-format hash of the password.
    pub password_hash: String,
}
