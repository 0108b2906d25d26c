//! The history part of a document: the deltas it has seen, kept so that a
//! peer that missed some gets exactly those instead of a whole snapshot.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;

use super::delta::{Covers, Delta};
use super::model::weight;
use crate::id::DotRange;
use crate::vv::VersionVector;

/// Where a document keeps the deltas it has seen, for catch-up.
///
/// The document records every delta it joins: its own transactions with
/// [`History::record_local`], remote deltas with
/// [`History::record_remote`] (with the bytes they came in), and asks
/// [`History::since`] when a peer wants what it lacks. An implementation
/// may merge consecutive deltas and may forget old ones at any time: the
/// document then answers with a snapshot. [`MemoryHistory`] keeps them in
/// memory; a store can keep them on disk so that catch-up survives
/// restarts.
pub trait History: Send {
    /// Records a transaction of this replica that the document has just
    /// committed.
    fn record_local(&mut self, delta: Delta);

    /// Records a remote delta the document is joining; `bytes` is its
    /// encoding (the `DocDelta` blob it arrived as).
    fn record_remote(&mut self, delta: &Delta, bytes: &[u8]);

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
    /// Bytes held, as the history accounts them (approximate heap bytes
    /// for [`MemoryHistory`]).
    pub bytes: usize,
}

/// How many dots the open run of merged local deltas may cover before it
/// is sealed: a peer that has part of a run gets all of it again, so this
/// bounds the bytes such a peer receives twice.
const RUN_MAX_DOTS: u64 = 512;
/// How many approximate heap bytes the open run may hold before it is
/// sealed.
const RUN_MAX_BYTES: usize = 32 << 10;
/// Fixed cost of a stored entry (the entry, its covers, deque slot).
const ENTRY_OVERHEAD: usize = 64;

/// A sealed entry: a delta, or a run of merged ones, kept encoded.
#[derive(Clone, Debug)]
struct Sealed {
    covers: Covers,
    bytes: Vec<u8>,
}

impl Sealed {
    fn weight(&self) -> usize {
        ENTRY_OVERHEAD + self.bytes.capacity() + self.covers.capacity() * 24
    }
}

/// The run of consecutive local deltas being merged, kept structured so
/// that each transaction joins it cheaply.
#[derive(Clone, Debug)]
struct OpenRun {
    delta: Delta,
    /// The version after the run: only a delta made right at it (nothing
    /// joined in between) continues the run.
    end: VersionVector,
    /// Dots covered.
    dots: u64,
    /// Approximate heap bytes.
    weight: usize,
}

/// A [`History`] in memory, bounded in (approximate) heap bytes: the
/// oldest deltas go first. Consecutive local transactions merge into one
/// entry (up to 512 dots), so typing costs a few bytes per keystroke, not
/// a whole delta each; entries are kept encoded.
#[derive(Clone, Debug)]
pub struct MemoryHistory {
    sealed: VecDeque<Sealed>,
    open: Option<OpenRun>,
    /// Weight of the sealed entries.
    sealed_bytes: usize,
    max_bytes: usize,
}

impl Default for MemoryHistory {
    fn default() -> Self {
        MemoryHistory::new(16 << 20)
    }
}

impl MemoryHistory {
    /// An empty history that holds about `max_bytes` of heap at most.
    pub fn new(max_bytes: usize) -> Self {
        MemoryHistory {
            sealed: VecDeque::new(),
            open: None,
            sealed_bytes: 0,
            max_bytes,
        }
    }

    /// Encodes the open run into a sealed entry.
    fn seal(&mut self) {
        if let Some(run) = self.open.take() {
            let covers = run.delta.covers_inline();
            let bytes = run.delta.encode();
            self.push_sealed(Sealed { covers, bytes });
        }
    }

    fn push_sealed(&mut self, entry: Sealed) {
        if entry.covers.is_empty() {
            return;
        }
        self.sealed_bytes += entry.weight();
        self.sealed.push_back(entry);
        self.evict();
    }

