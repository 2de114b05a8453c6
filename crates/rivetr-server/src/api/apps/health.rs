//! [`HealthCheckBody`]: when a new container counts as healthy.

use std::time::Duration;

use rivetr_core::input::HttpPath;
use rivetr_core::model::{HealthCheck, HealthProbe};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// When a new container counts as healthy (durations in milliseconds).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct HealthCheckBody {
    /// What to probe.
    pub(super) probe: ProbeBody,
    /// Pause between probes (default 250, at least 10).
    #[serde(default)]
    pub(super) interval_ms: Option<u64>,
    /// Time one probe may take (default 2000).
    #[serde(default)]
    pub(super) timeout_ms: Option<u64>,
    /// Give up this long after start: the deployment fails (default 60000).
    #[serde(default)]
    pub(super) deadline_ms: Option<u64>,
}

/// What a health check probes.
///
/// Read through [`ProbeFields`] so a refused path is reported as
/// `…probe.path`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", try_from = "ProbeFields")]
pub(super) enum ProbeBody {
    /// HTTP GET of `path` on the app's port; 2xx and 3xx are healthy.
    Http {
        /// Path (and query) starting with `/`.
        #[schema(value_type = String)]
        path: HttpPath,
    },
    /// TCP connect to the app's port.
    Tcp,
    /// The container is running (apps without a port).
    Running,
}

impl From<HealthCheckBody> for HealthCheck {
    fn from(body: HealthCheckBody) -> Self {
        let mut check = match body.probe {
            ProbeBody::Http { path } => HealthCheck::http(path),
            ProbeBody::Tcp => HealthCheck::tcp(),
            ProbeBody::Running => HealthCheck {
                probe: HealthProbe::Running,
                ..HealthCheck::tcp()
            },
        };
        if let Some(ms) = body.interval_ms {
            check.interval = Duration::from_millis(ms);
        }
        if let Some(ms) = body.timeout_ms {
            check.timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = body.deadline_ms {
            check.deadline = Duration::from_millis(ms);
        }
        check
    }
}

impl From<HealthCheck> for HealthCheckBody {
    fn from(check: HealthCheck) -> Self {
        Self {
            probe: match check.probe {
                HealthProbe::Http { path } => ProbeBody::Http { path },
                HealthProbe::Tcp => ProbeBody::Tcp,
                HealthProbe::Running => ProbeBody::Running,
            },
            interval_ms: Some(millis(check.interval)),
            timeout_ms: Some(millis(check.timeout)),
            deadline_ms: Some(millis(check.deadline)),
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The kinds of probe.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ProbeKind {
    Http,
    Tcp,
    Running,
}

/// Every field a probe may have.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProbeFields {
    #[serde(rename = "type")]
    kind: ProbeKind,
    #[serde(default)]
    path: Option<HttpPath>,
}

impl TryFrom<ProbeFields> for ProbeBody {
    type Error = &'static str;

    fn try_from(f: ProbeFields) -> Result<Self, Self::Error> {
        match (f.kind, f.path) {
            (ProbeKind::Http, Some(path)) => Ok(Self::Http { path }),
            (ProbeKind::Http, None) => Err("an http probe needs `path`, like \"/health\""),
            (ProbeKind::Tcp | ProbeKind::Running, Some(_)) => {
                Err("`path` belongs to http probes only")
            }
            (ProbeKind::Tcp, None) => Ok(Self::Tcp),
            (ProbeKind::Running, None) => Ok(Self::Running),
        }
    }
}
