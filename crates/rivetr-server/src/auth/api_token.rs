//! API tokens: `rvt_` and 43 base64url characters (32 random bytes),
//! shown once at creation; the store keeps only a keyed hash.
//!
//! The hash is HMAC-SHA256 under the server key, hex-encoded (64
//! characters): a stolen database alone does not let anyone check guesses
//! offline, and a lookup by hash needs no slow function (the secret has 256
//! bits of entropy, so no stretching is needed).

use std::fmt;

use chrono::{DateTime, Utc};
use rivetr_core::model::ApiToken;

use super::crypto::{LabeledKey, RandomUnavailable, b64url, b64url_32, hex, random_bytes};

/// What every API token starts with (so secret scanners can find leaked
/// ones, and a token is not mistaken for a session id).
pub const TOKEN_PREFIX: &str = "rvt_";

/// The length of a token: the prefix and 43 base64url characters.
pub const TOKEN_LEN: usize = TOKEN_PREFIX.len() + 43;

/// The secret of an API token, in its `rvt_…` form.
///
/// `Debug` hides it; [`ApiTokenSecret::expose`] gives it, to show it once
/// to the user who created it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiTokenSecret {
    text: String,
}

/// A string that is not an API token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MalformedToken {
    /// It does not start with [`TOKEN_PREFIX`].
    #[error("an API token starts with \"rvt_\"")]
    Prefix,
    /// It is not [`TOKEN_LEN`] characters long.
    #[error("an API token has 47 characters")]
    Length,
    /// Characters after the prefix are not base64url (or not canonical).
    #[error("an API token holds only letters, digits, '-' and '_' after \"rvt_\"")]
    Alphabet,
}

impl ApiTokenSecret {
    /// A new random token.
    ///
    /// # Errors
    ///
    /// When the system's random generator fails.
    pub fn generate() -> Result<Self, RandomUnavailable> {
        let bytes = random_bytes::<32>()?;
        Ok(Self {
            text: format!("{TOKEN_PREFIX}{}", b64url(&bytes)),
        })
    }

    /// A token as presented by a client (an `Authorization: Bearer`
    /// value), checked for shape before anything else is done with it.
    ///
    /// # Errors
    ///
    /// [`MalformedToken`] saying which check failed; the error never
    /// repeats the value.
    pub fn parse(s: &str) -> Result<Self, MalformedToken> {
        let rest = s.strip_prefix(TOKEN_PREFIX).ok_or(MalformedToken::Prefix)?;
        if s.len() != TOKEN_LEN {
            return Err(MalformedToken::Length);
        }
        b64url_32(rest).ok_or(MalformedToken::Alphabet)?;
        Ok(Self { text: s.to_owned() })
    }

    /// The token text, to show once to its creator.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for ApiTokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiTokenSecret(rvt_***)")
    }
}

/// Turns token secrets into the hash the store keeps
/// ([`NewApiToken::token_hash`](rivetr_core::model::NewApiToken::token_hash))
/// and looks up by
/// ([`TokenRepo::find_token_by_hash`](rivetr_core::store::TokenRepo::find_token_by_hash)).
///
/// The hash depends on the server key; changing the key makes every
/// stored token unusable. The same key may be given to the session and
/// CSRF keys: each use tags its input with its own label.
#[derive(Clone, Debug)]
pub struct TokenHasher {
    key: LabeledKey,
}

impl TokenHasher {
    /// A hasher under the server key `key`.
    #[must_use]
    pub fn new(key: [u8; 32]) -> Self {
        Self {
            key: LabeledKey::new(&key, "rivetr api token"),
        }
    }

    /// The hex HMAC-SHA256 of `token` (64 lowercase hex characters).
    #[must_use]
    pub fn hash(&self, token: &ApiTokenSecret) -> String {
        hex(self.key.sign(token.text.as_bytes()).as_ref())
    }
}

/// Whether `token` has expired at `now` (its expiry is not after `now`).
/// A token without expiry never expires.
#[must_use]
pub fn is_expired(token: &ApiToken, now: DateTime<Utc>) -> bool {
    token.expires_at.is_some_and(|at| at <= now)
}

