//! Causal contexts: the set of dots a state has seen.

use alloc::vec::Vec;
use core::fmt;
use smallvec::SmallVec;

use crate::id::{Dot, DotRange, ReplicaId};
use crate::vv::VersionVector;

/// Inclusive counter ranges of one replica, sorted, disjoint and not adjacent.
pub(crate) type Ranges = SmallVec<[(u64, u64); 1]>;

/// The set of dots a state has seen, whether their effect is still visible
/// or was since removed.
///
/// It is stored per replica as sorted, disjoint, non-adjacent inclusive
/// ranges of counters. When delivery is causal (the `Doc` makes sure of it)
/// every replica has a single range starting at 1, so the context *is* a
/// version vector; dots that arrive out of order take one extra range each
/// until the gap closes. Equal sets have equal representations.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct CausalContext {
    replicas: Vec<(ReplicaId, Ranges)>,
}

impl CausalContext {
    /// The empty context.
    pub const fn new() -> Self {
        CausalContext {
            replicas: Vec::new(),
        }
    }

    /// A context holding exactly the dots of a version vector.
    pub fn from_version_vector(vv: &VersionVector) -> Self {
        CausalContext {
            replicas: vv
                .iter()
                .map(|(r, c)| (r, SmallVec::from_buf([(1, c)])))
                .collect(),
        }
    }

    fn ranges(&self, replica: ReplicaId) -> Option<&Ranges> {
        self.replicas
            .binary_search_by_key(&replica, |e| e.0)
            .ok()
            .map(|i| &self.replicas[i].1)
    }

    /// Whether `dot` is in the context.
    #[inline]
    pub fn contains(&self, dot: Dot) -> bool {
        let Some(ranges) = self.ranges(dot.replica) else {
            return false;
        };
        if let [(lo, hi)] = ranges.as_slice() {
            return *lo <= dot.counter && dot.counter <= *hi;
        }
        match ranges.binary_search_by(|&(lo, _)| lo.cmp(&dot.counter)) {
            Ok(_) => true,
            Err(0) => false,
            Err(i) => dot.counter <= ranges[i - 1].1,
        }
    }

    /// Whether every dot `replica@lo..=hi` is in the context.
    pub fn contains_range(&self, replica: ReplicaId, lo: u64, hi: u64) -> bool {
        let Some(ranges) = self.ranges(replica) else {
            return false;
        };
        let i = ranges.partition_point(|&(a, _)| a <= lo);
        i > 0 && ranges[i - 1].1 >= hi
    }

    /// The parts of `replica@lo..=hi` that are in the context, as sorted
    /// inclusive counter ranges clipped to `lo..=hi`.
    pub(crate) fn seen_within(
        &self,
        replica: ReplicaId,
        lo: u64,
        hi: u64,
    ) -> SmallVec<[(u64, u64); 2]> {
        let mut out = SmallVec::new();
        let Some(ranges) = self.ranges(replica) else {
            return out;
        };
        let start = ranges.partition_point(|&(_, b)| b < lo);
        for &(a, b) in &ranges[start..] {
            if a > hi {
                break;
            }
            out.push((a.max(lo), b.min(hi)));
        }
        out
    }

    /// Adds one dot.
    pub fn insert(&mut self, dot: Dot) {
        self.insert_range(dot.replica, dot.counter, dot.counter);
    }

    /// Adds the dots `replica@lo..=hi`. Counters start at 1; a range with
    /// `lo == 0` or `lo > hi` is an internal error.
    pub fn insert_range(&mut self, replica: ReplicaId, lo: u64, hi: u64) {
        assert!(lo >= 1 && lo <= hi, "invalid dot range {lo}..={hi}");
        let i = match self.replicas.binary_search_by_key(&replica, |e| e.0) {
            Ok(i) => i,
            Err(i) => {
                self.replicas.insert(i, (replica, SmallVec::new()));
                i
            }
        };
        insert_into(&mut self.replicas[i].1, lo, hi);
    }

    /// Adds every dot of `other`.
    pub fn join(&mut self, other: &CausalContext) {
        for (replica, ranges) in &other.replicas {
            for &(lo, hi) in ranges {
                self.insert_range(*replica, lo, hi);
            }
        }
    }

    /// Whether every dot of `other` is in `self`.
    pub fn includes(&self, other: &CausalContext) -> bool {
        other.replicas.iter().all(|(replica, ranges)| {
            let Some(mine) = self.ranges(*replica) else {
                return false;
            };
            ranges
                .iter()
                .all(|&(lo, hi)| mine.iter().any(|&(a, b)| a <= lo && hi <= b))
        })
    }

