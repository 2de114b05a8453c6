//! One resource reading of a container.

use bollard::Docker;
use bollard::models::ContainerStatsResponse;
use bollard::query_parameters::StatsOptions;
use futures::StreamExt;
use rivetr_core::runtime::{ContainerId, ContainerStats};
use rivetr_core::{Error, Result};

use super::containers::inspect_raw;
use super::error::api;

/// One reading. The engine samples twice (about a second apart) so the CPU
/// share can be computed from the deltas.
#[tracing::instrument(skip(docker), fields(id = %id))]
pub(crate) async fn stats(docker: &Docker, id: &ContainerId) -> Result<ContainerStats> {
    let raw = inspect_raw(docker, id).await?;
    let limit = raw
        .host_config
        .as_ref()
        .and_then(|h| h.memory)
        .and_then(|m| u64::try_from(m).ok())
        .unwrap_or(0);
    let options = StatsOptions {
        stream: false,
        one_shot: false,
    };
    let reading = docker
        .stats(id.as_str(), Some(options))
        .next()
        .await
        .ok_or_else(|| Error::internal(format!("reading stats of container {id}: no answer")))?
        .map_err(api(format!("reading stats of container {id}")))?;
    Ok(convert(&reading, limit))
}

/// The reading in Rivetr's terms; `limit` is the configured memory limit (0:
/// none), since the engine reports the host's memory when there is none.
pub(crate) fn convert(reading: &ContainerStatsResponse, limit: u64) -> ContainerStats {
    let cpu = reading.cpu_stats.as_ref();
    let pre = reading.precpu_stats.as_ref();
    let total = |s: Option<&bollard::models::ContainerCpuStats>| {
        s.and_then(|s| s.cpu_usage.as_ref())
            .and_then(|u| u.total_usage)
            .unwrap_or(0)
    };
    let system = |s: Option<&bollard::models::ContainerCpuStats>| {
        s.and_then(|s| s.system_cpu_usage).unwrap_or(0)
    };
    let cpu_delta = total(cpu).saturating_sub(total(pre));
    let system_delta = system(cpu).saturating_sub(system(pre));
    let cpus = cpu
        .and_then(|c| {
            c.online_cpus.filter(|n| *n > 0).or_else(|| {
                c.cpu_usage
                    .as_ref()
                    .and_then(|u| u.percpu_usage.as_ref())
                    .and_then(|p| u32::try_from(p.len()).ok())
            })
        })
        .unwrap_or(1);
    #[allow(
        clippy::cast_precision_loss,
        reason = "CPU nanoseconds fit an f64 well enough for a percentage"
    )]
    let cpu_percent = if system_delta > 0 {
        cpu_delta as f64 / system_delta as f64 * f64::from(cpus) * 100.0
    } else {
        0.0
    };
    let memory = reading.memory_stats.as_ref();
    let usage = memory.and_then(|m| m.usage).unwrap_or(0);
    // As `docker stats` does: page cache that can be reclaimed is not use.
    let inactive = memory
        .and_then(|m| m.stats.as_ref())
        .and_then(|s| {
            s.get("inactive_file")
                .or_else(|| s.get("total_inactive_file"))
                .copied()
        })
        .unwrap_or(0);
    let (rx, tx) = reading
        .networks
        .iter()
        .flatten()
        .fold((0u64, 0u64), |(rx, tx), (_, n)| {
            (
                rx.saturating_add(n.rx_bytes.unwrap_or(0)),
                tx.saturating_add(n.tx_bytes.unwrap_or(0)),
            )
        });
    ContainerStats {
        cpu_percent,
        memory_bytes: usage.saturating_sub(inactive),
        memory_limit_bytes: limit,
        network_rx_bytes: rx,
        network_tx_bytes: tx,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use bollard::models::{
        ContainerCpuStats, ContainerCpuUsage, ContainerMemoryStats, ContainerNetworkStats,
    };

    use super::*;

    fn cpu(total: u64, system: u64) -> ContainerCpuStats {
        ContainerCpuStats {
            cpu_usage: Some(ContainerCpuUsage {
                total_usage: Some(total),
                ..ContainerCpuUsage::default()
            }),
            system_cpu_usage: Some(system),
            online_cpus: Some(4),
            ..ContainerCpuStats::default()
        }
    }

    #[test]
    fn computes_cpu_memory_and_network() {
        let net = |rx, tx| ContainerNetworkStats {
            rx_bytes: Some(rx),
            tx_bytes: Some(tx),
            ..ContainerNetworkStats::default()
        };
        let reading = ContainerStatsResponse {
            cpu_stats: Some(cpu(1_500, 10_000)),
            precpu_stats: Some(cpu(1_000, 8_000)),
            memory_stats: Some(ContainerMemoryStats {
                usage: Some(1_000),
                stats: Some(HashMap::from([("inactive_file".to_owned(), 100)])),
                limit: Some(u64::MAX),
                ..ContainerMemoryStats::default()
            }),
            networks: Some(HashMap::from([
                ("eth0".to_owned(), net(10, 20)),
                ("eth1".to_owned(), net(1, 2)),
            ])),
            ..ContainerStatsResponse::default()
        };
        let stats = convert(&reading, 4096);
        assert!(
            (stats.cpu_percent - 100.0).abs() < 1e-9,
            "{}",
            stats.cpu_percent
        );
        assert_eq!(stats.memory_bytes, 900);
        assert_eq!(stats.memory_limit_bytes, 4096);
        assert_eq!((stats.network_rx_bytes, stats.network_tx_bytes), (11, 22));
    }
}
