//! ACME against a real Pebble test CA, started by `scripts/with-pebble`
//! (which `scripts/test` uses): certificates issued over HTTP-01 and
//! TLS-ALPN-01 through the proxy's own servers, then served and verified by
//! a client trusting only Pebble's root; the file cache reused without a new
//! order; a failing domain beside a good one.
//!
//! Pebble's validator connects to fixed ports (`RIVETR_TEST_PEBBLE_HTTP_PORT`,
//! `RIVETR_TEST_PEBBLE_TLS_PORT`) on 127.0.0.1, where its mock DNS points
//! every name, so the tests take turns binding them.
//!
//! Without the `RIVETR_TEST_PEBBLE_*` variables the tests skip, except under
//! `RIVETR_TEST_STRICT=1`, where they fail.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod pebble;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use pebble::{Pebble, Served, exchange, pebble_or_skip, tls_client};
use rivetr_core::input::DomainName;
use rivetr_proxy::acme::{
    AcmeConfig, AcmeEvent, AcmeEventKind, AcmeManager, Backoff, ChallengeType, FileCache,
};
use rivetr_proxy::tls::CertResolver;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// Guards against a hung order or server; issuance takes a few seconds.
const WAIT: Duration = Duration::from_secs(120);

/// A fresh cache directory for one test.
fn cache_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rivetr-acme-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A domain name unique to this run, so Pebble never reuses another run's
/// authorizations.
fn domain(label: &str) -> DomainName {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{label}-{}-{nanos}.rivetr.test", std::process::id())
        .parse()
        .unwrap()
}

/// The next event for `domain` (others are skipped).
async fn next_event(
    events: &mut broadcast::Receiver<AcmeEvent>,
    domain: &DomainName,
) -> AcmeEventKind {
    let wait = async {
        loop {
            let event = events.recv().await.unwrap();
            if &event.domain == domain {
                return event.kind;
            }
        }
    };
    tokio::time::timeout(WAIT, wait)
        .await
        .unwrap_or_else(|_| panic!("no event for {domain} within {WAIT:?}"))
}

/// Wait for `domain`'s certificate to be issued; panics on a failed order.
async fn issued(events: &mut broadcast::Receiver<AcmeEvent>, domain: &DomainName) -> SystemTime {
    assert_eq!(
        next_event(events, domain).await,
        AcmeEventKind::OrderStarted
    );
    match next_event(events, domain).await {
        AcmeEventKind::CertIssued { not_after } => not_after,
        other => panic!("{domain}: expected CertIssued, got {other:?}"),
    }
}

/// Handshake for `domain` on the HTTPS port trusting only Pebble's root:
/// the served leaf. Also sends a request over it (the proxy answers).
async fn served_leaf(
    pebble: &Pebble,
    root: &CertificateDer<'static>,
    domain: &DomainName,
) -> CertificateDer<'static> {
    let authority = format!("127.0.0.1:{}", pebble.tls_port);
    let tls = tls_client(root.clone(), domain.as_str(), &authority)
        .await
        .unwrap_or_else(|e| {
            panic!("{domain}: handshake verified against Pebble's root failed: {e}")
        });
    let leaf = tls.get_ref().1.peer_certificates().unwrap()[0]
        .clone()
        .into_owned();
    let (status, _) = exchange(tls, "GET", domain.as_str(), "/", "").await;
    assert!(status >= 200, "an HTTP answer over the issued certificate");
    leaf
}

/// The leaf certificate of a cached PEM (key first, then the chain).
fn cached_leaf(path: &Path) -> CertificateDer<'static> {
    let pem = std::fs::read(path).unwrap();
    CertificateDer::pem_slice_iter(&pem)
        .next()
        .unwrap()
        .unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Issue for one new domain with `challenge`, check it is served and
