//! [`DomainName`]: a fully-qualified host name, internationalised names included.

use super::script::{is_label_char, mixed};
use super::{InputError, punycode, rules};

const WHAT: &str = "domain name";

/// The longest domain name, in its ASCII form.
const MAX_LEN: usize = 253;
/// The longest label, in its ASCII form.
const MAX_LABEL: usize = 63;
/// The prefix of a punycode label.
const ACE: &str = "xn--";

/// A fully-qualified host name such as `app.example.com`.
///
/// On parse it is lowercased and one trailing dot is dropped. It must have at
/// least two labels; each label has 1 to 63 letters, digits or `-` and does
/// not start or end with `-`; the whole name has at most 253 characters; the
/// last label is not all digits (an IP address is not a domain name);
/// wildcards are not allowed (see [`HostPattern`](super::HostPattern)).
///
/// Internationalised names are accepted when every label is written in one
/// script (digits and `-` go with any): a label mixing, say, Latin and
/// Cyrillic letters is the classic look-alike trick and is refused. Unicode
/// labels are stored in their punycode form (`xn--…`), which is what
/// [`as_str`](Self::as_str) returns; [`to_unicode`](Self::to_unicode) gives the
/// form to show to people. Labels given as `xn--…` are decoded and checked the
/// same way.
///
/// ```
/// use rivetr_core::input::DomainName;
///
/// let d: DomainName = "App.Example.COM.".parse()?;
/// assert_eq!(d.as_str(), "app.example.com");
///
/// let idn: DomainName = "bücher.example".parse()?;
/// assert_eq!(idn.as_str(), "xn--bcher-kva.example");
/// assert_eq!(idn.to_unicode(), "bücher.example");
///
/// // A Cyrillic "а" among Latin letters:
/// let err = "pаypal.com".parse::<DomainName>().unwrap_err();
/// assert!(err.reason().contains("mixes Latin and Cyrillic letters"));
/// assert!("192.168.1.1".parse::<DomainName>().is_err());
/// # Ok::<(), rivetr_core::input::InputError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainName(String);

impl DomainName {
    /// The name in its ASCII form: lowercase, punycode for Unicode labels, no
    /// trailing dot. This is the form for DNS, TLS certificates and the proxy.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name for display, with punycode labels decoded to Unicode.
    #[must_use]
    pub fn to_unicode(&self) -> String {
        let labels: Vec<String> = self
            .0
            .split('.')
            .map(|label| {
                label
                    .strip_prefix(ACE)
                    .and_then(punycode::decode)
                    .unwrap_or_else(|| label.to_owned())
            })
            .collect();
        labels.join(".")
    }

    fn parse(s: &str) -> Result<Self, InputError> {
        let err = |reason: String| InputError::new(WHAT, s, reason);
        rules::not_empty(WHAT, s)?;
        rules::no_control(WHAT, s)?;
        if s.contains("://") {
            return Err(err(
                "give the host name only, without a scheme such as https://".into(),
            ));
        }
        if s.contains('*') {
            return Err(err(
                "wildcards such as *.example.com are not allowed here; give one host name".into(),
            ));
        }
        if s.contains(':') {
            return Err(err(
                "contains ':'; give the host name only, without a port".into()
            ));
        }
        if s.contains('/') {
            return Err(err(
                "contains '/'; give the host name only, without a path".into()
            ));
        }
        rules::no_shell_meta(WHAT, s, false)?;
        let lower = s.to_lowercase();
        let name = lower.strip_suffix('.').unwrap_or(&lower);
        rules::not_empty(WHAT, name)?;
        // A Unicode label only gets longer in punycode, so this bounds the work.
        rules::max_chars(WHAT, name, MAX_LEN)?;

        let mut ascii = Vec::new();
        for label in name.split('.') {
            ascii.push(parse_label(label).map_err(err)?);
        }
        if ascii.len() < 2 {
            return Err(err("needs at least two labels, such as example.com".into()));
        }
        let numeric = |l: &String| l.bytes().all(|b| b.is_ascii_digit());
        if ascii.iter().all(numeric) {
            return Err(err("that is an IP address, not a domain name".into()));
        }
        if ascii.last().is_some_and(numeric) {
            return Err(err(
                "the last label is all digits, which no top-level domain is".into(),
            ));
        }
        let joined = ascii.join(".");
        if joined.len() > MAX_LEN {
            return Err(err(format!(
                "is {} characters long in its ASCII (punycode) form; the limit is {MAX_LEN}",
                joined.len()
            )));
        }
        Ok(Self(joined))
    }
}

