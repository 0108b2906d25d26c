//! Format version 2's sequence columns, for texts and lists of many runs.
//!
//! The same columns as version 1's [`WireSeq`] with three coded tighter:
//!
//! - the flags: a dictionary of the flag bytes that occur (a few: a run is
//!   deleted or not, its left origin is the previous run or explicit, its
//!   right origin the next run or explicit), then each run's index into it
//!   bit-packed (4 bits where version 1 spends a byte);
//! - origins a reader can infer are left out: a run's left origin is
//!   often the last item of the nearest run before it (in column order)
//!   by the same replica with a lower counter, and its right origin the
//!   first item of the nearest such run after it — always so for a single
//!   writer's text, whose items between an origin and the run were all
//!   typed later. Flag modes 3 (`LEFT_INFERRED`, `RIGHT_INFERRED`) say so;
//! - the remaining explicit origins: their replica indexes run-length coded,
//!   their distances in a column of their own.
//!
//! On the automerge-paper trace's snapshot (12,487 runs, 12,479 explicit
//! origins in version 1, none in version 2) this saves 36.5 KB of the
//! 121.6 KB left after packing the text. A node is written this way only
//! when it has [`COMPACT_MIN_RUNS`] runs or more (or its text is packed):
//! a keystroke's delta stays in version 1, which every reader reads.

use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use super::bounded::{bytes, BVec};
use super::packed::TextColumn;
use super::read::{Decode, Reader};
use super::seq::{WireSeq, LEFT_EXPLICIT, LEFT_MASK, RIGHT_EXPLICIT, RIGHT_MASK};
use crate::error::{DecodeError, Invalid};
use crate::sorted_map::SortedMap;

/// Nodes with fewer runs keep version 1's columns.
pub(crate) const COMPACT_MIN_RUNS: usize = 16;

/// A sequence node's columns in the oldest version that holds them.
pub(crate) enum Columns<T, U> {
    V1(WireSeq<T>),
    V2(CompactSeq<U>),
}

/// A text node's columns: version 2's when its content packs or it has
/// many runs, else version 1's.
#[inline(never)] // one copy: the wasm package's size
pub(crate) fn text_columns(w: WireSeq<String>) -> Columns<String, TextColumn> {
    let packed = super::packed::pack(&w.content);
    if packed.is_none() && w.lens.0.len() < COMPACT_MIN_RUNS {
        return Columns::V1(w);
    }
    let (w, text) = w.take_content(());
    let col = match packed {
        Some(p) => TextColumn::Packed(p),
        None => TextColumn::Plain(text),
    };
    Columns::V2(CompactSeq::from_wire(w.with_content(col)))
}

/// A list node's columns: version 2's when it has many runs.
#[inline(never)] // one copy: the wasm package's size
pub(crate) fn list_columns<T>(w: WireSeq<T>) -> Columns<T, T> {
    if w.lens.0.len() >= COMPACT_MIN_RUNS {
        Columns::V2(CompactSeq::from_wire(w))
    } else {
        Columns::V1(w)
    }
}

/// Version 1's text columns from version 2's, the text unpacked.
#[inline(never)] // one copy: the wasm package's size
pub(crate) fn text_from_v2(c: CompactSeq<TextColumn>) -> Result<WireSeq<String>, DecodeError> {
    let (w, col) = c.into_wire()?.take_content(());
    Ok(w.with_content(col.into_string()?))
}

/// A sequence node's columns in format version 2.
#[derive(Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub(crate) struct CompactSeq<T> {
    /// Everything but the content and the deletions: one non-generic
    /// codec for texts and lists (postcard writes a nested struct's fields
    /// as if they were this one's).
    pub(super) runs: CompactRuns,
    pub(super) content: T,
    pub(super) dels: BVec<(u32, u64, u32)>,
}