    fn evict(&mut self) {
        let open = self.open.as_ref().map_or(0, |r| r.weight);
        while self.sealed_bytes + open > self.max_bytes {
            match self.sealed.pop_front() {
                Some(old) => self.sealed_bytes -= old.weight(),
                None => break,
            }
        }
        if open > self.max_bytes {
            self.open = None;
        }
    }
}

fn dots(covers: &[DotRange]) -> u64 {
    covers.iter().map(DotRange::len).sum()
}

/// Whether some range of `covers` goes beyond `theirs`.
fn beyond(covers: &[DotRange], theirs: &VersionVector) -> bool {
    covers.iter().any(|c| c.last > theirs.get(c.replica))
}

impl History for MemoryHistory {
    fn record_local(&mut self, delta: Delta) {
        let covers = delta.covers_inline();
        if covers.is_empty() {
            return;
        }
        let n = dots(&covers);
        let w = ENTRY_OVERHEAD + weight::map(&delta.body.store);
        match self.open.as_mut() {
            Some(run)
                if run.end == delta.deps
                    && run.dots + n <= RUN_MAX_DOTS
                    && run.weight + w <= RUN_MAX_BYTES =>
            {
                for c in &covers {
                    run.end.advance(c.replica, c.last);
                }
                run.delta.absorb(delta);
                run.dots += n;
                run.weight += w;
            }
            _ => {
                self.seal();
                let mut end = delta.deps.clone();
                for c in &covers {
                    end.advance(c.replica, c.last);
                }
                self.open = Some(OpenRun {
                    delta,
                    end,
                    dots: n,
                    weight: w,
                });
            }
        }
        self.evict();
    }

    fn record_remote(&mut self, delta: &Delta, bytes: &[u8]) {
        self.seal();
        self.push_sealed(Sealed {
            covers: delta.covers_inline(),
            bytes: bytes.to_vec(),
        });
    }

    fn since(&self, theirs: &VersionVector, needed: &[DotRange]) -> Option<Vec<Delta>> {
        let open_covers = self.open.as_ref().map(|r| r.delta.covers_inline());
        let selected: Vec<&Sealed> = self
            .sealed
            .iter()
            .filter(|e| beyond(&e.covers, theirs))
            .collect();
        let open = open_covers.as_deref().filter(|c| beyond(c, theirs));
        for need in needed {
            let mut ranges: Vec<(u64, u64)> = selected
                .iter()
                .flat_map(|e| e.covers.iter())
                .chain(open.into_iter().flatten())
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
        let mut out = Vec::with_capacity(selected.len() + 1);
        for e in selected {
            let delta = Delta::decode(&e.bytes)
                .expect("the history holds only deltas this document encoded or validated");
            out.push(delta);
        }
        if let (Some(_), Some(run)) = (open, self.open.as_ref()) {
            out.push(run.delta.clone());
        }
        Some(out)
    }

    fn trim(&mut self, everyone: &VersionVector) {
        let before = self.sealed.len();
        self.sealed.retain(|e| beyond(&e.covers, everyone));
        if self.sealed.len() != before {
            self.sealed_bytes = self.sealed.iter().map(Sealed::weight).sum();
            if self.sealed.capacity() > 4 * self.sealed.len() + 64 {
                self.sealed.shrink_to_fit();
            }
        }
        if self
            .open
            .as_ref()
            .is_some_and(|r| !beyond(&r.delta.covers_inline(), everyone))
        {
            self.open = None;
        }
    }

    fn stats(&self) -> HistoryStats {
        HistoryStats {
            entries: self.sealed.len() + usize::from(self.open.is_some()),
            bytes: self.sealed_bytes + self.open.as_ref().map_or(0, |r| r.weight),
        }
    }

    fn clone_box(&self) -> Box<dyn History> {
        Box::new(self.clone())
    }
}
