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
