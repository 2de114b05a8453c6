//! Teams, members, invitations and the audit log through the REST API.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use base64ct::{Base64UrlUnpadded, Encoding};
use chrono::{TimeDelta, Utc};
use common::{Member, TestApi, error_code};
use reqwest::Method;
use rivetr_core::access::Scope;
use rivetr_core::model::{NewInvitation, Role};
use rivetr_core::store::{CredentialRepo, InvitationRepo, TeamRepo, UserRepo};
use serde_json::{Value, json};

async fn body(response: reqwest::Response) -> Value {
    response.json().await.unwrap()
}

/// Invite `email` to `by`'s team; returns the invitation and its token.
async fn invite(api: &TestApi, by: &Member, email: &str, role: &str) -> (Value, String) {
    let response = api
        .as_member(
            by,
            Method::POST,
            &format!("/api/v1/teams/{}/invitations", by.team),
        )
        .json(&json!({ "email": email, "role": role }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created = body(response).await;
    let token = created["token"].as_str().unwrap().to_owned();
    (created["invitation"].clone(), token)
}

async fn members(api: &TestApi, by: &Member) -> Vec<Value> {
    let response = api
        .as_member(
            by,
            Method::GET,
            &format!("/api/v1/teams/{}/members", by.team),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    body(response).await["items"].as_array().unwrap().clone()
}

fn role_of(members: &[Value], email: &str) -> Option<String> {
    members
        .iter()
        .find(|m| m["email"] == email)
        .map(|m| m["role"].as_str().unwrap().to_owned())
}

async fn invitations(api: &TestApi, by: &Member) -> Vec<Value> {
    let response = api
        .as_member(
            by,
            Method::GET,
            &format!("/api/v1/teams/{}/invitations", by.team),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    body(response).await["items"].as_array().unwrap().clone()
}

async fn audit_actions(api: &TestApi, by: &Member) -> Vec<(String, String)> {
    let response = api
        .as_member(by, Method::GET, "/api/v1/audit")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    body(response).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["target"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn accept(api: &TestApi, request: &Value) -> reqwest::RequestBuilder {
    api.anonymous(Method::POST, "/api/v1/invitations/accept")
        .json(request)
}

#[tokio::test]
async fn teams_are_listed_created_read_and_deleted() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;

    let list = body(
        api.as_member(&owner, Method::GET, "/api/v1/teams")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], owner.team.to_string());
    assert_eq!(items[0]["name"], "acme");
    assert_eq!(items[0]["role"], "owner");

    let response = api
        .as_member(&owner, Method::POST, "/api/v1/teams")
        .json(&json!({ "name": "Acme Labs" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created = body(response).await;
    assert_eq!(created["name"], "Acme Labs");
    assert_eq!(created["role"], "owner");
    let teams = api
        .store
        .teams_of_user(&Scope::system(), owner.user)
        .await
        .unwrap();
    assert_eq!(teams.len(), 2);
    assert!(
        teams
            .iter()
            .any(|(t, r)| t.id.to_string() == created["id"] && *r == Role::Owner)
    );

    // A bad name is refused and creates nothing.
    let response = api
        .as_member(&owner, Method::POST, "/api/v1/teams")
        .json(&json!({ "name": "bad\u{7}name" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let teams = api.store.teams_of_user(&Scope::system(), owner.user).await;
    assert_eq!(teams.unwrap().len(), 2);

    let read = body(
        api.as_member(
            &owner,
            Method::GET,
            &format!("/api/v1/teams/{}", owner.team),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(read["name"], "acme");
    assert_eq!(read["role"], "owner");

    // Only an owner deletes a team.
    let admin = api.member(owner.team, Role::Admin, "admin@acme.test").await;
    let response = api
        .as_member(
            &admin,
            Method::DELETE,
            &format!("/api/v1/teams/{}", owner.team),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response).await.0, 403);
    assert!(
        api.store
            .get_team(&Scope::system(), owner.team)
            .await
            .is_ok()
    );

    let response = api
        .as_member(
            &owner,
            Method::DELETE,
            &format!("/api/v1/teams/{}", owner.team),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert!(
        api.store
            .get_team(&Scope::system(), owner.team)
            .await
            .is_err()
    );
    api.platform.shutdown().await;
}

#[tokio::test]
async fn another_teams_routes_answer_404() {
    let api = TestApi::start().await;
    let acme = api.team("acme").await;
    let globex = api.team("globex").await;
    let viewer = api.member(globex.team, Role::Viewer, "v@globex.test").await;
    let team = globex.team;
    let member_path = format!("/api/v1/teams/{team}/members/{}", viewer.user);
    let cases = [
        (Method::GET, format!("/api/v1/teams/{team}"), None),
        (Method::DELETE, format!("/api/v1/teams/{team}"), None),
        (Method::GET, format!("/api/v1/teams/{team}/members"), None),
        (
            Method::PUT,
            member_path.clone(),
            Some(json!({ "role": "admin" })),
        ),
        (Method::DELETE, member_path, None),
        (
            Method::GET,
            format!("/api/v1/teams/{team}/invitations"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/teams/{team}/invitations"),
            Some(json!({ "email": "x@acme.test", "role": "viewer" })),
        ),
        (
            Method::GET,
            format!("/api/v1/teams/{}", rivetr_core::id::TeamId::new()),
            None,
        ),
    ];
    for (method, path, request) in cases {
        let mut builder = api.as_member(&acme, method.clone(), &path);
        if let Some(request) = request {
            builder = builder.json(&request);
        }
        let (status, code, _) = error_code(builder.send().await.unwrap()).await;
        assert_eq!(
            (status, code.as_str()),
            (404, "not_found"),
            "{method} {path}"
        );
    }
    // Nothing changed in globex.
    assert_eq!(
        role_of(&members(&api, &globex).await, "v@globex.test").as_deref(),
        Some("viewer")
    );
    assert!(invitations(&api, &globex).await.is_empty());
    api.platform.shutdown().await;
}

#[tokio::test]
async fn roles_change_within_what_the_caller_may_grant() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let admin = api.member(owner.team, Role::Admin, "admin@acme.test").await;
    let viewer = api
        .member(owner.team, Role::Viewer, "viewer@acme.test")
        .await;
    let path = |m: &Member| format!("/api/v1/teams/{}/members/{}", owner.team, m.user);

    let listed = members(&api, &viewer).await;
    assert_eq!(listed.len(), 3);
    let me = listed
        .iter()
        .find(|m| m["email"] == "viewer@acme.test")
        .unwrap();
    assert_eq!(me["user_id"], viewer.user.to_string());
    assert_eq!(me["name"], "Test User");
    assert_eq!(me["role"], "viewer");

    let response = api
        .as_member(&owner, Method::PUT, &path(&viewer))
        .json(&json!({ "role": "developer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(body(response).await["role"], "developer");
    assert_eq!(
        role_of(&members(&api, &owner).await, "viewer@acme.test").as_deref(),
        Some("developer")
    );

    // An admin cannot grant ownership.
    let response = api
        .as_member(&admin, Method::PUT, &path(&viewer))
        .json(&json!({ "role": "owner" }))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response).await.0, 403);
    // A viewer changes no one.
    let response = api
        .as_member(&viewer, Method::PUT, &path(&admin))
        .json(&json!({ "role": "viewer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response).await.0, 403);
    // The last owner stays an owner.
    let response = api
        .as_member(&owner, Method::PUT, &path(&owner))
        .json(&json!({ "role": "admin" }))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response).await.0, 409);
    // An unknown role is bad input.
    let response = api
        .as_member(&owner, Method::PUT, &path(&viewer))
        .json(&json!({ "role": "god" }))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response).await.0, 422);

    let listed = members(&api, &owner).await;
    assert_eq!(
        role_of(&listed, "owner@acme.test").as_deref(),
        Some("owner")
    );
    assert_eq!(
        role_of(&listed, "admin@acme.test").as_deref(),
        Some("admin")
    );
    assert_eq!(
        role_of(&listed, "viewer@acme.test").as_deref(),
        Some("developer")
    );

    let actions = audit_actions(&api, &owner).await;
    assert_eq!(
        actions,
        vec![("member.set_role".to_owned(), viewer.user.to_string())]
    );
    api.platform.shutdown().await;
}

#[tokio::test]
async fn a_removed_member_loses_access_and_the_removal_is_audited() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let dev = api
        .member(owner.team, Role::Developer, "dev@acme.test")
        .await;
    let path = format!("/api/v1/teams/{}/members/{}", owner.team, dev.user);

    let response = api
        .as_member(
            &dev,
            Method::DELETE,
            &format!("/api/v1/teams/{}/members/{}", owner.team, owner.user),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response).await.0, 403);

    let response = api
        .as_member(&owner, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(role_of(&members(&api, &owner).await, "dev@acme.test"), None);
    // Their token went with their membership.
    let response = api
        .as_member(&dev, Method::GET, "/api/v1/teams")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response).await.0, 401);
    let response = api
        .as_member(&owner, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response).await.0, 404);

    let actions = audit_actions(&api, &owner).await;
    assert_eq!(
        actions,
        vec![("member.remove".to_owned(), dev.user.to_string())]
    );
    api.platform.shutdown().await;
}

#[tokio::test]
async fn a_new_user_accepts_an_invitation_once() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let (invitation, token) = invite(&api, &owner, "new@acme.test", "developer").await;
    assert!(token.starts_with("rvi_"), "{token}");
    assert_eq!(invitation["email"], "new@acme.test");
    assert_eq!(invitation["role"], "developer");
    assert_eq!(invitation["invited_by"], owner.user.to_string());
    assert_eq!(invitation["expired"], false);

    // The token is shown once: the list does not hold it.
    let listed = invitations(&api, &owner).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], invitation["id"]);
    assert!(!serde_json::to_string(&listed).unwrap().contains(&token));

    let response = accept(
        &api,
        &json!({ "token": token, "name": "New Person", "password": "correct horse battery" }),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    let accepted = body(response).await;
    assert_eq!(accepted["team_id"], owner.team.to_string());
    assert_eq!(accepted["team_name"], "acme");
    assert_eq!(accepted["role"], "developer");
    assert_eq!(accepted["user_created"], true);

    let listed = members(&api, &owner).await;
    let joined = listed
        .iter()
        .find(|m| m["email"] == "new@acme.test")
        .unwrap();
    assert_eq!(joined["role"], "developer");
    assert_eq!(joined["name"], "New Person");
    assert_eq!(joined["user_id"], accepted["user_id"]);
    let system = Scope::system();
    let user = api
        .store
        .find_user_by_email(&system, &"new@acme.test".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let hash = api
        .store
        .password_hash(&system, user.id)
        .await
        .unwrap()
        .unwrap();
    let verified = api
        .platform
        .auth()
        .passwords()
        .verify("correct horse battery".to_owned(), hash)
        .await
        .unwrap();
    assert!(verified);
    assert!(invitations(&api, &owner).await.is_empty());

    // A token works once.
    let response = accept(
        &api,
        &json!({ "token": token, "name": "Again", "password": "correct horse battery" }),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(error_code(response).await.0, 404);

    let actions = audit_actions(&api, &owner).await;
    let names: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(names, ["invitation.accept", "invitation.create"]);
    assert!(actions.iter().all(|(_, target)| target == "new@acme.test"));
    api.platform.shutdown().await;
}

#[tokio::test]
async fn a_weak_password_or_missing_name_is_refused_and_changes_nothing() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let (_, token) = invite(&api, &owner, "new@acme.test", "viewer").await;

    let response = accept(
        &api,
        &json!({ "token": token, "name": "New", "password": "short" }),
    )
    .send()
    .await
    .unwrap();
    let (status, _, message) = error_code(response).await;
    assert_eq!(status, 422);
    assert!(message.contains("at least"), "{message}");
    let response = accept(
        &api,
        &json!({ "token": token, "password": "correct horse battery" }),
    )
    .send()
    .await
    .unwrap();
    let (status, _, message) = error_code(response).await;
    assert_eq!(status, 422);
    assert!(message.contains("name"), "{message}");

    let found = api
        .store
        .find_user_by_email(&Scope::system(), &"new@acme.test".parse().unwrap())
        .await
        .unwrap();
    assert!(found.is_none());
    assert_eq!(invitations(&api, &owner).await.len(), 1);
    assert_eq!(members(&api, &owner).await.len(), 1);
    api.platform.shutdown().await;
}

#[tokio::test]
async fn a_signed_in_user_accepts_for_their_own_address_only() {
    let api = TestApi::start().await;
    let acme = api.team("acme").await;
    let globex = api.team("globex").await;
    let (_, token) = invite(&api, &acme, "someone@else.test", "admin").await;

    // Signed in as another address: refused, the invitation stays.
    let response = api
        .as_member(&globex, Method::POST, "/api/v1/invitations/accept")
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response).await.0, 403);
    assert_eq!(invitations(&api, &acme).await.len(), 1);
    assert_eq!(members(&api, &acme).await.len(), 1);

    // Signed in as the invited address: joins with the invited role (a
    // name and password are for new accounts only).
    let (_, token) = invite(&api, &acme, "owner@globex.test", "admin").await;
    let response = api
        .as_member(&globex, Method::POST, "/api/v1/invitations/accept")
        .json(&json!({ "token": token, "password": "correct horse battery" }))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response).await.0, 400);
    let response = api
        .as_member(&globex, Method::POST, "/api/v1/invitations/accept")
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let accepted = body(response).await;
    assert_eq!(accepted["user_id"], globex.user.to_string());
    assert_eq!(accepted["user_created"], false);
    assert_eq!(
        role_of(&members(&api, &acme).await, "owner@globex.test").as_deref(),
        Some("admin")
    );

    // An address with an account must sign in to accept.
    let other = api.team("initech").await;
    let (_, token) = invite(&api, &acme, &other.email, "viewer").await;
    let response = accept(
        &api,
        &json!({ "token": token, "name": "X", "password": "correct horse battery" }),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(error_code(response).await.0, 409);

    // A bad credential is refused, not ignored.
    let response = api
        .anonymous(Method::POST, "/api/v1/invitations/accept")
        .bearer_auth("rvt_nonsense")
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response).await.0, 401);
    api.platform.shutdown().await;
}

#[tokio::test]
async fn expired_unknown_and_revoked_invitations_are_refused() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;

    // An invitation that expires right away, made in the store with a
    // token of the API's shape.
    let email = "late@acme.test";
    let token = format!(
        "rvi_{}.{}.{}",
        owner.team,
        Base64UrlUnpadded::encode_string(email.as_bytes()),
        Base64UrlUnpadded::encode_string(&[7_u8; 32]),
    );
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    let hash: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    let expires_at = Utc::now() + TimeDelta::milliseconds(200);
    api.store
        .create_invitation(
            &Scope::system(),
            NewInvitation {
                team_id: owner.team,
                email: email.parse().unwrap(),
                role: Role::Viewer,
                invited_by: owner.user,
                token_hash: hash,
                expires_at,
            },
        )
        .await
        .unwrap();
    let wait = (expires_at - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + std::time::Duration::from_millis(20)).await;
    let response = accept(
        &api,
        &json!({ "token": token, "name": "Late", "password": "correct horse battery" }),
    )
    .send()
    .await
    .unwrap();
    let (status, code, _) = error_code(response).await;
    assert_eq!((status, code.as_str()), (410, "expired"));
    assert_eq!(invitations(&api, &owner).await[0]["expired"], true);

    // Malformed and unknown tokens.
    let response = accept(&api, &json!({ "token": "rvi_nope" }))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response).await.0, 422);
    let (_, real) = invite(&api, &owner, "real@acme.test", "viewer").await;
    // Change one character well inside the secret (every bit of it counts
    // there; the last character carries padding bits a strict decoder
    // refuses as malformed).
    let at = real.len() - 10;
    let swapped = if &real[at..=at] == "A" { "B" } else { "A" };
    let forged = format!("{}{swapped}{}", &real[..at], &real[at + 1..]);
    let response = accept(
        &api,
        &json!({ "token": forged, "name": "F", "password": "correct horse battery" }),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(error_code(response).await.0, 404);
    // The refused attempt left no account anyone can sign in to, and the
    // real token still works.
    let system = Scope::system();
    let leftover = api
        .store
        .find_user_by_email(&system, &"real@acme.test".parse().unwrap())
        .await
        .unwrap();
    if let Some(user) = leftover {
        assert!(
            api.store
                .password_hash(&system, user.id)
                .await
                .unwrap()
                .is_none()
        );
    }
    let response = accept(
        &api,
        &json!({ "token": real, "name": "Real", "password": "correct horse battery" }),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 200);

    // Revoked: the token stops working.
    let (invitation, token) = invite(&api, &owner, "gone@acme.test", "viewer").await;
    let viewer = api
        .member(owner.team, Role::Viewer, "viewer@acme.test")
        .await;
    let path = format!("/api/v1/invitations/{}", invitation["id"].as_str().unwrap());
    let response = api
        .as_member(&viewer, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response).await.0, 403);
    let response = api
        .as_member(&owner, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let response = accept(
        &api,
        &json!({ "token": token, "name": "G", "password": "correct horse battery" }),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(error_code(response).await.0, 404);
    api.platform.shutdown().await;
}

#[tokio::test]
async fn who_may_invite() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let admin = api.member(owner.team, Role::Admin, "admin@acme.test").await;
    let viewer = api
        .member(owner.team, Role::Viewer, "viewer@acme.test")
        .await;
    let path = format!("/api/v1/teams/{}/invitations", owner.team);
    let send =
        |by: &Member, request: Value| api.as_member(by, Method::POST, &path).json(&request).send();

    let response = send(&viewer, json!({ "email": "x@acme.test", "role": "viewer" }))
        .await
        .unwrap();
    assert_eq!(error_code(response).await.0, 403);
    let response = api
        .as_member(&viewer, Method::GET, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response).await.0, 403);
    let response = send(&admin, json!({ "email": "x@acme.test", "role": "owner" }))
        .await
        .unwrap();
    assert_eq!(error_code(response).await.0, 403);
    let response = send(
        &owner,
        json!({ "email": "viewer@acme.test", "role": "admin" }),
    )
    .await
    .unwrap();
    assert_eq!(error_code(response).await.0, 409);
    for bad in [
        json!({ "email": "not an address", "role": "viewer" }),
        json!({ "email": "x@acme.test; rm -rf /", "role": "viewer" }),
        json!({ "email": "x@acme.test", "role": "viewer", "expires_in_hours": 0 }),
        json!({ "email": "x@acme.test", "role": "viewer", "expires_in_hours": 100_000 }),
        json!({ "email": "x@acme.test", "role": "viewer", "extra": true }),
    ] {
        let response = send(&owner, bad.clone()).await.unwrap();
        assert_eq!(error_code(response).await.0, 422, "{bad}");
    }
    assert!(invitations(&api, &owner).await.is_empty());

    let response = send(
        &admin,
        json!({ "email": "x@acme.test", "role": "developer" }),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(invitations(&api, &owner).await.len(), 1);
    api.platform.shutdown().await;
}

