//! The server configuration: loading, environment overrides, conversions,
//! checks, start-up self checks, and the reference in docs kept in step
//! with the code.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rivetr_proxy::acme::{ChallengeType, LETS_ENCRYPT_PRODUCTION};
use rivetr_server::config::{
    Config, ConfigError, Finding, Severity, load, load_str, render_reference, self_check,
};
use rivetr_store::Sealing;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn parse(text: &str) -> Config {
    load_str(text, Path::new("test.toml"), []).unwrap()
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// (severity, subject) of every finding.
fn summary(findings: &[Finding]) -> Vec<(Severity, String)> {
    findings
        .iter()
        .map(|f| (f.severity, f.subject.clone()))
        .collect()
}

#[test]
fn no_file_and_an_empty_file_give_a_single_machine_setup() {
    let config = load(None, []).unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(parse(""), config);
    assert_eq!(config.database_url(), "sqlite:///var/lib/rivetr/rivetr.db");
    assert_eq!(
        config.sealing_key_file(),
        Path::new("/var/lib/rivetr/sealing.keys")
    );
    assert_eq!(config.work_dir(), Path::new("/var/lib/rivetr/work"));
    assert_eq!(config.server.api_listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.proxy.http_listen.to_string(), "0.0.0.0:80");
    assert_eq!(config.proxy.https_listen.to_string(), "0.0.0.0:443");
    assert!(!config.metrics.enabled);
    assert_eq!(config.connect_options().socket, None);
    assert_eq!(config.check(), Vec::new(), "defaults check clean");
}

#[test]
fn the_data_dir_moves_every_derived_path() {
    let config = parse("[server]\ndata_dir = \"/srv/paas\"\n");
    assert_eq!(config.database_url(), "sqlite:///srv/paas/rivetr.db");
    assert_eq!(
        config.sealing_key_file(),
        Path::new("/srv/paas/sealing.keys")
    );
    assert_eq!(
        config.setup_token_file(),
        Path::new("/srv/paas/setup-token")
    );
    assert_eq!(config.engine_config().work_dir, Path::new("/srv/paas/work"));
}

#[test]
fn the_example_file_parses_checks_clean_and_shows_every_key() {
    let path = manifest_dir().join("rivetr.example.toml");
    let config = load(Some(&path), []).unwrap();
    assert_eq!(config.check(), Vec::new());
    let text = std::fs::read_to_string(&path).unwrap();
    for entry in Config::reference() {
        let shown = text.lines().any(|l| {
            l.trim_start_matches("# ")
                .starts_with(&format!("{} = ", entry.name()))
        });
        assert!(shown, "the example does not show {}", entry.key);
    }
}

#[test]
fn a_written_config_loads_back_the_same() {
    let path = manifest_dir().join("rivetr.example.toml");
    let mut config = load(Some(&path), []).unwrap();
    config.server.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
    config.store.url = Some("postgres://rivetr@db/rivetr".to_owned());
    config.proxy.acme.directory = "https://ca.internal/acme/directory".parse().unwrap();
    config.proxy.acme.extra_roots_file = Some("/etc/rivetr/ca.pem".into());
    config.runtime.socket = Some("/run/podman/podman.sock".into());
    config.engine.publish_port_range = Some("20000-20999".parse().unwrap());
    config.engine.allowed_bind_roots = vec!["/srv".parse().unwrap()];
    config.metrics.token = Some(rivetr_server::config::Secret::new("0123456789abcdef"));
    config.store.logs.retention = Duration::from_millis(90_500).into();
    let written = toml::to_string(&config).unwrap();
    assert_eq!(parse(&written), config, "{written}");
}

#[test]
fn environment_overrides_win_over_the_file() {
    let file = "[store]\nurl = \"sqlite:///tmp/a.db\"\nmax_connections = 4\n";
    let config = load_str(
        file,
        Path::new("rivetr.toml"),
        env(&[
            ("RIVETR_STORE__URL", "postgres://rivetr:pw@db:5432/rivetr"),
            ("RIVETR_STORE__MAX_CONNECTIONS", "16"),
            ("RIVETR_PROXY__HTTP_LISTEN", "127.0.0.1:8000"),
            ("RIVETR_PROXY__ACME__EMAIL", "ops@example.com"),
            ("RIVETR_SERVER__TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.1"),
            ("RIVETR_METRICS__ENABLED", "true"),
            ("RIVETR_STORE__LOGS__RETENTION", "7d"),
            // Not overrides: the CLI's variables and everything else.
            ("RIVETR_URL", "https://paas.example.com"),
            ("RIVETR_TOKEN", "abc"),
            ("HOME", "/root"),
        ]),
    )
    .unwrap();
    assert_eq!(config.database_url(), "postgres://rivetr:pw@db:5432/rivetr");
    assert_eq!(config.store.max_connections, 16);
    assert_eq!(config.proxy_config().listen.to_string(), "127.0.0.1:8000");
    assert_eq!(
        config.proxy.acme.email.as_ref().map(|e| e.as_str()),
        Some("ops@example.com")
    );
    let trusted = config.trusted_proxies();
    assert_eq!(trusted.len(), 2);
    assert!(trusted[0].contains("10.20.30.40".parse().unwrap()));
    assert!(config.metrics.enabled);
    assert_eq!(
        config.store_config().unwrap().logs.retention,
        Duration::from_secs(7 * 86_400)
    );
}

#[test]
fn an_override_of_an_unknown_key_is_an_error_naming_it() {
    let err = load(None, env(&[("RIVETR_STORE__URI", "sqlite:///x.db")])).unwrap_err();
    assert!(matches!(err, ConfigError::UnknownEnv { .. }), "{err:?}");
    let shown = err.to_string();
    assert!(shown.contains("RIVETR_STORE__URI"), "{shown}");
    assert!(shown.contains("did you mean RIVETR_STORE__URL?"), "{shown}");
    let err = load(None, env(&[("RIVETR_NOPE__THING", "1")])).unwrap_err();
    assert!(err.to_string().contains("RIVETR_NOPE__THING"), "{err}");
}

#[test]
fn an_override_with_a_bad_value_names_the_variable() {
    let cases = [
        ("RIVETR_STORE__BUSY_TIMEOUT", "5", "unit"),
        ("RIVETR_STORE__MAX_CONNECTIONS", "many", "whole number"),
        ("RIVETR_METRICS__ENABLED", "yes", "true or false"),
        ("RIVETR_SERVER__API_LISTEN", "localhost", "address"),
        (
            "RIVETR_PROXY__ACME__DIRECTORY",
            "http://acme.local",
            "ACME directory",
        ),
    ];
    for (var, value, says) in cases {
        let err = load(None, env(&[(var, value)])).unwrap_err();
        let shown = err.to_string();
        assert!(matches!(err, ConfigError::Env { .. }), "{var}: {err:?}");
        assert!(
            shown.contains(var) && shown.contains(says),
            "{var}: {shown}"
        );
    }
}

#[test]
fn file_errors_name_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rivetr.toml");
    let cases = [
        (
            "[store]\nbusy_timeout = \"5 minutes\"\n",
            2,
            16,
            "bad duration",
        ),
        (
            "[server]\n\n[proxy]\nlisten = \"0.0.0.0:80\"\n",
            4,
            1,
            "unknown field `listen`",
        ),
        ("[server\ndata_dir = \"/x\"\n", 1, 8, ""),
        ("[auth]\nsession_ttl = 30\n", 2, 15, "needs a unit"),
        ("[metrics]\nlisten = \"0.0.0.0\"\n", 2, 10, "socket address"),
        ("[serverr]\n", 1, 2, "unknown field `serverr`"),
    ];
    for (text, line, column, says) in cases {
        std::fs::write(&path, text).unwrap();
        let err = load(Some(&path), []).unwrap_err();
        let ConfigError::File {
            line: l, column: c, ..
        } = &err
        else {
            panic!("{text:?}: {err:?}");
        };
        assert_eq!((*l, *c), (line, column), "{text:?}: {err}");
        let shown = err.to_string();
        let prefix = format!("{}:{line}:{column}: ", path.display());
        assert!(shown.starts_with(&prefix), "{shown}");
        assert!(shown.contains(says), "{shown}");
    }
    let missing = dir.path().join("missing.toml");
    let err = load(Some(&missing), []).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
    assert!(err.to_string().contains("missing.toml"), "{err}");
}

