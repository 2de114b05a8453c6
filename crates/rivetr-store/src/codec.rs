//! Converting between rows and core types: ids, enums, JSON columns,
//! validated strings, numbers.

use rivetr_core::Error;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A serde enum (`#[serde(rename_all = "snake_case")]`) as its name.
pub(crate) fn enum_text<T: Serialize>(value: &T) -> rivetr_core::Result<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        Ok(other) => Err(Error::internal(format!(
            "expected a unit enum, got {other}"
        ))),
        Err(e) => Err(Error::internal("encoding a value").with_source(e)),
    }
}

/// A serde enum from its stored name.
pub(crate) fn parse_enum<T: DeserializeOwned>(text: &str, what: &str) -> rivetr_core::Result<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|e| corrupt(what, text).with_source(e))
}

/// A value as JSON text.
pub(crate) fn json_text<T: Serialize>(value: &T) -> rivetr_core::Result<String> {
    serde_json::to_string(value).map_err(|e| Error::internal("encoding a value").with_source(e))
}

/// A value from JSON text.
pub(crate) fn parse_json<T: DeserializeOwned>(text: &str, what: &str) -> rivetr_core::Result<T> {
    serde_json::from_str(text).map_err(|e| corrupt(what, "(json)").with_source(e))
}

/// A validated string type from a stored column.
pub(crate) fn parse_text<T>(text: &str, what: &str) -> rivetr_core::Result<T>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    text.parse().map_err(|e| corrupt(what, text).with_source(e))
}

/// A count or number as the signed 64-bit integer both backends store.
pub(crate) fn to_i64(value: u64) -> rivetr_core::Result<i64> {
    i64::try_from(value).map_err(|_| Error::invalid_input(format!("{value} is too large")))
}

/// A stored non-negative integer.
pub(crate) fn to_u64(value: i64, what: &str) -> rivetr_core::Result<u64> {
    u64::try_from(value).map_err(|_| corrupt(what, &value.to_string()))
}

/// A row that does not decode: the database was changed behind the
/// store's back.
pub(crate) fn corrupt(what: &str, value: &str) -> Error {
    Error::internal(format!("stored {what} {value:?} does not decode"))
}

/// The current time at the precision both backends keep (microseconds;
/// PostgreSQL's `timestamptz` has no nanoseconds), so a row read back
/// equals the model that was written.
pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    micros(chrono::Utc::now())
}

/// `at` truncated to microseconds. Apply to every timestamp a caller hands
/// in before storing it and before returning the stored model.
pub(crate) fn micros(at: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    at.trunc_subsecs(6)
}

/// `id` as the UUID the rows store.
pub(crate) fn uuid_of<T: AsUuid + Copy>(id: T) -> uuid::Uuid {
    *id.uuid()
}

/// Typed ids that wrap a UUID.
pub(crate) trait AsUuid {
    /// The UUID inside.
    fn uuid(&self) -> &uuid::Uuid;
}

macro_rules! as_uuid {
    ($($id:ty),* $(,)?) => {
        $(impl AsUuid for $id {
            fn uuid(&self) -> &uuid::Uuid {
                self.as_uuid()
            }
        })*
    };
}

as_uuid!(
    rivetr_core::id::TeamId,
    rivetr_core::id::UserId,
    rivetr_core::id::TokenId,
    rivetr_core::id::ProjectId,
    rivetr_core::id::EnvironmentId,
    rivetr_core::id::AppId,
    rivetr_core::id::DeploymentId,
    rivetr_core::id::DomainId,
    rivetr_core::id::VolumeId,
    rivetr_core::id::EnvVarId,
    rivetr_core::id::InvitationId,
    rivetr_core::id::JobId,
    rivetr_core::id::AuditId,
    rivetr_core::id::CredentialId,
    rivetr_core::id::ChannelId,
);
