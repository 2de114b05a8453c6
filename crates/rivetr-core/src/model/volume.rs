//! Named volumes owned by apps.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{AppId, TeamId, VolumeId};
use crate::input::{ContainerPath, VolumeName};

/// A named, persistent volume that an app mounts. The record outlives
/// deployments: redeploying mounts the same data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Volume {
    /// Identity.
    pub id: VolumeId,
    /// Owning team.
    pub team_id: TeamId,
    /// The app that mounts it.
    pub app_id: AppId,
    /// Runtime name of the volume, unique on the instance.
    pub name: VolumeName,
    /// Where it is mounted in the app's containers.
    pub mount_path: ContainerPath,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// What it takes to create a [`Volume`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewVolume {
    /// The app that mounts it.
    pub app_id: AppId,
    /// Runtime name, unique on the instance.
    pub name: VolumeName,
    /// Where it is mounted.
    pub mount_path: ContainerPath,
}
