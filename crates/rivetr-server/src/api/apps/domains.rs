//! The domains an app is served on, with the state of their TLS
//! certificates.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use rivetr_core::access::Scope;
use rivetr_core::id::{AppId, DomainId};
use rivetr_core::input::{DomainName, HostPattern};
use rivetr_core::model::{CertificateInfo, Domain, NewDomain};
use rivetr_core::route::{AppRoutes, HostRoute};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::record;
use crate::api::extract::{Json, Path};
use crate::api::{ApiError, ApiState, Caller};

/// This file's routes.
pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_domains, add_domain))
        .routes(routes!(remove_domain))
}

/// A domain an app is served on.
#[derive(Debug, Serialize, ToSchema)]
struct DomainView {
    /// Identity.
    #[schema(value_type = String, format = Uuid)]
    id: DomainId,
    /// The app it serves.
    #[schema(value_type = String, format = Uuid)]
    app_id: AppId,
    /// The host, e.g. `shop.example.com` or `*.example.com`.
    #[schema(value_type = String)]
    host: HostPattern,
    /// Plain-HTTP requests are redirected to HTTPS.
    force_https: bool,
    /// Requests are redirected to this host instead of being served.
    #[schema(value_type = Option<String>)]
    redirect_to: Option<DomainName>,
    /// Its TLS certificate, as far as the server's certificate store knows.
    certificate: CertificateView,
    /// When it was added.
    created_at: DateTime<Utc>,
}

/// Whether a certificate for the host is in the server's store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum CertificateState {
    /// None stored: HTTPS is off, or the certificate is still being
    /// ordered (wildcard hosts are never ordered automatically).
    None,
    /// A certificate valid until `expires_at`.
    Issued,
    /// The stored certificate has expired (renewal failed or is pending).
    Expired,
}

/// A domain's certificate.
#[derive(Debug, Serialize, ToSchema)]
struct CertificateView {
    /// Its state.
    state: CertificateState,
    /// When it stops being valid (`null` without a certificate).
    expires_at: Option<DateTime<Utc>>,
}

impl CertificateView {
    fn of(host: &HostPattern, certificates: &[CertificateInfo], now: DateTime<Utc>) -> Self {
        let key = host.to_string();
        let expires_at = certificates
            .iter()
            .filter(|c| c.key == key)
            .map(|c| c.not_after)
            .max();
        let state = match expires_at {
            None => CertificateState::None,
            Some(at) if at > now => CertificateState::Issued,
            Some(_) => CertificateState::Expired,
        };
        Self { state, expires_at }
    }
}

/// An app's domains.
#[derive(Debug, Serialize, ToSchema)]
struct DomainList {
    /// Ordered by creation.
    items: Vec<DomainView>,
}

/// A domain to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewDomainRequest {
    /// The host: a domain name (`shop.example.com`) or a wildcard
    /// (`*.example.com`); unique on the instance.
    #[schema(value_type = String)]
    host: HostPattern,
    /// Redirect plain HTTP to HTTPS (default false).
    #[serde(default)]
    force_https: bool,
    /// Redirect requests to this host instead of serving them.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    redirect_to: Option<DomainName>,
}

/// The certificates the server holds. Read with the platform's scope:
/// they are not a team's data, and only the hosts of domains the caller
/// may already see are looked up in them.
async fn certificates(state: &ApiState) -> Vec<CertificateInfo> {
    match state.store().list_certificates(&Scope::system()).await {
        Ok(list) => list,
        Err(err) => {
            tracing::warn!(error = %err, "listing certificates failed");
            Vec::new()
        }
    }
}

fn view(domain: Domain, certificates: &[CertificateInfo]) -> DomainView {
    DomainView {
        certificate: CertificateView::of(&domain.host, certificates, Utc::now()),
        id: domain.id,
        app_id: domain.app_id,
        host: domain.host,
        force_https: domain.force_https,
        redirect_to: domain.redirect_to,
        created_at: domain.created_at,
    }
}

