use smallvec::SmallVec;

use crate::context::CausalContext;
use crate::id::{Dot, ReplicaId};
use crate::store::DotFun;
use crate::types::Lattice;

/// A grow-only counter: one monotonic total per replica; the value is the sum.
///
/// Its state is a version-vector-shaped map, so the delta a replica lacks is
/// exactly the entries above that replica's knowledge ([`GCounter::delta_since`]).
#[derive(Clone, Default, PartialEq, Eq, Hash, Debug)]
pub struct GCounter {
    /// Sorted by replica; inline for up to two replicas (a delta has one),
    /// so mutators do not allocate.
    pub(crate) totals: SmallVec<[(ReplicaId, u64); 2]>,
}

impl GCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        GCounter::default()
    }

    /// Builds a counter from per-replica totals (any order; a replica named
    /// twice keeps its greatest total).
    pub fn from_totals(totals: impl IntoIterator<Item = (ReplicaId, u64)>) -> Self {
        let mut c = GCounter::new();
        for (r, t) in totals {
            c.raise(r, t);
        }
        c
    }

    fn raise(&mut self, replica: ReplicaId, total: u64) {
        if total == 0 {
            return;
        }
        match self.totals.binary_search_by_key(&replica, |e| e.0) {
            Ok(i) => self.totals[i].1 = self.totals[i].1.max(total),
            Err(i) => self.totals.insert(i, (replica, total)),
        }
    }

    /// The total contributed by `replica`.
    pub fn total_of(&self, replica: ReplicaId) -> u64 {
        self.totals
            .binary_search_by_key(&replica, |e| e.0)
            .map_or(0, |i| self.totals[i].1)
    }

    /// Adds `by` on behalf of `replica`; returns the delta. Saturates at
    /// `u64::MAX`.
    pub fn increment(&mut self, replica: ReplicaId, by: u64) -> GCounter {
        let total = match self.totals.binary_search_by_key(&replica, |e| e.0) {
            Ok(i) => {
                let t = self.totals[i].1.saturating_add(by);
                self.totals[i].1 = t;
                t
            }
            Err(i) => {
                if by > 0 {
                    self.totals.insert(i, (replica, by));
                }
                by
            }
        };
        let mut delta = GCounter::new();
        if total > 0 {
            delta.totals.push((replica, total));
        }
        delta
    }

    /// The value: the sum of all totals (saturating).
    pub fn value(&self) -> u64 {
        self.totals
            .iter()
            .fold(0u64, |acc, e| acc.saturating_add(e.1))
    }

    /// The entries another replica lacks, given what it has seen of each
    /// replica's total.
    pub fn delta_since(&self, seen: &GCounter) -> GCounter {
        GCounter {
            totals: self
                .totals
                .iter()
                .filter(|(r, t)| *t > seen.total_of(*r))
                .copied()
                .collect(),
        }
    }

    /// The per-replica totals, sorted by replica.
    pub fn totals(&self) -> impl Iterator<Item = (ReplicaId, u64)> + '_ {
        self.totals.iter().copied()
    }
}

impl Lattice for GCounter {
    fn join(&mut self, other: &Self) {
        for &(r, t) in &other.totals {
            self.raise(r, t);
        }
    }

    fn check_invariants(&self) {
        assert!(self.totals.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(self.totals.iter().all(|e| e.1 > 0));
    }
}

/// A counter that goes up and down: two grow-only counters, the value is
/// their difference.
#[derive(Clone, Default, PartialEq, Eq, Hash, Debug)]
pub struct PnCounter {
    pub(crate) inc: GCounter,
    pub(crate) dec: GCounter,
}

impl PnCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        PnCounter::default()
    }

    /// Adds `by` (negative to decrement) on behalf of `replica`; returns the
    /// delta.
    pub fn add(&mut self, replica: ReplicaId, by: i64) -> PnCounter {
        let mut delta = PnCounter::new();
        if by >= 0 {
            delta.inc = self.inc.increment(replica, by.unsigned_abs());
        } else {
            delta.dec = self.dec.increment(replica, by.unsigned_abs());
        }
        delta
    }

    /// The value (increments minus decrements), saturating to `i64`.
    pub fn value(&self) -> i64 {
        let v = i128::from(self.inc.value()) - i128::from(self.dec.value());
        v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// The increments part.
    pub fn increments(&self) -> &GCounter {
        &self.inc
    }

    /// The decrements part.
    pub fn decrements(&self) -> &GCounter {
        &self.dec
    }

    /// Builds a counter from its two parts.
    pub fn from_parts(inc: GCounter, dec: GCounter) -> Self {
        PnCounter { inc, dec }
    }
}

impl Lattice for PnCounter {
    fn join(&mut self, other: &Self) {
        self.inc.join(&other.inc);
        self.dec.join(&other.dec);
    }

    fn check_invariants(&self) {
        self.inc.check_invariants();
        self.dec.check_invariants();
    }
}

/// One replica's contribution to a counter inside a `Doc`: its totals of
/// increments and decrements.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Debug)]
pub struct CounterPart {
    /// Total added.
    pub inc: u64,
    /// Total subtracted.
    pub dec: u64,
}

/// The store of a counter inside a `Doc`: each replica's contribution under
/// that replica's latest dot, so that removing the counter is an observed
/// remove like everywhere else in a document.
pub type CounterStore = DotFun<CounterPart>;

/// Kernel: the delta that adds `by` on behalf of `dot.replica`.
pub(crate) fn counter_add(
    store: &CounterStore,
    dot: Dot,
    by: i64,
) -> (CounterStore, CausalContext) {
    let mut ctx = CausalContext::new();
    ctx.insert(dot);
    let mut part = CounterPart::default();
    for (d, p) in store.iter() {
        if d.replica == dot.replica {
            ctx.insert(d);
            part.inc = part.inc.saturating_add(p.inc);
            part.dec = part.dec.saturating_add(p.dec);
        }
    }
    if by >= 0 {
        part.inc = part.inc.saturating_add(by.unsigned_abs());
    } else {
        part.dec = part.dec.saturating_add(by.unsigned_abs());
    }
    (DotFun::single(dot, part), ctx)
}

/// The value of a document counter.
pub(crate) fn counter_value(store: &CounterStore) -> i64 {
    let (mut inc, mut dec) = (0u128, 0u128);
    for (_, p) in store.iter() {
        inc += u128::from(p.inc);
        dec += u128::from(p.dec);
    }
    let v = inc as i128 - dec as i128;
    v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}
