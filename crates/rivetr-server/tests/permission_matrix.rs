//! The permission matrix: every API operation called as each role of a
//! team (owner, admin, developer, viewer), as the owner of another team,
//! and anonymously, against the permission its OpenAPI security
//! requirement names (the table in `docs/api.md`).
//!
//! - allowed → the operation's success status;
//! - a role the permission excludes → 403;
//! - anonymous, on a non-public operation → 401;
//! - the owner of another team, on an operation naming this team's
//!   resources → 404 (existence does not leak).
//!
//! Every case runs against a fresh team with fresh fixtures, so a delete
//! cannot hide a later refusal. The test fails when the document has an
//! operation this file does not list, or the other way round.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, Utc};
use common::{Member, TestApi};
use reqwest::Method;
use rivetr_core::access::Scope;
use rivetr_core::model::{
    AppSpec, NewApp, NewDomain, NewEnvVar, NewInvitation, NewProject, NewVolume, Role,
    SecretString, Trigger,
};
use rivetr_core::store::{
    AppRepo, DomainRepo, EnvVarRepo, InvitationRepo, ProjectRepo, TeamRepo, TokenRepo, VolumeRepo,
};
use rivetr_server::api::openapi;
use rivetr_server::api::permissions::{Operation, operations};
use serde_json::{Value, json};

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Role(Role),
    OtherTeam,
    Anonymous,
}

const CALLERS: [Who; 6] = [
    Who::Role(Role::Owner),
    Who::Role(Role::Admin),
    Who::Role(Role::Developer),
    Who::Role(Role::Viewer),
    Who::OtherTeam,
    Who::Anonymous,
];

/// A team with a member of each role, a member to act on, and one of
/// each resource; plus the owner of another team.
struct World {
    members: BTreeMap<&'static str, Member>,
    other: Member,
    /// Path parameter values by name (`app`, `team`, …).
    ids: BTreeMap<&'static str, String>,
    /// Each user's token id.
    tokens: BTreeMap<rivetr_core::id::UserId, String>,
}

impl World {
    async fn build(api: &TestApi, n: usize) -> Self {
        let owner = api.team(&format!("team{n}")).await;
        let team = owner.team;
        let mut members = BTreeMap::new();
        for (name, role) in [
            ("admin", Role::Admin),
            ("developer", Role::Developer),
            ("viewer", Role::Viewer),
        ] {
            let m = api
                .member(team, role, &format!("{name}{n}@team.test"))
                .await;
            members.insert(name, m);
        }
        let target = api
            .member(team, Role::Developer, &format!("target{n}@team.test"))
            .await;
        let other = api.team(&format!("other{n}")).await;
        let scope = api.store.scope_for(owner.user, team).await.unwrap();
        let system = Scope::system();

        let project = api
            .store
            .create_project(
                &scope,
                NewProject {
                    team_id: team,
                    name: "web".parse().unwrap(),
                },
            )
            .await
            .unwrap();
        let environment = api
            .store
            .list_environments(&scope, project.id)
            .await
            .unwrap()[0]
            .id;
        let app = api
            .store
            .create_app(
                &scope,
                NewApp {
                    environment_id: environment,
                    name: "shop".parse().unwrap(),
                    spec: AppSpec::from_image("shop:1".parse().unwrap()),
                },
            )
            .await
            .unwrap();
        api.store
            .set_env_var(
                &scope,
                NewEnvVar {
                    app_id: app.id,
                    key: "API_KEY".parse().unwrap(),
                    value: SecretString::new("s3cret"),
                    secret: true,
                },
            )
            .await
            .unwrap();
        let domain = api
            .store
            .add_domain(
                &scope,
                NewDomain {
                    app_id: app.id,
                    host: format!("shop{n}.example.test").parse().unwrap(),
                    force_https: false,
                    redirect_to: None,
                    basic_auth: None,
                },
            )
            .await
            .unwrap();
        let volume = api
            .store
            .create_volume(
                &scope,
                NewVolume {
                    app_id: app.id,
                    name: format!("data{n}").parse().unwrap(),
                    mount_path: "/data".parse().unwrap(),
                },
            )
            .await
            .unwrap();
        let deployment = api
            .platform
            .engine()
            .deploy(&scope, app.id, Trigger::Manual)
            .await
            .unwrap();
        let invitation = api
            .store
            .create_invitation(
                &scope,
                NewInvitation {
                    team_id: team,
                    email: format!("invited{n}@team.test").parse().unwrap(),
                    role: Role::Viewer,
                    invited_by: owner.user,
                    token_hash: format!("{n:064x}"),
                    expires_at: Utc::now() + Duration::days(1),
                },
            )
            .await
            .unwrap();
        let tokens: BTreeMap<_, _> = api
            .store
            .list_tokens(&system)
            .await
            .unwrap()
            .into_iter()
            .map(|t| (t.user_id, t.id.to_string()))
            .collect();
        let mut ids = BTreeMap::from([
            ("team", team.to_string()),
            ("user", target.user.to_string()),
            ("project", project.id.to_string()),
            ("environment", environment.to_string()),
            ("app", app.id.to_string()),
            ("key", "API_KEY".to_owned()),
            ("domain", domain.id.to_string()),
            ("volume", volume.id.to_string()),
            ("deployment", deployment.id.to_string()),
            ("invitation", invitation.id.to_string()),
            ("provider", "github".to_owned()),
            ("hook", team.to_string()),
        ]);
        ids.insert("token", tokens[&target.user].clone());
        members.insert("owner", owner);
        members.insert("target", target);
        Self {
            members,
            other,
            ids,
            tokens,
        }
    }