#[test]
fn conversions_carry_every_setting_to_the_crates() {
    let config = parse(
        r#"
        [server]
        public_url = "https://paas.example.com"
        trusted_proxies = ["10.0.0.1"]
        [store]
        sealing_key_file = "/etc/rivetr/keys"
        max_connections = 3
        busy_timeout = "2s"
        [store.logs]
        bytes_per_chunk = "32KiB"
        bytes_per_deployment = "1MiB"
        keep_per_app = 2
        [proxy]
        max_body_bytes = "1GiB"
        upstream_timeout = "2m"
        [proxy.acme]
        enabled = true
        email = "ops@example.com"
        directory = "production"
        challenge = "http-01"
        backoff_max = "1h"
        [runtime]
        socket = "/run/user/1000/podman/podman.sock"
        timeout = "30s"
        [engine]
        network = "paas"
        allowed_bind_roots = ["/srv/data"]
        publish_port_range = "20000-20010"
        "#,
    );
    let store = config.store_config().unwrap();
    assert_eq!(store.max_connections, 3);
    assert_eq!(store.busy_timeout, Duration::from_secs(2));
    assert_eq!(store.logs.bytes_per_chunk, 32 * 1024);
    assert_eq!(store.logs.bytes_per_deployment, 1 << 20);
    assert_eq!(store.logs.keep_per_app, 2);
    assert!(matches!(&store.sealing, Sealing::KeyFile(p) if p == Path::new("/etc/rivetr/keys")));

    let proxy = config.proxy_config();
    assert_eq!(proxy.max_body_bytes, 1 << 30);
    assert_eq!(proxy.upstream_timeout, Duration::from_secs(120));
    assert!(proxy.is_trusted("10.0.0.1".parse().unwrap()));
    assert!(!proxy.is_trusted("10.0.0.2".parse().unwrap()));
    assert!(proxy.validate().is_ok());

    let acme = config.acme_config().unwrap().expect("ACME is enabled");
    assert_eq!(acme.directory_url, LETS_ENCRYPT_PRODUCTION);
    assert_eq!(acme.contact_emails, vec!["ops@example.com".to_owned()]);
    assert_eq!(acme.challenge, ChallengeType::Http01);
    assert_eq!(acme.backoff.max, Duration::from_secs(3600));
    assert!(acme.validate().is_ok());
    assert!(Config::default().acme_config().unwrap().is_none());

    let runtime = config.connect_options();
    assert_eq!(
        runtime.socket.as_deref(),
        Some(Path::new("/run/user/1000/podman/podman.sock"))
    );
    assert_eq!(runtime.timeout, Duration::from_secs(30));

    let engine = config.engine_config();
    assert_eq!(engine.network, "paas");
    assert_eq!(engine.allowed_bind_roots[0].as_str(), "/srv/data");
    assert_eq!(engine.publish_port_range, Some((20000, 20010)));
}

