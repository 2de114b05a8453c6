//! Every JSON field name the client reads from (or sends to) the API, in
//! one place, so that aligning the client with the API's shapes is an edit
//! of this file only.
//!
//! Reading is tolerant: a missing field is shown as `-`, and where the API
//! may nest a value (`team` as a name or an object) both forms are read.

use serde_json::{Value, json};

/// A string found at the first of `paths` that holds one (a path is a list
/// of keys into nested objects); numbers are shown too.
fn first_str(value: &Value, paths: &[&[&str]]) -> Option<String> {
    paths.iter().find_map(|path| {
        let found = path.iter().try_fold(value, |v, key| v.get(key))?;
        match found {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    })
}

/// The entries of a list answer: `{"items": [...]}` (or a bare array).
pub(crate) fn items(list: &Value) -> &[Value] {
    list.get("items")
        .and_then(Value::as_array)
        .or_else(|| list.as_array())
        .map_or(&[], Vec::as_slice)
}

/// The API's error body `{"error": {"code", "message"}}`: (code, message).
pub(crate) fn api_error(body: &Value) -> Option<(String, String)> {
    let error = body.get("error")?;
    Some((
        first_str(error, &[&["code"]]).unwrap_or_default(),
        first_str(error, &[&["message"]])?,
    ))
}

/// `GET /api/v1/system/version`: `version`.
pub(crate) fn server_version(version: &Value) -> Option<String> {
    first_str(version, &[&["version"]])
}

/// `GET /api/v1/system/health`: `status` and `store`.
pub(crate) fn health(health: &Value) -> (Option<String>, Option<String>) {
    (
        first_str(health, &[&["status"]]),
        first_str(health, &[&["store"]]),
    )
}

/// Who `GET /api/v1/auth/me` says the caller is.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Me {
    /// `user.email`.
    pub(crate) email: Option<String>,
    /// The acting team's name: the `teams[]` entry (`team_id`, `team_name`)
    /// whose id is `team`; else `team` itself.
    pub(crate) team: Option<String>,
    /// `role`: the caller's role in that team.
    pub(crate) role: Option<String>,
}

/// Read `GET /api/v1/auth/me`: `{user: {email}, team, role, teams:
/// [{team_id, team_name, role}]}`.
pub(crate) fn me(me: &Value) -> Me {
    let team_id = first_str(me, &[&["team"], &["team", "id"]]);
    let team_name = me
        .get("teams")
        .and_then(Value::as_array)
        .and_then(|teams| {
            teams
                .iter()
                .find(|t| first_str(t, &[&["team_id"]]) == team_id)
        })
        .and_then(|t| first_str(t, &[&["team_name"]]));
    Me {
        email: first_str(me, &[&["user", "email"], &["email"]]),
        team: team_name
            .or_else(|| first_str(me, &[&["team", "name"]]))
            .or(team_id),
        role: first_str(me, &[&["role"]]),
    }
}

/// An app as listed by `GET /api/v1/apps`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct AppRow {
    /// `id`.
    pub(crate) id: Option<String>,
    /// `name`.
    pub(crate) name: Option<String>,
    /// `project.name`, `project_name` or `project_id`.
    pub(crate) project: Option<String>,
    /// The live deployment's status: `status`, `live_status` or
    /// `live_deployment.status`.
    pub(crate) status: Option<String>,
    /// `domain`, the first of `domains` (strings or `{name}`), or `url`.
    pub(crate) domain: Option<String>,
}

/// Read one app.
pub(crate) fn app(app: &Value) -> AppRow {
    let first_domain = app
        .get("domains")
        .and_then(Value::as_array)
        .and_then(|domains| domains.first())
        .and_then(|d| first_str(d, &[&[], &["name"], &["domain"], &["host"]]));
    AppRow {
        id: first_str(app, &[&["id"]]),
        name: first_str(app, &[&["name"]]),
        project: first_str(
            app,
            &[
                &["project", "name"],
                &["project_name"],
                &["project_id"],
                &["project"],
            ],
        ),
        status: first_str(
            app,
            &[
                &["live_deployment", "status"],
                &["live_status"],
                &["status"],
            ],
        ),
        domain: first_str(app, &[&["domain"]])
            .or(first_domain)
            .or_else(|| first_str(app, &[&["url"]])),
    }
}

/// The query parameter of `GET /api/v1/apps` that selects a project.
pub(crate) const APPS_PROJECT_PARAM: &str = "project";

/// A deployment (`POST .../deploy`, `.../rollback`, `GET /api/v1/deployments/{id}`).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct DeploymentRow {
    /// `id`.
    pub(crate) id: Option<String>,
    /// `number`.
    pub(crate) number: Option<String>,
    /// `status` (snake case, as the core's `DeploymentStatus`).
    pub(crate) status: Option<String>,
    /// `reason`.
    pub(crate) reason: Option<String>,
}

