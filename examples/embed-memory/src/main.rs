//! Embed Rivetr's deploy engine in a page of code.
//!
//! Everything here runs in memory: a store, a container runtime, a git
//! source, a Dockerfile builder and a route table. Swap any of them for a
//! real implementation (`rivetr-store`, `rivetr-runtime`, `rivetr-proxy`) and
//! the engine code stays the same.
//!
//! Run it with `cargo run -p example-embed-memory`.
#![allow(clippy::print_stdout, reason = "an example prints its progress")]

use std::error::Error;
use std::sync::Arc;

use rivetr_core::access::Scope;
use rivetr_core::engine::Engine;
use rivetr_core::memory::{
    MemoryBuilder, MemoryRouteTable, MemoryRuntime, MemorySource, MemoryStore,
};
use rivetr_core::model::{
    AppSpec, DeploymentStatus, Event, NewApp, NewDomain, NewProject, NewUser, Trigger,
};
use rivetr_core::route::RouteTable;
use rivetr_core::store::{AppRepo, DomainRepo, ProjectRepo, TeamRepo, UserRepo};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // 1. The parts. Each is an `Arc<dyn Trait>` as far as the engine knows.
    let store = MemoryStore::new();
    let runtime = MemoryRuntime::new();
    let source = MemorySource::new();
    let routes = MemoryRouteTable::new();

    // 2. A user, a team, a project and an app built from a git repository.
    let system = Scope::system();
    let owner = store
        .create_user(
            &system,
            NewUser {
                email: "ada@example.com".parse()?,
                name: "Ada".parse()?,
                instance_admin: true,
            },
        )
        .await?;
    let team = store
        .create_team(&system, "Acme".parse()?, owner.id)
        .await?;
    let scope = store.scope_for(owner.id, team.id).await?;
    let project = store
        .create_project(
            &scope,
            NewProject {
                team_id: team.id,
                name: "Shop".parse()?,
            },
        )
        .await?;
    let production = store.list_environments(&scope, project.id).await?.remove(0);

    let url = "https://git.example.com/acme/shop.git".parse()?;
    let branch = "main".parse()?;
    source.insert_git(
        &url,
        &branch,
        [(
            "Dockerfile".to_owned(),
            b"FROM scratch\nCOPY index.html /\nLABEL log=hello\n".to_vec(),
        )],
    );
    let mut spec = AppSpec::from_git(url, branch);
    spec.run.port = Some("8080".parse()?);
    let app = store
        .create_app(
            &scope,
            NewApp {
                environment_id: production.id,
                name: "shop".parse()?,
                spec,
            },
        )
        .await?;
    store
        .add_domain(
            &scope,
            NewDomain {
                app_id: app.id,
                host: "shop.example.com".parse()?,
                force_https: true,
                redirect_to: None,
                basic_auth: None,
            },
        )
        .await?;

    // 3. The engine.
    let engine = Engine::builder(
        Arc::new(store.clone()),
        Arc::new(runtime.clone()),
        Arc::new(routes.clone()),
    )
    .source(Arc::new(source))
    .builder(Arc::new(MemoryBuilder::new(runtime)))
    .start()
    .await?;

    // 4. Deploy, and follow along.
    let mut events = engine.subscribe();
    // `deploy` returns at once with the queued deployment; its `Queued`
    // event is already on the channel.
    let deployment = engine.deploy(&scope, app.id, Trigger::Manual).await?;
    loop {
        let event = match events.recv().await {
            Ok(event) => event,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(closed) => return Err(closed.into()),
        };
        match event {
            Event::DeploymentLog { line, .. } if line.deployment_id == deployment.id => {
                println!("  | {}", line.text);
            }
            Event::DeploymentChanged {
                deployment_id,
                status,
                reason,
                ..
            } if deployment_id == deployment.id => {
                println!("deployment #{} {status}", deployment.number);
                if status == DeploymentStatus::Live {
                    break;
                }
                if status.is_terminal() {
                    return Err(format!(
                        "deployment ended {status}: {}",
                        reason.unwrap_or_default()
                    )
                    .into());
                }
            }
            _ => {}
        }
    }

    // 5. The proxy now sends shop.example.com to the new container.
    let resolved = routes
        .resolve(&"shop.example.com".parse()?)
        .ok_or("no route")?;
    let upstreams: Vec<String> = resolved
        .upstreams
        .iter()
        .map(|u| u.addr.to_string())
        .collect();
    println!("shop.example.com → {}", upstreams.join(", "));

    engine.shutdown().await;
    Ok(())
}
