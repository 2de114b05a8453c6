//! Small primitives shared by the auth modules: random bytes, keyed hashes
//! with domain separation, constant-time comparison, hex and base64url.

use base64ct::{Base64UrlUnpadded, Encoding};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use subtle::ConstantTimeEq;

/// The system's random number generator failed (no entropy source); no
/// secret can be made, so the operation is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the system's random number generator is unavailable")]
pub struct RandomUnavailable;

/// `N` bytes from the operating system's secure random generator.
pub(super) fn random_bytes<const N: usize>() -> Result<[u8; N], RandomUnavailable> {
    let mut bytes = [0_u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| RandomUnavailable)?;
    Ok(bytes)
}

/// Whether `a` and `b` are equal, in time that depends only on their
/// lengths (never on where they differ).
pub(super) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// An HMAC-SHA256 key that tags messages with a purpose label, so one
/// server key can serve several purposes without one tag ever being valid
/// for another (`label || 0x00 || message`; labels hold no NUL).
#[derive(Clone)]
pub(super) struct LabeledKey {
    key: hmac::Key,
    label: &'static [u8],
}

impl LabeledKey {
    pub(super) fn new(key: &[u8; 32], label: &'static str) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
            label: label.as_bytes(),
        }
    }

    /// The tag of `message` under this key and label.
    pub(super) fn sign(&self, message: &[u8]) -> hmac::Tag {
        let mut ctx = hmac::Context::with_key(&self.key);
        ctx.update(self.label);
        ctx.update(&[0]);
        ctx.update(message);
        ctx.sign()
    }

    /// Whether `tag` is the tag of `message`, compared in constant time.
    pub(super) fn verify(&self, message: &[u8], tag: &[u8]) -> bool {
        ct_eq(self.sign(message).as_ref(), tag)
    }
}

impl std::fmt::Debug for LabeledKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabeledKey")
            .field("label", &String::from_utf8_lossy(self.label))
            .finish_non_exhaustive()
    }
}

/// Lowercase hex of `bytes`.
pub(super) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// Unpadded base64url of `bytes`.
pub(super) fn b64url(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// The 32 bytes whose unpadded base64url form is exactly `s` (43
/// characters of `A–Z a–z 0–9 - _`, canonical last character), else `None`.
pub(super) fn b64url_32(s: &str) -> Option<[u8; 32]> {
    if s.len() != 43 {
        return None;
    }
    let mut out = [0_u8; 32];
    let decoded = Base64UrlUnpadded::decode(s.as_bytes(), &mut out).ok()?;
    (decoded.len() == 32).then_some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::*;

    #[test]
    fn hex_and_base64url_round_trip() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        let bytes = random_bytes::<32>().unwrap();
        let text = b64url(&bytes);
        assert_eq!(text.len(), 43);
        assert_eq!(b64url_32(&text), Some(bytes));
        assert_eq!(b64url_32(&text[..42]), None);
        assert_eq!(b64url_32(&format!("{}=", &text[..42])), None);
        // The last character carries 2 unused bits, which must be zero.
        let mut loose = text[..42].to_owned();
        loose.push('B');
        let canonical = b64url_32(&format!("{}A", &text[..42])).is_some();
        assert!(canonical);
        assert_eq!(b64url_32(&loose), None);
    }

    #[test]
    fn labels_separate_purposes() {
        let a = LabeledKey::new(&[7; 32], "a");
        let b = LabeledKey::new(&[7; 32], "b");
        let tag = a.sign(b"message");
        assert!(a.verify(b"message", tag.as_ref()));
        assert!(!b.verify(b"message", tag.as_ref()));
        assert!(!a.verify(b"messagE", tag.as_ref()));
        assert!(!a.verify(b"message", &tag.as_ref()[..31]));
        assert!(ct_eq(b"same", b"same"));
        assert!(!ct_eq(b"same", b"sane"));
        assert!(!ct_eq(b"same", b"same+"));
    }
}
