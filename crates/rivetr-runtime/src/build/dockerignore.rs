//! `.dockerignore` rules, with Docker's semantics.
//!
//! - One pattern per line; blank lines and lines starting with `#` are
//!   skipped; surrounding whitespace is trimmed.
//! - Patterns are relative to the context root and cleaned like Go's
//!   `filepath.Clean` (`./a` is `a`, `/a` is `a`, `a/` is `a`).
//! - `*` matches any run of characters except `/`, `?` one character
//!   except `/`, `[a-z]` / `[!a-z]` a character class, `\` escapes the next
//!   character, and a `**` path segment matches any number of directories
//!   (including none).
//! - A leading `!` makes an exception: a path matching it is kept again.
//! - The last pattern that matches decides; a pattern that matches a
//!   directory excludes everything below it (unless a later exception
//!   re-includes a path).
//!
//! Matching is polynomial whatever the patterns: within a segment it is an
//! iterative wildcard match with a single backtrack point (O(n·m)), and
//! `**` across segments is a dynamic programme over (pattern segment, path
//! segment). To bound the work per path, at most [`MAX_RULES`] rules are
//! kept and patterns longer than [`MAX_PATTERN_LEN`] bytes are ignored
//! (both with a warning): such files are not real `.dockerignore` files.

/// Most rules kept from a `.dockerignore` file; later lines are ignored.
pub const MAX_RULES: usize = 10_000;
/// Longest pattern (in bytes, after trimming) kept; longer lines are
/// ignored.
pub const MAX_PATTERN_LEN: usize = 4096;

/// One `.dockerignore` line.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Rule {
    /// The cleaned pattern, split on `/`.
    segments: Vec<String>,
    /// A `!` exception.
    exception: bool,
}

/// Parsed `.dockerignore` rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DockerIgnore {
    rules: Vec<Rule>,
}

impl DockerIgnore {
    /// Parse the text of a `.dockerignore` file (never fails: lines that
    /// clean to nothing are skipped, as Docker does).
    #[must_use]
    pub fn parse(text: &str) -> Self {
        let mut rules = Vec::new();
        let (mut too_long, mut too_many) = (0_usize, 0_usize);
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.len() > MAX_PATTERN_LEN {
                too_long += 1;
                continue;
            }
            if rules.len() == MAX_RULES {
                too_many += 1;
                continue;
            }
            let (exception, pattern) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let segments = clean(pattern);
            if segments.is_empty() {
                continue;
            }
            rules.push(Rule {
                segments,
                exception,
            });
        }
        if too_long > 0 || too_many > 0 {
            tracing::warn!(
                too_long,
                too_many,
                max_pattern_len = MAX_PATTERN_LEN,
                max_rules = MAX_RULES,
                "ignoring .dockerignore patterns over the limits"
            );
        }
        Self { rules }
    }

    /// Whether there are no rules at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether any rule is a `!` exception (then an excluded directory must
    /// still be walked, since something below it may be kept).
    #[must_use]
    pub fn has_exceptions(&self) -> bool {
        self.rules.iter().any(|r| r.exception)
    }

    /// Whether `path` (relative to the context root, `/`-separated) is
    /// excluded from the context.
    #[must_use]
    pub fn is_excluded(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        if parts.is_empty() {
            return false;
        }
        let mut excluded = false;
        for rule in &self.rules {
            // A rule matching the path or any of its parent directories
            // applies (Docker's `MatchesOrParentMatches`).
            if matches_or_parent_matches(&rule.segments, &parts) {
                excluded = !rule.exception;
            }
        }
        excluded
    }
}

/// Clean a pattern as Go's `filepath.Clean` would, then drop a leading `/`.
fn clean(pattern: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in pattern.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|p| p != "..") {
                    out.pop();
                } else {
                    out.push("..".to_owned());
                }
            }
            other => out.push(other.to_owned()),
        }
    }
    out
}