/// The expiry of a token created at `now` that should live `ttl`
/// (`None`: never expires). A `ttl` past the end of the calendar gives
/// the last representable instant.
#[must_use]
pub fn expires_at(now: DateTime<Utc>, ttl: Option<chrono::TimeDelta>) -> Option<DateTime<Utc>> {
    ttl.map(|ttl| {
        now.checked_add_signed(ttl)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use chrono::TimeDelta;
    use rivetr_core::id::{TeamId, TokenId, UserId};
    use rivetr_core::model::TokenScope;

    use super::*;

    #[test]
    fn generated_tokens_have_the_documented_shape() {
        let a = ApiTokenSecret::generate().unwrap();
        let b = ApiTokenSecret::generate().unwrap();
        assert_ne!(a, b);
        let text = a.expose();
        assert_eq!(text.len(), 47);
        assert!(text.starts_with("rvt_"));
        assert!(
            text[4..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(ApiTokenSecret::parse(text).unwrap(), a);
        assert_eq!(format!("{a:?}"), "ApiTokenSecret(rvt_***)");
    }

    #[test]
    fn malformed_tokens_are_refused_before_hashing() {
        let good = ApiTokenSecret::generate().unwrap();
        let good = good.expose();
        let body = &good[4..];
        assert_eq!(
            ApiTokenSecret::parse(&format!("rvx_{body}")),
            Err(MalformedToken::Prefix)
        );
        assert_eq!(ApiTokenSecret::parse(body), Err(MalformedToken::Prefix));
        assert_eq!(ApiTokenSecret::parse(""), Err(MalformedToken::Prefix));
        assert_eq!(
            ApiTokenSecret::parse(&good[..46]),
            Err(MalformedToken::Length)
        );
        assert_eq!(
            ApiTokenSecret::parse(&format!("{good}A")),
            Err(MalformedToken::Length)
        );
        assert_eq!(
            ApiTokenSecret::parse(&format!("{} ", &good[..46])),
            Err(MalformedToken::Alphabet)
        );
        assert_eq!(
            ApiTokenSecret::parse(&format!("rvt_+{}", &body[1..])),
            Err(MalformedToken::Alphabet)
        );
        // Multi-byte characters cannot slip through the length check.
        assert!(ApiTokenSecret::parse(&format!("rvt_é{}", &body[2..])).is_err());
        let err = ApiTokenSecret::parse("rvt_short").unwrap_err().to_string();
        assert!(!err.contains("short"));
    }

    #[test]
    fn hashes_are_keyed_hex_and_stable() {
        let token = ApiTokenSecret::generate().unwrap();
        let hasher = TokenHasher::new([1; 32]);
        let h = hasher.hash(&token);
        assert_eq!(h.len(), 64);
        assert!(h.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')));
        let again = ApiTokenSecret::parse(token.expose()).unwrap();
        assert_eq!(hasher.hash(&again), h);
        assert_ne!(TokenHasher::new([2; 32]).hash(&token), h);
        assert!(!h.contains(&token.expose()[4..]));
    }

    #[test]
    fn known_answer() {
        // HMAC-SHA256(key = 32 x 0x00, "rivetr api token\0" || token).
        let token =
            ApiTokenSecret::parse("rvt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &[0; 32]);
        let mut msg = b"rivetr api token\0".to_vec();
        msg.extend_from_slice(token.expose().as_bytes());
        let expected = hex(ring::hmac::sign(&key, &msg).as_ref());
        assert_eq!(TokenHasher::new([0; 32]).hash(&token), expected);
    }

    fn token(expires_at: Option<DateTime<Utc>>) -> ApiToken {
        ApiToken {
            id: TokenId::new(),
            user_id: UserId::new(),
            team_id: TeamId::new(),
            name: "ci".parse().unwrap(),
            scope: TokenScope::Deploy,
            token_hash: "00".repeat(32),
            created_at: DateTime::UNIX_EPOCH,
            expires_at,
        }
    }

    #[test]
    fn expiry() {
        let now = DateTime::UNIX_EPOCH + TimeDelta::days(100);
        assert!(!is_expired(&token(None), now));
        let at = now + TimeDelta::seconds(1);
        assert!(!is_expired(&token(Some(at)), now));
        assert!(is_expired(&token(Some(now)), now));
        assert!(is_expired(&token(Some(now)), at));
        assert_eq!(expires_at(now, None), None);
        assert_eq!(
            expires_at(now, Some(TimeDelta::days(30))),
            Some(now + TimeDelta::days(30))
        );
        assert_eq!(
            expires_at(DateTime::<Utc>::MAX_UTC, Some(TimeDelta::days(1))),
            Some(DateTime::<Utc>::MAX_UTC)
        );
    }
}
