//! The command-line client: `login`, `logout`, `status`, `apps list`,
//! `deploy`, `logs` and `rollback` talk to a Rivetr server's REST API with
//! an API token.
//!
//! The server and token come from `--url`/`--token`, else `RIVETR_URL` /
//! `RIVETR_TOKEN`, else the file `rivetr login` saved. Output is a table or
//! text for people, or the API's JSON with `--json`. A failure prints
//! `error: <message>` and exits 1 (usage errors exit 2).

mod apps;
mod credentials;
mod deploy;
mod error;
mod http;
mod logs;
mod output;
mod progress;
mod session;
mod sse;
mod status;
mod views;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

pub use self::apps::{AppsArgs, AppsCommand};
pub use self::deploy::{DeployArgs, RollbackArgs};
use self::error::ClientError;
use self::http::ApiClient;
pub use self::logs::LogsArgs;
pub use self::session::{LoginArgs, LogoutArgs};
pub use self::status::StatusArgs;

/// The client commands.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Log in to a Rivetr server: check an API token and save it
    /// (`~/.config/rivetr/credentials.toml`, mode 0600).
    Login(LoginArgs),
    /// Forget the saved login.
    Logout(LogoutArgs),
    /// The server's version and health, who you are, how many apps
    /// (exits 1 when the server is not healthy).
    Status(StatusArgs),
    /// Work with apps.
    Apps(AppsArgs),
    /// Deploy an app (prints the deployment id; `--follow` streams its
    /// logs and exits 0 only when it goes live).
    Deploy(DeployArgs),
    /// Show an app's runtime logs.
    Logs(LogsArgs),
    /// Roll an app back to an earlier deployment.
    Rollback(RollbackArgs),
}

/// Options every client command takes.
#[derive(Clone, Debug, Args)]
pub struct Conn {
    /// Print the API's JSON instead of tables and text.
    #[arg(long, global = true)]
    pub json: bool,
    /// The server's URL (default: the saved login).
    #[arg(long, global = true, env = "RIVETR_URL", value_name = "URL")]
    pub url: Option<String>,
    /// An API token (default: the saved login).
    #[arg(
        long,
        global = true,
        env = "RIVETR_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// Extra trusted CA certificates (PEM), for a server whose certificate
    /// a private CA issued.
    #[arg(long, global = true, env = "RIVETR_CA_FILE", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
}

impl Conn {
    /// A client for the server and token these options (or the saved
    /// login) name.
    fn client(&self) -> Result<ApiClient, ClientError> {
        let creds = credentials::resolve(self.url.as_deref(), self.token.as_deref())?;
        ApiClient::new(&creds.url, &creds.token, self.ca_file.as_deref())
    }
}

/// Run a client command; errors are printed as `error: <message>`.
pub async fn run(command: ClientCommand) -> ExitCode {
    let result = match command {
        ClientCommand::Login(args) => session::login(args).await,
        ClientCommand::Logout(args) => session::logout(&args),
        ClientCommand::Status(args) => status::status(args).await,
        ClientCommand::Apps(args) => apps::run(args).await,
        ClientCommand::Deploy(args) => deploy::deploy(args).await,
        ClientCommand::Logs(args) => logs::logs(args).await,
        ClientCommand::Rollback(args) => deploy::rollback(args).await,
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            output::error(&err);
            ExitCode::FAILURE
        }
    }
}
