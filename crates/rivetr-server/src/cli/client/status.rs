//! `rivetr status`: the server's version and health, who the caller is,
//! and how many apps the team has.

use std::process::ExitCode;

use clap::Args;
use serde_json::json;

use super::error::ClientError;
use super::{Conn, output, views};

/// `rivetr status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Server, token and output options.
    #[command(flatten)]
    pub conn: Conn,
}

/// Ask the server and print the answers.
pub(super) async fn status(args: StatusArgs) -> Result<ExitCode, ClientError> {
    let client = args.conn.client()?;
    let version = client.get("/api/v1/system/version", &[]).await?;
    let (health_status, health) = client.get_with_status("/api/v1/system/health").await?;
    let me = client.get("/api/v1/auth/me", &[]).await?;
    let apps = client.get("/api/v1/apps", &[]).await?;
    let app_count = views::items(&apps).len();
    let healthy = health_status == 200;
    if args.conn.json {
        output::json(&json!({
            "url": client.base(),
            "version": version,
            "health": health,
            "me": me,
            "apps": app_count,
        }));
    } else {
        let (state, store) = views::health(&health);
        let who = views::me(&me);
        let rows = [
            ("server", client.base().to_owned()),
            (
                "version",
                format!(
                    "{} (client {})",
                    output::cell(views::server_version(&version).as_deref()),
                    env!("CARGO_PKG_VERSION")
                ),
            ),
            (
                "health",
                format!(
                    "{} (store {})",
                    output::cell(state.as_deref()),
                    output::cell(store.as_deref())
                ),
            ),
            ("user", output::cell(who.email.as_deref())),
            ("team", output::cell(who.team.as_deref())),
            ("role", output::cell(who.role.as_deref())),
            ("apps", app_count.to_string()),
        ];
        for (key, value) in rows {
            output::println(&format!("{key:<8} {value}"));
        }
    }
    Ok(if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
