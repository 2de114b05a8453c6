//! Acting on a verified delivery for a team: deploy what a push asks for,
//! log a pull request for the apps it concerns, answer a ping.
//!
//! Deliveries carry no user, so deployments are queued with the system
//! scope (`requested_by` stays empty, the trigger names the provider).
//! That scope is used only after the signature was verified with the
//! team's secret, and only on apps read from the store that belong to that
//! team: a delivery can deploy nothing of another team.

use axum::http::StatusCode;
use rivetr_core::access::Scope;
use rivetr_core::id::{AppId, DeploymentId, TeamId};
use rivetr_core::model::{App, Trigger, WebhookOutcome};
use rivetr_core::store::Store;
use serde::Serialize;
use utoipa::ToSchema;

use super::deliveries::Delivery;
use super::push::{Verdict, builds_from, judge};
use crate::api::{ApiError, ApiState};
use crate::webhooks::{Provider, PullRequestEvent, PushEvent, WebhookEvent};

/// What a delivery did.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct HookAnswer {
    /// `pong`, `deployed`, `ignored` or `recorded` (a pull request).
    result: String,
    /// Why, in a line.
    message: String,
    /// What the delivery meant for each app it concerned.
    apps: Vec<HookAppResult>,
}

/// What a delivery meant for one app.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct HookAppResult {
    /// The app.
    #[schema(value_type = String, format = Uuid)]
    app_id: AppId,
    /// Its name.
    name: String,
    /// `deployed`, `ignored` or `failed`.
    outcome: String,
    /// Why.
    message: String,
    /// The deployment queued, when one was.
    #[schema(value_type = Option<String>, format = Uuid)]
    deployment_id: Option<DeploymentId>,
}

/// Act on `event`, verified with `team`'s secret; log what it did.
pub(super) async fn dispatch(
    state: &ApiState,
    provider: Provider,
    team: TeamId,
    delivery: &Delivery,
    event: WebhookEvent,
) -> Result<(StatusCode, HookAnswer), ApiError> {
    let store = state.store().as_ref();
    match event {
        WebhookEvent::Push { pushes } => push(state, provider, team, delivery, &pushes).await,
        WebhookEvent::PullRequest(pr) => pull_request(store, team, delivery, &pr).await,
        WebhookEvent::Ping => {
            let message = format!("{provider} ping answered");
            delivery
                .record(store, None, WebhookOutcome::Ignored, &message)
                .await;
            Ok((StatusCode::OK, answer("pong", message, Vec::new())))
        }
        WebhookEvent::Ignored { event, reason } => {
            let message = format!("{event}: {reason}");
            delivery
                .record(store, None, WebhookOutcome::Ignored, &message)
                .await;
            Ok((StatusCode::OK, answer("ignored", message, Vec::new())))
        }
    }
}

fn answer(result: &str, message: String, apps: Vec<HookAppResult>) -> HookAnswer {
    HookAnswer {
        result: result.to_owned(),
        message,
        apps,
    }
}

/// The team's apps, read by the platform (only after verification).
async fn team_apps(store: &dyn Store, team: TeamId) -> Result<Vec<App>, ApiError> {
    Ok(store
        .list_apps(&Scope::system(), None)
        .await?
        .into_iter()
        .filter(|app| app.team_id == team)
        .collect())
}

async fn push(
    state: &ApiState,
    provider: Provider,
    team: TeamId,
    delivery: &Delivery,
    pushes: &[PushEvent],
) -> Result<(StatusCode, HookAnswer), ApiError> {
    let store = state.store().as_ref();
    let mut results = Vec::new();
    for app in team_apps(store, team).await? {
        let Some(verdict) = judge(&app.spec.source, pushes) else {
            continue;
        };
        let (outcome, message, deployment_id) = match verdict {
            Verdict::Skip(why) => (WebhookOutcome::Ignored, why, None),
            Verdict::Deploy { commit } => {
                let trigger = Trigger::Webhook {
                    provider: provider.as_str().to_owned(),
                };
                match state
                    .engine()
                    .deploy(&Scope::system(), app.id, trigger)
                    .await
                {
                    Ok(d) => (
                        WebhookOutcome::Deployed,
                        format!(
                            "deployment #{} ({}) queued for commit {commit}",
                            d.number, d.id
                        ),
                        Some(d.id),
                    ),
                    Err(err) => {
                        tracing::warn!(error = %err, app = %app.id, "a webhook deploy failed");
                        (
                            WebhookOutcome::Failed,
                            format!("deploy failed: {err}"),
                            None,
                        )
                    }
                }
            }
        };
        delivery
            .record(store, Some(app.id), outcome, &message)
            .await;
        results.push(HookAppResult {
            app_id: app.id,
            name: app.name.to_string(),
            outcome: outcome.as_str().to_owned(),
            message,
            deployment_id,
        });
    }
    let count = |o: WebhookOutcome| results.iter().filter(|r| r.outcome == o.as_str()).count();
    let (deployed, failed) = (
        count(WebhookOutcome::Deployed),
        count(WebhookOutcome::Failed),
    );
    if results.is_empty() {
        let mut repos: Vec<&str> = pushes
            .iter()
            .map(|p| p.repository.full_name.as_str())
            .collect();
        repos.dedup();
        let message = format!("no app of this team deploys {}", repos.join(", "));
        delivery
            .record(store, None, WebhookOutcome::Ignored, &message)
            .await;
        return Ok((StatusCode::OK, answer("ignored", message, results)));
    }
    if deployed > 0 {
        let message = format!("{deployed} deployment(s) queued, {failed} failed");
        return Ok((StatusCode::ACCEPTED, answer("deployed", message, results)));
    }
    if failed > 0 {
        let why: Vec<String> = results
            .iter()
            .filter(|r| r.outcome == WebhookOutcome::Failed.as_str())
            .map(|r| format!("{}: {}", r.name, r.message))
            .collect();
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "deploy_failed",
            why.join("; "),
        ));
    }
    Ok((
        StatusCode::OK,
        answer(
            "ignored",
            "no app deploys what was pushed".to_owned(),
            results,
        ),
    ))
}

async fn pull_request(
    store: &dyn Store,
    team: TeamId,
    delivery: &Delivery,
    pr: &PullRequestEvent,
) -> Result<(StatusCode, HookAnswer), ApiError> {
    let message = format!(
        "pull request #{} {} ({} into {}, head {}){}: recorded; preview deployments are not built yet",
        pr.number,
        pr.action.as_str(),
        pr.head_branch,
        pr.base_branch,
        pr.head_sha,
        if pr.is_from_fork() {
            " from a fork"
        } else {
            ""
        },
    );
    let mut results = Vec::new();
    for app in team_apps(store, team).await? {
        if !builds_from(&app.spec.source, &pr.repository) {
            continue;
        }
        delivery
            .record(store, Some(app.id), WebhookOutcome::Ignored, &message)
            .await;
        results.push(HookAppResult {
            app_id: app.id,
            name: app.name.to_string(),
            outcome: WebhookOutcome::Ignored.as_str().to_owned(),
            message: message.clone(),
            deployment_id: None,
        });
    }
    if results.is_empty() {
        delivery
            .record(store, None, WebhookOutcome::Ignored, &message)
            .await;
    }
    Ok((StatusCode::ACCEPTED, answer("recorded", message, results)))
}
