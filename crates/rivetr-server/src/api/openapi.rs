//! The OpenAPI document's frame: title, security schemes, tags. The
//! operations come from the handlers' `#[utoipa::path]` attributes,
//! collected by the router (one source for routes and document).
//!
//! # Permissions in the document
//!
//! Every operation lists its security requirements. The scopes of a
//! requirement name what the caller's role (and token) must allow:
//! `read`, `deploy`, `manage_apps`, `reveal_secrets`, `manage_projects`,
//! `manage_members`, `manage_team` (the [`Action`](rivetr_core::model::Action)s),
//! or `signed_in` for anything an authenticated user may do regardless of
//! role. An operation with an empty requirement is public.

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

/// The security scheme of API tokens (`Authorization: Bearer rvt_…`).
pub const TOKEN: &str = "token";
/// The security scheme of browser sessions (the session cookie, plus
/// `X-CSRF-Token` on unsafe methods).
pub const SESSION: &str = "session";

/// The document's frame.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Rivetr API",
        description = "Rivetr's REST API: projects, apps, deployments, teams and more. \
                       Every error answers `{\"error\": {\"code\", \"message\"}}`.",
        license(name = "Apache-2.0"),
    ),
    modifiers(&SecuritySchemes),
    components(schemas(super::error::Body<'static>, super::error::Inner<'static>)),
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            TOKEN,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("rvt_…")
                    .build(),
            ),
        );
        components.add_security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("rivetr_session"))),
        );
    }
}

/// Complete the document generated from the routes: unique operation ids
/// and the common error answers.
pub fn finish(doc: &mut utoipa::openapi::OpenApi) {
    name_operations(doc);
    add_common_errors(doc);
}

/// Give every operation an id made of its method and path
/// (`get_apps_app_deployments`), unique by construction (handler names,
/// utoipa's default, repeat across modules).
fn name_operations(doc: &mut utoipa::openapi::OpenApi) {
    for (path, item) in &mut doc.paths.paths {
        let tail: String = path
            .trim_start_matches("/api/v1")
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| s.trim_matches(|c| c == '{' || c == '}').replace('-', "_"))
            .collect::<Vec<_>>()
            .join("_");
        let ops = [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("patch", &mut item.patch),
        ];
        for (method, op) in ops {
            if let Some(op) = op {
                op.operation_id = Some(format!("{method}_{tail}"));
            }
        }
    }
}

/// Add the error answers every operation can give to each operation that
/// does not list them: 400 (malformed request), 401 and 403 (secured
/// operations), 404 (operations with path parameters), 415 (operations
/// with a JSON body), 409 (writes), 422 (invalid input), 429
/// (rate-limited public operations) and 503 (the store or the engine does not answer), all with the error body.
fn add_common_errors(doc: &mut utoipa::openapi::OpenApi) {
    for (path, item) in &mut doc.paths.paths {
        let has_params = path.contains('{');
        let ops = [
            (false, &mut item.get),
            (true, &mut item.put),
            (true, &mut item.post),
            (true, &mut item.delete),
            (true, &mut item.patch),
        ];
        for (writes, op) in ops {
            let Some(op) = op else { continue };
            let secured = serde_json::to_value(&op.security)
                .ok()
                .and_then(|v| v.as_array().cloned())
                .is_some_and(|alternatives| {
                    !alternatives.is_empty()
                        && alternatives
                            .iter()
                            .all(|a| a.as_object().is_some_and(|o| !o.is_empty()))
                });
            let mut add = |status: &str, description: &str| {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error_response(description));
            };
            add("400", "malformed request (JSON, path or query)");
            add(
                "422",
                "invalid input; the message names the field and the rule",
            );
            add("503", "the store or the container engine does not answer");
            if secured {
                add(
                    "401",
                    "no credential, or an unknown, expired or revoked one",
                );
                add(
                    "403",
                    "the role or token does not allow this, or a CSRF check failed",
                );
            } else {
                add("429", "too many attempts from this address");
            }
            if has_params {
                add("404", "no such resource in the caller's team");
            }
            if writes {
                add(
                    "409",
                    "conflicts with the current state (a name taken, a finished deployment, …)",
                );
            }
            if op.request_body.is_some() {
                add("413", "the body is too large");
                add("415", "the body is not `application/json`");
            }
        }
    }
}

fn error_response(
    description: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::response::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}
