//! The prefix cache's store: an LRU bounded both by entries and by accounted bytes. Each entry
//! is put with its size (the caller counts key, value and the heap it owns); least recently
//! used entries go first until both bounds hold again.

use std::num::NonZeroUsize;
use std::sync::Arc;

use lru::LruCache;

/// Fill and bounds of the prefix cache, read at scrape time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheUsage {
    pub entries: usize,
    pub bytes: usize,
    pub max_entries: usize,
    pub max_bytes: usize,
    /// Entries dropped to stay within a bound (or never stored: larger than `max_bytes`).
    pub evictions: u64,
}

pub(crate) struct BoundedLru<V> {
    lru: LruCache<u128, (Arc<V>, usize)>,
    usage: CacheUsage,
}

impl<V> BoundedLru<V> {
    pub(crate) fn new(max_entries: usize, max_bytes: usize) -> Self {
        let cap = NonZeroUsize::new(max_entries.max(1)).expect("non-zero");
        BoundedLru {
            lru: LruCache::new(cap),
            usage: CacheUsage {
                max_entries: cap.get(),
                max_bytes,
                ..CacheUsage::default()
            },
        }
    }

    /// The entry, now the most recently used.
    pub(crate) fn get(&mut self, key: &u128) -> Option<Arc<V>> {
        self.lru.get(key).map(|(v, _)| v.clone())
    }

    /// Stores `value` (accounted as `bytes`), then evicts from the old end until both bounds
    /// hold. A value larger than the whole budget is not stored.
    pub(crate) fn put(&mut self, key: u128, value: Arc<V>, bytes: usize) {
        if bytes > self.usage.max_bytes {
            self.usage.evictions += 1;
            return;
        }
        if let Some((old_key, (_, old_bytes))) = self.lru.push(key, (value, bytes)) {
            self.usage.bytes -= old_bytes;
            // `push` hands back the replaced value of the same key, or the evicted LRU entry
            if old_key != key {
                self.usage.evictions += 1;
            }
        }
        self.usage.bytes += bytes;
        while self.usage.bytes > self.usage.max_bytes {
            let Some((_, (_, b))) = self.lru.pop_lru() else {
                break;
            };
            self.usage.bytes -= b;
            self.usage.evictions += 1;
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.lru.len()
    }

    pub(crate) fn usage(&self) -> CacheUsage {
        CacheUsage {
            entries: self.lru.len(),
            ..self.usage
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_stay_within_budget_and_the_oldest_entries_go_first() {
        let mut c = BoundedLru::new(1_000, 1_000);
        for k in 0..30u128 {
            c.put(k, Arc::new(k), 100);
            assert!(c.usage().bytes <= 1_000, "after {k}: {:?}", c.usage());
        }
        let u = c.usage();
        assert_eq!((u.entries, u.bytes, u.evictions), (10, 1_000, 20));
        assert!(c.get(&19).is_none(), "entry 19 was among the oldest");
        for k in 20..30u128 {
            assert_eq!(c.get(&k).as_deref(), Some(&k), "entry {k} is recent");
        }
    }

    #[test]
    fn a_recent_read_protects_an_entry_from_eviction() {
        let mut c = BoundedLru::new(10, 300);
        for k in 0..3u128 {
            c.put(k, Arc::new(()), 100);
        }
        assert!(c.get(&0).is_some());
        c.put(3, Arc::new(()), 100);
        assert!(c.get(&0).is_some(), "read just before: kept");
        assert!(c.get(&1).is_none(), "least recently used: evicted");
    }

    #[test]
    fn the_entry_bound_still_holds_and_replacing_a_key_is_not_counted_twice() {
        let mut c = BoundedLru::new(2, 1 << 20);
        c.put(1, Arc::new(()), 10);
        c.put(1, Arc::new(()), 30);
        assert_eq!(c.usage().bytes, 30);
        c.put(2, Arc::new(()), 10);
        c.put(3, Arc::new(()), 10);
        let u = c.usage();
        assert_eq!((u.entries, u.bytes, u.evictions), (2, 20, 1));
    }

    #[test]
    fn a_value_larger_than_the_budget_is_not_stored() {
        let mut c = BoundedLru::new(10, 50);
        c.put(1, Arc::new(()), 20);
        c.put(2, Arc::new(()), 51);
        assert!(c.get(&2).is_none());
        assert!(c.get(&1).is_some(), "the resident entry is not pushed out");
        assert_eq!(c.usage().bytes, 20);
    }
}
