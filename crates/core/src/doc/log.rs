//! The delta log: recent deltas, kept encoded, so that a peer that missed
//! some can be sent exactly those instead of the whole document.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use crate::id::ReplicaId;
use crate::vv::VersionVector;

/// One logged delta: the dots it introduced and its encoding.
#[derive(Clone, Debug)]
pub(crate) struct LogEntry {
    /// The dot ranges the delta introduced, as (replica, first, last).
    pub(crate) covers: Vec<(ReplicaId, u64, u64)>,
    /// The encoded delta blob.
    pub(crate) bytes: Vec<u8>,
}

/// Recent deltas, oldest first, bounded in bytes.
#[derive(Clone, Debug, Default)]
pub(crate) struct DeltaLog {
    entries: VecDeque<LogEntry>,
    bytes: usize,
}

impl DeltaLog {
    pub(crate) fn push(&mut self, entry: LogEntry, max_bytes: usize) {
        if entry.covers.is_empty() {
            return;
        }
        self.bytes += entry.bytes.len();
        self.entries.push_back(entry);
        while self.bytes > max_bytes {
            match self.entries.pop_front() {
                Some(old) => self.bytes -= old.bytes.len(),
                None => break,
            }
        }
    }

    /// Drops every entry a peer at `vv` (and so everyone it stands for) has.
    pub(crate) fn trim(&mut self, vv: &VersionVector) {
        let before = self.entries.len();
        self.entries
            .retain(|e| e.covers.iter().any(|&(r, _, hi)| hi > vv.get(r)));
        if self.entries.len() != before {
            self.bytes = self.entries.iter().map(|e| e.bytes.len()).sum();
            if self.entries.capacity() > 4 * self.entries.len() + 64 {
                self.entries.shrink_to_fit();
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// The entries a peer at `theirs` lacks, if the log still holds all of
    /// `needed` (the ranges it lacks); `None` when part was evicted.
    pub(crate) fn select(
        &self,
        theirs: &VersionVector,
        needed: &[(ReplicaId, u64, u64)],
    ) -> Option<Vec<&LogEntry>> {
        let selected: Vec<&LogEntry> = self
            .entries
            .iter()
            .filter(|e| e.covers.iter().any(|&(r, _, hi)| hi > theirs.get(r)))
            .collect();
        for &(replica, lo, hi) in needed {
            let mut ranges: Vec<(u64, u64)> = selected
                .iter()
                .flat_map(|e| e.covers.iter())
                .filter(|c| c.0 == replica)
                .map(|c| (c.1, c.2))
                .collect();
            ranges.sort_unstable();
            let mut next = lo;
            for (a, b) in ranges {
                if a > next {
                    break;
                }
                next = next.max(b.saturating_add(1));
            }
            if next <= hi {
                return None;
            }
        }
        Some(selected)
    }
}
