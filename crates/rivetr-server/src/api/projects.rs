//! (being built)

use utoipa_axum::router::OpenApiRouter;

use super::ApiState;

/// This module's routes.
pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
}
