//! [`AppName`]: the name of an app, a DNS label.

use super::{InputError, rules};

const WHAT: &str = "app name";

/// The longest app name: the limit of a DNS label.
const MAX_LEN: usize = 63;

/// The name of an app: a DNS label of 1 to 63 characters, lowercase letters
/// `a-z`, digits and `-`, not starting or ending with `-`.
///
/// It is used as the prefix of container names, as the network alias of the
/// app's containers and as a subdomain, so it must be valid in all three.
///
/// ```
/// use rivetr_core::input::AppName;
///
/// let name: AppName = "my-app-2".parse()?;
/// assert_eq!(name.as_str(), "my-app-2");
///
/// let err = "My_App".parse::<AppName>().unwrap_err();
/// assert!(err.reason().contains("use lowercase"));
/// assert!("-app".parse::<AppName>().is_err());
/// # Ok::<(), rivetr_core::input::InputError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppName(String);

impl AppName {
    /// The name as a string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn parse(s: &str) -> Result<Self, InputError> {
        rules::not_empty(WHAT, s)?;
        rules::no_control(WHAT, s)?;
        rules::max_chars(WHAT, s, MAX_LEN)?;
        if let Some(found) = rules::found(s, char::is_uppercase) {
            let reason = format!("use lowercase letters: {found}{}", suggestion(s));
            return Err(InputError::new(WHAT, s, reason));
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if let Some(found) = rules::found(s, |c| !allowed(c)) {
            let reason = format!(
                "use lowercase letters a-z, digits and '-' only ({found}){}",
                suggestion(s)
            );
            return Err(InputError::new(WHAT, s, reason));
        }
        if s.starts_with('-') || s.ends_with('-') {
            let reason = format!("must not start or end with '-'{}", suggestion(s));
            return Err(InputError::new(WHAT, s, reason));
        }
        Ok(Self(s.to_owned()))
    }
}

/// ` (try "my-app")`: a valid name close to `s`, if there is one.
fn suggestion(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out: String = out.chars().take(MAX_LEN).collect();
    let out = out.trim_end_matches('-');
    if out.is_empty() || out == s {
        String::new()
    } else {
        format!(" (try \"{out}\")")
    }
}

string_type!(AppName);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_dns_labels() {
        for s in [
            "a",
            "app",
            "my-app",
            "a1",
            "1a",
            "0",
            "a--b",
            &"a".repeat(63),
        ] {
            assert_eq!(AppName::parse(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn uppercase_is_refused_with_a_suggestion() {
        let e = AppName::parse("Foo_Bar").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid app name \"Foo_Bar\": use lowercase letters: found 'F' at position 1 \
             (try \"foo-bar\")"
        );
    }

    #[test]
    fn other_characters_are_named_with_position() {
        let e = AppName::parse("foo_bar").unwrap_err();
        assert_eq!(
            e.reason(),
            "use lowercase letters a-z, digits and '-' only (found '_' at position 4) \
             (try \"foo-bar\")"
        );
        assert!(
            AppName::parse("café")
                .unwrap_err()
                .reason()
                .contains("'é' (U+00E9)")
        );
        assert!(AppName::parse("a.b").is_err());
    }

    #[test]
    fn shell_metacharacters_control_and_whitespace_are_refused() {
        for s in [
            "a;b", "a$b", "a`b", "a|b", "a b", "a\nb", "a\0b", "a\tb", "$(x)",
        ] {
            assert!(AppName::parse(s).is_err(), "{s:?}");
        }
        assert!(
            AppName::parse("a\nb")
                .unwrap_err()
                .reason()
                .contains("line break")
        );
    }

    #[test]
    fn hyphens_at_the_ends_empty_and_long_are_refused() {
        assert!(AppName::parse("-app").is_err());
        assert!(AppName::parse("app-").is_err());
        assert!(AppName::parse("--upload-pack").is_err());
        assert_eq!(
            AppName::parse("").unwrap_err().reason(),
            "must not be empty"
        );
        let e = AppName::parse(&"a".repeat(64)).unwrap_err();
        assert_eq!(e.reason(), "is 64 characters long; the limit is 63");
    }

    #[test]
    fn conversions_and_serde() {
        let n = AppName::try_from("web".to_owned()).unwrap();
        assert_eq!(n.to_string(), "web");
        assert_eq!(AsRef::<str>::as_ref(&n), "web");
        assert_eq!(String::from(n.clone()), "web");
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"web\"");
        assert_eq!(serde_json::from_str::<AppName>("\"web\"").unwrap(), n);
        assert!(serde_json::from_str::<AppName>("\"Web\"").is_err());
    }
}
