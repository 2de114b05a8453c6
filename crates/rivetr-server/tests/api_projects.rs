//! Projects and environments through the REST API: create, read, delete,
//! and who may do what.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::{Member, TestApi, call, error_code, ok_json};
use reqwest::Method;
use rivetr_core::model::Role;
use serde_json::{Value, json};

async fn create_project(api: &TestApi, who: &Member, name: &str) -> Value {
    let response = call(
        api,
        who,
        Method::POST,
        "/api/v1/projects",
        Some(json!({ "name": name })),
    )
    .await;
    ok_json(response, 201).await
}

async fn project_names(api: &TestApi, who: &Member) -> Vec<String> {
    let list = ok_json(
        call(api, who, Method::GET, "/api/v1/projects", None).await,
        200,
    )
    .await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn environment_names(api: &TestApi, who: &Member, project: &str) -> Vec<String> {
    let path = format!("/api/v1/projects/{project}/environments");
    let list = ok_json(call(api, who, Method::GET, &path, None).await, 200).await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn projects_and_environments_are_created_read_and_deleted() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;

    let project = create_project(&api, &owner, "Web shop").await;
    assert_eq!(project["name"], "Web shop");
    let id = project["id"].as_str().unwrap().to_owned();
    let envs = project["environments"].as_array().unwrap();
    assert_eq!(envs.len(), 1);
    assert_eq!(envs[0]["name"], "production");
    assert_eq!(envs[0]["project_id"], id.as_str());

    assert_eq!(project_names(&api, &owner).await, ["Web shop"]);
    let got = ok_json(
        call(
            &api,
            &owner,
            Method::GET,
            &format!("/api/v1/projects/{id}"),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(got["id"], id.as_str());
    assert_eq!(got["environments"][0]["name"], "production");

    let path = format!("/api/v1/projects/{id}/environments");
    let staging = ok_json(
        call(
            &api,
            &owner,
            Method::POST,
            &path,
            Some(json!({ "name": "staging" })),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(staging["name"], "staging");
    assert_eq!(
        environment_names(&api, &owner, &id).await,
        ["production", "staging"]
    );

    // Names are unique: in the team for projects, in the project for
    // environments.
    let response = call(
        &api,
        &owner,
        Method::POST,
        "/api/v1/projects",
        Some(json!({ "name": "Web shop" })),
    )
    .await;
    assert_eq!(error_code(response).await.0, 409);
    let response = call(
        &api,
        &owner,
        Method::POST,
        &path,
        Some(json!({ "name": "staging" })),
    )
    .await;
    assert_eq!(error_code(response).await.0, 409);
    assert_eq!(
        environment_names(&api, &owner, &id).await,
        ["production", "staging"]
    );

    let response = call(
        &api,
        &owner,
        Method::DELETE,
        &format!("/api/v1/projects/{id}"),
        None,
    )
    .await;
    assert_eq!(response.status(), 204);
    let response = call(
        &api,
        &owner,
        Method::GET,
        &format!("/api/v1/projects/{id}"),
        None,
    )
    .await;
    assert_eq!(error_code(response).await.0, 404);
    assert!(project_names(&api, &owner).await.is_empty());
}

#[tokio::test]
async fn creating_and_deleting_projects_is_audited() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let project = create_project(&api, &owner, "Audited").await;
    let id = project["id"].as_str().unwrap();
    let response = call(
        &api,
        &owner,
        Method::DELETE,
        &format!("/api/v1/projects/{id}"),
        None,
    )
    .await;
    assert_eq!(response.status(), 204);

    let audit = ok_json(
        call(&api, &owner, Method::GET, "/api/v1/audit", None).await,
        200,
    )
    .await;
    let actions: Vec<(&str, &str, &str)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["target"].as_str().unwrap(),
                e["actor"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    let actor = owner.user.to_string();
    assert!(
        actions.contains(&("project.create", id, actor.as_str())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("project.delete", id, actor.as_str())),
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_project_with_apps_is_not_deleted() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let project = create_project(&api, &owner, "Busy").await;
    let id = project["id"].as_str().unwrap();
    let environment = project["environments"][0]["id"].as_str().unwrap();
    let app = json!({
        "environment_id": environment,
        "name": "web",
        "spec": { "source": { "type": "image", "image": "nginx:1.27" } },
    });
    let response = call(&api, &owner, Method::POST, "/api/v1/apps", Some(app)).await;
    assert_eq!(response.status(), 201);

    let response = call(
        &api,
        &owner,
        Method::DELETE,
        &format!("/api/v1/projects/{id}"),
        None,
    )
    .await;
    let (status, code, message) = error_code(response).await;
    assert_eq!((status, code.as_str()), (409, "conflict"), "{message}");
    assert_eq!(project_names(&api, &owner).await, ["Busy"]);
}

#[tokio::test]
async fn another_teams_projects_are_not_found_and_stay_unchanged() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let stranger = api.team("rival").await;
    let project = create_project(&api, &owner, "Private").await;
    let id = project["id"].as_str().unwrap();

    assert!(project_names(&api, &stranger).await.is_empty());
    for (method, path, body) in [
        (Method::GET, format!("/api/v1/projects/{id}"), None),
        (Method::DELETE, format!("/api/v1/projects/{id}"), None),
        (
            Method::GET,
            format!("/api/v1/projects/{id}/environments"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/projects/{id}/environments"),
            Some(json!({ "name": "mine" })),
        ),
    ] {
        let response = call(&api, &stranger, method.clone(), &path, body).await;
        assert_eq!(error_code(response).await.0, 404, "{method} {path}");
    }
    assert_eq!(project_names(&api, &owner).await, ["Private"]);
    assert_eq!(environment_names(&api, &owner, id).await, ["production"]);
}

#[tokio::test]
async fn only_admins_and_owners_manage_projects() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let project = create_project(&api, &owner, "Main").await;
    let id = project["id"].as_str().unwrap();

    for (role, email) in [
        (Role::Viewer, "v@acme.test"),
        (Role::Developer, "d@acme.test"),
    ] {
        let member = api.member(owner.team, role, email).await;
        // Reading is allowed.
        assert_eq!(project_names(&api, &member).await, ["Main"]);
        assert_eq!(environment_names(&api, &member, id).await, ["production"]);
        for (method, path, body) in [
            (
                Method::POST,
                "/api/v1/projects".to_owned(),
                Some(json!({ "name": "Mine" })),
            ),
            (Method::DELETE, format!("/api/v1/projects/{id}"), None),
            (
                Method::POST,
                format!("/api/v1/projects/{id}/environments"),
                Some(json!({ "name": "mine" })),
            ),
        ] {
            let response = call(&api, &member, method.clone(), &path, body).await;
            let (status, code, _) = error_code(response).await;
            assert_eq!(
                (status, code.as_str()),
                (403, "permission_denied"),
                "{role:?} {method} {path}"
            );
        }
    }
    assert_eq!(project_names(&api, &owner).await, ["Main"]);
    assert_eq!(environment_names(&api, &owner, id).await, ["production"]);

    let admin = api.member(owner.team, Role::Admin, "a@acme.test").await;
    create_project(&api, &admin, "By the admin").await;
    assert_eq!(project_names(&api, &owner).await, ["Main", "By the admin"]);
}

#[tokio::test]
async fn project_input_is_validated() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    for body in [
        json!({ "name": "" }),
        json!({ "name": "a\u{0}b" }),
        json!({ "name": "ok", "extra": 1 }),
        json!({}),
    ] {
        let response = call(
            &api,
            &owner,
            Method::POST,
            "/api/v1/projects",
            Some(body.clone()),
        )
        .await;
        let (status, _, message) = error_code(response).await;
        assert_eq!(status, 422, "{body}: {message}");
    }
    assert!(project_names(&api, &owner).await.is_empty());
}
