//! Writes hand-made regression inputs into `fuzz/regressions/<target>/`
//! (replayed by `tests/fuzz_regressions.rs`):
//!
//! - `decode_types/text-deleted-run-overflow`: a standalone text delta whose
//!   deleted run starts at counter u64::MAX (issue #12, hole 2: it
//!   overflowed `ctr + len - 1`);
//! - `decode_doc/poisoned-counter-dot`: a delta written by a forger under
//!   the fuzz sample document's own replica id, reusing its counter dot
//!   with another total (issue #12, hole 1: it was accepted and left a
//!   state whose snapshot no longer loaded).
//!
//! `cargo run -p converge-testkit --example write_fuzz_regressions`

#![deny(warnings)]

use std::path::PathBuf;

use converge_core::{BlobKind, Doc, ReplicaId};

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions")
        .join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

fn main() {
    // postcard of a text delta: one replica, context 1..=11, made for the
    // empty version, no runs, one deleted run (replica 0, u64::MAX, 2).
    let mut payload = vec![
        0x01, 0x01, // replicas: [1]
        0x01, 0x00, 0x01, 0x01, 0x0a, // context: replica 0, (1, +10)
        0x01, 0x00, // since: Some([])
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // reps, ctrs, lens, flags, origins, content
        0x01, 0x00, // dels: one, replica 0
    ];
    payload.extend([0xff; 9]);
    payload.push(0x01); // u64::MAX as a varint
    payload.push(0x02); // length 2
    let kind = BlobKind::STANDALONE
        .iter()
        .position(|k| *k == BlobKind::Text)
        .expect("the text kind") as u8;
    let mut input = vec![kind];
    input.extend(payload);
    write("decode_types", "text-deleted-run-overflow", &input);

    // The fuzz sample document's replica (see `fuzz::build_sample_doc`)
    // wrote a set element, a set removal, then its counter `m/deep/c` with
    // its third dot; a forger starting from nothing under the same id
    // reuses that dot for another total.
    let mut forger = Doc::new(ReplicaId::new(0x1234_5678_9ABC));
    let mut tx = forger.transact();
    tx.map("m").aw_set("s").insert("x").unwrap();
    tx.map("m").rw_set("r").remove(4).unwrap();
    tx.map("m").map("deep").counter("c").add(1000).unwrap();
    let forged = tx.commit().unwrap();
    let mut sample = Doc::new(ReplicaId::new(0x1234_5678_9ABC));
    let mut tx = sample.transact();
    tx.map("m").aw_set("s").insert("x").unwrap();
    tx.map("m").rw_set("r").remove(4).unwrap();
    tx.map("m").map("deep").counter("c").add(-4).unwrap();
    drop(tx);
    let mut copy = sample.clone();
    assert!(
        matches!(
            copy.apply(&forged),
            Err(converge_core::DocError::ConflictingDot(_))
        ),
        "the forged delta must be refused"
    );
    write("decode_doc", "poisoned-counter-dot", &forged);
}
