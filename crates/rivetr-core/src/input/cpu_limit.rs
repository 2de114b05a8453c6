//! [`CpuLimit`]: how much CPU time a container may use.

use std::fmt;
use std::str::FromStr;

use super::{InputError, rules};

const WHAT: &str = "CPU limit";
/// 1024 CPUs, in millicores.
const MAX: u32 = 1024 * 1000;
const FORMAT: &str = "give a number of CPUs like 0.5 or 2, or millicores like 250m";

/// A CPU limit in millicores (thousandths of a CPU): more than 0, at most
/// 1024 CPUs.
///
/// Parsed from a number of CPUs with up to three decimals (`"0.5"`, `"2"`,
/// `"1.25"`), as Docker's `--cpus`, or millicores with an `m` (`"250m"`), as
/// Kubernetes. Displayed, and serialized, as a string in CPUs (`"0.25"`,
/// `"2"`); deserialized from such a string, or a JSON number read as CPUs
/// (`2` is two CPUs, not two millicores).
///
/// ```
/// use rivetr_core::input::CpuLimit;
///
/// let cpu: CpuLimit = "250m".parse()?;
/// assert_eq!(cpu.millicores(), 250);
/// assert_eq!(cpu.nano_cpus(), 250_000_000);
/// assert_eq!(cpu.to_string(), "0.25");
///
/// assert!("0".parse::<CpuLimit>().is_err());
/// assert!("2 cores".parse::<CpuLimit>().is_err());
/// # Ok::<(), rivetr_core::input::InputError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CpuLimit(u32);

impl CpuLimit {
    /// The limit in millicores (1000 = one CPU).
    #[must_use]
    pub fn millicores(self) -> u32 {
        self.0
    }

    /// The limit in billionths of a CPU, as Docker's `HostConfig.NanoCpus`.
    #[must_use]
    pub fn nano_cpus(self) -> i64 {
        i64::from(self.0) * 1_000_000
    }

    fn parse(s: &str) -> Result<Self, InputError> {
        let err = |reason: String| InputError::new(WHAT, s, reason);
        rules::not_empty(WHAT, s)?;
        rules::no_control(WHAT, s)?;
        if let Some((pos, c)) = rules::find(s, char::is_whitespace) {
            let c = rules::describe(c);
            return Err(err(format!("contains {c} at position {pos}; {FORMAT}")));
        }
        if s.starts_with('-') {
            return Err(err("must be more than 0".into()));
        }
        if s.starts_with('+') {
            return Err(err(format!("write it without a sign; {FORMAT}")));
        }
        let (number, milli) = match s.strip_suffix('m') {
            Some(n) => (n, true),
            None => (s, false),
        };
        if let Some(found) = rules::found(number, |c| !c.is_ascii_digit() && c != '.') {
            return Err(err(format!("is not a number ({found}); {FORMAT}")));
        }
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() || number.ends_with('.') || fraction.contains('.') {
            return Err(err(format!("is not a number; {FORMAT}")));
        }
        if milli && !fraction.is_empty() {
            return Err(err("millicores are whole numbers, like 250m".into()));
        }
        let fraction = fraction.trim_end_matches('0');
        if fraction.len() > 3 {
            return Err(err("is finer than 0.001 CPU (1 millicore); round it".into()));
        }
        let too_large = || err("is more than 1024 CPUs, the limit".into());
        let whole: u32 = match whole.trim_start_matches('0') {
            "" => 0,
            w if w.len() > 7 => return Err(too_large()),
            w => w.parse().map_err(|_| too_large())?,
        };
        let millicores = if milli {
            whole
        } else {
            let mut frac: u32 = if fraction.is_empty() {
                0
            } else {
                fraction.parse().unwrap_or(0)
            };
            for _ in fraction.len()..3 {
                frac *= 10;
            }
            whole * 1000 + frac
        };
        if millicores == 0 {
            return Err(err(format!("must be more than 0; {FORMAT}")));
        }
        if millicores > MAX {
            return Err(too_large());
        }
        Ok(Self(millicores))
    }
}