#[derive(Clone, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub(super) struct CompactRuns {
    pub(super) reps: BVec<(u32, u32)>,
    pub(super) ctrs: BVec<i64>,
    pub(super) lens: BVec<u32>,
    /// The distinct flag bytes, in order of first use.
    #[serde(with = "bytes")]
    pub(super) flag_values: Vec<u8>,
    /// Per run, the index of its flag byte in `flag_values`, in as many
    /// bits as the largest index needs, least significant bit first.
    #[serde(with = "bytes")]
    pub(super) flag_bits: Vec<u8>,
    /// (replica index, number of consecutive explicit origins naming it).
    pub(super) origin_reps: BVec<(u32, u32)>,
    /// The explicit origins' distances (as version 1 counts them).
    pub(super) origin_backs: BVec<i64>,
}

impl<T: Decode> Decode for CompactSeq<T> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(CompactSeq {
            runs: CompactRuns::decode(r)?,
            content: T::decode(r)?,
            dels: Decode::decode(r)?,
        })
    }
}

impl Decode for CompactRuns {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(CompactRuns {
            reps: Decode::decode(r)?,
            ctrs: Decode::decode(r)?,
            lens: Decode::decode(r)?,
            flag_values: r.bytes()?.to_vec(),
            flag_bits: r.bytes()?.to_vec(),
            origin_reps: Decode::decode(r)?,
            origin_backs: Decode::decode(r)?,
        })
    }
}

/// Version 1's run columns (a [`WireSeq`] without content and deletions).
struct Runs {
    reps: BVec<(u32, u32)>,
    ctrs: BVec<i64>,
    lens: BVec<u32>,
    flags: Vec<u8>,
    origins: BVec<(u32, i64)>,
}

/// Flag modes of version 2 only: the origin is inferred (module docs).
pub(crate) const LEFT_INFERRED: u8 = 3 << 1;
pub(crate) const RIGHT_INFERRED: u8 = 3 << 3;

/// No run (in [`Neighbours`]).
const NO_RUN: u32 = u32::MAX;

/// For each run: its first counter (counted from zero per replica, as the
/// `ctrs` column gives them: counters are only compared within a replica,
/// so any base will do), and the nearest run before it and the nearest
/// after it (in column order) by the same replica with a lower first
/// counter (lower or equal after it: equal counters mean overlapping runs,
/// refused later) ([`NO_RUN`] when there is none).
struct Neighbours {
    firsts: Vec<i64>,
    before: Vec<u32>,
    after: Vec<u32>,
}

impl Neighbours {
    /// `None` when the columns disagree in length or the counters
    /// overflow (the blob is refused).
    fn of(reps: &[(u32, u32)], ctrs: &[i64], lens: &[u32]) -> Option<Neighbours> {
        let n = ctrs.len();
        if lens.len() != n || u32::try_from(n).ok()? == NO_RUN {
            return None;
        }
        // A dense slot per replica, looked up once per replica-column entry.
        // (`SortedMap<u32, u32>`: the tree's index already has its code.)
        let mut slots: SortedMap<u32, u32> = SortedMap::new();
        let mut slot_of: Vec<u32> = Vec::with_capacity(n);
        let mut firsts = Vec::with_capacity(n);
        let mut ends: Vec<i64> = Vec::new();
        for &(rep, count) in reps {
            let slot = match slots.get(&rep) {
                Some(&s) => s as usize,
                None => {
                    let slot = ends.len();
                    slots.insert(rep, slot as u32);
                    ends.push(0);
                    slot
                }
            };
            for _ in 0..count {
                let i = firsts.len();
                let first = ends[slot].checked_add(*ctrs.get(i)?)?;
                ends[slot] = first.checked_add(i64::from(lens[i]))?;
                firsts.push(first);
                slot_of.push(slot as u32);
            }
        }
        if firsts.len() != n {
            return None;
        }
        // One pass with a stack per replica of runs with rising counters:
        // a run pops the runs it is lower than (it is their `after`), and
        // the top left is its `before`.
        let mut stacks: Vec<Vec<u32>> = alloc::vec![Vec::new(); ends.len()];
        let mut before = alloc::vec![NO_RUN; n];
        let mut after = alloc::vec![NO_RUN; n];
        for i in 0..n {
            let stack = &mut stacks[slot_of[i] as usize];
            while let Some(&j) = stack.last() {
                if firsts[j as usize] < firsts[i] {
                    before[i] = j;
                    break;
                }
                after[j as usize] = i as u32;
                stack.pop();
            }
            stack.push(i as u32);
        }
        Some(Neighbours {
            firsts,
            before,
            after,
        })
    }

