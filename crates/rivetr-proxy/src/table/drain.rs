//! Waiting for removed upstreams to go idle, bounded by the drain timeout.

use std::sync::Arc;
use std::time::Duration;

use super::lease::UpstreamState;

/// Wait until no lease is alive on any of `states`, or `timeout` passes.
/// `true` when they all went idle in time; otherwise every state is
/// [`cut`](UpstreamState::cut), so the leases still alive (upgraded
/// connections) learn that the drain window ended and close.
pub(crate) async fn drain(states: &[Arc<UpstreamState>], timeout: Duration) -> bool {
    if states.iter().all(|s| s.in_flight() == 0) {
        return true;
    }
    let all_idle = async {
        for state in states {
            state.idle().await;
        }
    };
    let drained = tokio::time::timeout(timeout, all_idle).await.is_ok();
    if !drained {
        for state in states {
            state.cut();
        }
    }
    drained
}
