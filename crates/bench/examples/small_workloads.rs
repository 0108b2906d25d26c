//! Small, non-trace workloads (issue #18), converge's `Doc` against yrs,
//! a transaction per operation on both sides:
//!
//! - 6,000 appends of one character to a text;
//! - 6,000 prepends of one character;
//! - 6,000 single-character updates made on one replica, each applied on
//!   another as it comes (what a peer receiving keystrokes does).
//!
//! Prints the time (best of 5) and the final document's size (converge's
//! snapshot; yrs's update v1 and v2 from the empty state vector). Then the
//! catch-up of 10,000 missed keystrokes (the first 10,000 edits of
//! automerge-paper, a transaction each, history kept): what converge's
//! `encode_since` sends a replica that has none of them (the logged deltas
//! merged into one group) against yrs's update from the empty state vector.
//!
//! `cargo run --release -p converge-bench --example small_workloads`

#![deny(warnings)]

use std::time::{Duration, Instant};

use converge_core::{Doc, ReplicaId, VersionVector};
use converge_testkit::traces::{self, AUTOMERGE_PAPER};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{ReadTxn, StateVector, Text, Transact, Update};

const OPS: usize = 6_000;

/// A workload's name, its converge side and its yrs side.
type Workload = (&'static str, fn() -> Doc, fn() -> yrs::Doc);

/// The character of operation `i`.
fn ch(i: usize) -> &'static str {
    ["a", "b", "c", "d", "e", " "][i % 6]
}

fn best(mut f: impl FnMut()) -> Duration {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .expect("five runs")
}

/// Typing `OPS` characters at the end (`prepend == false`) or the start.
fn converge_typing(prepend: bool) -> Doc {
    let mut d = Doc::new(ReplicaId::new(1));
    let text = d.get_text("t");
    for i in 0..OPS {
        let mut tx = d.transact();
        let at = if prepend { 0 } else { i };
        text.insert(&mut tx, at, ch(i)).expect("in bounds");
    }
    d
}

fn yrs_typing(prepend: bool) -> yrs::Doc {
    let d = yrs::Doc::with_client_id(1);
    let text = d.get_or_insert_text("t");
    for i in 0..OPS {
        let mut txn = d.transact_mut();
        let at = if prepend { 0 } else { i as u32 };
        text.insert(&mut txn, at, ch(i));
    }
    d
}

/// Each keystroke's update applied on a second replica as it is made.
fn converge_remote() -> Doc {
    let mut a = Doc::new(ReplicaId::new(1));
    let mut b = Doc::new(ReplicaId::new(2));
    let text = a.get_text("t");
    for i in 0..OPS {
        let mut tx = a.transact();
        text.insert(&mut tx, i, ch(i)).expect("in bounds");
        let update = tx.commit().expect("an update");
        b.apply(&update).expect("applies");
    }
    b
}

fn yrs_remote() -> yrs::Doc {
    let a = yrs::Doc::with_client_id(1);
    let b = yrs::Doc::with_client_id(2);
    let text = a.get_or_insert_text("t");
    for i in 0..OPS {
        let mut txn = a.transact_mut();
        text.insert(&mut txn, i as u32, ch(i));
        let update = txn.encode_update_v1();
        drop(txn);
        b.transact_mut()
            .apply_update(Update::decode_v1(&update).expect("decodes"))
            .expect("applies");
    }
    b
}

fn yrs_sizes(d: &yrs::Doc) -> (usize, usize) {
    let v1 = d
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let v2 = Update::decode_v1(&v1).expect("decodes").encode_v2();
    (v1.len(), v2.len())
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("profile-remote") {
        // For `perf`: the remote keystrokes, converge only.
        for _ in 0..100 {
            drop(std::hint::black_box(converge_remote()));
        }
        return;
    }
    println!("{OPS} operations, a transaction each; best of 5\n");
    println!("| workload | converge time | yrs time | ÷ yrs | converge bytes | yrs v1 | yrs v2 | ÷ yrs v2 |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let rows: [Workload; 3] = [
        ("appends", || converge_typing(false), || yrs_typing(false)),
        ("prepends", || converge_typing(true), || yrs_typing(true)),
        (
            "remote keystrokes applied one by one",
            converge_remote,
            yrs_remote,
        ),
    ];
    for (name, ours, theirs) in rows {
        let t_ours = best(|| drop(std::hint::black_box(ours())));
        let t_theirs = best(|| drop(std::hint::black_box(theirs())));
        let bytes = ours().snapshot().len();
        let (v1, v2) = yrs_sizes(&theirs());
        println!(
            "| {name} | {:.2} ms | {:.2} ms | {:.2}x | {bytes} | {v1} | {v2} | {:.2}x |",
            ms(t_ours),
            ms(t_theirs),
            t_ours.as_secs_f64() / t_theirs.as_secs_f64(),
            bytes as f64 / v2 as f64
        );
    }
    catch_up();
}

/// The catch-up of the first 10,000 edits of automerge-paper.
fn catch_up() {
    let Ok(paper) = traces::load(AUTOMERGE_PAPER) else {
        println!("\n(catch-up skipped: the editing traces are not at $CONVERGE_TRACES)");
        return;
    };
    let edits: Vec<_> = paper
        .txns
        .iter()
        .flat_map(|t| &t.patches)
        .take(10_000)
        .collect();
    let mut d = Doc::new(ReplicaId::new(1));
    let text = d.get_text("t");
    let y = yrs::Doc::with_client_id(1);
    let ytext = y.get_or_insert_text("t");
    for p in &edits {
        let mut tx = d.transact();
        let mut ytx = y.transact_mut();
        if p.del > 0 {
            text.delete(&mut tx, p.pos, p.del).expect("in bounds");
            ytext.remove_range(&mut ytx, p.pos as u32, p.del as u32);
        }
        if !p.ins.is_empty() {
            text.insert(&mut tx, p.pos, &p.ins).expect("in bounds");
            ytext.insert(&mut ytx, p.pos as u32, &p.ins);
        }
    }
    let t = Instant::now();
    let ours = d
        .encode_since(&VersionVector::new())
        .expect("something to send");
    let took = t.elapsed();
    let (v1, v2) = yrs_sizes(&y);
    println!("\nCatch-up of 10,000 missed keystrokes (automerge-paper's first):\n");
    println!("| | bytes | ÷ yrs v2 |");
    println!("|---|---:|---:|");
    println!(
        "| converge `encode_since` (built in {:.2} ms) | {} | {:.2}x |",
        took.as_secs_f64() * 1e3,
        ours.len(),
        ours.len() as f64 / v2 as f64
    );
    println!(
        "| converge snapshot of the same document | {} | {:.2}x |",
        d.snapshot().len(),
        d.snapshot().len() as f64 / v2 as f64
    );
    println!("| yrs v1 | {v1} | {:.2}x |", v1 as f64 / v2 as f64);
    println!("| yrs v2 | {v2} | 1.00x |");
}
