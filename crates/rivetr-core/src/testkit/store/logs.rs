//! The `logs` check of the store conformance suite.

use super::fixtures::{enqueue, log_lines, world};
use super::helpers::{ids, not_found, nothing, ok};
use crate::id::DeploymentId;
use crate::store::Store;

/// Deployment logs: gap-free sequence numbers per deployment (also under
/// concurrent appends), `read_logs(after, limit)` windows.
pub async fn logs<S: Store + ?Sized>(store: &S) {
    let w = world(store, "logs").await;
    let owner = &w.owner_scope;
    let d = enqueue(store, owner, w.app.id).await;
    let other = enqueue(store, owner, w.app.id).await;

    let read = ok(store.read_logs(owner, d.id, 0, 100).await, "read_logs");
    assert!(
        read.is_empty(),
        "store contract: a new deployment has no log lines"
    );
    let first = ok(
        store
            .append_logs(owner, d.id, log_lines(&["a", "b", "c"]))
            .await,
        "append_logs",
    );
    let sent = log_lines(&["a"]);
    assert!(
        ids(&first, |l| l.seq) == vec![1, 2, 3]
            && first.iter().all(|l| l.deployment_id == d.id
                && l.step == sent[0].step
                && l.stream == sent[0].stream)
            && first[0].text == "a",
        "store contract: append_logs numbers a deployment's first lines 1, 2, 3 and keeps their fields; got {first:?}"
    );
    let second = ok(
        store.append_logs(owner, d.id, log_lines(&["d", "e"])).await,
        "append_logs",
    );
    assert!(
        ids(&second, |l| l.seq) == vec![4, 5],
        "store contract: append_logs continues from the last stored line"
    );
    let empty = ok(
        store.append_logs(owner, d.id, Vec::new()).await,
        "append_logs",
    );
    assert!(
        empty.is_empty(),
        "store contract: append_logs of no lines stores nothing"
    );
    let third = ok(
        store.append_logs(owner, d.id, log_lines(&["f"])).await,
        "append_logs",
    );
    assert!(
        ids(&third, |l| l.seq) == vec![6],
        "store contract: an empty append leaves no gap"
    );

    let all = ok(store.read_logs(owner, d.id, 0, 100).await, "read_logs");
    let texts: Vec<&str> = all.iter().map(|l| l.text.as_str()).collect();
    assert!(
        ids(&all, |l| l.seq) == (1..=6).collect::<Vec<_>>()
            && texts == ["a", "b", "c", "d", "e", "f"],
        "store contract: read_logs(0, ..) gives every line, oldest first; got {all:?}"
    );
    assert!(
        all[..3] == first[..],
        "store contract: read_logs gives the lines as append_logs returned them"
    );
    for (after, limit, want) in [
        (2, 2, vec![3, 4]),
        (4, 100, vec![5, 6]),
        (6, 10, vec![]),
        (0, 0, vec![]),
    ] {
        let window = ok(
            store.read_logs(owner, d.id, after, limit).await,
            "read_logs",
        );
        assert!(
            ids(&window, |l| l.seq) == want,
            "store contract: read_logs(after {after}, limit {limit}) gives seq {want:?}; got {:?}",
            ids(&window, |l| l.seq)
        );
    }

    let own = ok(
        store.append_logs(owner, other.id, log_lines(&["x"])).await,
        "append_logs",
    );
    assert!(
        ids(&own, |l| l.seq) == vec![1],
        "store contract: sequence numbers are per deployment"
    );
    not_found(
        store
            .append_logs(owner, DeploymentId::new(), log_lines(&["x"]))
            .await,
        "append_logs to an unknown deployment",
    );
    nothing(
        store.read_logs(owner, DeploymentId::new(), 0, 10).await,
        "read_logs of an unknown deployment",
    );

    // Concurrent appends: no gaps, no duplicates, each batch contiguous.
    let busy = enqueue(store, owner, w.app.id).await;
    let batches = futures::future::join_all(
        (0..10).map(|_| store.append_logs(owner, busy.id, log_lines(&["1", "2"]))),
    )
    .await;
    for batch in batches {
        let batch = ok(batch, "concurrent append_logs");
        assert!(
            batch.len() == 2 && batch[1].seq == batch[0].seq + 1,
            "store contract: the lines of one append_logs call get consecutive numbers"
        );
    }
    let all = ok(store.read_logs(owner, busy.id, 0, 1000).await, "read_logs");
    assert!(
        ids(&all, |l| l.seq) == (1..=20).collect::<Vec<_>>(),
        "store contract: concurrent append_logs number lines 1..=20 without gaps or repeats"
    );
}
