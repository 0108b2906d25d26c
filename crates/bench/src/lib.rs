//! Benchmark helpers: the fixtures shared by the benches that compare
//! converge with other CRDT libraries, built the same way on both sides so
//! that the two libraries hold the same logical state.
//!
//! Every fixture is deterministic: the same call always builds the same
//! state, so figures are comparable from one run to the next.
//!
//! The fixtures model two replicas that edited *concurrently*: replica A
//! adds (or writes) the lower range of members, replica B the upper range,
//! and the middle half of each range is edited on both sides, each replica
//! with its own dots. Neither side has seen the other's edits, so a merge
//! has to look at every element of both inputs, and the merged overlap holds
//! one add (or one register value) from each replica. See
//! `docs/benchmarks.md` for why this shape was chosen over a shared-history
//! one.

pub mod report;

use std::hint::black_box;

use converge_core::kernel::DotFun;
use converge_core::{AwSet, OrMap, PnCounter, ReplicaId};
use crdts::{CmRDT, CvRDT, MVReg, Map, Orswot, PNCounter};

/// Replica id of the first replica: a random-looking 64-bit id, as users are
/// told to draw them (the same value is the crdts actor id).
pub const REPLICA_A: u64 = 0x9E37_79B9_7F4A_7C15;

/// Replica id of the second replica (see [`REPLICA_A`]).
pub const REPLICA_B: u64 = 0xC2B2_AE3D_27D4_EB4F;

/// Number of members each side of the set benchmark holds.
pub const SET_LEN: u64 = 50_000;

/// Number of keys each side of the map benchmark holds.
pub const MAP_LEN: u64 = 20_000;

/// Number of increments in the counter benchmark.
pub const COUNTER_INCREMENTS: u64 = 1_000_000;

/// The crdts map of multi-value registers compared with
/// `OrMap<u64, DotFun<u64>>`.
pub type CrdtsMvMap = Map<u64, MVReg<u64, u64>, u64>;

/// The members replica A adds to a set of `len` members per side: `0..len`.
pub fn set_members_a(len: u64) -> core::ops::Range<u64> {
    0..len
}

/// The members replica B adds to a set of `len` members per side:
/// `len/2..len/2 + len`, so half of them are also added by A.
pub fn set_members_b(len: u64) -> core::ops::Range<u64> {
    len / 2..len / 2 + len
}

/// The value replica A writes under `key` in the map fixtures.
pub fn value_a(key: u64) -> u64 {
    key * 2
}

/// The value replica B writes under `key` in the map fixtures (differs from
/// [`value_a`], so an overlapping key ends with two concurrent values).
pub fn value_b(key: u64) -> u64 {
    key * 2 + 1
}

/// A converge add-wins set with `members` added one by one by `replica`.
pub fn ours_set(replica: u64, members: impl IntoIterator<Item = u64>) -> AwSet<u64> {
    let replica = ReplicaId::new(replica);
    let mut set = AwSet::new();
    for m in members {
        let _delta = set.insert(replica, m);
    }
    set
}

/// A crdts `Orswot` with `members` added one by one by `actor`, one op (one
/// dot) per member, like [`ours_set`].
pub fn crdts_set(actor: u64, members: impl IntoIterator<Item = u64>) -> Orswot<u64, u64> {
    let mut set = Orswot::new();
    for m in members {
        let op = set.add(m, set.read_ctx().derive_add_ctx(actor));
        set.apply(op);
    }
    set
}

/// The two converge sets of the merge benchmark: A with
/// [`set_members_a`], B with [`set_members_b`].
pub fn ours_sets(len: u64, a: u64, b: u64) -> (AwSet<u64>, AwSet<u64>) {
    (
        ours_set(a, set_members_a(len)),
        ours_set(b, set_members_b(len)),
    )
}

/// The two crdts sets of the merge benchmark, the same as [`ours_sets`].
pub fn crdts_sets(len: u64, a: u64, b: u64) -> (Orswot<u64, u64>, Orswot<u64, u64>) {
    (
        crdts_set(a, set_members_a(len)),
        crdts_set(b, set_members_b(len)),
    )
}