    /// The version vector part: for each replica, the end of a range that
    /// starts at counter 1.
    pub fn version_vector(&self) -> VersionVector {
        VersionVector::from_entries(self.replicas.iter().filter_map(|(r, ranges)| {
            let (lo, hi) = *ranges.first()?;
            (lo == 1).then_some((*r, hi))
        }))
    }

    /// The greatest counter of `replica` in the context (0 when none).
    pub fn max_counter(&self, replica: ReplicaId) -> u64 {
        self.ranges(replica)
            .and_then(|r| r.last())
            .map_or(0, |r| r.1)
    }

    /// Whether the context is exactly a version vector (no gaps).
    pub fn is_compact(&self) -> bool {
        self.replicas
            .iter()
            .all(|(_, r)| r.len() == 1 && r[0].0 == 1)
    }

    /// Whether `vv` joined with this context is a version vector (the
    /// dots follow `vv` without gaps), without building the join.
    pub fn is_compact_over(&self, vv: &VersionVector) -> bool {
        self.replicas.iter().all(|(r, ranges)| {
            let mut next = vv.get(*r).saturating_add(1);
            for &(lo, hi) in ranges.iter() {
                if lo > next {
                    return false;
                }
                next = next.max(hi.saturating_add(1));
            }
            true
        })
    }

    /// Whether the context holds no dot.
    pub fn is_empty(&self) -> bool {
        self.replicas.is_empty()
    }

    /// The ranges, sorted by replica then counter.
    pub fn iter_ranges(&self) -> impl Iterator<Item = DotRange> + '_ {
        self.replicas.iter().flat_map(|(r, ranges)| {
            ranges
                .iter()
                .map(move |&(lo, hi)| DotRange::new(*r, lo, hi))
        })
    }

    /// The replicas named by the context, sorted.
    pub fn replicas(&self) -> impl Iterator<Item = ReplicaId> + '_ {
        self.replicas.iter().map(|e| e.0)
    }

    /// The dots of `self` that `vv` does not cover, as ranges.
    pub fn ranges_beyond(&self, vv: &VersionVector) -> Vec<DotRange> {
        self.ranges_beyond_in(vv)
    }

    /// [`CausalContext::ranges_beyond`], into any collection (a delta's
    /// one range fits inline).
    pub(crate) fn ranges_beyond_in<A: Default + Extend<DotRange>>(&self, vv: &VersionVector) -> A {
        let mut out = A::default();
        for r in self.iter_ranges() {
            let seen = vv.get(r.replica);
            if r.last > seen {
                out.extend([DotRange::new(r.replica, r.first.max(seen + 1), r.last)]);
            }
        }
        out
    }

    /// A context holding exactly the dots of `ranges`.
    pub fn from_ranges(ranges: &[DotRange]) -> Self {
        let mut ctx = CausalContext::new();
        for r in ranges {
            ctx.insert_dots(*r);
        }
        ctx
    }

    /// Adds the dots of `range`.
    pub fn insert_dots(&mut self, range: DotRange) {
        self.insert_range(range.replica, range.first, range.last);
    }

    /// Number of stored ranges (a measure of the context's size).
    pub fn range_count(&self) -> usize {
        self.replicas.iter().map(|e| e.1.len()).sum()
    }
}

fn insert_into(ranges: &mut Ranges, lo: u64, hi: u64) {
    // Fast path: extending the last range (the common, causal case).
    if let Some(last) = ranges.last_mut() {
        if lo >= last.0 && lo <= last.1.saturating_add(1) {
            last.1 = last.1.max(hi);
            return;
        }
        if lo > last.1 {
            ranges.push((lo, hi));
            return;
        }
    } else {
        ranges.push((lo, hi));
        return;
    }
    // General path: merge every range that overlaps or touches [lo, hi].
    let mut merged: Ranges = SmallVec::new();
    let (mut nlo, mut nhi) = (lo, hi);
    let mut placed = false;
    for &(a, b) in ranges.iter() {
        if b.saturating_add(1) < nlo {
            merged.push((a, b));
        } else if nhi.saturating_add(1) < a {
            if !placed {
                merged.push((nlo, nhi));
                placed = true;
            }
            merged.push((a, b));
        } else {
            nlo = nlo.min(a);
            nhi = nhi.max(b);
        }
    }
    if !placed {
        merged.push((nlo, nhi));
    }
    *ranges = merged;
}

impl fmt::Debug for CausalContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for r in self.iter_ranges() {
            list.entry(&r);
        }
        list.finish()
    }
}
