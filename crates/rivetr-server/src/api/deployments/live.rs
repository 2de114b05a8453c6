//! Finding an app's live deployment for the runtime endpoints.

use rivetr_core::access::Scope;
use rivetr_core::id::AppId;
use rivetr_core::model::{Action, App, Deployment};

use crate::api::{ApiError, ApiState};

/// The app (read with `scope`, then checked for `action`) and its live
/// deployment.
///
/// # Errors
///
/// 404 for an app the scope cannot see, 403 when the role may not do
/// `action`, 409 when nothing of the app is live.
pub(super) async fn live_app(
    state: &ApiState,
    scope: &Scope,
    app: AppId,
    action: Action,
) -> Result<(App, Deployment), ApiError> {
    let app = state.store().get_app(scope, app).await?;
    scope.check(app.team_id, action)?;
    let Some(live) = state.store().live_deployment(scope, app.id).await? else {
        return Err(rivetr_core::Error::conflict(format!(
            "app {} has no live deployment; deploy it first",
            app.name
        ))
        .into());
    };
    Ok((app, live))
}
