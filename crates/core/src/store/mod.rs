//! Dot stores: the building blocks every causal CRDT here is made of
//! (Almeida, Shoker and Baquero, *Delta state replicated data types*, §5).
//!
//! A causal CRDT is a pair (store, causal context). A dot that is in the
//! context but not in the store was seen and removed; a dot in the store is
//! live. Joining two pairs keeps a dot when both stores have it, or when one
//! store has it and the other context has never seen it.

mod dot_fun;
mod dot_map;
mod dot_set;

pub use dot_fun::DotFun;
pub use dot_map::DotMap;
pub use dot_set::DotSet;

use crate::context::CausalContext;
use crate::id::Dot;

/// How a join treats the keys of the two sides.
///
/// Deltas made by mutators are *key-complete*: every dot in a delta's
/// context that some replica still holds lives under a key the delta's store
/// names (removals leave an empty entry, a *marker*, for the key). Joining a
/// delta therefore only needs to visit the delta's keys, which keeps remote
/// edits O(size of the delta · log n) instead of O(n). A whole state is not
/// key-complete and is joined with `full` set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JoinMode {
    /// Visit every key of `self`, not only the keys of `other`.
    pub full: bool,
    /// `self` is a delta being accumulated: keep markers so the result stays
    /// key-complete.
    pub delta_target: bool,
}

impl JoinMode {
    /// Join a whole state into a state.
    pub const STATE: JoinMode = JoinMode {
        full: true,
        delta_target: false,
    };
    /// Join a key-complete delta into a state.
    pub const DELTA: JoinMode = JoinMode {
        full: false,
        delta_target: false,
    };
    /// Join a key-complete delta into another delta (a delta group).
    pub const GROUP: JoinMode = JoinMode {
        full: false,
        delta_target: true,
    };
}

/// A store of dots with the join of the delta-state framework.
pub trait DotStore: Clone + Default + PartialEq + core::fmt::Debug {
    /// Whether the store holds no dot and no marker.
    fn is_bottom(&self) -> bool;

    /// Calls `f` with every live dot.
    fn for_each_dot(&self, f: &mut dyn FnMut(Dot));

    /// Joins `other` (with context `other_ctx`) into `self` (with context
    /// `ctx`). The contexts themselves are joined by the caller afterwards.
    fn join(&mut self, ctx: &CausalContext, other: Self, other_ctx: &CausalContext, mode: JoinMode);

    /// A removal marker: the store a delta carries for a removed key.
    fn removal_marker() -> Self {
        Self::default()
    }

    /// Checks structural invariants: every live dot is in `ctx`, entries
    /// are sorted and no empty entry is kept in a state. Panics on violation.
    fn check_invariants(&self, ctx: &CausalContext);
}

/// Collects every live dot of a store into a context.
pub(crate) fn dots_of<S: DotStore>(store: &S) -> CausalContext {
    let mut ctx = CausalContext::new();
    store.for_each_dot(&mut |d| ctx.insert(d));
    ctx
}
