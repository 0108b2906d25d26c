//! The causal buffer: remote deltas that arrived before the deltas they
//! depend on, held until those arrive.

use alloc::vec::Vec;

use super::delta::Delta;
use crate::vv::VersionVector;

/// Deltas waiting for their causal dependencies.
#[derive(Clone, Debug, Default)]
pub(crate) struct CausalBuffer {
    waiting: Vec<Delta>,
}

/// What [`CausalBuffer::hold`] did.
pub(crate) enum Held {
    /// The delta was added.
    Added,
    /// The same delta was already waiting.
    Duplicate,
    /// The buffer is full (it holds this many deltas).
    Full(usize),
}

impl CausalBuffer {
    /// Keeps `delta` until its dependencies are present.
    pub(crate) fn hold(&mut self, delta: Delta, max: usize) -> Held {
        if self
            .waiting
            .iter()
            .any(|p| p.deps == delta.deps && p.body.ctx == delta.body.ctx)
        {
            return Held::Duplicate;
        }
        if self.waiting.len() >= max {
            return Held::Full(self.waiting.len());
        }
        self.waiting.push(delta);
        Held::Added
    }

    /// Takes a delta whose dependencies `version` has, if any.
    pub(crate) fn take_ready(&mut self, version: &VersionVector) -> Option<Delta> {
        let i = self
            .waiting
            .iter()
            .position(|d| version.dominates(&d.deps))?;
        Some(self.waiting.swap_remove(i))
    }

    /// How many deltas wait.
    pub(crate) fn len(&self) -> usize {
        self.waiting.len()
    }

    /// Whether no delta waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// The join of what the waiting deltas depend on.
    pub(crate) fn missing(&self) -> VersionVector {
        let mut vv = VersionVector::new();
        for d in &self.waiting {
            vv.join(&d.deps);
        }
        vv
    }
}
