//! Reading a delivery's body, never more than the configured limit.

use axum::body::{Body, Bytes};
use axum::http::header::CONTENT_LENGTH;
use axum::http::{HeaderMap, StatusCode};
use futures::StreamExt as _;

use crate::api::ApiError;

/// Why a body could not be read.
#[derive(Debug)]
pub(super) enum BodyError {
    /// It is larger than the limit (by its `Content-Length`, or by what
    /// arrived).
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The connection failed while it was read.
    Broken,
}

impl BodyError {
    /// The answer: 413 or 400.
    pub(super) fn into_api_error(self) -> ApiError {
        match self {
            Self::TooLarge { limit } => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("webhook deliveries are limited to {limit} bytes"),
            ),
            Self::Broken => ApiError::bad_request("the request body could not be read"),
        }
    }
}

/// The whole body, refused as soon as it is known to exceed `limit` bytes:
/// before reading when `Content-Length` says so, else once that many bytes
/// have arrived (a chunked body is never buffered past the limit).
pub(super) async fn read_capped(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| usize::try_from(len).map_or(true, |len| len > limit)) {
        return Err(BodyError::TooLarge { limit });
    }
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| BodyError::Broken)?;
        if buf.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge { limit });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::*;

    fn stream(chunks: &[&'static [u8]]) -> Body {
        let chunks: Vec<Result<Bytes, std::io::Error>> =
            chunks.iter().map(|c| Ok(Bytes::from_static(c))).collect();
        Body::from_stream(futures::stream::iter(chunks))
    }

    #[tokio::test]
    async fn a_body_up_to_the_limit_is_read_whole() {
        let got = read_capped(&HeaderMap::new(), stream(&[b"abc", b"de"]), 5)
            .await
            .unwrap();
        assert_eq!(&got[..], b"abcde");
    }

    #[tokio::test]
    async fn a_chunked_body_over_the_limit_is_refused() {
        let err = read_capped(&HeaderMap::new(), stream(&[b"abc", b"def"]), 5)
            .await
            .unwrap_err();
        assert!(matches!(err, BodyError::TooLarge { limit: 5 }), "{err:?}");
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_unread() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_LENGTH, "6".parse().unwrap());
        let err = read_capped(&headers, stream(&[b"abc"]), 5)
            .await
            .unwrap_err();
        assert!(matches!(err, BodyError::TooLarge { limit: 5 }), "{err:?}");
        assert_eq!(err.into_api_error().status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
}
