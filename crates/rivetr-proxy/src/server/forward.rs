//! The request path: route by host through the table, answer redirects,
//! maintenance and errors locally, and forward the rest to the upstream
//! (over the connection the client connection keeps, see
//! [`upstream`](super::upstream)), holding the [`Lease`] until the response
//! body is done. Upgrades (WebSocket): the `Upgrade` request is forwarded with
//! its `Upgrade`/`Connection: upgrade` headers and, on a 101, bytes are
//! copied both ways, the lease held until the connection closes or the
//! drain window of a switch that removed its upstream ends. Every request
//! is counted in the [`Metrics`], under its route or as unrouted.

use std::error::Error as StdError;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use http::header::{self, HeaderValue};
use http::uri::{self, PathAndQuery};
use http::{Request, Response, StatusCode, Uri, Version};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use rivetr_core::input::DomainName;
use rivetr_core::route::RouteTable;

use super::basic_auth::BasicAuthGate;
use super::challenge::{HTTP01_PREFIX, Http01Responder};
use super::config::ProxyConfig;
use super::conn_state::ConnState;
use super::headers::{self, ClientSide, Forwarded, Framing};
use super::local::{ResponseBody, closing, empty, redirect, text, unauthorized};
use super::upstream::{UpstreamSlot, Upstreams};
use crate::metrics::{Metrics, Origin, RouteMetrics};
use crate::table::{Lease, ProxyRouteTable};

/// How long an upstream that refused a connection is skipped.
const EJECT_FOR: std::time::Duration = std::time::Duration::from_secs(10);

/// How a client reached the proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

impl Scheme {
    /// `"http"` or `"https"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

/// What the serve loop knows about the connection a request came on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnInfo {
    /// The client's address.
    pub(crate) peer: SocketAddr,
    /// Plain HTTP or TLS.
    pub(crate) scheme: Scheme,
    /// The request head had both `Content-Length` and `Transfer-Encoding`
    /// on the wire (HTTP/1 only; hyper drops the former).
    pub(crate) smuggled: bool,
}

/// Routes and forwards requests; one per server, shared by connections.
#[derive(Debug)]
pub(crate) struct Forwarder {
    table: ProxyRouteTable,
    config: Arc<ProxyConfig>,
    /// The upstream connections, idle ones shared.
    upstreams: Arc<Upstreams>,
    /// Answers ACME HTTP-01 challenges on plain HTTP, when set.
    http01: Option<Arc<dyn Http01Responder>>,
    /// Requests, status classes and latency per route.
    metrics: Arc<Metrics>,
    /// Checks basic auth credentials, with its cache.
    basic_auth: BasicAuthGate,
}

/// What the metrics need to know of one request, filled in while it is
/// handled.
#[derive(Debug, Default)]
struct Tally {
    /// The route that took it (`None`: counted as unrouted).
    route: Option<Arc<RouteMetrics>>,
    /// Who wrote the response.
    origin: Origin,
}

impl Forwarder {
    /// A forwarder without upstream connections yet, and fresh metrics.
    pub(crate) fn new(
        table: ProxyRouteTable,
        config: Arc<ProxyConfig>,
        http01: Option<Arc<dyn Http01Responder>>,
    ) -> Self {
        let upstreams = Arc::new(Upstreams::new(config.idle_timeout));
        let metrics = Arc::new(Metrics::new());
        Self {
            table,
            config,
            upstreams,
            http01,
            basic_auth: BasicAuthGate::new(Arc::clone(&metrics)),
            metrics,
        }
    }

