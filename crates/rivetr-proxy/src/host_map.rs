//! [`HostMap`]: values keyed by host pattern and looked up by host name
//! the same way for routes and for certificates: the exact host, then the
//! wildcard one label up.

use std::collections::HashMap;

use rivetr_core::input::HostPattern;

/// Values by [`HostPattern`]. A lookup costs at most two hash probes,
/// whatever the number of entries: the exact host, then the host minus its
/// first label among the wildcards (`*.example.com` matches
/// `a.example.com`, neither `example.com` nor `a.b.example.com`).
///
/// Keys are the patterns' ASCII (punycode), lowercase domains, so a lookup
/// takes the host as a `&str` in that form and never allocates.
#[derive(Clone, Debug)]
pub(crate) struct HostMap<V> {
    /// Exact hosts.
    exact: HashMap<Box<str>, V>,
    /// Wildcards, by the domain under the `*`.
    wildcard: HashMap<Box<str>, V>,
}

impl<V> Default for HostMap<V> {
    fn default() -> Self {
        Self {
            exact: HashMap::new(),
            wildcard: HashMap::new(),
        }
    }
}

impl<V> HostMap<V> {
    /// The value for `host` (ASCII, lowercase, no trailing dot): the exact
    /// host first, then the wildcard one label up.
    pub(crate) fn get(&self, host: &str) -> Option<&V> {
        if let Some(hit) = self.exact.get(host) {
            return Some(hit);
        }
        let (label, parent) = host.split_once('.')?;
        if label.is_empty() {
            return None;
        }
        self.wildcard.get(parent)
    }

    /// The value stored under exactly `pattern`.
    pub(crate) fn get_pattern(&self, pattern: &HostPattern) -> Option<&V> {
        self.map(pattern).get(pattern.domain().as_str())
    }

    /// Store `value` under `pattern`; the value it replaces, if any.
    pub(crate) fn insert(&mut self, pattern: &HostPattern, value: V) -> Option<V> {
        let key = pattern.domain().as_str().into();
        self.map_mut(pattern).insert(key, value)
    }

    /// Remove the value under `pattern`.
    pub(crate) fn remove(&mut self, pattern: &HostPattern) -> Option<V> {
        self.map_mut(pattern).remove(pattern.domain().as_str())
    }

    /// Every value, exact hosts first.
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.exact.values().chain(self.wildcard.values())
    }

    /// How many values there are.
    pub(crate) fn len(&self) -> usize {
        self.exact.len() + self.wildcard.len()
    }

    fn map(&self, pattern: &HostPattern) -> &HashMap<Box<str>, V> {
        match pattern {
            HostPattern::Exact(_) => &self.exact,
            HostPattern::Wildcard(_) => &self.wildcard,
        }
    }

    fn map_mut(&mut self, pattern: &HostPattern) -> &mut HashMap<Box<str>, V> {
        match pattern {
            HostPattern::Exact(_) => &mut self.exact,
            HostPattern::Wildcard(_) => &mut self.wildcard,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use super::*;

    fn pattern(text: &str) -> HostPattern {
        text.parse().unwrap()
    }

    #[test]
    fn exact_wins_and_wildcards_match_one_label() {
        let mut map = HostMap::default();
        map.insert(&pattern("*.apps.test"), "wildcard");
        map.insert(&pattern("a.apps.test"), "exact");
        assert_eq!(map.get("a.apps.test"), Some(&"exact"));
        assert_eq!(map.get("b.apps.test"), Some(&"wildcard"));
        assert_eq!(map.get("apps.test"), None);
        assert_eq!(map.get("x.b.apps.test"), None);
        assert_eq!(map.get(".apps.test"), None);
        assert_eq!(map.get_pattern(&pattern("*.apps.test")), Some(&"wildcard"));
        assert_eq!(map.len(), 2);
        assert_eq!(map.remove(&pattern("a.apps.test")), Some("exact"));
        assert_eq!(map.get("a.apps.test"), Some(&"wildcard"));
    }
}