/// Whether the pattern segments match `path` or one of its parent
/// directories (a non-empty prefix of `path`).
///
/// A dynamic programme over (pattern segment, path segment): `reach[j]` is
/// whether the pattern segments seen so far match `path[..j]`, so each
/// segment pair is looked at once (O(pattern·path) segment matches).
fn matches_or_parent_matches(pattern: &[String], path: &[&str]) -> bool {
    let mut reach = vec![false; path.len() + 1];
    reach[0] = true;
    let mut next = vec![false; path.len() + 1];
    for segment in pattern {
        if segment == "**" {
            // Any number of directories, including none.
            let mut any = false;
            for (to, from) in next.iter_mut().zip(&reach) {
                any |= *from;
                *to = any;
            }
        } else {
            next[0] = false;
            for (j, name) in path.iter().enumerate() {
                next[j + 1] = reach[j] && glob(segment.as_bytes(), name.as_bytes());
            }
        }
        std::mem::swap(&mut reach, &mut next);
        if !reach.contains(&true) {
            return false;
        }
    }
    reach[1..].contains(&true)
}

/// Match one path segment against one pattern segment (`*`, `?`, `[...]`,
/// `\`).
///
/// Iterative, with a single backtrack point: the last `*` seen and the
/// name position it was tried at. On a mismatch, that `*` swallows one
/// more byte and matching resumes after it (earlier `*`s never need to be
/// revisited), so the work is O(pattern·name).
fn glob(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    // (pattern index after the last `*`, name index it resumes at)
    let mut star: Option<(usize, usize)> = None;
    loop {
        if pattern.get(p) == Some(&b'*') {
            p += 1;
            star = Some((p, n));
            continue;
        }
        if p == pattern.len() && n == name.len() {
            return true;
        }
        if let Some((next_p, used)) = step(pattern, p, &name[n..]) {
            p = next_p;
            n += used;
            continue;
        }
        match star {
            Some((after, from)) if from < name.len() => {
                star = Some((after, from + 1));
                p = after;
                n = from + 1;
            }
            _ => return false,
        }
    }
}

/// Match the single token (not `*`) at `pattern[p]` against the start of
/// `name`: `Some((pattern index after it, name bytes it used))`, `None` on
/// a mismatch (or at the end of either).
fn step(pattern: &[u8], p: usize, name: &[u8]) -> Option<(usize, usize)> {
    let token = *pattern.get(p)?;
    let first = *name.first()?;
    match token {
        b'?' => Some((p + 1, char_len(name))),
        b'[' => match class(&pattern[p + 1..], name) {
            Some((true, after)) => Some((pattern.len() - after.len(), char_len(name))),
            _ => None,
        },
        b'\\' => (pattern.get(p + 1) == Some(&first)).then_some((p + 2, 1)),
        literal => (literal == first).then_some((p + 1, 1)),
    }
}

/// The byte length of the UTF-8 character starting `name` (1 for invalid
/// bytes), so `?` matches one character.
fn char_len(name: &[u8]) -> usize {
    let first = name.first().copied().unwrap_or(0);
    let len = match first {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    };
    len.min(name.len()).max(1)
}

