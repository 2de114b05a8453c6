//! Header rules of the request path: hop-by-hop stripping, request framing
//! checks (smuggling), and the `X-Forwarded-*` / `Forwarded` headers.

use std::net::IpAddr;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

/// Headers that describe one connection, never forwarded (RFC 9110 §7.6.1).
/// As `HeaderName`s: removing by `&str` would parse each name again on
/// every request.
const HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// `X-Forwarded-For`.
pub(crate) const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
/// `X-Forwarded-Proto`.
pub(crate) const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
/// `X-Forwarded-Host`.
pub(crate) const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// Remove hop-by-hop headers, including every header named in
/// `Connection`.
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap) {
    if headers.contains_key(header::CONNECTION) {
        let named: Vec<HeaderName> = (headers.get_all(header::CONNECTION).iter())
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
            .collect();
        for name in named {
            headers.remove(name);
        }
    }
    // One pass over the (few) names is cheaper than hashing nine of them.
    if headers.keys().any(|name| HOP_BY_HOP.contains(name)) {
        for name in &HOP_BY_HOP {
            headers.remove(name);
        }
    }
}

/// The `Upgrade` header of a message asking for (or agreeing to) an
/// upgrade: one `Upgrade` value and `upgrade` among the `Connection`
/// tokens. Hop-by-hop otherwise, these two are re-set with
/// [`set_upgrade`] after [`strip_hop_by_hop`].
pub(crate) fn upgrade_of(headers: &HeaderMap) -> Option<HeaderValue> {
    let asks = (headers.get_all(header::CONNECTION).iter())
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
    let mut values = headers.get_all(header::UPGRADE).iter();
    let value = values.next()?;
    (asks && values.next().is_none() && !value.is_empty()).then(|| value.clone())
}

/// Set `Connection: upgrade` and `Upgrade: protocol`.
pub(crate) fn set_upgrade(headers: &mut HeaderMap, protocol: HeaderValue) {
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, protocol);
}

/// Why a request's framing is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// Both `Content-Length` and `Transfer-Encoding`.
    LengthAndChunked,
    /// `Content-Length` values that differ or do not parse.
    BadLength,
}

/// Refuse ambiguous framing, the ground of request smuggling: both
/// `Content-Length` and `Transfer-Encoding`, or several or invalid
/// `Content-Length` values. Returns the declared length when there is one.
pub(crate) fn check_framing(headers: &HeaderMap) -> Result<Option<u64>, Framing> {
    if headers.contains_key(header::CONTENT_LENGTH)
        && headers.contains_key(header::TRANSFER_ENCODING)
    {
        return Err(Framing::LengthAndChunked);
    }
    let mut length = None;
    for value in headers.get_all(header::CONTENT_LENGTH) {
        let text = value.to_str().map_err(|_| Framing::BadLength)?;
        for part in text.split(',') {
            let part = part.trim();
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Framing::BadLength);
            }
            let n: u64 = part.parse().map_err(|_| Framing::BadLength)?;
            match length {
                Some(previous) if previous != n => return Err(Framing::BadLength),
                _ => length = Some(n),
            }
        }
    }
    Ok(length)
}

/// What the proxy knows about the client side of a request.
#[derive(Debug, Clone)]
pub(crate) struct ClientSide<'a> {
    /// The peer's address.
    pub(crate) peer: IpAddr,
    /// Whether the peer is a trusted proxy.
    pub(crate) trusted: bool,
    /// `http` or `https`, as seen by this proxy.
    pub(crate) proto: &'a str,
    /// The request's host (with its port, if it had one).
    pub(crate) host: &'a str,
}

/// The scheme the original client used: a trusted proxy's
/// `X-Forwarded-Proto`, else this connection's.
pub(crate) fn original_proto<'a>(headers: &'a HeaderMap, side: &ClientSide<'a>) -> &'a str {
    if side.trusted
        && let Some(proto) = headers.get(X_FORWARDED_PROTO).and_then(|v| v.to_str().ok())
    {
        let proto = proto.split(',').next().unwrap_or("").trim();
        if proto.eq_ignore_ascii_case("https") {
            return "https";
        }
        if proto.eq_ignore_ascii_case("http") {
            return "http";
        }
    }
    side.proto
}

/// The `X-Forwarded-For/-Proto/-Host` and `Forwarded` values sent for a
/// client that is not a trusted proxy. They depend only on the peer, the
/// scheme and the host, so a client connection computes them once per host
/// (formatting them is a good part of a request's cost).
#[derive(Debug, Clone)]
pub(crate) struct Forwarded {
    for_: Option<HeaderValue>,
    forwarded: Option<HeaderValue>,
    proto: HeaderValue,
    host: Option<HeaderValue>,
}

