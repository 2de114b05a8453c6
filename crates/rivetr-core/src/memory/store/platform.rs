//! The tables of the platform's own repositories (jobs, audit log,
//! settings, certificates, sign-in credentials, team credentials,
//! notification channels), kept apart from the core [`State`](super::State)
//! rows.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Table;
use crate::error::{Error, Result};
use crate::id::{ChannelId, CredentialId, JobId, TeamId, UserId};
use crate::model::{
    AuditEntry, Credential, Job, NotificationChannel, PasswordHash, SecretString, SettingKey,
    StoredCertificate,
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
}

impl Platform {
    /// Remove a deleted team's rows. Its audit entries are kept, for
    /// forensics.
    pub(super) fn delete_team_rows(&mut self, team: TeamId) {
        self.credentials.retain(|c| c.team_id != team);
        self.channels.retain(|c| c.team_id != team);
    }
}

/// `now + d`, refusing durations chrono cannot represent.
pub(super) fn after(now: DateTime<Utc>, d: Duration) -> Result<DateTime<Utc>> {
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .ok_or_else(|| Error::invalid_input(format!("duration {d:?} is too long")))
}

/// Refuses empty text, text over `max` characters, and control characters.
pub(super) fn check_line(what: &str, s: &str, max: usize) -> Result<()> {
    if s.is_empty() {
        return Err(Error::invalid_input(format!("{what} must not be empty")));
    }
    line(what, s, max)
}

/// Refuses text over `max` characters and control characters (empty is
/// fine).
pub(super) fn line(what: &str, s: &str, max: usize) -> Result<()> {
    if s.chars().count() > max {
        return Err(Error::invalid_input(format!(
            "{what} is longer than {max} characters"
        )));
    }
    if s.chars().any(char::is_control) {
        return Err(Error::invalid_input(format!(
            "{what} must not hold control characters"
        )));
    }
    Ok(())
}
