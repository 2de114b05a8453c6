//! [`VolumeName`]: the name of a Docker volume.

use super::{InputError, rules};

const WHAT: &str = "volume name";
const MAX_LEN: usize = 64;

/// The name of a Docker volume: a letter or digit, then letters, digits, `_`,
/// `.` and `-` (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`), 2 to 64 characters. Docker
/// itself refuses one-character names.
///
/// ```
/// use rivetr_core::input::VolumeName;
///
/// let v: VolumeName = "pg_data.v2".parse()?;
/// assert_eq!(v.as_str(), "pg_data.v2");
///
/// assert!("_data".parse::<VolumeName>().is_err());
/// assert!("data/../x".parse::<VolumeName>().is_err());
/// # Ok::<(), rivetr_core::input::InputError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VolumeName(String);

impl VolumeName {
    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn parse(s: &str) -> Result<Self, InputError> {
        let err = |reason: String| InputError::new(WHAT, s, reason);
        rules::not_empty(WHAT, s)?;
        rules::no_control(WHAT, s)?;
        rules::max_chars(WHAT, s, MAX_LEN)?;
        let ok = |c: char| c.is_ascii_alphanumeric() || "_.-".contains(c);
        if let Some(found) = rules::found(s, |c| !ok(c)) {
            return Err(err(format!(
                "use letters, digits, '_', '.' and '-' only ({found})"
            )));
        }
        if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(err("must start with a letter or digit".into()));
        }
        if s.len() < 2 {
            return Err(err("must have at least 2 characters".into()));
        }
        Ok(Self(s.to_owned()))
    }
}

string_type!(VolumeName);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_docker_volume_names() {
        for s in ["ab", "pg_data", "A.b-c_d", "0x", &"a".repeat(64)] {
            assert_eq!(VolumeName::parse(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn refuses_bad_names() {
        let cases = [
            ("a", "at least 2"),
            ("-a", "start with a letter or digit"),
            (".a", "start with a letter or digit"),
            ("a/b", "'/' at position 2"),
            ("a b", "a space"),
            ("a;b", "';'"),
            ("a$b", "'$'"),
            ("a`b", "'`'"),
            ("a\nb", "line break"),
            ("a\0", "NUL"),
            ("", "empty"),
        ];
        for (s, needle) in cases {
            let r = VolumeName::parse(s).unwrap_err().reason().to_owned();
            assert!(r.contains(needle), "{s:?}: {r}");
        }
        assert!(
            VolumeName::parse(&"a".repeat(65))
                .unwrap_err()
                .reason()
                .contains("limit is 64")
        );
    }

    #[test]
    fn serde_round_trip() {
        let v = VolumeName::parse("data").unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), "\"data\"");
        assert_eq!(serde_json::from_str::<VolumeName>("\"data\"").unwrap(), v);
    }
}
