//! Memory and ordering figures of a document's history and causal buffer
//! (issue #12): heap held by the history after a trace, the size of a
//! full catch-up against a snapshot, memory held by deltas whose cause is
//! withheld, and the time per delta when deltas arrive in reverse order.
//!
//! `cargo run --release -p converge-bench --example doc_memory`
//! (the editing traces come from `$CONVERGE_TRACES`).

#![deny(warnings)]

use std::time::Instant;

use converge_core::{Doc, ReplicaId, VersionVector};
use converge_testkit::alloc::{live_bytes, CountingAlloc};
use converge_testkit::traces::{self, AUTOMERGE_PAPER};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn held<T>(build: impl FnOnce() -> T) -> (usize, T) {
    let before = live_bytes();
    let value = build();
    (live_bytes().saturating_sub(before), value)
}

fn mb(b: usize) -> String {
    format!("{:.2} MB", b as f64 / 1e6)
}

/// The paper trace typed into a `Doc`, a transaction per edit; `commit`
/// asks each transaction for its bytes (what a sync node does).
fn typed(paper: &converge_testkit::Trace, commit: bool) -> Doc {
    let mut d = Doc::new(ReplicaId::new(1));
    let text = d.get_text("text");
    for p in paper.txns.iter().flat_map(|t| &t.patches) {
        let mut tx = d.transact();
        if p.del > 0 {
            text.delete(&mut tx, p.pos, p.del).expect("in bounds");
        }
        if !p.ins.is_empty() {
            text.insert(&mut tx, p.pos, &p.ins).expect("in bounds");
        }
        if commit {
            std::hint::black_box(tx.commit());
        }
    }
    d
}

fn main() {
    let paper = traces::load(AUTOMERGE_PAPER).unwrap_or_else(|e| panic!("{e}"));
    println!("## History after automerge-paper (259,778 edits, a transaction each)\n");
    println!("| how transactions end | doc heap, history kept | history entries | history bytes (accounted) | doc heap, history trimmed |");
    println!("|---|---:|---:|---:|---:|");
    for (name, commit) in [
        ("dropped (typing run)", false),
        ("commit() for bytes", true),
    ] {
        let (heap, doc) = held(|| typed(&paper, commit));
        let stats = doc.history_stats();
        let (trimmed, _d) = held(|| {
            let mut d = typed(&paper, commit);
            let v = d.version();
            d.trim_log(&v);
            d
        });
        println!(
            "| {name} | {} | {} | {} | {} |",
            mb(heap),
            stats.entries,
            mb(stats.bytes),
            mb(trimmed)
        );
    }
    let doc = typed(&paper, false);
    let snapshot = doc.snapshot().len();
    let full = doc
        .encode_since(&VersionVector::new())
        .expect("something")
        .len();
    println!(
        "\nencode_since(empty version): {full} bytes; snapshot: {snapshot} bytes ({:.2}x)\n",
        full as f64 / snapshot as f64
    );

    println!("## Deltas whose cause is withheld\n");
    let mut a = Doc::new(ReplicaId::new(1));
    let _withheld = a.transact().lww("cause").set_at("x", 1);
    let big = "y".repeat(60_000);
    let deltas: Vec<Vec<u8>> = (0..4000)
        .map(|i| {
            let mut tx = a.transact();
            tx.lww("v").set_at(big.as_str(), i).expect("set");
            tx.commit().expect("a delta")
        })
        .collect();
    let (heap, b) = held(|| {
        let mut b = Doc::new(ReplicaId::new(2));
        for d in &deltas {
            let _ = b.apply(d).expect("valid");
        }
        b
    });
    println!(
        "4,000 deltas of 60 KB, cause withheld: {} held, {:?}\n",
        mb(heap),
        b.pending_stats()
    );
    drop(b);

    println!("## Single-edit deltas delivered in reverse order\n");
    println!("| deltas | in order | reversed | reversed per delta |");
    println!("|---:|---:|---:|---:|");
    for n in [5_000usize, 25_000, 100_000] {
        let mut a = Doc::new(ReplicaId::new(1));
        let text = a.get_text("t");
        let deltas: Vec<Vec<u8>> = (0..n)
            .map(|i| {
                let mut tx = a.transact();
                text.insert(&mut tx, i, "x").expect("in bounds");
                tx.commit().expect("a delta")
            })
            .collect();
        let deliver = |order: &mut dyn Iterator<Item = &Vec<u8>>| {
            let mut b = Doc::with_options(
                ReplicaId::new(2),
                converge_core::DocOptions {
                    max_pending: usize::MAX,
                    max_pending_bytes: usize::MAX,
                    ..Default::default()
                },
            );
            let t = Instant::now();
            for d in order {
                let _ = b.apply(d).expect("valid");
            }
            let e = t.elapsed();
            assert_eq!(b.version(), a.version());
            e
        };
        let forward = deliver(&mut deltas.iter());
        let reversed = deliver(&mut deltas.iter().rev());
        println!(
            "| {n} | {forward:.1?} | {reversed:.1?} | {:.2} µs |",
            reversed.as_secs_f64() * 1e6 / n as f64
        );
    }
}
