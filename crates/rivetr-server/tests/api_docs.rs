//! The API reference in `docs/api.md` stays true: its permission table is
//! the one the OpenAPI document's security requirements give, and every
//! operation names who may call it. `RIVETR_BLESS=1` rewrites the table.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::path::PathBuf;

use rivetr_server::api::openapi;
use rivetr_server::api::permissions::{operations, render_table};

const BEGIN: &str = "<!-- permissions:begin (generated: RIVETR_BLESS=1 cargo test -p rivetr-server --test api_docs) -->\n";
const END: &str = "<!-- permissions:end -->";

#[test]
fn every_operation_names_its_permission_and_the_docs_table_matches() {
    let ops = operations(&openapi()).expect("every operation names who may call it");
    assert!(ops.len() > 20, "{} operations", ops.len());
    let table = render_table(&ops);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/api.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find(BEGIN).expect("the begin marker") + BEGIN.len();
    let end = text.find(END).expect("the end marker");
    if std::env::var("RIVETR_BLESS").as_deref() == Ok("1") {
        let updated = format!("{}{table}{}", &text[..start], &text[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert_eq!(
        &text[start..end],
        table,
        "docs/api.md's permission table is stale: run RIVETR_BLESS=1 cargo test -p rivetr-server --test api_docs"
    );
}
