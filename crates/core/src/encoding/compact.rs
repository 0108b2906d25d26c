//! Format version 2's sequence columns, for texts and lists of many runs.
//!
//! The same columns as version 1's [`WireSeq`] with two coded tighter:
//!
//! - the flags: a dictionary of the flag bytes that occur (a few: a run is
//!   deleted or not, its left origin is the previous run or explicit, its
//!   right origin the next run or explicit), then each run's index into it
//!   bit-packed (4 bits where version 1 spends a byte);
//! - the explicit origins: their replica indexes run-length coded (a
//!   single writer's text names one replica for every origin), their
//!   distances in a column of their own.
//!
//! On the automerge-paper trace's snapshot (12,487 runs) this saves 18 KB
//! of 121 KB. A node is written this way only when it has
//! [`COMPACT_MIN_RUNS`] runs or more (or its text is packed): a keystroke's
//! delta stays in version 1, which every reader reads.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::bounded::{bytes, BVec};
use super::packed::TextColumn;
use super::seq::WireSeq;
use crate::error::{DecodeError, Invalid};

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
#[derive(Serialize, Deserialize)]
pub(crate) struct CompactSeq<T> {
    /// Everything but the content and the deletions: one non-generic
    /// codec for texts and lists (postcard writes a nested struct's fields
    /// as if they were this one's).
    runs: CompactRuns,
    content: T,
    dels: BVec<(u32, u64, u32)>,
}

#[derive(Serialize, Deserialize)]
struct CompactRuns {
    reps: BVec<(u32, u32)>,
    ctrs: BVec<i64>,
    lens: BVec<u32>,
    /// The distinct flag bytes, in order of first use.
    #[serde(with = "bytes")]
    flag_values: Vec<u8>,
    /// Per run, the index of its flag byte in `flag_values`, in as many
    /// bits as the largest index needs, least significant bit first.
    #[serde(with = "bytes")]
    flag_bits: Vec<u8>,
    /// (replica index, number of consecutive explicit origins naming it).
    origin_reps: BVec<(u32, u32)>,
    /// The explicit origins' distances (as version 1 counts them).
    origin_backs: BVec<i64>,
}

/// Version 1's run columns (a [`WireSeq`] without content and deletions).
struct Runs {
    reps: BVec<(u32, u32)>,
    ctrs: BVec<i64>,
    lens: BVec<u32>,
    flags: Vec<u8>,
    origins: BVec<(u32, i64)>,
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
            reps: w.reps,
            ctrs: w.ctrs,
            lens: w.lens,
            flags: w.flags,
            origins: w.origins,
        };
        CompactSeq {
            runs: CompactRuns::code(runs),
            content: w.content,
            dels: w.dels,
        }
    }

    /// Version 1's columns again, checking the codings.
    #[inline(never)] // one copy: the wasm package's size
    pub(crate) fn into_wire(self) -> Result<WireSeq<T>, DecodeError> {
        let r = self.runs.expand()?;
        Ok(WireSeq {
            reps: r.reps,
            ctrs: r.ctrs,
            lens: r.lens,
            flags: r.flags,
            origins: r.origins,
            content: self.content,
            dels: self.dels,
        })
    }
}

