//! The generated domain an app gets on creation when the instance has an
//! app base domain: `<app name>-<6 hex digits>.<base>`.

use rivetr_core::id::AppId;
use rivetr_core::input::{AppName, HostPattern, InputError};

/// The longest DNS label.
const MAX_LABEL: usize = 63;
/// How many hex digits of the app id make the name unique.
const SUFFIX_DIGITS: usize = 6;

/// `<name>-<hex>.<base>`, where `<hex>` is the last six hex digits of the
/// app id (its random part: ids are time-ordered, so their first digits
/// repeat between apps made close together). The name part is shortened
/// so the label stays within 63 characters.
pub(super) fn generated_host(
    name: &AppName,
    id: AppId,
    base: &str,
) -> Result<HostPattern, InputError> {
    let hex = id.as_uuid().simple().to_string();
    let suffix = &hex[hex.len() - SUFFIX_DIGITS..];
    let room = MAX_LABEL - SUFFIX_DIGITS - 1;
    let mut label: String = name.as_str().chars().take(room).collect();
    while label.ends_with('-') {
        label.pop();
    }
    format!("{label}-{suffix}.{}", base.trim_matches('.')).parse()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::*;

    #[test]
    fn generated_hosts_are_labels_under_the_base() {
        let id = AppId::new();
        let host = generated_host(&"shop".parse().unwrap(), id, "apps.example.com").unwrap();
        let hex = id.as_uuid().simple().to_string();
        assert_eq!(
            host.to_string(),
            format!("shop-{}.apps.example.com", &hex[26..])
        );
        let long: AppName = format!("{}-x", "a".repeat(55)).parse().unwrap();
        let host = generated_host(&long, id, "example.com").unwrap();
        let label = host.to_string();
        let label = label.split('.').next().unwrap();
        assert!(label.len() <= 63, "{label}");
        assert!(!label.contains("--"), "{label}");
    }

    #[test]
    fn apps_made_together_get_different_hosts() {
        let name: AppName = "web".parse().unwrap();
        let a = generated_host(&name, AppId::new(), "example.com").unwrap();
        let b = generated_host(&name, AppId::new(), "example.com").unwrap();
        assert_ne!(a, b);
    }
}
