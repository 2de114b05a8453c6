//! Responses the proxy answers itself, without an upstream: plain-text
//! errors, redirects, the basic auth challenge, and the body type every
//! response of the server has.

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use rivetr_core::input::HostPattern;
use rivetr_core::route::HostRoute;

/// The body of every response the server sends.
pub(crate) type ResponseBody = UnsyncBoxBody<Bytes, hyper::Error>;

/// An empty response body.
pub(crate) fn empty() -> ResponseBody {
    http_body_util::Empty::new()
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// The 308 a route answers itself: `redirect_to` another host, or
/// `force_https` when the client came over plain HTTP.
pub(crate) fn redirect(
    route: &HostRoute,
    proto: &str,
    host: &str,
    path: &str,
) -> Option<Response<ResponseBody>> {
    let location = if let Some(target) = &route.redirect_to {
        let scheme = if route.force_https { "https" } else { proto };
        format!("{scheme}://{target}{path}")
    } else if route.force_https && proto != "https" {
        format!("https://{host}{path}")
    } else {
        return None;
    };
    let Ok(value) = HeaderValue::from_str(&location) else {
        return Some(closing(text(
            StatusCode::BAD_REQUEST,
            "bad request target\n",
        )));
    };
    let mut response = text(StatusCode::PERMANENT_REDIRECT, "");
    response.headers_mut().insert(header::LOCATION, value);
    Some(response)
}

/// 401 with a basic auth challenge for the route `host`.
pub(crate) fn unauthorized(host: &HostPattern) -> Response<ResponseBody> {
    let mut response = text(StatusCode::UNAUTHORIZED, "authentication required\n");
    let challenge = format!("Basic realm=\"{host}\", charset=\"UTF-8\"");
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        (response.headers_mut()).insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// A local plain-text response.
pub(crate) fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<ResponseBody> {
    let body = Full::new(body.into())
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// `response`, closing the connection after it (a request whose framing
/// or body was refused leaves the stream in an unknown state).
pub(crate) fn closing(mut response: Response<ResponseBody>) -> Response<ResponseBody> {
    (response.headers_mut()).insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