#[tokio::test]
async fn the_audit_log_is_for_admins_and_pages_newest_first() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let developer = api
        .member(owner.team, Role::Developer, "dev@acme.test")
        .await;
    for email in ["a@acme.test", "b@acme.test", "c@acme.test"] {
        invite(&api, &owner, email, "viewer").await;
    }
    let response = api
        .as_member(&developer, Method::GET, "/api/v1/audit")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response).await.0, 403);

    let page = body(
        api.as_member(&owner, Method::GET, "/api/v1/audit?limit=2")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let targets: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["c@acme.test", "b@acme.test"]);
    assert_eq!(page["items"][0]["actor"], owner.user.to_string());
    let next = page["next"].as_u64().unwrap();
    let page = body(
        api.as_member(
            &owner,
            Method::GET,
            &format!("/api/v1/audit?limit=2&before={next}"),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let targets: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["a@acme.test"]);
    assert!(page["next"].is_null());

    let response = api
        .as_member(&owner, Method::GET, "/api/v1/audit?limit=0")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response).await.0, 422);
    api.platform.shutdown().await;
}

#[tokio::test]
async fn the_document_names_each_routes_permission() {
    let api = TestApi::start().await;
    let doc = body(
        api.anonymous(Method::GET, "/api/v1/openapi.json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let scopes = |path: &str, method: &str| -> Vec<String> {
        doc["paths"][path][method]["security"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|req| req.as_object().unwrap().values())
            .flat_map(|v| {
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_owned())
            })
            .collect()
    };
    assert_eq!(scopes("/api/v1/teams", "get"), ["signed_in", "signed_in"]);
    assert_eq!(
        scopes("/api/v1/teams/{team}", "delete"),
        ["manage_team", "manage_team"]
    );
    assert_eq!(
        scopes("/api/v1/teams/{team}/members/{user}", "put"),
        ["manage_members", "manage_members"]
    );
    assert_eq!(
        scopes("/api/v1/teams/{team}/invitations", "post"),
        ["manage_members", "manage_members"]
    );
    assert_eq!(
        scopes("/api/v1/audit", "get"),
        ["manage_members", "manage_members"]
    );
    assert!(
        doc["paths"]["/api/v1/invitations/accept"]["post"]["security"][0]
            .as_object()
            .unwrap()
            .is_empty()
    );
    api.platform.shutdown().await;
}

