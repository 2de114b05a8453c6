//! Apps, their env vars, domains and volumes through the REST API.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::{Member, TestApi, call, error_code, ok_json};
use reqwest::Method;
use rivetr_core::memory::ImageBehavior;
use rivetr_core::model::{DeploymentStatus, Role, Trigger};
use rivetr_core::runtime::{ContainerRuntime, LABEL_APP, LabelFilter};
use rivetr_core::store::TeamRepo;
use serde_json::{Value, json};

async fn get(api: &TestApi, who: &Member, path: &str) -> Value {
    ok_json(call(api, who, Method::GET, path, None).await, 200).await
}

/// A project; returns (project id, production environment id).
async fn project(api: &TestApi, owner: &Member, name: &str) -> (String, String) {
    let response = call(
        api,
        owner,
        Method::POST,
        "/api/v1/projects",
        Some(json!({ "name": name })),
    )
    .await;
    let project = ok_json(response, 201).await;
    (
        project["id"].as_str().unwrap().to_owned(),
        project["environments"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

fn git_app(environment: &str, name: &str) -> Value {
    json!({
        "environment_id": environment,
        "name": name,
        "spec": {
            "source": {
                "type": "git",
                "url": "https://github.com/acme/shop.git",
                "reference": "main",
                "watch_paths": ["services/shop"],
            },
            "build": { "builder": "dockerfile", "dockerfile": "docker/Dockerfile", "build_args": { "NODE_ENV": "production" } },
            "run": {
                "port": 8080,
                "command": ["node", "server.js"],
                "replicas": 2,
                "cpu": "0.5",
                "memory": "256MiB",
                "health_check": { "probe": { "type": "http", "path": "/healthz" } },
            },
            "deploy": { "watch_window_ms": 0 },
        },
    })
}

fn image_app(environment: &str, name: &str) -> Value {
    json!({
        "environment_id": environment,
        "name": name,
        "spec": { "source": { "type": "image", "image": "shop:1" }, "run": { "port": 80 } },
    })
}

async fn create_app(api: &TestApi, who: &Member, body: Value) -> Value {
    ok_json(
        call(api, who, Method::POST, "/api/v1/apps", Some(body)).await,
        201,
    )
    .await
}

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn apps_are_created_read_changed_and_deleted() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let (project_id, environment) = project(&api, &owner, "Shop").await;
    let (other_project, other_env) = project(&api, &owner, "Other").await;

    let app = create_app(&api, &owner, git_app(&environment, "shop")).await;
    let app_id = id(&app);
    assert_eq!(app["name"], "shop");
    assert_eq!(app["project_id"], project_id.as_str());
    assert_eq!(app["environment_id"], environment.as_str());
    let spec = &app["spec"];
    assert_eq!(spec["source"]["type"], "git");
    assert_eq!(spec["source"]["url"], "https://github.com/acme/shop.git");
    assert_eq!(spec["source"]["reference"], "main");
    assert_eq!(spec["source"]["watch_paths"], json!(["services/shop"]));
    assert_eq!(spec["build"]["builder"], "dockerfile");
    assert_eq!(spec["build"]["dockerfile"], "docker/Dockerfile");
    assert_eq!(spec["build"]["build_args"]["NODE_ENV"], "production");
    assert_eq!(spec["run"]["port"], 8080);
    assert_eq!(spec["run"]["command"], json!(["node", "server.js"]));
    assert_eq!(spec["run"]["replicas"], 2);
    assert_eq!(
        spec["run"]["health_check"]["probe"],
        json!({ "type": "http", "path": "/healthz" })
    );
    assert_eq!(spec["deploy"]["watch_window_ms"], 0);
    // Defaults are filled in.
    assert_eq!(spec["deploy"]["drain_timeout_ms"], 30_000);
    assert_eq!(spec["run"]["restart"]["type"], "unless_stopped");
    assert_eq!(app["live_deployment"], Value::Null);

    create_app(&api, &owner, image_app(&other_env, "worker")).await;
    let all = get(&api, &owner, "/api/v1/apps").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let only = get(&api, &owner, &format!("/api/v1/apps?project={project_id}")).await;
    let names: Vec<&str> = only["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["shop"]);
    let only = get(
        &api,
        &owner,
        &format!("/api/v1/apps?project={other_project}"),
    )
    .await;
    assert_eq!(only["items"][0]["name"], "worker");

    // The same name twice in one environment.
    let response = call(
        &api,
        &owner,
        Method::POST,
        "/api/v1/apps",
        Some(image_app(&environment, "shop")),
    )
    .await;
    assert_eq!(error_code(response).await.0, 409);

    // PATCH replaces the sections given and keeps the others.
    let path = format!("/api/v1/apps/{app_id}");
    let patch = json!({ "run": { "port": 9090 }, "build": { "builder": "static" } });
    let patched = ok_json(
        call(&api, &owner, Method::PATCH, &path, Some(patch)).await,
        200,
    )
    .await;
    assert_eq!(patched["spec"]["run"]["port"], 9090);
    assert_eq!(
        patched["spec"]["run"]["replicas"], 1,
        "a section given is replaced whole"
    );
    assert_eq!(patched["spec"]["build"]["builder"], "static");
    assert_eq!(patched["spec"]["source"], app["spec"]["source"]);
    assert_eq!(patched["spec"]["deploy"], app["spec"]["deploy"]);
    let read = get(&api, &owner, &path).await;
    assert_eq!(read["spec"], patched["spec"]);

    // What is read can be sent back as is.
    let mut copy =
        json!({ "environment_id": environment, "name": "shop-copy", "spec": read["spec"].clone() });
    let created = create_app(&api, &owner, copy.take()).await;
    assert_eq!(created["spec"], read["spec"]);

    let response = call(&api, &owner, Method::DELETE, &path, None).await;
    assert_eq!(response.status(), 204);
    let response = call(&api, &owner, Method::GET, &path, None).await;
    assert_eq!(error_code(response).await.0, 404);
    let names: Vec<String> = get(&api, &owner, "/api/v1/apps").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["worker", "shop-copy"]);
}

#[tokio::test]
async fn a_new_app_gets_a_generated_domain_under_the_base() {
    let api = TestApi::start_with(|config| {
        config.server.apps_domain = Some("apps.example.test".parse().unwrap());
    })
    .await;
    let owner = api.team("acme").await;
    let (_, environment) = project(&api, &owner, "Shop").await;
    let app = create_app(&api, &owner, image_app(&environment, "shop")).await;
    let app_id = id(&app);
    let hex = app_id.replace('-', "");
    let expected = format!("shop-{}.apps.example.test", &hex[hex.len() - 6..]);
    assert_eq!(app["domains"], json!([expected]));

    let domains = get(&api, &owner, &format!("/api/v1/apps/{app_id}/domains")).await;
    let items = domains["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["host"], expected.as_str());
    assert_eq!(
        items[0]["certificate"],
        json!({ "state": "none", "expires_at": null })
    );
    let read = get(&api, &owner, &format!("/api/v1/apps/{app_id}")).await;
    assert_eq!(read["domains"], json!([expected]));
}

#[tokio::test]
async fn deleting_an_app_stops_its_containers() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let (_, environment) = project(&api, &owner, "Shop").await;
    // A worker (no port): the platform's proxy has nothing to probe on
    // the memory runtime's made-up addresses.
    let worker = json!({
        "environment_id": environment,
        "name": "shop",
        "spec": {
            "source": { "type": "image", "image": "shop:1" },
            "run": { "health_check": { "probe": { "type": "running" } } },
        },
    });
    let app = create_app(&api, &owner, worker).await;
    let app_id: rivetr_core::id::AppId = id(&app).parse().unwrap();
    let scope = api.store.scope_for(owner.user, owner.team).await.unwrap();
    api.runtime
        .add_image(&"shop:1".parse().unwrap(), ImageBehavior::default());
    let engine = api.platform.engine();
    let deployment = engine
        .deploy(&scope, app_id, Trigger::Manual)
        .await
        .unwrap();
    let done = engine
        .wait_for(&scope, deployment.id, |d| {
            d.status == DeploymentStatus::Live || d.status.is_terminal()
        })
        .await
        .unwrap();
    assert_eq!(done.status, DeploymentStatus::Live, "{:?}", done.reason);
    let read = get(&api, &owner, &format!("/api/v1/apps/{app_id}")).await;
    assert_eq!(read["live_deployment"]["id"], deployment.id.to_string());
    assert_eq!(read["live_deployment"]["status"], "live");
    let filter = LabelFilter::managed().with(LABEL_APP, app_id.to_string());
    assert!(
        !api.runtime
            .list_containers(&filter)
            .await
            .unwrap()
            .is_empty()
    );

    let response = call(
        &api,
        &owner,
        Method::DELETE,
        &format!("/api/v1/apps/{app_id}"),
        None,
    )
    .await;
    assert_eq!(response.status(), 204);
    let left = api.runtime.list_containers(&filter).await.unwrap();
    assert!(left.is_empty(), "{left:?}");
}

/// Every write on `app` (and the team's `domain`, `volume`) and whether
/// it is an app write.
fn app_writes(
    environment: &str,
    app: &str,
    domain: &str,
    volume: &str,
) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (
            Method::POST,
            "/api/v1/apps".to_owned(),
            Some(image_app(environment, "intruder")),
        ),
        (
            Method::PATCH,
            format!("/api/v1/apps/{app}"),
            Some(json!({ "run": { "port": 1 } })),
        ),
        (Method::DELETE, format!("/api/v1/apps/{app}"), None),
        (
            Method::PUT,
            format!("/api/v1/apps/{app}/env/NEW_KEY"),
            Some(json!({ "value": "x" })),
        ),
        (
            Method::DELETE,
            format!("/api/v1/apps/{app}/env/API_KEY"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/apps/{app}/env/API_KEY/reveal"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/apps/{app}/domains"),
            Some(json!({ "host": "new.example.test" })),
        ),
        (Method::DELETE, format!("/api/v1/domains/{domain}"), None),
        (
            Method::POST,
            format!("/api/v1/apps/{app}/volumes"),
            Some(json!({ "name": "more", "mount_path": "/more" })),
        ),
        (Method::DELETE, format!("/api/v1/volumes/{volume}"), None),
    ]
}

