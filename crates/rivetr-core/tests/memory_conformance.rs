//! Every conformance suite against the in-memory parts, once with the
//! concrete types and once through `Arc<dyn Trait>`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]

use std::sync::Arc;

use rivetr_core::builder::Builder;
use rivetr_core::id::UploadId;
use rivetr_core::input::ImageRef;
use rivetr_core::memory::{
    ImageBehavior, MemoryBuilder, MemoryNotifier, MemoryRouteTable, MemoryRuntime, MemorySource,
};
use rivetr_core::model::SourceSpec;
use rivetr_core::notifier::Notifier;
use rivetr_core::route::RouteTable;
use rivetr_core::runtime::ContainerRuntime;
use rivetr_core::source::{SourceFetcher, SourceTree};
use rivetr_core::testkit;
use rivetr_core::testkit::runtime::RuntimeFixture;

fn fixture(runtime: &MemoryRuntime) -> RuntimeFixture {
    let image: ImageRef = "busybox-httpd:conformance".parse().unwrap();
    runtime.add_image(&image, ImageBehavior::default());
    let network = format!("rivetr-{}", uuid_like());
    let mut fixture = RuntimeFixture::new(image, "8080".parse().unwrap(), network);
    fixture.exec_command = Some(vec!["cat".to_owned()].try_into().unwrap());
    fixture
}

fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}-{nanos}", std::process::id())
}

#[tokio::test]
async fn runtime_concrete() {
    let runtime = MemoryRuntime::new();
    let fixture = fixture(&runtime);
    testkit::runtime::conformance(&runtime, &fixture).await;
    assert!(runtime.containers().is_empty(), "the suite cleans up");
    assert_eq!(runtime.images(), std::slice::from_ref(&fixture.image));
    assert_eq!(runtime.networks(), std::slice::from_ref(&fixture.network));
}

#[tokio::test]
async fn runtime_dyn() {
    let memory = MemoryRuntime::new();
    let fixture = fixture(&memory);
    let runtime: Arc<dyn ContainerRuntime> = Arc::new(memory);
    testkit::runtime::conformance(runtime.as_ref(), &fixture).await;
}

#[tokio::test]
async fn runtime_without_exec_command() {
    let runtime = MemoryRuntime::new();
    let mut fixture = fixture(&runtime);
    fixture.exec_command = None;
    testkit::runtime::conformance(&runtime, &fixture).await;
}

fn source() -> (MemorySource, Vec<(SourceSpec, SourceSpec)>) {
    let source = MemorySource::new();
    let url = "https://git.example.test/acme/shop.git".parse().unwrap();
    let files = [
        ("Dockerfile".to_owned(), b"FROM scratch\n".to_vec()),
        ("src/index.html".to_owned(), b"<h1>shop</h1>\n".to_vec()),
    ];
    source.insert_git(&url, &"main".parse().unwrap(), files.clone());
    let uploaded = UploadId::new();
    source.insert_archive(uploaded, files);
    let git = |reference: &str| SourceSpec::Git {
        url: url.clone(),
        reference: reference.parse().unwrap(),
        watch_paths: Vec::new(),
    };
    let archive = |upload: UploadId| SourceSpec::Archive { upload };
    let other_repo = SourceSpec::Git {
        url: "https://git.example.test/acme/none.git".parse().unwrap(),
        reference: "main".parse().unwrap(),
        watch_paths: Vec::new(),
    };
    let cases = vec![
        (git("main"), git("no-such-branch")),
        (git("main"), other_repo),
        (archive(uploaded), archive(UploadId::new())),
    ];
    (source, cases)
}

#[tokio::test]
async fn source_concrete() {
    let (source, cases) = source();
    for (supported, missing) in &cases {
        testkit::source::conformance(&source, supported, missing).await;
    }
    let image = SourceSpec::Image {
        image: "nginx:1".parse().unwrap(),
    };
    assert!(!source.supports(&image));
}

#[tokio::test]
async fn source_dyn() {
    let (source, cases) = source();
    let source: Arc<dyn SourceFetcher> = Arc::new(source);
    for (supported, missing) in &cases {
        testkit::source::conformance(source.as_ref(), supported, missing).await;
    }
}

