//! sea-orm entities, one file per table (see [`crate::migration`] for the
//! schema itself). Rows are plain: ids are UUIDs, enums are their snake_case
//! names, structured values are JSON text, sealed values are bytes.

// The derive macros generate public items that are reachable only inside
// this crate.
#![allow(unreachable_pub, missing_docs)]

pub(crate) mod acme_accounts;
pub(crate) mod api_tokens;
pub(crate) mod apps;
pub(crate) mod audit_log;
pub(crate) mod certificates;
pub(crate) mod credentials;
pub(crate) mod deployments;
pub(crate) mod domains;
pub(crate) mod env_vars;
pub(crate) mod environments;
pub(crate) mod invitations;
pub(crate) mod jobs;
pub(crate) mod log_chunks;
pub(crate) mod memberships;
pub(crate) mod notification_channels;
pub(crate) mod projects;
pub(crate) mod sealing_keys;
pub(crate) mod sessions;
pub(crate) mod settings;
pub(crate) mod teams;
pub(crate) mod user_credentials;
pub(crate) mod users;
pub(crate) mod volumes;
pub(crate) mod webhook_deliveries;