/// An app with a secret env var, a domain and a volume; returns the ids
/// of (environment, app, domain, volume).
async fn furnished(api: &TestApi, owner: &Member) -> (String, String, String, String) {
    let (_, environment) = project(api, owner, "Shop").await;
    let app = id(&create_app(api, owner, image_app(&environment, "shop")).await);
    let response = call(
        api,
        owner,
        Method::PUT,
        &format!("/api/v1/apps/{app}/env/API_KEY"),
        Some(json!({ "value": "s3cret", "secret": true })),
    )
    .await;
    assert_eq!(response.status(), 200);
    let domain = ok_json(
        call(
            api,
            owner,
            Method::POST,
            &format!("/api/v1/apps/{app}/domains"),
            Some(json!({ "host": "shop.example.test" })),
        )
        .await,
        201,
    )
    .await;
    let volume = ok_json(
        call(
            api,
            owner,
            Method::POST,
            &format!("/api/v1/apps/{app}/volumes"),
            Some(json!({ "name": "shop-data", "mount_path": "/data" })),
        )
        .await,
        201,
    )
    .await;
    (environment, app, id(&domain), id(&volume))
}

/// Everything a member of the team can read about the app.
async fn snapshot(api: &TestApi, owner: &Member, app: &str) -> Value {
    let mut apps = get(api, owner, "/api/v1/apps").await;
    for item in apps["items"].as_array_mut().unwrap() {
        item.as_object_mut().unwrap().remove("updated_at");
    }
    json!({
        "apps": apps,
        "app": get(api, owner, &format!("/api/v1/apps/{app}")).await["spec"],
        "env": get(api, owner, &format!("/api/v1/apps/{app}/env")).await,
        "domains": get(api, owner, &format!("/api/v1/apps/{app}/domains")).await,
        "volumes": get(api, owner, &format!("/api/v1/apps/{app}/volumes")).await,
    })
}

