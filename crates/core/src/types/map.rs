use core::fmt;

use crate::context::CausalContext;
use crate::id::{Dot, ReplicaId};
use crate::store::{dots_of, DotMap, DotStore};
use crate::types::{Causal, Lattice};

/// An observed-remove map from keys to nested causal stores (registers,
/// sets, counters, maps), all sharing the map's causal context.
///
/// Removing a key removes what the remover had seen under it; an update
/// concurrent with the remove survives (update-wins), and so do its effects
/// only, not the removed ones.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct OrMap<K, S> {
    pub(crate) inner: Causal<DotMap<K, S>>,
}

impl<K, S> Default for OrMap<K, S> {
    fn default() -> Self {
        OrMap {
            inner: Causal {
                store: DotMap::default(),
                ctx: CausalContext::new(),
            },
        }
    }
}

impl<K: Ord + Clone + fmt::Debug, S: DotStore> OrMap<K, S> {
    /// An empty map.
    pub fn new() -> Self {
        OrMap::default()
    }

    /// Updates the value under `key` with a mutation kernel: `kernel` gets
    /// the current nested store (empty if absent) and a fresh dot, and
    /// returns the nested delta. Returns the map delta.
    pub fn update(
        &mut self,
        replica: ReplicaId,
        key: K,
        kernel: impl FnOnce(&S, Dot) -> (S, CausalContext),
    ) -> OrMap<K, S> {
        let dot = self.inner.next_dot(replica);
        let empty = S::default();
        let current = self.inner.store.get(&key).unwrap_or(&empty);
        let (nested, ctx) = kernel(current, dot);
        let mut store = DotMap::default();
        store.insert(key, nested);
        OrMap {
            inner: self.inner.apply_kernel(store, ctx),
        }
    }

    /// Writes `value` into the multi-value register under `key`.
    pub fn write_register<T>(&mut self, replica: ReplicaId, key: K, value: T) -> OrMap<K, S>
    where
        S: AsMvStore<T>,
        T: Clone + PartialEq + fmt::Debug,
    {
        self.update(replica, key, |s, dot| {
            let (d, c) = crate::types::register::mv_write(s.as_mv(), dot, value);
            (S::from_mv(d), c)
        })
    }

    /// Removes `key` (what this replica has seen under it); returns the delta.
    pub fn remove(&mut self, replica: ReplicaId, key: K) -> OrMap<K, S> {
        let dot = self.inner.next_dot(replica);
        let mut ctx = self.inner.store.get(&key).map(dots_of).unwrap_or_default();
        ctx.insert(dot);
        let mut store = DotMap::default();
        store.insert(key, S::removal_marker());
        OrMap {
            inner: self.inner.apply_kernel(store, ctx),
        }
    }

    /// The nested store under `key`.
    pub fn get(&self, key: &K) -> Option<&S> {
        self.inner.store.get(key)
    }

    /// The entries, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &S)> + '_ {
        self.inner.store.iter()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.inner.store.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.inner.store.is_empty()
    }

    /// Joins another map, taking it by value (no clone).
    pub fn join_owned(&mut self, other: OrMap<K, S>) {
        self.inner.join_owned(other.inner);
    }

    /// Joins a delta made by a mutator in time proportional to the delta.
    pub fn join_delta(&mut self, delta: OrMap<K, S>) {
        self.inner.join_delta(delta.inner);
    }

    /// The causal state.
    pub fn as_causal(&self) -> &Causal<DotMap<K, S>> {
        &self.inner
    }

    /// Wraps a causal state.
    pub fn from_causal(inner: Causal<DotMap<K, S>>) -> Self {
        OrMap { inner }
    }
}

/// Nested stores that are multi-value registers (for [`OrMap::write_register`]).
pub trait AsMvStore<T> {
    /// The register store.
    fn as_mv(&self) -> &crate::store::DotFun<T>;
    /// Wraps a register store.
    fn from_mv(store: crate::store::DotFun<T>) -> Self;
}

impl<T> AsMvStore<T> for crate::store::DotFun<T> {
    fn as_mv(&self) -> &crate::store::DotFun<T> {
        self
    }
    fn from_mv(store: crate::store::DotFun<T>) -> Self {
        store
    }
}

impl<K: Ord + Clone + fmt::Debug, S: DotStore> Lattice for OrMap<K, S> {
    fn join(&mut self, other: &Self) {
        self.inner.join(&other.inner);
    }

    fn check_invariants(&self) {
        self.inner.store.check_state(&self.inner.ctx);
    }
}
