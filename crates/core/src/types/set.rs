use core::fmt;

use crate::context::CausalContext;
use crate::id::{Dot, ReplicaId};
use crate::store::{dots_of, DotMap, DotSet, DotStore, JoinMode};
use crate::types::{Causal, Lattice};

/// Kernel: the delta that adds `elem` with `dot` to an add-wins set.
pub(crate) fn aw_insert<T: Ord + Clone + fmt::Debug>(
    store: &DotMap<T, DotSet>,
    dot: Dot,
    elem: T,
) -> (DotMap<T, DotSet>, CausalContext) {
    let mut ctx = store.get(&elem).map(dots_of).unwrap_or_default();
    ctx.insert(dot);
    let mut delta = DotMap::default();
    delta.insert(elem, DotSet::single(dot));
    (delta, ctx)
}

/// Kernel: the delta that removes every observed add of `elem`.
pub(crate) fn aw_remove<T: Ord + Clone + fmt::Debug>(
    store: &DotMap<T, DotSet>,
    dot: Dot,
    elem: T,
) -> (DotMap<T, DotSet>, CausalContext) {
    let mut ctx = store.get(&elem).map(dots_of).unwrap_or_default();
    ctx.insert(dot);
    let mut delta = DotMap::default();
    delta.insert(elem, DotSet::default());
    (delta, ctx)
}

/// An add-wins observed-remove set without tombstones (an "ORSWOT"): a
/// remove only cancels the adds it has seen, so an add concurrent with a
/// remove wins. Removed elements leave nothing behind but the causal
/// context, which stays a version vector.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AwSet<T> {
    pub(crate) inner: Causal<DotMap<T, DotSet>>,
}

impl<T> Default for AwSet<T> {
    fn default() -> Self {
        AwSet {
            inner: Causal {
                store: DotMap::default(),
                ctx: CausalContext::new(),
            },
        }
    }
}

impl<T: Ord + Clone + fmt::Debug> AwSet<T> {
    /// An empty set.
    pub fn new() -> Self {
        AwSet::default()
    }

    /// Adds `elem` on behalf of `replica`; returns the delta.
    pub fn insert(&mut self, replica: ReplicaId, elem: T) -> AwSet<T> {
        let dot = self.inner.next_dot(replica);
        let (store, ctx) = aw_insert(&self.inner.store, dot, elem);
        AwSet {
            inner: self.inner.apply_kernel(store, ctx),
        }
    }

    /// Removes `elem` (the adds this replica has seen); returns the delta.
    pub fn remove(&mut self, replica: ReplicaId, elem: T) -> AwSet<T> {
        let dot = self.inner.next_dot(replica);
        let (store, ctx) = aw_remove(&self.inner.store, dot, elem);
        AwSet {
            inner: self.inner.apply_kernel(store, ctx),
        }
    }

    /// Whether `elem` is in the set.
    pub fn contains(&self, elem: &T) -> bool {
        self.inner.store.get(elem).is_some()
    }

    /// The elements, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.inner.store.iter().map(|(k, _)| k)
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.inner.store.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.inner.store.is_empty()
    }

    /// Joins another set, taking it by value (no clone).
    pub fn join_owned(&mut self, other: AwSet<T>) {
        self.inner.join_owned(other.inner);
    }

    /// Joins a delta made by a mutator in time proportional to the delta.
    pub fn join_delta(&mut self, delta: AwSet<T>) {
        self.inner.join_delta(delta.inner);
    }

    /// The causal state.
    pub fn as_causal(&self) -> &Causal<DotMap<T, DotSet>> {
        &self.inner
    }

    /// Wraps a causal state.
    pub fn from_causal(inner: Causal<DotMap<T, DotSet>>) -> Self {
        AwSet { inner }
    }
}

impl<T: Ord + Clone + fmt::Debug> Lattice for AwSet<T> {
    fn join(&mut self, other: &Self) {
        self.inner.join(&other.inner);
    }

    fn check_invariants(&self) {
        self.inner.store.check_state(&self.inner.ctx);
    }
}

/// The state of one element of a remove-wins set: the adds and removes not
/// yet superseded.
#[derive(Clone, Default, PartialEq, Eq, Hash, Debug)]
pub struct RwEntry {
    /// Live add dots.
    pub adds: DotSet,
    /// Live remove dots. While one is left, the element is absent.
    pub removes: DotSet,
}

impl RwEntry {
    /// Whether the element is present: added, and no remove is live.
    pub fn is_present(&self) -> bool {
        !self.adds.is_empty() && self.removes.is_empty()
    }
}