    fn caller(&self, who: Who) -> Option<&Member> {
        match who {
            Who::Role(Role::Owner) => Some(&self.members["owner"]),
            Who::Role(Role::Admin) => Some(&self.members["admin"]),
            Who::Role(Role::Developer) => Some(&self.members["developer"]),
            Who::Role(Role::Viewer) => Some(&self.members["viewer"]),
            Who::OtherTeam => Some(&self.other),
            Who::Anonymous => None,
        }
    }

    /// `template` with the fixtures' ids; `{token}` is the caller's own
    /// token for a member of the team (anyone may revoke their own;
    /// `api_auth.rs` checks that others' are invisible to developers).
    fn path(&self, template: &str, who: Who) -> String {
        let mut path = template.to_owned();
        if let (Who::Role(_), Some(member)) = (who, self.caller(who)) {
            path = path.replace("{token}", &self.tokens[&member.user]);
        }
        for (name, value) in &self.ids {
            path = path.replace(&format!("{{{name}}}"), value);
        }
        assert!(
            !path.contains('{'),
            "no fixture for a parameter of {template}"
        );
        path
    }
}

/// How to call one operation, and what success looks like.
struct Case {
    method: &'static str,
    path: &'static str,
    /// The request body, if any.
    body: fn(&World) -> Option<Value>,
    /// Statuses an allowed caller may get (the operation's success, or an
    /// answer about the fixture's state, never 401/403/404).
    allowed: &'static [u16],
}

fn none(_: &World) -> Option<Value> {
    None
}

