//! The Prometheus text exposition format (version 0.0.4): `# HELP` and
//! `# TYPE` lines, one sample a line, label values escaped.

use std::fmt::Write as _;

use super::route::{BUCKETS, CLASSES, Origin, RouteMetrics};

/// One route to render, with its labels.
pub(super) struct Row<'a> {
    /// The `app` label.
    pub(super) app: String,
    /// The `host` label.
    pub(super) host: String,
    /// Its counters.
    pub(super) metrics: &'a RouteMetrics,
}

/// The basic auth counters.
#[derive(Clone, Copy)]
pub(super) struct AuthCounts {
    pub(super) hash_checks: u64,
    pub(super) cache_hits: u64,
}

const REQUESTS: &str = "rivetr_proxy_requests_total";
const DURATION: &str = "rivetr_proxy_request_duration_seconds";
const HASH_CHECKS: &str = "rivetr_proxy_basic_auth_hash_checks_total";
const CACHE_HITS: &str = "rivetr_proxy_basic_auth_cache_hits_total";

/// Render `rows` (in order) and the auth counters.
pub(super) fn prometheus(rows: &[Row<'_>], auth: AuthCounts) -> String {
    // Roughly 30 lines of ~110 bytes per route.
    let mut out = String::with_capacity(512 + rows.len() * 3300);
    header(
        &mut out,
        REQUESTS,
        "counter",
        "Requests answered, by route (app and configured host), status class, and origin \
         (upstream: the app answered; proxy: the proxy answered itself).",
    );
    for row in rows {
        let labels = labels(row);
        for origin in Origin::ALL {
            for (class, name) in CLASSES.iter().enumerate() {
                let count = row.metrics.requests(origin, class);
                // Writing to a String cannot fail.
                let _ = writeln!(
                    out,
                    "{REQUESTS}{{{labels},class=\"{name}\",origin=\"{}\"}} {count}",
                    origin.as_str()
                );
            }
        }
    }
    header(
        &mut out,
        DURATION,
        "histogram",
        "Time from receiving a request to having its response head ready, by route.",
    );
    for row in rows {
        let labels = labels(row);
        let (counts, sum_nanos) = row.metrics.histogram();
        let mut cumulative = 0_u64;
        for (i, count) in counts.iter().enumerate() {
            cumulative = cumulative.saturating_add(*count);
            let le = BUCKETS.get(i).map_or("+Inf", |&(le, _)| le);
            let _ = writeln!(
                out,
                "{DURATION}_bucket{{{labels},le=\"{le}\"}} {cumulative}"
            );
        }
        let sum = Seconds(sum_nanos);
        let _ = writeln!(out, "{DURATION}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{DURATION}_count{{{labels}}} {cumulative}");
    }
    header(
        &mut out,
        HASH_CHECKS,
        "counter",
        "Basic auth passwords verified against their hash (argon2).",
    );
    let _ = writeln!(out, "{HASH_CHECKS} {}", auth.hash_checks);
    header(
        &mut out,
        CACHE_HITS,
        "counter",
        "Basic auth credentials accepted from the cache of verified ones.",
    );
    let _ = writeln!(out, "{CACHE_HITS} {}", auth.cache_hits);
    out
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// `app="…",host="…"`, escaped.
fn labels(row: &Row<'_>) -> String {
    format!(
        "app=\"{}\",host=\"{}\"",
        escape_label(&row.app),
        escape_label(&row.host)
    )
}

/// A label value: `\`, `"` and line feeds escaped.
pub(super) fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// HELP text: `\` and line feeds escaped.
fn escape_help(value: &str) -> String {
    value.replace('\\', "\\\\").replace('\n', "\\n")
}

/// Nanoseconds printed as decimal seconds, exactly (`1.5`, `0.000002`).
struct Seconds(u64);

impl std::fmt::Display for Seconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (secs, nanos) = (self.0 / 1_000_000_000, self.0 % 1_000_000_000);
        if nanos == 0 {
            return write!(f, "{secs}");
        }
        let fraction = format!("{nanos:09}");
        write!(f, "{secs}.{}", fraction.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape_label("line\nbreak"), "line\\nbreak");
        assert_eq!(escape_label("*.example.com"), "*.example.com");
    }

    #[test]
    fn seconds_are_exact() {
        assert_eq!(Seconds(0).to_string(), "0");
        assert_eq!(Seconds(1_500_000_000).to_string(), "1.5");
        assert_eq!(Seconds(2_000).to_string(), "0.000002");
        assert_eq!(Seconds(3_000_000_000).to_string(), "3");
    }
}
