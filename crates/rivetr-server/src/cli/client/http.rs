//! The API client: bearer-token requests over reqwest (rustls on ring, the
//! Mozilla roots plus an optional extra CA file), JSON answers, the API's
//! error shape, and Server-Sent Event streams.

use std::collections::VecDeque;
use std::path::Path;
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use reqwest::{Method, RequestBuilder, Response, Url};
use serde_json::Value;

use super::error::ClientError;
use super::sse::{SseEvent, SseParser};
use super::views;

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a plain (not streamed) request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A connection to one Rivetr server as one caller.
#[derive(Debug)]
pub(crate) struct ApiClient {
    /// The server's base URL, without a trailing `/`.
    base: String,
    /// `Bearer <token>`, marked sensitive.
    auth: HeaderValue,
    /// The HTTP client.
    http: reqwest::Client,
}

/// Check a server URL: `http` or `https`, a host, no user info.
///
/// # Errors
///
/// [`ClientError::Input`] saying what is wrong.
pub(crate) fn parse_server_url(url: &str) -> Result<Url, ClientError> {
    let parsed = Url::parse(url.trim())
        .map_err(|err| ClientError::Input(format!("the server URL {url:?} is not valid: {err}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(ClientError::Input(format!(
            "the server URL must be http(s)://host[:port], not {url:?}"
        )));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(ClientError::Input(
            "the server URL must not carry a user name or password".to_owned(),
        ));
    }
    Ok(parsed)
}

impl ApiClient {
    /// A client for `url` with `token`; `ca_file` adds trusted roots (PEM).
    ///
    /// # Errors
    ///
    /// A bad URL or token, an unreadable CA file, or a TLS set-up failure.
    pub(crate) fn new(url: &str, token: &str, ca_file: Option<&Path>) -> Result<Self, ClientError> {
        let parsed = parse_server_url(url)?;
        let mut auth =
            HeaderValue::from_str(&format!("Bearer {}", token.trim())).map_err(|_| {
                ClientError::Input("the token holds characters a header cannot carry".to_owned())
            })?;
        auth.set_sensitive(true);
        // reqwest's rustls is compiled without a provider: use ring (an
        // error only means one is installed already).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("rivetr-cli/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none());
        if let Some(path) = ca_file {
            let pem = std::fs::read(path).map_err(|source| ClientError::File {
                what: "cannot read the CA file",
                path: path.to_owned(),
                source,
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|err| {
                ClientError::Input(format!("the CA file {} is not PEM: {err}", path.display()))
            })?;
            if certs.is_empty() {
                return Err(ClientError::Input(format!(
                    "the CA file {} holds no certificate",
                    path.display()
                )));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder
            .build()
            .map_err(|err| ClientError::transport(url, &err))?;
        Ok(Self {
            base: parsed.as_str().trim_end_matches('/').to_owned(),
            auth,
            http,
        })
    }

    /// The server's base URL.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// A request to `path` (starting with `/`) with `query`.
    fn request(&self, method: Method, path: &str, query: &[(&str, String)]) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .query(query)
            .header(AUTHORIZATION, self.auth.clone())
    }

    /// Send and turn a transport failure into [`ClientError::Transport`].
    async fn send(&self, request: RequestBuilder) -> Result<Response, ClientError> {
        request
            .send()
            .await
            .map_err(|err| ClientError::transport(&self.base, &err))
    }

    /// `GET path` → the JSON answer.
    pub(crate) async fn get(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Value, ClientError> {
        let request = self
            .request(Method::GET, path, query)
            .timeout(REQUEST_TIMEOUT);
        json_of(self.send(request).await?).await
    }

    /// `GET path` → (status, JSON) whatever the status (for health).
    pub(crate) async fn get_with_status(&self, path: &str) -> Result<(u16, Value), ClientError> {
        let request = self
            .request(Method::GET, path, &[])
            .timeout(REQUEST_TIMEOUT);
        let response = self.send(request).await?;
        let status = response.status().as_u16();
        let body = response
            .json()
            .await
            .map_err(|err| ClientError::Protocol(format!("HTTP {status} without JSON: {err}")))?;
        Ok((status, body))
    }

    /// `POST path` with a JSON body → the JSON answer.
    pub(crate) async fn post(&self, path: &str, body: &Value) -> Result<Value, ClientError> {
        let request = self
            .request(Method::POST, path, &[])
            .timeout(REQUEST_TIMEOUT)
            .json(body);
        json_of(self.send(request).await?).await
    }

    /// `GET path` as an event stream (`Accept: text/event-stream`), resuming
    /// after `last_event_id` when given.
    pub(crate) async fn events(
        &self,
        path: &str,
        query: &[(&str, String)],
        last_event_id: Option<&str>,
    ) -> Result<EventStream, ClientError> {
        let mut request = self
            .request(Method::GET, path, query)
            .header(ACCEPT, "text/event-stream");
        if let Some(id) = last_event_id.and_then(|id| HeaderValue::from_str(id).ok()) {
            request = request.header("last-event-id", id);
        }
        let response = ok_or_api_error(self.send(request).await?).await?;
        let is_sse = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !is_sse {
            return Err(ClientError::Protocol(
                "the server did not answer with an event stream".to_owned(),
            ));
        }
        Ok(EventStream {
            response,
            parser: SseParser::new(),
            ready: VecDeque::new(),
            base: self.base.clone(),
        })
    }
}

/// The events of one streamed response.
#[derive(Debug)]
pub(crate) struct EventStream {
    /// The response being read.
    response: Response,
    /// The parser.
    parser: SseParser,
    /// Events parsed but not handed out yet.
    ready: VecDeque<SseEvent>,
    /// The server (for errors).
    base: String,
}

impl EventStream {
    /// The next event; `None` when the server closed the stream.
    ///
    /// # Errors
    ///
    /// [`ClientError::Transport`] when the connection broke.
    pub(crate) async fn next(&mut self) -> Result<Option<SseEvent>, ClientError> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Ok(Some(event));
            }
            match self.response.chunk().await {
                Ok(Some(bytes)) => self.ready.extend(self.parser.push(&bytes)),
                Ok(None) => return Ok(None),
                Err(err) => return Err(ClientError::transport(&self.base, &err)),
            }
        }
    }

    /// The last event id, for resuming.
    pub(crate) fn last_id(&self) -> Option<&str> {
        self.parser.last_id()
    }

    /// The reconnection delay the server asked for.
    pub(crate) fn retry(&self) -> Option<Duration> {
        self.parser.retry_ms().map(Duration::from_millis)
    }
}

/// The response when it succeeded, else its API error.
async fn ok_or_api_error(response: Response) -> Result<Response, ClientError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let text = response.text().await.unwrap_or_default();
    let parsed = serde_json::from_str::<Value>(&text).ok();
    match parsed.as_ref().and_then(views::api_error) {
        Some((code, message)) => Err(ClientError::Api {
            status: status.as_u16(),
            code,
            message,
        }),
        None => {
            let snippet: String = text.chars().take(200).collect();
            Err(ClientError::Protocol(format!(
                "HTTP {status}{}{}",
                if snippet.is_empty() { "" } else { ": " },
                snippet.trim()
            )))
        }
    }
}

/// The JSON of a successful response (`null` for an empty body).
async fn json_of(response: Response) -> Result<Value, ClientError> {
    let response = ok_or_api_error(response).await?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|err| ClientError::Protocol(format!("HTTP {status}: {err}")))?;
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&bytes).map_err(|err| {
        ClientError::Protocol(format!("HTTP {status} with a body that is not JSON: {err}"))
    })
}