#[test]
fn a_bad_acme_roots_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let roots = dir.path().join("ca.pem");
    std::fs::write(&roots, "not a certificate\n").unwrap();
    let text = format!(
        "[server]\npublic_url = \"https://paas.example.com\"\n[proxy.acme]\nenabled = true\nemail = \"ops@example.com\"\nextra_roots_file = {:?}\n",
        roots.display().to_string()
    );
    let config = parse(&text);
    let err = config.acme_config().unwrap_err();
    assert!(
        err.to_string().contains("proxy.acme.extra_roots_file"),
        "{err}"
    );
    assert_eq!(
        summary(&config.check()),
        vec![(Severity::Error, "proxy.acme.extra_roots_file".to_owned())]
    );
}

#[test]
fn check_explains_each_problem_with_a_fix() {
    let cases: &[(&str, &[(Severity, &str)])] = &[
        (
            "[server]\ndata_dir = \"data\"",
            &[(Severity::Error, "server.data_dir")],
        ),
        (
            "[store]\nurl = \"mysql://db/rivetr\"",
            &[(Severity::Error, "store.url")],
        ),
        (
            "[store]\nurl = \"sqlite://rivetr.db\"",
            &[(Severity::Warning, "store.url")],
        ),
        ("[store]\nurl = \"postgresql://u@db/r\"", &[]),
        (
            "[server]\napi_listen = \"0.0.0.0:80\"",
            &[(Severity::Error, "proxy.http_listen")],
        ),
        (
            "[server]\napi_listen = \"127.0.0.1:8443\"\n[proxy]\nhttps_listen = \"127.0.0.2:8443\"",
            &[],
        ),
        (
            "[proxy.acme]\nenabled = true",
            &[
                (Severity::Error, "proxy.acme.email"),
                (Severity::Error, "server.public_url"),
            ],
        ),
        (
            "[server]\npublic_url = \"https://203.0.113.9\"\n[proxy.acme]\nenabled = true\nemail = \"a@example.com\"",
            &[(Severity::Error, "server.public_url")],
        ),
        (
            "[server]\npublic_url = \"https://paas.example.com\"\n[proxy.acme]\nenabled = true\nemail = \"a@example.com\"\ndirectory = \"production\"",
            &[(Severity::Warning, "proxy.acme.directory")],
        ),
        (
            "[server]\npublic_url = \"https://paas.example.com\"\n[proxy]\nhttps_listen = \"0.0.0.0:8443\"\n[proxy.acme]\nenabled = true\nemail = \"a@example.com\"",
            &[(Severity::Warning, "proxy.acme.challenge")],
        ),
        (
            "[metrics]\nenabled = true\nlisten = \"0.0.0.0:9100\"",
            &[(Severity::Error, "metrics.token")],
        ),
        (
            "[metrics]\nenabled = true\nlisten = \"127.0.0.1:9100\"",
            &[],
        ),
        (
            "[server]\npublic_url = \"https://paas.example.com\"\n[metrics]\nenabled = true",
            &[(Severity::Error, "metrics.token")],
        ),
        (
            "[metrics]\nenabled = true\nlisten = \"0.0.0.0:9100\"\ntoken = \"0123456789abcdef0123\"",
            &[],
        ),
        (
            "[metrics]\nenabled = true\nlisten = \"0.0.0.0:443\"\ntoken = \"0123456789abcdef0123\"",
            &[(Severity::Error, "metrics.listen")],
        ),
        (
            "[metrics]\ntoken = \"0123456789abcdef0123\"",
            &[(Severity::Warning, "metrics.enabled")],
        ),
        (
            "[log]\nlevel = \"verbose\"",
            &[(Severity::Error, "log.level")],
        ),
        ("[log]\nlevel = \"warn,rivetr_proxy=debug\"", &[]),
        (
            "[server]\ntrusted_proxies = [\"10.0.0.0/8\", \"0.0.0.0/0\"]",
            &[(Severity::Warning, "server.trusted_proxies")],
        ),
        (
            "[proxy]\nmax_header_bytes = \"1KiB\"",
            &[(Severity::Error, "proxy")],
        ),
        (
            "[engine]\nnetwork = \"My Net\"",
            &[(Severity::Error, "engine.network")],
        ),
        (
            "[engine]\nwatch_failures = 0",
            &[(Severity::Error, "engine.watch_failures")],
        ),
        (
            "[engine]\npublish_port_range = \"1-1000\"",
            &[
                (Severity::Warning, "engine.publish_port_range"),
                (Severity::Warning, "engine.publish_port_range"),
            ],
        ),
        (
            "[auth]\nlogin_rate_limit = 0",
            &[(Severity::Error, "auth.login_rate_limit")],
        ),
        (
            "[auth]\nsession_ttl = \"0s\"",
            &[(Severity::Error, "auth.session_ttl")],
        ),
        (
            "[store.logs]\nbytes_per_chunk = \"8GiB\"",
            &[
                (Severity::Error, "store.logs.bytes_per_chunk"),
                (Severity::Warning, "store.logs.bytes_per_deployment"),
            ],
        ),
    ];
    for (text, expected) in cases {
        let findings = parse(text).check();
        let expected: Vec<_> = expected
            .iter()
            .map(|(s, k)| (*s, (*k).to_owned()))
            .collect();
        assert_eq!(summary(&findings), expected, "{text}");
        for finding in findings {
            assert!(!finding.message.is_empty());
            let shown = finding.to_string();
            assert!(shown.contains("\n  fix: "), "{shown}");
        }
    }
}