#[tokio::test]
async fn viewers_get_403_on_every_write_and_nothing_changes() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let viewer = api.member(owner.team, Role::Viewer, "v@acme.test").await;
    let (environment, app, domain, volume) = furnished(&api, &owner).await;
    let before = snapshot(&api, &owner, &app).await;
    // Viewers read.
    assert_eq!(
        get(&api, &viewer, &format!("/api/v1/apps/{app}")).await["name"],
        "shop"
    );

    for (method, path, body) in app_writes(&environment, &app, &domain, &volume) {
        let response = call(&api, &viewer, method.clone(), &path, body).await;
        let (status, code, message) = error_code(response).await;
        assert_eq!(
            (status, code.as_str()),
            (403, "permission_denied"),
            "{method} {path}: {message}"
        );
    }
    assert_eq!(snapshot(&api, &owner, &app).await, before);
}

#[tokio::test]
async fn another_teams_apps_are_not_found_and_stay_unchanged() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let stranger = api.team("rival").await;
    let (environment, app, domain, volume) = furnished(&api, &owner).await;
    let before = snapshot(&api, &owner, &app).await;

    assert!(
        get(&api, &stranger, "/api/v1/apps").await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let mut calls = app_writes(&environment, &app, &domain, &volume);
    calls.extend([
        (Method::GET, format!("/api/v1/apps/{app}"), None),
        (Method::GET, format!("/api/v1/apps/{app}/env"), None),
        (Method::GET, format!("/api/v1/apps/{app}/domains"), None),
        (Method::GET, format!("/api/v1/apps/{app}/volumes"), None),
    ]);
    for (method, path, body) in calls {
        let response = call(&api, &stranger, method.clone(), &path, body).await;
        let (status, _, message) = error_code(response).await;
        assert_eq!(status, 404, "{method} {path}: {message}");
    }
    assert_eq!(snapshot(&api, &owner, &app).await, before);
}