fn cases() -> Vec<Case> {
    let c = |method, path, body, allowed| Case {
        method,
        path,
        body,
        allowed,
    };
    vec![
        // System.
        c("GET", "/api/v1/system/health", none, &[200]),
        c("GET", "/api/v1/system/version", none, &[200]),
        // Setup and sign-in (public; their answers are about the input).
        c("GET", "/api/v1/setup", none, &[200]),
        c(
            "POST",
            "/api/v1/setup",
            |_| {
                Some(
                    json!({"setup_token": "x", "email": "a@b.test", "name": "A", "password": "long enough password"}),
                )
            },
            &[409],
        ),
        c(
            "POST",
            "/api/v1/auth/sign-in",
            |_| Some(json!({"email": "nobody@team.test", "password": "wrong password"})),
            &[401],
        ),
        // The caller themselves.
        c("GET", "/api/v1/auth/me", none, &[200]),
        c("POST", "/api/v1/auth/sign-out", none, &[204]),
        c(
            "PUT",
            "/api/v1/auth/password",
            |_| {
                Some(
                    json!({"current_password": "not the password", "new_password": "another long passphrase"}),
                )
            },
            &[422, 409, 400, 401],
        ),
        c("POST", "/api/v1/auth/totp/secret", none, &[200]),
        c(
            "PUT",
            "/api/v1/auth/totp",
            |_| Some(json!({"secret": "JBSWY3DPEHPK3PXP", "code": "000000"})),
            &[422],
        ),
        c(
            "DELETE",
            "/api/v1/auth/totp",
            |_| Some(json!({"code": "000000"})),
            &[409],
        ),
        // Tokens.
        c("GET", "/api/v1/tokens", none, &[200]),
        c(
            "POST",
            "/api/v1/tokens",
            |_| Some(json!({"name": "ci", "scope": "read"})),
            &[201],
        ),
        c("DELETE", "/api/v1/tokens/{token}", none, &[204]),
        // Teams, members, invitations, audit.
        c("GET", "/api/v1/teams", none, &[200]),
        c(
            "POST",
            "/api/v1/teams",
            |_| Some(json!({"name": "New team"})),
            &[201],
        ),
        c("GET", "/api/v1/teams/{team}", none, &[200]),
        c("DELETE", "/api/v1/teams/{team}", none, &[204]),
        c("GET", "/api/v1/teams/{team}/members", none, &[200]),
        c(
            "PUT",
            "/api/v1/teams/{team}/members/{user}",
            |_| Some(json!({"role": "viewer"})),
            &[200],
        ),
        c(
            "DELETE",
            "/api/v1/teams/{team}/members/{user}",
            none,
            &[204],
        ),
        c("GET", "/api/v1/teams/{team}/invitations", none, &[200]),
        c(
            "POST",
            "/api/v1/teams/{team}/invitations",
            |_| Some(json!({"email": "new@team.test", "role": "developer"})),
            &[201],
        ),
        c("DELETE", "/api/v1/invitations/{invitation}", none, &[204]),
        c(
            "POST",
            "/api/v1/invitations/accept",
            |_| Some(json!({"token": "rvi_not.a.token"})),
            &[404, 422],
        ),
        c("GET", "/api/v1/audit", none, &[200]),
        // Webhooks: the hook is public, its proof is the team's secret
        // (unsigned here: refused for everyone alike).
        c(
            "POST",
            "/api/v1/hooks/{provider}/{hook}",
            |_| Some(json!({"zen": "unsigned"})),
            &[401],
        ),
        c("GET", "/api/v1/webhooks", none, &[200]),
        c("POST", "/api/v1/webhooks", none, &[200]),
        c("GET", "/api/v1/apps/{app}/webhook-deliveries", none, &[200]),
        // Projects and environments.
        c("GET", "/api/v1/projects", none, &[200]),
        c(
            "POST",
            "/api/v1/projects",
            |_| Some(json!({"name": "New project"})),
            &[201],
        ),
        c("GET", "/api/v1/projects/{project}", none, &[200]),
        // The fixture project has an app: refused as a conflict, after
        // the permission check.
        c("DELETE", "/api/v1/projects/{project}", none, &[409]),
        c(
            "GET",
            "/api/v1/projects/{project}/environments",
            none,
            &[200],
        ),
        c(
            "POST",
            "/api/v1/projects/{project}/environments",
            |_| Some(json!({"name": "staging"})),
            &[201],
        ),
        // Apps, env vars, domains, volumes.
        c("GET", "/api/v1/apps", none, &[200]),
        c(
            "POST",
            "/api/v1/apps",
            |w| {
                Some(
                    json!({"environment_id": w.ids["environment"], "name": "new-app",
                    "spec": {"source": {"type": "image", "image": "nginx:1.27"}}}),
                )
            },
            &[201],
        ),
        c("GET", "/api/v1/apps/{app}", none, &[200]),
        c(
            "PATCH",
            "/api/v1/apps/{app}",
            |_| Some(json!({"run": {"port": 8080}})),
            &[200],
        ),
        c("DELETE", "/api/v1/apps/{app}", none, &[204]),
        c("GET", "/api/v1/apps/{app}/env", none, &[200]),
        c(
            "PUT",
            "/api/v1/apps/{app}/env/{key}",
            |_| Some(json!({"value": "new", "secret": true})),
            &[200],
        ),
        c("DELETE", "/api/v1/apps/{app}/env/{key}", none, &[204]),
        c("POST", "/api/v1/apps/{app}/env/{key}/reveal", none, &[200]),
        c("GET", "/api/v1/apps/{app}/domains", none, &[200]),
        c(
            "POST",
            "/api/v1/apps/{app}/domains",
            |w| Some(json!({"host": format!("{}.example.test", w.ids["app"])})),
            &[201],
        ),
        c("DELETE", "/api/v1/domains/{domain}", none, &[204]),
        c("GET", "/api/v1/apps/{app}/volumes", none, &[200]),
        c(
            "POST",
            "/api/v1/apps/{app}/volumes",
            |w| Some(json!({"name": format!("v{}", w.ids["app"]), "mount_path": "/more"})),
            &[201],
        ),
        c("DELETE", "/api/v1/volumes/{volume}", none, &[204]),
        // Deploying and observing. The fixture deployment may be queued,
        // running or finished when the call comes, hence the 409s.
        c("POST", "/api/v1/apps/{app}/deploy", none, &[202]),
        // No body: refused as the wrong media type, after the permission.
        c("POST", "/api/v1/apps/{app}/deploy/archive", none, &[415]),
        // Nothing went live before: nothing to roll back to.
        c("POST", "/api/v1/apps/{app}/rollback", none, &[409]),
        c("POST", "/api/v1/apps/{app}/start", none, &[200, 409]),
        c("POST", "/api/v1/apps/{app}/stop", none, &[200, 409]),
        c("POST", "/api/v1/apps/{app}/restart", none, &[200, 409]),
        c("GET", "/api/v1/apps/{app}/deployments", none, &[200]),
        c("GET", "/api/v1/apps/{app}/logs", none, &[200, 409]),
        c("GET", "/api/v1/apps/{app}/stats", none, &[200, 409]),
        c("GET", "/api/v1/deployments/{deployment}", none, &[200]),
        c(
            "POST",
            "/api/v1/deployments/{deployment}/cancel",
            none,
            &[202, 409],
        ),
        c("GET", "/api/v1/deployments/{deployment}/logs", none, &[200]),
        // A plain request, not an upgrade: 426 after the permission check.
        c(
            "GET",
            "/api/v1/deployments/{deployment}/logs/ws",
            none,
            &[426],
        ),
    ]
}