/// A converge map of multi-value registers: `replica` writes
/// `value(key)` under each of `keys`, one write per key.
pub fn ours_map(
    replica: u64,
    keys: impl IntoIterator<Item = u64>,
    value: impl Fn(u64) -> u64,
) -> OrMap<u64, DotFun<u64>> {
    let replica = ReplicaId::new(replica);
    let mut map = OrMap::new();
    for k in keys {
        let _delta = map.write_register(replica, k, value(k));
    }
    map
}

/// A crdts map of multi-value registers built like [`ours_map`].
pub fn crdts_map(
    actor: u64,
    keys: impl IntoIterator<Item = u64>,
    value: impl Fn(u64) -> u64,
) -> CrdtsMvMap {
    let mut map = CrdtsMvMap::new();
    for k in keys {
        let op = map.update(k, map.read_ctx().derive_add_ctx(actor), |reg, ctx| {
            reg.write(value(k), ctx)
        });
        map.apply(op);
    }
    map
}

/// The two converge maps of the merge benchmark: A writes [`value_a`] under
/// `0..len`, B writes [`value_b`] under `len/2..len/2 + len`.
pub fn ours_maps(len: u64, a: u64, b: u64) -> (OrMap<u64, DotFun<u64>>, OrMap<u64, DotFun<u64>>) {
    (
        ours_map(a, set_members_a(len), value_a),
        ours_map(b, set_members_b(len), value_b),
    )
}

/// The two crdts maps of the merge benchmark, the same as [`ours_maps`].
pub fn crdts_maps(len: u64, a: u64, b: u64) -> (CrdtsMvMap, CrdtsMvMap) {
    (
        crdts_map(a, set_members_a(len), value_a),
        crdts_map(b, set_members_b(len), value_b),
    )
}

/// A converge counter incremented `n` times by one on behalf of `replica`
/// (each delta is passed through [`black_box`], as it would be shipped).
pub fn ours_counter(replica: u64, n: u64) -> PnCounter {
    let replica = ReplicaId::new(replica);
    let mut c = PnCounter::new();
    for _ in 0..n {
        // The delta is what a replica would ship; keep it observable.
        black_box(c.add(replica, 1));
    }
    c
}

/// A crdts counter incremented `n` times (one `inc` op applied each time)
/// on behalf of `actor` (each op is passed through [`black_box`]).
pub fn crdts_counter(actor: u64, n: u64) -> PNCounter<u64> {
    let mut c = PNCounter::new();
    for _ in 0..n {
        let op = c.inc(actor);
        // The op is what a replica would ship; keep it observable.
        c.apply(black_box(op));
    }
    c
}

/// Sorted members of a crdts set (for checking it against ours).
pub fn crdts_set_members(set: &Orswot<u64, u64>) -> Vec<u64> {
    let mut v: Vec<u64> = set.read().val.into_iter().collect();
    v.sort_unstable();
    v
}

/// Sorted `(key, sorted values)` entries of a crdts map of registers (for
/// checking it against ours).
pub fn crdts_map_entries(map: &CrdtsMvMap) -> Vec<(u64, Vec<u64>)> {
    let mut v: Vec<(u64, Vec<u64>)> = map
        .iter()
        .map(|e| {
            let (k, reg) = e.val;
            let mut vals = reg.read().val;
            vals.sort_unstable();
            (*k, vals)
        })
        .collect();
    v.sort_unstable();
    v
}

/// Sorted `(key, sorted values)` entries of a converge map of registers.
pub fn ours_map_entries(map: &OrMap<u64, DotFun<u64>>) -> Vec<(u64, Vec<u64>)> {
    map.iter()
        .map(|(k, f)| {
            let mut vals: Vec<u64> = f.iter().map(|(_, v)| *v).collect();
            vals.sort_unstable();
            (*k, vals)
        })
        .collect()
}

/// One row of the snapshot-size table: the encoded size of the same state
/// in both libraries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SizeRow {
    /// What was encoded.
    pub what: String,
    /// Bytes of converge's `to_bytes()` (envelope included).
    pub ours: usize,
    /// Bytes of `postcard::to_allocvec` of the crdts value.
    pub crdts: usize,
}

