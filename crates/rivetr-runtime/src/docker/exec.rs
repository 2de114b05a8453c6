//! Commands run inside a running container, with a TTY for the web terminal.

use bollard::Docker;
use bollard::exec::{CreateExecOptions, ResizeExecOptions, StartExecOptions, StartExecResults};
use futures::StreamExt;
use rivetr_core::runtime::{ContainerId, ContainerState, ExecSession, ExecSpec, TtySize};
use rivetr_core::{Error, Result};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use super::containers::{inspect_raw, state_of};
use super::error::api;

/// Channel depth of each direction of a session.
const DEPTH: usize = 64;

/// Start `spec.command` in the running container `id` and bridge it to
/// channels: stdin → the process, its output → `output`, sizes → resize.
#[tracing::instrument(skip_all, fields(id = %id, program = spec.command.program(), tty = spec.tty))]
pub(crate) async fn exec(
    docker: &Docker,
    id: &ContainerId,
    spec: &ExecSpec,
) -> Result<ExecSession> {
    let raw = inspect_raw(docker, id).await?;
    if state_of(&raw) != ContainerState::Running {
        return Err(Error::conflict(format!(
            "running a command in container {id}: the container is not running"
        )));
    }
    let options = CreateExecOptions::<String> {
        attach_stdin: Some(true),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        tty: Some(spec.tty),
        cmd: Some(spec.command.args().to_vec()),
        ..CreateExecOptions::default()
    };
    let doing = format!("running {} in container {id}", spec.command.program());
    let created = docker
        .create_exec(id.as_str(), options)
        .await
        .map_err(api(doing.clone()))?;
    let start = StartExecOptions {
        detach: false,
        tty: spec.tty,
        output_capacity: None,
    };
    let started = docker
        .start_exec(&created.id, Some(start))
        .await
        .map_err(api(doing.clone()))?;
    let StartExecResults::Attached {
        mut output,
        mut input,
    } = started
    else {
        return Err(Error::internal(format!(
            "{doing}: the engine did not attach"
        )));
    };
    if let (true, Some(size)) = (spec.tty, spec.size) {
        resize(docker, &created.id, size).await;
    }

    let (stdin_tx, mut stdin_rx) = mpsc::channel::<Vec<u8>>(DEPTH);
    let (output_tx, output_rx) = mpsc::channel::<Vec<u8>>(DEPTH);
    let (resize_tx, mut resize_rx) = mpsc::channel::<TtySize>(DEPTH);

    tokio::spawn(async move {
        while let Some(bytes) = stdin_rx.recv().await {
            if input.write_all(&bytes).await.is_err() || input.flush().await.is_err() {
                return;
            }
        }
        // The session dropped its sender: end of input for the process.
        let _ = input.shutdown().await;
    });
    let exec_id = created.id.clone();
    tokio::spawn(async move {
        while let Some(item) = output.next().await {
            match item {
                Ok(chunk) => {
                    if output_tx.send(chunk.into_bytes().to_vec()).await.is_err() {
                        break;
                    }
                }
                Err(e) => {
                    tracing::debug!(exec = %exec_id, error = %e, "exec output ended with an error");
                    break;
                }
            }
        }
    });
    let docker = docker.clone();
    let exec_id = created.id;
    tokio::spawn(async move {
        while let Some(size) = resize_rx.recv().await {
            resize(&docker, &exec_id, size).await;
        }
    });
    tracing::debug!("exec session started");
    Ok(ExecSession {
        stdin: stdin_tx,
        output: output_rx,
        resize: resize_tx,
    })
}

async fn resize(docker: &Docker, exec_id: &str, size: TtySize) {
    let options = ResizeExecOptions {
        height: size.rows,
        width: size.cols,
    };
    if let Err(e) = docker.resize_exec(exec_id, options).await {
        tracing::debug!(exec = exec_id, error = %e, "could not resize the exec TTY");
    }
}
