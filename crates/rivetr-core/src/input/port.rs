//! [`Port`]: a TCP or UDP port number.

use std::fmt;
use std::num::NonZeroU16;
use std::str::FromStr;

use super::{InputError, rules};

const WHAT: &str = "port";
const RANGE: &str = "a port is a number from 1 to 65535";

/// A port number from 1 to 65535.
///
/// Parsed from decimal digits only: no sign, no spaces, no `0`. Serialized as
/// a JSON number; deserialized from a number or a string of digits.
///
/// ```
/// use rivetr_core::input::Port;
///
/// let port: Port = "8080".parse()?;
/// assert_eq!(port.get(), 8080);
///
/// let err = "0".parse::<Port>().unwrap_err();
/// assert!(err.reason().contains("1 to 65535"));
/// assert!("80 ".parse::<Port>().is_err());
/// assert!("-1".parse::<Port>().is_err());
/// # Ok::<(), rivetr_core::input::InputError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Port(NonZeroU16);

impl Port {
    /// The port number.
    #[must_use]
    pub fn get(self) -> u16 {
        self.0.get()
    }

    fn from_u64(n: u64, shown: &str) -> Result<Self, InputError> {
        if n == 0 {
            return Err(InputError::new(
                WHAT,
                shown,
                format!("port 0 cannot be used; {RANGE}"),
            ));
        }
        u16::try_from(n)
            .ok()
            .and_then(NonZeroU16::new)
            .map(Self)
            .ok_or_else(|| {
                InputError::new(WHAT, shown, "is larger than 65535, the highest port number")
            })
    }

    fn parse(s: &str) -> Result<Self, InputError> {
        let err = |reason: String| InputError::new(WHAT, s, reason);
        if s.is_empty() {
            return Err(err(format!("must not be empty; {RANGE}")));
        }
        rules::no_control(WHAT, s)?;
        if let Some((pos, c)) = rules::find(s, char::is_whitespace) {
            let c = rules::describe(c);
            return Err(err(format!(
                "contains {c} at position {pos}; write just the number, like 8080"
            )));
        }
        if s.starts_with(['+', '-']) {
            return Err(err(format!("write the number without a sign; {RANGE}")));
        }
        if let Some(found) = rules::found(s, |c| !c.is_ascii_digit()) {
            return Err(err(format!("must be a number ({found}); {RANGE}")));
        }
        match s.trim_start_matches('0').len() {
            0 => Self::from_u64(0, s),
            1..=5 => Self::from_u64(s.parse().map_err(|_| err(RANGE.into()))?, s),
            _ => Self::from_u64(u64::MAX, s),
        }
    }
}

impl From<NonZeroU16> for Port {
    fn from(n: NonZeroU16) -> Self {
        Self(n)
    }
}

impl From<Port> for u16 {
    fn from(p: Port) -> Self {
        p.get()
    }
}

impl TryFrom<u16> for Port {
    type Error = InputError;
    fn try_from(n: u16) -> Result<Self, InputError> {
        Self::from_u64(n.into(), &n.to_string())
    }
}

impl FromStr for Port {
    type Err = InputError;
    fn from_str(s: &str) -> Result<Self, InputError> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Port {
    type Error = InputError;
    fn try_from(s: String) -> Result<Self, InputError> {
        Self::parse(&s)
    }
}

impl TryFrom<&str> for Port {
    type Error = InputError;
    fn try_from(s: &str) -> Result<Self, InputError> {
        Self::parse(s)
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl serde::Serialize for Port {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u16(self.get())
    }
}

impl<'de> serde::Deserialize<'de> for Port {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Port;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a port number from 1 to 65535")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Port, E> {
                Port::from_u64(v, &v.to_string()).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Port, E> {
                Port::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Port, E> {
                Port::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(s: &str) -> String {
        Port::parse(s).unwrap_err().reason().to_owned()
    }

    #[test]
    fn accepts_1_to_65535() {
        assert_eq!(Port::parse("1").unwrap().get(), 1);
        assert_eq!(Port::parse("65535").unwrap().get(), 65535);
        assert_eq!(Port::parse("08080").unwrap().get(), 8080);
        assert_eq!(Port::try_from(443).unwrap().to_string(), "443");
        assert_eq!(u16::from(Port::from(NonZeroU16::MIN)), 1);
    }

    #[test]
    fn refuses_with_clear_messages() {
        assert_eq!(
            reason("0"),
            "port 0 cannot be used; a port is a number from 1 to 65535"
        );
        assert_eq!(reason("000"), reason("0"));
        assert_eq!(
            reason("65536"),
            "is larger than 65535, the highest port number"
        );
        assert_eq!(reason("99999999999999999999999"), reason("65536"));
        assert!(reason("-1").contains("without a sign"));
        assert!(reason("+80").contains("without a sign"));
        assert!(reason(" 80").contains("a space at position 1"));
        assert!(reason("80\n").contains("line break"));
        assert!(reason("80a").contains("'a' at position 3"));
        assert!(reason("").contains("empty"));
        assert!(reason("8;0").contains("';'"));
        assert!(Port::try_from(0).is_err());
    }

    #[test]
    fn serde_as_a_number() {
        let p = Port::parse("8080").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "8080");
        assert_eq!(serde_json::from_str::<Port>("8080").unwrap(), p);
        assert_eq!(serde_json::from_str::<Port>("\"8080\"").unwrap(), p);
        for bad in ["0", "65536", "-1", "\"x\"", "8080.5", "null"] {
            assert!(serde_json::from_str::<Port>(bad).is_err(), "{bad}");
        }
    }
}
