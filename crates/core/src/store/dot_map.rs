use core::cmp::Ordering;
use core::fmt;

use super::{DotStore, JoinMode};
use crate::context::CausalContext;
use crate::id::Dot;
use crate::sorted_map::{self, Builder, SortedMap};

/// A map from keys to nested dot stores (sets of elements, maps of values).
///
/// In a delta, `scan` marks a map whose *whole* previous content is being
/// replaced or removed: joining it visits every key of the receiving map.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DotMap<K, S> {
    entries: SortedMap<K, S>,
    scan: bool,
}

impl<K, S> Default for DotMap<K, S> {
    fn default() -> Self {
        DotMap {
            entries: SortedMap::new(),
            scan: false,
        }
    }
}

impl<K, S> DotMap<K, S> {
    /// An empty map (usable in constants).
    pub const fn new() -> Self {
        DotMap {
            entries: SortedMap::new(),
            scan: false,
        }
    }
}

impl<K: Ord, S> DotMap<K, S> {
    /// The keys in `lo ..= hi`.
    pub(crate) fn keys_in(&self, lo: &K, hi: &K) -> impl Iterator<Item = &K> + '_
    where
        K: Clone,
    {
        let hi = hi.clone();
        self.entries
            .iter_from(lo)
            .map(|(k, _)| k)
            .take_while(move |k| **k <= hi)
    }

    /// Removes the entry under `key`.
    pub(crate) fn remove(&mut self, key: &K) -> Option<S> {
        self.entries.remove(key)
    }

    /// Keeps the entries for which `keep` holds.
    pub(crate) fn retain(&mut self, keep: impl FnMut(&K, &mut S) -> bool) {
        self.entries.retain(keep);
    }

    /// The store under `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<&S>
    where
        K: core::borrow::Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entries.get(key)
    }

    /// The store under `key`, mutably (the caller keeps the store's dots
    /// consistent with the context).
    pub(crate) fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut S>
    where
        K: core::borrow::Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entries.get_mut(key)
    }

    /// The entries, sorted by key, stores mutably (the caller keeps the
    /// stores' dots consistent with the context).
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut S)> + '_ {
        self.entries.iter_mut()
    }

    /// The entries, sorted by key.
    pub fn iter(&self) -> sorted_map::Iter<'_, K, S> {
        self.entries.iter()
    }

    /// Number of keys (markers included, in a delta).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no key is present.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether this map is a scan marker (deltas only).
    pub fn is_scan(&self) -> bool {
        self.scan
    }

    pub(crate) fn set_scan(&mut self, scan: bool) {
        self.scan = scan;
    }

    /// Inserts a nested store, replacing any previous one (used to build
    /// deltas and by decoders).
    pub fn insert(&mut self, key: K, store: S) {
        self.entries.insert(key, store);
    }
}

impl<K: Ord + Clone + fmt::Debug, S: DotStore> DotMap<K, S> {
    /// The join of the delta-state framework, with each pair of entries
    /// joined by `join_entry(key, mine, theirs, mode)` (an entry missing on
    /// one side is the empty store). [`DotStore::join`] passes the entries'
    /// own join; the document passes one that also records what changed.
    /// The map decides which entries stay.
    pub(crate) fn join_with(
        &mut self,
        other: Self,
        mode: JoinMode,
        mut join_entry: impl FnMut(&K, &mut S, S, JoinMode),
    ) {
        let full = mode.full || other.scan;
        if mode.delta_target {
            self.scan |= other.scan;
        }
        let mode = JoinMode { full, ..mode };
        if full {
            return self.join_full(other, mode, join_entry);
        }
        for (key, o) in other.entries {
            match self.entries.get_mut(&key) {
                Some(s) => {
                    join_entry(&key, s, o, mode);
                    if !keep(self.scan, s, mode) {
                        self.entries.remove(&key);
                    }
                }
                None => {
                    let mut s = S::default();
                    join_entry(&key, &mut s, o, mode);
                    if keep(self.scan, &s, mode) {
                        self.entries.insert(key, s);
                    }
                }
            }
        }
    }

    fn join_full(
        &mut self,
        other: Self,
        mode: JoinMode,
        mut join_entry: impl FnMut(&K, &mut S, S, JoinMode),
    ) {
        // A sorted merge of both maps into a new one: O(n + m), a pass over
        // contiguous chunks on both sides and on the output.
        let mine = core::mem::take(&mut self.entries);
        let mut out = Builder::new(mine.len() + other.entries.len());
        let mut a = mine.into_iter();
        let mut b = other.entries.into_iter();
        loop {
            let order = match (a.peek_key(), b.peek_key()) {
                (None, None) => break,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(ka), Some(kb)) => ka.cmp(kb),
            };
            let (key, store) = match order {
                Ordering::Less => {
                    let Some((k, mut s)) = a.next() else { break };
                    join_entry(&k, &mut s, S::default(), mode);
                    (k, s)
                }
                Ordering::Greater => {
                    let Some((k, o)) = b.next() else { break };
                    let mut s = S::default();
                    join_entry(&k, &mut s, o, mode);
                    (k, s)
                }
                Ordering::Equal => {
                    let (Some((k, mut s)), Some((_, o))) = (a.next(), b.next()) else {
                        break;
                    };
                    join_entry(&k, &mut s, o, mode);
                    (k, s)
                }
            };
            if keep(self.scan, &store, mode) {
                out.push(key, store);
            }
        }
        self.entries = out.finish();
    }
}

/// Whether a joined entry stays: a state drops empty entries; a delta keeps
/// them as markers unless the whole map is scanned anyway.
fn keep<S: DotStore>(map_scan: bool, store: &S, mode: JoinMode) -> bool {
    !store.is_bottom() || (mode.delta_target && !map_scan)
}

impl<K: fmt::Debug, S: fmt::Debug> fmt::Debug for DotMap<K, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scan {
            f.write_str("scan ")?;
        }
        f.debug_map().entries(self.entries.iter()).finish()
    }
}

impl<K: Ord + Clone + fmt::Debug, S: DotStore> DotStore for DotMap<K, S> {
    fn is_bottom(&self) -> bool {
        self.entries.is_empty() && !self.scan
    }

    fn for_each_dot(&self, f: &mut dyn FnMut(Dot)) {
        for s in self.entries.values() {
            s.for_each_dot(f);
        }
    }

    fn join(
        &mut self,
        ctx: &CausalContext,
        other: Self,
        other_ctx: &CausalContext,
        mode: JoinMode,
    ) {
        self.join_with(other, mode, |_, s, o, m| s.join(ctx, o, other_ctx, m));
    }

    fn removal_marker() -> Self {
        DotMap {
            entries: SortedMap::new(),
            scan: true,
        }
    }

    fn check_invariants(&self, ctx: &CausalContext) {
        for s in self.entries.values() {
            s.check_invariants(ctx);
        }
    }
}

impl<K: Ord + Clone + fmt::Debug, S: DotStore> DotMap<K, S> {
    /// Checks that a *state* (not a delta) keeps no empty entry or marker.
    pub fn check_state(&self, ctx: &CausalContext) {
        assert!(!self.scan, "scan marker in a state");
        for s in self.entries.values() {
            assert!(!s.is_bottom(), "empty entry kept in a state");
        }
        self.check_invariants(ctx);
    }
}
