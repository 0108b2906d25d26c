//! Format version 4's sequence columns: version 2's with the counter,
//! length and flag columns run-length coded.
//!
//! A text typed backwards (every keystroke at the start) lists its runs
//! with the same counter step (−2), the same length (1) and the same flag,
//! thousands of times over: version 2 spends two bytes and a bit a run on
//! them, version 4 a few bytes in all. A node is written this way only
//! when it is smaller so (the counters of a text typed in random places
//! vary too much to repeat) and when it has no more runs than its content
//! has bytes: a reader refuses a blob whose sequences, of every version,
//! claim more runs in all than the blob has bytes (`Invalid::TooManyRuns`,
//! `runs_within` in `doc.rs`), so a few bytes of hostile input cannot make
//! it build millions of runs. Documents of nothing but deleted runs keep
//! version 2's columns.
//!
//! Decoding expands the columns into version 2's and goes on from there,
//! so the two versions share every later check and the lazy load.

use alloc::vec::Vec;

use serde::Serialize;

use super::bounded::BVec;
use super::compact::{covered, flag_column, pack_flags, CompactRuns, CompactSeq};
use super::read::{Decode, Reader};
use crate::error::{DecodeError, Invalid};

/// A sequence node's columns in format version 4.
#[derive(Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub(crate) struct RleSeq<T> {
    runs: RleRuns,
    content: T,
    dels: BVec<(u32, u64, u32)>,
}

/// Version 2's run columns with `ctrs`, `lens` and the flags as
/// (value, how many runs in a row have it). The values are varints, the
/// counters zigzag coded (as postcard codes an `i64`): one column type, so
/// one decoder.
#[derive(Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
struct RleRuns {
    reps: BVec<(u32, u32)>,
    ctrs: Repeats,
    lens: Repeats,
    flags: Repeats,
    origin_reps: BVec<(u32, u32)>,
    origin_backs: BVec<i64>,
}

impl<T: Decode> Decode for RleSeq<T> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(RleSeq {
            runs: RleRuns {
                reps: Decode::decode(r)?,
                ctrs: Decode::decode(r)?,
                lens: Decode::decode(r)?,
                flags: Decode::decode(r)?,
                origin_reps: Decode::decode(r)?,
                origin_backs: Decode::decode(r)?,
            },
            content: T::decode(r)?,
            dels: Decode::decode(r)?,
        })
    }
}

/// (value, count) pairs.
type Repeats = BVec<(u64, u32)>;

/// Bytes of `v` as a varint.
#[allow(clippy::arithmetic_side_effects)] // `ilog2` is below 64
fn varint_len(v: u64) -> usize {
    (v.max(1).ilog2() / 7 + 1) as usize
}

/// `v` zigzag coded.
fn zigzag(v: i64) -> u64 {
    (v.wrapping_shl(1) ^ v.wrapping_shr(63)) as u64
}

/// The `i64` whose zigzag code is `v`.
fn unzigzag(v: u64) -> i64 {
    (v.wrapping_shr(1) as i64) ^ ((v & 1) as i64).wrapping_neg()
}

/// `items` as (value, count) pairs of equal neighbours.
#[allow(clippy::arithmetic_side_effects)] // counts below `u32::MAX`
fn repeats(items: impl Iterator<Item = u64>) -> Repeats {
    let mut out: Vec<(u64, u32)> = Vec::new();
    for v in items {
        match out.last_mut() {
            Some((last, n)) if *last == v && *n < u32::MAX => *n += 1,
            _ => out.push((v, 1)),
        }
    }
    BVec(out)
}

/// Bytes of a column of pairs, its length prefix included.
fn pairs_len(pairs: &Repeats) -> usize {
    let prefix = varint_len(pairs.0.len() as u64);
    pairs.0.iter().fold(prefix, |acc, &(v, n)| {
        acc.saturating_add(varint_len(v))
            .saturating_add(varint_len(n.into()))
    })
}

/// Bytes of a plain column of varints, its length prefix included.
fn column_len(items: impl ExactSizeIterator<Item = u64>) -> usize {
    let prefix = varint_len(items.len() as u64);
    items.fold(prefix, |acc, v| acc.saturating_add(varint_len(v)))
}

/// A sequence node's columns as [`shorter`] chose them.
pub(crate) enum Chosen<T> {
    V2(CompactSeq<T>),
    V4(RleSeq<T>),
}