fn self_check_config(data_dir: &Path) -> Config {
    let mut config = Config::default();
    config.server.data_dir = data_dir.to_path_buf();
    config.server.min_free_disk = rivetr_server::config::ByteSize::new(1);
    config.server.api_listen = "127.0.0.1:0".parse().unwrap();
    config.proxy.http_listen = "127.0.0.1:0".parse().unwrap();
    config.proxy.https_listen = "127.0.0.1:0".parse().unwrap();
    config.runtime.socket = Some(data_dir.join("no-engine.sock"));
    config.runtime.timeout = "2s".parse().unwrap();
    config
}

fn finding<'a>(findings: &'a [Finding], subject: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.subject == subject)
        .unwrap_or_else(|| panic!("no {subject} finding in {findings:#?}"))
}

#[tokio::test]
async fn self_checks_report_each_part_of_the_machine() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let config = self_check_config(&data_dir);
    let findings = self_check(&config).await;

    let writable = finding(&findings, "data dir");
    assert_eq!(writable.severity, Severity::Ok, "{writable}");
    assert!(data_dir.is_dir(), "the data dir is created");
    assert_eq!(
        std::fs::read_dir(&data_dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".rivetr-selfcheck")
            })
            .count(),
        0,
        "the probe file is removed"
    );
    assert_eq!(finding(&findings, "disk space").severity, Severity::Ok);
    for key in [
        "server.api_listen",
        "proxy.http_listen",
        "proxy.https_listen",
    ] {
        assert_eq!(finding(&findings, key).severity, Severity::Ok);
    }
    let store = finding(&findings, "store");
    assert_eq!(store.severity, Severity::Ok, "{store}");
    assert!(data_dir.join("rivetr.db").exists());
    assert!(data_dir.join("sealing.keys").exists());
    let runtime = finding(&findings, "runtime");
    assert_eq!(runtime.severity, Severity::Error, "{runtime}");
    assert!(runtime.message.contains("no-engine.sock"), "{runtime}");
    assert!(runtime.fix.as_deref().unwrap().contains("runtime.socket"));
}

