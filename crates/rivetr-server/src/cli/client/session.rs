//! `rivetr login` and `rivetr logout`.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::Args;

use super::credentials::{self, Credentials};
use super::error::ClientError;
use super::http::{ApiClient, parse_server_url};
use super::{Conn, output, views};

/// `rivetr login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Server, token (else read from standard input) and output options.
    #[command(flatten)]
    pub conn: Conn,
}

/// `rivetr logout`.
#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Output options (the server options are not used).
    #[command(flatten)]
    pub conn: Conn,
}

/// Check the token with `GET /api/v1/auth/me`, then save URL and token.
pub(super) async fn login(args: LoginArgs) -> Result<ExitCode, ClientError> {
    let path = credentials::file_path()?;
    let url = match args
        .conn
        .url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        Some(url) => url.to_owned(),
        None => credentials::load(&path)?
            .map(|saved| saved.url)
            .ok_or_else(|| {
                ClientError::Input(
                    "which server? give it with `rivetr login --url https://rivetr.example.com`"
                        .to_owned(),
                )
            })?,
    };
    let parsed = parse_server_url(&url)?;
    let url = parsed.as_str().trim_end_matches('/').to_owned();
    if parsed.scheme() == "http" && !is_loopback(&parsed) {
        output::eprintln(&format!(
            "warning: {url} is plain HTTP: the token travels unencrypted"
        ));
    }
    let token = match args
        .conn
        .token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(token) => token.to_owned(),
        None => read_token(&url)?,
    };
    let client = ApiClient::new(&url, &token, args.conn.ca_file.as_deref())?;
    let me = client.get("/api/v1/auth/me", &[]).await?;
    credentials::save(
        &path,
        &Credentials {
            url: url.clone(),
            token,
        },
    )?;
    if args.conn.json {
        output::json(&me);
    } else {
        let who = views::me(&me);
        output::println(&format!(
            "Logged in to {url} as {} (team {}, role {}).",
            output::cell(who.email.as_deref()),
            output::cell(who.team.as_deref()),
            output::cell(who.role.as_deref()),
        ));
        output::println(&format!("Saved to {}.", path.display()));
    }
    Ok(ExitCode::SUCCESS)
}

/// Forget the saved URL and token.
pub(super) fn logout(args: &LogoutArgs) -> Result<ExitCode, ClientError> {
    let path = credentials::file_path()?;
    let removed = credentials::remove(&path)?;
    if args.conn.json {
        output::json(&serde_json::json!({ "logged_out": removed }));
    } else if removed {
        output::println(&format!(
            "Logged out (removed {}). The token itself stays valid until it is revoked.",
            path.display()
        ));
    } else {
        output::println("Not logged in.");
    }
    Ok(ExitCode::SUCCESS)
}

/// Read the token from standard input: one line, with a prompt when it
/// is a terminal.
fn read_token(url: &str) -> Result<String, ClientError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "API token for {url}: ");
        let _ = err.flush();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|err| ClientError::Input(format!("cannot read the token: {err}")))?;
    let token = line.trim();
    if token.is_empty() {
        return Err(ClientError::Input(
            "no token given: pass --token, set RIVETR_TOKEN or type it on standard input"
                .to_owned(),
        ));
    }
    Ok(token.to_owned())
}

/// Whether the URL's host is this machine.
fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
