//! The `config` check of the store conformance suite.

use super::fixtures::{domain, env_seen, env_var, join, volume, world};
use super::helpers::{conflict, ids, not_found, nothing, ok, parse, tag};
use crate::id::{AppId, DomainId};
use crate::input::EnvKey;
use crate::model::{BasicAuth, Role, SecretString, TokenScope};
use crate::store::Store;

/// Env vars (insert or replace by key, ordered by key, secret values
/// hidden without `RevealSecrets`, also through narrowed tokens), domains
/// (host unique on the whole instance) and volume records (name unique on
/// the whole instance).
pub async fn config<S: Store + ?Sized>(store: &S) {
    let w = world(store, "config").await;
    let other = world(store, "config-other").await;
    let owner = &w.owner_scope;
    let app = w.app.id;
    let (_, dev) = join(store, &w, Role::Developer).await;
    let (_, admin) = join(store, &w, Role::Admin).await;
    let (_, viewer) = join(store, &w, Role::Viewer).await;

    // Env vars.
    let port = ok(
        store
            .set_env_var(&dev, env_var(app, "PORT", "8080", false))
            .await,
        "set_env_var",
    );
    assert!(
        port.value.as_ref().map(SecretString::expose) == Some("8080")
            && !port.secret
            && port.app_id == app
            && port.team_id == w.team
            && port.key.as_str() == "PORT",
        "store contract: set_env_var returns a plain var with its value"
    );
    let db = ok(
        store
            .set_env_var(&dev, env_var(app, "DATABASE_URL", "postgres://db/1", true))
            .await,
        "set_env_var of a secret",
    );
    assert!(
        db.secret && db.value.is_none(),
        "store contract: set_env_var returns a secret without its value to a caller who may not reveal it"
    );
    let key = ok(
        store
            .set_env_var(&admin, env_var(app, "API_KEY", "k-123", true))
            .await,
        "set_env_var of a secret",
    );
    assert!(
        key.value.as_ref().map(SecretString::expose) == Some("k-123"),
        "store contract: set_env_var returns a secret's value to a caller who may reveal it"
    );
    let hidden = vec![
        ("API_KEY".to_owned(), None),
        ("DATABASE_URL".to_owned(), None),
        ("PORT".to_owned(), Some("8080".to_owned())),
    ];
    let revealed = vec![
        ("API_KEY".to_owned(), Some("k-123".to_owned())),
        (
            "DATABASE_URL".to_owned(),
            Some("postgres://db/1".to_owned()),
        ),
        ("PORT".to_owned(), Some("8080".to_owned())),
    ];
    for (who, scope, want) in [
        ("a viewer", viewer.clone(), &hidden),
        ("a developer", dev.clone(), &hidden),
        ("an admin", admin.clone(), &revealed),
        ("an owner", owner.clone(), &revealed),
        (
            "an owner's write token",
            owner.clone().with_token_scope(TokenScope::Write),
            &hidden,
        ),
        (
            "an owner's admin token",
            owner.clone().with_token_scope(TokenScope::Admin),
            &revealed,
        ),
    ] {
        let seen = env_seen(store, &scope, app).await;
        assert!(
            &seen == want,
            "store contract: list_env_vars for {who} is ordered by key and shows secret values only with RevealSecrets; got {seen:?}"
        );
    }
    let vars = ok(store.list_env_vars(&dev, app).await, "list_env_vars");
    assert!(
        vars.iter().all(|v| v.secret == (v.key.as_str() != "PORT")),
        "store contract: list_env_vars keeps the secret flag"
    );

    ok(
        store
            .set_env_var(&dev, env_var(app, "PORT", "9090", false))
            .await,
        "set_env_var replacing a key",
    );
    let seen = env_seen(store, owner, app).await;
    assert!(
        seen.len() == 3 && seen[2] == ("PORT".to_owned(), Some("9090".to_owned())),
        "store contract: set_env_var of an existing key replaces it; got {seen:?}"
    );
    ok(
        store
            .set_env_var(&dev, env_var(app, "PORT", "9090", true))
            .await,
        "set_env_var making a var secret",
    );
    let seen = env_seen(store, &dev, app).await;
    assert!(
        seen.get(2) == Some(&("PORT".to_owned(), None)),
        "store contract: a var made secret is hidden from then on; got {seen:?}"
    );
    let port_key: EnvKey = parse("PORT");
    ok(
        store.delete_env_var(&dev, app, &port_key).await,
        "delete_env_var",
    );
    let seen = env_seen(store, owner, app).await;
    assert!(
        seen.iter().all(|(k, _)| k != "PORT") && seen.len() == 2,
        "store contract: delete_env_var removes the var; got {seen:?}"
    );
    not_found(
        store.delete_env_var(&dev, app, &port_key).await,
        "delete_env_var of an unknown key",
    );
    not_found(
        store
            .set_env_var(owner, env_var(AppId::new(), "PORT", "1", false))
            .await,
        "set_env_var of an unknown app",
    );
    nothing(
        store.list_env_vars(owner, AppId::new()).await,
        "list_env_vars of an unknown app",
    );

    // Domains.
    let t = tag();
    let host = format!("{t}.example.com");
    let mut new = domain(app, &host);
    new.redirect_to = Some(parse(&format!("www.{t}.example.com")));
    new.basic_auth = Some(BasicAuth {
        username: "ada".to_owned(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
    });
    let apex = ok(store.add_domain(&dev, new.clone()).await, "add_domain");
    assert!(
        apex.host == new.host
            && apex.app_id == app
            && apex.team_id == w.team
            && apex.force_https
            && apex.redirect_to == new.redirect_to
            && apex.basic_auth == new.basic_auth,
        "store contract: add_domain returns the domain as given"
    );
    conflict(
        store
            .add_domain(&other.owner_scope, domain(other.app.id, &host))
            .await,
        "add_domain of a host attached to another team's app",
    );
    conflict(
        store.add_domain(&dev, domain(app, &host)).await,
        "add_domain of a host already attached to the same app",
    );
    let www = ok(
        store
            .add_domain(&dev, domain(app, &format!("www.{t}.example.com")))
            .await,
        "add_domain",
    );
    let listed = ok(store.list_domains(owner, Some(app)).await, "list_domains");
    assert!(
        listed == vec![apex.clone(), www.clone()],
        "store contract: list_domains of an app is ordered by creation; got {listed:?}"
    );
    let listed = ok(store.list_domains(owner, None).await, "list_domains");
    assert!(
        ids(&listed, |d| d.id) == vec![apex.id, www.id],
        "store contract: list_domains(None) lists the team's domains; got {listed:?}"
    );
    ok(store.remove_domain(&dev, apex.id).await, "remove_domain");
    not_found(
        store.remove_domain(&dev, apex.id).await,
        "remove_domain of a removed domain",
    );
    not_found(
        store.remove_domain(&dev, DomainId::new()).await,
        "remove_domain of an unknown domain",
    );
    let listed = ok(store.list_domains(owner, Some(app)).await, "list_domains");
    assert!(
        listed == vec![www],
        "store contract: remove_domain detaches the domain"
    );
    ok(
        store
            .add_domain(&other.owner_scope, domain(other.app.id, &host))
            .await,
        "add_domain of a host that was detached",
    );
    not_found(
        store
            .add_domain(
                owner,
                domain(AppId::new(), &format!("{}.example.com", tag())),
            )
            .await,
        "add_domain to an unknown app",
    );
    nothing(
        store.list_domains(owner, Some(AppId::new())).await,
        "list_domains of an unknown app",
    );

    // Volumes.
    let name = format!("data-{}", tag());
    let data = ok(
        store.create_volume(&dev, volume(app, &name)).await,
        "create_volume",
    );
    assert!(
        data.name.as_str() == name
            && data.app_id == app
            && data.team_id == w.team
            && data.mount_path.as_str() == "/data",
        "store contract: create_volume returns the volume as given"
    );
    conflict(
        store
            .create_volume(&other.owner_scope, volume(other.app.id, &name))
            .await,
        "create_volume with a name used by another team's app",
    );
    let cache = ok(
        store
            .create_volume(&dev, volume(app, &format!("cache-{}", tag())))
            .await,
        "create_volume",
    );
    let listed = ok(store.list_volumes(owner, app).await, "list_volumes");
    assert!(
        listed == vec![data.clone(), cache.clone()],
        "store contract: list_volumes is ordered by creation; got {listed:?}"
    );
    ok(store.delete_volume(&dev, data.id).await, "delete_volume");
    not_found(
        store.delete_volume(&dev, data.id).await,
        "delete_volume of a deleted volume",
    );
    let listed = ok(store.list_volumes(owner, app).await, "list_volumes");
    assert!(
        listed == vec![cache],
        "store contract: delete_volume removes the record"
    );
    ok(
        store
            .create_volume(&other.owner_scope, volume(other.app.id, &name))
            .await,
        "create_volume with the name of a deleted volume",
    );
    not_found(
        store
            .create_volume(owner, volume(AppId::new(), &format!("ghost-{}", tag())))
            .await,
        "create_volume for an unknown app",
    );
    nothing(
        store.list_volumes(owner, AppId::new()).await,
        "list_volumes of an unknown app",
    );
}
