//! The `secrets` check of the store conformance suite.

use super::helpers::{denied, ids, not_found, ok, parse, tag};
use super::platform_fixtures::{crew, member};
use crate::access::Scope;
use crate::id::{CredentialId, TeamId};
use crate::model::{Credential, CredentialKind, NewCredential, Role, SecretString, TokenScope};
use crate::store::{SecretRepo, TeamRepo, UserRepo};

fn credential(team: TeamId, name: &str, kind: CredentialKind, value: &str) -> NewCredential {
    NewCredential {
        team_id: team,
        name: parse(name),
        kind,
        value: SecretString::new(value),
    }
}

fn value(credential: &Credential) -> Option<&str> {
    credential.value.as_ref().map(SecretString::expose)
}

/// Teams' sealed credentials: `ManageApps` to store and delete, upsert by
/// name, values shown only to scopes that may reveal secrets and to the
/// system, another team's credentials invisible through every method,
/// and a deleted team's credentials gone.
pub async fn secrets<S: SecretRepo + TeamRepo + UserRepo + ?Sized>(store: &S) {
    let system = Scope::system();
    let a = crew(store, "secrets-a").await;
    let b = crew(store, "secrets-b").await;
    let viewer = member(store, &a, Role::Viewer).await;
    let dev = member(store, &a, Role::Developer).await;
    let admin = member(store, &a, Role::Admin).await;
    let owner = &a.owner_scope;
    let registry = format!("registry-{}", tag());

    // Storing.
    let new = credential(
        a.team,
        &registry,
        CredentialKind::RegistryPassword,
        "hunter2",
    );
    let first = ok(
        store.put_credential(owner, new.clone()).await,
        "put_credential by an owner",
    );
    assert!(
        first.team_id == a.team
            && first.name == new.name
            && first.kind == CredentialKind::RegistryPassword
            && value(&first) == Some("hunter2")
            && first.created_at == first.updated_at,
        "store contract: put_credential stores the credential as given and shows its value to \
         an owner; got {first:?}"
    );
    let key = ok(
        store
            .put_credential(
                &dev,
                credential(a.team, "deploy key", CredentialKind::DeployKey, "ssh-key"),
            )
            .await,
        "put_credential by a developer (ManageApps)",
    );
    assert!(
        key.value.is_none() && key.kind == CredentialKind::DeployKey,
        "store contract: put_credential returns the credential as the caller may see it: no value \
         for a developer; got {key:?}"
    );
    denied(
        store
            .put_credential(
                &viewer,
                credential(a.team, "nope", CredentialKind::GitToken, "x"),
            )
            .await,
        "put_credential by a viewer",
    );
    let read_only = owner.clone().with_token_scope(TokenScope::Read);
    denied(
        store
            .put_credential(
                &read_only,
                credential(a.team, "nope", CredentialKind::GitToken, "x"),
            )
            .await,
        "put_credential through a read-only token",
    );
    not_found(
        store
            .put_credential(
                &system,
                credential(TeamId::new(), "ghost", CredentialKind::GitToken, "x"),
            )
            .await,
        "put_credential in an unknown team",
    );

    // Reading: values only for those who may reveal secrets.
    let write_token = owner.clone().with_token_scope(TokenScope::Write);
    for (who, scope) in [
        ("a viewer", &viewer),
        ("a developer", &dev),
        ("an owner through a write token", &write_token),
    ] {
        let listed = ok(store.list_credentials(scope).await, "list_credentials");
        assert!(
            ids(&listed, |c| c.id) == vec![first.id, key.id]
                && listed.iter().all(|c| c.value.is_none()),
            "store contract: list_credentials shows {who} the team's credentials in creation \
             order, without values; got {listed:?}"
        );
        let got = ok(
            store.get_credential(scope, first.id).await,
            "get_credential",
        );
        assert!(
            got.value.is_none() && got.name == first.name,
            "store contract: get_credential hides the value from {who}"
        );
    }
    for (who, scope) in [
        ("an admin", &admin),
        ("an owner", owner),
        ("the system", &system),
    ] {
        let got = ok(store.get_credential(scope, key.id).await, "get_credential");
        assert!(
            value(&got) == Some("ssh-key"),
            "store contract: get_credential shows the value to {who}; got {got:?}"
        );
    }
    let listed = ok(
        store.list_credentials(&system).await,
        "list_credentials by the system",
    );
    let ours: Vec<_> = listed.iter().filter(|c| c.team_id == a.team).collect();
    assert!(
        ours.len() == 2 && ours.iter().all(|c| c.value.is_some()),
        "store contract: list_credentials shows the system every team's credentials with values"
    );
    not_found(
        store.get_credential(&system, CredentialId::new()).await,
        "get_credential of an unknown credential",
    );

    // Upsert by name.
    let replaced = ok(
        store
            .put_credential(
                owner,
                credential(a.team, &registry, CredentialKind::GitToken, "rotated"),
            )
            .await,
        "put_credential with a name already used (replace)",
    );
    assert!(
        replaced.id == first.id
            && replaced.created_at == first.created_at
            && replaced.updated_at >= first.updated_at
            && replaced.kind == CredentialKind::GitToken
            && value(&replaced) == Some("rotated"),
        "store contract: put_credential with a used name replaces kind and value, keeping id and \
         created_at; got {replaced:?}"
    );
    let listed = ok(store.list_credentials(owner).await, "list_credentials");
    assert!(
        ids(&listed, |c| c.id) == vec![first.id, key.id],
        "store contract: replacing a credential does not add one; got {listed:?}"
    );

    // Another team sees and changes nothing of team A's.
    let x = &b.owner_scope;
    let cross = |what: &str| format!("{what} of another team's credential");
    not_found(
        store.get_credential(x, first.id).await,
        &cross("get_credential"),
    );
    not_found(
        store.delete_credential(x, first.id).await,
        &cross("delete_credential"),
    );
    not_found(
        store
            .put_credential(
                x,
                credential(a.team, &registry, CredentialKind::GitToken, "stolen"),
            )
            .await,
        &cross("put_credential (into another team)"),
    );
    let b_list = ok(store.list_credentials(x).await, "list_credentials");
    assert!(
        b_list.is_empty(),
        "store contract: list_credentials leaves other teams' credentials out; got {b_list:?}"
    );
    let same_name = ok(
        store
            .put_credential(
                x,
                credential(b.team, &registry, CredentialKind::GitToken, "b's own"),
            )
            .await,
        "put_credential in the own team with a name another team uses",
    );
    assert!(
        same_name.id != first.id && same_name.team_id == b.team,
        "store contract: credential names are unique per team, not per instance"
    );
    let a_still = ok(
        store.get_credential(owner, first.id).await,
        "get_credential",
    );
    assert!(
        value(&a_still) == Some("rotated"),
        "store contract: another team's calls leave team A's credential unchanged; got {a_still:?}"
    );

    // Deleting.
    denied(
        store.delete_credential(&viewer, key.id).await,
        "delete_credential by a viewer",
    );
    ok(
        store.delete_credential(&dev, key.id).await,
        "delete_credential by a developer",
    );
    not_found(
        store.get_credential(owner, key.id).await,
        "get_credential of a deleted credential",
    );
    not_found(
        store.delete_credential(owner, key.id).await,
        "delete_credential of a deleted credential",
    );

    // A deleted team's credentials go with it.
    ok(
        store.delete_team(owner, a.team).await,
        "delete_team by its owner",
    );
    not_found(
        store.get_credential(&system, first.id).await,
        "get_credential of a deleted team's credential",
    );
    ok(
        store.get_credential(&system, same_name.id).await,
        "get_credential of another team's credential after a team was deleted",
    );
}