/// `c` in version 4's columns when they are smaller and its runs are no
/// more than `content_bytes` (the bytes its content takes in the blob);
/// else `c` as it was.
#[inline(never)] // one copy: the wasm package's size
pub(crate) fn shorter<T>(c: CompactSeq<T>, content_bytes: usize) -> Chosen<T> {
    let Some((ctrs, lens, flags)) = repeating(&c.runs, content_bytes) else {
        return Chosen::V2(c);
    };
    let CompactSeq {
        runs,
        content,
        dels,
    } = c;
    Chosen::V4(RleSeq {
        runs: RleRuns {
            reps: runs.reps,
            ctrs,
            lens,
            flags,
            origin_reps: runs.origin_reps,
            origin_backs: runs.origin_backs,
        },
        content,
        dels,
    })
}

/// The counter, length and flag columns coded as repeats, when that is
/// smaller and allowed ([`shorter`]).
#[inline(never)] // one copy: the wasm package's size
fn repeating(r: &CompactRuns, content_bytes: usize) -> Option<(Repeats, Repeats, Repeats)> {
    let n = r.lens.0.len();
    if n > content_bytes {
        return None;
    }
    let flags = flag_column(&r.flag_bits, &r.flag_values, n)?;
    let flags = repeats(flags.into_iter().map(u64::from));
    let ctrs = repeats(r.ctrs.0.iter().map(|&c| zigzag(c)));
    let lens = repeats(r.lens.0.iter().map(|&l| l.into()));
    let bytes = |b: &[u8]| varint_len(b.len() as u64).saturating_add(b.len());
    let before = column_len(r.ctrs.0.iter().map(|&c| zigzag(c)))
        .saturating_add(column_len(r.lens.0.iter().map(|&l| l.into())))
        .saturating_add(bytes(&r.flag_values))
        .saturating_add(bytes(&r.flag_bits));
    let after = pairs_len(&ctrs)
        .saturating_add(pairs_len(&lens))
        .saturating_add(pairs_len(&flags));
    (after < before).then_some((ctrs, lens, flags))
}

/// `pairs` expanded, each value read by `value` (`None`: out of range);
/// the caller has checked that they cover `n` items.
fn expand<T: Copy>(
    pairs: Repeats,
    n: usize,
    value: impl Fn(u64) -> Option<T>,
) -> Result<Vec<T>, DecodeError> {
    let bad = DecodeError::Invalid(Invalid::SeqRunCounts);
    let mut out = Vec::with_capacity(n);
    for (v, count) in pairs.0 {
        let v = value(v).ok_or(bad.clone())?;
        out.extend(core::iter::repeat_n(v, count as usize));
    }
    Ok(out)
}

impl<T> RleSeq<T> {
    /// How many runs the node claims (what [`Self::into_compact`] builds),
    /// checked against the blob's size before anything is expanded.
    pub(crate) fn claimed(&self) -> Result<usize, DecodeError> {
        covered(&self.runs.lens.0).ok_or(DecodeError::Invalid(Invalid::TooManyRuns))
    }

    /// Version 2's columns again, checking that every run-length column
    /// covers the same runs.
    #[inline(never)] // one copy: the wasm package's size
    pub(crate) fn into_compact(self) -> Result<CompactSeq<T>, DecodeError> {
        Ok(CompactSeq {
            runs: self.runs.expand()?,
            content: self.content,
            dels: self.dels,
        })
    }
}

