//! [`MemoryLimit`]: how much memory a container may use.

use std::fmt;
use std::str::FromStr;

use super::{InputError, rules};

const WHAT: &str = "memory limit";
const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
const TIB: u64 = 1 << 40;
/// Docker refuses less than this.
const MIN: u64 = 6 * MIB;
/// Docker takes the limit as a signed 64-bit number.
const MAX: u64 = i64::MAX as u64;
const FORMAT: &str = "write it like 512m, 512MiB, 1.5g or a number of bytes";

/// A memory limit in bytes, at least 6 MiB (the smallest limit Docker
/// accepts).
///
/// Parsed from a number of bytes (`"1048576"`) or a number with a unit `k`,
/// `m`, `g` or `t`, any case, optionally followed by `b`, `ib` or `iB`, and
/// optionally a space: `"512m"`, `"512M"`, `"512 MiB"`, `"1.5g"`, `"1GiB"`.
/// Units are binary (1k = 1024 bytes) whether written `MB` or `MiB`, as in
/// Docker. Displayed in the largest unit that divides it evenly (`512MiB`,
/// `1GiB`, or plain bytes). Serialized as a JSON number of bytes; deserialized
/// from a number of bytes or a string as above.
///
/// ```
/// use rivetr_core::input::MemoryLimit;
///
/// let m: MemoryLimit = "512m".parse()?;
/// assert_eq!(m.bytes(), 512 * 1024 * 1024);
/// assert_eq!(m.to_string(), "512MiB");
///
/// let err = "4m".parse::<MemoryLimit>().unwrap_err();
/// assert!(err.reason().contains("6 MiB"));
/// assert!("512 potatoes".parse::<MemoryLimit>().is_err());
/// # Ok::<(), rivetr_core::input::InputError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MemoryLimit(u64);

impl MemoryLimit {
    /// The limit in bytes.
    #[must_use]
    pub fn bytes(self) -> u64 {
        self.0
    }

    /// The limit in bytes as Docker's `HostConfig.Memory` wants it.
    #[must_use]
    pub fn bytes_i64(self) -> i64 {
        i64::try_from(self.0).unwrap_or(i64::MAX)
    }

    fn from_bytes(bytes: u64, shown: &str) -> Result<Self, InputError> {
        if bytes < MIN {
            let reason =
                "is below 6 MiB, the smallest memory limit Docker accepts; give at least 6m";
            return Err(InputError::new(WHAT, shown, reason));
        }
        if bytes > MAX {
            return Err(InputError::new(
                WHAT,
                shown,
                "is too large; the limit is 8 EiB",
            ));
        }
        Ok(Self(bytes))
    }

    fn parse(s: &str) -> Result<Self, InputError> {
        let err = |reason: String| InputError::new(WHAT, s, reason);
        rules::not_empty(WHAT, s)?;
        rules::no_control(WHAT, s)?;
        if s.trim() != s {
            return Err(err(format!("has spaces around it; {FORMAT}")));
        }
        if s.starts_with('-') {
            return Err(err("must not be negative".into()));
        }
        let end = s
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(s.len());
        let (number, unit) = (&s[..end], s[end..].trim_start_matches(' '));
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() || number.ends_with('.') {
            return Err(err(format!("must start with a number; {FORMAT}")));
        }
        let multiplier = match unit.to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "k" | "kb" | "ki" | "kib" => KIB,
            "m" | "mb" | "mi" | "mib" => MIB,
            "g" | "gb" | "gi" | "gib" => GIB,
            "t" | "tb" | "ti" | "tib" => TIB,
            _ => {
                let found = rules::describe(unit.chars().next().unwrap_or(' '));
                return Err(err(format!(
                    "has an unknown unit \"{unit}\" (found {found}); use k, m, g or t; {FORMAT}"
                )));
            }
        };
        if !fraction.is_empty() && multiplier == 1 {
            return Err(err("a number of bytes cannot have a fraction".into()));
        }
        if fraction.len() > 9 || whole.trim_start_matches('0').len() > 20 {
            return Self::from_bytes(u64::MAX, s); // too large, or absurdly precise
        }
        let (whole, fraction_digits): (u128, u128) = (
            whole.parse().map_err(|_| err(FORMAT.into()))?,
            if fraction.is_empty() {
                0
            } else {
                fraction.parse().map_err(|_| err(FORMAT.into()))?
            },
        );
        let scale = 10u128.pow(u32::try_from(fraction.len()).unwrap_or(9));
        let bytes =
            whole * u128::from(multiplier) + fraction_digits * u128::from(multiplier) / scale;
        Self::from_bytes(u64::try_from(bytes).unwrap_or(u64::MAX), s)
    }
}