/// Operations whose body names one of this team's resources (an app's
/// environment): another team's owner gets 404 like for a path id.
const NAMED_IN_BODY: [(&str, &str); 1] = [("POST", "/api/v1/apps")];

/// What `who` must get from `op` when `allowed` is the success set.
fn expected(op: &Operation, case: &Case, who: Who) -> Vec<u16> {
    let allowed = case.allowed.to_vec();
    match who {
        Who::Anonymous if op.requirement.allows(None) => allowed,
        Who::Anonymous => vec![401],
        Who::OtherTeam if op.requirement.allows(None) => allowed,
        Who::OtherTeam
            if op.path.contains('{')
                || NAMED_IN_BODY.contains(&(op.method.as_str(), op.path.as_str())) =>
        {
            vec![404]
        }
        Who::OtherTeam => allowed,
        Who::Role(role) if op.requirement.allows(Some(role)) => allowed,
        Who::Role(_) => vec![403],
    }
}

#[tokio::test]
async fn every_operation_answers_each_caller_as_the_table_says() {
    let api = TestApi::start().await;
    let ops = operations(&openapi()).unwrap();
    let cases = cases();

    let documented: BTreeSet<(String, String)> = ops
        .iter()
        .map(|o| (o.method.clone(), o.path.clone()))
        .collect();
    let listed: BTreeSet<(String, String)> = cases
        .iter()
        .map(|c| (c.method.to_owned(), c.path.to_owned()))
        .collect();
    let unlisted: Vec<_> = documented.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&documented).collect();
    assert!(
        unlisted.is_empty() && stale.is_empty(),
        "operations the matrix does not list: {unlisted:?}; listed but not served: {stale:?}"
    );

    let mut failures = Vec::new();
    let mut n = 0;
    for case in &cases {
        let op = ops
            .iter()
            .find(|o| o.method == case.method && o.path == case.path)
            .unwrap();
        for who in CALLERS {
            n += 1;
            let world = World::build(&api, n).await;
            let method = Method::from_bytes(case.method.as_bytes()).unwrap();
            let path = world.path(case.path, who);
            let mut request = match world.caller(who) {
                Some(member) => api.as_member(member, method, &path),
                None => api.anonymous(method, &path),
            };
            if let Some(body) = (case.body)(&world) {
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let want = expected(op, case, who);
            if !want.contains(&status) {
                let text = response.text().await.unwrap_or_default();
                failures.push(format!(
                    "{} {} as {who:?}: got {status}, want one of {want:?}: {text}",
                    case.method, case.path
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} wrong answers:\n{}",
        failures.len(),
        failures.join("\n")
    );
    api.platform.shutdown().await;
}

#[tokio::test]
async fn routes_outside_the_document_are_listed_too() {
    let api = TestApi::start().await;
    // Health and the document itself are public; /metrics is off by
    // default (api_metrics.rs covers its token); anything else is 404.
    for (path, status) in [
        ("/health", 200),
        ("/api/v1/openapi.json", 200),
        ("/metrics", 404),
        ("/api/v1/unknown", 404),
    ] {
        let got = api.anonymous(Method::GET, path).send().await.unwrap();
        assert_eq!(got.status().as_u16(), status, "{path}");
    }
    api.platform.shutdown().await;
}
