//! The platform repositories' conformance suites, run against
//! [`MemoryStore`], and what they leave to each store.

use std::sync::Arc;

use super::MemoryStore;
use crate::store::{
    AuditRepo, CertificateRepo, CredentialRepo, JobRepo, NotificationChannelRepo, SecretRepo,
    SettingsRepo,
};
use crate::testkit::store as suite;

#[tokio::test]
async fn the_job_queue_keeps_its_contract() {
    suite::jobs(&MemoryStore::new()).await;
}

#[tokio::test]
async fn the_job_queue_keeps_it_through_a_trait_object_twice() {
    let store: Arc<dyn JobRepo + Send + Sync> = Arc::new(MemoryStore::new());
    suite::jobs(&*store).await;
    suite::jobs(&*store).await;
}

#[tokio::test]
async fn every_platform_suite_passes() {
    suite::platform_conformance(&MemoryStore::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_platform_suite_passes_from_many_tasks_at_once() {
    let store = MemoryStore::new();
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { suite::platform_conformance(&store).await })
        })
        .collect();
    for run in runs {
        assert!(run.await.is_ok(), "a concurrent run of the suite failed");
    }
}

#[tokio::test]
async fn sessions_keep_their_contract() {
    suite::sessions(&MemoryStore::new()).await;
}

#[tokio::test]
async fn invitations_keep_their_contract() {
    suite::invitations(&MemoryStore::new()).await;
}

#[tokio::test]
async fn webhook_deliveries_keep_their_contract() {
    suite::webhook_deliveries(&MemoryStore::new()).await;
}

#[tokio::test]
async fn the_audit_log_keeps_its_contract() {
    suite::audit(&MemoryStore::new()).await;
}

#[tokio::test]
async fn settings_keep_their_contract() {
    suite::settings(&MemoryStore::new()).await;
}

#[tokio::test]
async fn certificates_keep_their_contract() {
    suite::certificates(&MemoryStore::new()).await;
}

#[tokio::test]
async fn sign_in_credentials_keep_their_contract() {
    suite::sign_in(&MemoryStore::new()).await;
}

#[tokio::test]
async fn team_credentials_keep_their_contract() {
    suite::secrets(&MemoryStore::new()).await;
}

#[tokio::test]
async fn notification_channels_keep_their_contract() {
    suite::notification_channels(&MemoryStore::new()).await;
}

#[tokio::test]
async fn every_platform_trait_is_object_safe() {
    let store = MemoryStore::new();
    let _: &dyn JobRepo = &store;
    let _: &dyn AuditRepo = &store;
    let _: &dyn CredentialRepo = &store;
    let _: &dyn SecretRepo = &store;
    let _: &dyn NotificationChannelRepo = &store;
    suite::settings(&store as &dyn SettingsRepo).await;
    suite::certificates(&store as &dyn CertificateRepo).await;
}

#[test]
fn debug_never_shows_secret_values() {
    use chrono::Utc;

    use crate::id::{ChannelId, CredentialId, TeamId};
    use crate::model::{
        ChannelKind, Credential, CredentialKind, NotificationChannel, SecretString,
        StoredCertificate,
    };

    let secret = || Some(SecretString::new("hunter2"));
    let credential = Credential {
        id: CredentialId::new(),
        team_id: TeamId::new(),
        name: "registry".parse().unwrap(),
        kind: CredentialKind::RegistryPassword,
        value: secret(),
        created_at: Utc::now(),
        updated_at: Utc::now(),
    };
    let channel = NotificationChannel {
        id: ChannelId::new(),
        team_id: TeamId::new(),
        name: "ops".parse().unwrap(),
        kind: ChannelKind::Slack,
        config: secret(),
        enabled: true,
        created_at: Utc::now(),
    };
    let cert = StoredCertificate {
        key: "example.com".to_owned(),
        directory_url: "https://acme.test/directory".to_owned(),
        pem: SecretString::new("hunter2"),
        not_after: Utc::now(),
    };
    for debug in [
        format!("{credential:?}"),
        format!("{channel:?}"),
        format!("{cert:?}"),
    ] {
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("***"), "{debug}");
    }
}
