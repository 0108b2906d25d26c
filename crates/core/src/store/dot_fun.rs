use core::fmt;
use smallvec::SmallVec;

use super::{DotStore, JoinMode};
use crate::context::CausalContext;
use crate::id::Dot;

/// A map from dots to values: the values written concurrently (registers)
/// or one contribution per replica (counters).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DotFun<V> {
    entries: SmallVec<[(Dot, V); 1]>,
}

impl<V> Default for DotFun<V> {
    fn default() -> Self {
        DotFun {
            entries: SmallVec::new(),
        }
    }
}

impl<V> DotFun<V> {
    /// A store with one entry.
    pub fn single(dot: Dot, value: V) -> Self {
        let mut entries = SmallVec::new();
        entries.push((dot, value));
        DotFun { entries }
    }

    /// Builds a store from entries; a dot named twice keeps the first value.
    pub fn from_entries(items: impl IntoIterator<Item = (Dot, V)>) -> Self {
        let mut f = DotFun::default();
        for (d, v) in items {
            if let Err(i) = f.entries.binary_search_by_key(&d, |e| e.0) {
                f.entries.insert(i, (d, v));
            }
        }
        f
    }

    /// The entries, sorted by dot.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (Dot, &V)> + '_ {
        self.entries.iter().map(|(d, v)| (*d, v))
    }

    /// The value of `dot`, if live.
    pub fn get(&self, dot: Dot) -> Option<&V> {
        self.entries
            .binary_search_by_key(&dot, |e| e.0)
            .ok()
            .map(|i| &self.entries[i].1)
    }

    /// Number of live entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no live entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<V: fmt::Debug> fmt::Debug for DotFun<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(d, v)| (d, v)))
            .finish()
    }
}

impl<V: Clone + PartialEq + fmt::Debug> DotStore for DotFun<V> {
    fn is_bottom(&self) -> bool {
        self.entries.is_empty()
    }

    fn for_each_dot(&self, f: &mut dyn FnMut(Dot)) {
        self.entries.iter().for_each(|e| f(e.0));
    }

    fn join(&mut self, ctx: &CausalContext, other: Self, other_ctx: &CausalContext, _: JoinMode) {
        if self.entries.is_empty() {
            self.entries = other.entries;
            self.entries.retain(|(d, _)| !ctx.contains(*d));
            return;
        }
        if other.entries.is_empty() {
            self.entries.retain(|(d, _)| !other_ctx.contains(*d));
            return;
        }
        self.entries.retain(|(d, _)| {
            other.entries.binary_search_by_key(d, |e| e.0).is_ok() || !other_ctx.contains(*d)
        });
        for (d, v) in other.entries {
            if ctx.contains(d) {
                continue;
            }
            if let Err(i) = self.entries.binary_search_by_key(&d, |e| e.0) {
                self.entries.insert(i, (d, v));
            }
        }
    }

    fn check_invariants(&self, ctx: &CausalContext) {
        assert!(
            self.entries.windows(2).all(|w| w[0].0 < w[1].0),
            "DotFun unsorted"
        );
        for (d, _) in &self.entries {
            assert!(ctx.contains(*d), "live dot {d:?} missing from context");
        }
    }
}