impl CompactRuns {
    #[allow(clippy::arithmetic_side_effects)] // encodes in-memory state (trusted)
    fn code(w: Runs) -> CompactRuns {
        let mut flag_values: Vec<u8> = Vec::new();
        let mut indexes = Vec::with_capacity(w.flags.len());
        for f in &w.flags {
            let i = match flag_values.iter().position(|v| v == f) {
                Some(i) => i,
                None => {
                    flag_values.push(*f);
                    flag_values.len() - 1
                }
            };
            indexes.push(i as u8);
        }
        let width = index_width(flag_values.len());
        let mut flag_bits = alloc::vec![0u8; (indexes.len() * width as usize).div_ceil(8)];
        for (n, i) in indexes.iter().enumerate().filter(|_| width > 0) {
            let at = n * width as usize;
            // An index spans at most two bytes (width <= 8).
            let v = u16::from(*i) << (at % 8);
            flag_bits[at / 8] |= v as u8;
            if let Some(b) = flag_bits.get_mut(at / 8 + 1) {
                *b |= (v >> 8) as u8;
            }
        }
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
        let values = &self.flag_values;
        if values.len() > 256 || (n > 0 && values.is_empty()) {
            return Err(bad(Invalid::SeqFlagColumn));
        }
        let width = index_width(values.len()) as usize;
        let need = n
            .checked_mul(width)
            .map(|bits| bits.div_ceil(8))
            .ok_or(bad(Invalid::SeqFlagColumn))?;
        if self.flag_bits.len() != need {
            return Err(bad(Invalid::SeqFlagColumn));
        }
        let mut flags = Vec::with_capacity(n);
        let mask = (1u16 << width).wrapping_sub(1);
        let mut at = 0usize;
        for _ in 0..n {
            let (byte, shift) = (at / 8, at % 8);
            let lo = u16::from(self.flag_bits.get(byte).copied().unwrap_or(0));
            let hi = u16::from(
                self.flag_bits
                    .get(byte.wrapping_add(1))
                    .copied()
                    .unwrap_or(0),
            );
            let i = (((hi << 8) | lo) >> shift) & mask;
            flags.push(
                *values
                    .get(usize::from(i))
                    .ok_or(bad(Invalid::SeqFlagColumn))?,
            );
            at = at.wrapping_add(width);
        }
        let covered = self
            .origin_reps
            .0
            .iter()
            .try_fold(0usize, |acc, r| acc.checked_add(r.1 as usize));
        if covered != Some(self.origin_backs.0.len()) {
            return Err(bad(Invalid::OriginReplicaColumn));
        }
        let mut origins = Vec::with_capacity(self.origin_backs.0.len());
        let mut backs = self.origin_backs.0.into_iter();
        for (rep, count) in self.origin_reps.0 {
            origins.extend(backs.by_ref().take(count as usize).map(|b| (rep, b)));
        }
        Ok(Runs {
            reps: self.reps,
            ctrs: self.ctrs,
            lens: self.lens,
            flags,
            origins: BVec(origins),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(flags: Vec<u8>, origins: Vec<(u32, i64)>) -> WireSeq<String> {
        let n = flags.len();
        WireSeq {
            reps: BVec(alloc::vec![(0, n as u32)]),
            ctrs: BVec(alloc::vec![1; n]),
            lens: BVec(alloc::vec![1; n]),
            flags,
            origins: BVec(origins),
            content: String::new(),
            dels: BVec(Vec::new()),
        }
    }

    #[test]
    fn flags_and_origins_survive_the_round_trip() {
        for k in [0usize, 1, 2, 3, 5, 9, 17, 40] {
            // k distinct flag values over 100 runs: widths 0 to 6 bits.
            let flags: Vec<u8> = (0..100).map(|i| ((i * 7) % k.max(1)) as u8).collect();
            let origins: Vec<(u32, i64)> =
                (0..30).map(|i| ((i / 7) as u32, i as i64 - 9)).collect();
            let w = wire(flags.clone(), origins.clone());
            let back = CompactSeq::from_wire(w).into_wire().unwrap();
            assert_eq!(back.flags, flags, "k = {k}");
            assert_eq!(back.origins.0, origins);
        }
    }

    #[test]
    fn four_bits_a_run_for_the_flags_and_one_pair_for_a_writer() {
        let flags: Vec<u8> = (0..1000)
            .map(|i| [8, 9, 12, 13, 16, 17, 20, 21, 2][i % 9])
            .collect();
        let c = CompactSeq::from_wire(wire(flags, (0..500).map(|i| (3, i)).collect()));
        assert_eq!(c.runs.flag_bits.len(), 500);
        assert_eq!(c.runs.origin_reps.0, [(3, 500)]);
    }

    #[test]
    fn bad_codings_are_refused() {
        let good =
            || CompactSeq::from_wire(wire(alloc::vec![1, 2, 1, 3], alloc::vec![(0, 1), (0, 2)]));
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
        c.runs.origin_reps.0[0].1 = u32::MAX;
        assert_eq!(err(c), DecodeError::Invalid(Invalid::OriginReplicaColumn));
        let mut c = good();
        c.runs.origin_reps.0.push((0, 0));
        c.runs.origin_reps.0[0].1 = 1;
        assert_eq!(err(c), DecodeError::Invalid(Invalid::OriginReplicaColumn));
    }
}
