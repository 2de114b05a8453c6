//! [`watch_paths_match`]: whether a push touched the paths an app watches.

/// Whether a push that changed `changed` should deploy an app watching
/// `patterns`.
///
/// Patterns are globs over `/`-separated paths relative to the repository
/// root:
///
/// - `*` matches any run of characters within one path segment, `?` one
///   character;
/// - a `**` segment matches any number of segments, none included;
/// - a pattern matches a path, and everything below it when the path is a
///   directory: `api` and `api/` match `api/src/main.rs`;
/// - a leading `!` excludes what the rest of the pattern matches;
/// - a leading `/` or `./` is ignored; blank patterns are ignored.
///
/// A push deploys when at least one changed path is included (by any
/// non-excluding pattern, or by default when every pattern excludes) and not
/// excluded. With no patterns, or when the provider did not say which paths
/// changed (`paths_known` false), every push deploys.
///
/// ```
/// use rivetr_server::webhooks::watch_paths_match;
///
/// let patterns = ["services/api/**".to_owned(), "!**/*.md".to_owned()];
/// let changed = |paths: &[&str]| paths.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>();
/// assert!(watch_paths_match(&patterns, &changed(&["services/api/src/lib.rs"]), true));
/// assert!(!watch_paths_match(&patterns, &changed(&["services/api/README.md"]), true));
/// assert!(!watch_paths_match(&patterns, &changed(&["services/web/index.js"]), true));
/// assert!(watch_paths_match(&patterns, &[], false));
/// ```
#[must_use]
pub fn watch_paths_match(patterns: &[String], changed: &[String], paths_known: bool) -> bool {
    if !paths_known {
        return true;
    }
    let mut includes = Vec::new();
    let mut excludes = Vec::new();
    for pattern in patterns {
        let (list, pattern) = match pattern.trim().strip_prefix('!') {
            Some(excluded) => (&mut excludes, excluded),
            None => (&mut includes, pattern.trim()),
        };
        let segments = segments(pattern.strip_prefix("./").unwrap_or(pattern));
        if !segments.is_empty() {
            list.push(segments);
        }
    }
    if includes.is_empty() && excludes.is_empty() {
        return true;
    }
    changed.iter().any(|path| {
        let path = segments(path);
        let included = includes.is_empty() || includes.iter().any(|p| glob_match(p, &path));
        included && !excludes.iter().any(|p| glob_match(p, &path))
    })
}

fn segments(s: &str) -> Vec<&str> {
    s.split('/')
        .filter(|seg| !seg.is_empty() && *seg != ".")
        .collect()
}

/// Whether the pattern's segments match the path's, or a leading run of them
/// (a directory the path is in). Dynamic programming over (pattern segment,
/// path segment), so `**` never backtracks exponentially.
fn glob_match(pattern: &[&str], path: &[&str]) -> bool {
    let (np, ns) = (pattern.len(), path.len());
    // matched[j]: pattern[i..] matches path[j..]; row i + 1 kept in `next`.
    let mut next = vec![true; ns + 1];
    for i in (0..np).rev() {
        let mut row = vec![false; ns + 1];
        for j in (0..=ns).rev() {
            row[j] = if pattern[i] == "**" {
                next[j] || (j < ns && row[j + 1])
            } else {
                j < ns && segment_match(pattern[i], path[j]) && next[j + 1]
            };
        }
        next = row;
    }
    next[0]
}

/// Wildcard match of one segment: `*` any run of characters, `?` one.
fn segment_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    // The position after the last `*` seen, and where its match ended.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && p[pi] == t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            pi += 1;
            star = Some((pi, ti));
        } else if let Some((after_star, matched_to)) = star {
            pi = after_star;
            ti = matched_to + 1;
            star = Some((after_star, ti));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn m(patterns: &[&str], changed: &[&str]) -> bool {
        watch_paths_match(&strings(patterns), &strings(changed), true)
    }

    #[test]
    fn segment_wildcards() {
        assert!(segment_match("*.rs", "main.rs"));
        assert!(segment_match("*", ""));
        assert!(segment_match("a*b*c", "aXbYbZc"));
        assert!(segment_match("?.txt", "a.txt"));
        assert!(!segment_match("?.txt", "ab.txt"));
        assert!(!segment_match("*.rs", "main.rsx"));
        assert!(segment_match("ü*", "über"));
        assert!(segment_match("**", "anything"));
    }

    #[test]
    fn star_stays_within_a_segment() {
        assert!(m(&["src/*.rs"], &["src/main.rs"]));
        assert!(!m(&["src/*.rs"], &["src/bin/tool.rs"]));
        assert!(!m(&["*.md"], &["docs/guide.md"]));
        assert!(m(&["*.md"], &["README.md"]));
    }

    #[test]
    fn double_star_crosses_segments() {
        assert!(m(&["src/**/*.rs"], &["src/main.rs"]));
        assert!(m(&["src/**/*.rs"], &["src/a/b/c.rs"]));
        assert!(m(&["**/*.md"], &["docs/a/b.md"]));
        assert!(m(&["**"], &["x"]));
        assert!(m(&["a/**/b"], &["a/b"]));
        assert!(m(&["a/**/b"], &["a/x/y/b"]));
        assert!(!m(&["a/**/b"], &["a/x/c"]));
        assert!(!m(&["src/**/*.rs"], &["lib/main.rs"]));
    }

    #[test]
    fn a_directory_covers_what_is_below_it() {
        assert!(m(&["api"], &["api/src/main.rs"]));
        assert!(m(&["api/"], &["api/src/main.rs"]));
        assert!(m(&["/api"], &["api/Dockerfile"]));
        assert!(m(&["./api"], &["api/Dockerfile"]));
        assert!(m(&["services/*"], &["services/web/index.js"]));
        assert!(!m(&["api"], &["apiary/x"]));
        assert!(!m(&["api/src"], &["api"]));
    }

    #[test]
    fn exclusions() {
        assert!(!m(&["!docs/**"], &["docs/a.md"]));
        assert!(m(&["!docs/**"], &["docs/a.md", "src/lib.rs"]));
        assert!(m(&["!docs"], &["src/lib.rs"]));
        assert!(!m(&["src/**", "!src/**/*_test.go"], &["src/a/x_test.go"]));
        assert!(m(
            &["src/**", "!src/**/*_test.go"],
            &["src/a/x_test.go", "src/a/x.go"]
        ));
        assert!(!m(&["src/**", "!src/**/*_test.go"], &["README.md"]));
    }

    #[test]
    fn no_patterns_or_unknown_paths_always_match() {
        assert!(m(&[], &["anything"]));
        assert!(m(&[], &[]));
        assert!(m(&["", "  "], &["x"]));
        assert!(watch_paths_match(&strings(&["api/**"]), &[], false));
        assert!(watch_paths_match(
            &strings(&["api/**"]),
            &strings(&["web/x"]),
            false
        ));
    }

    #[test]
    fn nothing_changed_matches_no_pattern() {
        assert!(!m(&["**"], &[]));
        assert!(!m(&["!docs"], &[]));
    }

    #[test]
    fn many_double_stars_stay_fast() {
        let pattern = vec!["**/a"; 30].join("/") + "/b";
        let path = vec!["a"; 200].join("/") + "/c";
        assert!(!m(&[&pattern], &[&path]));
    }
}