#[tokio::test]
async fn self_checks_find_busy_ports_full_disks_and_bad_stores() {
    let dir = tempfile::tempdir().unwrap();
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut config = self_check_config(dir.path());
    config.server.api_listen = busy.local_addr().unwrap();
    config.server.min_free_disk = "1000000TiB".parse().unwrap();
    config.store.url = Some("sqlite:///proc/no-such-dir/rivetr.db".to_owned());
    let findings = self_check(&config).await;

    let port = finding(&findings, "server.api_listen");
    assert_eq!(port.severity, Severity::Error);
    assert!(port.message.contains("already in use"), "{port}");
    let disk = finding(&findings, "disk space");
    assert_eq!(disk.severity, Severity::Error, "{disk}");
    assert!(
        disk.fix
            .as_deref()
            .unwrap()
            .contains("server.min_free_disk")
    );
    let store = finding(&findings, "store");
    assert_eq!(store.severity, Severity::Error, "{store}");
    assert!(
        !store.message.contains("secret"),
        "the password is hidden: {store}"
    );
    drop(busy);
}

#[tokio::test]
async fn self_checks_can_be_skipped() {
    let mut config = Config::default();
    config.server.skip_self_checks = true;
    config.server.data_dir = PathBuf::from("/nonexistent/rivetr");
    let findings = self_check(&config).await;
    assert_eq!(
        summary(&findings),
        vec![(Severity::Skipped, "self checks".to_owned())]
    );
}

