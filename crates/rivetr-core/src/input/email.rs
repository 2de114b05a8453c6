//! [`Email`]: an email address.

use super::{DomainName, InputError, rules};

const WHAT: &str = "email address";
const MAX_LEN: usize = 254;
const MAX_LOCAL: usize = 64;

/// An email address `local@domain`.
///
/// The domain is a [`DomainName`] (so it is lowercased, and stored in
/// punycode if it is internationalised); the local part keeps its case and
/// has 1 to 64 characters: letters, digits and ``.!#%&'*+-/=?^_~``, with no
/// leading, trailing or double `.` (RFC 5322's dot-atom, less `$`, `` ` ``,
/// `|`, `{` and `}`). No leading `-`; at most 254 characters in all.
///
/// ```
/// use rivetr_core::input::Email;
///
/// let e: Email = "Ada.Lovelace+rivetr@Example.COM".parse()?;
/// assert_eq!(e.as_str(), "Ada.Lovelace+rivetr@example.com");
/// assert_eq!(e.domain(), "example.com");
///
/// assert!("ada@localhost".parse::<Email>().is_err());
/// assert!("ada lovelace@example.com".parse::<Email>().is_err());
/// # Ok::<(), rivetr_core::input::InputError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email {
    s: String,
    /// Byte index of the `@`.
    at: usize,
}

impl Email {
    /// The address, domain lowercased.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.s
    }

    /// The part before the `@`.
    #[must_use]
    pub fn local_part(&self) -> &str {
        &self.s[..self.at]
    }

    /// The domain after the `@`, in its ASCII form.
    #[must_use]
    pub fn domain(&self) -> &str {
        &self.s[self.at + 1..]
    }

    fn parse(s: &str) -> Result<Self, InputError> {
        let err = |reason: String| InputError::new(WHAT, s, reason);
        rules::not_empty(WHAT, s)?;
        rules::no_control(WHAT, s)?;
        rules::max_chars(WHAT, s, MAX_LEN)?;
        rules::no_leading_dash(WHAT, s)?;
        let Some(at) = s.rfind('@') else {
            return Err(err("needs an '@', like name@example.com".into()));
        };
        let (local, domain) = (&s[..at], &s[at + 1..]);
        if local.is_empty() {
            return Err(err("has nothing before the '@'".into()));
        }
        let len = local.chars().count();
        if len > MAX_LOCAL {
            return Err(err(format!(
                "the part before '@' is {len} characters long; the limit is {MAX_LOCAL}"
            )));
        }
        let ok = |c: char| c.is_ascii_alphanumeric() || ".!#%&'*+-/=?^_~".contains(c);
        if let Some((pos, c)) = rules::find(local, |c| !ok(c)) {
            let c = rules::describe(c);
            let what = if c == "'@'" { "more than one '@'" } else { &c };
            return Err(err(format!(
                "contains {what} (at position {pos}), which is not allowed in an address"
            )));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(err(
                "the part before '@' must not start or end with '.' or contain '..'".into(),
            ));
        }
        let domain = domain
            .parse::<DomainName>()
            .map_err(|e| err(format!("the domain after '@' {}", e.reason())))?;
        let full = format!("{local}@{}", domain.as_str());
        if full.len() > MAX_LEN {
            return Err(err(format!(
                "is {} characters long with its domain in ASCII form; the limit is {MAX_LEN}",
                full.len()
            )));
        }
        Ok(Self { s: full, at })
    }
}

string_type!(Email);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_addresses() {
        for (s, want) in [
            ("a@example.com", "a@example.com"),
            ("A.B+c@EXAMPLE.com", "A.B+c@example.com"),
            ("o'brien@example.ie", "o'brien@example.ie"),
            ("x@пример.рф", "x@xn--e1afmkfd.xn--p1ai"),
        ] {
            let e = Email::parse(s).unwrap();
            assert_eq!(e.as_str(), want);
            assert_eq!(format!("{}@{}", e.local_part(), e.domain()), want);
        }
    }

    #[test]
    fn refuses_bad_addresses() {
        let cases = [
            ("example.com", "needs an '@'"),
            ("@example.com", "nothing before"),
            ("a@", "domain after '@' must not be empty"),
            ("a@b@example.com", "more than one '@'"),
            ("a b@example.com", "a space"),
            ("a;b@example.com", "';'"),
            ("a$b@example.com", "'$'"),
            ("a`b@example.com", "'`'"),
            ("a\n@example.com", "line break"),
            ("a\0@example.com", "NUL"),
            (".a@example.com", "'.'"),
            ("a..b@example.com", "'..'"),
            ("-a@example.com", "'-'"),
            ("a@localhost", "at least two labels"),
            ("a@pаypal.com", "mixes Latin and Cyrillic"),
            ("é@example.com", "U+00E9"),
        ];
        for (s, needle) in cases {
            let r = Email::parse(s).unwrap_err().reason().to_owned();
            assert!(r.contains(needle), "{s:?}: {r}");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(
            Email::parse(&long_local)
                .unwrap_err()
                .reason()
                .contains("limit is 64")
        );
        let long = format!("a@{}.com", vec!["abcdefghi"; 25].join("."));
        assert!(
            Email::parse(&long)
                .unwrap_err()
                .reason()
                .contains("limit is 254")
        );
    }

    #[test]
    fn serde_round_trip() {
        let e = Email::parse("a@Example.com").unwrap();
        assert_eq!(serde_json::to_string(&e).unwrap(), "\"a@example.com\"");
        assert_eq!(
            serde_json::from_str::<Email>("\"a@example.com\"").unwrap(),
            e
        );
    }
}
