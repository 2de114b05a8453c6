//! Two-factor authentication with time-based one-time passwords (RFC 6238:
//! HMAC-SHA1, 30-second steps, 6 digits), as authenticator apps compute
//! them.
//!
//! A secret is 20 random bytes, shown to the user once as base32 (and as
//! an `otpauth://` URI for a QR code) when they turn 2FA on; the server
//! keeps it sealed. A code is accepted for the current step and one step
//! either side (clock drift), compared in constant time, and never twice:
//! the caller stores the step [`verify`] returns and passes it back next
//! time, so a code seen over someone's shoulder cannot be replayed.

use std::fmt;

use chrono::{DateTime, Utc};
use ring::hmac;
use rivetr_core::input::Email;

use super::crypto::{RandomUnavailable, ct_eq, random_bytes};

/// Seconds per time step.
pub const STEP_SECONDS: i64 = 30;
/// Digits in a code.
pub const DIGITS: u32 = 6;
/// Bytes in a generated secret (160 bits, RFC 4226's recommendation).
pub const SECRET_LEN: usize = 20;
/// The issuer shown by authenticator apps.
pub const ISSUER: &str = "Rivetr";

/// The RFC 4648 base32 alphabet.
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A TOTP shared secret. `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

/// Why a code or a secret was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TotpError {
    /// The code is not exactly 6 ASCII digits.
    #[error("a code has 6 digits")]
    Malformed,
    /// The code matches none of the accepted steps.
    #[error("wrong code")]
    Wrong,
    /// The code was right but its step was already used.
    #[error("this code was already used; wait for the next one")]
    Replayed,
    /// The secret is not base32 of at least 16 bytes.
    #[error("a secret is base32 of at least 16 bytes")]
    BadSecret,
}

impl TotpSecret {
    /// A new random secret of [`SECRET_LEN`] bytes.
    ///
    /// # Errors
    ///
    /// When the system's random generator fails.
    pub fn generate() -> Result<Self, RandomUnavailable> {
        Ok(Self(random_bytes::<SECRET_LEN>()?.to_vec()))
    }

    /// A secret from its raw bytes (at least 16).
    ///
    /// # Errors
    ///
    /// [`TotpError::BadSecret`] when shorter.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, TotpError> {
        if bytes.len() < 16 {
            return Err(TotpError::BadSecret);
        }
        Ok(Self(bytes))
    }

    /// A secret from its base32 form (case-insensitive, without padding).
    ///
    /// # Errors
    ///
    /// [`TotpError::BadSecret`] when it is not base32 or too short.
    pub fn from_base32(s: &str) -> Result<Self, TotpError> {
        Self::from_bytes(base32_decode(s).ok_or(TotpError::BadSecret)?)
    }

    /// The raw bytes, to seal and store.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The base32 form without padding, for authenticator apps.
    #[must_use]
    pub fn to_base32(&self) -> String {
        base32_encode(&self.0)
    }

    /// The `otpauth://totp/Rivetr:<email>?secret=…&issuer=Rivetr` URI to
    /// show as a QR code.
    #[must_use]
    pub fn provisioning_uri(&self, email: &Email) -> String {
        format!(
            "otpauth://totp/{ISSUER}:{}?secret={}&issuer={ISSUER}",
            percent_encode(email.as_str()),
            self.to_base32()
        )
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(***)")
    }
}

/// The time step `now` falls in (0 before the Unix epoch).
#[must_use]
pub fn step_at(now: DateTime<Utc>) -> u64 {
    u64::try_from(now.timestamp().div_euclid(STEP_SECONDS)).unwrap_or(0)
}

/// The code of `step` with `digits` digits (RFC 4226 §5.3 truncation),
/// zero-padded. `digits` is clamped to 1..=9.
#[must_use]
pub fn code_at(secret: &TotpSecret, step: u64, digits: u32) -> String {
    let digits = digits.clamp(1, 9);
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &secret.0);
    let tag = hmac::sign(&key, &step.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    let code = binary % 10_u32.pow(digits);
    format!("{code:0width$}", width = digits as usize)
}

/// Check a 6-digit `code` at `now`, accepting the current step and one
/// step either side, refusing any step not after `last_used_step`.
///
/// Every candidate step is computed and compared in constant time, so the
/// answer's timing does not say which step matched.
///
/// # Errors
///
/// - not 6 ASCII digits (surrounding spaces are allowed):
///   [`TotpError::Malformed`];
/// - right, but for a step already used: [`TotpError::Replayed`];
/// - otherwise: [`TotpError::Wrong`].
///
/// On success, the step the code belongs to: store it as the user's last
/// used step.
pub fn verify(
    secret: &TotpSecret,
    code: &str,
    now: DateTime<Utc>,
    last_used_step: Option<u64>,
) -> Result<u64, TotpError> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TotpError::Malformed);
    }
    let current = step_at(now);
    let mut fresh = None;
    let mut replayed = false;
    for step in [
        current.saturating_sub(1),
        current,
        current.saturating_add(1),
    ] {
        let expected = code_at(secret, step, DIGITS);
        if ct_eq(expected.as_bytes(), code.as_bytes()) {
            if last_used_step.is_some_and(|last| step <= last) {
                replayed = true;
            } else {
                fresh = Some(step);
            }
        }
    }
    match (fresh, replayed) {
        (Some(step), _) => Ok(step),
        (None, true) => Err(TotpError::Replayed),
        (None, false) => Err(TotpError::Wrong),
    }
}