/// cached in private files.
async fn issue_and_serve(test: &str, challenge: ChallengeType) {
    let Some(pebble) = pebble_or_skip() else {
        return;
    };
    let root = pebble.root().await;
    let dir = cache_dir(test);
    let cache = FileCache::new(&dir);
    let resolver = CertResolver::new();
    let shutdown = CancellationToken::new();
    let acme = AcmeManager::new(
        pebble.config(challenge),
        Arc::new(cache.clone()),
        resolver.clone(),
        shutdown.clone(),
    )
    .unwrap();
    let served = Served::start(&pebble, &acme, &resolver).await;
    let mut events = acme.subscribe();
    let domain = domain(test);
    assert!(acme.add(domain.clone()));

    let not_after = issued(&mut events, &domain).await;
    assert!(not_after > SystemTime::now());
    let leaf = served_leaf(&pebble, &root, &domain).await;
    let cert_path = cache.cert_path(&pebble.directory, &domain);
    assert_eq!(
        leaf,
        cached_leaf(&cert_path),
        "the served certificate is the cached one"
    );
    assert_eq!(mode(&cert_path), 0o600);
    assert_eq!(mode(&cache.account_path(&pebble.directory)), 0o600);
    assert_eq!(mode(cert_path.parent().unwrap()), 0o700);

    match next_event(&mut events, &domain).await {
        AcmeEventKind::RenewalScheduled { at } => assert!(at > SystemTime::now() && at < not_after),
        other => panic!("expected RenewalScheduled, got {other:?}"),
    }
    shutdown.cancel();
    acme.stopped().await;
    served.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http01_issues_a_certificate_that_verifies_against_pebbles_root() {
    issue_and_serve("http01", ChallengeType::Http01).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_alpn01_issues_a_certificate_that_verifies_against_pebbles_root() {
    issue_and_serve("tlsalpn01", ChallengeType::TlsAlpn01).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_manager_serves_the_cached_certificate_without_an_order() {
    let Some(pebble) = pebble_or_skip() else {
        return;
    };
    let root = pebble.root().await;
    let dir = cache_dir("cache");
    let domain = domain("cache");

    let resolver = CertResolver::new();
    let shutdown = CancellationToken::new();
    let config = pebble.config(ChallengeType::Http01);
    let first = AcmeManager::new(
        config.clone(),
        Arc::new(FileCache::new(&dir)),
        resolver.clone(),
        shutdown.clone(),
    )
    .unwrap();
    let served = Served::start(&pebble, &first, &resolver).await;
    let mut events = first.subscribe();
    first.add(domain.clone());
    issued(&mut events, &domain).await;
    let issued_leaf = served_leaf(&pebble, &root, &domain).await;
    shutdown.cancel();
    first.stopped().await;
    served.stop().await;

    // A new manager (a restarted server) with the same cache directory.
    let resolver = CertResolver::new();
    let shutdown = CancellationToken::new();
    let second = AcmeManager::new(
        config,
        Arc::new(FileCache::new(&dir)),
        resolver.clone(),
        shutdown.clone(),
    )
    .unwrap();
    let served = Served::start(&pebble, &second, &resolver).await;
    let mut events = second.subscribe();
    second.add(domain.clone());
    // The task's first two steps: the cached certificate, then its renewal
    // date; an order would have come first.
    assert!(matches!(
        next_event(&mut events, &domain).await,
        AcmeEventKind::CertLoaded { .. }
    ));
    match next_event(&mut events, &domain).await {
        AcmeEventKind::RenewalScheduled { at } => assert!(at > SystemTime::now()),
        other => panic!("expected RenewalScheduled without an order, got {other:?}"),
    }
    assert_eq!(served_leaf(&pebble, &root, &domain).await, issued_leaf);

    // Removed: no longer served; the cache keeps it.
    assert!(second.remove(&domain));
    assert!(resolver.hosts().is_empty());
    assert!(
        FileCache::new(&dir)
            .cert_path(&pebble.directory, &domain)
            .exists()
    );
    shutdown.cancel();
    second.stopped().await;
    served.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_domain_does_not_block_another() {
    let Some(pebble) = pebble_or_skip() else {
        return;
    };
    let root = pebble.root().await;
    let dir = cache_dir("failing");
    let bad = domain("bad");
    let good = domain("good");
    pebble.servfail(bad.as_str()).await;

    let resolver = CertResolver::new();
    let shutdown = CancellationToken::new();
    let backoff = Backoff {
        initial: Duration::from_secs(3600),
        ..Backoff::default()
    };
    let config = AcmeConfig {
        backoff,
        ..pebble.config(ChallengeType::Http01)
    };
    let cache = FileCache::new(&dir);
    let acme = AcmeManager::new(
        config,
        Arc::new(cache.clone()),
        resolver.clone(),
        shutdown.clone(),
    )
    .unwrap();
    let served = Served::start(&pebble, &acme, &resolver).await;
    let mut events = acme.subscribe();
    // Both at once, the bad one first: each has its own order.
    acme.add(bad.clone());
    acme.add(good.clone());
    let (mut bad_failed, mut good_issued) = (None, false);
    while bad_failed.is_none() || !good_issued {
        let event = tokio::time::timeout(WAIT, events.recv())
            .await
            .unwrap()
            .unwrap();
        match event.kind {
            AcmeEventKind::OrderFailed { retry_in, error } if event.domain == bad => {
                bad_failed = Some((retry_in, error));
            }
            AcmeEventKind::CertIssued { .. } if event.domain == good => good_issued = true,
            AcmeEventKind::OrderFailed { error, .. } => panic!("{}: {error}", event.domain),
            _ => {}
        }
    }
    // The bad one waits an hour before its next order (validation failed
    // on DNS); the good one is served meanwhile.
    let (retry_in, error) = bad_failed.unwrap();
    assert_eq!(retry_in, backoff.initial, "{error}");
    assert!(error.contains("could not resolve"), "{error}");
    served_leaf(&pebble, &root, &good).await;
    // The bad one has no certificate: its handshake is refused.
    let authority = format!("127.0.0.1:{}", pebble.tls_port);
    assert!(
        tls_client(root.clone(), bad.as_str(), &authority)
            .await
            .is_err()
    );
    assert!(!cache.cert_path(&pebble.directory, &bad).exists());

    shutdown.cancel();
    acme.stopped().await;
    served.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_certificate_due_for_renewal_is_renewed() {
    let Some(pebble) = pebble_or_skip() else {
        return;
    };
    let root = pebble.root().await;
    let dir = cache_dir("renewal");
    let domain = domain("renewal");
    // A cached certificate with less than a third of its life left (from
    // 2020 to next New Year), self-signed: not Pebble's.
    let mut params = rcgen::CertificateParams::new(vec![domain.as_str().to_owned()]).unwrap();
    let year = 1970
        + SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            / 31_556_952;
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(i32::try_from(year).unwrap() + 1, 1, 1);
    let key = rcgen::KeyPair::generate().unwrap();
    let old = params.self_signed(&key).unwrap();
    let pem = format!("{}{}", key.serialize_pem(), old.pem());
    let cache = FileCache::new(&dir);
    let config = pebble.config(ChallengeType::TlsAlpn01);
    rivetr_proxy::acme::AcmeCache::store_cert(
        &cache,
        &config.directory_url,
        &domain,
        pem.as_bytes(),
    )
    .await
    .unwrap();

    let resolver = CertResolver::new();
    let shutdown = CancellationToken::new();
    let acme = AcmeManager::new(
        config,
        Arc::new(cache.clone()),
        resolver.clone(),
        shutdown.clone(),
    )
    .unwrap();
    let served = Served::start(&pebble, &acme, &resolver).await;
    let mut events = acme.subscribe();
    acme.add(domain.clone());
    let old_expiry = match next_event(&mut events, &domain).await {
        AcmeEventKind::CertLoaded { not_after } => not_after,
        other => panic!("expected CertLoaded, got {other:?}"),
    };
    match next_event(&mut events, &domain).await {
        AcmeEventKind::RenewalScheduled { at } => {
            assert!(at <= SystemTime::now() && at < old_expiry);
        }
        other => panic!("expected RenewalScheduled, got {other:?}"),
    }
    issued(&mut events, &domain).await;
    let leaf = served_leaf(&pebble, &root, &domain).await;
    assert_ne!(leaf, *old.der());
    assert_eq!(
        leaf,
        cached_leaf(&cache.cert_path(&pebble.directory, &domain))
    );

    shutdown.cancel();
    acme.stopped().await;
    served.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
