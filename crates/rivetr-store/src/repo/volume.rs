//! `VolumeRepo` on SQL (in progress).

#![allow(unused_imports)]

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::Result;
use rivetr_core::id::{AppId, DomainId, VolumeId};
use rivetr_core::input::EnvKey;
use rivetr_core::model::{Domain, EnvVar, NewDomain, NewEnvVar, NewVolume, Volume};
use rivetr_core::store::VolumeRepo;

use super::pending;
use crate::SqlStore;

#[async_trait]
impl VolumeRepo for SqlStore {
    async fn create_volume(&self, _scope: &Scope, _new: NewVolume) -> Result<Volume> {
        Err(pending())
    }

    async fn list_volumes(&self, _scope: &Scope, _app: AppId) -> Result<Vec<Volume>> {
        Err(pending())
    }

    async fn delete_volume(&self, _scope: &Scope, _id: VolumeId) -> Result<()> {
        Err(pending())
    }
}
