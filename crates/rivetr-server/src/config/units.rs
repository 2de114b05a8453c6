//! Humane units in the config file: durations (`"30s"`, `"5m"`, `"1h30m"`,
//! `"30d"`) and byte sizes (`"16MiB"`, `"64KiB"`, `"10MB"`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration written with units: whole numbers each followed by `ms`, `s`,
/// `m`, `h` or `d`, largest first (`"250ms"`, `"30s"`, `"1h30m"`, `"30d"`).
/// Bare numbers are refused: the unit is never guessed.
///
/// ```
/// use rivetr_server::config::HumanDuration;
/// use std::time::Duration;
///
/// let d: HumanDuration = "1h30m".parse()?;
/// assert_eq!(d.get(), Duration::from_secs(90 * 60));
/// assert_eq!(d.to_string(), "90m");
/// # Ok::<(), rivetr_server::config::UnitError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct HumanDuration(Duration);

/// A string that is not a valid [`HumanDuration`] or [`ByteSize`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnitError(pub(super) String);

const DURATION_UNITS: [(&str, u64); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

impl HumanDuration {
    /// `secs` seconds.
    #[must_use]
    pub const fn from_secs(secs: u64) -> Self {
        Self(Duration::from_secs(secs))
    }

    /// The duration.
    #[must_use]
    pub const fn get(self) -> Duration {
        self.0
    }
}

impl From<Duration> for HumanDuration {
    fn from(d: Duration) -> Self {
        Self(d)
    }
}

impl FromStr for HumanDuration {
    type Err = UnitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| {
            UnitError(format!(
                "bad duration {s:?}: {why} (write a number and a unit: ms, s, m, h or d, e.g. \"30s\", \"5m\", \"1h30m\", \"30d\")"
            ))
        };
        let mut rest = s.trim();
        if rest.is_empty() {
            return Err(bad("empty"));
        }
        let mut total: u64 = 0;
        let mut last_unit = u64::MAX;
        while !rest.is_empty() {
            let digits = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if digits == 0 {
                return Err(bad("expected a number"));
            }
            let number: u64 = rest[..digits]
                .parse()
                .map_err(|_| bad("number too large"))?;
            rest = &rest[digits..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(rest.len());
            let unit = rest[..unit_len].trim();
            let Some(&(_, millis)) = DURATION_UNITS.iter().find(|(name, _)| *name == unit) else {
                return Err(bad(if unit.is_empty() {
                    "missing unit"
                } else {
                    "unknown unit"
                }));
            };
            if millis >= last_unit {
                return Err(bad("units must go from largest to smallest, each once"));
            }
            last_unit = millis;
            total = number
                .checked_mul(millis)
                .and_then(|ms| total.checked_add(ms))
                .ok_or_else(|| bad("too long"))?;
            rest = &rest[unit_len..];
        }
        Ok(Self(Duration::from_millis(total)))
    }
}

impl fmt::Display for HumanDuration {
    /// The largest unit that divides the duration exactly (`"90m"`,
    /// `"30d"`, `"0s"`); sub-millisecond parts are not shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = u64::try_from(self.0.as_millis()).unwrap_or(u64::MAX);
        if millis == 0 {
            return f.write_str("0s");
        }
        let (name, size) = DURATION_UNITS
            .iter()
            .find(|(_, size)| millis.is_multiple_of(*size))
            .copied()
            .unwrap_or(("ms", 1));
        write!(f, "{}{name}", millis / size)
    }
}

/// A size in bytes, written as a number with an optional unit: `B`, `KiB`,
/// `MiB`, `GiB`, `TiB` (powers of 1024) or `KB`, `MB`, `GB`, `TB` (powers of
/// 1000); a bare integer is bytes.
///
/// ```
/// use rivetr_server::config::ByteSize;
///
/// let s: ByteSize = "16MiB".parse()?;
/// assert_eq!(s.get(), 16 * 1024 * 1024);
/// assert_eq!("10 MB".parse::<ByteSize>()?.get(), 10_000_000);
/// # Ok::<(), rivetr_server::config::UnitError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(u64);

const SIZE_UNITS: [(&str, u64); 9] = [
    ("TiB", 1 << 40),
    ("GiB", 1 << 30),
    ("MiB", 1 << 20),
    ("KiB", 1 << 10),
    ("TB", 1_000_000_000_000),
    ("GB", 1_000_000_000),
    ("MB", 1_000_000),
    ("KB", 1_000),
    ("B", 1),
];