/// Read a deployment (also when wrapped as `{"deployment": {...}}`).
pub(crate) fn deployment(value: &Value) -> DeploymentRow {
    let d = value.get("deployment").unwrap_or(value);
    DeploymentRow {
        id: first_str(d, &[&["id"]]),
        number: first_str(d, &[&["number"]]),
        status: first_str(d, &[&["status"]]),
        reason: first_str(d, &[&["reason"]]),
    }
}

/// The body of `POST /api/v1/apps/{app}/deploy` (defaults: the app's
/// configured source).
pub(crate) fn deploy_request() -> Value {
    json!({})
}

/// The body of `POST /api/v1/apps/{app}/rollback`: to `deployment`, or
/// (without one) to the previous live deployment.
pub(crate) fn rollback_request(deployment: Option<&str>) -> Value {
    match deployment {
        Some(id) => json!({ "deployment": id }),
        None => json!({}),
    }
}

/// The query parameter of `GET /api/v1/apps/{app}/logs` for the number of
/// last lines.
pub(crate) const LOGS_TAIL_PARAM: &str = "tail";

/// What one event of a log stream (SSE) means.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum StreamItem {
    /// A log line.
    Line(LogText),
    /// The deployment moved to `status` (`reason` when it failed).
    Status {
        /// The new status.
        status: String,
        /// Why, for failures.
        reason: Option<String>,
    },
    /// The server says the stream is over.
    End,
    /// Something else (shown nowhere).
    Other,
}

/// A log line's text and its stream (`stdout`, `stderr`, `system`).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct LogText {
    /// `stream`.
    pub(crate) stream: Option<String>,
    /// `text` (or `line`, `message`).
    pub(crate) text: String,
}

/// Read a log line object (`{"text", "stream"}`, or the core's
/// `{"line": {...}}` event); a value without text is `None`.
pub(crate) fn log_line(value: &Value) -> Option<LogText> {
    let line = value.get("line").filter(|l| l.is_object()).unwrap_or(value);
    Some(LogText {
        stream: first_str(line, &[&["stream"]]),
        text: first_str(line, &[&["text"], &["line"], &["message"]])?,
    })
}

/// Classify an SSE event by its name and data. Accepted: `event: log`
/// (data: a log line), `event: status` / `deployment` (data: `{status,
/// reason}` or a deployment), `event: end` / `done`, and unnamed events
/// carrying the core's `Event` (`{"type": "deployment_log" |
/// "deployment_changed", ...}`) or plain text lines.
pub(crate) fn stream_item(event: &str, data: &str) -> StreamItem {
    let value: Option<Value> = serde_json::from_str(data).ok();
    let kind = value
        .as_ref()
        .and_then(|v| first_str(v, &[&["type"]]))
        .unwrap_or_else(|| event.to_owned());
    match kind.as_str() {
        "end" | "done" | "close" | "eof" => StreamItem::End,
        "status" | "deployment" | "deployment_changed" | "deployment_status" => {
            match value.as_ref().map(deployment) {
                Some(DeploymentRow {
                    status: Some(status),
                    reason,
                    ..
                }) => StreamItem::Status { status, reason },
                _ => StreamItem::Other,
            }
        }
        _ => match &value {
            Some(v) if v.is_object() => log_line(v).map_or(StreamItem::Other, StreamItem::Line),
            _ => StreamItem::Line(LogText {
                stream: None,
                text: data.to_owned(),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_and_flat_shapes() {
        let m =
            me(&json!({"user": {"email": "a@b.test"}, "team": {"name": "acme"}, "role": "owner"}));
        assert_eq!(m.email.as_deref(), Some("a@b.test"));
        assert_eq!(m.team.as_deref(), Some("acme"));
        assert_eq!(m.role.as_deref(), Some("owner"));
        let row = app(
            &json!({"id": "1", "name": "web", "project_id": "p", "domains": [{"name": "w.test"}]}),
        );
        assert_eq!(row.domain.as_deref(), Some("w.test"));
        assert_eq!(row.project.as_deref(), Some("p"));
        assert_eq!(row.status, None);
    }

    #[test]
    fn classifies_stream_events() {
        assert_eq!(
            stream_item("status", r#"{"status":"failed","reason":"boom"}"#),
            StreamItem::Status {
                status: "failed".into(),
                reason: Some("boom".into())
            }
        );
        assert_eq!(
            stream_item(
                "message",
                r#"{"type":"deployment_log","line":{"text":"hi","stream":"stderr"}}"#
            ),
            StreamItem::Line(LogText {
                stream: Some("stderr".into()),
                text: "hi".into()
            })
        );
        assert_eq!(
            stream_item("message", "plain"),
            StreamItem::Line(LogText {
                stream: None,
                text: "plain".into()
            })
        );
        assert_eq!(stream_item("end", ""), StreamItem::End);
    }
}
