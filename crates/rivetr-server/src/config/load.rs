//! Loading: the TOML file, then `RIVETR_SECTION__KEY` environment
//! overrides, with errors that point at the file's line or name the
//! variable.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Config;
use super::reference::{ReferenceEntry, ValueKind};

/// The prefix of environment overrides. A variable is an override when it
/// starts with this prefix and holds a double underscore
/// (`RIVETR_STORE__URL`, `RIVETR_PROXY__ACME__EMAIL`); others, such as the
/// CLI's `RIVETR_URL` and `RIVETR_TOKEN`, are not config.
pub const ENV_PREFIX: &str = "RIVETR_";

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, has an unknown key or a bad value.
    #[error("{}", render_file_error(path, *line, *column, message, excerpt))]
    File {
        /// The file (`<string>` for [`load_str`] without a path).
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What is wrong.
        message: String,
        /// The offending line of the file.
        excerpt: String,
    },
    /// An environment override names no config key.
    #[error(
        "environment variable {var} names no config key {key:?}{}",
        hint.as_deref().map(|h| format!(" (did you mean {h}?)")).unwrap_or_default()
    )]
    UnknownEnv {
        /// The variable.
        var: String,
        /// The key it maps to.
        key: String,
        /// A variable with a similar name, if any.
        hint: Option<String>,
    },
    /// An environment override has a bad value.
    #[error("environment variable {var}: {message}")]
    Env {
        /// The variable.
        var: String,
        /// What is wrong.
        message: String,
    },
    /// A value that loaded but cannot be used (its message never repeats
    /// a secret).
    #[error("{key}: {message}")]
    Invalid {
        /// The config key.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A file the configuration points to could not be used.
    #[error("{key} = {}: {message}", path.display())]
    Referenced {
        /// The config key.
        key: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

fn render_file_error(
    path: &Path,
    line: usize,
    column: usize,
    message: &str,
    excerpt: &str,
) -> String {
    let mut out = format!("{}:{line}:{column}: {}", path.display(), message.trim_end());
    if !excerpt.is_empty() {
        let gutter = line.to_string();
        let pad = " ".repeat(gutter.len());
        let caret = " ".repeat(column.saturating_sub(1));
        out.push_str(&format!(
            "\n{pad} |\n{gutter} | {excerpt}\n{pad} | {caret}^"
        ));
    }
    out
}

/// Load the configuration: the file at `path` (none: defaults only), then
/// the overrides among `env`: the process environment (`std::env::vars_os()`
/// with its non-UTF-8 entries dropped, as `std::env::vars()` panics on
/// them), or in tests their own.
///
/// # Errors
///
/// [`ConfigError`]: an unreadable file, TOML syntax, an unknown key or a
/// bad value (with the file, line and column), an override naming no key
/// or holding a bad value (naming the variable).
pub fn load(
    path: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, ConfigError> {
    match path {
        None => load_str("", Path::new("<defaults>"), env),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })?;
            load_str(&text, path, env)
        }
    }
}

