//! The `settings` check of the store conformance suite.

use serde_json::json;

use super::helpers::{denied, not_found, ok, parse, tag};
use super::platform_fixtures::stranger;
use crate::access::Scope;
use crate::model::SettingKey;
use crate::store::SettingsRepo;

/// Instance settings: system-only access, put and replace, get, list
/// ordered by key, delete. Keys carry a random part, so settings already
/// in the store are left alone.
pub async fn settings<S: SettingsRepo + ?Sized>(store: &S) {
    let system = Scope::system();
    let t = tag();
    let email: SettingKey = parse(&format!("testkit_{t}.acme_email"));
    let retention: SettingKey = parse(&format!("testkit_{t}.backup.retention_days"));

    let unset = ok(store.get_setting(&system, &email).await, "get_setting");
    assert!(
        unset.is_none(),
        "store contract: get_setting of a key never set is None; got {unset:?}"
    );
    ok(
        store
            .put_setting(&system, &email, json!("ops@example.com"))
            .await,
        "put_setting",
    );
    ok(
        store.put_setting(&system, &retention, json!(7)).await,
        "put_setting",
    );
    let got = ok(store.get_setting(&system, &email).await, "get_setting");
    assert!(
        got == Some(json!("ops@example.com")),
        "store contract: get_setting returns the value put; got {got:?}"
    );
    let value = json!({ "days": 30, "keep": ["daily", "weekly"] });
    ok(
        store.put_setting(&system, &retention, value.clone()).await,
        "put_setting replacing a value",
    );
    let got = ok(store.get_setting(&system, &retention).await, "get_setting");
    assert!(
        got.as_ref() == Some(&value),
        "store contract: put_setting replaces the previous value; got {got:?}"
    );

    let listed = ok(store.list_settings(&system).await, "list_settings");
    let ours: Vec<_> = listed
        .iter()
        .filter(|(k, _)| k.as_str().starts_with(&format!("testkit_{t}.")))
        .cloned()
        .collect();
    assert!(
        ours == vec![
            (email.clone(), json!("ops@example.com")),
            (retention.clone(), value.clone())
        ],
        "store contract: list_settings lists each setting once with its value; got {ours:?}"
    );
    let keys: Vec<&SettingKey> = listed.iter().map(|(k, _)| k).collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "store contract: list_settings is ordered by key"
    );

    ok(
        store.delete_setting(&system, &email).await,
        "delete_setting",
    );
    let gone = ok(store.get_setting(&system, &email).await, "get_setting");
    assert!(
        gone.is_none(),
        "store contract: a deleted setting reads as None; got {gone:?}"
    );
    not_found(
        store.delete_setting(&system, &email).await,
        "delete_setting of a key not set",
    );

    let member = stranger();
    denied(
        store.get_setting(&member, &retention).await,
        "get_setting from a member scope",
    );
    denied(
        store.put_setting(&member, &retention, json!(1)).await,
        "put_setting from a member scope",
    );
    denied(
        store.list_settings(&member).await,
        "list_settings from a member scope",
    );
    denied(
        store.delete_setting(&member, &retention).await,
        "delete_setting from a member scope",
    );
    let kept = ok(store.get_setting(&system, &retention).await, "get_setting");
    assert!(
        kept == Some(value),
        "store contract: refused setting calls change nothing"
    );
    ok(
        store.delete_setting(&system, &retention).await,
        "delete_setting",
    );
}
