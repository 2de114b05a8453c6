//! `rivetr`: the reference server and its command-line client.

use std::process::ExitCode;

use clap::Parser;
use rivetr_server::cli::{Cli, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            rivetr_server::cli::report_error(&format!("cannot start the async runtime: {err}"));
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(cli))
}
