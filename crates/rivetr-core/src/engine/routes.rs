//! Turning stored domains and containers into route-table entries.

use crate::access::Scope;
use crate::error::Result;
use crate::id::AppId;
use crate::model::RunningContainer;
use crate::route::{AppRoutes, HostRoute, Upstream};
use crate::store::Store;

/// The routes of `app` as its stored domains describe them.
pub(crate) async fn app_routes(store: &dyn Store, app: AppId) -> Result<AppRoutes> {
    let domains = store.list_domains(&Scope::system(), Some(app)).await?;
    Ok(AppRoutes {
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
    })
}

/// Where the proxy should send traffic for these containers.
pub(crate) fn upstreams_of(containers: &[RunningContainer]) -> Vec<Upstream> {
    containers
        .iter()
        .filter_map(|c| c.address.map(|addr| Upstream { addr }))
        .collect()
}
