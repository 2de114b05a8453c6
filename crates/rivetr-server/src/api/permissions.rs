//! The permission of every operation, read from the OpenAPI document's
//! security requirements (one source for what is served, what is
//! documented and what the permission-matrix test checks), and rendered
//! as the table in `docs/api.md`.

use std::fmt::Write as _;

use rivetr_core::model::{Action, Role};

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user, whatever their role.
    SignedIn,
    /// A member whose role allows the action in the team acted in.
    Team(Action),
}

impl Requirement {
    /// Whether a member with `role` may call it (`None` = anonymous).
    #[must_use]
    pub fn allows(self, role: Option<Role>) -> bool {
        match (self, role) {
            (Requirement::Public, _) => true,
            (_, None) => false,
            (Requirement::SignedIn, Some(_)) => true,
            (Requirement::Team(action), Some(role)) => role.allows(action),
        }
    }

    fn scope_name(self) -> &'static str {
        match self {
            Requirement::Public => "public",
            Requirement::SignedIn => "signed_in",
            Requirement::Team(action) => action_name(action),
        }
    }
}

/// One operation of the API with its requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path template, `/api/v1/apps/{app}`.
    pub path: String,
    /// Who may call it.
    pub requirement: Requirement,
}

/// Every operation of the OpenAPI document, sorted by path and method.
///
/// # Errors
///
/// An operation without a security requirement, or whose scope names no
/// known permission, is an error naming it: each must say who may call it.
pub fn operations(doc: &utoipa::openapi::OpenApi) -> Result<Vec<Operation>, String> {
    let json = serde_json::to_value(doc).map_err(|e| e.to_string())?;
    let paths = json["paths"].as_object().cloned().unwrap_or_default();
    let mut out = Vec::new();
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            if !matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                continue;
            }
            let requirement = requirement_of(op)
                .map_err(|why| format!("{} {path}: {why}", method.to_uppercase()))?;
            out.push(Operation {
                method: method.to_uppercase(),
                path: path.clone(),
                requirement,
            });
        }
    }
    out.sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));
    Ok(out)
}

fn requirement_of(op: &serde_json::Value) -> Result<Requirement, String> {
    let Some(security) = op["security"].as_array() else {
        return Err("no security requirement (write `security(())` for a public one)".into());
    };
    let mut found: Option<Requirement> = None;
    for alternative in security {
        let Some(alternative) = alternative.as_object() else {
            continue;
        };
        if alternative.is_empty() {
            return Ok(Requirement::Public);
        }
        for scopes in alternative.values() {
            let names: Vec<&str> = scopes
                .as_array()
                .map(|a| a.iter().filter_map(|s| s.as_str()).collect())
                .unwrap_or_default();
            let [name] = names.as_slice() else {
                return Err(format!("expected one scope per scheme, found {names:?}"));
            };
            let this = parse_scope(name).ok_or_else(|| format!("unknown scope `{name}`"))?;
            if found.is_some_and(|f| f != this) {
                return Err("the token and session schemes name different scopes".into());
            }
            found = Some(this);
        }
    }
    found.ok_or_else(|| "no scope named".to_owned())
}

fn parse_scope(name: &str) -> Option<Requirement> {
    let action = match name {
        "signed_in" => return Some(Requirement::SignedIn),
        "read" => Action::Read,
        "deploy" => Action::Deploy,
        "manage_apps" => Action::ManageApps,
        "reveal_secrets" => Action::RevealSecrets,
        "manage_projects" => Action::ManageProjects,
        "manage_members" => Action::ManageMembers,
        "manage_team" => Action::ManageTeam,
        _ => return None,
    };
    Some(Requirement::Team(action))
}

fn action_name(action: Action) -> &'static str {
    match action {
        Action::Read => "read",
        Action::Deploy => "deploy",
        Action::ManageApps => "manage_apps",
        Action::RevealSecrets => "reveal_secrets",
        Action::ManageProjects => "manage_projects",
        Action::ManageMembers => "manage_members",
        Action::ManageTeam => "manage_team",
        _ => "unknown",
    }
}

/// The permission table of `docs/api.md`: every operation, the permission
/// it needs, and which callers may use it.
#[must_use]
pub fn render_table(operations: &[Operation]) -> String {
    let mut out = String::from(
        "| method | path | permission | owner | admin | developer | viewer | anonymous |\n| --- | --- | --- | :-: | :-: | :-: | :-: | :-: |\n",
    );
    let mark = |allowed: bool| if allowed { "✓" } else { "" };
    for op in operations {
        let r = op.requirement;
        let _ = writeln!(
            out,
            "| {} | `{}` | `{}` | {} | {} | {} | {} | {} |",
            op.method,
            op.path,
            r.scope_name(),
            mark(r.allows(Some(Role::Owner))),
            mark(r.allows(Some(Role::Admin))),
            mark(r.allows(Some(Role::Developer))),
            mark(r.allows(Some(Role::Viewer))),
            mark(r.allows(None)),
        );
    }
    out
}
