//! Property tests of the validated input types.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]

use std::fmt::Debug;
use std::path::{Component, Path};
use std::str::FromStr;

use proptest::prelude::*;
use proptest::sample::Index;
use rivetr_core::input::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// NUL, line breaks and the shell metacharacters every strict type refuses.
const STRICT: &[char] = &['\0', '\n', '\r', ';', '$', '`'];

/// `value` survives `Display` → `parse` and `serde_json`.
fn round_trips<T>(value: &T) -> Result<(), TestCaseError>
where
    T: FromStr<Err = InputError> + ToString + Serialize + DeserializeOwned + PartialEq + Debug,
{
    let text = value.to_string();
    let reparsed = text
        .parse::<T>()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&reparsed, value, "Display then parse");
    let json = serde_json::to_string(value).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back: T = serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back, value, "through JSON {}", json);
    Ok(())
}

/// `s` with `c` inserted at `at`.
fn insert(s: &str, at: Index, c: char) -> String {
    let chars: Vec<char> = s.chars().collect();
    let i = at.index(chars.len() + 1);
    chars[..i]
        .iter()
        .chain([c].iter())
        .chain(chars[i..].iter())
        .collect()
}

fn domain() -> impl Strategy<Value = String> {
    "([a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?\\.){1,4}[a-z]{2,10}"
        .prop_filter("no punycode labels", |s| !s.contains("xn--"))
}

/// For each type: valid values are accepted and round-trip; a forbidden
/// character anywhere is refused; a leading '-' is refused (if `dash`); any
/// accepted variant of a valid value (one random character inserted) round-trips.
macro_rules! props {
    ($name:ident: $t:ty, valid = $valid:expr, forbid = $forbid:expr, dash = $dash:expr) => {
        mod $name {
            use super::*;

            proptest! {
                #[test]
                fn valid_values_are_accepted_and_round_trip(s in $valid) {
                    let v = s.parse::<$t>().map_err(|e| TestCaseError::fail(e.to_string()))?;
                    round_trips(&v)?;
                }

                #[test]
                fn forbidden_characters_are_refused(
                    s in $valid,
                    at in any::<Index>(),
                    c in proptest::sample::select($forbid),
                ) {
                    let bad = insert(&s, at, c);
                    prop_assert!(bad.parse::<$t>().is_err(), "accepted {:?}", bad);
                }

                #[test]
                fn leading_dash_is_refused(rest in "\\PC{0,30}", s in $valid) {
                    if $dash {
                        for bad in [format!("-{rest}"), format!("-{s}")] {
                            prop_assert!(bad.parse::<$t>().is_err(), "accepted {:?}", bad);
                        }
                    }
                }

                #[test]
                fn accepted_variants_round_trip(s in $valid, at in any::<Index>(), c in any::<char>()) {
                    if let Ok(v) = insert(&s, at, c).parse::<$t>() {
                        round_trips(&v)?;
                    }
                }
            }
        }
    };
}