/// An app's domains, with their certificates.
#[utoipa::path(
    get, path = "/api/v1/apps/{app}/domains", tag = "apps",
    params(("app" = String, Path, description = "app id (UUID)")),
    security(("token" = ["read"]), ("session" = ["read"])),
    responses(
        (status = 200, description = "the domains", body = DomainList),
        (status = 404, description = "no such app in this team"),
    )
)]
async fn list_domains(
    State(state): State<ApiState>,
    caller: Caller,
    Path(app): Path<AppId>,
) -> Result<axum::Json<DomainList>, ApiError> {
    state.store().get_app(&caller.scope, app).await?;
    let domains = state.store().list_domains(&caller.scope, Some(app)).await?;
    let certificates = certificates(&state).await;
    let items = domains
        .into_iter()
        .map(|d| view(d, &certificates))
        .collect();
    Ok(axum::Json(DomainList { items }))
}

/// Serve an app on one more domain. The proxy routes it at once (to the
/// live deployment, if any); a certificate is ordered when HTTPS is on.
#[utoipa::path(
    post, path = "/api/v1/apps/{app}/domains", tag = "apps",
    params(("app" = String, Path, description = "app id (UUID)")),
    request_body = NewDomainRequest,
    security(("token" = ["manage_apps"]), ("session" = ["manage_apps"])),
    responses(
        (status = 201, description = "added", body = DomainView),
        (status = 403, description = "the role may not manage apps"),
        (status = 404, description = "no such app in this team"),
        (status = 409, description = "the host is already attached to an app on this instance"),
        (status = 422, description = "invalid host"),
    )
)]
async fn add_domain(
    State(state): State<ApiState>,
    caller: Caller,
    Path(app): Path<AppId>,
    Json(req): Json<NewDomainRequest>,
) -> Result<(StatusCode, axum::Json<DomainView>), ApiError> {
    state.store().get_app(&caller.scope, app).await?;
    let domain = state
        .store()
        .add_domain(
            &caller.scope,
            NewDomain {
                app_id: app,
                host: req.host,
                force_https: req.force_https,
                redirect_to: req.redirect_to,
                basic_auth: None,
            },
        )
        .await?;
    domains_changed(&state, app).await;
    record(
        &state,
        &caller,
        "domain.add",
        domain.id.to_string(),
        json!({ "app": app.to_string(), "host": domain.host.to_string() }),
    )
    .await;
    let certificates = certificates(&state).await;
    Ok((StatusCode::CREATED, axum::Json(view(domain, &certificates))))
}

/// Stop serving an app on a domain.
#[utoipa::path(
    delete, path = "/api/v1/domains/{domain}", tag = "apps",
    params(("domain" = String, Path, description = "domain id (UUID)")),
    security(("token" = ["manage_apps"]), ("session" = ["manage_apps"])),
    responses(
        (status = 204, description = "removed"),
        (status = 403, description = "the role may not manage apps"),
        (status = 404, description = "no such domain in this team"),
    )
)]
async fn remove_domain(
    State(state): State<ApiState>,
    caller: Caller,
    Path(domain): Path<DomainId>,
) -> Result<StatusCode, ApiError> {
    let found = state
        .store()
        .list_domains(&caller.scope, None)
        .await?
        .into_iter()
        .find(|d| d.id == domain)
        .ok_or_else(|| rivetr_core::Error::not_found(format!("domain {domain} not found")))?;
    state.store().remove_domain(&caller.scope, domain).await?;
    domains_changed(&state, found.app_id).await;
    record(
        &state,
        &caller,
        "domain.remove",
        domain.to_string(),
        json!({ "app": found.app_id.to_string(), "host": found.host.to_string() }),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// After an app's domains changed: give the proxy the app's hosts as
/// stored (keeping its upstreams), and tell the certificate manager.
/// Failures are logged: the store is right, and the next deployment or
/// restart sets the routes from it.
pub(super) async fn domains_changed(state: &ApiState, app: AppId) {
    // The platform's scope: the caller's change was already authorized.
    match state
        .store()
        .list_domains(&Scope::system(), Some(app))
        .await
    {
        Ok(domains) => {
            let routes = AppRoutes {
                hosts: domains
                    .into_iter()
                    .map(|d| HostRoute {
                        host: d.host,
                        force_https: d.force_https,
                        redirect_to: d.redirect_to,
                        basic_auth: d.basic_auth,
                    })
                    .collect(),
                maintenance_page: None,
            };
            if let Err(err) = state.engine().parts().routes.set_routes(app, routes).await {
                tracing::warn!(error = %err, %app, "updating the app's routes failed");
            }
        }
        Err(err) => tracing::warn!(error = %err, %app, "reading the app's domains failed"),
    }
    state.announce_domains_changed();
}
