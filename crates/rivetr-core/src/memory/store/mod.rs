//! [`MemoryStore`]: every repository trait of [`Store`] kept in memory.
//!
//! All state sits behind one [`Mutex`] that is never held across an
//! `.await` (the methods are `async` only because the traits are), so every
//! call is atomic: a multi-row write (a project with its first environment,
//! superseding queued deployments, a cascading delete) is seen whole or not
//! at all.

mod audit;
mod certificate;
mod config;
mod deployment;
mod identity;
mod invitation;
mod job;
mod notification;
mod platform;
mod project;
mod secret;
mod session;
mod settings;
mod sign_in;
mod webhook;

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::access::Scope;
use crate::error::{Error, Result};
use crate::id::{
    AppId, DeploymentId, DomainId, EnvVarId, EnvironmentId, ProjectId, TeamId, TokenId, UserId,
    VolumeId,
};
use crate::model::{
    Action, ApiToken, App, Deployment, Domain, EnvVar, Environment, LogLine, Membership, Project,
    Team, User, Volume,
};
use crate::store::{Store, StoreCapabilities};

/// Rivetr's state in memory: a real [`Store`] that keeps the same contracts
/// as the durable ones (it passes `rivetr_core::testkit::store::conformance`)
/// but forgets everything when the last handle is dropped.
///
/// Cloning gives another handle to the same state, so two engine instances
/// can share one store (a "restart" in tests).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use rivetr_core::access::Scope;
/// use rivetr_core::memory::MemoryStore;
/// use rivetr_core::model::NewUser;
/// use rivetr_core::store::{Store, UserRepo};
///
/// let store = MemoryStore::new();
/// let handle = store.clone();
/// let new = NewUser {
///     email: "ada@example.com".parse().unwrap(),
///     name: "Ada".parse().unwrap(),
///     instance_admin: true,
/// };
/// store.create_user(&Scope::system(), new).await.unwrap();
/// assert_eq!(handle.count_users(&Scope::system()).await.unwrap(), 1);
/// assert!(!store.capabilities().durable);
/// # });
/// ```
#[derive(Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The state, locked. A panic in another thread while holding the lock
    /// cannot leave a half-done write behind (every write checks first and
    /// mutates last), so a poisoned lock is simply taken over.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("MemoryStore")
            .field("users", &state.users.len())
            .field("teams", &state.teams.len())
            .field("projects", &state.projects.len())
            .field("apps", &state.apps.len())
            .field("deployments", &state.deployments.len())
            .finish_non_exhaustive()
    }
}

impl Store for MemoryStore {
    fn capabilities(&self) -> StoreCapabilities {
        StoreCapabilities::volatile()
    }
}

/// Rows keyed by id, remembering insertion order (for "ordered by
/// creation").
struct Table<K, V> {
    rows: HashMap<K, (u64, V)>,
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Self {
            rows: HashMap::new(),
        }
    }
}

impl<K: Eq + Hash, V> Table<K, V> {
    fn insert(&mut self, seq: u64, key: K, value: V) {
        self.rows.insert(key, (seq, value));
    }

    fn get(&self, key: &K) -> Option<&V> {
        self.rows.get(key).map(|(_, v)| v)
    }

    fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.rows.get_mut(key).map(|(_, v)| v)
    }

    fn remove(&mut self, key: &K) -> Option<V> {
        self.rows.remove(key).map(|(_, v)| v)
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    fn values(&self) -> impl Iterator<Item = &V> {
        self.rows.values().map(|(_, v)| v)
    }

    fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.rows.values_mut().map(|(_, v)| v)
    }

    /// Rows matching `keep`, in insertion order.
    fn ordered(&self, mut keep: impl FnMut(&V) -> bool) -> Vec<&V> {
        let mut rows: Vec<_> = self.rows.values().filter(|(_, v)| keep(v)).collect();
        rows.sort_by_key(|(seq, _)| *seq);
        rows.into_iter().map(|(_, v)| v).collect()
    }

    fn retain(&mut self, mut keep: impl FnMut(&V) -> bool) {
        self.rows.retain(|_, (_, v)| keep(v));
    }
}

