//! Refusal rules shared by the input types.
//!
//! Each rule returns the first problem it finds as an [`InputError`] whose
//! reason names the offending character and its position (counted in
//! characters, from 1), so a user can find and fix it.

use super::InputError;

/// Characters a shell would interpret: refused wherever a type has no use for
/// them, so a value can never turn into a command even if some day it reaches
/// a shell by mistake.
pub(super) const SHELL_META: &[char] = &[
    ';', '|', '&', '$', '`', '<', '>', '(', ')', '{', '}', '[', ']', '*', '?', '!', '~', '\'', '"',
    '\\',
];

/// Whether `c` is one of [`SHELL_META`].
pub(super) fn is_shell_meta(c: char) -> bool {
    SHELL_META.contains(&c)
}

/// Whether `c` is an invisible bidirectional-text override or isolate, which can
/// make text display in a different order than it is stored.
pub(super) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A human description of one character: `'_'`, `a space`, `a NUL byte`,
/// `'а' (U+0430)` for non-ASCII letters.
pub(super) fn describe(c: char) -> String {
    match c {
        '\0' => "a NUL byte".to_owned(),
        '\n' | '\r' => "a line break".to_owned(),
        '\t' => "a tab".to_owned(),
        ' ' => "a space".to_owned(),
        c if c.is_control() || is_bidi_control(c) => {
            format!("invisible control character U+{:04X}", u32::from(c))
        }
        c if c.is_whitespace() => format!("whitespace U+{:04X}", u32::from(c)),
        c if c.is_ascii() => format!("'{c}'"),
        c => format!("'{c}' (U+{:04X})", u32::from(c)),
    }
}

/// The first character matching `pred`, with its 1-based position.
pub(super) fn find(s: &str, pred: impl Fn(char) -> bool) -> Option<(usize, char)> {
    s.chars()
        .enumerate()
        .find(|&(_, c)| pred(c))
        .map(|(i, c)| (i + 1, c))
}

/// `found X at position N`, for the first character matching `pred`.
pub(super) fn found(s: &str, pred: impl Fn(char) -> bool) -> Option<String> {
    find(s, pred).map(|(pos, c)| format!("found {} at position {pos}", describe(c)))
}

/// Refuses the empty string.
pub(super) fn not_empty(what: &'static str, s: &str) -> Result<(), InputError> {
    if s.is_empty() {
        return Err(InputError::new(what, s, "must not be empty"));
    }
    Ok(())
}

/// Refuses NUL, line breaks, tabs and every other control character, and
/// bidirectional-text overrides.
pub(super) fn no_control(what: &'static str, s: &str) -> Result<(), InputError> {
    match find(s, |c| c.is_control() || is_bidi_control(c)) {
        None => Ok(()),
        Some((pos, c)) => {
            let hint = match c {
                '\n' | '\r' => "; it must be a single line",
                _ => "; remove it",
            };
            let reason = format!("contains {} at position {pos}{hint}", describe(c));
            Err(InputError::new(what, s, reason))
        }
    }
}

/// Refuses shell metacharacters and whitespace (spaces too, unless
/// `allow_space`: then only the plain space U+0020 is let through).
pub(super) fn no_shell_meta(
    what: &'static str,
    s: &str,
    allow_space: bool,
) -> Result<(), InputError> {
    let bad = |c: char| is_shell_meta(c) || (c.is_whitespace() && !(allow_space && c == ' '));
    match find(s, bad) {
        None => Ok(()),
        Some((pos, c)) => {
            let kind = if c.is_whitespace() {
                "whitespace is not allowed here"
            } else {
                "shell metacharacters such as ; | & $ ` ' \" \\ * ? are not allowed here"
            };
            let reason = format!("contains {} at position {pos}; {kind}", describe(c));
            Err(InputError::new(what, s, reason))
        }
    }
}

/// Refuses a leading `-`, which a program could take as a command-line option.
pub(super) fn no_leading_dash(what: &'static str, s: &str) -> Result<(), InputError> {
    if s.starts_with('-') {
        return Err(InputError::new(
            what,
            s,
            "must not start with '-' (it could be taken as a command-line option)",
        ));
    }
    Ok(())
}

/// Refuses values longer than `max` characters.
pub(super) fn max_chars(what: &'static str, s: &str, max: usize) -> Result<(), InputError> {
    let len = s.chars().count();
    if len > max {
        let reason = format!("is {len} characters long; the limit is {max}");
        return Err(InputError::new(what, s, reason));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_characters() {
        assert_eq!(describe('_'), "'_'");
        assert_eq!(describe('\0'), "a NUL byte");
        assert_eq!(describe('\n'), "a line break");
        assert_eq!(describe('\u{7}'), "invisible control character U+0007");
        assert_eq!(describe('\u{202E}'), "invisible control character U+202E");
        assert_eq!(describe('а'), "'а' (U+0430)");
        assert_eq!(describe('\u{a0}'), "whitespace U+00A0");
    }

    #[test]
    fn control_characters_are_refused_with_position() {
        let e = no_control("x", "ab\ncd").unwrap_err();
        assert_eq!(
            e.reason(),
            "contains a line break at position 3; it must be a single line"
        );
        assert!(
            no_control("x", "a\0")
                .unwrap_err()
                .reason()
                .contains("NUL byte at position 2")
        );
        assert!(no_control("x", "a\u{2066}b").is_err());
        assert!(no_control("x", "a\u{7f}").is_err());
        assert!(no_control("x", "naïve ok").is_ok());
    }

    #[test]
    fn shell_metacharacters_are_refused() {
        for c in SHELL_META {
            let s = format!("a{c}b");
            let e = no_shell_meta("x", &s, true).unwrap_err();
            assert!(e.reason().contains("position 2"), "{e}");
        }
        assert!(no_shell_meta("x", "a b", false).is_err());
        assert!(no_shell_meta("x", "a b", true).is_ok());
        assert!(no_shell_meta("x", "a\tb", true).is_err());
        assert!(no_shell_meta("x", "a-b_c.d", false).is_ok());
    }

    #[test]
    fn leading_dash_length_and_empty() {
        assert!(no_leading_dash("x", "-oProxyCommand").is_err());
        assert!(no_leading_dash("x", "a-b").is_ok());
        assert_eq!(
            max_chars("x", "abcd", 3).unwrap_err().reason(),
            "is 4 characters long; the limit is 3"
        );
        assert!(max_chars("x", "ééé", 3).is_ok());
        assert!(not_empty("x", "").is_err());
    }
}
