//! Replica identities and dots.

use core::fmt;
use serde::{Deserialize, Serialize};

/// The identity of one replica (one editing session of one device).
///
/// A `ReplicaId` is 64 bits wide. Ids are meant to be drawn at random by the
/// application (the core never reads a randomness source). With random 64-bit
/// ids the probability that any two of one million replicas collide is about
/// 2.7e-8 (birthday bound n²/2⁶⁵), which is negligible for a document, while
/// the id still fits a machine word and costs at most 8 bytes on the wire
/// (snapshots and deltas store each id once, in a table, and refer to it by
/// a small index). 128-bit ids would double the table and the in-memory cost
/// of every dot for a collision margin no document needs.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ReplicaId(u64);

impl ReplicaId {
    /// Creates a replica id from its 64-bit value.
    pub const fn new(value: u64) -> Self {
        ReplicaId(value)
    }

    /// The 64-bit value of this id.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl From<u64> for ReplicaId {
    fn from(value: u64) -> Self {
        ReplicaId(value)
    }
}

impl fmt::Debug for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "R{:x}", self.0)
    }
}

impl fmt::Display for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// The unique identity of one mutation: the replica that made it and that
/// replica's counter, which starts at 1 and grows by one per mutation.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Dot {
    /// The replica that made the mutation.
    pub replica: ReplicaId,
    /// The replica's counter for this mutation (1-based).
    pub counter: u64,
}

impl Dot {
    /// Creates a dot.
    pub const fn new(replica: ReplicaId, counter: u64) -> Self {
        Dot { replica, counter }
    }
}

impl fmt::Debug for Dot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}@{}", self.replica, self.counter)
    }
}

/// Consecutive dots of one replica: `replica@first ..= replica@last`
/// (what one transaction or a run of them introduced).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DotRange {
    /// The replica.
    pub replica: ReplicaId,
    /// The first counter (at least 1).
    pub first: u64,
    /// The last counter (at least `first`).
    pub last: u64,
}

impl DotRange {
    /// The dots `replica@first ..= replica@last`.
    pub const fn new(replica: ReplicaId, first: u64, last: u64) -> Self {
        DotRange {
            replica,
            first,
            last,
        }
    }

    /// How many dots the range holds.
    pub const fn len(&self) -> u64 {
        self.last.saturating_sub(self.first).saturating_add(1)
    }

    /// Whether the range holds no dot (`last < first`).
    pub const fn is_empty(&self) -> bool {
        self.last < self.first
    }

    /// Whether `dot` is in the range.
    pub fn contains(&self, dot: Dot) -> bool {
        dot.replica == self.replica && self.first <= dot.counter && dot.counter <= self.last
    }
}

impl fmt::Debug for DotRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}@{}..={}", self.replica, self.first, self.last)
    }
}
