//! Teams' sealed credentials.

use async_trait::async_trait;
use chrono::Utc;

use super::{MemoryStore, Owned, authorize};
use crate::access::Scope;
use crate::error::Result;
use crate::id::{CredentialId, TeamId};
use crate::model::{Action, Credential, NewCredential};
use crate::store::SecretRepo;

impl Owned for Credential {
    fn team(&self) -> TeamId {
        self.team_id
    }
}

/// A credential as `scope` may see it: the value only with
/// `RevealSecrets` (always for the system).
fn as_seen_by(scope: &Scope, credential: &Credential) -> Credential {
    let mut credential = credential.clone();
    if !scope.allows(credential.team_id, Action::RevealSecrets) {
        credential.value = None;
    }
    credential
}

#[async_trait]
impl SecretRepo for MemoryStore {
    async fn put_credential(&self, scope: &Scope, new: NewCredential) -> Result<Credential> {
        let mut state = self.state();
        state.team(scope, new.team_id, Action::ManageApps)?;
        let now = Utc::now();
        let existing = state
            .platform
            .credentials
            .values_mut()
            .find(|c| c.team_id == new.team_id && c.name == new.name);
        if let Some(credential) = existing {
            credential.kind = new.kind;
            credential.value = Some(new.value);
            credential.updated_at = now;
            return Ok(as_seen_by(scope, credential));
        }
        let credential = Credential {
            id: CredentialId::new(),
            team_id: new.team_id,
            name: new.name,
            kind: new.kind,
            value: Some(new.value),
            created_at: now,
            updated_at: now,
        };
        let seen = as_seen_by(scope, &credential);
        let seq = state.next_seq();
        state
            .platform
            .credentials
            .insert(seq, credential.id, credential);
        Ok(seen)
    }

    async fn list_credentials(&self, scope: &Scope) -> Result<Vec<Credential>> {
        let state = self.state();
        Ok(state
            .platform
            .credentials
            .ordered(|c| scope.sees(c.team_id))
            .into_iter()
            .map(|c| as_seen_by(scope, c))
            .collect())
    }

    async fn get_credential(&self, scope: &Scope, id: CredentialId) -> Result<Credential> {
        let state = self.state();
        let credential = authorize(
            scope,
            state.platform.credentials.get(&id),
            Action::Read,
            || format!("credential {id}"),
        )?;
        Ok(as_seen_by(scope, credential))
    }

    async fn delete_credential(&self, scope: &Scope, id: CredentialId) -> Result<()> {
        let mut state = self.state();
        authorize(
            scope,
            state.platform.credentials.get(&id),
            Action::ManageApps,
            || format!("credential {id}"),
        )?;
        state.platform.credentials.remove(&id);
        Ok(())
    }
}
