#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! `rivetr store ...` against a real server's data directory: an online
//! backup while `rivetr serve` runs, a key rotation with the server
//! stopped, and a restore that the restarted server comes up on.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use rivetr_e2e::{Rivetr, binary, get};

fn store(config: &Path, args: &[&str]) -> Output {
    Command::new(binary())
        .arg("store")
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("RIVETR_CONFIG")
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    text
}

fn key_ids(keys: &Path) -> Vec<String> {
    std::fs::read_to_string(keys)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split(':').next().unwrap().to_owned())
        .collect()
}

#[test]
fn backup_rotate_and_restore_through_the_command_line() {
    let mut rivetr = Rivetr::start("");
    let config = rivetr.dir.path().join("rivetr.toml");
    let backups = tempfile::tempdir().unwrap();
    let dest = backups.path().join("rivetr-backup.db");

    // Online: the server keeps running.
    let text = ok(&store(&config, &["backup", dest.to_str().unwrap()]));
    assert!(text.contains("backed up to"), "{text}");
    let mode = std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode, 0o600,
        "a backup holds sealed secrets and hashes: private"
    );
    // Never over an existing file.
    let again = store(&config, &["backup", dest.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(get(rivetr.api, "/health", "localhost").unwrap().status, 200);

    // Rotation with the server stopped; --retire drops the old key.
    rivetr.stop();
    let keys = rivetr.data_dir().join("sealing.keys");
    let before = key_ids(&keys);
    let text = ok(&store(&config, &["rotate-key", "--retire"]));
    assert!(text.contains("is now current"), "{text}");
    let after = key_ids(&keys);
    assert_eq!(after.len(), 1, "only the new key is left: {after:?}");
    assert_ne!(after, before, "a new key id");

    // With the server stopped, a restore puts the backup in place and keeps
    // the replaced database aside.
    let text = ok(&store(&config, &["restore", dest.to_str().unwrap()]));
    assert!(text.contains("restored"), "{text}");
    let kept = std::fs::read_dir(rivetr.data_dir())
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().contains("before-restore"));
    assert!(kept, "the replaced database is kept beside it");

    // The backup predates the rotation, and the new key was never seen by
    // it: the server starts on it and records the new key.
    rivetr.restart();
    assert_eq!(get(rivetr.api, "/health", "localhost").unwrap().status, 200);
}
