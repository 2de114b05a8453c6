//! Constant-time checks of signatures and shared tokens.

use ring::hmac;

use super::WebhookError;

/// Checks that `signature` (hex, already stripped of any `sha256=` prefix) is
/// the HMAC-SHA256 of `body` under `secret`, in constant time. `header` names
/// where the signature came from, for the error.
pub(super) fn verify_hmac_sha256_hex(
    header: &'static str,
    signature: &str,
    body: &[u8],
    secret: &[u8],
) -> Result<(), WebhookError> {
    let bad = WebhookError::BadSignature { header };
    let tag = decode_hex(signature.trim()).ok_or(bad.clone())?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    hmac::verify(&key, body, &tag).map_err(|_| bad)
}

/// Checks that `token` equals `secret` without letting the time taken depend
/// on where they differ: both are compared through their HMACs under a key
/// made from the secret (unknown to the sender), so neither their contents
/// nor the secret's length leak.
pub(super) fn verify_token(
    header: &'static str,
    token: &str,
    secret: &[u8],
) -> Result<(), WebhookError> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let expected = hmac::sign(&key, secret);
    hmac::verify(&key, token.as_bytes(), expected.as_ref())
        .map_err(|_| WebhookError::BadSignature { header })
}

/// Decodes lower- or upper-case hex; `None` for an odd length or a non-hex
/// digit.
fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let digits = s.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

fn nibble(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "X-Test-Signature";

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn sign(secret: &[u8], body: &[u8]) -> String {
        hex(hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), body).as_ref())
    }

    #[test]
    fn decodes_hex() {
        assert_eq!(decode_hex("00ff10Ab"), Some(vec![0x00, 0xff, 0x10, 0xab]));
        assert_eq!(decode_hex(""), Some(vec![]));
        assert_eq!(decode_hex("abc"), None);
        assert_eq!(decode_hex("zz"), None);
        assert_eq!(decode_hex("+1"), None);
    }

    #[test]
    fn hmac_accepts_the_right_signature_only() {
        let sig = sign(b"s3cret", b"{}");
        assert_eq!(
            verify_hmac_sha256_hex(HEADER, &sig, b"{}", b"s3cret"),
            Ok(())
        );
        assert_eq!(
            verify_hmac_sha256_hex(HEADER, &sig.to_uppercase(), b"{}", b"s3cret"),
            Ok(())
        );
        let bad = Err(WebhookError::BadSignature { header: HEADER });
        assert_eq!(verify_hmac_sha256_hex(HEADER, &sig, b"{ }", b"s3cret"), bad);
        assert_eq!(verify_hmac_sha256_hex(HEADER, &sig, b"{}", b"other"), bad);
        assert_eq!(
            verify_hmac_sha256_hex(HEADER, &sig[..62], b"{}", b"s3cret"),
            bad
        );
        assert_eq!(
            verify_hmac_sha256_hex(HEADER, "not hex", b"{}", b"s3cret"),
            bad
        );
        assert_eq!(verify_hmac_sha256_hex(HEADER, "", b"{}", b"s3cret"), bad);
    }

    #[test]
    fn token_must_be_equal() {
        assert_eq!(verify_token(HEADER, "tok-123", b"tok-123"), Ok(()));
        let bad = Err(WebhookError::BadSignature { header: HEADER });
        assert_eq!(verify_token(HEADER, "tok-124", b"tok-123"), bad);
        assert_eq!(verify_token(HEADER, "tok-12", b"tok-123"), bad);
        assert_eq!(verify_token(HEADER, "tok-1234", b"tok-123"), bad);
        assert_eq!(verify_token(HEADER, "", b"tok-123"), bad);
    }
}