/// Every leaf key of `value`, dotted.
fn leaf_keys(prefix: &str, value: &serde_json::Value, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaf_keys(&key, v, out);
            }
        }
        _ => {
            out.insert(prefix.to_owned());
        }
    }
}

#[test]
fn config_reference_names_every_field_once() {
    let defaults = serde_json::to_value(Config::default()).unwrap();
    let mut fields = BTreeSet::new();
    leaf_keys("", &defaults, &mut fields);
    let listed: Vec<&str> = Config::reference().iter().map(|e| e.key).collect();
    let listed_set: BTreeSet<String> = listed.iter().map(|k| (*k).to_owned()).collect();
    assert_eq!(listed.len(), listed_set.len(), "a key is listed twice");
    assert_eq!(
        listed_set, fields,
        "the reference and the Config fields differ"
    );
    for entry in Config::reference() {
        let value = entry
            .key
            .split('.')
            .try_fold(&defaults, |v, p| v.get(p))
            .unwrap();
        assert_eq!(
            entry.default_text.is_some(),
            value.is_null(),
            "{}: a written-out default only for unset keys",
            entry.key
        );
        assert!(!entry.doc.is_empty(), "{} has no explanation", entry.key);
    }
}

#[test]
fn config_reference_in_docs_matches_the_code() {
    const START: &str = "<!-- config-reference:start -->\n";
    const END: &str = "<!-- config-reference:end -->";
    let path = manifest_dir().join("../../docs/configuration.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let start = doc.find(START).expect("start marker") + START.len();
    let end = doc.find(END).expect("end marker");
    let rendered = render_reference();
    if std::env::var_os("RIVETR_BLESS").is_some_and(|v| v == "1") {
        let updated = format!("{}{rendered}{}", &doc[..start], &doc[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert!(
        doc[start..end] == rendered,
        "docs/configuration.md's reference differs from the code; run \
         `RIVETR_BLESS=1 cargo test -p rivetr-server config_reference` to regenerate it"
    );
}

#[test]
fn sealing_keys_from_config_replace_the_key_file_and_bad_ones_are_named_not_shown() {
    let good = "k2:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=,k1:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";
    let config = load_str(
        "",
        Path::new("<test>"),
        env(&[("RIVETR_STORE__SEALING_KEYS", good)]),
    )
    .unwrap();
    assert!(
        config
            .check()
            .iter()
            .all(|f| f.subject != "store.sealing_keys")
    );
    match config.store_config().unwrap().sealing {
        Sealing::Sealer(sealer) => {
            assert_eq!(sealer.current_key().as_str(), "k2", "the first key seals");
            assert_eq!(sealer.key_ids().count(), 2, "the others still open");
        }
        other => panic!("expected keys from config, got {other:?}"),
    }

    // A short key: refused by check() and by the conversion, naming the
    // entry, never echoing the secret.
    let secret_part = "c2hvcnQga2V5";
    let bad = format!("k1:{secret_part}");
    let config = load_str(
        "",
        Path::new("<test>"),
        env(&[("RIVETR_STORE__SEALING_KEYS", &bad)]),
    )
    .unwrap();
    let finding = config
        .check()
        .into_iter()
        .find(|f| f.subject == "store.sealing_keys")
        .expect("a finding for the bad key");
    assert_eq!(finding.severity, Severity::Error);
    assert!(finding.message.contains("entry 1"), "{finding}");
    assert!(
        !finding.to_string().contains(secret_part),
        "the key leaked: {finding}"
    );
    let err = config.store_config().unwrap_err().to_string();
    assert!(!err.contains(secret_part), "the key leaked: {err}");
    assert!(
        !format!("{config:?}").contains(secret_part),
        "Debug shows the key"
    );
}
