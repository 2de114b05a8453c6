//! Container output.

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptions;
use futures::StreamExt;
use futures::stream::BoxStream;
use rivetr_core::Result;
use rivetr_core::model::LogStream;
use rivetr_core::runtime::{ContainerId, LogChunk, LogOptions};

use super::containers::inspect_raw;
use super::error::api;

/// A container's output, stdout and stderr; with `follow` the engine ends the
/// stream when the container stops.
#[tracing::instrument(skip(docker), fields(id = %id))]
pub(crate) async fn logs(
    docker: &Docker,
    id: &ContainerId,
    options: &LogOptions,
) -> Result<BoxStream<'static, Result<LogChunk>>> {
    // NotFound from the call, not inside the stream.
    inspect_raw(docker, id).await?;
    let since = options
        .since
        .map(|t| i32::try_from(t.timestamp().max(0)).unwrap_or(i32::MAX))
        .unwrap_or(0);
    let request = LogsOptions {
        follow: options.follow,
        stdout: true,
        stderr: true,
        since,
        until: 0,
        timestamps: false,
        tail: options
            .tail
            .map_or_else(|| "all".to_owned(), |n| n.to_string()),
    };
    let doing = format!("reading the logs of container {id}");
    let stream = docker
        .logs(id.as_str(), Some(request))
        .filter_map(move |item| {
            let chunk = match item {
                Ok(LogOutput::StdOut { message } | LogOutput::Console { message }) => {
                    Some(Ok(LogChunk {
                        stream: LogStream::Stdout,
                        bytes: message.to_vec(),
                    }))
                }
                Ok(LogOutput::StdErr { message }) => Some(Ok(LogChunk {
                    stream: LogStream::Stderr,
                    bytes: message.to_vec(),
                })),
                Ok(LogOutput::StdIn { .. }) => None,
                Err(e) => Some(Err(api(doing.clone())(e))),
            };
            async move { chunk }
        });
    Ok(stream.boxed())
}
