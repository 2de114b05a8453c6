//! The tables of the platform's own repositories (jobs, audit log,
//! settings, certificates, sign-in credentials, team credentials,
//! notification channels, sessions, invitations, webhook deliveries), kept
//! apart from the core [`State`](super::State)
//! rows.

use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

use super::Table;
use crate::id::{AppId, ChannelId, CredentialId, InvitationId, JobId, TeamId, UserId};
use crate::model::{
    AuditEntry, Credential, Invitation, Job, NotificationChannel, PasswordHash, SecretString,
    SettingKey, StoredCertificate, StoredSession, WebhookDelivery,
};

/// A stored certificate and when it was stored.
pub(super) struct CertRow {
    pub(super) cert: StoredCertificate,
    pub(super) updated_at: DateTime<Utc>,
}

/// Everything the platform repositories hold.
#[derive(Default)]
pub(super) struct Platform {
    pub(super) jobs: Table<JobId, Job>,
    /// Append-only, in `seq` order.
    pub(super) audit: Vec<AuditEntry>,
    pub(super) settings: BTreeMap<SettingKey, serde_json::Value>,
    /// By (key, directory URL).
    pub(super) certificates: BTreeMap<(String, String), CertRow>,
    /// By (contact, directory URL).
    pub(super) acme_accounts: HashMap<(Vec<String>, String), SecretString>,
    pub(super) password_hashes: HashMap<UserId, PasswordHash>,
    pub(super) totp_secrets: HashMap<UserId, SecretString>,
    pub(super) credentials: Table<CredentialId, Credential>,
    pub(super) channels: Table<ChannelId, NotificationChannel>,
    /// By hash.
    pub(super) sessions: HashMap<String, StoredSession>,
    /// With the hash of their token.
    pub(super) invitations: Table<InvitationId, (Invitation, String)>,
    /// Oldest first.
    pub(super) webhook_deliveries: Vec<WebhookDelivery>,
}

impl Platform {
    /// Remove a deleted team's rows. Its audit entries are kept, for
    /// forensics.
    pub(super) fn delete_team_rows(&mut self, team: TeamId) {
        self.credentials.retain(|c| c.team_id != team);
        self.channels.retain(|c| c.team_id != team);
        self.invitations.retain(|(i, _)| i.team_id != team);
    }

    /// Remove a deleted app's rows.
    pub(super) fn delete_app_rows(&mut self, app: AppId) {
        self.webhook_deliveries.retain(|d| d.app_id != Some(app));
    }
}

// The input rules of the traits' contracts, shared with other stores.
pub(super) use crate::store::contract::{
    instant_after as after, line as check_line, optional_line as line,
};
