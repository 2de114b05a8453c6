//! Where a sealed value lives, as the additional data it is sealed with.

use std::fmt::{Display, Write};

/// `{table}.{column}:{key1}:{key2}...`: the place a value in `column` of
/// the row of `table` with these key values is sealed for. The
/// repositories seal with it and the reseal recomputes it, so both must
/// build it here.
pub(crate) fn place(table: &str, column: &str, keys: &[&dyn Display]) -> String {
    let mut place = format!("{table}.{column}");
    for key in keys {
        // Writing to a String cannot fail.
        let _ = write!(place, ":{key}");
    }
    place
}

#[cfg(test)]
mod tests {
    #[test]
    fn places_name_table_column_and_keys_in_order() {
        let app = uuid::Uuid::nil();
        assert_eq!(
            super::place("env_vars", "sealed", &[&app, &"DATABASE_URL"]),
            format!("env_vars.sealed:{app}:DATABASE_URL")
        );
        assert_eq!(super::place("t", "c", &[]), "t.c");
    }
}
