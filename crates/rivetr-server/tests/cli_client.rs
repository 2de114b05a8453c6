//! The `rivetr` client commands, run as the real binary against a fake API
//! (canned JSON and event streams on 127.0.0.1:0), and `login` against the
//! real API on memory parts.

#![allow(clippy::unwrap_used, reason = "the shared test harness unwraps")]

mod common;
#[path = "cli_client/fake_api.rs"]
mod fake_api;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

use fake_api::*;

/// Run `rivetr args...` with a private config dir and `env`, feeding `stdin`.
async fn rivetr(config: &Path, env: &[(&str, &str)], args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rivetr"));
    command
        .args(args)
        .env_remove("RIVETR_URL")
        .env_remove("RIVETR_TOKEN")
        .env_remove("RIVETR_CA_FILE")
        .env("XDG_CONFIG_HOME", config)
        .env("HOME", config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let stdin = stdin.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().unwrap_or_else(|e| panic!("spawn: {e}"));
        if let Some(mut input) = child.stdin.take() {
            let _ = input.write_all(stdin.as_bytes());
        }
        child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("wait: {e}"))
    })
    .await
    .unwrap_or_else(|e| panic!("join: {e}"))
}

/// Run with `RIVETR_URL`/`RIVETR_TOKEN` set to the fake API and a token.
async fn as_user(base: &str, token: &str, args: &[&str]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let out = rivetr(
        dir.path(),
        &[("RIVETR_URL", base), ("RIVETR_TOKEN", token)],
        args,
        "",
    )
    .await;
    (out, dir)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test(flavor = "multi_thread")]
