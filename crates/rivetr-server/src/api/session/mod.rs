//! Signing in and who you are: the first admin's setup, sign-in and
//! sign-out, the current user, password and two-factor changes, and API
//! tokens.

mod cookies;
mod me;
mod password;
mod setup;
mod sign_in;
mod tokens;
mod totp;
mod views;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiState;

/// This module's routes.
pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(setup::status, setup::create_admin))
        .routes(routes!(sign_in::sign_in))
        .routes(routes!(sign_in::sign_out))
        .routes(routes!(me::me))
        .routes(routes!(password::change))
        .routes(routes!(totp::new_secret))
        .routes(routes!(totp::enable, totp::disable))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
}
