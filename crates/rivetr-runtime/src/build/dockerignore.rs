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
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
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
            let hit = (1..=parts.len()).any(|n| match_segments(&rule.segments, &parts[..n]));
            if hit {
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

/// Whether the pattern segments match the path segments exactly.
fn match_segments(pattern: &[String], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((first, rest)) if first == "**" => {
            (0..=path.len()).any(|skip| match_segments(rest, &path[skip..]))
        }
        Some((first, rest)) => match path.split_first() {
            Some((name, path_rest)) => {
                glob(first.as_bytes(), name.as_bytes()) && match_segments(rest, path_rest)
            }
            None => false,
        },
    }
}

/// Match one path segment against one pattern segment (`*`, `?`, `[...]`,
/// `\`).
fn glob(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|skip| glob(rest, &name[skip..])),
        Some((b'?', rest)) => !name.is_empty() && glob(rest, &name[char_len(name)..]),
        Some((b'[', rest)) => match class(rest, name) {
            Some((true, after)) => glob(after, &name[char_len(name)..]),
            _ => false,
        },
        Some((b'\\', rest)) => match (rest.split_first(), name.split_first()) {
            (Some((p, rest)), Some((n, name_rest))) => p == n && glob(rest, name_rest),
            _ => false,
        },
        Some((p, rest)) => name
            .split_first()
            .is_some_and(|(n, name_rest)| p == n && glob(rest, name_rest)),
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
    fn empty_rules_exclude_nothing() {
        let d = ignore("");
        assert!(d.is_empty());
        assert!(!d.is_excluded("anything"));
        assert!(!d.is_excluded(""));
    }
}