#[tokio::test]
async fn developers_manage_apps_but_not_projects_or_secrets() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let developer = api.member(owner.team, Role::Developer, "d@acme.test").await;
    let (_, environment) = project(&api, &owner, "Shop").await;

    let app = id(&create_app(&api, &developer, image_app(&environment, "dev-app")).await);
    let path = format!("/api/v1/apps/{app}");
    let patched = ok_json(
        call(
            &api,
            &developer,
            Method::PATCH,
            &path,
            Some(json!({ "run": { "port": 3000 } })),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(patched["spec"]["run"]["port"], 3000);
    let response = call(
        &api,
        &developer,
        Method::PUT,
        &format!("{path}/env/TOKEN"),
        Some(json!({ "value": "t", "secret": true })),
    )
    .await;
    assert_eq!(response.status(), 200);
    let response = call(
        &api,
        &developer,
        Method::POST,
        &format!("{path}/env/TOKEN/reveal"),
        None,
    )
    .await;
    assert_eq!(error_code(response).await.0, 403);
    let response = call(
        &api,
        &developer,
        Method::POST,
        "/api/v1/projects",
        Some(json!({ "name": "Mine" })),
    )
    .await;
    assert_eq!(error_code(response).await.0, 403);
    let response = call(&api, &developer, Method::DELETE, &path, None).await;
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn secrets_are_masked_and_revealed_only_to_admins_with_an_audit_entry() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let admin = api.member(owner.team, Role::Admin, "a@acme.test").await;
    let developer = api.member(owner.team, Role::Developer, "d@acme.test").await;
    let viewer = api.member(owner.team, Role::Viewer, "v@acme.test").await;
    let (_, environment) = project(&api, &owner, "Shop").await;
    let app = id(&create_app(&api, &owner, image_app(&environment, "shop")).await);
    let env = format!("/api/v1/apps/{app}/env");

    let set = ok_json(
        call(
            &api,
            &developer,
            Method::PUT,
            &format!("{env}/DB_PASSWORD"),
            Some(json!({ "value": "hunter2", "secret": true })),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        set,
        json!({ "key": "DB_PASSWORD", "value": null, "secret": true, "updated_at": set["updated_at"] })
    );
    let response = call(
        &api,
        &developer,
        Method::PUT,
        &format!("{env}/LOG_LEVEL"),
        Some(json!({ "value": "debug" })),
    )
    .await;
    assert_eq!(response.status(), 200);

    // Masked for everyone in the list, admins included.
    for who in [&owner, &admin, &developer, &viewer] {
        let list = get(&api, who, &env).await;
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(
            (
                items[0]["key"].as_str(),
                &items[0]["value"],
                &items[0]["secret"]
            ),
            (Some("DB_PASSWORD"), &Value::Null, &json!(true))
        );
        assert_eq!(
            (items[1]["key"].as_str(), items[1]["value"].as_str()),
            (Some("LOG_LEVEL"), Some("debug"))
        );
        assert!(!list.to_string().contains("hunter2"));
    }

    for who in [&developer, &viewer] {
        let response = call(
            &api,
            who,
            Method::POST,
            &format!("{env}/DB_PASSWORD/reveal"),
            None,
        )
        .await;
        let (status, code, message) = error_code(response).await;
        assert_eq!(
            (status, code.as_str()),
            (403, "permission_denied"),
            "{message}"
        );
        assert!(!message.contains("hunter2"));
    }
    let revealed = ok_json(
        call(
            &api,
            &admin,
            Method::POST,
            &format!("{env}/DB_PASSWORD/reveal"),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        revealed,
        json!({ "key": "DB_PASSWORD", "value": "hunter2", "secret": true })
    );
    let response = call(
        &api,
        &admin,
        Method::POST,
        &format!("{env}/NOPE/reveal"),
        None,
    )
    .await;
    assert_eq!(error_code(response).await.0, 404);

    let audit = get(&api, &owner, "/api/v1/audit").await;
    let reveals: Vec<&Value> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "env.reveal")
        .collect();
    assert_eq!(reveals.len(), 1, "{audit}");
    assert_eq!(reveals[0]["actor"], admin.user.to_string());
    assert_eq!(reveals[0]["detail"]["key"], "DB_PASSWORD");
    assert!(reveals[0]["at"].is_string());
    assert!(
        !audit.to_string().contains("hunter2"),
        "values never reach the audit log"
    );

    let response = call(
        &api,
        &owner,
        Method::DELETE,
        &format!("{env}/DB_PASSWORD"),
        None,
    )
    .await;
    assert_eq!(response.status(), 204);
    let response = call(
        &api,
        &owner,
        Method::DELETE,
        &format!("{env}/DB_PASSWORD"),
        None,
    )
    .await;
    assert_eq!(error_code(response).await.0, 404);
    assert_eq!(
        get(&api, &owner, &env).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn domains_are_added_unique_and_removed() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let stranger = api.team("rival").await;
    let (_, environment) = project(&api, &owner, "Shop").await;
    let (_, rival_env) = project(&api, &stranger, "Rival").await;
    let app = id(&create_app(&api, &owner, image_app(&environment, "shop")).await);
    let rival_app = id(&create_app(&api, &stranger, image_app(&rival_env, "copycat")).await);
    let path = format!("/api/v1/apps/{app}/domains");
    let generated = get(&api, &owner, &path).await["items"]
        .as_array()
        .unwrap()
        .len();

    let added = ok_json(
        call(
            &api,
            &owner,
            Method::POST,
            &path,
            Some(json!({ "host": "Shop.Example.test", "force_https": true })),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(added["host"], "shop.example.test");
    assert_eq!(added["force_https"], true);
    assert_eq!(added["app_id"], app.as_str());
    assert_eq!(added["certificate"]["state"], "none");

    // A host is unique on the instance, across teams.
    let response = call(
        &api,
        &stranger,
        Method::POST,
        &format!("/api/v1/apps/{rival_app}/domains"),
        Some(json!({ "host": "shop.example.test" })),
    )
    .await;
    assert_eq!(error_code(response).await.0, 409);

    let listed = get(&api, &owner, &path).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), generated + 1);
    let response = call(
        &api,
        &owner,
        Method::DELETE,
        &format!("/api/v1/domains/{}", id(&added)),
        None,
    )
    .await;
    assert_eq!(response.status(), 204);
    let listed = get(&api, &owner, &path).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), generated);
    let response = call(
        &api,
        &owner,
        Method::DELETE,
        &format!("/api/v1/domains/{}", id(&added)),
        None,
    )
    .await;
    assert_eq!(error_code(response).await.0, 404);
}

#[tokio::test]
async fn volumes_are_created_mounted_and_deleted() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let (_, environment) = project(&api, &owner, "Shop").await;
    let app = id(&create_app(&api, &owner, image_app(&environment, "shop")).await);
    let path = format!("/api/v1/apps/{app}/volumes");

    let volume = ok_json(
        call(
            &api,
            &owner,
            Method::POST,
            &path,
            Some(json!({ "name": "shop-data", "mount_path": "/var/lib/shop" })),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(volume["name"], "shop-data");
    assert_eq!(volume["mount_path"], "/var/lib/shop");
    let spec = get(&api, &owner, &format!("/api/v1/apps/{app}")).await["spec"].clone();
    assert_eq!(
        spec["run"]["volumes"],
        json!([{ "source": { "type": "volume", "name": "shop-data" }, "target": "/var/lib/shop", "read_only": false }])
    );

    // Names are unique; so are mount points within the app.
    let response = call(
        &api,
        &owner,
        Method::POST,
        &path,
        Some(json!({ "name": "shop-data", "mount_path": "/other" })),
    )
    .await;
    assert_eq!(error_code(response).await.0, 409);
    let response = call(
        &api,
        &owner,
        Method::POST,
        &path,
        Some(json!({ "name": "other", "mount_path": "/var/lib/shop" })),
    )
    .await;
    assert_eq!(error_code(response).await.0, 409);
    assert_eq!(
        get(&api, &owner, &path).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let response = call(
        &api,
        &owner,
        Method::DELETE,
        &format!("/api/v1/volumes/{}", id(&volume)),
        None,
    )
    .await;
    assert_eq!(response.status(), 204);
    assert!(
        get(&api, &owner, &path).await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let spec = get(&api, &owner, &format!("/api/v1/apps/{app}")).await["spec"].clone();
    assert_eq!(spec["run"]["volumes"], json!([]));
}

#[tokio::test]
async fn app_writes_are_audited() {
    let api = TestApi::start().await;
    let owner = api.team("acme").await;
    let (environment, app, domain, volume) = furnished(&api, &owner).await;
    for path in [
        format!("/api/v1/domains/{domain}"),
        format!("/api/v1/volumes/{volume}"),
        format!("/api/v1/apps/{app}"),
    ] {
        let response = call(&api, &owner, Method::DELETE, &path, None).await;
        assert_eq!(response.status(), 204, "{path}");
    }
    let _ = environment;
    let audit = get(&api, &owner, "/api/v1/audit").await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "app.create",
        "env.set",
        "domain.add",
        "volume.create",
        "domain.remove",
        "volume.delete",
        "app.delete",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
}

#[tokio::test]
async fn the_document_describes_each_kind_of_source_probe_and_mount() {
    let api = TestApi::start().await;
    let doc: Value = api
        .anonymous(Method::GET, "/api/v1/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schemas = &doc["components"]["schemas"];
    for (schema, kinds) in [
        ("SourceBody", vec!["git", "archive", "image"]),
        ("ProbeBody", vec!["http", "tcp", "running"]),
        ("MountSourceBody", vec!["volume", "bind"]),
    ] {
        let variants = schemas[schema]["oneOf"]
            .as_array()
            .unwrap_or_else(|| panic!("{schema}: {}", schemas[schema]));
        let tags: Vec<&str> = variants
            .iter()
            .map(|v| v["properties"]["type"]["enum"][0].as_str().unwrap())
            .collect();
        assert_eq!(tags, kinds, "{schema}");
    }
    assert!(schemas["NewAppRequest"]["properties"]["spec"].is_object());
}

#[tokio::test]
async fn an_instance_that_allows_local_git_accepts_file_urls() {
    let api = TestApi::start_with(|config| config.engine.allow_file_git = true).await;
    let owner = api.team("acme").await;
    let (_, environment) = project(&api, &owner, "Shop").await;
    let mut body = git_app(&environment, "local");
    body["spec"]["source"]["url"] = json!("file:///srv/git/shop.git");
    let app = create_app(&api, &owner, body).await;
    assert_eq!(app["spec"]["source"]["url"], "file:///srv/git/shop.git");
    // Plain http stays refused: only what the admin allowed is.
    let mut body = git_app(&environment, "plain");
    body["spec"]["source"]["url"] = json!("http://git.example.test/shop.git");
    let response = call(&api, &owner, Method::POST, "/api/v1/apps", Some(body)).await;
    let (status, _, message) = error_code(response).await;
    assert_eq!(status, 422, "{message}");
    assert!(message.contains("source.url"), "{message}");
}