/// Sign in through the API; returns the session cookie and CSRF token.
async fn sign_in(api: &TestApi, email: &str, password: &str) -> (String, String) {
    let response = api
        .anonymous(Method::POST, "/api/v1/auth/sign-in")
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookie = response.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let csrf = body(response).await["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    (cookie, csrf)
}

#[tokio::test]
async fn an_invited_user_signs_in_and_a_session_sees_and_makes_teams() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let (_, token) = invite(&api, &owner, "new@acme.test", "developer").await;
    let response = accept(
        &api,
        &json!({ "token": token, "name": "New Person", "password": "correct horse battery" }),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 200);

    let (cookie, csrf) = sign_in(&api, "new@acme.test", "correct horse battery").await;
    let session = |method: Method, path: &str| {
        api.anonymous(method, path)
            .header(reqwest::header::COOKIE, &cookie)
    };
    let teams = body(session(Method::GET, "/api/v1/teams").send().await.unwrap()).await;
    assert_eq!(teams["items"][0]["name"], "acme");
    assert_eq!(teams["items"][0]["role"], "developer");

    let response = session(Method::POST, "/api/v1/teams")
        .header("x-csrf-token", &csrf)
        .header(reqwest::header::ORIGIN, &api.base)
        .json(&json!({ "name": "side project" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created = body(response).await;

    // A session lists every team of its user, and acts in the one a path
    // names.
    let teams = body(session(Method::GET, "/api/v1/teams").send().await.unwrap()).await;
    let roles: Vec<(&str, &str)> = teams["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["role"].as_str().unwrap()))
        .collect();
    assert_eq!(roles, [("acme", "developer"), ("side project", "owner")]);
    let path = format!("/api/v1/teams/{}", created["id"].as_str().unwrap());
    let read = body(session(Method::GET, &path).send().await.unwrap()).await;
    assert_eq!(read["role"], "owner");
    // The acme owner's token does not reach it.
    let response = api
        .as_member(&owner, Method::GET, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response).await.0, 404);
    api.platform.shutdown().await;
}
