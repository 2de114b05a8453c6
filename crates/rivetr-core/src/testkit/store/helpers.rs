//! Assertion helpers shared by the suite: each panics with a
//! `store contract:` message naming the broken promise.

use std::fmt::{Debug, Display};
use std::str::FromStr;

use uuid::Uuid;

use crate::error::{ErrorKind, Result};

/// A short random suffix that keeps names unique across runs.
pub(super) fn tag() -> String {
    let mut tag = Uuid::new_v4().simple().to_string();
    tag.truncate(12);
    tag
}

pub(super) fn parse<T>(text: &str) -> T
where
    T: FromStr,
    T::Err: Display,
{
    text.parse()
        .unwrap_or_else(|e| panic!("testkit: {text:?} should be valid input: {e}"))
}

/// The value of a call that must succeed.
pub(super) fn ok<T>(result: Result<T>, contract: &str) -> T {
    result.unwrap_or_else(|e| panic!("store contract: {contract}: unexpected error: {e}"))
}

/// A call that must fail with `kind`.
pub(super) fn refused<T: Debug>(result: Result<T>, kind: ErrorKind, contract: &str) {
    match result {
        Ok(value) => panic!("store contract: {contract}: expected {kind}, got Ok({value:?})"),
        Err(e) => assert!(
            e.kind() == kind,
            "store contract: {contract}: expected {kind}, got {} ({e})",
            e.kind()
        ),
    }
}

pub(super) fn not_found<T: Debug>(result: Result<T>, contract: &str) {
    refused(result, ErrorKind::NotFound, contract);
}

pub(super) fn denied<T: Debug>(result: Result<T>, contract: &str) {
    refused(result, ErrorKind::PermissionDenied, contract);
}

pub(super) fn conflict<T: Debug>(result: Result<T>, contract: &str) {
    refused(result, ErrorKind::Conflict, contract);
}

/// A list of something the scope must not see: `NotFound` or empty.
pub(super) fn nothing<T: Debug>(result: Result<Vec<T>>, contract: &str) {
    match result {
        Ok(list) => assert!(
            list.is_empty(),
            "store contract: {contract}: expected NotFound or an empty list, got {list:?}"
        ),
        Err(e) => assert!(
            e.kind() == ErrorKind::NotFound,
            "store contract: {contract}: expected NotFound or an empty list, got {e}"
        ),
    }
}

/// An optional something the scope must not see: `NotFound` or `None`.
pub(super) fn none<T: Debug>(result: Result<Option<T>>, contract: &str) {
    match result {
        Ok(value) => assert!(
            value.is_none(),
            "store contract: {contract}: expected NotFound or None, got {value:?}"
        ),
        Err(e) => assert!(
            e.kind() == ErrorKind::NotFound,
            "store contract: {contract}: expected NotFound or None, got {e}"
        ),
    }
}

pub(super) fn ids<T, I: Ord>(rows: &[T], id: impl Fn(&T) -> I) -> Vec<I> {
    rows.iter().map(id).collect()
}
