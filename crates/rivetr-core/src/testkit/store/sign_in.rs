//! The `sign_in` check of the store conformance suite.

use super::helpers::{denied, not_found, ok, parse};
use super::platform_fixtures::{stranger, user};
use crate::access::Scope;
use crate::id::{TeamId, UserId};
use crate::model::{PasswordHash, Role, SecretString};
use crate::store::{CredentialRepo, UserRepo};

const HASH_1: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$b25lb25lb25lb25l";
const HASH_2: &str = "$argon2id$v=19$m=19456,t=2,p=1$cGVwcGVycGVw$dHdvdHdvdHdvdHdv";

/// Users' sign-in credentials: system-only access, password hashes and
/// TOTP secrets set, replaced and read back per user, TOTP turned off, and
/// unknown users `NotFound`.
pub async fn sign_in<S: CredentialRepo + UserRepo + ?Sized>(store: &S) {
    let system = Scope::system();
    let ada = user(store, "sign-in-ada").await;
    let bob = user(store, "sign-in-bob").await;
    let hash_1: PasswordHash = parse(HASH_1);
    let hash_2: PasswordHash = parse(HASH_2);

    let none = ok(store.password_hash(&system, ada.id).await, "password_hash");
    assert!(
        none.is_none(),
        "store contract: a new user has no password hash"
    );
    ok(
        store
            .set_password_hash(&system, ada.id, hash_1.clone())
            .await,
        "set_password_hash",
    );
    let got = ok(store.password_hash(&system, ada.id).await, "password_hash");
    assert!(
        got.as_ref() == Some(&hash_1),
        "store contract: password_hash returns the hash set"
    );
    let bobs = ok(store.password_hash(&system, bob.id).await, "password_hash");
    assert!(
        bobs.is_none(),
        "store contract: a password hash belongs to one user"
    );
    ok(
        store
            .set_password_hash(&system, ada.id, hash_2.clone())
            .await,
        "set_password_hash replacing a hash",
    );
    let got = ok(store.password_hash(&system, ada.id).await, "password_hash");
    assert!(
        got.as_ref() == Some(&hash_2),
        "store contract: set_password_hash replaces the hash"
    );

    let none = ok(store.totp_secret(&system, ada.id).await, "totp_secret");
    assert!(none.is_none(), "store contract: a new user has TOTP off");
    ok(
        store
            .set_totp_secret(&system, ada.id, Some(SecretString::new("JBSWY3DPEHPK3PXP")))
            .await,
        "set_totp_secret",
    );
    let got = ok(store.totp_secret(&system, ada.id).await, "totp_secret");
    assert!(
        got.as_ref().map(SecretString::expose) == Some("JBSWY3DPEHPK3PXP"),
        "store contract: totp_secret returns the secret set"
    );
    let bobs = ok(store.totp_secret(&system, bob.id).await, "totp_secret");
    assert!(
        bobs.is_none(),
        "store contract: a TOTP secret belongs to one user"
    );
    ok(
        store.set_totp_secret(&system, ada.id, None).await,
        "set_totp_secret(None)",
    );
    let off = ok(store.totp_secret(&system, ada.id).await, "totp_secret");
    assert!(
        off.is_none(),
        "store contract: set_totp_secret(None) turns TOTP off"
    );
    let kept = ok(store.password_hash(&system, ada.id).await, "password_hash");
    assert!(
        kept.as_ref() == Some(&hash_2),
        "store contract: TOTP changes leave the password hash alone"
    );

    let ghost = UserId::new();
    not_found(
        store
            .set_password_hash(&system, ghost, hash_1.clone())
            .await,
        "set_password_hash of an unknown user",
    );
    not_found(
        store.password_hash(&system, ghost).await,
        "password_hash of an unknown user",
    );
    not_found(
        store.set_totp_secret(&system, ghost, None).await,
        "set_totp_secret of an unknown user",
    );
    not_found(
        store.totp_secret(&system, ghost).await,
        "totp_secret of an unknown user",
    );

    // Not even the user themself reads or sets these through a member
    // scope: signing in is a server flow.
    for (who, scope) in [
        ("a member scope", stranger()),
        (
            "the user's own scope",
            Scope::member(ada.id, TeamId::new(), Role::Owner),
        ),
    ] {
        denied(
            store
                .set_password_hash(&scope, ada.id, hash_1.clone())
                .await,
            &format!("set_password_hash from {who}"),
        );
        denied(
            store.password_hash(&scope, ada.id).await,
            &format!("password_hash from {who}"),
        );
        denied(
            store.set_totp_secret(&scope, ada.id, None).await,
            &format!("set_totp_secret from {who}"),
        );
        denied(
            store.totp_secret(&scope, ada.id).await,
            &format!("totp_secret from {who}"),
        );
    }
    let kept = ok(store.password_hash(&system, ada.id).await, "password_hash");
    assert!(
        kept.as_ref() == Some(&hash_2),
        "store contract: refused credential calls change nothing"
    );
}
