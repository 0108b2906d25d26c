//! Snapshot load and read of automerge-paper, converge (`Text` and `Doc`)
//! against loro, interleaved round by round so both sides see the same
//! machine (issue #18's load row). Prints the best and the median of each.
//!
//! `cargo run --release -p converge-bench --example load_timing [rounds]`

#![deny(warnings)]

use std::time::{Duration, Instant};

use converge_core::{Doc, ReplicaId, Text};
use converge_testkit::traces::{self, AUTOMERGE_PAPER};

/// A library's name and its load-and-read of a snapshot.
type Load = (&'static str, fn(&[u8]) -> String);

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let paper = traces::load(AUTOMERGE_PAPER).unwrap_or_else(|e| panic!("{e}"));
    let edits = || {
        paper
            .txns
            .iter()
            .flat_map(|t| t.patches.iter().map(|p| (p.pos, p.del, p.ins.as_str())))
    };
    let mut text = Text::new(ReplicaId::new(1));
    let mut doc = Doc::new(ReplicaId::new(1));
    let handle = doc.get_text("text");
    let loro = loro::LoroDoc::new();
    loro.set_peer_id(1).expect("peer id");
    let lt = loro.get_text("text");
    for (pos, del, ins) in edits() {
        let mut tx = doc.transact();
        if del > 0 {
            text.delete(pos, del).expect("in bounds");
            handle.delete(&mut tx, pos, del).expect("in bounds");
            lt.delete(pos, del).expect("in bounds");
        }
        if !ins.is_empty() {
            text.insert(pos, ins).expect("in bounds");
            handle.insert(&mut tx, pos, ins).expect("in bounds");
            lt.insert(pos, ins).expect("in bounds");
        }
    }
    loro.commit();
    let blobs = [
        text.to_bytes(),
        doc.snapshot(),
        loro.export(loro::ExportMode::Snapshot).expect("exports"),
    ];
    let loads: [Load; 3] = [
        ("converge Text", |b| {
            Text::from_bytes(ReplicaId::new(2), b)
                .expect("loads")
                .to_string()
        }),
        ("converge Doc", |b| {
            Doc::load(ReplicaId::new(2), b)
                .expect("loads")
                .root()
                .text("text")
                .map(|t| t.to_string())
                .unwrap_or_default()
        }),
        ("loro 1.17", |b| {
            let d = loro::LoroDoc::new();
            d.import(b).expect("imports");
            d.get_text("text").to_string()
        }),
    ];
    let mut times: [Vec<Duration>; 3] = Default::default();
    for _ in 0..rounds {
        for (i, (_, load)) in loads.iter().enumerate() {
            let t = Instant::now();
            let s = std::hint::black_box(load(&blobs[i]));
            times[i].push(t.elapsed());
            assert_eq!(s.len(), paper.end_content.len());
        }
    }
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let stats = |v: &mut Vec<Duration>| {
        v.sort();
        (us(v[0]), us(v[v.len() / 2]))
    };
    let loro_t = stats(&mut times[2].clone());
    println!("automerge-paper snapshot, load and read; {rounds} rounds interleaved\n");
    println!("| library | bytes | best | median | ÷ loro (median) |");
    println!("|---|---:|---:|---:|---:|");
    for (i, (name, _)) in loads.iter().enumerate() {
        let (best, median) = stats(&mut times[i]);
        println!(
            "| {name} | {} | {best:.0} µs | {median:.0} µs | {:.2}x |",
            blobs[i].len(),
            median / loro_t.1
        );
    }
}