    /// The metrics of every request this forwarder handled.
    pub(crate) fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The state one client connection keeps between its requests (see
    /// [`handle_kept`](Self::handle_kept)).
    pub(crate) fn conn_state(&self) -> ConnState {
        ConnState::new(UpstreamSlot::new(Arc::clone(&self.upstreams)))
    }

    /// Answer one request that came on `conn`, and count it.
    pub(crate) async fn handle(
        &self,
        req: Request<Incoming>,
        conn: ConnInfo,
    ) -> Response<ResponseBody> {
        self.handle_in(req, conn, None).await
    }

    /// [`handle`](Self::handle) with the `state` of the client connection
    /// (one per connection): forwarding on the upstream connection it keeps
    /// when that goes to the chosen upstream (and keeping the one used),
    /// reusing what was derived from its last host.
    pub(crate) async fn handle_kept(
        &self,
        req: Request<Incoming>,
        conn: ConnInfo,
        state: &ConnState,
    ) -> Response<ResponseBody> {
        self.handle_in(req, conn, Some(state)).await
    }

    async fn handle_in(
        &self,
        req: Request<Incoming>,
        conn: ConnInfo,
        state: Option<&ConnState>,
    ) -> Response<ResponseBody> {
        let started = Instant::now();
        let mut tally = Tally::default();
        let response = self.dispatch(req, conn, state, &mut tally).await;
        let route = tally.route.as_ref().unwrap_or(self.metrics.unrouted());
        route.record(response.status(), tally.origin, started.elapsed());
        response
    }

    /// The metrics of `lease`'s route: the ones `state` remembers when
    /// the table still gives the same route, else looked up (and
    /// remembered).
    fn lease_metrics(&self, lease: &Lease, state: Option<&ConnState>) -> Arc<RouteMetrics> {
        let app = lease.app();
        if let Some(found) = state.and_then(|s| s.recall_metrics(app, &lease.route)) {
            return found;
        }
        let metrics = self.metrics.route(app, &lease.route().host);
        if let Some(state) = state {
            state.remember_metrics(app, &lease.route, &metrics);
        }
        metrics
    }

    /// Answer one request, noting its route and origin in `tally`.
    async fn dispatch(
        &self,
        req: Request<Incoming>,
        conn: ConnInfo,
        state: Option<&ConnState>,
        tally: &mut Tally,
    ) -> Response<ResponseBody> {
        let ConnInfo {
            peer,
            scheme,
            smuggled,
        } = conn;
        let framing = if smuggled {
            Err(Framing::LengthAndChunked)
        } else {
            headers::check_framing(req.headers())
        };
        match framing {
            Err(Framing::LengthAndChunked) => {
                return closing(text(
                    StatusCode::BAD_REQUEST,
                    "Content-Length with Transfer-Encoding\n",
                ));
            }
            Err(Framing::BadLength) => {
                return closing(text(StatusCode::BAD_REQUEST, "bad Content-Length\n"));
            }
            Ok(Some(length)) if length > self.config.max_body_bytes => {
                return closing(text(StatusCode::PAYLOAD_TOO_LARGE, "body too large\n"));
            }
            Ok(_) => {}
        }
        let Some(host_raw) = request_host(&req) else {
            return closing(text(StatusCode::BAD_REQUEST, "missing or repeated Host\n"));
        };
        let host_name = strip_port(&host_raw);
        let (domain, memo) = match state.and_then(|s| s.recall(&host_raw)) {
            Some((domain, forwarded)) => (domain, Some(forwarded)),
            None => match host_name.parse::<DomainName>() {
                Ok(domain) => (domain, None),
                Err(_) => return closing(text(StatusCode::BAD_REQUEST, "bad Host\n")),
            },
        };
        if scheme == Scheme::Http
            && let Some(responder) = &self.http01
            && let Some(token) = req.uri().path().strip_prefix(HTTP01_PREFIX)
        {
            return match responder.key_authorization(&domain, token) {
                Some(key_authorization) => text(StatusCode::OK, key_authorization),
                None => text(StatusCode::NOT_FOUND, "no such challenge\n"),
            };
        }
        let trusted = self.config.is_trusted(peer.ip());
        let side = ClientSide {
            peer: peer.ip(),
            trusted,
            proto: scheme.as_str(),
            host: &host_raw,
        };
        let proto = headers::original_proto(req.headers(), &side);
        let path = (req.uri().path_and_query()).map_or("/", |pq| pq.as_str());

        let Some(lease) = self.table.acquire(&domain) else {
            // The cold path: tell why no upstream takes it.
            let Some(resolved) = self.table.resolve(&domain) else {
                return text(StatusCode::NOT_FOUND, "no app is served at this host\n");
            };
            tally.route = Some(self.metrics.route(resolved.app, &resolved.route.host));
            if let Some(response) = redirect(&resolved.route, proto, host_name, path) {
                return response;
            }
            if let Some(page) = resolved.maintenance_page {
                let mut response = text(StatusCode::SERVICE_UNAVAILABLE, page);
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                );
                return response;
            }
            return text(StatusCode::SERVICE_UNAVAILABLE, "no upstream is live\n");
        };
        tally.route = Some(self.lease_metrics(&lease, state));
        if let Some(response) = redirect(lease.route(), proto, host_name, path) {
            return response;
        }
        let auth = lease.route().basic_auth.as_ref();
        if let Some(auth) = auth
            && !self
                .basic_auth
                .allows(lease.route(), auth, req.headers())
                .await
        {
            return unauthorized(&lease.route().host);
        }
        let upstream = lease.upstream();
        let Some(uri) = origin_form(req.uri()) else {
            return closing(text(StatusCode::BAD_REQUEST, "bad request target\n"));
        };
        let mut req = req;
        let upgrade = headers::upgrade_of(req.headers());
        let client_upgrade = upgrade.is_some().then(|| hyper::upgrade::on(&mut req));
        let (mut parts, body) = req.into_parts();
        headers::strip_hop_by_hop(&mut parts.headers);
        if auth.is_some() {
            // The proxy's credentials, not the app's: never forwarded.
            parts.headers.remove(header::AUTHORIZATION);
        }
        if let Some(protocol) = upgrade {
            headers::set_upgrade(&mut parts.headers, protocol);
        }
        if trusted {
            headers::set_forwarded(&mut parts.headers, &side);
            if let Some(state) = state
                && memo.is_none()
            {
                state.remember(&host_raw, &domain, None);
            }
        } else {
            let forwarded = match memo {
                Some(Some(forwarded)) => forwarded,
                _ => {
                    let forwarded = Forwarded::untrusted(&side);
                    if let Some(state) = state {
                        state.remember(&host_raw, &domain, Some(&forwarded));
                    }
                    forwarded
                }
            };
            forwarded.apply(&mut parts.headers);
        }
        if !parts.headers.contains_key(header::HOST)
            && let Ok(host) = HeaderValue::from_str(&upstream.addr.to_string())
        {
            // As a client library would: the target's authority.
            parts.headers.insert(header::HOST, host);
        }
        parts.uri = uri;
        parts.version = Version::HTTP_11;
        let limit = usize::try_from(self.config.max_body_bytes).unwrap_or(usize::MAX);
        let request = Request::from_parts(parts, Limited::new(body, limit));

        let slot = state.map(|s| &s.upstream);
        let sent = self.upstreams.send(slot, upstream.addr, request);
        let sent = tokio::time::timeout(self.config.upstream_timeout, sent);
        match sent.await {
            Err(_elapsed) => text(StatusCode::GATEWAY_TIMEOUT, "upstream timed out\n"),
            Ok(Err(error)) => {
                if caused_by_body_limit(&error) {
                    return closing(text(StatusCode::PAYLOAD_TOO_LARGE, "body too large\n"));
                }
                if error.is_connect() {
                    self.table.eject(lease.app(), upstream, EJECT_FOR);
                }
                tracing::debug!(%error, upstream = %upstream.addr, "upstream failed");
                text(StatusCode::BAD_GATEWAY, "upstream unavailable\n")
            }
            Ok(Ok(mut response)) => {
                tally.origin = Origin::Upstream;
                if response.status() == StatusCode::SWITCHING_PROTOCOLS
                    && let Some(client_upgrade) = client_upgrade
                    && let Some(protocol) = headers::upgrade_of(response.headers())
                {
                    let upstream_upgrade = hyper::upgrade::on(&mut response);
                    let (mut parts, _body) = response.into_parts();
                    headers::strip_hop_by_hop(&mut parts.headers);
                    headers::set_upgrade(&mut parts.headers, protocol);
                    tokio::spawn(tunnel(client_upgrade, upstream_upgrade, lease));
                    return Response::from_parts(parts, empty());
                }
                if response.status() == StatusCode::SWITCHING_PROTOCOLS {
                    // Not asked for, or without an `Upgrade`: no tunnel.
                    tally.origin = Origin::Proxy;
                    return closing(text(StatusCode::BAD_GATEWAY, "unexpected 101 upstream\n"));
                }
                let (mut parts, body) = response.into_parts();
                headers::strip_hop_by_hop(&mut parts.headers);
                Response::from_parts(parts, leased(body, lease))
            }
        }
    }
}

