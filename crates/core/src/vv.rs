//! Version vectors: for each replica, how many of its mutations are known.

use core::cmp::Ordering;
use core::fmt;

use crate::id::{Dot, ReplicaId};

/// A version vector: for each replica, the highest counter `n` such that all
/// of that replica's mutations `1..=n` are known.
///
/// Entries are kept sorted by replica and never hold a zero counter, so two
/// equal vectors have equal representations (and encodings).
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct VersionVector {
    entries: Entries,
}

/// A vector's entries: inline up to four replicas outside WebAssembly (a
/// transaction's dependencies and a delta's decoded ones allocate nothing
/// for a document of a few writers).
type Entries = crate::inline::Inline<[(ReplicaId, u64); 4]>;

impl VersionVector {
    /// The empty version vector (nothing known).
    pub const fn new() -> Self {
        #[cfg(not(target_family = "wasm"))]
        let entries = Entries::new_const();
        #[cfg(target_family = "wasm")]
        let entries = Entries::new();
        VersionVector { entries }
    }

    /// Builds a vector from entries in any order. Zero counters are dropped;
    /// a replica named twice keeps its greatest counter.
    pub fn from_entries(entries: impl IntoIterator<Item = (ReplicaId, u64)>) -> Self {
        // Sort, then keep each replica's greatest counter: O(n log n) for
        // entries in any order (inserting one by one would be quadratic).
        let mut entries: Entries = entries.into_iter().filter(|e| e.1 != 0).collect();
        entries.sort_unstable();
        // In place: `later` follows `kept` and, sorted, has the greater
        // counter of the same replica.
        entries.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 = later.1;
            }
            same
        });
        VersionVector { entries }
    }

    /// The counter known for `replica` (0 when none).
    pub fn get(&self, replica: ReplicaId) -> u64 {
        match self.entries.binary_search_by_key(&replica, |e| e.0) {
            Ok(i) => self.entries[i].1,
            Err(_) => 0,
        }
    }

    /// Raises the counter of `replica` to at least `counter`.
    pub fn advance(&mut self, replica: ReplicaId, counter: u64) {
        if counter == 0 {
            return;
        }
        match self.entries.binary_search_by_key(&replica, |e| e.0) {
            Ok(i) => {
                let slot = &mut self.entries[i].1;
                *slot = (*slot).max(counter);
            }
            Err(i) => self.entries.insert(i, (replica, counter)),
        }
    }

    /// Sets the counter of `replica` to `counter` (0 removes the entry).
    pub fn set(&mut self, replica: ReplicaId, counter: u64) {
        match self.entries.binary_search_by_key(&replica, |e| e.0) {
            Ok(i) if counter == 0 => {
                self.entries.remove(i);
            }
            Ok(i) => self.entries[i].1 = counter,
            Err(_) if counter == 0 => {}
            Err(i) => self.entries.insert(i, (replica, counter)),
        }
    }

    /// Whether the mutation `dot` is covered by this vector.
    pub fn contains(&self, dot: Dot) -> bool {
        dot.counter != 0 && dot.counter <= self.get(dot.replica)
    }

    /// Pointwise maximum.
    pub fn join(&mut self, other: &VersionVector) {
        for &(replica, counter) in &other.entries {
            self.advance(replica, counter);
        }
    }

    /// Pointwise minimum.
    pub fn meet(&self, other: &VersionVector) -> VersionVector {
        VersionVector::from_entries(self.entries.iter().map(|&(r, c)| (r, c.min(other.get(r)))))
    }

    /// Whether every counter of `other` is at most the one in `self`.
    pub fn dominates(&self, other: &VersionVector) -> bool {
        other.entries.iter().all(|&(r, c)| self.get(r) >= c)
    }

    /// The entries, sorted by replica, without zero counters.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (ReplicaId, u64)> + '_ {
        self.entries.iter().copied()
    }

    /// Number of replicas with a non-zero counter.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Total number of mutations covered.
    pub fn total(&self) -> u64 {
        self.entries.iter().map(|e| e.1).sum()
    }
}

impl PartialOrd for VersionVector {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self.dominates(other), other.dominates(self)) {
            (true, true) => Some(Ordering::Equal),
            (true, false) => Some(Ordering::Greater),
            (false, true) => Some(Ordering::Less),
            (false, false) => None,
        }
    }
}

impl fmt::Debug for VersionVector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(r, c)| (r, c)))
            .finish()
    }
}

impl serde::Serialize for VersionVector {
    /// The entries as a sequence of `(replica, counter)` pairs, sorted by
    /// replica, no zero counter. With postcard that is a length and, per
    /// replica, two varints: the compact form to send a version over an
    /// application's own channel (`docs/encoding.md`).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.entries.iter())
    }
}

impl<'de> serde::Deserialize<'de> for VersionVector {
    /// Reads `(replica, counter)` pairs in any order and canonicalizes them
    /// ([`VersionVector::from_entries`]): zero counters are dropped, a
    /// replica named twice keeps its greatest counter.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let entries: crate::encoding::bounded::BVec<(ReplicaId, u64)> =
            serde::Deserialize::deserialize(d)?;
        Ok(VersionVector::from_entries(entries.0))
    }
}

impl FromIterator<(ReplicaId, u64)> for VersionVector {
    fn from_iter<I: IntoIterator<Item = (ReplicaId, u64)>>(iter: I) -> Self {
        VersionVector::from_entries(iter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_in_any_order_are_canonical() {
        let r = ReplicaId::new;
        let v = VersionVector::from_entries([
            (r(3), 5),
            (r(1), 2),
            (r(3), 9),
            (r(2), 0),
            (r(1), 7),
            (r(3), 1),
        ]);
        let got: alloc::vec::Vec<(ReplicaId, u64)> = v.iter().collect();
        assert_eq!(got, [(r(1), 7), (r(3), 9)]);
        assert!(VersionVector::from_entries([(r(4), 0)]).is_empty());
    }
}
