//! The history part of a document: the deltas it has seen, kept so that a
//! peer that missed some gets exactly those instead of a whole snapshot.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;

use super::delta::Delta;
use crate::id::DotRange;
use crate::vv::VersionVector;

/// Where a document keeps the deltas it has seen, for catch-up.
///
/// The document calls [`History::record`] with every delta it joins (its
/// own transactions, possibly merged into runs, and remote deltas), and
/// [`History::since`] when a peer asks for what it lacks. An
/// implementation may forget old deltas at any time: the document then
/// answers with a snapshot. [`MemoryHistory`] keeps them in memory; a
/// store can keep them on disk so that catch-up survives restarts.
pub trait History: Send {
    /// Records a delta the document has just joined.
    fn record(&mut self, delta: Delta);

    /// The deltas a replica at version `theirs` lacks, oldest first, if
    /// the history still holds every dot of `needed` (the ranges it
    /// lacks); `None` when part of them was forgotten. Returning deltas
    /// the replica already has is allowed (joins are idempotent) but
    /// costs bytes.
    fn since(&self, theirs: &VersionVector, needed: &[DotRange]) -> Option<Vec<Delta>>;

    /// Forgets the deltas a replica at `everyone` (the meet of every
    /// peer's version) already has.
    fn trim(&mut self, everyone: &VersionVector);

    /// How much the history holds.
    fn stats(&self) -> HistoryStats;

    /// A copy of this history, for [`Doc::clone`](crate::Doc): an
    /// in-memory one is enough.
    fn clone_box(&self) -> Box<dyn History>;
}

/// What a [`History`] holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HistoryStats {
    /// Stored entries (a run of merged deltas counts once).
    pub entries: usize,
    /// Bytes held, as the history accounts them (heap bytes for
    /// [`MemoryHistory`]).
    pub bytes: usize,
}

/// One stored delta and the dots it introduced.
#[derive(Clone, Debug)]
struct Entry {
    covers: Vec<DotRange>,
    delta: Delta,
    bytes: usize,
}

/// A [`History`] in memory, bounded in bytes: the oldest deltas go first.
#[derive(Clone, Debug)]
pub struct MemoryHistory {
    entries: VecDeque<Entry>,
    bytes: usize,
    max_bytes: usize,
}

impl Default for MemoryHistory {
    fn default() -> Self {
        MemoryHistory::new(16 << 20)
    }
}

impl MemoryHistory {
    /// An empty history that holds at most about `max_bytes`.
    pub fn new(max_bytes: usize) -> Self {
        MemoryHistory {
            entries: VecDeque::new(),
            bytes: 0,
            max_bytes,
        }
    }
}

/// An estimate of the heap a delta holds: its encoded size is a fair
/// proxy for what it holds, without walking it twice.
fn weight(delta: &Delta) -> usize {
    delta.encode().len()
}

impl History for MemoryHistory {
    fn record(&mut self, delta: Delta) {
        let covers = delta.covers();
        if covers.is_empty() {
            return;
        }
        let bytes = weight(&delta);
        self.bytes += bytes;
        self.entries.push_back(Entry {
            covers,
            delta,
            bytes,
        });
        while self.bytes > self.max_bytes {
            match self.entries.pop_front() {
                Some(old) => self.bytes -= old.bytes,
                None => break,
            }
        }
    }

    fn since(&self, theirs: &VersionVector, needed: &[DotRange]) -> Option<Vec<Delta>> {
        let selected: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.covers.iter().any(|c| c.last > theirs.get(c.replica)))
            .collect();
        for need in needed {
            let mut ranges: Vec<(u64, u64)> = selected
                .iter()
                .flat_map(|e| e.covers.iter())
                .filter(|c| c.replica == need.replica)
                .map(|c| (c.first, c.last))
                .collect();
            ranges.sort_unstable();
            let mut next = need.first;
            for (a, b) in ranges {
                if a > next {
                    break;
                }
                next = next.max(b.saturating_add(1));
            }
            if next <= need.last {
                return None;
            }
        }
        Some(selected.into_iter().map(|e| e.delta.clone()).collect())
    }

    fn trim(&mut self, everyone: &VersionVector) {
        let before = self.entries.len();
        self.entries
            .retain(|e| e.covers.iter().any(|c| c.last > everyone.get(c.replica)));
        if self.entries.len() != before {
            self.bytes = self.entries.iter().map(|e| e.bytes).sum();
            if self.entries.capacity() > 4 * self.entries.len() + 64 {
                self.entries.shrink_to_fit();
            }
        }
    }

    fn stats(&self) -> HistoryStats {
        HistoryStats {
            entries: self.entries.len(),
            bytes: self.bytes,
        }
    }

    fn clone_box(&self) -> Box<dyn History> {
        Box::new(self.clone())
    }
}
