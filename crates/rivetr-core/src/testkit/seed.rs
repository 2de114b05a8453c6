//! Fixtures for tests that need a team, a project and an app in a store.

use crate::access::Scope;
use crate::model::{App, AppSpec, Environment, NewApp, NewProject, NewUser, Project, Team, User};
use crate::store::Store;

/// What [`team_with_project`] created.
#[derive(Clone, Debug)]
pub struct Seeded {
    /// The team's owner.
    pub owner: User,
    /// The team.
    pub team: Team,
    /// The owner acting in the team.
    pub scope: Scope,
    /// A project of the team.
    pub project: Project,
    /// The project's `production` environment.
    pub environment: Environment,
}

/// Create an owner (`email`), their team and a project with its
/// `production` environment. Panics (it is a test fixture) when the store
/// refuses.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use rivetr_core::memory::MemoryStore;
/// use rivetr_core::testkit::seed;
///
/// let store = MemoryStore::new();
/// let seeded = seed::team_with_project(&store, "ops@example.com").await;
/// assert_eq!(seeded.environment.name.as_str(), "production");
/// # });
/// ```
pub async fn team_with_project<S: Store + ?Sized>(store: &S, email: &str) -> Seeded {
    let system = Scope::system();
    let fail = |what: &str, e: crate::Error| -> ! { panic!("testkit seed: {what}: {e}") };
    let parse = |what: &str, s: &str| -> crate::input::DisplayName {
        s.parse()
            .unwrap_or_else(|e| panic!("testkit seed: {what} {s:?}: {e}"))
    };
    let owner = store
        .create_user(
            &system,
            NewUser {
                email: email
                    .parse()
                    .unwrap_or_else(|e| panic!("testkit seed: email {email:?}: {e}")),
                name: parse("name", "Owner"),
                instance_admin: false,
            },
        )
        .await
        .unwrap_or_else(|e| fail("create_user", e));
    let team = store
        .create_team(&system, parse("team", "Team"), owner.id)
        .await
        .unwrap_or_else(|e| fail("create_team", e));
    let scope = store
        .scope_for(owner.id, team.id)
        .await
        .unwrap_or_else(|e| fail("scope_for", e));
    let project = store
        .create_project(
            &scope,
            NewProject {
                team_id: team.id,
                name: parse("project", "Project"),
            },
        )
        .await
        .unwrap_or_else(|e| fail("create_project", e));
    let environment = store
        .list_environments(&scope, project.id)
        .await
        .unwrap_or_else(|e| fail("list_environments", e))
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("testkit seed: a new project has its production environment"));
    Seeded {
        owner,
        team,
        scope,
        project,
        environment,
    }
}

impl Seeded {
    /// Create an app named `name` with `spec` in the seeded environment.
    pub async fn app<S: Store + ?Sized>(&self, store: &S, name: &str, spec: AppSpec) -> App {
        store
            .create_app(
                &self.scope,
                NewApp {
                    environment_id: self.environment.id,
                    name: name
                        .parse()
                        .unwrap_or_else(|e| panic!("testkit seed: app name {name:?}: {e}")),
                    spec,
                },
            )
            .await
            .unwrap_or_else(|e| panic!("testkit seed: create_app: {e}"))
    }
}