/// RFC 4648 base32 without padding.
fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0_u32, 0_u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The bytes of RFC 4648 base32 text (any case, padding optional, spaces
/// ignored as apps display them in groups), or `None`.
fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let (mut buffer, mut bits) = (0_u32, 0_u32);
    for c in s.trim_end_matches('=').bytes().filter(|c| *c != b' ') {
        let c = c.to_ascii_uppercase();
        let value = BASE32.iter().position(|a| *a == c)?;
        buffer = ((buffer << 5) | value as u32) & 0xffff;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// Percent-encode everything but RFC 3986 unreserved characters and `@`.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'@') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use chrono::TimeDelta;

    use super::*;

    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890".to_vec()).unwrap()
    }

    fn at(unix: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(unix, 0).unwrap()
    }

    #[test]
    fn rfc6238_appendix_b_sha1_vectors() {
        let secret = rfc_secret();
        for (time, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at(&secret, step_at(at(time)), 8), code, "T = {time}");
        }
    }

    #[test]
    fn rfc4226_appendix_d_hotp_vectors() {
        let secret = rfc_secret();
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(code_at(&secret, counter as u64, 6), *code);
        }
    }

    #[test]
    fn codes_are_accepted_one_step_either_side() {
        let secret = rfc_secret();
        let now = at(1_234_567_890);
        let step = step_at(now);
        for s in [step - 1, step, step + 1] {
            let code = code_at(&secret, s, 6);
            assert_eq!(verify(&secret, &code, now, None), Ok(s));
        }
        for s in [step - 2, step + 2] {
            let code = code_at(&secret, s, 6);
            assert_eq!(verify(&secret, &code, now, None), Err(TotpError::Wrong));
        }
        let spaced = format!(" {} ", code_at(&secret, step, 6));
        assert_eq!(verify(&secret, &spaced, now, None), Ok(step));
    }

    #[test]
    fn used_steps_are_refused() {
        let secret = rfc_secret();
        let now = at(1_111_111_111);
        let code = code_at(&secret, step_at(now), 6);
        let used = verify(&secret, &code, now, None).unwrap();
        assert_eq!(
            verify(&secret, &code, now, Some(used)),
            Err(TotpError::Replayed)
        );
        // Later, within the window, the same code is still a replay.
        let later = now + TimeDelta::seconds(30);
        assert_eq!(
            verify(&secret, &code, later, Some(used)),
            Err(TotpError::Replayed)
        );
        // The next step's code is fine.
        let next = code_at(&secret, used + 1, 6);
        assert_eq!(verify(&secret, &next, later, Some(used)), Ok(used + 1));
        // An older step than the last one used is refused too.
        let previous = code_at(&secret, used - 1, 6);
        assert_eq!(
            verify(&secret, &previous, now, Some(used)),
            Err(TotpError::Replayed)
        );
    }

    #[test]
    fn malformed_codes() {
        let secret = rfc_secret();
        let now = at(59);
        for code in ["", "12345", "1234567", "12345a", "١٢٣٤٥٦", "12 456"] {
            assert_eq!(
                verify(&secret, code, now, None),
                Err(TotpError::Malformed),
                "{code:?}"
            );
        }
    }

    #[test]
    fn secrets_round_trip_through_base32() {
        let secret = TotpSecret::generate().unwrap();
        assert_eq!(secret.as_bytes().len(), 20);
        let text = secret.to_base32();
        assert_eq!(text.len(), 32);
        assert!(text.bytes().all(|b| BASE32.contains(&b)));
        assert_eq!(TotpSecret::from_base32(&text).unwrap(), secret);
        assert_eq!(
            TotpSecret::from_base32(&text.to_lowercase()).unwrap(),
            secret
        );
        assert_eq!(format!("{secret:?}"), "TotpSecret(***)");
        // RFC 4648 §10 test vector, and the RFC 6238 key.
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("MZXW6YTBOI======").unwrap(), b"foobar");
        assert_eq!(rfc_secret().to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            TotpSecret::from_base32("GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ").unwrap(),
            rfc_secret()
        );
        assert_eq!(
            TotpSecret::from_base32("MZXW6YTBOI"),
            Err(TotpError::BadSecret)
        );
        assert_eq!(
            TotpSecret::from_base32("MZXW6YTB01"),
            Err(TotpError::BadSecret)
        );
    }

    #[test]
    fn provisioning_uri() {
        let email: Email = "ada+2fa@example.com".parse().unwrap();
        assert_eq!(
            rfc_secret().provisioning_uri(&email),
            "otpauth://totp/Rivetr:ada%2B2fa@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Rivetr"
        );
    }

    #[test]
    fn steps() {
        assert_eq!(step_at(at(0)), 0);
        assert_eq!(step_at(at(29)), 0);
        assert_eq!(step_at(at(30)), 1);
        assert_eq!(step_at(at(-100)), 0);
    }
}
