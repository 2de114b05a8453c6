//! `rivetr logs`: an app's runtime logs (`GET /api/v1/apps/{app}/logs`),
//! once or followed (`?follow=true`, Server-Sent Events).

use std::process::ExitCode;

use clap::Args;

use super::deploy::event_json;
use super::error::ClientError;
use super::views::{self, StreamItem};
use super::{Conn, apps, output};

/// `rivetr logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The app: its id, or its name when that is unique in the team.
    pub app: String,
    /// Keep streaming new lines until interrupted or the server ends the stream.
    #[arg(long, short)]
    pub follow: bool,
    /// Only the last N lines.
    #[arg(long, short = 'n', value_name = "N")]
    pub tail: Option<u32>,
    /// Server, token and output options.
    #[command(flatten)]
    pub conn: Conn,
}

/// Print the app's logs.
pub(super) async fn logs(args: LogsArgs) -> Result<ExitCode, ClientError> {
    let client = args.conn.client()?;
    let app = apps::resolve(&client, &args.app).await?;
    let path = format!("/api/v1/apps/{app}/logs");
    let mut query = Vec::new();
    if let Some(tail) = args.tail {
        query.push((views::LOGS_TAIL_PARAM, tail.to_string()));
    }
    if !args.follow {
        let page = client.get(&path, &query).await?;
        if args.conn.json {
            output::json(&page);
        } else {
            for line in views::items(&page).iter().filter_map(views::log_line) {
                output::println(&line.text);
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    query.push(("follow", "true".to_owned()));
    let mut stream = client.events(&path, &query, None).await?;
    while let Some(event) = stream.next().await? {
        if args.conn.json {
            output::json_line(&event_json(&event));
            continue;
        }
        match views::stream_item(&event.event, &event.data) {
            StreamItem::Line(line) => output::println(&line.text),
            StreamItem::End => break,
            StreamItem::Status { .. } | StreamItem::Other => {}
        }
    }
    Ok(ExitCode::SUCCESS)
}
