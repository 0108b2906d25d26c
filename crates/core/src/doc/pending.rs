//! The causal buffer: remote deltas that arrived before the deltas they
//! depend on, held until those arrive.
//!
//! Bounded in bytes and in count: when full, the oldest waiting delta is
//! dropped (and counted), because a replica missing the cause of a burst
//! gets everything again by asking for what it lacks; hoarding would let a
//! peer that withholds one delta fill the memory. Waiting deltas are
//! indexed by one dependency they still lack, so a delta arriving wakes
//! only the deltas waiting for it: delivery in reverse order costs the same
//! per delta as delivery in order.

use alloc::vec::Vec;

use super::delta::Delta;
use crate::id::{Dot, ReplicaId};
use crate::sorted_map::SortedMap;
use crate::vv::VersionVector;

/// What the causal buffer holds and has dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PendingStats {
    /// Deltas waiting.
    pub deltas: usize,
    /// Their encoded bytes.
    pub bytes: usize,
    /// Deltas dropped (oldest first) because the buffer was full, since
    /// the document was created.
    pub evicted: u64,
}

struct Waiting {
    delta: Delta,
    bytes: usize,
    /// The dependency it is indexed by: this replica's counter must reach
    /// this value.
    needs: Dot,
}

/// Deltas waiting for their causal dependencies.
#[derive(Default)]
pub(crate) struct CausalBuffer {
    /// By arrival order (the oldest is evicted first).
    waiting: SortedMap<u64, Waiting>,
    /// Arrival numbers by the dependency they are indexed by.
    by_need: SortedMap<(ReplicaId, u64), Vec<u64>>,
    bytes: usize,
    next: u64,
    evicted: u64,
}

impl Clone for CausalBuffer {
    fn clone(&self) -> Self {
        let mut copy = CausalBuffer {
            next: self.next,
            evicted: self.evicted,
            ..CausalBuffer::default()
        };
        for (&seq, w) in &self.waiting {
            copy.insert(
                seq,
                Waiting {
                    delta: w.delta.clone(),
                    bytes: w.bytes,
                    needs: w.needs,
                },
            );
        }
        copy
    }
}

impl core::fmt::Debug for CausalBuffer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CausalBuffer")
            .field("deltas", &self.waiting.len())
            .field("bytes", &self.bytes)
            .field("evicted", &self.evicted)
            .finish()
    }
}

/// What [`CausalBuffer::hold`] did.
pub(crate) enum Held {
    /// The delta was added (older ones may have been evicted to make room).
    Added,
    /// The same delta was already waiting.
    Duplicate,
}

/// A dependency of `deps` that `version` lacks: (replica, counter needed).
fn unmet(deps: &VersionVector, version: &VersionVector) -> Option<Dot> {
    deps.iter()
        .find(|&(r, c)| version.get(r) < c)
        .map(|(r, c)| Dot::new(r, c))
}

impl CausalBuffer {
    fn insert(&mut self, seq: u64, w: Waiting) {
        let key = (w.needs.replica, w.needs.counter);
        match self.by_need.get_mut(&key) {
            Some(seqs) => seqs.push(seq),
            None => {
                self.by_need.insert(key, alloc::vec![seq]);
            }
        }
        self.bytes += w.bytes;
        self.waiting.insert(seq, w);
    }

    /// Removes the delta that arrived as `seq` (not its index entry).
    fn take(&mut self, seq: u64) -> Option<Waiting> {
        let w = self.waiting.remove(&seq)?;
        self.bytes -= w.bytes;
        Some(w)
    }

    /// Keeps `delta` (whose encoding is `bytes` long) until the
    /// dependencies that `version` lacks arrive, evicting the oldest
    /// waiting deltas to stay within `max_deltas` and `max_bytes`.
    pub(crate) fn hold(
        &mut self,
        delta: Delta,
        bytes: usize,
        version: &VersionVector,
        max_deltas: usize,
        max_bytes: usize,
    ) -> Held {
        let needs = unmet(&delta.deps, version).expect("a delta that waits lacks something");
        let key = (needs.replica, needs.counter);
        let same = |w: &Waiting| w.delta.deps == delta.deps && w.delta.body.ctx == delta.body.ctx;
        if let Some(seqs) = self.by_need.get(&key) {
            if seqs.iter().any(|s| self.waiting.get(s).is_some_and(same)) {
                return Held::Duplicate;
            }
        }
        while !self.waiting.is_empty()
            && (self.waiting.len() + 1 > max_deltas.max(1) || self.bytes + bytes > max_bytes)
        {
            let (&oldest, _) = self.waiting.iter().next().expect("not empty");
            let w = self.take(oldest).expect("present");
            let key = (w.needs.replica, w.needs.counter);
            if let Some(seqs) = self.by_need.get_mut(&key) {
                seqs.retain(|&s| s != oldest);
                if seqs.is_empty() {
                    self.by_need.remove(&key);
                }
            }
            self.evicted += 1;
        }
        let seq = self.next;
        self.next += 1;
        self.insert(
            seq,
            Waiting {
                delta,
                bytes,
                needs,
            },
        );
        Held::Added
    }

    /// Takes the deltas whose dependencies `version` now has, oldest first,
    /// and re-indexes those woken that still lack something.
    pub(crate) fn take_ready(&mut self, version: &VersionVector) -> Vec<Delta> {
        let mut woken: Vec<u64> = Vec::new();
        for (r, c) in version.iter() {
            let met: Vec<(ReplicaId, u64)> = self
                .by_need
                .iter_from(&(r, 0))
                .map(|(k, _)| *k)
                .take_while(|k| *k <= (r, c))
                .collect();
            for k in met {
                woken.extend(self.by_need.remove(&k).unwrap_or_default());
            }
        }
        woken.sort_unstable();
        let mut ready = Vec::new();
        for seq in woken {
            let Some(w) = self.take(seq) else { continue };
            match unmet(&w.delta.deps, version) {
                None => ready.push(w.delta),
                Some(needs) => self.insert(seq, Waiting { needs, ..w }),
            }
        }
        ready
    }

    /// How many deltas wait.
    /// The waiting deltas, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Delta> + '_ {
        self.waiting.values().map(|w| &w.delta)
    }

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
        for w in self.waiting.values() {
            vv.join(&w.delta.deps);
        }
        vv
    }

    /// What the buffer holds and has dropped.
    pub(crate) fn stats(&self) -> PendingStats {
        PendingStats {
            deltas: self.waiting.len(),
            bytes: self.bytes,
            evicted: self.evicted,
        }
    }
}
