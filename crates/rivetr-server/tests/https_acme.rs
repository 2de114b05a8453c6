//! HTTPS for app domains against a real Pebble ACME server (started by
//! `scripts/with-pebble`, which the test script uses): an app domain added
//! to the store gets a certificate ordered over HTTP-01 through the
//! platform's own proxy, kept (sealed) in the store, and served by SNI on
//! the HTTPS listener to a client trusting only Pebble's root.
//!
//! Without the `RIVETR_TEST_PEBBLE_*` variables the test skips, except
//! under `RIVETR_TEST_STRICT=1`, where it fails.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;
#[allow(
    dead_code,
    reason = "the proxy's Pebble helpers, shared; this test uses a part"
)]
#[path = "../../rivetr-proxy/tests/pebble/mod.rs"]
mod pebble;

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use common::TestApi;
use rivetr_core::access::Scope;
use rivetr_core::model::{AppSpec, NewApp, NewDomain, NewProject};
use rivetr_core::store::{AppRepo, CertificateRepo, DomainRepo, ProjectRepo, TeamRepo};
use rivetr_server::config::{AcmeDirectory, Challenge};

#[tokio::test]
async fn an_app_domain_gets_a_certificate_served_by_sni() {
    let Some(pebble) = pebble::pebble_or_skip() else {
        return;
    };
    let ca_file = PathBuf::from(std::env::var("RIVETR_TEST_PEBBLE_CA").unwrap());
    let http_port = pebble.http_port;
    let directory = pebble.directory.clone();
    let api = TestApi::start_with(move |config| {
        config.proxy.http_listen = format!("127.0.0.1:{http_port}").parse().unwrap();
        config.proxy.https_listen = "127.0.0.1:0".parse().unwrap();
        let acme = &mut config.proxy.acme;
        acme.enabled = true;
        acme.directory = AcmeDirectory::Url(directory);
        acme.challenge = Challenge::Http01;
        acme.email = Some("ops@rivetr.test".parse().unwrap());
        acme.extra_roots_file = Some(ca_file);
    })
    .await;
    let https = api.platform.https_addr().expect("an HTTPS listener");

    let owner = api.team("acme").await;
    let scope = api.store.scope_for(owner.user, owner.team).await.unwrap();
    let project = api
        .store
        .create_project(
            &scope,
            NewProject {
                team_id: owner.team,
                name: "web".parse().unwrap(),
            },
        )
        .await
        .unwrap();
    let env = api
        .store
        .list_environments(&scope, project.id)
        .await
        .unwrap()[0]
        .id;
    let app = api
        .store
        .create_app(
            &scope,
            NewApp {
                environment_id: env,
                name: "site".parse().unwrap(),
                spec: AppSpec::from_image("site:1".parse().unwrap()),
            },
        )
        .await
        .unwrap();
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let domain = format!("site-{}-{nanos}.rivetr.test", std::process::id());
    api.store
        .add_domain(
            &scope,
            NewDomain {
                app_id: app.id,
                host: domain.parse().unwrap(),
                force_https: false,
                redirect_to: None,
                basic_auth: None,
            },
        )
        .await
        .unwrap();
    api.platform.announce_domains_changed();

    // The certificate lands in the store once issued.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let stored = api.store.list_certificates(&Scope::system()).await.unwrap();
        if stored.iter().any(|c| c.key.contains(&domain)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no certificate for {domain} after 120 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Served by SNI, verified against Pebble's root only.
    let root = pebble.root().await;
    let tls = pebble::tls_client(root, &domain, &https.to_string())
        .await
        .expect("a TLS handshake verified against Pebble's root");
    let (status, _) = pebble::exchange(tls, "GET", &domain, "/", "").await;
    // The app has no live deployment yet: the proxy answers, over TLS.
    assert!(status >= 400, "{status}");
    api.platform.shutdown().await;
}
