//! `DomainRepo` on SQL (in progress).

#![allow(unused_imports)]

use async_trait::async_trait;
use rivetr_core::access::Scope;
use rivetr_core::error::Result;
use rivetr_core::id::{AppId, DomainId, VolumeId};
use rivetr_core::input::EnvKey;
use rivetr_core::model::{Domain, EnvVar, NewDomain, NewEnvVar, NewVolume, Volume};
use rivetr_core::store::DomainRepo;

use super::pending;
use crate::SqlStore;

#[async_trait]
impl DomainRepo for SqlStore {
    async fn add_domain(&self, _scope: &Scope, _new: NewDomain) -> Result<Domain> {
        Err(pending())
    }

    async fn list_domains(&self, _scope: &Scope, _app: Option<AppId>) -> Result<Vec<Domain>> {
        Err(pending())
    }

    async fn remove_domain(&self, _scope: &Scope, _id: DomainId) -> Result<()> {
        Err(pending())
    }
}