impl SizeRow {
    /// How many times larger the crdts encoding is (crdts / ours).
    pub fn ratio(&self) -> f64 {
        self.crdts as f64 / self.ours as f64
    }
}

/// Encodes the merged set, the merged map and the counter of the benchmarks
/// in both libraries (replica ids `a` and `b`) and returns their sizes.
///
/// Also checks that both libraries hold the same logical state (panics
/// otherwise), so that the sizes compare like with like.
pub fn snapshot_sizes(a: u64, b: u64) -> Vec<SizeRow> {
    let (mut ours_s, ours_s_b) = ours_sets(SET_LEN, a, b);
    ours_s.join_owned(ours_s_b);
    let (mut theirs_s, theirs_s_b) = crdts_sets(SET_LEN, a, b);
    theirs_s.merge(theirs_s_b);
    assert_eq!(
        ours_s.iter().copied().collect::<Vec<_>>(),
        crdts_set_members(&theirs_s),
        "merged sets differ"
    );

    let (mut ours_m, ours_m_b) = ours_maps(MAP_LEN, a, b);
    ours_m.join_owned(ours_m_b);
    let (mut theirs_m, theirs_m_b) = crdts_maps(MAP_LEN, a, b);
    theirs_m.merge(theirs_m_b);
    assert_eq!(
        ours_map_entries(&ours_m),
        crdts_map_entries(&theirs_m),
        "merged maps differ"
    );

    let ours_c = ours_counter(a, COUNTER_INCREMENTS);
    let theirs_c = crdts_counter(a, COUNTER_INCREMENTS);
    assert_eq!(
        i64::try_from(COUNTER_INCREMENTS).ok(),
        Some(ours_c.value()),
        "our counter is wrong"
    );
    assert_eq!(
        theirs_c.read(),
        COUNTER_INCREMENTS.into(),
        "crdts counter is wrong"
    );

    let enc = |what: String, ours: Vec<u8>, crdts: Vec<u8>| SizeRow {
        what,
        ours: ours.len(),
        crdts: crdts.len(),
    };
    vec![
        enc(
            format!("merged AW-set, {} members", ours_s.len()),
            ours_s.to_bytes(),
            postcard::to_allocvec(&theirs_s).expect("encode Orswot"),
        ),
        enc(
            format!("merged MV-map, {} keys", ours_m.len()),
            ours_m.to_bytes(),
            postcard::to_allocvec(&theirs_m).expect("encode Map"),
        ),
        enc(
            format!("PN-counter, {COUNTER_INCREMENTS} increments"),
            ours_c.to_bytes(),
            postcard::to_allocvec(&theirs_c).expect("encode PNCounter"),
        ),
    ]
}

/// Renders size rows as a Markdown table (bytes and crdts/ours ratio).
pub fn size_table(rows: &[SizeRow]) -> String {
    let mut out = String::from(
        "| state | converge (bytes) | crdts + postcard (bytes) | crdts / converge |\n",
    );
    out.push_str("|---|---:|---:|---:|\n");
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {:.2}x |\n",
            r.what,
            r.ours,
            r.crdts,
            r.ratio()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_agree_on_small_inputs() {
        let (mut s, sb) = ours_sets(100, REPLICA_A, REPLICA_B);
        s.join_owned(sb);
        let (mut t, tb) = crdts_sets(100, REPLICA_A, REPLICA_B);
        t.merge(tb);
        assert_eq!(s.len(), 150);
        assert_eq!(s.iter().copied().collect::<Vec<_>>(), crdts_set_members(&t));

        let (mut m, mb) = ours_maps(100, REPLICA_A, REPLICA_B);
        m.join_owned(mb);
        let (mut n, nb) = crdts_maps(100, REPLICA_A, REPLICA_B);
        n.merge(nb);
        let entries = ours_map_entries(&m);
        assert_eq!(entries.len(), 150);
        assert_eq!(entries[75], (75, vec![150, 151]));
        assert_eq!(entries, crdts_map_entries(&n));

        assert_eq!(ours_counter(REPLICA_A, 10).value(), 10);
        assert_eq!(crdts_counter(REPLICA_A, 10).read(), 10.into());
    }
}