impl DotStore for RwEntry {
    fn is_bottom(&self) -> bool {
        self.adds.is_empty() && self.removes.is_empty()
    }

    fn for_each_dot(&self, f: &mut dyn FnMut(Dot)) {
        self.adds.for_each_dot(f);
        self.removes.for_each_dot(f);
    }

    fn join(
        &mut self,
        ctx: &CausalContext,
        other: Self,
        other_ctx: &CausalContext,
        mode: JoinMode,
    ) {
        self.adds.join(ctx, other.adds, other_ctx, mode);
        self.removes.join(ctx, other.removes, other_ctx, mode);
    }

    fn check_invariants(&self, ctx: &CausalContext) {
        self.adds.check_invariants(ctx);
        self.removes.check_invariants(ctx);
    }
}

/// Kernel: the delta that adds `elem` (superseding observed adds and removes).
pub(crate) fn rw_insert<T: Ord + Clone + fmt::Debug>(
    store: &DotMap<T, RwEntry>,
    dot: Dot,
    elem: T,
) -> (DotMap<T, RwEntry>, CausalContext) {
    rw_write(store, dot, elem, true)
}

/// Kernel: the delta that removes `elem`; it wins over concurrent adds.
pub(crate) fn rw_remove<T: Ord + Clone + fmt::Debug>(
    store: &DotMap<T, RwEntry>,
    dot: Dot,
    elem: T,
) -> (DotMap<T, RwEntry>, CausalContext) {
    rw_write(store, dot, elem, false)
}

fn rw_write<T: Ord + Clone + fmt::Debug>(
    store: &DotMap<T, RwEntry>,
    dot: Dot,
    elem: T,
    add: bool,
) -> (DotMap<T, RwEntry>, CausalContext) {
    let mut ctx = store.get(&elem).map(dots_of).unwrap_or_default();
    ctx.insert(dot);
    let mut entry = RwEntry::default();
    if add {
        entry.adds.insert(dot);
    } else {
        entry.removes.insert(dot);
    }
    let mut delta = DotMap::default();
    delta.insert(elem, entry);
    (delta, ctx)
}

/// A remove-wins set: when an add and a remove of the same element are
/// concurrent, the element ends up absent. A removed element keeps its
/// latest remove dot (a small tombstone) so that it can win over adds that
/// arrive later but were concurrent with it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RwSet<T> {
    pub(crate) inner: Causal<DotMap<T, RwEntry>>,
}

impl<T> Default for RwSet<T> {
    fn default() -> Self {
        RwSet {
            inner: Causal {
                store: DotMap::default(),
                ctx: CausalContext::new(),
            },
        }
    }
}

impl<T: Ord + Clone + fmt::Debug> RwSet<T> {
    /// An empty set.
    pub fn new() -> Self {
        RwSet::default()
    }

    /// Adds `elem` on behalf of `replica`; returns the delta.
    pub fn insert(&mut self, replica: ReplicaId, elem: T) -> RwSet<T> {
        let dot = self.inner.next_dot(replica);
        let (store, ctx) = rw_insert(&self.inner.store, dot, elem);
        RwSet {
            inner: self.inner.apply_kernel(store, ctx),
        }
    }

    /// Removes `elem` on behalf of `replica`; returns the delta.
    pub fn remove(&mut self, replica: ReplicaId, elem: T) -> RwSet<T> {
        let dot = self.inner.next_dot(replica);
        let (store, ctx) = rw_remove(&self.inner.store, dot, elem);
        RwSet {
            inner: self.inner.apply_kernel(store, ctx),
        }
    }

    /// Whether `elem` is in the set.
    pub fn contains(&self, elem: &T) -> bool {
        self.inner.store.get(elem).is_some_and(RwEntry::is_present)
    }

    /// The present elements, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.inner
            .store
            .iter()
            .filter(|(_, e)| e.is_present())
            .map(|(k, _)| k)
    }

    /// Number of present elements.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether no element is present.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The causal state.
    pub fn as_causal(&self) -> &Causal<DotMap<T, RwEntry>> {
        &self.inner
    }

    /// Wraps a causal state.
    pub fn from_causal(inner: Causal<DotMap<T, RwEntry>>) -> Self {
        RwSet { inner }
    }
}

impl<T: Ord + Clone + fmt::Debug> Lattice for RwSet<T> {
    fn join(&mut self, other: &Self) {
        self.inner.join(&other.inner);
    }

    fn check_invariants(&self) {
        self.inner.store.check_state(&self.inner.ctx);
    }
}
