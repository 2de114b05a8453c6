//! Where a team's webhook secret lives.
//!
//! The secret is a sealed credential of the team (kind `git_token`, named
//! [`CREDENTIAL_NAME`]), so it is encrypted at rest like every other team
//! secret. The instance setting `webhook.team_<team id, 32 hex digits>`
//! holds the credential's id, so a delivery finds its team's secret with
//! two point reads, never by listing (and unsealing) every credential.
//! The hook id in the URL is the team id.

use ring::rand::{SecureRandom, SystemRandom};
use rivetr_core::access::Scope;
use rivetr_core::id::{CredentialId, TeamId};
use rivetr_core::model::{Credential, CredentialKind, NewCredential, SecretString, SettingKey};
use rivetr_core::store::Store;
use rivetr_core::{Error, ErrorKind};
use serde::{Deserialize, Serialize};

/// The name of the credential that holds a team's webhook secret.
pub(super) const CREDENTIAL_NAME: &str = "Webhook secret";

/// What every generated secret starts with (so secret scanners can find a
/// leaked one).
const SECRET_PREFIX: &str = "rvwh_";

/// The setting's value.
#[derive(Debug, Serialize, Deserialize)]
struct Pointer {
    credential: CredentialId,
}

/// The key of the setting that points at `team`'s secret.
fn setting_key(team: TeamId) -> Result<SettingKey, Error> {
    format!("webhook.team_{}", team.as_uuid().simple())
        .parse()
        .map_err(|err| Error::internal(format!("webhook setting key: {err}")))
}

/// `team`'s webhook secret credential, as the platform reads it (with its
/// value); `None` when no secret was ever set or it was deleted.
///
/// # Errors
///
/// Store errors other than "not found".
pub(super) async fn load(store: &dyn Store, team: TeamId) -> Result<Option<Credential>, Error> {
    let system = Scope::system();
    let Some(value) = store.get_setting(&system, &setting_key(team)?).await? else {
        return Ok(None);
    };
    let Ok(pointer) = serde_json::from_value::<Pointer>(value) else {
        tracing::warn!(%team, "the webhook secret setting is not a credential pointer");
        return Ok(None);
    };
    match store.get_credential(&system, pointer.credential).await {
        Ok(credential) if credential.team_id == team => Ok(Some(credential)),
        Ok(_) => Ok(None),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

/// Set a new random secret for the caller's team, replacing the old one;
/// returns the credential (as `scope` sees it) and the new secret.
///
/// # Errors
///
/// `PermissionDenied` unless `scope` may manage the team's apps (the store
/// decides), `Unavailable` when no random bytes can be had, store errors.
pub(super) async fn rotate(
    store: &dyn Store,
    scope: &Scope,
    team: TeamId,
) -> Result<(Credential, SecretString), Error> {
    let secret = generate()?;
    let name = CREDENTIAL_NAME
        .parse()
        .map_err(|err| Error::internal(format!("webhook credential name: {err}")))?;
    let credential = store
        .put_credential(
            scope,
            NewCredential {
                team_id: team,
                name,
                kind: CredentialKind::GitToken,
                value: secret.clone(),
            },
        )
        .await?;
    let pointer = serde_json::to_value(Pointer {
        credential: credential.id,
    })
    .map_err(|err| Error::internal(format!("webhook setting value: {err}")))?;
    store
        .put_setting(&Scope::system(), &setting_key(team)?, pointer)
        .await?;
    Ok((credential, secret))
}

/// A new secret: the prefix and 64 hex digits (256 random bits), which
/// every provider's secret field accepts.
fn generate() -> Result<SecretString, Error> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::unavailable("the system's random generator failed"))?;
    let mut text = String::with_capacity(SECRET_PREFIX.len() + 64);
    text.push_str(SECRET_PREFIX);
    for byte in bytes {
        text.push(char::from(HEX[usize::from(byte >> 4)]));
        text.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    Ok(SecretString::new(text))
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::*;

    #[test]
    fn secrets_are_prefixed_random_hex() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
        let hex = a.expose().strip_prefix(SECRET_PREFIX).unwrap();
        assert_eq!(hex.len(), 64);
        assert!(hex.bytes().all(|c| HEX.contains(&c)));
    }

    #[test]
    fn every_team_has_a_valid_setting_key() {
        let key = setting_key(TeamId::new()).unwrap();
        assert!(key.as_str().starts_with("webhook.team_"));
        assert_eq!(key.as_str().len(), "webhook.team_".len() + 32);
    }
}