    /// The inferred left origin of run `i`: the last item of the run
    /// before it.
    fn left(&self, i: usize, lens: &[u32]) -> Option<i64> {
        let j = *self.before.get(i).filter(|j| **j != NO_RUN)? as usize;
        self.firsts[j]
            .checked_add(i64::from(lens[j]))?
            .checked_sub(1)
    }

    /// The inferred right origin of run `i`: the first item of the run
    /// after it.
    fn right(&self, i: usize) -> Option<i64> {
        let j = *self.after.get(i).filter(|j| **j != NO_RUN)? as usize;
        Some(self.firsts[j])
    }
}

/// The flag byte of each of `n` runs: `bits` holds one index into
/// `values` a run, in as many bits as the largest index needs (`None`
/// when the columns disagree: too many values, none, the wrong number of
/// bits, an index past the values).
pub(super) fn flag_column(bits: &[u8], values: &[u8], n: usize) -> Option<Vec<u8>> {
    let mut reader = FlagReader::<256>::new(bits, values, n)?;
    (0..n).map(|_| reader.next()).collect()
}

/// The flag bytes of `n` runs, read one by one from their packed indexes
/// (what [`flag_column`] builds a column of; the lazy check reads them
/// as it goes), from a dictionary of at most `N` values (a power of two
/// up to 256: the lazy check's 16 keep its dictionary in a few words).
pub(super) struct FlagReader<'a, const N: usize> {
    bits: core::slice::Iter<'a, u8>,
    /// The dictionary (zeros past its end).
    values: [u8; N],
    /// How many values it has: a greater index is refused.
    len: u32,
    buf: u32,
    have: u32,
    width: u32,
}

impl<'a, const N: usize> FlagReader<'a, N> {
    /// `None` when the bits are not `n` indexes into `values` (more than
    /// `N` values, none for some runs, the wrong number of bits).
    pub(super) fn new(bits: &'a [u8], values: &[u8], n: usize) -> Option<Self> {
        if n > 0 && values.is_empty() {
            return None;
        }
        let width = index_width(values.len());
        if bits.len() != n.checked_mul(width as usize)?.div_ceil(8) {
            return None;
        }
        let mut dict = [0u8; N];
        dict.get_mut(..values.len())?.copy_from_slice(values);
        Some(FlagReader {
            bits: bits.iter(),
            values: dict,
            len: values.len() as u32,
            buf: 0,
            have: 0,
            width,
        })
    }

    /// The next run's flag byte (`None`: its index is past the
    /// dictionary).
    pub(super) fn next(&mut self) -> Option<u8> {
        let (flag, known) = self.next_raw();
        known.then_some(flag)
    }

    /// The next run's flag byte, and whether its index is in the
    /// dictionary (for a caller that refuses it without a branch).
    #[inline(always)]
    #[allow(clippy::arithmetic_side_effects)] // `have < width <= 8` before a refill
    pub(super) fn next_raw(&mut self) -> (u8, bool) {
        if self.have < self.width {
            self.buf |= u32::from(self.bits.next().copied().unwrap_or(0)) << self.have;
            self.have += 8;
        }
        let index = self.buf & ((1 << self.width) - 1);
        self.buf >>= self.width;
        self.have -= self.width;
        (self.values[index as usize & (N - 1)], index < self.len)
    }
}

/// How many items run-length `entries` (value, count) cover.
pub(super) fn covered<T>(entries: &[(T, u32)]) -> Option<usize> {
    entries
        .iter()
        .try_fold(0usize, |acc, r| acc.checked_add(r.1 as usize))
}

