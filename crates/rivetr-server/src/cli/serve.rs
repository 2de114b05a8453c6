//! `rivetr serve`.

use std::path::Path;
use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

use super::output::{findings, report_error};
use crate::config::{self, Config, LogFormat};
use crate::platform::Platform;

/// Run the server until SIGINT or SIGTERM.
pub(super) async fn serve(path: Option<&Path>, skip_self_checks: bool) -> ExitCode {
    let config = match config::load(path, super::rivetr_env()) {
        Ok(config) => config,
        Err(err) => {
            report_error(&err.to_string());
            return ExitCode::FAILURE;
        }
    };
    init_logging(&config);
    if findings(&mut config.check()) {
        report_error("the configuration has errors (above); `rivetr config check` explains them");
        return ExitCode::FAILURE;
    }
    if let Err(err) = crate::platform::prepare_data_dir(&config) {
        report_error(&err.to_string());
        return ExitCode::FAILURE;
    }
    if !(skip_self_checks || config.server.skip_self_checks) {
        let mut checks = config::self_check(&config).await;
        checks.retain(|f| f.severity != config::Severity::Ok);
        if findings(&mut checks) {
            report_error("a start-up check failed (above); fix it or pass --skip-self-checks");
            return ExitCode::FAILURE;
        }
    }
    let platform = match Platform::builder(config).start().await {
        Ok(platform) => platform,
        Err(err) => {
            report_error(&err.to_string());
            return ExitCode::FAILURE;
        }
    };
    wait_for_signal().await;
    tracing::info!("shutting down");
    platform.shutdown().await;
    ExitCode::SUCCESS
}

fn init_logging(config: &Config) {
    let filter = EnvFilter::try_new(&config.log.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let installed = match config.log.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
    if let Err(err) = installed {
        report_error(&format!("logging not set up: {err}"));
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
