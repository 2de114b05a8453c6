//! The inputs behind peers' command-injection CVEs never reach Docker, git
//! or the file system: an app spec carrying one does not even deserialize,
//! so nothing runs. (Each fetcher's and builder's own tests show the same at
//! their edge, and that nothing was created.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]

use rivetr_core::model::AppSpec;
use serde_json::{Value, json};

/// A valid spec touching every field a hostile value could hide in.
fn valid() -> Value {
    json!({
        "source": { "type": "git", "url": "https://git.example.com/acme/shop.git", "reference": "main",
                    "watch_paths": ["web"] },
        "build": { "builder": "dockerfile", "base_directory": "web", "dockerfile": "Dockerfile.prod",
                   "target": "runtime", "build_args": { "NODE_ENV": "production" } },
        "run": { "port": 8080, "volumes": [ { "source": { "type": "volume", "name": "shop-data" },
                                              "target": "/data" } ] }
    })
}

fn set(spec: &mut Value, pointer: &str, value: Value) {
    *spec
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no field {pointer}")) = value;
}

#[test]
fn the_valid_spec_parses() {
    serde_json::from_value::<AppSpec>(valid()).expect("the baseline is valid");
}

#[test]
fn hostile_values_are_refused_in_every_field() {
    let hostile = [
        "x; touch /tmp/pwned",
        "$(touch /tmp/pwned)",
        "`touch /tmp/pwned`",
        "x\ntouch /tmp/pwned",
        "--upload-pack=touch /tmp/pwned",
        "-oProxyCommand=touch /tmp/pwned",
        "../../etc/passwd",
        "/etc/passwd",
        "x\0y",
    ];
    let fields = [
        ("/source/url", "repository URL"),
        ("/source/reference", "git ref"),
        ("/source/watch_paths/0", "watch path"),
        ("/build/base_directory", "base directory"),
        ("/build/dockerfile", "Dockerfile path"),
        ("/build/target", "build target"),
        ("/run/volumes/0/source/name", "volume name"),
        ("/run/volumes/0/target", "mount target"),
    ];
    for (pointer, what) in fields {
        for value in hostile {
            // Absolute paths are right for a mount target; everything else
            // in the list is still refused there.
            if pointer == "/run/volumes/0/target" && value == "/etc/passwd" {
                continue;
            }
            let mut spec = valid();
            set(&mut spec, pointer, json!(value));
            let result = serde_json::from_value::<AppSpec>(spec);
            assert!(result.is_err(), "{what} {value:?} must be refused");
        }
    }
    // Build-arg and env names are keys.
    for key in ["A;B", "$(id)", "A B", "-e", "A\nB", ""] {
        let mut spec = valid();
        set(&mut spec, "/build/build_args", json!({ key: "1" }));
        assert!(
            serde_json::from_value::<AppSpec>(spec).is_err(),
            "build arg name {key:?} must be refused"
        );
        assert!(
            key.parse::<rivetr_core::input::EnvKey>().is_err(),
            "env key {key:?}"
        );
    }
}

#[test]
fn refusals_say_what_is_wrong() {
    let mut spec = valid();
    set(
        &mut spec,
        "/source/url",
        json!("--upload-pack=touch /tmp/pwned"),
    );
    let err = serde_json::from_value::<AppSpec>(spec)
        .unwrap_err()
        .to_string();
    assert!(err.contains("git URL") || err.contains("URL"), "{err}");
    let mut spec = valid();
    set(
        &mut spec,
        "/run/volumes/0/source/name",
        json!("data;rm -rf /"),
    );
    let err = serde_json::from_value::<AppSpec>(spec)
        .unwrap_err()
        .to_string();
    assert!(err.contains("volume name"), "{err}");
}
