//! Checks on the names and ids that end up in engine URL paths.

/// Whether `s` can be a Docker container or network name or id:
/// `[A-Za-z0-9][A-Za-z0-9_.-]*`, at most 255 characters. Anything else
/// (a `/`, `..`, `?`, spaces) could change the API path it is put into, and
/// cannot name anything the engine has.
pub(crate) fn is_object_name(s: &str) -> bool {
    let mut chars = s.chars();
    s.len() <= 255
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Why `name` cannot be an app network, if it cannot: it must be a plain
/// name, and not one of the engine's special modes (`host` shares the host's
/// network stack, `none` has none).
pub(crate) fn network_problem(name: &str) -> Option<&'static str> {
    if !is_object_name(name) {
        Some("use letters, digits, '_', '.' and '-', starting with a letter or digit")
    } else if matches!(name, "host" | "none" | "default") {
        Some("this is one of the engine's network modes, not a bridge network")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_names_and_ids_only() {
        for ok in ["rivetr", "rivetr-web-1", "a1b2c3", "my_net.v2"] {
            assert!(is_object_name(ok), "{ok}");
        }
        for bad in [
            "",
            "-x",
            ".x",
            "../images/x",
            "a/b",
            "a?b",
            "a b",
            "a\nb",
            "%2e%2e",
        ] {
            assert!(!is_object_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn refuses_network_modes() {
        assert_eq!(network_problem("rivetr"), None);
        for bad in ["host", "none", "default", "container:x", "a/b"] {
            assert!(network_problem(bad).is_some(), "{bad}");
        }
    }
}