/// The upstream's body, holding `lease` until it is dropped (sent or
/// abandoned), so a draining switch waits for it.
fn leased(body: Incoming, lease: Lease) -> ResponseBody {
    body.map_frame(move |frame| {
        let _held = &lease;
        frame
    })
    .boxed_unsync()
}

/// An upgraded connection (after a 101): copy bytes both ways between the
/// client and the upstream, holding `lease` until either side closes or
/// the drain window of a switch that removed the upstream ends; then both
/// sides are closed (dropped).
async fn tunnel(client: OnUpgrade, upstream: OnUpgrade, lease: Lease) {
    let (client, upstream) = match tokio::try_join!(client, upstream) {
        Ok(both) => both,
        Err(error) => {
            tracing::debug!(%error, "upgrade failed");
            return;
        }
    };
    let mut client = TokioIo::new(client);
    let mut upstream = TokioIo::new(upstream);
    tokio::select! {
        copied = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {
            if let Err(error) = copied {
                tracing::debug!(%error, "upgraded connection ended with an error");
            }
        }
        () = lease.drain_ended() => {
            tracing::debug!(upstream = %lease.upstream().addr, "drain window ended: closing upgraded connection");
        }
    }
    drop((client, upstream));
    drop(lease);
}

/// The origin-form target (`/path?query`) to send upstream for a request
/// target `uri`; `None` for one without a path (`*`).
fn origin_form(uri: &Uri) -> Option<Uri> {
    let path = uri.path_and_query();
    if !path.is_none_or(|p| p.as_str().starts_with('/')) {
        return None;
    }
    if uri.scheme().is_none() && uri.authority().is_none() {
        return Some(uri.clone()); // Already origin-form: no parsing again.
    }
    let mut parts = uri::Parts::default();
    parts.path_and_query = Some(
        path.cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/")),
    );
    Uri::from_parts(parts).ok()
}

/// The request's host: the absolute-form target's, else the one `Host`.
fn request_host(req: &Request<Incoming>) -> Option<String> {
    if let Some(authority) = req.uri().authority() {
        return Some(authority.as_str().to_owned());
    }
    let mut hosts = req.headers().get_all(header::HOST).iter();
    let host = hosts.next()?.to_str().ok()?;
    if hosts.next().is_some() {
        return None; // Two `Host` headers: refused (RFC 9112 §3.2).
    }
    (!host.is_empty()).then(|| host.to_owned())
}

/// `host` without a `:port` suffix.
fn strip_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Whether the client's body went over `max_body_bytes` while streaming.
fn caused_by_body_limit(error: &(dyn StdError + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.is::<LengthLimitError>() {
            return true;
        }
        cause = e.source();
    }
    false
}
