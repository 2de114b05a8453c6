//! The `sessions` check of the store conformance suite.

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use uuid::Uuid;

use super::helpers::{conflict, denied, not_found, ok, refused};
use super::platform_fixtures::{stranger, user};
use crate::access::Scope;
use crate::error::ErrorKind;
use crate::id::{TeamId, UserId};
use crate::model::{Role, StoredSession};
use crate::store::{SessionRepo, UserRepo};

/// A hash no other run uses: 64 lowercase hex characters.
fn fresh_hash() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

fn session(user: UserId, created_at: DateTime<Utc>, lasts: TimeDelta) -> StoredSession {
    StoredSession {
        hash: fresh_hash(),
        user_id: user,
        created_at,
        expires_at: created_at + lasts,
    }
}

/// Browser sessions: system-only access, kept by hash and never
/// overwritten, returned expired or not, removed one by one (idempotent),
/// per user (with a count) and when expired, malformed hashes and unknown
/// users refused.
pub async fn sessions<S: SessionRepo + UserRepo + ?Sized>(store: &S) {
    let system = Scope::system();
    let ada = user(store, "sessions-ada").await;
    let bob = user(store, "sessions-bob").await;
    // Whole seconds, so every store keeps them exactly.
    let now = Utc::now().trunc_subsecs(0);
    let day = TimeDelta::days(1);

    let live = session(ada.id, now, day);
    let stored = ok(
        store.insert_session(&system, live.clone()).await,
        "insert_session",
    );
    assert!(
        stored == live,
        "store contract: insert_session returns the session as given; got {stored:?}"
    );
    let got = ok(store.get_session(&system, &live.hash).await, "get_session");
    assert!(
        got.as_ref() == Some(&live),
        "store contract: get_session returns the session stored under the hash; got {got:?}"
    );
    let mut twin = session(bob.id, now, day);
    twin.hash.clone_from(&live.hash);
    conflict(
        store.insert_session(&system, twin).await,
        "insert_session under a hash already stored",
    );
    let kept = ok(store.get_session(&system, &live.hash).await, "get_session");
    assert!(
        kept.as_ref() == Some(&live),
        "store contract: a refused insert_session never overwrites the stored session"
    );
    let unknown = ok(
        store.get_session(&system, &fresh_hash()).await,
        "get_session of an unknown hash",
    );
    assert!(
        unknown.is_none(),
        "store contract: get_session of an unknown hash is Ok(None)"
    );

    // Runs sharing the store remove expired sessions too, always at the
    // same instant `cutoff` (early 1970): a session expiring after it but
    // in the past stays until this run removes it.
    let cutoff = DateTime::UNIX_EPOCH + day;
    let old = session(ada.id, cutoff, day);
    ok(
        store.insert_session(&system, old.clone()).await,
        "insert_session of an expired session",
    );
    let got = ok(store.get_session(&system, &old.hash).await, "get_session");
    assert!(
        got.as_ref() == Some(&old) && old.is_expired(now),
        "store contract: get_session returns expired sessions too; got {got:?}"
    );

    // Removing one, idempotently.
    let short = session(bob.id, now, day);
    ok(
        store.insert_session(&system, short.clone()).await,
        "insert_session",
    );
    let removed = ok(
        store.remove_session(&system, &short.hash).await,
        "remove_session",
    );
    let again = ok(
        store.remove_session(&system, &short.hash).await,
        "remove_session of a session already removed",
    );
    assert!(
        removed && !again,
        "store contract: remove_session answers true once, then false"
    );
    let gone = ok(store.get_session(&system, &short.hash).await, "get_session");
    assert!(gone.is_none(), "store contract: a removed session is gone");

    // Expired at `cutoff` go (also one expiring exactly then); the others
    // stay. The count is not checked: other runs may have removed these.
    let stale = session(bob.id, DateTime::UNIX_EPOCH, TimeDelta::hours(1));
    let at_cutoff = session(bob.id, DateTime::UNIX_EPOCH, day);
    for s in [&stale, &at_cutoff] {
        ok(
            store.insert_session(&system, s.clone()).await,
            "insert_session",
        );
    }
    ok(
        store.remove_expired_sessions(&system, cutoff).await,
        "remove_expired_sessions",
    );
    for (s, what) in [
        (&stale, "an expired session"),
        (&at_cutoff, "a session expiring exactly at `now`"),
    ] {
        let got = ok(store.get_session(&system, &s.hash).await, "get_session");
        assert!(
            got.is_none(),
            "store contract: remove_expired_sessions removes {what}; it is still there"
        );
    }
    for s in [&old, &live] {
        let got = ok(store.get_session(&system, &s.hash).await, "get_session");
        assert!(
            got.as_ref() == Some(s),
            "store contract: remove_expired_sessions keeps sessions expiring after `now`; got {got:?}"
        );
    }

    // Every session of one user, with a count.
    let bobs = session(bob.id, now, day);
    ok(
        store.insert_session(&system, bobs.clone()).await,
        "insert_session",
    );
    for _ in 0..2 {
        ok(
            store
                .insert_session(&system, session(ada.id, now, day))
                .await,
            "insert_session",
        );
    }
    let n = ok(
        store.remove_user_sessions(&system, ada.id).await,
        "remove_user_sessions",
    );
    assert!(
        n == 4,
        "store contract: remove_user_sessions counts the user's sessions (4), got {n}"
    );
    let n = ok(
        store.remove_user_sessions(&system, ada.id).await,
        "remove_user_sessions",
    );
    assert!(
        n == 0,
        "store contract: remove_user_sessions of a user without sessions is 0, got {n}"
    );
    let other = ok(store.get_session(&system, &bobs.hash).await, "get_session");
    assert!(
        other.as_ref() == Some(&bobs),
        "store contract: remove_user_sessions leaves other users' sessions"
    );
    let ghost = ok(
        store.remove_user_sessions(&system, UserId::new()).await,
        "remove_user_sessions of an unknown user",
    );
    assert!(
        ghost == 0,
        "store contract: an unknown user has no sessions"
    );

    // Refusals.
    not_found(
        store
            .insert_session(&system, session(UserId::new(), now, day))
            .await,
        "insert_session for an unknown user",
    );
    for bad in ["", "abc", &"A".repeat(64), &"g".repeat(64), &"a".repeat(65)] {
        let mut malformed = session(bob.id, now, day);
        malformed.hash = bad.to_owned();
        let contract = format!("a malformed session hash {bad:?}");
        refused(
            store.insert_session(&system, malformed).await,
            ErrorKind::InvalidInput,
            &format!("insert_session with {contract}"),
        );
        refused(
            store.get_session(&system, bad).await,
            ErrorKind::InvalidInput,
            &format!("get_session with {contract}"),
        );
        refused(
            store.remove_session(&system, bad).await,
            ErrorKind::InvalidInput,
            &format!("remove_session with {contract}"),
        );
    }
    for (who, scope) in [
        ("a member scope", stranger()),
        (
            "the user's own scope",
            Scope::member(bob.id, TeamId::new(), Role::Owner),
        ),
    ] {
        denied(
            store
                .insert_session(&scope, session(bob.id, now, day))
                .await,
            &format!("insert_session from {who}"),
        );
        denied(
            store.get_session(&scope, &bobs.hash).await,
            &format!("get_session from {who}"),
        );
        denied(
            store.remove_session(&scope, &bobs.hash).await,
            &format!("remove_session from {who}"),
        );
        denied(
            store.remove_user_sessions(&scope, bob.id).await,
            &format!("remove_user_sessions from {who}"),
        );
        denied(
            store.remove_expired_sessions(&scope, now).await,
            &format!("remove_expired_sessions from {who}"),
        );
    }
    let still = ok(store.get_session(&system, &bobs.hash).await, "get_session");
    assert!(
        still.as_ref() == Some(&bobs),
        "store contract: refused session calls change nothing"
    );
    ok(
        store.remove_user_sessions(&system, bob.id).await,
        "remove_user_sessions",
    );
}
