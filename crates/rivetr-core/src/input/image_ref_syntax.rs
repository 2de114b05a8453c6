//! The syntax checks behind [`ImageRef`](super::ImageRef); each returns the
//! reason of a refusal.

use super::rules;

const MAX_TAG: usize = 128;

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`
pub(super) fn check_tag(tag: &str) -> Result<(), String> {
    if tag.is_empty() || tag.len() > MAX_TAG {
        return Err(format!(
            "the tag after ':' must have 1 to {MAX_TAG} characters"
        ));
    }
    let ok = |c: char| c.is_ascii_alphanumeric() || "_.-".contains(c);
    if let Some(found) = rules::found(tag, |c| !ok(c)) {
        return Err(format!(
            "the tag \"{tag}\" may only have letters, digits, '_', '.' and '-' ({found})"
        ));
    }
    if tag.starts_with(['.', '-']) {
        return Err(format!("the tag \"{tag}\" must not start with '.' or '-'"));
    }
    Ok(())
}

/// `host[:port]`: dot-separated labels of letters, digits and `-`, and a port
/// from 1 to 65535.
pub(super) fn check_registry(registry: &str) -> Result<(), String> {
    let (host, port) = match registry.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (registry, None),
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if !host.split('.').all(label_ok) {
        return Err(format!(
            "the registry \"{registry}\" is not a valid host name (letters, digits, '-' and '.')"
        ));
    }
    if let Some(port) = port {
        let valid =
            port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok_and(|p| p > 0);
        if !valid {
            return Err(format!(
                "the registry port \"{port}\" is not a number from 1 to 65535"
            ));
        }
    }
    Ok(())
}

/// `[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`
pub(super) fn check_component(part: &str) -> Result<(), String> {
    if part.is_empty() {
        return Err("has an empty path component ('//', or '/' at an end)".into());
    }
    if let Some(found) = rules::found(part, |c| c.is_ascii_uppercase()) {
        return Err(format!(
            "repository names must be lowercase ({found} of \"{part}\"); try \"{}\"",
            part.to_ascii_lowercase()
        ));
    }
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if let Some(found) = rules::found(part, |c| !alnum(c) && !"._-".contains(c)) {
        return Err(format!(
            "the name part \"{part}\" may only have a-z, 0-9, '.', '_' and '-' ({found})"
        ));
    }
    if !part.starts_with(alnum) || !part.ends_with(alnum) {
        return Err(format!(
            "the name part \"{part}\" must start and end with a letter or digit"
        ));
    }
    for sep in part.split(alnum).filter(|s| !s.is_empty()) {
        if !(matches!(sep, "." | "_" | "__") || sep.bytes().all(|b| b == b'-')) {
            return Err(format!(
                "the name part \"{part}\" has the separator \"{sep}\"; use '.', '_', '__' or '-'"
            ));
        }
    }
    Ok(())
}
