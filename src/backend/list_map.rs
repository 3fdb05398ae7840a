//! A map kept as a sorted list, for every map of the backend's state (the accounts, the
//! tokens, an account's devices, the recent password failures). Each B-tree map type costs
//! the wasm module its own copy of the B-tree code (about 10 KB); a sorted list needs a
//! fraction of that. Lookups are binary searches and an insert moves the entries after
//! it, which for the 10 000-account benchmark (`benches/native.rs`) measured faster PIN
//! logins than B-trees did. It reads and writes as a JSON object, as a `BTreeMap` does.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::borrow::Borrow;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Entries sorted by key, each key once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ListMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for ListMap<K, V> {
    fn default() -> Self {
        ListMap(Vec::new())
    }
}

impl<K: Ord, V> ListMap<K, V> {
    /// Where `key` is, or where it would go.
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.0.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The value under `key`.
    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        let at = self.find(key).ok()?;
        self.0.get(at).map(|(_, v)| v)
    }

    /// The value under `key`, to change it.
    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        let at = self.find(key).ok()?;
        self.0.get_mut(at).map(|(_, v)| v)
    }

    /// The value under `key`, inserted as `V::default()` if there was none.
    pub fn get_or_default(&mut self, key: K) -> Option<&mut V>
    where
        V: Default,
    {
        let at = match self.find(&key) {
            Ok(at) => at,
            Err(at) => {
                self.0.insert(at, (key, V::default()));
                at
            }
        };
        self.0.get_mut(at).map(|(_, v)| v)
    }

    /// Sets `key` to `value`.
    pub fn insert(&mut self, key: K, value: V) {
        match self.find(&key) {
            Ok(at) => {
                if let Some(slot) = self.0.get_mut(at) {
                    slot.1 = value;
                }
            }
            Err(at) => self.0.insert(at, (key, value)),
        }
    }

    /// Removes `key`, returning its value if it was there.
    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let at = self.find(key).ok()?;
        Some(self.0.remove(at).1)
    }

    /// Keeps the entries `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.0.retain_mut(|(k, v)| keep(k, v));
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<K: Ord, V> Extend<(K, V)> for ListMap<K, V> {
    /// Inserts each entry; a repeated key keeps its last value, as with a `BTreeMap`.
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, entries: I) {
        for (k, v) in entries {
            self.insert(k, v);
        }
    }
}

impl<'a, K, V> IntoIterator for &'a ListMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter =
        core::iter::Map<core::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

/// serde's encoding (a map), which the tests hold the hand-written snapshot JSON to.
impl<K: Serialize, V: Serialize> Serialize for ListMap<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl<'de, K: Ord + Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for ListMap<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(ListMap(
            BTreeMap::deserialize(deserializer)?.into_iter().collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_stay_sorted_and_unique() {
        let mut map = ListMap::default();
        map.extend([(3, "c"), (1, "a"), (2, "b"), (1, "A")]);
        assert_eq!(
            map.iter().collect::<Vec<_>>(),
            [(&1, &"A"), (&2, &"b"), (&3, &"c")]
        );
        assert_eq!(map.remove(&2), Some("b"));
        assert_eq!(map.remove(&9), None);
        map.insert(0, "z");
        assert_eq!(map.get(&0), Some(&"z"));
        assert_eq!(map.get(&2), None);
        if let Some(value) = map.get_mut(&3) {
            *value = "C";
        }
        map.retain(|k, _| *k != 1);
        assert_eq!(map.iter().collect::<Vec<_>>(), [(&0, &"z"), (&3, &"C")]);
    }

    #[test]
    fn get_or_default_inserts_once() {
        let mut map: ListMap<&str, u32> = ListMap::default();
        for _ in 0..3 {
            if let Some(count) = map.get_or_default("a") {
                *count += 1;
            }
        }
        assert_eq!(map.iter().collect::<Vec<_>>(), [(&"a", &3)]);
    }
}
