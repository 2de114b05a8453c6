//! A sealing key and its id.

use std::fmt;
use std::str::FromStr;

use base64ct::{Base64, Encoding};
use ring::rand::{SecureRandom, SystemRandom};

use super::SealError;

/// The name of a sealing key, recorded in every value it seals: 1 to 32
/// characters of `a-z`, `0-9` and `-`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for KeyId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl FromStr for KeyId {
    type Err = SealError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let valid = !s.is_empty()
            && s.len() <= 32
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Self(s.to_owned()))
        } else {
            Err(SealError::BadKeyId(s.to_owned()))
        }
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.0)
    }
}

/// A 256-bit AES-GCM key with its id. `Debug` never shows the key bytes.
#[derive(Clone)]
pub struct SealingKey {
    id: KeyId,
    bytes: [u8; 32],
}

impl SealingKey {
    /// A key from its id and 32 bytes.
    #[must_use]
    pub fn new(id: KeyId, bytes: [u8; 32]) -> Self {
        Self { id, bytes }
    }

    /// A fresh random key from the operating system's generator.
    ///
    /// # Errors
    ///
    /// [`SealError::Random`] if the generator fails.
    pub fn generate(id: KeyId) -> Result<Self, SealError> {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| SealError::Random)?;
        Ok(Self { id, bytes })
    }

    /// The key's id.
    #[must_use]
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }
}

/// `ID:BASE64`, the key file's line format: a [`KeyId`] and 32 bytes in
/// standard base64.
///
/// ```
/// use rivetr_store::seal::SealingKey;
///
/// let key: SealingKey = "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".parse().unwrap();
/// assert_eq!(key.id().as_str(), "k1");
/// assert!("k1:c2hvcnQ=".parse::<SealingKey>().is_err());
/// ```
impl FromStr for SealingKey {
    type Err = SealError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| SealError::BadKey(reason.to_owned());
        let (id, key) = text
            .trim()
            .split_once(':')
            .ok_or_else(|| bad("expected ID:BASE64"))?;
        let id: KeyId = id.parse()?;
        let mut bytes = [0u8; 32];
        let decoded = Base64::decode(key.trim(), &mut bytes)
            .map_err(|_| bad("the key is not base64 of 32 bytes"))?;
        if decoded.len() != 32 {
            return Err(SealError::BadKey(format!(
                "the key has {} bytes, expected 32",
                decoded.len()
            )));
        }
        Ok(Self::new(id, bytes))
    }
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealingKey")
            .field("id", &self.id)
            .field("bytes", &"***")
            .finish()
    }
}
