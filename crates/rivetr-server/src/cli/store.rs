//! `rivetr store ...`: backups, restores, sealing-key rotation and log
//! pruning of the control database.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rivetr_store::seal::KeyFile;
use rivetr_store::{SqlStore, StoreError};

use super::output::{line, report_error};
use crate::config::{self, Config};

/// The store commands.
#[derive(Debug, clap::Subcommand)]
pub enum StoreCommand {
    /// Copy the SQLite database to DEST while the server keeps running
    /// (PostgreSQL: prints the pg_dump command to use instead).
    Backup {
        /// Where to write the backup; an existing file is never overwritten.
        dest: PathBuf,
    },
    /// Put a backup in place of the database. Stop the server first; the
    /// current database is kept beside it as `<file>.before-restore-<time>`.
    Restore {
        /// The backup file.
        backup: PathBuf,
    },
    /// Generate a new sealing key and re-seal every secret under it. The
    /// old keys stay in the key file (a running server still seals with
    /// the key it started with) until `--retire`.
    RotateKey {
        /// After the reseal, drop every key but the new one. Only with the
        /// server stopped: values it seals meanwhile under an old key would
        /// no longer open.
        #[arg(long)]
        retire: bool,
    },
    /// Re-seal every secret under the current key (after adding a key to
    /// the key file by hand, or to finish an interrupted rotation).
    Reseal {
        /// Then drop every key but the current one. Only with the server
        /// stopped.
        #[arg(long)]
        retire: bool,
    },
    /// Delete the logs of old finished deployments, per `store.logs`.
    PruneLogs,
}

/// Run a store command with the configuration at `path`.
pub(super) async fn run(command: StoreCommand, path: Option<&Path>) -> ExitCode {
    let config = match config::load(path, super::rivetr_env()) {
        Ok(config) => config,
        Err(err) => {
            report_error(&err.to_string());
            return ExitCode::FAILURE;
        }
    };
    let result = match command {
        StoreCommand::Backup { dest } => backup(&config, &dest).await,
        StoreCommand::Restore { backup } => restore(&config, &backup).await,
        StoreCommand::RotateKey { retire } => rotate_key(&config, retire).await,
        StoreCommand::Reseal { retire } => reseal_and_retire(&config, retire).await,
        StoreCommand::PruneLogs => prune_logs(&config).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            report_error(&message);
            ExitCode::FAILURE
        }
    }
}

async fn open(config: &Config) -> Result<SqlStore, String> {
    let store_config = config.store_config().map_err(|e| e.to_string())?;
    SqlStore::open(store_config).await.map_err(|e| describe(&e))
}

fn describe(err: &StoreError) -> String {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

async fn backup(config: &Config, dest: &Path) -> Result<(), String> {
    let store = open(config).await?;
    let report = store.backup_to(dest).await.map_err(|e| describe(&e))?;
    line(&format!(
        "backed up to {} ({} bytes, schema {})",
        report.path.display(),
        report.bytes,
        report.migrations.last().map_or("empty", String::as_str)
    ));
    line("the sealing key file is not in the backup: keep a copy of it separately");
    Ok(())
}

async fn restore(config: &Config, backup: &Path) -> Result<(), String> {
    let url = config.database_url();
    let Some(target) = url.strip_prefix("sqlite://") else {
        return Err(
            "restore works on the SQLite database; for PostgreSQL use pg_restore (docs/store.md)"
                .to_owned(),
        );
    };
    let report = SqlStore::restore_sqlite(backup, Path::new(target))
        .await
        .map_err(|e| describe(&e))?;
    line(&format!(
        "restored {} ({} bytes); start the server to migrate it forward if it is older",
        report.target.display(),
        report.bytes
    ));
    Ok(())
}

async fn reseal(config: &Config) -> Result<(), String> {
    let store = open(config).await?;
    let report = store.reseal().await.map_err(|e| describe(&e))?;
    line(&format!(
        "resealed {} values under the current key ({} were already under it)",
        report.resealed, report.already_current
    ));
    Ok(())
}

async fn reseal_and_retire(config: &Config, retire: bool) -> Result<(), String> {
    reseal(config).await?;
    if retire && config.store.sealing_keys.is_some() {
        return Err(
            "store.sealing_keys gives the keys directly: drop old keys from that list".to_owned(),
        );
    }
    if retire {
        KeyFile::new(config.sealing_key_file())
            .retire()
            .map_err(|e| e.to_string())?;
        line("old keys retired from the key file");
    }
    Ok(())
}

async fn rotate_key(config: &Config, retire: bool) -> Result<(), String> {
    if config.store.sealing_keys.is_some() {
        return Err("store.sealing_keys gives the keys directly: rotate them where they come from (add a new key first in the list, then `rivetr store reseal`)".to_owned());
    }
    let file = KeyFile::new(config.sealing_key_file());
    // Check the current keys open this database before changing anything.
    drop(open(config).await?);
    let id = file.rotate().map_err(|e| e.to_string())?;
    line(&format!("new sealing key {id} is now current"));
    reseal(config).await.map_err(|e| {
        format!("{e}; the old keys stay in the key file, run `rivetr store reseal` to finish")
    })?;
    if retire {
        file.retire().map_err(|e| e.to_string())?;
        line("old keys retired from the key file");
    } else {
        line(
            "old keys kept, so values a running server seals under them still open; to drop them, stop the server and run `rivetr store reseal --retire`",
        );
    }
    Ok(())
}

async fn prune_logs(config: &Config) -> Result<(), String> {
    let store = open(config).await?;
    let report = store.prune_logs().await.map_err(|e| e.to_string())?;
    line(&format!(
        "pruned the logs of {} deployments ({} chunks)",
        report.deployments, report.chunks
    ));
    Ok(())
}