/// Bits an index below `n` needs (0 when there is at most one value).
fn index_width(n: usize) -> u32 {
    n.saturating_sub(1)
        .checked_ilog2()
        .map_or(0, |l| l.saturating_add(1))
}

impl<T> CompactSeq<T> {
    /// Version 1's columns coded the version-2 way.
    #[inline(never)] // one copy: the wasm package's size
    pub(crate) fn from_wire(w: WireSeq<T>) -> CompactSeq<T> {
        let runs = Runs {
            reps: BVec(w.reps.into_vec()),
            ctrs: BVec(w.ctrs.into_vec()),
            lens: BVec(w.lens.into_vec()),
            flags: w.flags.into_vec(),
            origins: BVec(w.origins.into_vec()),
        };
        CompactSeq {
            runs: CompactRuns::code(runs),
            content: w.content,
            dels: BVec(w.dels.into_vec()),
        }
    }

    /// Version 1's columns again, checking the codings.
    #[inline(never)] // one copy: the wasm package's size
    pub(crate) fn into_wire(self) -> Result<WireSeq<T>, DecodeError> {
        let mut w = self.runs.into_listing()?.with_content(self.content);
        w.dels = self.dels.0.into();
        Ok(w)
    }
}

impl CompactRuns {
    /// Version 1's columns of these runs, without content or deletions.
    pub(super) fn into_listing(self) -> Result<WireSeq<()>, DecodeError> {
        let r = self.expand()?;
        Ok(WireSeq {
            reps: r.reps.0.into(),
            ctrs: r.ctrs.0.into(),
            lens: r.lens.0.into(),
            flags: r.flags.into(),
            origins: r.origins.0.into(),
            content: (),
            dels: Default::default(),
        })
    }

    #[allow(clippy::arithmetic_side_effects)] // encodes in-memory state (trusted)
    fn code(mut w: Runs) -> CompactRuns {
        infer_origins(&mut w);
        let flags = w.flags.iter().map(|&f| (f, 1));
        let (flag_values, flag_bits) = pack_flags(flags, w.flags.len())
            .expect("a run a flag, and runs in memory take more than a byte each");
        let mut origin_reps: Vec<(u32, u32)> = Vec::new();
        let mut origin_backs = Vec::with_capacity(w.origins.0.len());
        for (rep, back) in w.origins.0 {
            match origin_reps.last_mut() {
                Some((r, n)) if *r == rep => *n += 1,
                _ => origin_reps.push((rep, 1)),
            }
            origin_backs.push(back);
        }
        CompactRuns {
            reps: w.reps,
            ctrs: w.ctrs,
            lens: w.lens,
            flag_values,
            flag_bits,
            origin_reps: BVec(origin_reps),
            origin_backs: BVec(origin_backs),
        }
    }

    /// What is expanded is bounded by columns the input holds (one flag
    /// per run length, one origin replica per distance), so a blob cannot
    /// claim more.
    fn expand(self) -> Result<Runs, DecodeError> {
        let bad = |what| DecodeError::Invalid(what);
        let n = self.lens.0.len();
        let flags = flag_column(&self.flag_bits, &self.flag_values, n)
            .ok_or(bad(Invalid::SeqFlagColumn))?;
        if covered(&self.origin_reps.0) != Some(self.origin_backs.0.len()) {
            return Err(bad(Invalid::OriginReplicaColumn));
        }
        let mut origins = Vec::with_capacity(self.origin_backs.0.len());
        let mut backs = self.origin_backs.0.into_iter();
        for (rep, count) in self.origin_reps.0 {
            origins.extend(backs.by_ref().take(count as usize).map(|b| (rep, b)));
        }
        let mut runs = Runs {
            reps: self.reps,
            ctrs: self.ctrs,
            lens: self.lens,
            flags,
            origins: BVec(origins),
        };
        restore_origins(&mut runs)?;
        Ok(runs)
    }
}

