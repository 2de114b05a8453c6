//! Basic auth in front of a route, through the proxy on 127.0.0.1:0:
//! right, wrong, missing and malformed credentials, the `Authorization`
//! header kept from the app, the cache of verified credentials, and hashes
//! the proxy cannot use.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]

use std::net::SocketAddr;

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64ct::{Base64, Encoding};
use rivetr_core::model::BasicAuth;
use rivetr_core::route::HostRoute;
use rivetr_proxy::server::{Proxy, ProxyConfig};
use rivetr_proxy::table::ProxyRouteTable;
use tokio_util::sync::CancellationToken;

mod common;

use common::echo_upstream;

/// A PHC argon2id hash of `password`, with low costs to keep tests fast.
fn phc(password: &str) -> String {
    let params = Params::new(8, 1, 1, None).unwrap();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let salt = SaltString::encode_b64(b"rivetr-test-salt").unwrap();
    (argon2.hash_password(password.as_bytes(), &salt))
        .unwrap()
        .to_string()
}

/// A proxy serving `locked.test` behind basic auth (`ada` with the hash
/// `hash`), and `open.test` without, both on one echo upstream.
async fn proxy(hash: String) -> (SocketAddr, Proxy, CancellationToken) {
    let table = ProxyRouteTable::new();
    let mut locked = HostRoute::plain("locked.test".parse().unwrap());
    locked.basic_auth = Some(BasicAuth {
        username: "ada".to_owned(),
        password_hash: hash,
    });
    let hosts = vec![locked, HostRoute::plain("open.test".parse().unwrap())];
    common::route(&table, hosts, echo_upstream().await).await;
    common::http(ProxyConfig::default(), table).await
}

/// `GET /` on `host` with `extra` header lines; the whole answer.
async fn get(addr: SocketAddr, host: &str, extra: &str) -> String {
    let request = format!("GET / HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n");
    common::exchange(addr, &request).await
}

fn basic(credentials: &str) -> String {
    let token = Base64::encode_string(credentials.as_bytes());
    format!("Authorization: Basic {token}\r\n")
}

fn status(response: &str) -> &str {
    response.split(' ').nth(1).unwrap()
}

fn challenge(response: &str) -> Option<&str> {
    (response.lines())
        .find_map(|l| l.strip_prefix("www-authenticate: "))
        .map(str::trim_end)
}

/// A counter from the proxy's rendered metrics.
fn counter(proxy: &Proxy, name: &str) -> u64 {
    let text = proxy.metrics().render_prometheus();
    let line = (text.lines())
        .find(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' '))
        })
        .unwrap();
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

const HASH_CHECKS: &str = "rivetr_proxy_basic_auth_hash_checks_total";
const CACHE_HITS: &str = "rivetr_proxy_basic_auth_cache_hits_total";

#[tokio::test]
async fn right_credentials_pass_and_are_not_forwarded() {
    let (addr, _proxy, _shutdown) = proxy(phc("correct horse")).await;
    let response = get(addr, "locked.test", &basic("ada:correct horse")).await;
    assert_eq!(status(&response), "200", "{response}");
    assert!(response.contains("\ntarget: /\n"), "{response}");
    assert!(
        !response.to_ascii_lowercase().contains("authorization"),
        "the credentials must not reach the app: {response}"
    );
}

#[tokio::test]
async fn wrong_missing_and_malformed_credentials_get_401() {
    let (addr, _proxy, _shutdown) = proxy(phc("correct horse")).await;
    for extra in [
        String::new(),
        basic("ada:wrong"),
        basic("bob:correct horse"),
        basic("ada"),
        "Authorization: Basic not*base64\r\n".to_owned(),
        "Authorization: Bearer abc\r\n".to_owned(),
        format!(
            "{}{}",
            basic("ada:correct horse"),
            basic("ada:correct horse")
        ),
    ] {
        let response = get(addr, "locked.test", &extra).await;
        assert_eq!(status(&response), "401", "{extra}: {response}");
        assert_eq!(
            challenge(&response),
            Some("Basic realm=\"locked.test\", charset=\"UTF-8\""),
            "{response}"
        );
        assert!(!response.contains("\ntarget: /\n"), "{response}");
    }
}

#[tokio::test]
async fn routes_without_basic_auth_forward_the_apps_own_authorization() {
    let (addr, _proxy, _shutdown) = proxy(phc("pw")).await;
    let response = get(addr, "open.test", "Authorization: Bearer app-token\r\n").await;
    assert_eq!(status(&response), "200", "{response}");
    assert!(
        response.contains("authorization: Bearer app-token"),
        "{response}"
    );
}

#[tokio::test]
async fn repeated_requests_are_verified_once() {
    let (addr, proxy, _shutdown) = proxy(phc("pw")).await;
    for _ in 0..3 {
        let response = get(addr, "locked.test", &basic("ada:pw")).await;
        assert_eq!(status(&response), "200", "{response}");
    }
    assert_eq!(counter(&proxy, HASH_CHECKS), 1);
    assert_eq!(counter(&proxy, CACHE_HITS), 2);

    // Wrong passwords are never cached: each one runs argon2.
    for _ in 0..2 {
        let response = get(addr, "locked.test", &basic("ada:nope")).await;
        assert_eq!(status(&response), "401", "{response}");
    }
    assert_eq!(counter(&proxy, HASH_CHECKS), 3);
    assert_eq!(counter(&proxy, CACHE_HITS), 2);
}

#[tokio::test]
async fn an_unsupported_hash_fails_closed() {
    // A bcrypt hash: not argon2.
    let bcrypt = "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW";
    for hash in [bcrypt, "not a hash"] {
        let (addr, _proxy, _shutdown) = proxy(hash.to_owned()).await;
        let response = get(addr, "locked.test", &basic(&format!("ada:{hash}"))).await;
        assert_eq!(status(&response), "401", "{hash}: {response}");
        assert!(challenge(&response).is_some(), "{response}");
    }
}