/// Checks one lowercase label and returns its ASCII form.
fn parse_label(label: &str) -> Result<String, String> {
    if label.is_empty() {
        return Err("has an empty label (two dots in a row, or a leading dot)".into());
    }
    let ascii = if let Some(puny) = label.strip_prefix(ACE) {
        let decoded = punycode::decode(puny)
            .filter(|d| !d.is_ascii())
            .ok_or_else(|| format!("label \"{label}\" is not valid punycode"))?;
        if punycode::encode(&decoded).as_deref() != Some(puny) || decoded.to_lowercase() != decoded
        {
            return Err(format!(
                "label \"{label}\" is not in the normal punycode form; give the Unicode name \
                 \"{}\" instead",
                decoded.escape_debug()
            ));
        }
        check_unicode(&decoded)
            .map_err(|e| format!("label \"{label}\" (\"{}\") {e}", decoded.escape_debug()))?;
        label.to_owned()
    } else if label.is_ascii() {
        if let Some(found) = rules::found(label, |c| !is_label_char(c)) {
            return Err(format!(
                "label \"{label}\" may only have letters, digits and '-' ({found} of the label)"
            ));
        }
        label.to_owned()
    } else {
        check_unicode(label).map_err(|e| format!("label \"{label}\" {e}"))?;
        let puny = punycode::encode(label).ok_or("has a label too long to encode")?;
        format!("{ACE}{puny}")
    };
    if label.starts_with('-') || label.ends_with('-') {
        return Err(format!("label \"{label}\" must not start or end with '-'"));
    }
    if ascii.len() > MAX_LABEL {
        let how = if ascii == label { "" } else { " in punycode" };
        return Err(format!(
            "label \"{label}\" is {} characters long{how}; a label may have at most {MAX_LABEL}",
            ascii.len()
        ));
    }
    Ok(ascii)
}

/// Checks the letters of a Unicode label (the text after "label \"…\" ").
fn check_unicode(label: &str) -> Result<(), String> {
    if let Some((pos, c)) = rules::find(label, |c| !is_label_char(c)) {
        return Err(format!(
            "contains {} at position {pos}, which is not allowed in domain names",
            rules::describe(c)
        ));
    }
    if let Some((a, b)) = mixed(label) {
        return Err(format!("mixes {a} and {b} letters (a look-alike domain?)"));
    }
    Ok(())
}

