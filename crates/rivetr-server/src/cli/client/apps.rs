//! `rivetr apps list`, and turning an app name into its id.

use std::process::ExitCode;
use std::str::FromStr;

use clap::{Args, Subcommand};
use rivetr_core::id::{AppId, ProjectId};

use super::error::ClientError;
use super::http::ApiClient;
use super::{Conn, output, views};

/// `rivetr apps ...`.
#[derive(Debug, Args)]
pub struct AppsArgs {
    /// Server, token and output options.
    #[command(flatten)]
    pub conn: Conn,
    /// What to do.
    #[command(subcommand)]
    pub command: AppsCommand,
}

/// The `apps` subcommands.
#[derive(Debug, Subcommand)]
pub enum AppsCommand {
    /// List the team's apps: name, id, project, live status, domain.
    List {
        /// Only the apps of this project (its id).
        #[arg(long, value_name = "ID")]
        project: Option<String>,
    },
}

/// Run an `apps` subcommand.
pub(super) async fn run(args: AppsArgs) -> Result<ExitCode, ClientError> {
    match args.command {
        AppsCommand::List { project } => list(&args.conn, project.as_deref()).await,
    }
}

/// `GET /api/v1/apps[?project=ID]` as a table.
async fn list(conn: &Conn, project: Option<&str>) -> Result<ExitCode, ClientError> {
    let mut query = Vec::new();
    if let Some(project) = project {
        let id = ProjectId::from_str(project.trim())
            .map_err(|_| ClientError::Input(format!("{project:?} is not a project id (a UUID)")))?;
        query.push((views::APPS_PROJECT_PARAM, id.to_string()));
    }
    let list = conn.client()?.get("/api/v1/apps", &query).await?;
    if conn.json {
        output::json(&list);
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = views::items(&list)
        .iter()
        .map(views::app)
        .map(|app| {
            vec![
                output::cell(app.name.as_deref()),
                output::cell(app.id.as_deref()),
                output::cell(app.project.as_deref()),
                output::cell(app.status.as_deref()),
                output::cell(app.domain.as_deref()),
            ]
        })
        .collect();
    output::print(&output::table(
        &["NAME", "ID", "PROJECT", "STATUS", "DOMAIN"],
        &rows,
    ));
    Ok(ExitCode::SUCCESS)
}

/// The id of the app `app` names: an app id as is, else the one app of
/// the team with that name.
///
/// # Errors
///
/// [`ClientError::Input`] when no app or several apps have the name.
pub(super) async fn resolve(client: &ApiClient, app: &str) -> Result<AppId, ClientError> {
    let app = app.trim();
    if let Ok(id) = AppId::from_str(app) {
        return Ok(id);
    }
    let list = client.get("/api/v1/apps", &[]).await?;
    let matches: Vec<views::AppRow> = views::items(&list)
        .iter()
        .map(views::app)
        .filter(|row| row.name.as_deref() == Some(app))
        .collect();
    match matches.as_slice() {
        [] => Err(ClientError::Input(format!(
            "no app named {app:?} in this team (see `rivetr apps list`)"
        ))),
        [one] => {
            let id = one.id.as_deref().unwrap_or_default();
            AppId::from_str(id).map_err(|_| {
                ClientError::Protocol(format!("the app {app:?} has no valid id ({id:?})"))
            })
        }
        several => {
            let candidates: Vec<String> = several
                .iter()
                .map(|row| {
                    format!(
                        "{} (project {})",
                        output::cell(row.id.as_deref()),
                        output::cell(row.project.as_deref())
                    )
                })
                .collect();
            Err(ClientError::Input(format!(
                "the app name {app:?} is ambiguous; use one of these ids: {}",
                candidates.join(", ")
            )))
        }
    }
}