/// The flags of `n` runs, given as (flag, how many runs in a row have
/// it), as version 2 codes them: a dictionary in order of first use and
/// each run's index into it, bit-packed as [`flag_column`] reads them.
/// `None` when the counts do not add up to `n` or `n` runs' bits do not
/// fit in memory. Linear in the pairs and `n` (version 4's reader builds
/// its flags with it from hostile input); pairs of no runs add nothing.
#[allow(clippy::arithmetic_side_effects)] // `at / 8 + 1`, `at % 8` cannot overflow; an index below 256 shifted by less than 8 fits a u16
pub(super) fn pack_flags(
    runs: impl Iterator<Item = (u8, u32)> + Clone,
    n: usize,
) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut values: Vec<u8> = Vec::new();
    let mut index = [u16::MAX; 256];
    let mut total = 0usize;
    for (f, count) in runs.clone().filter(|r| r.1 > 0) {
        total = total.checked_add(count as usize)?;
        if index[usize::from(f)] == u16::MAX {
            index[usize::from(f)] = values.len() as u16;
            values.push(f);
        }
    }
    if total != n {
        return None;
    }
    let width = index_width(values.len()) as usize;
    let mut bits = alloc::vec![0u8; n.checked_mul(width)?.div_ceil(8)];
    if width > 0 {
        let mut at = 0usize;
        for (f, count) in runs {
            let i = index[usize::from(f)];
            for _ in 0..count {
                // An index spans at most two bytes (width <= 8).
                let v = i << (at % 8);
                *bits.get_mut(at / 8)? |= v as u8;
                if let Some(b) = bits.get_mut(at / 8 + 1) {
                    *b |= (v >> 8) as u8;
                }
                at = at.checked_add(width)?;
            }
        }
    }
    Some((values, bits))
}

/// Replaces the explicit origins a reader can infer by the inferred modes.
#[allow(clippy::arithmetic_side_effects)] // encodes in-memory state (trusted)
fn infer_origins(w: &mut Runs) {
    let Some(nb) = Neighbours::of(&w.reps.0, &w.ctrs.0, &w.lens.0) else {
        return;
    };
    let mut reps = w
        .reps
        .0
        .iter()
        .flat_map(|&(r, n)| core::iter::repeat_n(r, n as usize));
    let mut explicit = core::mem::take(&mut w.origins.0).into_iter();
    let mut kept = Vec::new();
    for (i, f) in w.flags.iter_mut().enumerate() {
        let rep = reps.next().unwrap_or(u32::MAX);
        // An explicit origin by the run's replica, naming the item the rule
        // infers, is left out; any other is kept.
        let mut keep_unless = |inferred: Option<i64>| {
            let origin = explicit.next();
            let named = origin.and_then(|(r, back)| (r == rep).then(|| nb.firsts[i] - back));
            let drop = named.is_some() && named == inferred;
            if !drop {
                kept.extend(origin);
            }
            drop
        };
        if *f & LEFT_MASK == LEFT_EXPLICIT && keep_unless(nb.left(i, &w.lens.0)) {
            *f = (*f & !LEFT_MASK) | LEFT_INFERRED;
        }
        if *f & RIGHT_MASK == RIGHT_EXPLICIT && keep_unless(nb.right(i)) {
            *f = (*f & !RIGHT_MASK) | RIGHT_INFERRED;
        }
    }
    kept.extend(explicit);
    w.origins.0 = kept;
}