fn trees() -> (tempfile::TempDir, SourceTree, SourceTree) {
    let dir = tempfile::tempdir().unwrap();
    let (good, bad) = (dir.path().join("good"), dir.path().join("bad"));
    std::fs::create_dir_all(&good).unwrap();
    std::fs::create_dir_all(&bad).unwrap();
    let dockerfile = "FROM scratch\nCOPY busybox /bin/busybox\nLABEL log=listening\n\
                      CMD [\"/bin/busybox\", \"httpd\", \"-f\"]\n";
    std::fs::write(good.join("Dockerfile"), dockerfile).unwrap();
    std::fs::write(bad.join("index.html"), "<h1>no Dockerfile</h1>").unwrap();
    let tree = |root| SourceTree { root, commit: None };
    (dir, tree(good), tree(bad))
}

#[tokio::test]
async fn builder_concrete() {
    let runtime = MemoryRuntime::new();
    let builder = MemoryBuilder::new(runtime.clone());
    let (_dir, good, bad) = trees();
    let image = "shop:build-1".parse().unwrap();
    testkit::builder::conformance(&builder, &good, &bad, &image, &runtime).await;
}

#[tokio::test]
async fn builder_dyn() {
    let runtime = MemoryRuntime::new();
    let builder: Arc<dyn Builder> = Arc::new(MemoryBuilder::new(runtime.clone()));
    let runtime: Arc<dyn ContainerRuntime> = Arc::new(runtime);
    let (_dir, good, bad) = trees();
    let image = "shop:build-2".parse().unwrap();
    testkit::builder::conformance(builder.as_ref(), &good, &bad, &image, runtime.as_ref()).await;
}

#[tokio::test]
async fn route_concrete() {
    let table = MemoryRouteTable::new();
    testkit::route::conformance(&table).await;
    testkit::route::drain_conformance(&table, |host| {
        table.hold(host).map(|held| Box::new(held) as Box<dyn Send>)
    })
    .await;
    assert!(table.snapshot_apps().is_empty(), "the suites clean up");
    assert_eq!(table.in_flight(), 0);
}

#[tokio::test]
async fn route_dyn() {
    let memory = MemoryRouteTable::new();
    let table: Arc<dyn RouteTable> = Arc::new(memory.clone());
    testkit::route::conformance(table.as_ref()).await;
    testkit::route::drain_conformance(table.as_ref(), |host| {
        memory
            .hold(host)
            .map(|held| Box::new(held) as Box<dyn Send>)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_suites_share_a_table() {
    let table = MemoryRouteTable::new();
    let (a, b) = (table.clone(), table.clone());
    let first = tokio::spawn(async move { testkit::route::conformance(&a).await });
    let second = tokio::spawn(async move { testkit::route::conformance(&b).await });
    first.await.unwrap();
    second.await.unwrap();
}

#[tokio::test]
async fn notifier_concrete() {
    let notifier = MemoryNotifier::new();
    testkit::notifier::conformance(&notifier).await;
    let sent = notifier.wait_for(3).await;
    assert!(
        sent.iter()
            .all(|n| n.title.starts_with("Rivetr conformance"))
    );
}

#[tokio::test]
async fn notifier_dyn() {
    let memory = MemoryNotifier::new();
    let notifier: Arc<dyn Notifier> = Arc::new(memory.clone());
    testkit::notifier::conformance(notifier.as_ref()).await;
    assert_eq!(memory.sent().len(), 3);
}

#[tokio::test]
async fn a_broken_runtime_fails_the_suite_and_is_cleaned_up() {
    use futures::FutureExt;
    use rivetr_core::Error;
    use rivetr_core::memory::RuntimeOp;

    let runtime = MemoryRuntime::new();
    let fixture = fixture(&runtime);
    let error = Error::unavailable("daemon gone");
    runtime
        .faults()
        .fail_always(RuntimeOp::StopContainer, &error);
    let outcome = std::panic::AssertUnwindSafe(testkit::runtime::conformance(&runtime, &fixture))
        .catch_unwind()
        .await;
    let panic = outcome.unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.starts_with("runtime contract: stop_container"),
        "{message}"
    );
    assert!(
        runtime.containers().is_empty(),
        "cleanup ran after the failure"
    );
}

#[tokio::test]
#[should_panic(expected = "route contract: remove must be idempotent")]
async fn a_broken_route_table_fails_the_suite() {
    use rivetr_core::Error;
    use rivetr_core::memory::RouteOp;

    let table = MemoryRouteTable::new();
    table
        .faults()
        .fail_always(RouteOp::Remove, &Error::internal("oops"));
    testkit::route::conformance(&table).await;
}