impl ByteSize {
    /// `bytes` bytes.
    #[must_use]
    pub const fn new(bytes: u64) -> Self {
        Self(bytes)
    }

    /// The size in bytes.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl FromStr for ByteSize {
    type Err = UnitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| {
            UnitError(format!(
                "bad size {s:?}: {why} (write a number and a unit, e.g. \"512KiB\", \"16MiB\", \"1GB\")"
            ))
        };
        let text = s.trim();
        let digits = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        if digits == 0 {
            return Err(bad("expected a number"));
        }
        let number: u64 = text[..digits]
            .parse()
            .map_err(|_| bad("number too large"))?;
        let unit = text[digits..].trim();
        let size = if unit.is_empty() {
            1
        } else {
            SIZE_UNITS
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(unit))
                .map(|&(_, size)| size)
                .ok_or_else(|| bad("unknown unit"))?
        };
        number
            .checked_mul(size)
            .map(Self)
            .ok_or_else(|| bad("too large"))
    }
}

impl fmt::Display for ByteSize {
    /// The largest binary unit that divides the size exactly (`"16MiB"`),
    /// else bytes (`"1000B"`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let binary = SIZE_UNITS.iter().filter(|(name, _)| name.contains('i'));
        match binary
            .filter(|(_, size)| self.0 != 0 && self.0.is_multiple_of(*size))
            .map(|&(name, size)| (name, size))
            .next()
        {
            Some((name, size)) => write!(f, "{}{name}", self.0 / size),
            None => write!(f, "{}B", self.0),
        }
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = HumanDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration string such as \"30s\", \"5m\" or \"30d\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Err(E::custom(format!(
                    "a duration needs a unit: write \"{v}s\" for seconds (or ms, m, h, d)"
                )))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a size such as \"16MiB\" or a number of bytes")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                u64::try_from(v)
                    .map(ByteSize)
                    .map_err(|_| E::custom("a size cannot be negative"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(ByteSize(v))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::*;

    #[test]
    fn durations_parse_and_print() {
        let cases = [
            ("250ms", 250),
            ("30s", 30_000),
            ("5m", 300_000),
            ("1h30m", 5_400_000),
            ("30d", 2_592_000_000),
            ("0s", 0),
            ("1m 30s", 90_000),
        ];
        for (text, millis) in cases {
            let d: HumanDuration = text.parse().unwrap();
            assert_eq!(d.get(), Duration::from_millis(millis), "{text}");
            let again: HumanDuration = d.to_string().parse().unwrap();
            assert_eq!(again, d, "{text} round trip");
        }
        assert_eq!(HumanDuration::from_secs(30 * 86_400).to_string(), "30d");
        assert_eq!(HumanDuration::from_secs(90).to_string(), "90s");
    }

    #[test]
    fn bad_durations_say_why() {
        for text in [
            "",
            "30",
            "s",
            "5x",
            "5m1h",
            "1s1s",
            "99999999999999999999d",
            "-5s",
        ] {
            let err = text.parse::<HumanDuration>().unwrap_err();
            assert!(err.to_string().contains("bad duration"), "{text}: {err}");
        }
        assert!(
            "30".parse::<HumanDuration>()
                .unwrap_err()
                .to_string()
                .contains("missing unit")
        );
    }

    #[test]
    fn sizes_parse_and_print() {
        assert_eq!("16MiB".parse::<ByteSize>().unwrap().get(), 16 << 20);
        assert_eq!("64 kib".parse::<ByteSize>().unwrap().get(), 64 << 10);
        assert_eq!("1GB".parse::<ByteSize>().unwrap().get(), 1_000_000_000);
        assert_eq!("512".parse::<ByteSize>().unwrap().get(), 512);
        assert_eq!(ByteSize::new(16 << 20).to_string(), "16MiB");
        assert_eq!(ByteSize::new(1000).to_string(), "1000B");
        assert_eq!(ByteSize::new(0).to_string(), "0B");
        for bad in ["", "MiB", "5 parsecs", "-1", "99999999999TiB"] {
            assert!(bad.parse::<ByteSize>().is_err(), "{bad}");
        }
    }
}