/// [`load`] with the file's text given; `origin` names it in errors.
///
/// # Errors
///
/// As [`load`].
pub fn load_str(
    text: &str,
    origin: &Path,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, ConfigError> {
    let config: Config = toml::from_str(text).map_err(|e| file_error(text, origin, &e))?;
    let overrides = overrides(env)?;
    if overrides.is_empty() {
        return Ok(config);
    }
    let mut table: toml::Table = toml::from_str(text).map_err(|e| file_error(text, origin, &e))?;
    for (var, entry, value) in overrides {
        // Each override alone first, so a bad value names its variable.
        let mut alone = toml::Table::new();
        insert(&mut alone, entry.key, value.clone());
        Config::deserialize(toml::Value::Table(alone)).map_err(|e| ConfigError::Env {
            var: var.clone(),
            message: e.message().trim_end().to_owned(),
        })?;
        insert(&mut table, entry.key, value);
    }
    Config::deserialize(toml::Value::Table(table)).map_err(|e| ConfigError::Env {
        var: "RIVETR_*".to_owned(),
        message: e.message().trim_end().to_owned(),
    })
}

/// The config key an override variable maps to (`RIVETR_STORE__URL` →
/// `store.url`), or `None` when the variable is not an override.
#[must_use]
pub(crate) fn env_key(var: &str) -> Option<String> {
    let rest = var.strip_prefix(ENV_PREFIX)?;
    rest.contains("__").then(|| {
        rest.split("__")
            .collect::<Vec<_>>()
            .join(".")
            .to_ascii_lowercase()
    })
}

/// The overrides in `env`, sorted by variable, each with its reference
/// entry and TOML value.
fn overrides(
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<(String, &'static ReferenceEntry, toml::Value)>, ConfigError> {
    let mut found = Vec::new();
    for (var, value) in env {
        let Some(key) = env_key(&var) else { continue };
        let reference = Config::reference();
        let Some(entry) = reference.iter().find(|e| e.key == key) else {
            let hint = similar_key(&key).map(ReferenceEntry::env_var_for);
            return Err(ConfigError::UnknownEnv { var, key, hint });
        };
        let value = env_value(entry.kind, &value).map_err(|message| ConfigError::Env {
            var: var.clone(),
            message,
        })?;
        found.push((var, entry, value));
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found)
}

/// The reference key closest to `key`: the same key name in another
/// section, else one at most two edits away.
fn similar_key(key: &str) -> Option<&'static str> {
    let name = key.rsplit('.').next().unwrap_or(key);
    let reference = Config::reference();
    reference
        .iter()
        .find(|e| e.name() == name)
        .or_else(|| {
            reference
                .iter()
                .map(|e| (edit_distance(e.key, key), e))
                .filter(|(d, _)| *d <= 2)
                .min_by_key(|(d, _)| *d)
                .map(|(_, e)| e)
        })
        .map(|e| e.key)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

fn env_value(kind: ValueKind, raw: &str) -> Result<toml::Value, String> {
    Ok(match kind {
        ValueKind::Integer => toml::Value::Integer(
            raw.trim()
                .parse()
                .map_err(|_| format!("expected a whole number, got {raw:?}"))?,
        ),
        ValueKind::Bool => toml::Value::Boolean(match raw.trim() {
            "true" => true,
            "false" => false,
            _ => return Err(format!("expected true or false, got {raw:?}")),
        }),
        ValueKind::List => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_owned()))
                .collect(),
        ),
        _ => toml::Value::String(raw.to_owned()),
    })
}

/// Put `value` at the dotted `key`, making the tables on the way.
fn insert(table: &mut toml::Table, key: &str, value: toml::Value) {
    let mut parts: Vec<&str> = key.split('.').collect();
    let Some(last) = parts.pop() else { return };
    let mut current = table;
    for part in parts {
        let next = current
            .entry(part)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !next.is_table() {
            *next = toml::Value::Table(toml::Table::new());
        }
        let toml::Value::Table(next) = next else {
            return;
        };
        current = next;
    }
    current.insert(last.to_owned(), value);
}

fn file_error(text: &str, origin: &Path, error: &toml::de::Error) -> ConfigError {
    let start = error.span().map_or(0, |s| s.start).min(text.len());
    let before = text.get(..start).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    let excerpt = text[line_start..]
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    ConfigError::File {
        path: origin.to_path_buf(),
        line,
        column,
        message: error.message().to_owned(),
        excerpt,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::*;

    #[test]
    fn override_variables_map_to_keys() {
        assert_eq!(env_key("RIVETR_STORE__URL").as_deref(), Some("store.url"));
        assert_eq!(
            env_key("RIVETR_PROXY__ACME__EMAIL").as_deref(),
            Some("proxy.acme.email")
        );
        assert_eq!(env_key("RIVETR_URL"), None);
        assert_eq!(env_key("HOME"), None);
        assert_eq!(similar_key("store.uri"), Some("store.url"));
        assert_eq!(similar_key("server.http_listen"), Some("proxy.http_listen"));
        assert_eq!(similar_key("nope.thing"), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn errors_point_at_line_and_column() {
        let text = "[server]\napi_listen = \"127.0.0.1:8080\"\ndata_dri = \"/srv\"\n";
        let err = load_str(text, Path::new("rivetr.toml"), []).unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.starts_with("rivetr.toml:3:1: unknown field `data_dri`"),
            "{shown}"
        );
        assert!(shown.contains("3 | data_dri = \"/srv\""), "{shown}");
    }
}