impl RleRuns {
    #[inline(never)] // one copy: the wasm package's size
    fn expand(self) -> Result<CompactRuns, DecodeError> {
        let n = covered(&self.lens.0).ok_or(DecodeError::Invalid(Invalid::TooManyRuns))?;
        // Checked before anything is expanded.
        if covered(&self.ctrs.0) != Some(n) || covered(&self.flags.0) != Some(n) {
            return Err(DecodeError::Invalid(Invalid::SeqRunCounts));
        }
        let bad = DecodeError::Invalid(Invalid::SeqRunCounts);
        let mut flags = Vec::with_capacity(self.flags.0.len());
        for &(v, count) in &self.flags.0 {
            flags.push((u8::try_from(v).map_err(|_| bad.clone())?, count));
        }
        let (flag_values, flag_bits) = pack_flags(flags.iter().copied(), n)
            .ok_or(DecodeError::Invalid(Invalid::TooManyRuns))?;
        Ok(CompactRuns {
            reps: self.reps,
            ctrs: BVec(expand(self.ctrs, n, |v| Some(unzigzag(v)))?),
            lens: BVec(expand(self.lens, n, |v| u32::try_from(v).ok())?),
            flag_values,
            flag_bits,
            origin_reps: self.origin_reps,
            origin_backs: self.origin_backs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    fn compact(ctrs: Vec<i64>, lens: Vec<u32>, flags: Vec<u8>) -> CompactSeq<String> {
        let (flag_values, flag_bits) =
            pack_flags(flags.iter().map(|&f| (f, 1)), flags.len()).unwrap();
        CompactSeq {
            runs: CompactRuns {
                reps: BVec(alloc::vec![(0, ctrs.len() as u32)]),
                ctrs: BVec(ctrs),
                lens: BVec(lens),
                flag_values,
                flag_bits,
                origin_reps: BVec(Vec::new()),
                origin_backs: BVec(Vec::new()),
            },
            content: String::new(),
            dels: BVec(Vec::new()),
        }
    }

    fn columns(c: &CompactSeq<String>) -> (Vec<i64>, Vec<u32>, Vec<u8>, Vec<u8>) {
        let r = &c.runs;
        (
            r.ctrs.0.clone(),
            r.lens.0.clone(),
            r.flag_values.clone(),
            r.flag_bits.clone(),
        )
    }

    #[test]
    fn repeating_columns_shrink_and_round_trip() {
        let n = 1000;
        let mut flags = alloc::vec![10u8; n];
        flags[n - 1] = 2;
        let c = compact(alloc::vec![-2; n], alloc::vec![1; n], flags);
        let want = columns(&c);
        let Chosen::V4(r) = shorter(c, n) else {
            panic!("repeats shrink")
        };
        assert_eq!(r.runs.ctrs.0, [(zigzag(-2), n as u32)]);
        assert_eq!(r.runs.flags.0, [(10, n as u32 - 1), (2, 1)]);
        assert_eq!(r.claimed(), Ok(n));
        assert_eq!(columns(&r.into_compact().unwrap()), want);
    }

    #[test]
    fn varied_columns_and_runs_beyond_the_content_stay_in_version_2() {
        let n = 100;
        let ctrs = (0..n as i64).map(|i| i * 7 % 13).collect();
        let flags = (0..n).map(|i| (i % 3) as u8).collect();
        let v2 = |c| matches!(c, Chosen::V2(_));
        assert!(v2(shorter(compact(ctrs, alloc::vec![1; n], flags), n)));
        let same = || compact(alloc::vec![-2; n], alloc::vec![1; n], alloc::vec![0; n]);
        assert!(v2(shorter(same(), n - 1)), "more runs than content");
        assert!(!v2(shorter(same(), n)));
    }

    #[test]
    fn columns_that_disagree_are_refused_before_expanding() {
        let n = 50;
        let good = || match shorter(
            compact(alloc::vec![3; n], alloc::vec![1; n], alloc::vec![0; n]),
            n,
        ) {
            Chosen::V4(r) => r,
            Chosen::V2(_) => panic!("repeats shrink"),
        };
        let err = |r: RleSeq<String>| r.into_compact().err().expect("refused");
        let mut r = good();
        r.runs.ctrs.0.push((1, u32::MAX));
        assert_eq!(err(r), DecodeError::Invalid(Invalid::SeqRunCounts));
        let mut r = good();
        r.runs.flags.0[0].1 -= 1;
        assert_eq!(err(r), DecodeError::Invalid(Invalid::SeqRunCounts));
        let mut r = good();
        r.runs.lens.0.push((1, 1));
        assert_eq!(err(r), DecodeError::Invalid(Invalid::SeqRunCounts));
        // Values out of their column's range.
        let mut r = good();
        r.runs.flags.0[0].0 = 256;
        assert_eq!(err(r), DecodeError::Invalid(Invalid::SeqRunCounts));
        let mut r = good();
        r.runs.lens.0[0].0 = 1 << 32;
        assert_eq!(err(r), DecodeError::Invalid(Invalid::SeqRunCounts));
    }

    #[test]
    fn varint_lengths_match_postcard() {
        for v in [0u64, 1, 127, 128, 16_383, 16_384, u64::MAX] {
            assert_eq!(
                varint_len(v),
                postcard::to_allocvec(&v).unwrap().len(),
                "{v}"
            );
        }
        for v in [0i64, -1, 1, -64, 64, i64::MIN, i64::MAX] {
            assert_eq!(unzigzag(zigzag(v)), v);
            assert_eq!(
                postcard::to_allocvec(&zigzag(v)).unwrap(),
                postcard::to_allocvec(&v).unwrap()
            );
            assert_eq!(
                varint_len(zigzag(v)),
                postcard::to_allocvec(&v).unwrap().len(),
                "{v}"
            );
        }
    }
}
