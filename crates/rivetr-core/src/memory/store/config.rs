//! Env vars, domains and volume records.

use async_trait::async_trait;
use chrono::Utc;

use super::{MemoryStore, authorize};
use crate::access::Scope;
use crate::error::{Error, Result};
use crate::id::{AppId, DomainId, EnvVarId, VolumeId};
use crate::input::EnvKey;
use crate::model::{Action, Domain, EnvVar, NewDomain, NewEnvVar, NewVolume, Volume};
use crate::store::{DomainRepo, EnvVarRepo, VolumeRepo};

/// An env var as `scope` may see it: a secret's value only with
/// `RevealSecrets`.
fn as_seen_by(scope: &Scope, var: &EnvVar) -> EnvVar {
    let mut var = var.clone();
    if var.secret && !scope.allows(var.team_id, Action::RevealSecrets) {
        var.value = None;
    }
    var
}

#[async_trait]
impl EnvVarRepo for MemoryStore {
    async fn set_env_var(&self, scope: &Scope, new: NewEnvVar) -> Result<EnvVar> {
        let mut state = self.state();
        let team_id = state.app(scope, new.app_id, Action::ManageApps)?.team_id;
        let now = Utc::now();
        let existing = state
            .env_vars
            .values_mut()
            .find(|v| v.app_id == new.app_id && v.key == new.key);
        if let Some(var) = existing {
            var.value = Some(new.value);
            var.secret = new.secret;
            var.updated_at = now;
            return Ok(as_seen_by(scope, var));
        }
        let var = EnvVar {
            id: EnvVarId::new(),
            team_id,
            app_id: new.app_id,
            key: new.key,
            value: Some(new.value),
            secret: new.secret,
            updated_at: now,
        };
        let seen = as_seen_by(scope, &var);
        let seq = state.next_seq();
        state.env_vars.insert(seq, var.id, var);
        Ok(seen)
    }

    async fn list_env_vars(&self, scope: &Scope, app: AppId) -> Result<Vec<EnvVar>> {
        let state = self.state();
        state.app(scope, app, Action::Read)?;
        let mut vars: Vec<EnvVar> = state
            .env_vars
            .values()
            .filter(|v| v.app_id == app)
            .map(|v| as_seen_by(scope, v))
            .collect();
        vars.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(vars)
    }

    async fn delete_env_var(&self, scope: &Scope, app: AppId, key: &EnvKey) -> Result<()> {
        let mut state = self.state();
        state.app(scope, app, Action::ManageApps)?;
        let id = state
            .env_vars
            .values()
            .find(|v| v.app_id == app && &v.key == key)
            .map(|v| v.id)
            .ok_or_else(|| Error::not_found(format!("env var {key} of this app")))?;
        state.env_vars.remove(&id);
        Ok(())
    }
}

#[async_trait]
impl DomainRepo for MemoryStore {
    async fn add_domain(&self, scope: &Scope, new: NewDomain) -> Result<Domain> {
        let mut state = self.state();
        let team_id = state.app(scope, new.app_id, Action::ManageApps)?.team_id;
        // Host patterns are normalised (lowercase) when parsed.
        if state.domains.values().any(|d| d.host == new.host) {
            return Err(Error::conflict(format!(
                "domain {} is already attached to an app",
                new.host
            )));
        }
        let domain = Domain {
            id: DomainId::new(),
            team_id,
            app_id: new.app_id,
            host: new.host,
            force_https: new.force_https,
            redirect_to: new.redirect_to,
            basic_auth: new.basic_auth,
            created_at: Utc::now(),
        };
        let seq = state.next_seq();
        state.domains.insert(seq, domain.id, domain.clone());
        Ok(domain)
    }

    async fn list_domains(&self, scope: &Scope, app: Option<AppId>) -> Result<Vec<Domain>> {
        let state = self.state();
        if let Some(app) = app {
            state.app(scope, app, Action::Read)?;
        }
        Ok(state
            .domains
            .ordered(|d| scope.sees(d.team_id) && app.is_none_or(|a| d.app_id == a))
            .into_iter()
            .cloned()
            .collect())
    }

    async fn remove_domain(&self, scope: &Scope, id: DomainId) -> Result<()> {
        let mut state = self.state();
        authorize(scope, state.domains.get(&id), Action::ManageApps, || {
            format!("domain {id}")
        })?;
        state.domains.remove(&id);
        Ok(())
    }
}

#[async_trait]
impl VolumeRepo for MemoryStore {
    async fn create_volume(&self, scope: &Scope, new: NewVolume) -> Result<Volume> {
        let mut state = self.state();
        let team_id = state.app(scope, new.app_id, Action::ManageApps)?.team_id;
        if state.volumes.values().any(|v| v.name == new.name) {
            return Err(Error::conflict(format!(
                "volume \"{}\" already exists on this instance",
                new.name
            )));
        }
        let volume = Volume {
            id: VolumeId::new(),
            team_id,
            app_id: new.app_id,
            name: new.name,
            mount_path: new.mount_path,
            created_at: Utc::now(),
        };
        let seq = state.next_seq();
        state.volumes.insert(seq, volume.id, volume.clone());
        Ok(volume)
    }

    async fn list_volumes(&self, scope: &Scope, app: AppId) -> Result<Vec<Volume>> {
        let state = self.state();
        state.app(scope, app, Action::Read)?;
        Ok(state
            .volumes
            .ordered(|v| v.app_id == app)
            .into_iter()
            .cloned()
            .collect())
    }

    async fn delete_volume(&self, scope: &Scope, id: VolumeId) -> Result<()> {
        let mut state = self.state();
        authorize(scope, state.volumes.get(&id), Action::ManageApps, || {
            format!("volume {id}")
        })?;
        state.volumes.remove(&id);
        Ok(())
    }
}
