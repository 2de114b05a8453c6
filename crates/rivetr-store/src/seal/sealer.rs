//! [`Sealer`]: seal and open values with a keyring.

use std::collections::BTreeMap;
use std::fmt;

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

use super::{KeyId, SealingKey};

/// Format marker at the start of every sealed value (version 1).
const MAGIC: &[u8; 3] = b"rs1";

/// Why a value could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// A key id with characters outside `a-z0-9-` or of the wrong length.
    #[error("sealing key id {0:?} is invalid: use 1 to 32 characters of a-z, 0-9 and -")]
    BadKeyId(String),
    /// A key is not `ID:BASE64` of 32 bytes.
    #[error("sealing key: {0}")]
    BadKey(String),
    /// The value was sealed by a key that is not in the keyring.
    #[error(
        "value sealed with key {0:?}, which is not configured: add that key to the key file (older keys stay listed after the current one until a reseal)"
    )]
    UnknownKey(String),
    /// The key with this id did not open the value: a different key under
    /// the same id, a value moved to another row, or tampering.
    #[error(
        "sealed value does not open with key {0:?}: the key differs from the one that sealed it, or the value was altered or moved"
    )]
    WrongKey(String),
    /// Not a sealed value at all.
    #[error("not a sealed value (bad format)")]
    Malformed,
    /// The operating system's random generator failed.
    #[error("the system random number generator failed")]
    Random,
}

/// Seals with the current key and opens with any key of its keyring.
pub struct Sealer {
    current: KeyId,
    keys: BTreeMap<KeyId, LessSafeKey>,
    random: SystemRandom,
}

impl Sealer {
    /// A sealer whose only key is `current`.
    #[must_use]
    pub fn new(current: SealingKey) -> Self {
        Self::with_old_keys(current, [])
    }

    /// A sealer sealing with `current` and also opening values sealed by
    /// `old` keys (after a rotation, until everything is resealed). An old
    /// key with the current key's id is ignored.
    pub fn with_old_keys(current: SealingKey, old: impl IntoIterator<Item = SealingKey>) -> Self {
        let mut keys = BTreeMap::new();
        for key in old {
            keys.insert(key.id().clone(), less_safe(&key));
        }
        let id = current.id().clone();
        keys.insert(id.clone(), less_safe(&current));
        // Only the AEAD key schedules are kept, not the raw key bytes.
        drop(current);
        Self {
            current: id,
            keys,
            random: SystemRandom::new(),
        }
    }

    /// The id of the key that seals new values.
    #[must_use]
    pub fn current_key(&self) -> &KeyId {
        &self.current
    }

    /// Ids of every key this sealer can open with.
    pub fn key_ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.keys()
    }

    /// Seal `plaintext` for storage at `place` (e.g. `b"env_vars.sealed:<id>"`).
    ///
    /// # Errors
    ///
    /// [`SealError::Random`] if no nonce could be drawn.
    pub fn seal(&self, place: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let key = self
            .keys
            .get(&self.current)
            .ok_or_else(|| SealError::UnknownKey(self.current.to_string()))?;
        let mut nonce = [0u8; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .map_err(|_| SealError::Random)?;
        let id = self.current.as_str().as_bytes();
        let mut out =
            Vec::with_capacity(MAGIC.len() + 1 + id.len() + NONCE_LEN + plaintext.len() + 16);
        out.extend_from_slice(MAGIC);
        // Key ids are at most 32 bytes (checked by `KeyId`).
        out.push(u8::try_from(id.len()).map_err(|_| SealError::Malformed)?);
        out.extend_from_slice(id);
        out.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(place),
            &mut body,
        )
        .map_err(|_| SealError::Malformed)?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Open a value sealed for `place`.
    ///
    /// # Errors
    ///
    /// [`SealError::UnknownKey`] when its key is not in the keyring,
    /// [`SealError::WrongKey`] when the key does not open it,
    /// [`SealError::Malformed`] when it is not a sealed value.
    pub fn open(&self, place: &[u8], sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        let (id, nonce, body) = split(sealed)?;
        let key = self
            .keys
            .get(id)
            .ok_or_else(|| SealError::UnknownKey(id.to_owned()))?;
        let mut body = body.to_vec();
        let plain = key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(place),
                &mut body,
            )
            .map_err(|_| SealError::WrongKey(id.to_owned()))?;
        Ok(plain.to_vec())
    }

    /// The id of the key that sealed `sealed` (to find values a reseal must
    /// touch).
    ///
    /// # Errors
    ///
    /// [`SealError::Malformed`] when it is not a sealed value.
    pub fn key_of(sealed: &[u8]) -> Result<&str, SealError> {
        split(sealed).map(|(id, _, _)| id)
    }
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealer")
            .field("current", &self.current)
            .field("keys", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn less_safe(key: &SealingKey) -> LessSafeKey {
    // AES-256 takes exactly 32 bytes, which `SealingKey` guarantees.
    let unbound = UnboundKey::new(&AES_256_GCM, key.bytes()).unwrap_or_else(|_| unreachable!());
    LessSafeKey::new(unbound)
}

/// Split a sealed value into key id, nonce and ciphertext with tag.
fn split(sealed: &[u8]) -> Result<(&str, [u8; NONCE_LEN], &[u8]), SealError> {
    let rest = sealed.strip_prefix(MAGIC).ok_or(SealError::Malformed)?;
    let (&len, rest) = rest.split_first().ok_or(SealError::Malformed)?;
    let len = usize::from(len);
    if rest.len() < len + NONCE_LEN + AES_256_GCM.tag_len() {
        return Err(SealError::Malformed);
    }
    let (id, rest) = rest.split_at(len);
    let id = std::str::from_utf8(id).map_err(|_| SealError::Malformed)?;
    let (nonce, body) = rest.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::Malformed)?;
    Ok((id, nonce, body))
}
