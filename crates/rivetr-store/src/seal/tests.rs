//! The key file and the sealer, without a database.

use std::os::unix::fs::PermissionsExt;

use super::{KeyFile, KeyFileError, SealError, Sealer, SealingKey};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn key(id: &str) -> SealingKey {
    SealingKey::generate(id.parse().unwrap()).unwrap()
}

#[test]
fn a_missing_key_file_is_created_private_with_one_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys").join("sealing.keys");
    let file = KeyFile::new(&path);

    let sealer = file.load_or_create().unwrap();

    assert_eq!(mode(&path), 0o600, "key file mode");
    assert_eq!(mode(path.parent().unwrap()), 0o700, "key directory mode");
    let keys = file.keys().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(sealer.current_key(), keys[0].id());
    // Loading again reads the same key instead of making a new one.
    let again = file.load_or_create().unwrap();
    let sealed = sealer.seal(b"place", b"value").unwrap();
    assert_eq!(again.open(b"place", &sealed).unwrap(), b"value");
}

#[test]
fn a_key_file_others_can_read_is_refused_naming_chmod() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sealing.keys");
    let file = KeyFile::new(&path);
    file.load_or_create().unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();

    let err = file.load_or_create().unwrap_err();

    assert!(
        matches!(err, KeyFileError::TooOpen { mode: 0o644, .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains(&format!("chmod 600 {}", path.display())),
        "the message names the fix: {message}"
    );
}

#[test]
fn bad_lines_are_named_by_their_line_number() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sealing.keys");
    let good = format!("k1:{}", "A".repeat(43) + "=");
    let cases = [
        ("no-colon-here", "expected ID:BASE64"),
        ("Upper:AAAA", "invalid"),
        ("k2:not base64!", "not base64"),
        ("k2:AAAA", "expected 32"),
    ];
    for (bad, why) in cases {
        std::fs::remove_file(&path).ok();
        let text = format!("# a comment\n{good}\n\n{bad}\n");
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();

        let err = KeyFile::new(&path).keys().unwrap_err();

        assert!(
            matches!(err, KeyFileError::Syntax { line: 4, .. }),
            "{bad:?}: {err:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains("line 4") && message.contains(why),
            "{bad:?}: {message}"
        );
    }
}

#[test]
fn a_key_file_without_keys_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sealing.keys");
    std::fs::write(&path, "# only a comment\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();

    let err = KeyFile::new(&path).sealer().unwrap_err();

    assert!(matches!(err, KeyFileError::Empty { .. }), "{err:?}");
}

#[test]
fn rotate_puts_a_new_key_first_and_retire_keeps_only_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sealing.keys");
    let file = KeyFile::new(&path);
    let old = file.load_or_create().unwrap();
    let sealed = old.seal(b"place", b"value").unwrap();

    let new_id = file.rotate().unwrap();

    assert_eq!(mode(&path), 0o600, "key file mode after rotate");
    let rotated = file.sealer().unwrap();
    assert_eq!(rotated.current_key(), &new_id);
    assert_eq!(rotated.key_ids().count(), 2);
    assert_eq!(
        rotated.open(b"place", &sealed).unwrap(),
        b"value",
        "the old key still opens"
    );
    let resealed = rotated.seal(b"place", b"value").unwrap();
    assert_eq!(Sealer::key_of(&resealed).unwrap(), new_id.as_str());

    file.retire().unwrap();

    assert_eq!(mode(&path), 0o600, "key file mode after retire");
    let retired = file.sealer().unwrap();
    assert_eq!(retired.key_ids().collect::<Vec<_>>(), vec![&new_id]);
    assert_eq!(retired.open(b"place", &resealed).unwrap(), b"value");
    assert!(matches!(
        retired.open(b"place", &sealed),
        Err(SealError::UnknownKey(id)) if id == old.current_key().as_str()
    ));
}

#[test]
fn a_different_key_under_the_same_id_fails_loudly() {
    let sealed = Sealer::new(key("k1")).seal(b"place", b"value").unwrap();

    let err = Sealer::new(key("k1")).open(b"place", &sealed).unwrap_err();

    assert!(
        matches!(err, SealError::WrongKey(ref id) if id == "k1"),
        "{err:?}"
    );
}

#[test]
fn a_sealed_value_opens_only_at_its_place_and_untampered() {
    let sealer = Sealer::new(key("k1"));
    let mut sealed = sealer.seal(b"env_vars.sealed:a:KEY", b"value").unwrap();

    assert!(matches!(
        sealer.open(b"env_vars.sealed:b:KEY", &sealed),
        Err(SealError::WrongKey(_))
    ));
    let last = sealed.len() - 1;
    sealed[last] ^= 1;
    assert!(matches!(
        sealer.open(b"env_vars.sealed:a:KEY", &sealed),
        Err(SealError::WrongKey(_))
    ));
    assert!(matches!(
        sealer.open(b"env_vars.sealed:a:KEY", b"plain text"),
        Err(SealError::Malformed)
    ));
}

#[test]
fn sealing_twice_gives_different_bytes() {
    let sealer = Sealer::new(key("k1"));
    let a = sealer.seal(b"place", b"value").unwrap();
    let b = sealer.seal(b"place", b"value").unwrap();
    assert_ne!(a, b, "a fresh nonce every time");
    assert!(!a.windows(5).any(|w| w == b"value"));
}
