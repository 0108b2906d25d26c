//! Shared pieces of every payload: the replica table, contexts, dots and
//! run-length dot columns.

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use super::bounded::{BVec, IVec};
use super::read::{Decode, Reader};
use crate::context::CausalContext;
use crate::error::DecodeError;
use crate::id::{Dot, ReplicaId};
use crate::store::DotSet;
use crate::vv::VersionVector;

type Result<T> = core::result::Result<T, DecodeError>;

/// Decodes a postcard payload that must be consumed entirely.
pub(crate) fn from_payload<'a, T: Deserialize<'a>>(payload: &'a [u8]) -> Result<T> {
    match postcard::take_from_bytes::<T>(payload) {
        Ok((value, [])) => Ok(value),
        Ok(_) => Err(DecodeError::TrailingBytes),
        Err(_) => Err(DecodeError::Malformed),
    }
}

/// Maps replica ids to their index in the blob's table while encoding.
pub(crate) struct TableBuilder {
    /// Inline for the few replicas of a typical delta.
    ids: super::seq::ReplicaList,
}

impl TableBuilder {
    /// A table of the replicas of `ctx` and `extra`, sorted (so encodings
    /// are deterministic).
    pub(crate) fn new(ctx: &CausalContext, extra: impl IntoIterator<Item = ReplicaId>) -> Self {
        let mut ids: super::seq::ReplicaList = ctx.replicas().chain(extra).collect();
        ids.sort_unstable();
        ids.dedup();
        TableBuilder { ids }
    }

    pub(crate) fn replicas(&self) -> impl Iterator<Item = ReplicaId> + '_ {
        self.ids.iter().copied()
    }

    pub(crate) fn idx(&self, replica: ReplicaId) -> u32 {
        self.ids
            .binary_search(&replica)
            .expect("every replica of a blob is in its table") as u32
    }

    pub(crate) fn dot(&self, dot: Dot) -> WireDot {
        WireDot(self.idx(dot.replica), dot.counter)
    }

    pub(crate) fn ids(&self) -> WireIds {
        self.ids.iter().map(|r| r.get()).collect()
    }

    #[allow(clippy::arithmetic_side_effects)] // encodes in-memory state (trusted)
    pub(crate) fn context(&self, ctx: &CausalContext) -> WireContext {
        let mut out = WireContext::default();
        for r in ctx.iter_ranges() {
            let (idx, lo, hi) = (self.idx(r.replica), r.first, r.last);
            match out.0.last_mut() {
                Some(last) if last.0 == idx => last.1 .0.push((lo, hi - lo)),
                _ => out
                    .0
                    .push(WireRanges(idx, [(lo, hi - lo)].into_iter().collect())),
            }
        }
        out
    }

    pub(crate) fn version_vector(&self, vv: &VersionVector) -> WireVersion {
        vv.iter().map(|(r, c)| (self.idx(r), c)).collect()
    }
}

/// The replica table of a decoded blob.
#[derive(Clone)]
pub(crate) struct Table {
    /// Inline for a delta's few replicas.
    ids: crate::inline::Inline<[ReplicaId; 2]>,
}

impl Table {
    pub(crate) fn decode(raw: &WireIds) -> Result<Table> {
        if !raw.0.windows(2).all(|w| w[0] < w[1]) {
            return Err(DecodeError::Invalid(
                crate::error::Invalid::ReplicaTableUnsorted,
            ));
        }
        Ok(Table {
            ids: raw.0.iter().map(|&r| ReplicaId::new(r)).collect(),
        })
    }

    /// A table of these ids (a subset of a decoded one, in any order).
    // In WebAssembly the inline vector is a plain one: the conversion is
    // the identity there.
    #[allow(clippy::useless_conversion)]
    pub(crate) fn from_ids(ids: Vec<ReplicaId>) -> Table {
        Table { ids: ids.into() }
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// The ids, by index.
    pub(crate) fn ids(&self) -> &[ReplicaId] {
        &self.ids
    }

    pub(crate) fn replicas(&self) -> impl Iterator<Item = ReplicaId> + '_ {
        self.ids.iter().copied()
    }

    pub(crate) fn replica(&self, idx: u32) -> Result<ReplicaId> {
        self.ids
            .get(idx as usize)
            .copied()
            .ok_or(DecodeError::Invalid(
                crate::error::Invalid::ReplicaIndexRange,
            ))
    }

    pub(crate) fn dot(&self, w: WireDot) -> Result<Dot> {
        if w.1 == 0 {
            return Err(DecodeError::Invalid(crate::error::Invalid::DotCounterZero));
        }
        Ok(Dot::new(self.replica(w.0)?, w.1))
    }

