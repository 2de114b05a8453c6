//! Deployments and their logs.

use async_trait::async_trait;
use chrono::Utc;

use super::MemoryStore;
use crate::access::Scope;
use crate::error::{Error, Result};
use crate::id::{AppId, DeploymentId};
use crate::model::{
    Action, Deployment, DeploymentStatus, DeploymentUpdate, LogLine, NewDeployment, NewLogLine,
    Page, Trigger,
};
use crate::store::{DeploymentRepo, LogRepo, TakenDeployment};

#[async_trait]
impl DeploymentRepo for MemoryStore {
    async fn enqueue_deployment(&self, scope: &Scope, new: NewDeployment) -> Result<Deployment> {
        let mut state = self.state();
        let team_id = state.app(scope, new.app_id, Action::Deploy)?.team_id;
        if let Trigger::Rollback { of } = &new.trigger {
            match state.deployments.get(of) {
                Some(target) if target.app_id == new.app_id => {}
                _ => {
                    return Err(Error::invalid_input(format!(
                        "deployment {of} is not a deployment of this app, so it cannot be rolled back to"
                    )));
                }
            }
        }
        let number = state.numbers.entry(new.app_id).or_insert(0);
        *number += 1;
        let deployment = Deployment {
            id: DeploymentId::new(),
            app_id: new.app_id,
            team_id,
            number: *number,
            trigger: new.trigger,
            requested_by: new.requested_by,
            status: DeploymentStatus::Queued,
            reason: None,
            commit: None,
            image: new.image,
            containers: Vec::new(),
            created_at: Utc::now(),
            started_at: None,
            finished_at: None,
        };
        let seq = state.next_seq();
        state
            .deployments
            .insert(seq, deployment.id, deployment.clone());
        Ok(deployment)
    }

    async fn get_deployment(&self, scope: &Scope, id: DeploymentId) -> Result<Deployment> {
        self.state().deployment(scope, id, Action::Read).cloned()
    }

    async fn list_deployments(
        &self,
        scope: &Scope,
        app: AppId,
        page: Page,
    ) -> Result<Vec<Deployment>> {
        if page.limit == 0 {
            return Err(Error::invalid_input("a page holds at least 1 item"));
        }
        let state = self.state();
        state.app(scope, app, Action::Read)?;
        let mut rows: Vec<&Deployment> = state
            .deployments
            .values()
            .filter(|d| d.app_id == app && page.before.is_none_or(|b| d.number < b))
            .collect();
        rows.sort_by_key(|d| std::cmp::Reverse(d.number));
        Ok(rows
            .into_iter()
            .take(page.limit as usize)
            .cloned()
            .collect())
    }

    async fn transition_deployment(
        &self,
        scope: &Scope,
        id: DeploymentId,
        from: DeploymentStatus,
        update: DeploymentUpdate,
    ) -> Result<Deployment> {
        let mut state = self.state();
        let current = state.deployment(scope, id, Action::Deploy)?;
        if current.status != from {
            return Err(Error::conflict(format!(
                "deployment #{} is {}, not {from}",
                current.number, current.status
            )));
        }
        if !from.can_transition_to(update.status) {
            return Err(Error::conflict(format!(
                "a deployment cannot go from {from} to {}",
                update.status
            )));
        }
        let now = Utc::now();
        if update.status == DeploymentStatus::Live && from != DeploymentStatus::Live {
            // At most one live deployment per app: the one it replaces goes
            // in the same write.
            let reason = format!("replaced by deployment #{}", current.number);
            let app = current.app_id;
            let others: Vec<DeploymentId> = state
                .deployments
                .values()
                .filter(|d| d.app_id == app && d.id != id && d.status == DeploymentStatus::Live)
                .map(|d| d.id)
                .collect();
            for other in others {
                if let Some(previous) = state.deployments.get_mut(&other) {
                    let replaced =
                        DeploymentUpdate::to(DeploymentStatus::Replaced).reason(reason.clone());
                    previous.apply_update(replaced, now);
                }
            }
        }
        let deployment = state
            .deployments
            .get_mut(&id)
            .ok_or_else(|| Error::not_found(format!("deployment {id}")))?;
        deployment.apply_update(update, now);
        Ok(deployment.clone())
    }

    async fn take_next_queued(&self, scope: &Scope, app: AppId) -> Result<Option<TakenDeployment>> {
        let mut state = self.state();
        state.app(scope, app, Action::Deploy)?;
        let mut queued: Vec<(u64, DeploymentId)> = state
            .deployments
            .values()
            .filter(|d| d.app_id == app && d.status == DeploymentStatus::Queued)
            .map(|d| (d.number, d.id))
            .collect();
        queued.sort_unstable();
        let Some((number, newest)) = queued.pop() else {
            return Ok(None);
        };
        let now = Utc::now();
        let mut superseded = Vec::with_capacity(queued.len());
        for (_, id) in queued {
            if let Some(older) = state.deployments.get_mut(&id) {
                let update = DeploymentUpdate::to(DeploymentStatus::Superseded)
                    .reason(format!("superseded by deployment #{number}"));
                older.apply_update(update, now);
                superseded.push(older.clone());
            }
        }
        let deployment = state
            .deployments
            .get(&newest)
            .cloned()
            .ok_or_else(|| Error::internal(format!("deployment {newest} vanished")))?;
        Ok(Some(TakenDeployment {
            deployment,
            superseded,
        }))
    }

    async fn list_unfinished(&self, scope: &Scope) -> Result<Vec<Deployment>> {
        let state = self.state();
        Ok(state
            .deployments
            .ordered(|d| {
                scope.sees(d.team_id)
                    && (d.status == DeploymentStatus::Queued || d.status.is_in_flight())
            })
            .into_iter()
            .cloned()
            .collect())
    }

    /// The app's `Live` deployment; if two are live for a moment (the
    /// engine marks the new one live before the old one replaced), the
    /// newer.
    async fn live_deployment(&self, scope: &Scope, app: AppId) -> Result<Option<Deployment>> {
        let state = self.state();
        state.app(scope, app, Action::Read)?;
        Ok(state
            .deployments
            .values()
            .filter(|d| d.app_id == app && d.status == DeploymentStatus::Live)
            .max_by_key(|d| d.number)
            .cloned())
    }
}

#[async_trait]
impl LogRepo for MemoryStore {
    async fn append_logs(
        &self,
        scope: &Scope,
        deployment: DeploymentId,
        lines: Vec<NewLogLine>,
    ) -> Result<Vec<LogLine>> {
        let mut state = self.state();
        state.deployment(scope, deployment, Action::Deploy)?;
        let log = state.logs.entry(deployment).or_default();
        let first = log.len() as u64 + 1;
        let stored: Vec<LogLine> = lines
            .into_iter()
            .zip(first..)
            .map(|(line, seq)| LogLine {
                deployment_id: deployment,
                seq,
                at: line.at,
                step: line.step,
                stream: line.stream,
                text: line.text,
            })
            .collect();
        log.extend(stored.iter().cloned());
        Ok(stored)
    }

    async fn read_logs(
        &self,
        scope: &Scope,
        deployment: DeploymentId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<LogLine>> {
        let state = self.state();
        state.deployment(scope, deployment, Action::Read)?;
        let Some(log) = state.logs.get(&deployment) else {
            return Ok(Vec::new());
        };
        let start = log.partition_point(|l| l.seq <= after);
        Ok(log[start..].iter().take(limit as usize).cloned().collect())
    }
}
