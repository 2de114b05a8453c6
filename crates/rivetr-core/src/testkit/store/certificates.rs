//! The `certificates` check of the store conformance suite.

use chrono::{TimeDelta, Utc};

use super::helpers::{denied, not_found, ok, refused, tag};
use super::platform_fixtures::stranger;
use crate::access::Scope;
use crate::error::ErrorKind;
use crate::model::{SecretString, StoredCertificate};
use crate::store::CertificateRepo;

const STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";

/// Certificates and ACME accounts: system-only access, upsert by key and
/// directory, get, listing without the PEM, delete. Keys carry a random
/// part, so certificates already in the store are left alone.
pub async fn certificates<S: CertificateRepo + ?Sized>(store: &S) {
    let system = Scope::system();
    let t = tag();
    let directory = format!("https://acme.test/{t}/directory");
    let key = format!("{t}.example.com,www.{t}.example.com");
    // Timestamps with whole seconds, so any store keeps them exactly.
    let now = Utc::now().timestamp();
    let at = |days: i64| {
        chrono::DateTime::from_timestamp(now + days * 86_400, 0)
            .unwrap_or_else(|| panic!("testkit: a date in range"))
    };
    let cert = StoredCertificate {
        key: key.clone(),
        directory_url: directory.clone(),
        pem: SecretString::new(format!("-----BEGIN CERTIFICATE-----\n{t}\n")),
        not_after: at(90),
    };

    let none = ok(
        store.get_certificate(&system, &key, &directory).await,
        "get_certificate",
    );
    assert!(
        none.is_none(),
        "store contract: get_certificate of a key never stored is None"
    );
    ok(
        store.put_certificate(&system, cert.clone()).await,
        "put_certificate",
    );
    let got = ok(
        store.get_certificate(&system, &key, &directory).await,
        "get_certificate",
    );
    assert!(
        got.as_ref() == Some(&cert),
        "store contract: get_certificate returns the certificate as stored (PEM included)"
    );
    let other = ok(
        store.get_certificate(&system, &key, STAGING).await,
        "get_certificate",
    );
    assert!(
        other.is_none(),
        "store contract: a certificate belongs to its directory: another directory's lookup is None"
    );
    let staging = StoredCertificate {
        directory_url: STAGING.to_owned(),
        pem: SecretString::new("staging pem"),
        ..cert.clone()
    };
    ok(
        store.put_certificate(&system, staging.clone()).await,
        "put_certificate of the same key from another directory",
    );
    let renewed = StoredCertificate {
        pem: SecretString::new(format!("-----BEGIN CERTIFICATE-----\nrenewed {t}\n")),
        not_after: at(180),
        ..cert.clone()
    };
    let before = Utc::now() - TimeDelta::seconds(1);
    ok(
        store.put_certificate(&system, renewed.clone()).await,
        "put_certificate replacing a certificate",
    );
    let got = ok(
        store.get_certificate(&system, &key, &directory).await,
        "get_certificate",
    );
    assert!(
        got.as_ref() == Some(&renewed),
        "store contract: put_certificate replaces the certificate with the same key and directory"
    );
    let got = ok(
        store.get_certificate(&system, &key, STAGING).await,
        "get_certificate",
    );
    assert!(
        got.as_ref() == Some(&staging),
        "store contract: put_certificate leaves other directories' certificates alone"
    );

    let listed = ok(store.list_certificates(&system).await, "list_certificates");
    let ours: Vec<_> = listed.iter().filter(|c| c.key == key).collect();
    assert!(
        ours.len() == 2
            && ours.iter().any(|c| c.directory_url == directory
                && c.not_after == renewed.not_after
                && c.updated_at >= before)
            && ours
                .iter()
                .any(|c| c.directory_url == STAGING && c.not_after == staging.not_after),
        "store contract: list_certificates lists each certificate once, with its expiry; got {ours:?}"
    );
    assert!(
        listed
            .windows(2)
            .all(|w| (&w[0].key, &w[0].directory_url) < (&w[1].key, &w[1].directory_url)),
        "store contract: list_certificates is ordered by key, then directory"
    );

    ok(
        store.delete_certificate(&system, &key, &directory).await,
        "delete_certificate",
    );
    let gone = ok(
        store.get_certificate(&system, &key, &directory).await,
        "get_certificate",
    );
    assert!(
        gone.is_none(),
        "store contract: a deleted certificate reads as None"
    );
    not_found(
        store.delete_certificate(&system, &key, &directory).await,
        "delete_certificate of a certificate not stored",
    );
    ok(
        store.delete_certificate(&system, &key, STAGING).await,
        "delete_certificate",
    );
    refused(
        store
            .put_certificate(
                &system,
                StoredCertificate {
                    key: String::new(),
                    ..cert.clone()
                },
            )
            .await,
        ErrorKind::InvalidInput,
        "put_certificate with an empty key is InvalidInput",
    );

    // ACME accounts.
    let contact = vec![format!("mailto:ops-{t}@example.com")];
    let none = ok(
        store.get_acme_account(&system, &contact, &directory).await,
        "get_acme_account",
    );
    assert!(
        none.is_none(),
        "store contract: get_acme_account of an account never stored is None"
    );
    ok(
        store
            .put_acme_account(
                &system,
                contact.clone(),
                &directory,
                SecretString::new("key-1"),
            )
            .await,
        "put_acme_account",
    );
    let got = ok(
        store.get_acme_account(&system, &contact, &directory).await,
        "get_acme_account",
    );
    assert!(
        got.as_ref().map(SecretString::expose) == Some("key-1"),
        "store contract: get_acme_account returns the key stored"
    );
    ok(
        store
            .put_acme_account(
                &system,
                contact.clone(),
                &directory,
                SecretString::new("key-2"),
            )
            .await,
        "put_acme_account replacing a key",
    );
    let got = ok(
        store.get_acme_account(&system, &contact, &directory).await,
        "get_acme_account",
    );
    assert!(
        got.as_ref().map(SecretString::expose) == Some("key-2"),
        "store contract: put_acme_account replaces the key"
    );
    let elsewhere = ok(
        store.get_acme_account(&system, &contact, STAGING).await,
        "get_acme_account",
    );
    let someone = vec![format!("mailto:other-{t}@example.com")];
    let other = ok(
        store.get_acme_account(&system, &someone, &directory).await,
        "get_acme_account",
    );
    assert!(
        elsewhere.is_none() && other.is_none(),
        "store contract: an ACME account belongs to its contact and directory"
    );

    // The platform's only.
    let member = stranger();
    denied(
        store.put_certificate(&member, cert.clone()).await,
        "put_certificate from a member scope",
    );
    denied(
        store.get_certificate(&member, &key, &directory).await,
        "get_certificate from a member scope",
    );
    denied(
        store.list_certificates(&member).await,
        "list_certificates from a member scope",
    );
    denied(
        store.delete_certificate(&member, &key, STAGING).await,
        "delete_certificate from a member scope",
    );
    denied(
        store
            .put_acme_account(&member, contact.clone(), &directory, SecretString::new("x"))
            .await,
        "put_acme_account from a member scope",
    );
    denied(
        store.get_acme_account(&member, &contact, &directory).await,
        "get_acme_account from a member scope",
    );
    let gone = ok(
        store.get_certificate(&system, &key, &directory).await,
        "get_certificate",
    );
    assert!(
        gone.is_none(),
        "store contract: a refused put_certificate stores nothing"
    );
}
