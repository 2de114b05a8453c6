//! The `rivetr` command line: `serve` runs the server, `store` backs up,
//! restores and rotates sealing keys, `config check` explains a
//! configuration file; `login`, `status`, `apps`, `deploy`, `logs` and
//! `rollback` are the client of a running server's API.

pub mod client;
mod config_check;
mod output;
mod serve;
mod store;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use output::report_error;
pub use store::StoreCommand;

/// Rivetr: push to git, get a running app behind HTTPS.
#[derive(Debug, Parser)]
#[command(name = "rivetr", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: store, deploy engine, proxy and API.
    Serve {
        /// The configuration file (TOML). Without one, the defaults and
        /// `RIVETR_*` variables apply.
        #[arg(long, short, env = "RIVETR_CONFIG")]
        config: Option<PathBuf>,
        /// Start without the self checks (store, runtime, data dir, disk
        /// space, ports).
        #[arg(long)]
        skip_self_checks: bool,
    },
    /// Back up, restore, rotate sealing keys, prune logs (uses the same
    /// configuration as `serve`).
    Store {
        /// The configuration file.
        #[arg(long, short, env = "RIVETR_CONFIG")]
        config: Option<PathBuf>,
        /// What to do.
        #[command(subcommand)]
        command: StoreCommand,
    },
    /// Work with configuration files.
    Config {
        /// What to do with it.
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// The client of a running server (login, status, apps, deploy, logs,
    /// rollback).
    #[command(flatten)]
    Client(client::ClientCommand),
}

/// `rivetr config ...`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Load a configuration (file plus `RIVETR_*` variables), check it and
    /// explain every finding; exits non-zero when it has an error.
    Check {
        /// The file; without one, the defaults and variables are checked.
        path: Option<PathBuf>,
    },
}

/// Run a parsed command line.
pub async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Serve {
            config,
            skip_self_checks,
        } => serve::serve(config.as_deref(), skip_self_checks).await,
        Command::Store { config, command } => store::run(command, config.as_deref()).await,
        Command::Config {
            command: ConfigCommand::Check { path },
        } => config_check::check(path.as_deref()),
        Command::Client(command) => client::run(command).await,
    }
}

/// The `RIVETR_*` variables of the process environment (entries that are
/// not UTF-8 cannot be settings and are passed over).
fn rivetr_env() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
        .filter(|(name, _)| {
            name.starts_with(crate::config::ENV_PREFIX) && name.as_str() != "RIVETR_CONFIG"
        })
        .collect()
}
