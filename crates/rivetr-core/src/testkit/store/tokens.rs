//! The `tokens` check of the store conformance suite.

use chrono::{TimeDelta, Utc};

use super::fixtures::{join, new_user, token, world};
use super::helpers::{denied, ids, not_found, ok, refused, tag};
use crate::access::Scope;
use crate::error::ErrorKind;
use crate::id::TokenId;
use crate::model::{ApiToken, Role, TokenScope};
use crate::store::Store;

/// API tokens: who may create them for whom, membership of the owner,
/// lookup by hash (expired ones too), who sees which, revocation.
pub async fn tokens<S: Store + ?Sized>(store: &S) {
    let system = Scope::system();
    let w = world(store, "tokens").await;
    let (viewer, viewer_scope) = join(store, &w, Role::Viewer).await;
    let (_, admin_scope) = join(store, &w, Role::Admin).await;
    let (dev, dev_scope) = join(store, &w, Role::Developer).await;

    let new = token(viewer.id, w.team, TokenScope::Read);
    let viewers = ok(
        store.create_token(&viewer_scope, new.clone()).await,
        "create_token by a viewer for themself (needs only Read)",
    );
    assert!(
        viewers.user_id == new.user_id
            && viewers.team_id == new.team_id
            && viewers.name == new.name
            && viewers.scope == new.scope
            && viewers.token_hash == new.token_hash
            && viewers.expires_at.is_none(),
        "store contract: create_token returns the token as given"
    );
    denied(
        store
            .create_token(&viewer_scope, token(dev.id, w.team, TokenScope::Read))
            .await,
        "create_token for someone else without ManageMembers",
    );
    let devs = ok(
        store
            .create_token(&admin_scope, token(dev.id, w.team, TokenScope::Deploy))
            .await,
        "create_token for someone else with ManageMembers",
    );
    let outsider = new_user(store, "outsider").await;
    refused(
        store
            .create_token(&system, token(outsider.id, w.team, TokenScope::Read))
            .await,
        ErrorKind::InvalidInput,
        "create_token for a user who is not a member of the team",
    );

    let mut new = token(dev.id, w.team, TokenScope::Read);
    new.expires_at = Some(Utc::now() - TimeDelta::hours(1));
    let expired = ok(
        store.create_token(&dev_scope, new).await,
        "create_token with an expiry",
    );
    let found = ok(
        store.find_token_by_hash(&system, &expired.token_hash).await,
        "find_token_by_hash",
    );
    assert!(
        found.as_ref() == Some(&expired),
        "store contract: find_token_by_hash returns expired tokens too; got {found:?}"
    );
    let found = ok(
        store
            .find_token_by_hash(&system, &format!("unknown-{}", tag()))
            .await,
        "find_token_by_hash of an unknown hash",
    );
    assert!(
        found.is_none(),
        "store contract: find_token_by_hash is Ok(None) for an unknown hash"
    );
    denied(
        store
            .find_token_by_hash(&admin_scope, &devs.token_hash)
            .await,
        "find_token_by_hash from a member scope",
    );

    let id_list = |tokens: Vec<ApiToken>| ids(&tokens, |t| t.id);
    let listed = id_list(ok(store.list_tokens(&viewer_scope).await, "list_tokens"));
    assert!(
        listed == vec![viewers.id],
        "store contract: list_tokens shows a member only their own tokens; got {listed:?}"
    );
    let listed = id_list(ok(store.list_tokens(&dev_scope).await, "list_tokens"));
    assert!(
        listed == vec![devs.id, expired.id],
        "store contract: list_tokens lists own tokens ordered by creation; got {listed:?}"
    );
    let listed = id_list(ok(store.list_tokens(&admin_scope).await, "list_tokens"));
    assert!(
        listed == vec![viewers.id, devs.id, expired.id],
        "store contract: list_tokens with ManageMembers shows everyone's tokens of the team; got {listed:?}"
    );

    let result = store.revoke_token(&viewer_scope, devs.id).await;
    assert!(
        result
            .as_ref()
            .is_err_and(|e| matches!(e.kind(), ErrorKind::NotFound | ErrorKind::PermissionDenied)),
        "store contract: revoke_token of someone else's token without ManageMembers is refused; got {result:?}"
    );
    ok(
        store.revoke_token(&viewer_scope, viewers.id).await,
        "revoke_token by the token's owner",
    );
    ok(
        store.revoke_token(&admin_scope, devs.id).await,
        "revoke_token of someone else's token with ManageMembers",
    );
    not_found(
        store.revoke_token(&admin_scope, devs.id).await,
        "revoke_token of a revoked token",
    );
    not_found(
        store.revoke_token(&admin_scope, TokenId::new()).await,
        "revoke_token of an unknown token",
    );
    let found = ok(
        store.find_token_by_hash(&system, &devs.token_hash).await,
        "find_token_by_hash",
    );
    assert!(
        found.is_none(),
        "store contract: a revoked token is no longer found by its hash"
    );
    let listed = id_list(ok(store.list_tokens(&admin_scope).await, "list_tokens"));
    assert!(
        listed == vec![expired.id],
        "store contract: list_tokens no longer shows revoked tokens; got {listed:?}"
    );
}