string_type!(DomainName);

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        DomainName::parse(s).unwrap().0
    }

    fn reason(s: &str) -> String {
        DomainName::parse(s).unwrap_err().reason().to_owned()
    }

    #[test]
    fn accepts_and_normalizes_host_names() {
        assert_eq!(ok("example.com"), "example.com");
        assert_eq!(ok("App.Example.COM."), "app.example.com");
        assert_eq!(ok("a-b.c-d.io"), "a-b.c-d.io");
        assert_eq!(
            ok("r3---sn-abc.googlevideo.com"),
            "r3---sn-abc.googlevideo.com"
        );
        assert_eq!(ok("1.2.3.example"), "1.2.3.example");
        assert_eq!(ok("123.com"), "123.com");
        let long_label = "a".repeat(63);
        assert_eq!(
            ok(&format!("{long_label}.com")),
            format!("{long_label}.com")
        );
    }

    #[test]
    fn accepts_single_script_unicode_labels() {
        assert_eq!(ok("пример.рф"), "xn--e1afmkfd.xn--p1ai");
        assert_eq!(ok("ПРИМЕР.РФ"), "xn--e1afmkfd.xn--p1ai");
        assert_eq!(ok("例え.jp"), "xn--r8jz45g.jp");
        assert_eq!(ok("münchen-2.de"), "xn--mnchen-2-65a.de");
        assert_eq!(ok("xn--e1afmkfd.com"), "xn--e1afmkfd.com");
        assert_eq!(
            DomainName::parse("xn--e1afmkfd.рф").unwrap().to_unicode(),
            "пример.рф"
        );
    }

    #[test]
    fn refuses_mixed_script_look_alikes() {
        let expected = "label \"pаypal\" mixes Latin and Cyrillic letters (a look-alike domain?)";
        assert_eq!(reason("pаypal.com"), expected);
        assert_eq!(
            reason("xn--pypal-4ve.com"),
            "label \"xn--pypal-4ve\" (\"pаypal\") mixes Latin and Cyrillic letters \
             (a look-alike domain?)"
        );
        assert!(reason("αpple.com").contains("mixes Greek and Latin"));
    }

    #[test]
    fn refuses_bad_punycode() {
        assert!(reason("xn--zzzzzzzzzzzzzz.com").contains("not valid punycode"));
        assert!(reason("xn--abc-.com").contains("not valid punycode"));
        assert!(reason("xn--.com").contains("not valid punycode"));
        // Decodes to U+0080, a control character: refused, and shown escaped.
        let r = reason("xn--a.com");
        assert!(r.contains("(\"\\u{80}\")") && r.contains("U+0080"), "{r}");
    }

    #[test]
    fn refuses_ip_addresses_ports_schemes_wildcards() {
        assert_eq!(
            reason("192.168.1.1"),
            "that is an IP address, not a domain name"
        );
        assert!(reason("example.123").contains("all digits"));
        assert!(reason("example.com:8080").contains("without a port"));
        assert!(reason("::1").contains("':'"));
        assert!(reason("https://example.com").contains("without a scheme"));
        assert!(reason("example.com/x").contains("without a path"));
        assert!(reason("*.example.com").contains("wildcards"));
    }

    #[test]
    fn refuses_bad_labels() {
        assert!(reason("localhost").contains("at least two labels"));
        assert!(reason("a..com").contains("empty label"));
        assert!(reason(".a.com").contains("empty label"));
        assert!(reason("a.com..").contains("empty label"));
        assert!(reason("-a.com").contains("must not start or end with '-'"));
        assert!(reason("a-.com").contains("must not start or end with '-'"));
        assert!(reason("a_b.com").contains("'_' at position 2"));
        assert!(reason("caf\u{301}.com").contains("U+0301"));
        assert!(reason("ａ.com").contains("U+FF41"));
        let e = reason(&format!("{}.com", "a".repeat(64)));
        assert!(
            e.contains("64 characters long; a label may have at most 63"),
            "{e}"
        );
        let long = vec!["abcdefghi"; 26].join(".");
        assert!(reason(&long).contains("the limit is 253"));
    }

    #[test]
    fn refuses_control_whitespace_and_shell_metacharacters() {
        for s in [
            "a.com\n", "a\0.com", "a b.com", "a;b.com", "$(x).com", "a`.com", "a.com ",
        ] {
            assert!(DomainName::parse(s).is_err(), "{s:?}");
        }
        assert!(DomainName::parse("").is_err());
        assert!(DomainName::parse(".").is_err());
    }

    #[test]
    fn serde_round_trip() {
        let d = DomainName::parse("пример.com").unwrap();
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, "\"xn--e1afmkfd.com\"");
        assert_eq!(serde_json::from_str::<DomainName>(&json).unwrap(), d);
    }
}