impl fmt::Display for CpuLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = (self.0 / 1000, self.0 % 1000);
        if frac == 0 {
            write!(f, "{whole}")
        } else {
            let frac = format!("{frac:03}");
            write!(f, "{whole}.{}", frac.trim_end_matches('0'))
        }
    }
}

impl FromStr for CpuLimit {
    type Err = InputError;
    fn from_str(s: &str) -> Result<Self, InputError> {
        Self::parse(s)
    }
}

impl TryFrom<String> for CpuLimit {
    type Error = InputError;
    fn try_from(s: String) -> Result<Self, InputError> {
        Self::parse(&s)
    }
}

impl TryFrom<&str> for CpuLimit {
    type Error = InputError;
    fn try_from(s: &str) -> Result<Self, InputError> {
        Self::parse(s)
    }
}

impl serde::Serialize for CpuLimit {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for CpuLimit {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = CpuLimit;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of CPUs, like \"0.5\" or 2, or millicores like \"250m\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<CpuLimit, E> {
                CpuLimit::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<CpuLimit, E> {
                CpuLimit::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<CpuLimit, E> {
                // Display of f64 is the shortest exact decimal, never exponent form.
                CpuLimit::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<CpuLimit, E> {
                CpuLimit::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn milli(s: &str) -> u32 {
        CpuLimit::parse(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .millicores()
    }

    #[test]
    fn parses_cpus_and_millicores() {
        assert_eq!(milli("0.5"), 500);
        assert_eq!(milli("2"), 2000);
        assert_eq!(milli("250m"), 250);
        assert_eq!(milli("1.125"), 1125);
        assert_eq!(milli("0.2500"), 250);
        assert_eq!(milli("0.001"), 1);
        assert_eq!(milli("1024"), MAX);
        assert_eq!(milli("1024000m"), MAX);
        assert_eq!(CpuLimit::parse("1.5").unwrap().nano_cpus(), 1_500_000_000);
    }

    #[test]
    fn displays_as_cpus() {
        for (s, shown) in [
            ("0.5", "0.5"),
            ("250m", "0.25"),
            ("2", "2"),
            ("1005m", "1.005"),
        ] {
            let c = CpuLimit::parse(s).unwrap();
            assert_eq!(c.to_string(), shown);
            assert_eq!(CpuLimit::parse(shown).unwrap(), c);
        }
    }

    #[test]
    fn refuses_with_clear_messages() {
        let cases = [
            ("0", "more than 0"),
            ("0m", "more than 0"),
            ("0.0", "more than 0"),
            ("-1", "more than 0"),
            ("+1", "without a sign"),
            ("0.0005", "finer than 0.001"),
            ("1.5m", "whole numbers"),
            ("1025", "1024 CPUs"),
            ("99999999999", "1024 CPUs"),
            (".5", "not a number"),
            ("1.", "not a number"),
            ("1.2.3", "not a number"),
            ("2 cores", "a space"),
            ("1e3", "'e'"),
            ("1;", "';'"),
            ("1\n", "line break"),
            ("", "empty"),
        ];
        for (s, needle) in cases {
            let r = CpuLimit::parse(s).unwrap_err().reason().to_owned();
            assert!(r.contains(needle), "{s:?}: {r}");
        }
    }

    #[test]
    fn serde_as_a_string_of_cpus() {
        let c = CpuLimit::parse("500m").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"0.5\"");
        assert_eq!(serde_json::from_str::<CpuLimit>("\"0.5\"").unwrap(), c);
        assert_eq!(serde_json::from_str::<CpuLimit>("0.5").unwrap(), c);
        assert_eq!(
            serde_json::from_str::<CpuLimit>("2").unwrap().millicores(),
            2000
        );
        assert!(serde_json::from_str::<CpuLimit>("0").is_err());
        assert!(serde_json::from_str::<CpuLimit>("-2").is_err());
        assert!(serde_json::from_str::<CpuLimit>("1e-9").is_err());
    }
}