async fn login_saves_a_private_file_that_later_commands_use() {
    let (base, _) = fake_api().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let out = rivetr(
        dir.path(),
        &[],
        &["login", "--url", &base, "--token", TOKEN],
        "",
    )
    .await;
    assert!(out.status.success(), "login: {}", stderr(&out));
    assert!(
        stdout(&out).contains("as owner@acme.test (team acme, role owner)"),
        "{}",
        stdout(&out)
    );
    let file = dir.path().join("rivetr").join("credentials.toml");
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&dir.path().join("rivetr")), 0o700);
    let saved: toml::Value = toml::from_str(&std::fs::read_to_string(&file).unwrap_or_default())
        .unwrap_or_else(|e| panic!("toml: {e}"));
    assert_eq!(saved["url"].as_str(), Some(base.as_str()));
    assert_eq!(saved["token"].as_str(), Some(TOKEN));

    let out = rivetr(dir.path(), &[], &["apps", "list"], "").await;
    assert!(out.status.success(), "apps list: {}", stderr(&out));
    assert!(stdout(&out).contains(WEB));

    let out = rivetr(dir.path(), &[], &["logout"], "").await;
    assert!(out.status.success());
    assert!(!file.exists());
    let out = rivetr(dir.path(), &[], &["apps", "list"], "").await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: not logged in: run `rivetr login"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn login_reads_the_token_from_standard_input() {
    let (base, _) = fake_api().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let out = rivetr(
        dir.path(),
        &[("RIVETR_URL", &base)],
        &["login"],
        "good-token\n",
    )
    .await;
    assert!(out.status.success(), "login: {}", stderr(&out));
    let text =
        std::fs::read_to_string(dir.path().join("rivetr/credentials.toml")).unwrap_or_default();
    assert!(text.contains("token = \"good-token\""), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn login_with_a_bad_token_shows_the_api_message_and_saves_nothing() {
    let (base, _) = fake_api().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let out = rivetr(
        dir.path(),
        &[],
        &["login", "--url", &base, "--token", "wrong"],
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: the token is not valid\n"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("rivetr").join("credentials.toml").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_token_on_any_command_shows_the_api_message() {
    let (base, _) = fake_api().await;
    let (out, _dir) = as_user(&base, "wrong", &["apps", "list"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: the token is not valid\n"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn apps_list_prints_a_table_or_the_api_json() {
    let (base, _) = fake_api().await;
    let (out, _dir) = as_user(&base, TOKEN, &["apps", "list"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 7, "{text}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, ["NAME", "ID", "PROJECT", "STATUS", "DOMAIN"]);
    let web: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(web, ["web", WEB, PROJECT_1, "live", "web.example.test"]);
    let broken: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(broken, ["broken", BROKEN, PROJECT_1, "-", "-"]);
    assert_eq!(lines[0].find("ID"), lines[1].find(WEB), "columns line up");

    let (out, _dir) = as_user(
        &base,
        TOKEN,
        &["apps", "list", "--json", "--project", PROJECT_2],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("json: {e}"));
    let ids: Vec<&str> = json["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|a| a["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, [API_2, QUIET, SLOW]);
}

#[tokio::test(flavor = "multi_thread")]
async fn status_shows_version_health_caller_and_app_count() {
    let (base, _) = fake_api().await;
    let (out, _dir) = as_user(&base, TOKEN, &["status"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for expected in [
        "version  9.9.9",
        "health   ok (store ok)",
        "user     owner@acme.test",
        "team     acme",
        "role     owner",
        "apps     6",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_follow_streams_the_log_and_exits_0_when_live() {
    let (base, seen) = fake_api().await;
    let (out, _dir) = as_user(&base, TOKEN, &["deploy", "web", "--follow"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("deployment {DEP_LIVE} (#4)\nStep 1/2 : FROM scratch\nStep 2/2 : COPY busybox /\n")
    );
    let progress: Vec<String> = stderr(&out).lines().map(str::to_owned).collect();
    assert_eq!(
        progress,
        [
            "[1/7] queued",
            "[2/7] fetching source",
            "[3/7] building",
            "[4/7] starting",
            "[5/7] health checking",
            "[7/7] live"
        ]
    );
    assert_eq!(
        seen.posts(),
        [(format!("/api/v1/apps/{WEB}/deploy"), json!({}))]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_follow_exits_1_with_the_reason_when_the_deployment_fails() {
    let (base, _) = fake_api().await;
    let (out, _dir) = as_user(&base, TOKEN, &["deploy", BROKEN, "--follow"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("Step 2/2 : COPY busybox /"));
    assert!(
        stderr(&out).ends_with("deployment failed: build failed: exit code 2\n"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_follow_asks_the_deployment_when_the_stream_ends_early() {
    let (base, _) = fake_api().await;
    let (out, _dir) = as_user(&base, TOKEN, &["deploy", "quiet", "-f", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let events: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    assert_eq!(events[0]["id"], DEP_QUIET);
    assert_eq!(events[3]["event"], "log");
    assert_eq!(events[3]["data"]["text"], "Step 1/2 : FROM scratch");
    assert_eq!(
        events.last().map(|e| e["data"]["status"].clone()),
        Some(json!("live"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_follow_resumes_a_closed_stream_after_the_last_event() {
    let (base, seen) = fake_api().await;
    let (out, _dir) = as_user(&base, TOKEN, &["deploy", "slow", "--follow"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("deployment {DEP_SLOW} (#4)\ncompiling\nlinking\n")
    );
    let streams: Vec<Value> = seen
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|(m, p, _)| m == "GET" && p.ends_with("/logs"))
        .map(|(_, _, b)| b["last_event_id"].clone())
        .collect();
    assert_eq!(streams, [Value::Null, json!("1")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_without_follow_prints_the_id_and_returns() {
    let (base, _) = fake_api().await;
    let (out, _dir) = as_user(&base, TOKEN, &["deploy", WEB]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("deployment {DEP_LIVE} (#4)\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ambiguous_app_name_lists_the_candidates_and_deploys_nothing() {
    let (base, seen) = fake_api().await;
    let (out, _dir) = as_user(&base, TOKEN, &["deploy", "api"]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: the app name \"api\" is ambiguous"),
        "{err}"
    );
    assert!(err.contains(API_1) && err.contains(API_2), "{err}");
    let (out, _dir) = as_user(&base, TOKEN, &["deploy", "nope"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no app named \"nope\""));
    assert!(seen.posts().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_sends_the_target_and_prints_the_new_deployment() {
    let (base, seen) = fake_api().await;
    let (out, _dir) = as_user(&base, TOKEN, &["rollback", "web", DEP_OLD]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("deployment {DEP_LIVE} (#4)\n"));
    assert_eq!(
        seen.posts(),
        [(
            format!("/api/v1/apps/{WEB}/rollback"),
            json!({"deployment": DEP_OLD})
        )]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_prints_the_last_lines_or_follows_them() {
    let (base, _) = fake_api().await;
    let (out, _dir) = as_user(&base, TOKEN, &["logs", "web", "--tail", "2"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "GET / 200\nGET /health 200\n");
    let (out, _dir) = as_user(&base, TOKEN, &["logs", "web", "--follow"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "listening on :8080\nGET / 200\nGET /health 200\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let out = rivetr(dir.path(), &[], &["deploy"], "").await;
    assert_eq!(out.status.code(), Some(2));
    let out = rivetr(
        dir.path(),
        &[("RIVETR_URL", "http://127.0.0.1:9"), ("RIVETR_TOKEN", "t")],
        &["rollback", "web", "not-an-id"],
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("\"not-an-id\" is not a deployment id"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn login_and_a_refused_token_against_the_real_api() {
    let api = common::TestApi::start().await;
    let owner = api.team("acme").await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let out = rivetr(
        dir.path(),
        &[],
        &["login", "--url", &api.base, "--token", &owner.token],
        "",
    )
    .await;
    assert!(out.status.success(), "login: {}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("as {} (team acme, role owner)", owner.email)),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        mode(&dir.path().join("rivetr").join("credentials.toml")),
        0o600
    );

    let other = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let mut bad = owner.token.clone();
    let last = if bad.ends_with('A') { "B" } else { "A" };
    bad.replace_range(bad.len() - 1.., last);
    let out = rivetr(
        other.path(),
        &[],
        &["login", "--url", &api.base, "--token", &bad],
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let answer = api
        .http
        .get(api.url("/api/v1/auth/me"))
        .bearer_auth(&bad)
        .send()
        .await
        .unwrap_or_else(|e| panic!("me: {e}"));
    let (status, _, message) = common::error_code(answer).await;
    assert_eq!(status, 401);
    assert_eq!(
        stderr(&out),
        format!("error: {message}\nhint: log in again with `rivetr login` or set RIVETR_TOKEN\n")
    );
    assert!(!other.path().join("rivetr").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn https_uses_rustls_on_ring_and_the_ca_file_must_be_pem() {
    let (base, _) = fake_api().await;
    // The fake speaks plain HTTP: the TLS handshake fails cleanly (no
    // panic for a missing crypto provider).
    let https = base.replacen("http://", "https://", 1);
    let (out, _dir) = as_user(&https, TOKEN, &["status"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with(&format!("error: cannot reach {https}")),
        "{}",
        stderr(&out)
    );

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, "not a certificate\n").unwrap_or_else(|e| panic!("write: {e}"));
    let ca = ca.to_string_lossy().into_owned();
    let out = rivetr(
        dir.path(),
        &[
            ("RIVETR_URL", &https),
            ("RIVETR_TOKEN", TOKEN),
            ("RIVETR_CA_FILE", &ca),
        ],
        &["status"],
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("holds no certificate"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_following_with_exit_130() {
    use std::io::BufRead;
    let (base, _) = fake_api().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_rivetr"))
        .args(["deploy", ENDLESS, "--follow"])
        .env("XDG_CONFIG_HOME", dir.path())
        .env("RIVETR_URL", &base)
        .env("RIVETR_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    let pid = child.id().to_string();
    let out = tokio::task::spawn_blocking(move || {
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let mut lines = std::io::BufReader::new(stdout).lines();
        // Wait until the log is streaming, then interrupt.
        let seen_lines: Vec<String> = lines
            .by_ref()
            .map_while(Result::ok)
            .take_while(|line| line != "compiling")
            .collect();
        let kill = Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap_or_else(|e| panic!("kill: {e}"));
        assert!(kill.success());
        let output = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("wait: {e}"));
        (seen_lines, output)
    })
    .await
    .unwrap_or_else(|e| panic!("join: {e}"));
    let (before, output) = out;
    assert_eq!(before, [format!("deployment {DEP_ENDLESS} (#4)")]);
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    assert!(
        stderr(&output).ends_with(&format!(
            "stopped following; deployment {DEP_ENDLESS} goes on on the server\n"
        )),
        "{}",
        stderr(&output)
    );
}
