#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! `rivetr serve` on its embedded defaults (SQLite in the data dir, the
//! local Docker Engine): it starts, answers, keeps its secrets private and
//! stops cleanly; `rivetr config check` explains a bad file.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use rivetr_e2e::{Rivetr, binary, get};

#[test]
fn serve_starts_on_sqlite_and_docker_answers_and_stops_cleanly() {
    let mut rivetr = Rivetr::start("");

    let health = get(rivetr.api, "/health", "localhost").unwrap();
    assert_eq!(health.status, 200, "{}", health.body);
    assert!(health.body.contains(r#""store":"ok""#), "{}", health.body);
    let version = get(rivetr.api, "/api/v1/system/version", "localhost").unwrap();
    assert!(
        version.body.contains(env!("CARGO_PKG_VERSION")),
        "{}",
        version.body
    );
    // Every API failure has one JSON shape, unknown routes included.
    let missing = get(rivetr.api, "/api/v1/no-such-thing", "localhost").unwrap();
    assert_eq!(missing.status, 404);
    assert!(
        missing.body.contains(r#""code":"not_found""#),
        "{}",
        missing.body
    );
    // The proxy is up: a host no app has is a 404, not a refused connection.
    let unknown = get(rivetr.proxy, "/", "nothing.example.com").unwrap();
    assert_eq!(unknown.status, 404);

    let data = rivetr.data_dir();
    assert!(
        data.join("rivetr.db").is_file(),
        "the SQLite database is in the data dir"
    );
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "the data dir is private");
    assert_eq!(
        mode(&data.join("sealing.keys")),
        0o600,
        "the sealing keys are private"
    );

    let status = rivetr.stop();
    assert!(status.success(), "exit status {status}:\n{}", rivetr.log());
    assert!(rivetr.log().contains("rivetr stopped"), "{}", rivetr.log());
}

#[test]
fn a_restart_reuses_the_database_and_sealing_key() {
    let mut rivetr = Rivetr::start("");
    let keys = std::fs::read(rivetr.data_dir().join("sealing.keys")).unwrap();
    let migrations_applied = |log: &str| log.matches("applied database migration").count();
    let first = migrations_applied(&rivetr.log());
    assert!(
        first >= 2,
        "the first start migrates an empty database:\n{}",
        rivetr.log()
    );

    rivetr.restart();
    let health = get(rivetr.api, "/health", "localhost").unwrap();
    assert_eq!(health.status, 200);
    assert_eq!(
        migrations_applied(&rivetr.log()),
        first,
        "nothing is migrated again on restart:\n{}",
        rivetr.log()
    );
    assert_eq!(
        std::fs::read(rivetr.data_dir().join("sealing.keys")).unwrap(),
        keys,
        "the sealing key file is kept, not regenerated"
    );
}

#[test]
fn config_check_names_the_bad_line_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[server]\napi_listen = \"127.0.0.1:8080\"\ndata_dri = \"/tmp\"\n",
    )
    .unwrap();
    let out = Command::new(binary())
        .args(["config", "check"])
        .arg(&path)
        .env_remove("RIVETR_CONFIG")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("data_dri"),
        "names the unknown key: {stderr}"
    );
    assert!(
        stderr.contains("line 3") || stderr.contains(":3:"),
        "names the line: {stderr}"
    );

    let good = dir.path().join("good.toml");
    std::fs::write(&good, "[server]\ndata_dir = \"/var/lib/rivetr\"\n").unwrap();
    let out = Command::new(binary())
        .args(["config", "check"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