/// Puts the inferred origins back as explicit ones (version 1's columns).
fn restore_origins(w: &mut Runs) -> Result<(), DecodeError> {
    let inferred = |f: &u8| f & LEFT_MASK == LEFT_INFERRED || f & RIGHT_MASK == RIGHT_INFERRED;
    if !w.flags.iter().any(inferred) {
        return Ok(());
    }
    let bad = DecodeError::Invalid(Invalid::InferredOrigin);
    let n = w.flags.len();
    if w.ctrs.0.len() != n || w.lens.0.len() != n {
        return Err(DecodeError::Invalid(Invalid::SeqColumnsLength));
    }
    let nb = Neighbours::of(&w.reps.0, &w.ctrs.0, &w.lens.0).ok_or(bad.clone())?;
    let mut reps = w
        .reps
        .0
        .iter()
        .flat_map(|&(r, n)| core::iter::repeat_n(r, n as usize));
    let mut explicit = core::mem::take(&mut w.origins.0).into_iter();
    let mut all = Vec::with_capacity(explicit.len().saturating_add(w.flags.len()));
    for (i, f) in w.flags.iter_mut().enumerate() {
        let rep = reps.next().ok_or(bad.clone())?;
        // As version 1 counts a same-replica origin: back from the run.
        let back = |item: Option<i64>| -> Result<(u32, i64), DecodeError> {
            let item = item.ok_or(bad.clone())?;
            Ok((rep, nb.firsts[i].checked_sub(item).ok_or(bad.clone())?))
        };
        match *f & LEFT_MASK {
            LEFT_EXPLICIT => all.push(explicit.next().ok_or(bad.clone())?),
            LEFT_INFERRED => {
                all.push(back(nb.left(i, &w.lens.0))?);
                *f = (*f & !LEFT_MASK) | LEFT_EXPLICIT;
            }
            _ => {}
        }
        match *f & RIGHT_MASK {
            RIGHT_EXPLICIT => all.push(explicit.next().ok_or(bad.clone())?),
            RIGHT_INFERRED => {
                all.push(back(nb.right(i))?);
                *f = (*f & !RIGHT_MASK) | RIGHT_EXPLICIT;
            }
            _ => {}
        }
    }
    // Leftover explicit origins: version 1's decoder refuses them.
    all.extend(explicit);
    w.origins.0 = all;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::bounded::IVec;
    use super::*;
    use crate::{ReplicaId, Text, VersionVector};

    fn wire(flags: Vec<u8>, origins: Vec<(u32, i64)>) -> WireSeq<String> {
        let n = flags.len();
        WireSeq {
            reps: IVec::from(alloc::vec![(0, n as u32)]),
            ctrs: IVec::from(alloc::vec![1; n]),
            lens: IVec::from(alloc::vec![1; n]),
            flags: flags.into(),
            origins: IVec::from(origins),
            content: String::new(),
            dels: IVec::from(Vec::new()),
        }
    }

    /// Version 1's flag bytes: deleted, left mode 0-2, right mode 0-2.
    fn v1_flag(i: usize) -> u8 {
        let (del, left, right) = (i % 2, (i / 2) % 3, (i / 6) % 3);
        (del | left << 1 | right << 3) as u8
    }

    #[test]
    fn flags_and_origins_survive_the_round_trip() {
        for k in [1usize, 2, 3, 5, 9, 18] {
            // k distinct flag values over 100 runs: widths 0 to 5 bits.
            let flags: Vec<u8> = (0..100).map(|i| v1_flag((i * 7) % k)).collect();
            let explicit = flags
                .iter()
                .map(|f| {
                    usize::from(f & LEFT_MASK == LEFT_EXPLICIT)
                        + usize::from(f & RIGHT_MASK == RIGHT_EXPLICIT)
                })
                .sum::<usize>();
            // Origins of another replica (never inferred) and of the run's.
            let origins: Vec<(u32, i64)> = (0..explicit)
                .map(|i| ((i / 7 % 2) as u32, i as i64 - 9))
                .collect();
            let w = wire(flags.clone(), origins.clone());
            let back = CompactSeq::from_wire(w).into_wire().unwrap();
            assert_eq!(back.flags.into_vec(), flags, "k = {k}");
            assert_eq!(back.origins.into_vec(), origins);
        }
    }

    #[test]
    fn a_few_bits_a_run_for_the_flags_and_one_pair_for_a_writer() {
        let flags: Vec<u8> = (0..1000)
            .map(|i| [8, 9, 12, 13, 16, 17, 20, 21, 2][i % 9])
            .collect();
        let explicit = flags
            .iter()
            .filter(|f| *f & LEFT_MASK == LEFT_EXPLICIT)
            .count()
            + flags
                .iter()
                .filter(|f| *f & RIGHT_MASK == RIGHT_EXPLICIT)
                .count();
        // Distances no neighbour explains: nothing is inferred.
        let origins = (0..explicit).map(|i| (3, 1000 + i as i64)).collect();
        let c = CompactSeq::from_wire(wire(flags, origins));
        assert_eq!(c.runs.flag_bits.len(), 500);
        assert_eq!(c.runs.origin_reps.0, [(3, explicit as u32)]);
    }

    /// A text's columns as a snapshot lists them, and as version 2 codes them.
    fn columns(t: &Text) -> (WireSeq<String>, CompactSeq<String>) {
        use super::super::columns::TableBuilder;
        use super::super::seq::{encode_parts, Bases};
        let table = TableBuilder::new(&t.ctx, t.seq.replicas().to_vec());
        let mut bases = Bases::new(table.replicas(), &t.ctx, None);
        let w = encode_parts(&table, &mut bases, &t.seq, &[], &[]);
        let again = encode_parts(&table, &mut bases, &t.seq, &[], &[]);
        (w, CompactSeq::from_wire(again))
    }

    fn same(a: &WireSeq<String>, b: &WireSeq<String>) -> bool {
        a.reps.0 == b.reps.0
            && a.ctrs.0 == b.ctrs.0
            && a.lens.0 == b.lens.0
            && a.flags == b.flags
            && a.origins.0 == b.origins.0
            && a.content == b.content
    }

    /// Positions from a small generator (no randomness in the core).
    fn lcg(x: &mut u64) -> usize {
        *x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*x >> 33) as usize
    }

    #[test]
    fn a_single_writers_text_needs_no_explicit_origin() {
        let mut t = Text::new(ReplicaId::new(1));
        let mut x = 7;
        for i in 0..2000 {
            let at = if t.is_empty() {
                0
            } else {
                lcg(&mut x) % (t.len() + 1)
            };
            if i % 5 == 4 && t.len() > 3 {
                t.delete(at.min(t.len() - 2), 2).unwrap();
            } else {
                t.insert(at, "ab").unwrap();
            }
        }
        let (w, c) = columns(&t);
        assert!(
            w.origins.0.len() > 500,
            "version 1 names {} origins",
            w.origins.0.len()
        );
        assert!(
            c.runs.origin_backs.0.is_empty(),
            "{} left",
            c.runs.origin_backs.0.len()
        );
        assert!(same(&c.into_wire().unwrap(), &w));
    }

    #[test]
    fn concurrent_writers_round_trip_whatever_is_inferred() {
        for seed in 0..20u64 {
            let mut x = seed;
            let mut a = Text::new(ReplicaId::new(1));
            let mut b = Text::new(ReplicaId::new(2));
            let mut synced = VersionVector::new();
            for round in 0..30 {
                for t in [&mut a, &mut b] {
                    for _ in 0..(lcg(&mut x) % 4) {
                        let at = lcg(&mut x) % (t.len() + 1);
                        if lcg(&mut x) % 3 == 0 && !t.is_empty() {
                            t.delete(at.min(t.len() - 1), 1).unwrap();
                        } else {
                            t.insert(at, "xyz").unwrap();
                        }
                    }
                }
                if round % 3 == 0 {
                    let to_b = a.encode_since(&synced);
                    let to_a = b.encode_since(&synced);
                    if let Some(d) = to_b {
                        b.apply(&d).unwrap();
                    }
                    if let Some(d) = to_a {
                        a.apply(&d).unwrap();
                    }
                    synced = a.version();
                }
            }
            let (w, c) = columns(&a);
            assert!(same(&c.into_wire().unwrap(), &w), "seed {seed}");
            let all = a.encode_since(&VersionVector::new()).unwrap();
            let mut fresh = Text::new(ReplicaId::new(3));
            fresh.apply(&all).unwrap();
            assert_eq!(fresh.to_bytes(), a.to_bytes(), "seed {seed}");
        }
    }

    #[test]
    fn flag_columns_refuse_what_does_not_add_up() {
        // Three values, two bits a run; the fourth run's index 3 is past them.
        assert_eq!(
            flag_column(&[0b10_01_00], &[5, 6, 7], 3).unwrap(),
            [5, 6, 7]
        );
        assert!(flag_column(&[0b11_10_01_00], &[5, 6, 7], 4).is_none());
        // Runs without values, bits of the wrong length, too many values.
        assert!(flag_column(&[], &[], 1).is_none());
        assert!(flag_column(&[0, 0], &[5, 6, 7], 3).is_none());
        assert!(flag_column(&[0; 2], &[0; 257], 1).is_none());
        // One value: no bits at all; eight bits a run for 256 values.
        assert_eq!(flag_column(&[], &[9], 3).unwrap(), [9, 9, 9]);
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(flag_column(&[255, 0], &all, 2).unwrap(), [255, 0]);
    }

    #[test]
    fn flags_pack_from_pairs_that_cover_exactly_the_runs() {
        let pairs = [(9u8, 2u32), (4, 0), (3, 1), (9, 1)];
        let (values, bits) = pack_flags(pairs.iter().copied(), 4).unwrap();
        // The empty pair adds no value: two values, a bit a run.
        assert_eq!(values, [9, 3]);
        assert_eq!(flag_column(&bits, &values, 4).unwrap(), [9, 9, 3, 9]);
        assert!(pack_flags(pairs.iter().copied(), 3).is_none());
        assert!(pack_flags(pairs.iter().copied(), 5).is_none());
        assert!(pack_flags([(1u8, 2u32)].into_iter(), 3).is_none());
    }

    #[test]
    fn bad_codings_are_refused() {
        let good = || CompactSeq::from_wire(wire(alloc::vec![1, 2, 1, 3], Vec::new()));
        let err = |c: CompactSeq<String>| c.into_wire().err().expect("refused");
        let mut c = good();
        c.runs.flag_bits.push(0);
        assert_eq!(err(c), DecodeError::Invalid(Invalid::SeqFlagColumn));
        let mut c = good();
        c.runs.flag_values.clear();
        assert_eq!(err(c), DecodeError::Invalid(Invalid::SeqFlagColumn));
        let mut c = good();
        // Three values, two bits each: index 3 points past the dictionary.
        c.runs.flag_bits = alloc::vec![0b1100_0000];
        assert_eq!(err(c), DecodeError::Invalid(Invalid::SeqFlagColumn));
        let mut c = good();
        c.runs.origin_backs.0 = alloc::vec![1, 2];
        c.runs.origin_reps.0 = alloc::vec![(0, u32::MAX)];
        assert_eq!(err(c), DecodeError::Invalid(Invalid::OriginReplicaColumn));
        let mut c = good();
        c.runs.origin_backs.0 = alloc::vec![1, 2];
        c.runs.origin_reps.0 = alloc::vec![(0, 1), (0, 0)];
        assert_eq!(err(c), DecodeError::Invalid(Invalid::OriginReplicaColumn));
        // An inferred left origin of the first run names nothing.
        let mut c = good();
        c.runs.flag_values[0] = LEFT_INFERRED;
        assert_eq!(err(c), DecodeError::Invalid(Invalid::InferredOrigin));
        // Counters that overflow while inferring.
        let mut c = good();
        c.runs.flag_values[1] = RIGHT_INFERRED;
        c.runs.ctrs.0[1] = i64::MAX;
        assert_eq!(err(c), DecodeError::Invalid(Invalid::InferredOrigin));
        // Columns of different lengths.
        let mut c = good();
        c.runs.flag_values[1] = RIGHT_INFERRED;
        c.runs.ctrs.0.pop();
        assert_eq!(err(c), DecodeError::Invalid(Invalid::SeqColumnsLength));
    }
}
