//! Loading a document of many texts, each by its own writer: what a load
//! costs per text when the blob's replica table is large (the lazy text
//! check once allocated and walked a record per replica of the whole
//! table for every text).
//!
//! Also times merging the writers into one document: their transactions
//! as deltas, or their whole snapshots with `MERGE_SNAPSHOTS=1`.
//!
//! `cargo run --release -p converge-bench --example many_writers_load [writers]`

#![deny(warnings)]

use std::time::{Duration, Instant};

use converge_core::{Doc, ReplicaId};

fn main() {
    let writers: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    for kind in ["text", "list"] {
        measure(writers, kind);
    }
}

/// A document where each of `writers` writers wrote one container of
/// `kind`, merged: its load time.
fn measure(writers: u64, kind: &str) {
    let snapshots = std::env::var_os("MERGE_SNAPSHOTS").is_some();
    let mut all = Doc::new(ReplicaId::new(u64::MAX));
    let mut merging = Duration::ZERO;
    for w in 0..writers {
        // Scattered ids, as random ones would be.
        let id = (w + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut d = Doc::new(ReplicaId::new(id));
        let mut tx = d.transact();
        let name = format!("note-{w}");
        if kind == "text" {
            // Typed backwards a word at a time: a run per word (a long
            // text, so it loads lazily).
            let mut t = tx.text(&name);
            for i in 0..20 {
                t.insert(0, &format!("word{i} ")).expect("in bounds");
            }
        } else {
            let mut l = tx.list(&name);
            for i in 0..20 {
                l.insert(0, i).expect("in bounds");
            }
        }
        // The writer's transaction as a delta (what sync sends), or its
        // whole state.
        let blob = if snapshots {
            drop(tx);
            d.snapshot()
        } else {
            tx.commit().expect("a delta")
        };
        let start = Instant::now();
        all.apply(&blob).expect("merges");
        merging += start.elapsed();
    }
    let snapshot = all.snapshot();
    let median = |mut times: Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    let encode = median(
        (0..15)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(all.snapshot());
                start.elapsed()
            })
            .collect(),
    );
    let mut times = Vec::new();
    for _ in 0..15 {
        let start = Instant::now();
        let doc = Doc::load(ReplicaId::new(1 << 40), &snapshot).expect("loads");
        std::hint::black_box(&doc);
        times.push(start.elapsed());
        drop(doc);
    }
    let load = median(times);
    // A newcomer's whole state merged into the freshly loaded document:
    // the texts it never saw should stay as loaded (unbuilt).
    let newcomer = {
        let mut d = Doc::new(ReplicaId::new(1 << 41));
        d.transact()
            .text("newcomer")
            .insert(0, "hi")
            .expect("in bounds");
        d.snapshot()
    };
    let mut merges = Vec::new();
    for _ in 0..15 {
        let mut doc = Doc::load(ReplicaId::new(1 << 40), &snapshot).expect("loads");
        let start = Instant::now();
        doc.apply(&newcomer).expect("merges");
        merges.push(start.elapsed());
    }
    let merge_one = median(merges);
    let per = |d: Duration| d.as_secs_f64() * 1e6 / writers as f64;
    println!(
        "{writers} writers, a {kind} each: merging their {} {:.2} ms ({:.1} µs a writer); snapshot {} bytes; encode {:.2} ms ({:.1} µs a {kind}); load {:.2} ms ({:.1} µs a {kind}); then a newcomer's snapshot merged {:.2} ms (medians of 15)",
        if snapshots { "snapshots" } else { "deltas" },
        merging.as_secs_f64() * 1e3,
        per(merging),
        snapshot.len(),
        encode.as_secs_f64() * 1e3,
        per(encode),
        load.as_secs_f64() * 1e3,
        per(load),
        merge_one.as_secs_f64() * 1e3,
    );
}
