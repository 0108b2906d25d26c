//! The standalone CRDT types and the mutation kernels the `Doc` reuses.
//!
//! Every mutator returns a *delta*: a small state of the same type that,
//! joined into any replica, has the mutation's effect. Deltas join like
//! full states, so a batch of deltas is itself a delta.

pub(crate) mod causal;
pub(crate) mod counter;
pub(crate) mod map;
pub(crate) mod register;
pub(crate) mod set;
pub(crate) mod text;

pub use causal::Causal;
pub use counter::{GCounter, PnCounter};
pub use map::OrMap;
pub use register::{LwwRegister, MvRegister};
pub use set::{AwSet, RwEntry, RwSet};
pub use text::Text;

/// A join-semilattice: `join` is commutative, associative and idempotent.
pub trait Lattice: Clone {
    /// Merges `other` into `self` (the least upper bound of both).
    fn join(&mut self, other: &Self);

    /// Checks internal invariants; panics when one is violated.
    fn check_invariants(&self) {}
}
