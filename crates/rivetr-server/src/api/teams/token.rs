//! Invitation tokens: `rvi_<team id>.<invited address>.<secret>`, where
//! the address is in base64url and the secret is 32 random bytes in
//! base64url.
//!
//! A team has at most one open invitation per address, so the team id and
//! the address name the invitation a token claims to be for: the server
//! can show it (and refuse an expired one) before it changes anything. The
//! hash covers the whole text, so the claim is trusted only once the store
//! has matched the hash. Both parts reveal only what the invited person
//! learns anyway.
//!
//! The store keeps the SHA-256 of the whole token, never the token. A plain
//! (unkeyed) hash is enough here: the secret carries 256 bits of entropy,
//! so the hash cannot be reversed by guessing, and unlike a hash keyed with
//! a server key it stays valid if that key is replaced.

use base64ct::{Base64UrlUnpadded, Encoding};
use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};
use rivetr_core::id::TeamId;
use rivetr_core::input::Email;

use crate::api::ApiError;

/// What every invitation token starts with.
const PREFIX: &str = "rvi_";
/// Characters of the base64url (unpadded) encoding of 32 bytes.
const SECRET_CHARS: usize = 43;

/// What a presented token claims: the team, the invited address, and the
/// hash that proves the claim once the store matches it.
#[derive(Debug)]
pub(super) struct TokenClaim {
    /// The team invited to.
    pub(super) team: TeamId,
    /// The invited address.
    pub(super) email: Email,
    /// The hash of the whole token.
    pub(super) hash: String,
}

/// An invitation token as shown once to the person who sends it.
pub(super) struct InvitationToken {
    text: String,
}

impl std::fmt::Debug for InvitationToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InvitationToken(…)")
    }
}

impl InvitationToken {
    /// A new random token for an invitation of `email` to `team`.
    pub(super) fn generate(team: TeamId, email: &Email) -> Result<Self, ApiError> {
        let mut bytes = [0_u8; 32];
        SystemRandom::new().fill(&mut bytes).map_err(|_| {
            tracing::error!("the system's random number generator is unavailable");
            ApiError::from(rivetr_core::Error::unavailable(
                "no random token can be made right now; try again",
            ))
        })?;
        Ok(Self {
            text: format!(
                "{PREFIX}{team}.{}.{}",
                Base64UrlUnpadded::encode_string(email.as_str().as_bytes()),
                Base64UrlUnpadded::encode_string(&bytes)
            ),
        })
    }

    /// A token presented by a client, checked for shape; returns what it
    /// claims.
    pub(super) fn parse(text: &str) -> Result<TokenClaim, MalformedInvitationToken> {
        let rest = text.strip_prefix(PREFIX).ok_or(MalformedInvitationToken)?;
        let mut parts = rest.split('.');
        let (Some(team), Some(email), Some(secret), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(MalformedInvitationToken);
        };
        let team = team
            .parse::<TeamId>()
            .map_err(|_| MalformedInvitationToken)?;
        let email = Base64UrlUnpadded::decode_vec(email)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|email| email.parse::<Email>().ok())
            .ok_or(MalformedInvitationToken)?;
        let canonical = secret.len() == SECRET_CHARS
            && Base64UrlUnpadded::decode_vec(secret).is_ok_and(|bytes| bytes.len() == 32);
        if !canonical {
            return Err(MalformedInvitationToken);
        }
        Ok(TokenClaim {
            team,
            email,
            hash: hash(text),
        })
    }

    /// The token's text (shown once, in the creation response).
    pub(super) fn expose(&self) -> &str {
        &self.text
    }

    /// What the store keeps.
    pub(super) fn hash(&self) -> String {
        hash(&self.text)
    }
}

/// A string that is not an invitation token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "this is not an invitation token (they look like `rvi_<team id>.<characters>.<characters>`)"
)]
pub(super) struct MalformedInvitationToken;

/// Lowercase hex of the SHA-256 of `text`.
fn hash(text: &str) -> String {
    use std::fmt::Write as _;
    let digest = digest(&SHA256, text.as_bytes());
    let mut out = String::with_capacity(64);
    for byte in digest.as_ref() {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        "dev+1@acme.test".parse().unwrap()
    }

    #[test]
    fn a_generated_token_parses_to_its_claim() {
        let team = TeamId::new();
        let token = InvitationToken::generate(team, &email()).unwrap();
        let claim = InvitationToken::parse(token.expose()).unwrap();
        assert_eq!(claim.team, team);
        assert_eq!(claim.email, email());
        assert_eq!(claim.hash, token.hash());
        assert_eq!(claim.hash.len(), 64);
    }

    #[test]
    fn two_tokens_differ() {
        let team = TeamId::new();
        let a = InvitationToken::generate(team, &email()).unwrap();
        let b = InvitationToken::generate(team, &email()).unwrap();
        assert_ne!(a.expose(), b.expose());
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let team = TeamId::new();
        let good = InvitationToken::generate(team, &email()).unwrap();
        let (head, secret) = good.expose().rsplit_once('.').unwrap();
        let mail = head.rsplit_once('.').unwrap().1.to_owned();
        let not_an_email = Base64UrlUnpadded::encode_string(b"not an email");
        for bad in [
            String::new(),
            "rvi_".to_owned(),
            format!("rvt_{team}.{mail}.{secret}"),
            format!("rvi_{team}.{secret}"),
            format!("rvi_{team}.{mail}.{secret}.{secret}"),
            format!("rvi_not-a-team.{mail}.{secret}"),
            format!("rvi_{team}.{not_an_email}.{secret}"),
            format!("rvi_{team}.{mail}.{}", &secret[1..]),
            format!("rvi_{team}.{mail}.{secret}A"),
            format!("rvi_{team}.{mail}.{}+", &secret[1..]),
        ] {
            assert!(InvitationToken::parse(&bad).is_err(), "{bad}");
        }
    }
}
