use alloc::vec::Vec;
use core::fmt;

use crate::context::CausalContext;
use crate::id::{Dot, ReplicaId};
use crate::store::{dots_of, DotFun, DotStore};
use crate::types::{Causal, Lattice};

/// A last-writer-wins register. The timestamp is given by the caller (a
/// hybrid or wall clock, a Lamport time: the core never reads a clock).
/// The greatest `(timestamp, replica)` wins; an exact tie of both (the same
/// replica reusing a timestamp) is broken by the greater value, so that join
/// stays commutative.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct LwwRegister<T> {
    pub(crate) entry: Option<(u64, ReplicaId, T)>,
}

impl<T> Default for LwwRegister<T> {
    fn default() -> Self {
        LwwRegister { entry: None }
    }
}

impl<T: Ord + Clone> LwwRegister<T> {
    /// An empty register.
    pub fn new() -> Self {
        LwwRegister::default()
    }

    /// Writes `value` at `timestamp` on behalf of `replica`; returns the
    /// delta. A write that loses to the current value changes nothing.
    pub fn set(&mut self, replica: ReplicaId, timestamp: u64, value: T) -> LwwRegister<T> {
        let delta = LwwRegister {
            entry: Some((timestamp, replica, value)),
        };
        self.join(&delta);
        delta
    }

    /// The current value.
    pub fn get(&self) -> Option<&T> {
        self.entry.as_ref().map(|e| &e.2)
    }

    /// The winning write: timestamp, replica and value.
    pub fn entry(&self) -> Option<(u64, ReplicaId, &T)> {
        self.entry.as_ref().map(|(t, r, v)| (*t, *r, v))
    }
}

impl<T: Ord + Clone> Lattice for LwwRegister<T> {
    fn join(&mut self, other: &Self) {
        if let Some(theirs) = &other.entry {
            let wins = match &self.entry {
                None => true,
                Some(mine) => (theirs.0, theirs.1, &theirs.2) > (mine.0, mine.1, &mine.2),
            };
            if wins {
                self.entry = Some(theirs.clone());
            }
        }
    }
}

/// A multi-value register: a write replaces every value it has seen, and
/// concurrent writes are all kept until a later write replaces them.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct MvRegister<T> {
    pub(crate) inner: Causal<DotFun<T>>,
}

impl<T> Default for MvRegister<T> {
    fn default() -> Self {
        MvRegister {
            inner: Causal {
                store: DotFun::default(),
                ctx: CausalContext::new(),
            },
        }
    }
}

impl<T: Clone + PartialEq + fmt::Debug> MvRegister<T> {
    /// An empty register.
    pub fn new() -> Self {
        MvRegister::default()
    }

    /// Writes `value` on behalf of `replica`; returns the delta.
    pub fn set(&mut self, replica: ReplicaId, value: T) -> MvRegister<T> {
        let dot = self.inner.next_dot(replica);
        let (store, ctx) = mv_write(&self.inner.store, dot, value);
        MvRegister {
            inner: self.inner.apply_kernel(store, ctx),
        }
    }

    /// The current values: one unless writes were concurrent; sorted by the
    /// dot that wrote them.
    pub fn values(&self) -> Vec<&T> {
        self.inner.store.iter().map(|(_, v)| v).collect()
    }

    /// The causal state.
    pub fn as_causal(&self) -> &Causal<DotFun<T>> {
        &self.inner
    }

    /// Wraps a causal state.
    pub fn from_causal(inner: Causal<DotFun<T>>) -> Self {
        MvRegister { inner }
    }
}

impl<T: Clone + PartialEq + fmt::Debug> Lattice for MvRegister<T> {
    fn join(&mut self, other: &Self) {
        self.inner.join(&other.inner);
    }

    fn check_invariants(&self) {
        self.inner.check_invariants();
    }
}

/// Kernel: the delta that writes `value` with `dot`, replacing every value
/// the writer has seen.
pub(crate) fn mv_write<T: Clone + PartialEq + fmt::Debug>(
    store: &DotFun<T>,
    dot: Dot,
    value: T,
) -> (DotFun<T>, CausalContext) {
    let mut ctx = dots_of(store);
    ctx.insert(dot);
    (DotFun::single(dot, value), ctx)
}

/// Kernel: the delta that clears a register (or any store) the writer has
/// seen, using `dot` for the removal itself.
pub(crate) fn clear<S: DotStore>(store: &S, dot: Dot) -> (S, CausalContext) {
    let mut ctx = dots_of(store);
    ctx.insert(dot);
    (S::removal_marker(), ctx)
}
