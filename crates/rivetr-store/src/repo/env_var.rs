//! `EnvVarRepo` on SQL (in progress).

#![allow(unused_imports)]

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::Result;
use rivetr_core::id::{AppId, DomainId, VolumeId};
use rivetr_core::input::EnvKey;
use rivetr_core::model::{Domain, EnvVar, NewDomain, NewEnvVar, NewVolume, Volume};
use rivetr_core::store::EnvVarRepo;

use super::pending;
use crate::SqlStore;

#[async_trait]
impl EnvVarRepo for SqlStore {
    async fn set_env_var(&self, _scope: &Scope, _new: NewEnvVar) -> Result<EnvVar> {
        Err(pending())
    }

    async fn list_env_vars(&self, _scope: &Scope, _app: AppId) -> Result<Vec<EnvVar>> {
        Err(pending())
    }

    async fn delete_env_var(&self, _scope: &Scope, _app: AppId, _key: &EnvKey) -> Result<()> {
        Err(pending())
    }
}