impl fmt::Display for MemoryLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (unit, name) in [(TIB, "TiB"), (GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")] {
            if self.0.is_multiple_of(unit) {
                return write!(f, "{}{name}", self.0 / unit);
            }
        }
        write!(f, "{}", self.0)
    }
}

impl TryFrom<u64> for MemoryLimit {
    type Error = InputError;
    fn try_from(bytes: u64) -> Result<Self, InputError> {
        Self::from_bytes(bytes, &bytes.to_string())
    }
}

impl From<MemoryLimit> for u64 {
    fn from(m: MemoryLimit) -> Self {
        m.0
    }
}

impl FromStr for MemoryLimit {
    type Err = InputError;
    fn from_str(s: &str) -> Result<Self, InputError> {
        Self::parse(s)
    }
}

impl TryFrom<String> for MemoryLimit {
    type Error = InputError;
    fn try_from(s: String) -> Result<Self, InputError> {
        Self::parse(&s)
    }
}

impl TryFrom<&str> for MemoryLimit {
    type Error = InputError;
    fn try_from(s: &str) -> Result<Self, InputError> {
        Self::parse(s)
    }
}

impl serde::Serialize for MemoryLimit {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for MemoryLimit {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = MemoryLimit;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of bytes, or a string like \"512m\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<MemoryLimit, E> {
                MemoryLimit::try_from(v).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<MemoryLimit, E> {
                MemoryLimit::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<MemoryLimit, E> {
                MemoryLimit::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(s: &str) -> u64 {
        MemoryLimit::parse(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .bytes()
    }

    #[test]
    fn parses_units() {
        for s in [
            "512m", "512M", "512MiB", "512mb", "512 MiB", "0.5g", "524288k",
        ] {
            assert_eq!(bytes(s), 512 * MIB, "{s}");
        }
        assert_eq!(bytes("1g"), GIB);
        assert_eq!(bytes("1GiB"), GIB);
        assert_eq!(bytes("1.5g"), 3 * GIB / 2);
        assert_eq!(bytes("2t"), 2 * TIB);
        assert_eq!(bytes("6291456"), MIN);
        assert_eq!(bytes("6m"), MIN);
        assert_eq!(bytes("0006M"), MIN);
    }

    #[test]
    fn displays_in_the_largest_even_unit() {
        for (s, shown) in [
            ("512m", "512MiB"),
            ("1024m", "1GiB"),
            ("1.5g", "1536MiB"),
            ("6291457", "6291457"),
        ] {
            let m = MemoryLimit::parse(s).unwrap();
            assert_eq!(m.to_string(), shown);
            assert_eq!(MemoryLimit::parse(&m.to_string()).unwrap(), m);
        }
    }

    #[test]
    fn refuses_with_clear_messages() {
        let cases = [
            ("4m", "6 MiB, the smallest"),
            ("0", "6 MiB"),
            ("-1g", "negative"),
            ("1x", "unknown unit \"x\""),
            ("1 gigs", "unknown unit"),
            ("g", "must start with a number"),
            ("1.g", "must start with a number"),
            ("1.5", "fraction"),
            (" 1g", "spaces around"),
            ("1g\n", "line break"),
            ("1;g", "';'"),
            ("9999999999999999999999t", "too large"),
            ("8388608t", "too large"),
            ("", "empty"),
        ];
        for (s, needle) in cases {
            let r = MemoryLimit::parse(s).unwrap_err().reason().to_owned();
            assert!(r.contains(needle), "{s:?}: {r}");
        }
    }

    #[test]
    fn serde_as_bytes() {
        let m = MemoryLimit::parse("512m").unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "536870912");
        assert_eq!(serde_json::from_str::<MemoryLimit>("536870912").unwrap(), m);
        assert_eq!(serde_json::from_str::<MemoryLimit>("\"512m\"").unwrap(), m);
        assert!(serde_json::from_str::<MemoryLimit>("1024").is_err());
        assert!(serde_json::from_str::<MemoryLimit>("-1").is_err());
        assert_eq!(m.bytes_i64(), 536_870_912);
        assert_eq!(u64::from(m), 536_870_912);
    }
}
