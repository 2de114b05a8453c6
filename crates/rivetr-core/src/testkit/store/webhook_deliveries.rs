//! The `webhook_deliveries` check of the store conformance suite.

use super::helpers::{denied, ids, not_found, ok, refused, tag};
use super::platform_fixtures::{app, crew, member, stranger};
use crate::access::Scope;
use crate::error::ErrorKind;
use crate::id::{AppId, WebhookDeliveryId};
use crate::model::{NewWebhookDelivery, Role, WebhookOutcome, WebhookProvider};
use crate::store::contract::KEEP_WEBHOOK_DELIVERIES;
use crate::store::{AppRepo, ProjectRepo, TeamRepo, UserRepo, WebhookDeliveryRepo};

fn delivery(app: Option<AppId>, outcome: WebhookOutcome) -> NewWebhookDelivery {
    NewWebhookDelivery {
        app_id: app,
        provider: WebhookProvider::Github,
        event: "push".to_owned(),
        delivery_id: Some(format!("delivery-{}", tag())),
        outcome,
        message: format!("testkit {}", tag()),
    }
}

/// The webhook delivery log: recorded by the platform only, with the
/// app's team; read newest first with `Read` on the app's team; another
/// team's app invisible; deliveries no app matched readable by the
/// platform only; input rules; at most `KEEP_WEBHOOK_DELIVERIES` kept per
/// app; an app's deliveries deleted with it.
pub async fn webhook_deliveries<S>(store: &S)
where
    S: WebhookDeliveryRepo + ProjectRepo + AppRepo + TeamRepo + UserRepo + ?Sized,
{
    let system = Scope::system();
    let a = crew(store, "webhooks-a").await;
    let b = crew(store, "webhooks-b").await;
    let web = app(store, &a).await;
    let viewer = member(store, &a, Role::Viewer).await;

    let new = NewWebhookDelivery {
        app_id: Some(web.id),
        provider: WebhookProvider::Gitlab,
        event: "Push Hook".to_owned(),
        delivery_id: None,
        outcome: WebhookOutcome::Deployed,
        message: "queued deployment #1".to_owned(),
    };
    let first = ok(
        store.record_webhook_delivery(&system, new.clone()).await,
        "record_webhook_delivery by the system",
    );
    assert!(
        first.app_id == Some(web.id)
            && first.team_id == Some(a.team)
            && first.provider == new.provider
            && first.event == new.event
            && first.delivery_id.is_none()
            && first.outcome == new.outcome
            && first.message == new.message,
        "store contract: record_webhook_delivery stores the delivery as given, with the app's \
         team; got {first:?}"
    );
    let mut later = Vec::new();
    for outcome in [
        WebhookOutcome::Ignored,
        WebhookOutcome::Refused,
        WebhookOutcome::Failed,
    ] {
        later.push(ok(
            store
                .record_webhook_delivery(&system, delivery(Some(web.id), outcome))
                .await,
            "record_webhook_delivery",
        ));
    }
    let listed = ok(
        store
            .list_webhook_deliveries(&viewer, Some(web.id), 10)
            .await,
        "list_webhook_deliveries by a viewer",
    );
    let expected: Vec<WebhookDeliveryId> =
        later.iter().rev().chain([&first]).map(|d| d.id).collect();
    assert!(
        ids(&listed, |d| d.id) == expected,
        "store contract: list_webhook_deliveries lists the app's deliveries newest first; got {listed:?}"
    );
    assert!(
        listed.last() == Some(&first) && listed.first() == later.last(),
        "store contract: list_webhook_deliveries returns deliveries as recorded"
    );
    let two = ok(
        store
            .list_webhook_deliveries(&system, Some(web.id), 2)
            .await,
        "list_webhook_deliveries with a limit",
    );
    assert!(
        ids(&two, |d| d.id) == expected[..2],
        "store contract: list_webhook_deliveries returns at most `limit`, the newest; got {two:?}"
    );

    // Deliveries no app matched: the platform's only.
    let unmatched = ok(
        store
            .record_webhook_delivery(&system, delivery(None, WebhookOutcome::Refused))
            .await,
        "record_webhook_delivery without an app",
    );
    assert!(
        unmatched.app_id.is_none() && unmatched.team_id.is_none(),
        "store contract: a delivery no app matched has no app and no team; got {unmatched:?}"
    );
    let seen = ok(
        store.list_webhook_deliveries(&system, None, 1000).await,
        "list_webhook_deliveries of unmatched deliveries by the system",
    );
    assert!(
        seen.contains(&unmatched) && seen.iter().all(|d| d.app_id.is_none()),
        "store contract: list_webhook_deliveries(None) lists the deliveries no app matched; got {seen:?}"
    );
    denied(
        store
            .list_webhook_deliveries(&a.owner_scope, None, 10)
            .await,
        "list_webhook_deliveries of unmatched deliveries by a member",
    );

    // Scoping and input rules.
    not_found(
        store
            .list_webhook_deliveries(&b.owner_scope, Some(web.id), 10)
            .await,
        "list_webhook_deliveries of another team's app",
    );
    not_found(
        store
            .list_webhook_deliveries(&system, Some(AppId::new()), 10)
            .await,
        "list_webhook_deliveries of an unknown app",
    );
    refused(
        store
            .list_webhook_deliveries(&viewer, Some(web.id), 0)
            .await,
        ErrorKind::InvalidInput,
        "list_webhook_deliveries with a limit of 0",
    );
    for scope in [a.owner_scope.clone(), stranger()] {
        denied(
            store
                .record_webhook_delivery(&scope, delivery(Some(web.id), WebhookOutcome::Ignored))
                .await,
            "record_webhook_delivery from a member scope",
        );
    }
    not_found(
        store
            .record_webhook_delivery(
                &system,
                delivery(Some(AppId::new()), WebhookOutcome::Ignored),
            )
            .await,
        "record_webhook_delivery for an unknown app",
    );
    let long = "x".repeat(201);
    let base = || delivery(Some(web.id), WebhookOutcome::Ignored);
    let bad = [
        (
            "an empty event",
            NewWebhookDelivery {
                event: String::new(),
                ..base()
            },
        ),
        (
            "an event over 200 characters",
            NewWebhookDelivery {
                event: long.clone(),
                ..base()
            },
        ),
        (
            "an event with a line break",
            NewWebhookDelivery {
                event: "push\n".to_owned(),
                ..base()
            },
        ),
        (
            "an empty delivery id",
            NewWebhookDelivery {
                delivery_id: Some(String::new()),
                ..base()
            },
        ),
        (
            "a delivery id over 200 characters",
            NewWebhookDelivery {
                delivery_id: Some(long.clone()),
                ..base()
            },
        ),
        (
            "a message over 1000 characters",
            NewWebhookDelivery {
                message: "m".repeat(1001),
                ..base()
            },
        ),
    ];
    for (what, new) in bad {
        refused(
            store.record_webhook_delivery(&system, new).await,
            ErrorKind::InvalidInput,
            &format!("record_webhook_delivery with {what}"),
        );
    }
    let unchanged = ok(
        store
            .list_webhook_deliveries(&system, Some(web.id), 1000)
            .await,
        "list_webhook_deliveries",
    );
    assert!(
        ids(&unchanged, |d| d.id) == expected,
        "store contract: refused record_webhook_delivery calls record nothing; got {unchanged:?}"
    );

    // At most KEEP_WEBHOOK_DELIVERIES per app: the oldest go.
    let mut newest = Vec::new();
    for _ in 0..KEEP_WEBHOOK_DELIVERIES {
        let recorded = ok(
            store
                .record_webhook_delivery(&system, delivery(Some(web.id), WebhookOutcome::Ignored))
                .await,
            "record_webhook_delivery",
        );
        newest.push(recorded.id);
    }
    newest.reverse();
    let kept = ok(
        store
            .list_webhook_deliveries(&system, Some(web.id), 1000)
            .await,
        "list_webhook_deliveries",
    );
    assert!(
        ids(&kept, |d| d.id) == newest,
        "store contract: an app keeps its newest {KEEP_WEBHOOK_DELIVERIES} deliveries; got {} \
         (the first recorded {} should be gone)",
        kept.len(),
        first.id
    );

    // A deleted app's deliveries are gone with it.
    ok(store.delete_app(&a.owner_scope, web.id).await, "delete_app");
    not_found(
        store
            .list_webhook_deliveries(&system, Some(web.id), 10)
            .await,
        "list_webhook_deliveries of a deleted app",
    );
}
