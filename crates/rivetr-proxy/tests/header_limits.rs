#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! `max_headers`: a request head with more header fields than allowed is
//! refused with 431, at the default (100) and at a configured limit. The
//! requests go to a host no app serves, so the proxy answers them itself
//! (404) when it takes them.

mod common;

use std::net::SocketAddr;

use rivetr_proxy::server::{ProxyConfig, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use common::{echo_table, test_config};

async fn proxy(config: ProxyConfig) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let table = echo_table(&["app.example.com"]).await;
    tokio::spawn(serve(listener, config, table, CancellationToken::new()));
    addr
}

/// The status line of the answer to a GET for an unrouted host, with
/// `Host`, `Connection` and `extra` more header fields.
async fn status_with_headers(addr: SocketAddr, extra: usize) -> String {
    let mut head =
        String::from("GET / HTTP/1.1\r\nhost: nobody.example.com\r\nconnection: close\r\n");
    for i in 0..extra {
        head.push_str(&format!("x-h{i}: 1\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    answer.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn default_limit_is_one_hundred_fields() {
    let config = ProxyConfig {
        max_header_bytes: 64 * 1024,
        ..test_config()
    };
    assert_eq!(config.max_headers, 100);
    let addr = proxy(config).await;
    // Host and Connection count too.
    assert_eq!(
        status_with_headers(addr, 98).await,
        "HTTP/1.1 404 Not Found"
    );
    assert!(
        status_with_headers(addr, 99)
            .await
            .starts_with("HTTP/1.1 431")
    );
}

#[tokio::test]
async fn configured_limit_applies() {
    let config = ProxyConfig {
        max_headers: 10,
        ..test_config()
    };
    let addr = proxy(config).await;
    assert_eq!(status_with_headers(addr, 8).await, "HTTP/1.1 404 Not Found");
    assert!(
        status_with_headers(addr, 9)
            .await
            .starts_with("HTTP/1.1 431")
    );
}
