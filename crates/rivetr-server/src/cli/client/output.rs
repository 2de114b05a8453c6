//! Client output: aligned tables and `key value` lists for people, the
//! API's JSON for `--json`, and `error: ...` on standard error. Writes
//! ignore a closed pipe (`rivetr apps list | head -1`).

use std::io::Write;

use serde_json::Value;

use super::error::ClientError;

/// A value shown in a table cell (`-` when missing).
pub(crate) fn cell(value: Option<&str>) -> String {
    match value {
        Some(v) if !v.is_empty() => v.chars().filter(|c| !c.is_control()).collect(),
        _ => "-".to_owned(),
    }
}

/// Render a table: a header row, then rows, columns padded to the widest
/// cell, two spaces apart; no trailing spaces.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            let pad = width.saturating_sub(cell.chars().count());
            line.extend(std::iter::repeat_n(' ', pad));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Write text to standard output as is.
pub(crate) fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Write a line to standard output.
pub(crate) fn println(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

/// Write a line to standard error (progress, notes).
pub(crate) fn eprintln(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// Write `value` as pretty JSON to standard output.
pub(crate) fn json(value: &Value) {
    println(&serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string()));
}

/// Write `value` as one compact JSON line (streams under `--json`).
pub(crate) fn json_line(value: &Value) {
    println(&value.to_string());
}

/// Report a failed command: `error: <message>` and, when one helps, a hint.
pub(crate) fn error(err: &ClientError) {
    let mut out = std::io::stderr().lock();
    let _ = writeln!(out, "error: {err}");
    if let Some(hint) = err.hint() {
        let _ = writeln!(out, "hint: {hint}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_pads_columns_and_trims_line_ends() {
        let rows = vec![
            vec!["web".to_owned(), "1".to_owned(), "-".to_owned()],
            vec!["a-longer-name".to_owned(), "22".to_owned(), "x".to_owned()],
        ];
        assert_eq!(
            table(&["NAME", "ID", "X"], &rows),
            "NAME           ID  X\nweb            1   -\na-longer-name  22  x\n"
        );
    }

    #[test]
    fn cells_drop_control_characters() {
        assert_eq!(cell(Some("a\x1b[31mb")), "a[31mb");
        assert_eq!(cell(None), "-");
        assert_eq!(cell(Some("")), "-");
    }
}