/// Everything the store holds.
#[derive(Default)]
struct State {
    seq: u64,
    users: Table<UserId, User>,
    teams: Table<TeamId, Team>,
    members: Table<(TeamId, UserId), Membership>,
    tokens: Table<TokenId, ApiToken>,
    projects: Table<ProjectId, Project>,
    environments: Table<EnvironmentId, Environment>,
    apps: Table<AppId, App>,
    deployments: Table<DeploymentId, Deployment>,
    /// The last deployment number handed out per app.
    numbers: HashMap<AppId, u64>,
    logs: HashMap<DeploymentId, Vec<LogLine>>,
    env_vars: Table<EnvVarId, EnvVar>,
    domains: Table<DomainId, Domain>,
    volumes: Table<VolumeId, Volume>,
    /// The platform repositories' tables.
    platform: platform::Platform,
}

/// A row that belongs to one team.
trait Owned {
    fn team(&self) -> TeamId;
}

macro_rules! owned {
    ($($ty:ty => |$row:ident| $team:expr),* $(,)?) => {
        $(impl Owned for $ty {
            fn team(&self) -> TeamId {
                let $row = self;
                $team
            }
        })*
    };
}

owned!(
    Team => |t| t.id,
    Project => |p| p.team_id,
    Environment => |e| e.team_id,
    App => |a| a.team_id,
    Deployment => |d| d.team_id,
    Domain => |d| d.team_id,
    Volume => |v| v.team_id,
);

/// `row` if `scope` sees it and may do `action` to it. A missing row and
/// another team's row are both `NotFound` (named by `what`), so existence
/// does not leak; a visible row the role may not touch is
/// `PermissionDenied`.
fn authorize<'a, T: Owned>(
    scope: &Scope,
    row: Option<&'a T>,
    action: Action,
    what: impl FnOnce() -> String,
) -> Result<&'a T> {
    match row {
        Some(row) if scope.sees(row.team()) => {
            scope.check(row.team(), action)?;
            Ok(row)
        }
        _ => Err(Error::not_found(what())),
    }
}

impl State {
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn team(&self, scope: &Scope, id: TeamId, action: Action) -> Result<&Team> {
        authorize(scope, self.teams.get(&id), action, || format!("team {id}"))
    }

    fn project(&self, scope: &Scope, id: ProjectId, action: Action) -> Result<&Project> {
        authorize(scope, self.projects.get(&id), action, || {
            format!("project {id}")
        })
    }

    fn environment(
        &self,
        scope: &Scope,
        id: EnvironmentId,
        action: Action,
    ) -> Result<&Environment> {
        authorize(scope, self.environments.get(&id), action, || {
            format!("environment {id}")
        })
    }

    fn app(&self, scope: &Scope, id: AppId, action: Action) -> Result<&App> {
        authorize(scope, self.apps.get(&id), action, || format!("app {id}"))
    }

    fn deployment(&self, scope: &Scope, id: DeploymentId, action: Action) -> Result<&Deployment> {
        authorize(scope, self.deployments.get(&id), action, || {
            format!("deployment {id}")
        })
    }

    /// Remove an app and every row that hangs off it.
    fn delete_app_rows(&mut self, app: AppId) {
        self.apps.remove(&app);
        self.numbers.remove(&app);
        let logs = &mut self.logs;
        self.deployments.retain(|d| {
            let keep = d.app_id != app;
            if !keep {
                logs.remove(&d.id);
            }
            keep
        });
        self.env_vars.retain(|v| v.app_id != app);
        self.domains.retain(|d| d.app_id != app);
        self.volumes.retain(|v| v.app_id != app);
        self.platform.delete_app_rows(app);
    }

    /// Remove a team and everything it owns.
    fn delete_team_rows(&mut self, team: TeamId) {
        let apps: Vec<AppId> = self
            .apps
            .values()
            .filter(|a| a.team_id == team)
            .map(|a| a.id)
            .collect();
        for app in apps {
            self.delete_app_rows(app);
        }
        self.environments.retain(|e| e.team_id != team);
        self.projects.retain(|p| p.team_id != team);
        self.tokens.retain(|t| t.team_id != team);
        self.members.retain(|m| m.team_id != team);
        self.platform.delete_team_rows(team);
        self.teams.remove(&team);
    }
}

#[cfg(all(test, feature = "testkit"))]
mod platform_tests;
#[cfg(test)]
mod tests;
