#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! HTTP/2 over TLS (ALPN `h2`) in front of an HTTP/1.1 upstream: requests
//! and bodies forwarded, many streams on one connection, `X-Forwarded-Proto:
//! https`, body limits, and a client that sends no request dropped.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{TestCa, connect, echo_table, echoed, https, test_config};
use http::{Request, Response, StatusCode, Version};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rivetr_proxy::tls::{CertResolver, CertSource};
use tokio::io::AsyncReadExt;

/// An HTTPS proxy for `app.test` and an HTTP/2 connection to it.
async fn h2_client() -> (SendRequest<Full<Bytes>>, common::Https) {
    let ca = TestCa::new();
    let resolver = CertResolver::new();
    let host = "app.test".parse().unwrap();
    resolver.set(host, CertSource::Static(ca.leaf(&["app.test"]).key()));
    let server = https(test_config(), echo_table(&["app.test"]).await, resolver).await;
    let stream = connect(server.addr, ca.client(&[b"h2", b"http/1.1"]), "app.test").await;
    let stream = stream.unwrap();
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    (sender, server)
}

fn request(method: &str, path: &str, body: &'static str) -> Request<Full<Bytes>> {
    Request::builder()
        .method(method)
        .uri(format!("https://app.test{path}"))
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap()
}

async fn text(response: Response<Incoming>) -> String {
    let body = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

#[tokio::test]
async fn http2_is_forwarded_to_an_http1_upstream_as_https() {
    let (mut sender, _server) = h2_client().await;
    let response = sender
        .send_request(request("POST", "/submit?x=1", "hello"))
        .await
        .unwrap();
    assert_eq!(response.version(), Version::HTTP_2);
    assert_eq!(response.status(), StatusCode::OK);
    let echo = text(response).await;
    assert_eq!(echoed(&echo, "target"), Some("/submit?x=1"), "{echo}");
    assert_eq!(echoed(&echo, "version"), Some("HTTP/1.1"), "{echo}");
    assert_eq!(echoed(&echo, "x-forwarded-proto"), Some("https"), "{echo}");
    assert_eq!(
        echoed(&echo, "x-forwarded-host"),
        Some("app.test"),
        "{echo}"
    );
    // The upstream sees the client's host, taken from `:authority`.
    assert_eq!(echoed(&echo, "host"), Some("app.test"), "{echo}");
    assert_eq!(echoed(&echo, "body"), Some("hello"), "{echo}");
}

#[tokio::test]
async fn many_streams_share_one_connection() {
    let (sender, _server) = h2_client().await;
    let requests = (0..20).map(|i| {
        let mut sender = sender.clone();
        async move {
            let path = format!("/stream/{i}");
            let req = Request::get(format!("https://app.test{path}"))
                .body(Full::new(Bytes::new()))
                .unwrap();
            let response = sender.send_request(req).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let echo = text(response).await;
            assert_eq!(echoed(&echo, "target"), Some(path.as_str()), "{echo}");
        }
    });
    futures::future::join_all(requests).await;
}

#[tokio::test]
async fn unknown_hosts_and_large_bodies_are_refused_per_stream() {
    let (mut sender, _server) = h2_client().await;
    let other = Request::get("https://other.test/")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = sender.send_request(other).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let big = "x".repeat(100);
    let big = Request::post("https://app.test/")
        .body(Full::new(Bytes::from(big)))
        .unwrap();
    let response = sender.send_request(big).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // The connection still serves.
    let response = sender.send_request(request("GET", "/", "")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_http2_client_that_sends_no_request_is_dropped() {
    let ca = TestCa::new();
    let resolver = CertResolver::new();
    let host = "app.test".parse().unwrap();
    resolver.set(host, CertSource::Static(ca.leaf(&["app.test"]).key()));
    let server = https(test_config(), echo_table(&["app.test"]).await, resolver).await;
    let client = ca.client(&[b"h2"]);
    let mut stream = connect(server.addr, Arc::clone(&client), "app.test")
        .await
        .unwrap();
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    // No preface: the server's SETTINGS may come, then the close.
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buf));
    read.await.expect("the proxy drops the connection").ok();
}
