//! A small classifier of letters by writing system, by code point ranges.
//!
//! It is what lets [`DomainName`](super::DomainName) refuse labels that mix
//! scripts, the classic look-alike trick (a Cyrillic `а` in `pаypal`). Only
//! the scripts listed in [`Script`] are known; other letters are refused in
//! domain names.

use std::fmt;

/// A writing system a domain label may be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Script {
    Latin,
    Greek,
    Cyrillic,
    Armenian,
    Hebrew,
    Arabic,
    Devanagari,
    Thai,
    Hangul,
    /// Han, Hiragana and Katakana together: Chinese and Japanese mix them.
    Cjk,
}

impl fmt::Display for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Latin => "Latin",
            Self::Greek => "Greek",
            Self::Cyrillic => "Cyrillic",
            Self::Armenian => "Armenian",
            Self::Hebrew => "Hebrew",
            Self::Arabic => "Arabic",
            Self::Devanagari => "Devanagari",
            Self::Thai => "Thai",
            Self::Hangul => "Hangul",
            Self::Cjk => "Chinese/Japanese",
        })
    }
}

/// The script of `c`, if `c` is a letter of a known script. ASCII digits and
/// `-` are neutral (`None`), like everything else outside the known ranges.
pub(super) fn script(c: char) -> Option<Script> {
    let script = match u32::from(c) {
        0x61..=0x7A | 0x41..=0x5A | 0xC0..=0x24F | 0x1E00..=0x1EFF => Script::Latin,
        0x370..=0x3FF | 0x1F00..=0x1FFF => Script::Greek,
        0x400..=0x52F => Script::Cyrillic,
        0x530..=0x58F => Script::Armenian,
        0x590..=0x5FF => Script::Hebrew,
        0x600..=0x6FF | 0x750..=0x77F => Script::Arabic,
        0x900..=0x97F => Script::Devanagari,
        0xE00..=0xE7F => Script::Thai,
        0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF => Script::Hangul,
        0x3040..=0x30FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF
        | 0x20000..=0x2A6DF => Script::Cjk,
        _ => return None,
    };
    Some(script)
}

/// Whether `c` may appear in a Unicode domain label: a letter or digit of a
/// known script, or one of the combining marks those scripts need (vowel
/// signs, viramas, tone marks, Hebrew and Arabic points, kana voicing marks).
/// Punctuation and symbols in those blocks (`×`, `;` look-alikes such as the
/// Greek question mark U+037E) are refused.
pub(super) fn is_label_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    }
    if script(c).is_none() {
        return false;
    }
    c.is_alphanumeric() || is_script_mark(c)
}

/// Combining marks of the known scripts that are not `Alphabetic` in Unicode.
fn is_script_mark(c: char) -> bool {
    matches!(u32::from(c),
        0x591..=0x5BD | 0x5BF | 0x5C1..=0x5C2 | 0x5C4..=0x5C5 | 0x5C7 // Hebrew points
        | 0x610..=0x61A | 0x64B..=0x65F | 0x670 | 0x6D6..=0x6DC | 0x6DF..=0x6E4
        | 0x6E7..=0x6E8 | 0x6EA..=0x6ED // Arabic marks
        | 0x900..=0x903 | 0x93A..=0x94F | 0x951..=0x957 | 0x962..=0x963 // Devanagari
        | 0xE31 | 0xE34..=0xE3A | 0xE47..=0xE4E // Thai
        | 0x3099..=0x309A // kana voicing marks
    )
}

/// The first two different scripts among the letters of `label`, if it mixes
/// scripts.
pub(super) fn mixed(label: &str) -> Option<(Script, Script)> {
    let mut first = None;
    for s in label.chars().filter_map(script) {
        match first {
            None => first = Some(s),
            Some(f) if f != s => return Some((f, s)),
            Some(_) => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_letters() {
        assert_eq!(script('a'), Some(Script::Latin));
        assert_eq!(script('ü'), Some(Script::Latin));
        assert_eq!(script('а'), Some(Script::Cyrillic));
        assert_eq!(script('ο'), Some(Script::Greek));
        assert_eq!(script('例'), Some(Script::Cjk));
        assert_eq!(script('え'), Some(Script::Cjk));
        assert_eq!(script('한'), Some(Script::Hangul));
        assert_eq!(script('7'), None);
        assert_eq!(script('-'), None);
    }

    #[test]
    fn finds_mixed_scripts() {
        assert_eq!(mixed("pаypal"), Some((Script::Latin, Script::Cyrillic)));
        assert_eq!(mixed("例えカタカナ漢字"), None);
        assert_eq!(mixed("пример-2"), None);
        assert_eq!(mixed("αpple"), Some((Script::Greek, Script::Latin)));
    }

    #[test]
    fn label_characters() {
        assert!(is_label_char('ü'));
        assert!(is_label_char('\u{94D}')); // Devanagari virama
        assert!(!is_label_char('\u{37E}')); // Greek question mark
        assert!(!is_label_char('×'));
        assert!(!is_label_char('\u{301}')); // combining acute: use the precomposed letter
        assert!(!is_label_char('A'));
        assert!(!is_label_char('😀'));
    }
}
