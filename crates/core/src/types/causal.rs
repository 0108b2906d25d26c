use crate::context::CausalContext;
use crate::id::{Dot, ReplicaId};
use crate::store::{DotStore, JoinMode};
use crate::types::Lattice;

/// A causal CRDT: a dot store together with the causal context of what it
/// has seen. The standalone causal types are thin wrappers around it.
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct Causal<S> {
    pub(crate) store: S,
    pub(crate) ctx: CausalContext,
}

impl<S: DotStore> Causal<S> {
    /// Builds a causal state from its parts. Panics if a live dot is not in
    /// the context (an internal invariant, not an input check).
    pub fn from_parts(store: S, ctx: CausalContext) -> Self {
        store.check_invariants(&ctx);
        Causal { store, ctx }
    }

    /// The dot store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The causal context.
    pub fn context(&self) -> &CausalContext {
        &self.ctx
    }

    /// The next dot `replica` would use. Only `replica` itself may use it.
    pub fn next_dot(&self, replica: ReplicaId) -> Dot {
        Dot::new(replica, self.ctx.max_counter(replica) + 1)
    }

    /// Joins a whole state, taking it by value (no clone).
    pub fn join_owned(&mut self, other: Self) {
        self.store
            .join(&self.ctx, other.store, &other.ctx, JoinMode::STATE);
        self.ctx.join(&other.ctx);
    }

    /// Joins a delta made by a mutator (or a join of such deltas) in time
    /// proportional to the delta, not to the state.
    pub fn join_delta(&mut self, delta: Self) {
        self.store
            .join(&self.ctx, delta.store, &delta.ctx, JoinMode::DELTA);
        self.ctx.join(&delta.ctx);
    }

    /// Applies a delta `(store, ctx)` built by a kernel and returns it as a
    /// state of this type.
    pub(crate) fn apply_kernel(&mut self, store: S, ctx: CausalContext) -> Self {
        let delta = Causal { store, ctx };
        self.join_delta(delta.clone());
        delta
    }
}

impl<S: DotStore> Lattice for Causal<S> {
    fn join(&mut self, other: &Self) {
        self.join_owned(other.clone());
    }

    fn check_invariants(&self) {
        self.store.check_invariants(&self.ctx);
    }
}