    pub(crate) fn context(&self, wire: &WireContext) -> Result<CausalContext> {
        let mut ctx = CausalContext::new();
        let mut last_idx = None;
        for WireRanges(idx, ranges) in &wire.0 {
            if last_idx.is_some_and(|l| l >= *idx) || ranges.0.is_empty() {
                return Err(DecodeError::Invalid(
                    crate::error::Invalid::ContextReplicasUnsorted,
                ));
            }
            last_idx = Some(*idx);
            let replica = self.replica(*idx)?;
            let mut prev_hi: Option<u64> = None;
            for &(lo, span) in &ranges.0 {
                let hi = lo.checked_add(span).ok_or(DecodeError::Invalid(
                    crate::error::Invalid::ContextRangeOverflow,
                ))?;
                let ordered = match prev_hi {
                    None => lo >= 1,
                    Some(p) => p.checked_add(1).is_some_and(|p1| lo > p1),
                };
                if !ordered || hi == u64::MAX {
                    return Err(DecodeError::Invalid(
                        crate::error::Invalid::ContextRangesNotCanonical,
                    ));
                }
                prev_hi = Some(hi);
                ctx.insert_range(replica, lo, hi);
            }
        }
        Ok(ctx)
    }

    pub(crate) fn version_vector(&self, wire: &WireVersion) -> Result<VersionVector> {
        if !wire.0.windows(2).all(|w| w[0].0 < w[1].0) || wire.0.iter().any(|e| e.1 == 0) {
            return Err(DecodeError::Invalid(
                crate::error::Invalid::VersionVectorNotCanonical,
            ));
        }
        wire.0
            .iter()
            .map(|&(i, c)| Ok((self.replica(i)?, c)))
            .collect()
    }
}

/// A dot on the wire: (index in the replica table, counter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WireDot(pub(crate) u32, pub(crate) u64);

/// One replica's context ranges: (table index, [(first counter, span)]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WireRanges(pub(crate) u32, pub(crate) IVec<(u64, u64), 1>);

/// A blob's replica table: the ids in order (inline for a delta's few).
pub(crate) type WireIds = IVec<u64, 2>;
/// A blob's context, replica by replica.
pub(crate) type WireContext = IVec<WireRanges, 2>;
/// A version vector: (table index, counter), by index.
pub(crate) type WireVersion = IVec<(u32, u64), 2>;

/// The dot sets of a sequence of entries, in three run-length/delta coded
/// columns: how many dots each entry has, which replica each dot is from,
/// and each dot's counter as the difference from the previous dot's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WireDotSets {
    counts: BVec<(u32, u32)>,
    replicas: BVec<(u32, u32)>,
    counters: BVec<i64>,
}

impl Decode for WireDot {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(WireDot(r.u32()?, r.u64()?))
    }
}

impl Decode for WireRanges {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(WireRanges(r.u32()?, Decode::decode(r)?))
    }
}

impl Decode for WireDotSets {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(WireDotSets {
            counts: Decode::decode(r)?,
            replicas: Decode::decode(r)?,
            counters: Decode::decode(r)?,
        })
    }
}

#[allow(clippy::arithmetic_side_effects)] // guarded: `*run < u32::MAX`
fn push_run(col: &mut Vec<(u32, u32)>, value: u32) {
    match col.last_mut() {
        Some((run, v)) if *v == value && *run < u32::MAX => *run += 1,
        _ => col.push((1, value)),
    }
}