impl Forwarded {
    /// The values for `side`, taken as untrusted (whatever `side.trusted`).
    pub(crate) fn untrusted(side: &ClientSide<'_>) -> Self {
        let peer = side.peer.to_canonical();
        let for_value = match peer {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("\"[{v6}]\""),
        };
        let element = format!(
            "for={for_value};host=\"{}\";proto={}",
            side.host.replace(['"', '\\'], ""),
            side.proto
        );
        Self {
            for_: HeaderValue::from_str(&peer.to_string()).ok(),
            forwarded: HeaderValue::from_str(&element).ok(),
            proto: HeaderValue::from_static(proto_static(side.proto)),
            host: HeaderValue::from_str(side.host).ok(),
        }
    }

    /// Drop the incoming `X-Forwarded-*` and `Forwarded` headers and set
    /// these values.
    pub(crate) fn apply(self, headers: &mut HeaderMap) {
        // `insert` drops every earlier value of its name.
        let mut set = |name: HeaderName, value: Option<HeaderValue>| match value {
            Some(value) => {
                headers.insert(name, value);
            }
            None => {
                headers.remove(name);
            }
        };
        set(X_FORWARDED_FOR, self.for_);
        set(header::FORWARDED, self.forwarded);
        set(X_FORWARDED_PROTO, Some(self.proto));
        set(X_FORWARDED_HOST, self.host);
    }
}

/// Set `X-Forwarded-For/-Proto/-Host` and `Forwarded`. From a trusted
/// proxy, incoming values are kept and the peer is appended to the chain;
/// from anyone else they are dropped and replaced (see [`Forwarded`]).
pub(crate) fn set_forwarded(headers: &mut HeaderMap, side: &ClientSide<'_>) {
    if !side.trusted {
        Forwarded::untrusted(side).apply(headers);
        return;
    }
    let peer = side.peer.to_canonical();
    let joined = |headers: &HeaderMap, name: &HeaderName| -> Option<String> {
        let parts: Vec<&str> = (headers.get_all(name).iter())
            .filter_map(|v| v.to_str().ok())
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    };
    let (xff, forwarded, proto, host) = if side.trusted {
        (
            joined(headers, &X_FORWARDED_FOR),
            joined(headers, &header::FORWARDED),
            headers.get(X_FORWARDED_PROTO).cloned(),
            headers.get(X_FORWARDED_HOST).cloned(),
        )
    } else {
        (None, None, None, None)
    };
    for name in [
        X_FORWARDED_FOR,
        X_FORWARDED_PROTO,
        X_FORWARDED_HOST,
        header::FORWARDED,
    ] {
        headers.remove(name);
    }

    let xff = match xff {
        Some(chain) => format!("{chain}, {peer}"),
        None => peer.to_string(),
    };
    let for_value = match peer {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("\"[{v6}]\""),
    };
    let element = format!(
        "for={for_value};host=\"{}\";proto={}",
        side.host.replace(['"', '\\'], ""),
        side.proto
    );
    let forwarded = match forwarded {
        Some(chain) => format!("{chain}, {element}"),
        None => element,
    };
    insert_text(headers, X_FORWARDED_FOR, &xff);
    insert_text(headers, header::FORWARDED, &forwarded);
    match proto {
        Some(value) => headers.insert(X_FORWARDED_PROTO, value),
        None => headers.insert(
            X_FORWARDED_PROTO,
            HeaderValue::from_static(proto_static(side.proto)),
        ),
    };
    match host {
        Some(value) => {
            headers.insert(X_FORWARDED_HOST, value);
        }
        None => insert_text(headers, X_FORWARDED_HOST, side.host),
    }
}

fn proto_static(proto: &str) -> &'static str {
    if proto == "https" { "https" } else { "http" }
}

fn insert_text(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::*;

    #[test]
    fn connection_named_headers_are_stripped() {
        let mut h = HeaderMap::new();
        h.insert("connection", HeaderValue::from_static("close, X-Secret"));
        h.insert("x-secret", HeaderValue::from_static("1"));
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert("x-kept", HeaderValue::from_static("1"));
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("x-kept"));
    }

    #[test]
    fn framing() {
        let mut h = HeaderMap::new();
        h.append("content-length", HeaderValue::from_static("3"));
        h.append("content-length", HeaderValue::from_static("3"));
        assert_eq!(check_framing(&h), Ok(Some(3)));
        h.append("content-length", HeaderValue::from_static("4"));
        assert_eq!(check_framing(&h), Err(Framing::BadLength));
        let mut h = HeaderMap::new();
        h.insert("content-length", HeaderValue::from_static("3"));
        h.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        assert_eq!(check_framing(&h), Err(Framing::LengthAndChunked));
    }
}
