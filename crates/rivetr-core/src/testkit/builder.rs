//! The [`Builder`] conformance suite.

use crate::ErrorKind;
use crate::builder::{BuildRequest, Builder};
use crate::input::ImageRef;
use crate::log_sink::LogSink;
use crate::model::{BuildSpec, BuilderKind, DeploymentStatus};
use crate::runtime::ContainerRuntime;
use crate::source::SourceTree;

/// Run the builder suite against `builder`.
///
/// `buildable` is a tree the builder can build; `unbuildable` one it cannot
/// (for a Dockerfile builder: no Dockerfile). `image` is the name to build
/// (removed from `runtime` at the end); `runtime` is the one the builder's
/// images go to.
///
/// Checks: the kind is not `Auto`; `detect` says yes to `buildable` and
/// not yes to `unbuildable`, with a reason each time; a build produces
/// `image` in `runtime` and sends log lines through the [`LogSink`]; a
/// rebuild of the same tag succeeds; building `unbuildable` fails with
/// `InvalidInput` (or `Unsupported`/`Unavailable`) and leaves no image.
///
/// # Panics
///
/// With a message naming the broken contract.
pub async fn conformance(
    builder: &dyn Builder,
    buildable: &SourceTree,
    unbuildable: &SourceTree,
    image: &ImageRef,
    runtime: &dyn ContainerRuntime,
) {
    assert_ne!(
        builder.kind(),
        BuilderKind::Auto,
        "builder contract: kind() must never be Auto"
    );
    let spec = BuildSpec::default();
    let yes = (builder.detect(buildable, &spec).await)
        .unwrap_or_else(|e| panic!("builder contract: detect failed on the buildable tree: {e}"));
    assert!(
        yes.is_yes(),
        "builder contract: detect must say yes to the buildable tree (said {yes:?})"
    );
    assert!(
        !yes.reason().is_empty(),
        "builder contract: detect must give a reason"
    );
    let no = (builder.detect(unbuildable, &spec).await).unwrap_or_else(|e| {
        panic!("builder contract: detect must answer, not fail, on the unbuildable tree: {e}")
    });
    assert!(
        !no.is_yes(),
        "builder contract: detect must not say yes to the unbuildable tree"
    );
    assert!(
        !no.reason().is_empty(),
        "builder contract: detect must give a reason"
    );

    let exists = |what: &'static str| async move {
        (runtime.image_exists(image).await)
            .unwrap_or_else(|e| panic!("builder contract: image_exists failed {what}: {e}"))
    };
    let _ = runtime.remove_image(image).await;
    assert!(
        !exists("before the build").await,
        "testkit: the image to build must not exist yet"
    );
    let failing = BuildRequest {
        tree: unbuildable.clone(),
        spec: spec.clone(),
        image: image.clone(),
    };
    match builder.build(&failing, &LogSink::discard()).await {
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::InvalidInput | ErrorKind::Unsupported | ErrorKind::Unavailable
            ) => {}
        Err(e) => {
            panic!("builder contract: a build that cannot work must be InvalidInput, got {e}")
        }
        Ok(_) => panic!("builder contract: building the unbuildable tree must fail"),
    }
    assert!(
        !exists("after a failed build").await,
        "builder contract: a failed build must not produce the image"
    );

    let request = BuildRequest {
        tree: buildable.clone(),
        spec,
        image: image.clone(),
    };
    for attempt in ["a build", "a rebuild of the same tag"] {
        let (log, mut lines) = LogSink::channel(DeploymentStatus::Building);
        let built = (builder.build(&request, &log).await).unwrap_or_else(|e| {
            panic!("builder contract: {attempt} of the buildable tree failed: {e}")
        });
        assert_eq!(
            &built.image, image,
            "builder contract: the built image must carry the requested name"
        );
        assert!(
            exists("after a build").await,
            "builder contract: after {attempt} the image must exist in the runtime"
        );
        drop(log);
        let mut count = 0;
        while let Ok(line) = lines.try_recv() {
            assert_eq!(
                line.step,
                DeploymentStatus::Building,
                "builder contract: log lines must go through the sink given"
            );
            count += 1;
        }
        assert!(
            count > 0,
            "builder contract: {attempt} must write log lines to the LogSink"
        );
    }
    (runtime.remove_image(image).await)
        .unwrap_or_else(|e| panic!("builder contract: the built image must be removable: {e}"));
}