/// Match the first character of `name` against the class starting after
/// `[`: `Some((matched, pattern after ']'))`, `None` when the class is
/// malformed (no closing `]`) or `name` is empty.
fn class<'p>(pattern: &'p [u8], name: &[u8]) -> Option<(bool, &'p [u8])> {
    let c = *name.first()?;
    let (negate, mut rest) = match pattern.split_first() {
        Some((b'!' | b'^', rest)) => (true, rest),
        _ => (false, pattern),
    };
    let mut matched = false;
    let mut first = true;
    loop {
        let (&lo, after) = rest.split_first()?;
        if lo == b']' && !first {
            return Some((matched != negate, after));
        }
        first = false;
        let (lo, after) = if lo == b'\\' {
            let (&esc, after) = after.split_first()?;
            (esc, after)
        } else {
            (lo, after)
        };
        if let (Some((b'-', range)), true) = (
            after.split_first(),
            after.get(1).is_some_and(|b| *b != b']'),
        ) {
            let (&hi, after) = range.split_first()?;
            let (hi, after) = if hi == b'\\' {
                let (&esc, after) = after.split_first()?;
                (esc, after)
            } else {
                (hi, after)
            };
            matched |= lo <= c && c <= hi;
            rest = after;
        } else {
            matched |= lo == c;
            rest = after;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignore(text: &str) -> DockerIgnore {
        DockerIgnore::parse(text)
    }

    #[test]
    fn comments_blank_lines_and_whitespace() {
        let d = ignore("# a comment\n\n   \n  target  \n#node_modules\n");
        assert!(d.is_excluded("target"));
        assert!(d.is_excluded("target/debug/app"));
        assert!(!d.is_excluded("node_modules"));
        assert!(!d.is_excluded("#node_modules"));
        assert_eq!(d.rules.len(), 1);
    }

    #[test]
    fn star_stays_within_a_segment() {
        let d = ignore("*.log\n");
        assert!(d.is_excluded("app.log"));
        assert!(
            !d.is_excluded("logs/app.log"),
            "*.log is relative to the root"
        );
        assert!(!d.is_excluded("app.log.txt"));
        let d = ignore("*/temp*\n");
        assert!(d.is_excluded("somedir/temporary.txt"));
        assert!(d.is_excluded("somedir/temp"));
        assert!(!d.is_excluded("temp"));
        assert!(!d.is_excluded("a/b/temp"));
        let d = ignore("*/*/temp*\n");
        assert!(d.is_excluded("a/b/temp.txt"));
        assert!(!d.is_excluded("a/temp.txt"));
    }

    #[test]
    fn question_mark_matches_one_character() {
        let d = ignore("temp?\n");
        assert!(d.is_excluded("tempa"));
        assert!(d.is_excluded("tempé"));
        assert!(!d.is_excluded("temp"));
        assert!(!d.is_excluded("tempab"));
        assert!(!d.is_excluded("temp/"));
    }

    #[test]
    fn double_star_spans_directories() {
        let d = ignore("**/*.go\n");
        assert!(d.is_excluded("main.go"));
        assert!(d.is_excluded("a/b/c/main.go"));
        assert!(!d.is_excluded("main.rs"));
        let d = ignore("a/**/b\n");
        assert!(d.is_excluded("a/b"));
        assert!(d.is_excluded("a/x/y/b"));
        assert!(d.is_excluded("a/x/b/file"));
        assert!(!d.is_excluded("x/a/b"));
        let d = ignore("**\n!keep\n");
        assert!(d.is_excluded("anything/at/all"));
        assert!(!d.is_excluded("keep"));
        let d = ignore("dir/**\n");
        assert!(d.is_excluded("dir/a"));
        assert!(d.is_excluded("dir/a/b"));
    }

    #[test]
    fn exceptions_and_last_match_wins() {
        let d = ignore("*.md\n!README.md\n");
        assert!(d.is_excluded("CHANGELOG.md"));
        assert!(!d.is_excluded("README.md"));
        let d = ignore("!README.md\n*.md\n");
        assert!(d.is_excluded("README.md"), "the later rule wins");
        let d = ignore("*.md\n!README*.md\nREADME-secret.md\n");
        assert!(d.is_excluded("README-secret.md"));
        assert!(!d.is_excluded("README-public.md"));
        assert!(d.has_exceptions());
        assert!(!ignore("a\n").has_exceptions());
    }

    #[test]
    fn directories_exclude_their_contents() {
        let d = ignore("node_modules\n");
        assert!(d.is_excluded("node_modules"));
        assert!(d.is_excluded("node_modules/left-pad/index.js"));
        assert!(!d.is_excluded("web/node_modules"), "relative to the root");
        let d = ignore("build\n!build/keep.txt\n");
        assert!(d.is_excluded("build/other"));
        assert!(!d.is_excluded("build/keep.txt"));
    }

    #[test]
    fn patterns_are_cleaned() {
        let d = ignore("./secret.txt\n/root.txt\ndir/\na/../b\n../outside\n");
        assert!(d.is_excluded("secret.txt"));
        assert!(d.is_excluded("root.txt"));
        assert!(d.is_excluded("dir/x"));
        assert!(d.is_excluded("b"));
        assert!(!d.is_excluded("a"));
        assert!(!d.is_excluded("outside"));
        assert!(ignore(".\n/\n!\n").is_empty());
    }

    #[test]
    fn character_classes_and_escapes() {
        let d = ignore("file[0-9].txt\n");
        assert!(d.is_excluded("file1.txt"));
        assert!(!d.is_excluded("filea.txt"));
        let d = ignore("file[!0-9].txt\n");
        assert!(d.is_excluded("filea.txt"));
        assert!(!d.is_excluded("file1.txt"));
        let d = ignore("[abc]x\n");
        assert!(d.is_excluded("bx"));
        assert!(!d.is_excluded("dx"));
        let d = ignore("star\\*\n");
        assert!(d.is_excluded("star*"));
        assert!(!d.is_excluded("starx"));
        let d = ignore("broken[\n");
        assert!(!d.is_excluded("broken["));
        assert!(!d.is_excluded("brokenx"));
    }

    #[test]
    fn pathological_stars_are_polynomial() {
        // Exponential with a backtracking matcher; this would hang the
        // test suite.
        let pattern = format!("{}b", "*a".repeat(11));
        let name = "a".repeat(200);
        let d = ignore(&pattern);
        assert!(!d.is_excluded(&name));
        assert!(d.is_excluded(&format!("{name}b")));
        assert!(d.is_excluded(&format!("{name}b/below")));
        let many = format!("{}*b", "*".repeat(300));
        assert!(!ignore(&many).is_excluded(&name));
        let classes = format!("{}b", "*[a-z]?".repeat(30));
        assert!(!ignore(&classes).is_excluded(&name));
        assert!(ignore(&classes).is_excluded(&format!("{name}b")));
    }

    #[test]
    fn double_star_with_many_segments() {
        let pattern = format!("{}x", "**/*a*/".repeat(40));
        let deep = vec!["aa"; 200].join("/");
        let d = ignore(&pattern);
        assert!(!d.is_excluded(&deep));
        assert!(d.is_excluded(&format!("{deep}/x")));
        assert!(d.is_excluded(&format!("{deep}/x/y/z")));
        assert!(!d.is_excluded(&format!("{}/x", vec!["aa"; 39].join("/"))));
        assert!(d.is_excluded(&format!("{}/x", vec!["aa"; 40].join("/"))));
        let stars = format!("{}end", "**/".repeat(100));
        let d = ignore(&stars);
        assert!(d.is_excluded("end"));
        assert!(d.is_excluded(&format!("{deep}/end")));
        assert!(!d.is_excluded(&format!("{deep}/end2")));
    }

    #[test]
    fn star_backtracking_keeps_its_meaning() {
        let d = ignore("a*b*c\n");
        assert!(d.is_excluded("abc"));
        assert!(d.is_excluded("axxbyybzc"));
        assert!(d.is_excluded("abcbc"));
        assert!(!d.is_excluded("abcb"));
        assert!(!d.is_excluded("acb"));
        let d = ignore("*.tar.gz\n");
        assert!(d.is_excluded("a.tar.tar.gz"));
        assert!(!d.is_excluded("a.tar.gzz"));
        let d = ignore("*\\*\n");
        assert!(d.is_excluded("x*"));
        assert!(!d.is_excluded("x"));
        let d = ignore("*\\\n");
        assert!(!d.is_excluded("x"), "a trailing escape matches nothing");
        let d = ignore("*[\n");
        assert!(!d.is_excluded("x["));
        let d = ignore("*?\n");
        assert!(d.is_excluded("é"));
        assert!(!ignore("a?*\n").is_excluded("a"));
    }

    #[test]
    fn oversized_files_are_capped() {
        let long = "x".repeat(MAX_PATTERN_LEN + 1);
        let d = ignore(&format!("{long}\nkept\n"));
        assert_eq!(d.rules.len(), 1);
        assert!(!d.is_excluded(&long));
        assert!(d.is_excluded("kept"));
        let fits = "y".repeat(MAX_PATTERN_LEN);
        assert!(ignore(&fits).is_excluded(&fits));
        let mut text: String = (0..MAX_RULES).map(|i| format!("f{i}\n")).collect();
        text.push_str("over\n");
        let d = ignore(&text);
        assert_eq!(d.rules.len(), MAX_RULES);
        assert!(d.is_excluded(&format!("f{}", MAX_RULES - 1)));
        assert!(!d.is_excluded("over"));
    }

    #[test]
    fn empty_rules_exclude_nothing() {
        let d = ignore("");
        assert!(d.is_empty());
        assert!(!d.is_excluded("anything"));
        assert!(!d.is_excluded(""));
    }
}