props!(app_name: AppName, valid = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", forbid = STRICT, dash = true);
props!(domain_name: DomainName, valid = domain(), forbid = STRICT, dash = true);
props!(host_pattern: HostPattern, valid = "(\\*\\.)?([a-z0-9]{1,10}\\.){1,3}[a-z]{2,6}",
    forbid = STRICT, dash = true);
props!(git_url: GitUrl,
    valid = prop_oneof![
        "https?://[a-z0-9]{1,10}(\\.[a-z]{2,5}){1,2}(:[1-9][0-9]{0,3})?(/[A-Za-z0-9._~-]{1,12}){1,4}",
        "ssh://(git@)?[a-z0-9]{1,10}\\.[a-z]{2,5}(:[1-9][0-9]{0,3})?/[a-z0-9~]{1,10}/[a-z0-9._-]{1,10}",
        "git@[a-z]{1,10}\\.com:[a-z0-9]{1,10}/[a-z0-9_.-]{1,10}",
        "file:///[a-z]{1,8}(/[a-z0-9_]{1,8}){0,3}",
    ],
    forbid = STRICT, dash = true);
props!(git_ref: GitRef,
    valid = prop_oneof![
        "[A-Za-z0-9_]{1,10}(/[A-Za-z0-9_][A-Za-z0-9_#+-]{0,10}){0,3}",
        "v[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
        "[0-9a-f]{40}|[0-9a-f]{64}",
    ],
    forbid = STRICT, dash = true);
props!(env_key: EnvKey, valid = "[A-Za-z_][A-Za-z0-9_]{0,30}", forbid = STRICT, dash = true);
props!(image_ref: ImageRef,
    valid = "([a-z0-9]{1,8}\\.[a-z]{2,4}(:[1-9][0-9]{0,3})?/)?[a-z0-9]{1,8}((_|__|-{1,3})[a-z0-9]{1,8}){0,2}(/[a-z0-9]{1,8}((\\.|_|__|-{1,3})[a-z0-9]{1,8}){0,2}){0,2}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,20})?(@sha256:[0-9a-f]{64})?",
    forbid = STRICT, dash = true);
props!(path_in_repo: PathInRepo,
    valid = "(\\./)?[A-Za-z0-9_][A-Za-z0-9_. -]{0,10}(/\\.?[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}){0,4}/?",
    forbid = STRICT, dash = true);
props!(volume_name: VolumeName, valid = "[a-zA-Z0-9][a-zA-Z0-9_.-]{1,63}", forbid = STRICT,
    dash = true);
props!(container_path: ContainerPath, valid = "(/[A-Za-z0-9_][A-Za-z0-9_. -]{0,11}){1,5}/?",
    forbid = STRICT, dash = true);
props!(host_path: HostPath, valid = "(/[A-Za-z0-9_][A-Za-z0-9_. -]{0,11}){1,5}/?",
    forbid = STRICT, dash = true);
props!(http_path: HttpPath, valid = "/[A-Za-z0-9._~!$&'()*+,;=:@%/?`-]{0,50}",
    forbid = &['\0', '\n', '\r', ' ', '\t'], dash = true);
props!(email: Email,
    valid = "[A-Za-z0-9]([a-z0-9+_'-]{0,10}[a-z0-9])?(\\.[a-z0-9]{1,5}){0,2}@[a-zA-Z0-9]{1,10}\\.[a-z]{2,6}",
    forbid = STRICT, dash = true);
props!(display_name: DisplayName,
    valid = "[^\\p{Cc}\\p{White_Space}\\x{202A}-\\x{202E}\\x{2066}-\\x{2069}][^\\p{Cc}\\x{202A}-\\x{202E}\\x{2066}-\\x{2069}]{0,60}",
    forbid = &['\0', '\u{1b}', '\u{7f}', '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}'], dash = false);
props!(port: Port, valid = (1..=65535u16).prop_map(|p| p.to_string()), forbid = STRICT,
    dash = true);
props!(memory_limit: MemoryLimit,
    valid = prop_oneof![
        (6..100_000u64, prop::sample::select(&["m", "M", "MiB", "mb", "g", "G", "GiB", "t"][..]))
            .prop_map(|(n, unit)| format!("{n}{unit}")),
        (6_291_456..=i64::MAX as u64).prop_map(|n| n.to_string()),
    ],
    forbid = STRICT, dash = true);
props!(cpu_limit: CpuLimit,
    valid = prop_oneof![
        (1..=1_024_000u32).prop_map(|m| format!("{m}m")),
        (0..1024u32, 1..1000u32).prop_map(|(c, m)| format!("{c}.{m:03}")),
        (1..=1024u32).prop_map(|c| c.to_string()),
    ],
    forbid = STRICT, dash = true);

proptest! {
    /// (e) A PathInRepo never leads out of the directory it is joined to.
    #[test]
    fn path_in_repo_never_escapes_its_root(
        parts in prop::collection::vec(
            prop_oneof![
                Just("..".to_owned()), Just(".".to_owned()), Just(String::new()),
                Just("/".to_owned()), Just("\\".to_owned()), Just("a".to_owned()),
                Just("-x".to_owned()), Just("~".to_owned()), Just("..a".to_owned()),
                "\\PC{0,6}",
            ],
            0..8,
        ),
        sep in prop::sample::select(&["/", "", "\\", "//"][..]),
    ) {
        let s = parts.join(sep);
        if let Ok(p) = s.parse::<PathInRepo>() {
            let root = Path::new("/srv/checkout");
            let joined = p.join_to(root);
            let rest = joined.strip_prefix(root).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(rest.components().count() > 0);
            prop_assert!(rest.components().all(|c| matches!(c, Component::Normal(_))), "{:?}", joined);
            prop_assert!(!p.as_str().split('/').any(|c| c == ".." || c.is_empty()));
        }
    }

    /// (f) Punycode decodes what it encodes, for any text.
    #[test]
    fn punycode_round_trips(s in "\\PC{0,40}", t in any::<String>()) {
        for s in [s, t] {
            if let Some(encoded) = punycode::encode(&s) {
                prop_assert!(encoded.is_ascii());
                prop_assert_eq!(punycode::decode(&encoded), Some(s));
            }
        }
    }

    /// Decoding arbitrary text never panics, and what it accepts re-encodes
    /// to a string that decodes to the same result.
    #[test]
    fn punycode_decode_is_total(s in "[a-z0-9-]{0,30}|\\PC{0,10}") {
        if let Some(decoded) = punycode::decode(&s) {
            let again = punycode::encode(&decoded).and_then(|e| punycode::decode(&e));
            prop_assert_eq!(again, Some(decoded));
        }
    }

    /// (g) A label mixing Latin with Cyrillic or Greek letters is refused, in
    /// Unicode and in punycode.
    #[test]
    fn domain_labels_mixing_latin_with_cyrillic_or_greek_are_refused(
        latin in "[a-z]{1,5}",
        other in "[а-яё]{1,3}|[α-ω]{1,3}",
        tail in "[a-z0-9]{0,5}",
        other_first in any::<bool>(),
        tld in prop::sample::select(&["com", "рф", "ελ"][..]),
    ) {
        let label = if other_first { format!("{other}{latin}{tail}") } else { format!("{latin}{other}{tail}") };
        let unicode = format!("{label}.{tld}");
        let err = unicode.parse::<DomainName>().map_err(|_| ()).err();
        prop_assert!(err.is_some(), "accepted {}", unicode);
        let e = unicode.parse::<DomainName>().unwrap_err();
        prop_assert!(e.reason().contains("mixes"), "{}", e);
        let puny = format!("xn--{}.com", punycode::encode(&label).unwrap_or_default());
        let e = puny.parse::<DomainName>().unwrap_err();
        prop_assert!(e.reason().contains("mixes"), "{}", e);
    }

    /// Single-script Unicode labels are accepted, stored as punycode, and
    /// shown in Unicode again.
    #[test]
    fn single_script_domains_are_accepted(
        label in "[а-яё]{1,10}|[α-ω]{1,10}|[\\x{4E00}-\\x{9FA5}]{1,5}|[ぁ-ゖ]{1,5}|[가-힣]{1,5}|[a-zäöüß]{1,10}",
        tail in "(-[0-9]{1,3})?",
        rest in domain(),
    ) {
        let name = format!("{label}{tail}.{rest}");
        let d = name.parse::<DomainName>().map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(d.as_str().is_ascii());
        prop_assert_eq!(d.to_unicode(), name);
        prop_assert_eq!(d.to_unicode().parse::<DomainName>().ok(), Some(d.clone()));
        round_trips(&d)?;
    }

    /// A line break inside a display name is refused (around it, it is trimmed).
    #[test]
    fn display_names_refuse_inner_line_breaks(a in "[a-z]{1,10}", b in "[a-z]{1,10}") {
        for s in [format!("{a}\n{b}"), format!("{a}\r\n{b}")] {
            prop_assert!(s.parse::<DisplayName>().is_err());
        }
    }

    /// Any argument vector without NUL is kept as is; a NUL anywhere is refused.
    #[test]
    fn command_lines(
        args in prop::collection::vec("\\PC{0,20}", 1..10),
        program in "[a-z]{1,8}",
        at in any::<Index>(),
        within in any::<Index>(),
    ) {
        let mut args = args;
        args[0] = program;
        let c = CommandLine::try_from(args.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(c.args(), &args[..]);
        let json = serde_json::to_string(&c).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(serde_json::from_str::<CommandLine>(&json).ok(), Some(c));
        let i = at.index(args.len());
        args[i] = insert(&args[i], within, '\0');
        prop_assert!(CommandLine::try_from(args).is_err());
    }

    /// Wildcards match exactly one extra label.
    #[test]
    fn wildcards_match_one_label(label in "[a-z0-9]{1,10}", more in "[a-z0-9]{1,10}", base in domain()) {
        let pattern = format!("*.{base}").parse::<HostPattern>().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let host = |s: String| s.parse::<DomainName>().map_err(|e| TestCaseError::fail(e.to_string()));
        let one = host(format!("{label}.{base}"))?;
        let two = host(format!("{more}.{label}.{base}"))?;
        prop_assert!(pattern.matches(&one));
        prop_assert!(!pattern.matches(&two));
        prop_assert!(!pattern.matches(&host(base)?));
    }

    /// Error messages are one line, and the value they show is cut to 64 characters.
    #[test]
    fn error_messages_are_single_line(s in "\\PC{0,200}|[\\x00-\\x7f]{0,100}") {
        if let Err(e) = s.parse::<GitUrl>() {
            prop_assert!(!e.to_string().contains('\n'));
            prop_assert!(e.value().trim_end_matches('…').len() <= 64 * 10);
        }
        if let Err(e) = s.parse::<DisplayName>() {
            prop_assert!(!e.to_string().contains('\n'));
        }
    }
}