impl WireDotSets {
    pub(crate) fn encode<'a>(table: &TableBuilder, sets: impl Iterator<Item = &'a DotSet>) -> Self {
        let mut out = WireDotSets::default();
        let mut prev: u64 = 0;
        for set in sets {
            push_run(&mut out.counts.0, set.len() as u32);
            for dot in set.iter() {
                push_run(&mut out.replicas.0, table.idx(dot.replica));
                out.counters.0.push(dot.counter.wrapping_sub(prev) as i64);
                prev = dot.counter;
            }
        }
        out
    }

    /// Decodes exactly `entries` dot sets. `allow_empty` admits empty sets
    /// (removal markers in deltas).
    pub(crate) fn decode(
        &self,
        table: &Table,
        entries: usize,
        allow_empty: bool,
    ) -> Result<Vec<DotSet>> {
        // Sums of counts from the input: checked, a hostile column may
        // overflow them.
        let mismatch = DecodeError::Invalid(crate::error::Invalid::DotCountMismatch);
        fn sum(it: impl Iterator<Item = Option<u64>>) -> Option<u64> {
            let mut it = it;
            it.try_fold(0u64, |acc, x| acc.checked_add(x?))
        }
        let runs_total =
            sum(self.counts.0.iter().map(|r| Some(u64::from(r.0)))).ok_or(mismatch.clone())?;
        if runs_total != entries as u64 || self.counts.0.iter().any(|r| r.0 == 0) {
            return Err(DecodeError::Invalid(
                crate::error::Invalid::DotCountMismatch,
            ));
        }
        let dots_total = sum(self
            .counts
            .0
            .iter()
            .map(|r| u64::from(r.0).checked_mul(u64::from(r.1))))
        .ok_or(mismatch.clone())?;
        let replica_total =
            sum(self.replicas.0.iter().map(|r| Some(u64::from(r.0)))).ok_or(mismatch)?;
        if dots_total != self.counters.0.len() as u64
            || replica_total != dots_total
            || self.replicas.0.iter().any(|r| r.0 == 0)
        {
            return Err(DecodeError::Invalid(
                crate::error::Invalid::DotColumnsDisagree,
            ));
        }
        let mut out = Vec::with_capacity(entries);
        let mut reps = self
            .replicas
            .0
            .iter()
            .flat_map(|&(run, idx)| core::iter::repeat_n(idx, run as usize));
        let mut counters = self.counters.0.iter();
        let mut prev: u64 = 0;
        for &(run, count) in &self.counts.0 {
            if count == 0 && !allow_empty {
                return Err(DecodeError::Invalid(crate::error::Invalid::EmptyDotSet));
            }
            for _ in 0..run {
                let mut set = DotSet::default();
                let mut last: Option<Dot> = None;
                for _ in 0..count {
                    let idx = reps.next().expect("lengths checked");
                    let delta = *counters.next().expect("lengths checked");
                    prev = prev.wrapping_add(delta as u64);
                    let dot = table.dot(WireDot(idx, prev))?;
                    if last.is_some_and(|l| l >= dot) {
                        return Err(DecodeError::Invalid(crate::error::Invalid::DotSetUnsorted));
                    }
                    last = Some(dot);
                    set.insert(dot);
                }
                out.push(set);
            }
        }
        Ok(out)
    }
}

/// Requires a strictly increasing sequence (canonical order, no duplicate).
pub(crate) fn strictly_sorted<T: Ord>(items: &[T], what: crate::error::Invalid) -> Result<()> {
    if items.windows(2).all(|w| w[0] < w[1]) {
        Ok(())
    } else {
        Err(DecodeError::Invalid(what))
    }
}

/// Decodes the entries of a dot function: each dot valid and in the
/// context, dots strictly increasing. `value` turns a wire entry's payload
/// into the stored value.
pub(crate) fn decode_dot_fun<W, V>(
    table: &Table,
    ctx: &CausalContext,
    entries: Vec<(WireDot, W)>,
    mut value: impl FnMut(W) -> V,
) -> Result<Vec<(Dot, V)>> {
    let mut items: Vec<(Dot, V)> = Vec::with_capacity(entries.len());
    for (wd, w) in entries {
        let d = table.dot(wd)?;
        dot_in_context(ctx, d)?;
        if items.last().is_some_and(|l| l.0 >= d) {
            return Err(DecodeError::Invalid(crate::error::Invalid::DotsUnsorted));
        }
        items.push((d, value(w)));
    }
    Ok(items)
}

/// Requires every live dot of a store to be in its context.
pub(crate) fn dot_in_context(ctx: &CausalContext, dot: Dot) -> Result<()> {
    if ctx.contains(dot) {
        Ok(())
    } else {
        Err(DecodeError::Invalid(
            crate::error::Invalid::DotOutsideContext,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::ReplicaId;

    /// Issue #12, hole 2: the sums of a dot-set column's counts come from
    /// the input and used to overflow (a debug-build panic).
    #[test]
    fn dot_set_columns_with_overflowing_counts_are_refused() {
        let ids = IVec::from(alloc::vec![ReplicaId::new(1).get()]);
        let table = Table::decode(&ids).expect("a table");
        let hostile = WireDotSets {
            counts: BVec(alloc::vec![
                (u32::MAX, u32::MAX),
                (u32::MAX, u32::MAX),
                (2, 0)
            ]),
            replicas: BVec(alloc::vec![(u32::MAX, 0)]),
            counters: BVec(Vec::new()),
        };
        assert!(hostile.decode(&table, 2, false).is_err());
        let entries = u32::MAX as usize * 2 + 2;
        assert!(hostile.decode(&table, entries, true).is_err());
    }
}
