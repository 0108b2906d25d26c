//! Quick min-of-N timings of converge on the editing traces, for
//! iterating on performance (the comparison is `--bench text_traces`).
//!
//! `cargo run --release -p converge-bench --example text_timing`

#![deny(warnings)]

use std::time::{Duration, Instant};

use converge_core::{Doc, ReplicaId, Text};
use converge_testkit::traces::{self, AUTOMERGE_PAPER, FRIENDSFOREVER};
use converge_testkit::{replay_concurrent, DocReplica};

fn min_of<T>(n: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..n {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        out = Some(v);
    }
    (best, out.expect("n > 0"))
}

fn main() {
    let paper = traces::load(AUTOMERGE_PAPER).unwrap_or_else(|e| panic!("{e}"));
    let friends = traces::load(FRIENDSFOREVER).unwrap_or_else(|e| panic!("{e}"));
    let edits: Vec<(usize, usize, &str)> = paper
        .txns
        .iter()
        .flat_map(|t| t.patches.iter().map(|p| (p.pos, p.del, p.ins.as_str())))
        .collect();
    let (t, text) = min_of(5, || {
        let mut t = Text::new(ReplicaId::new(1));
        for &(pos, del, ins) in &edits {
            if del > 0 {
                t.delete(pos, del).unwrap();
            }
            if !ins.is_empty() {
                t.insert(pos, ins).unwrap();
            }
        }
        t
    });
    assert!(text.to_string() == paper.end_content);
    println!("Text local apply: {t:?}");
    let (t, bytes) = min_of(5, || text.to_bytes());
    println!("Text encode: {t:?}, {} bytes", bytes.len());
    let (t, s) = min_of(5, || {
        Text::from_bytes(ReplicaId::new(2), &bytes)
            .unwrap()
            .to_string()
    });
    assert!(s == paper.end_content);
    println!("Text load + read: {t:?}");
    println!("Text structure bytes: {}", text.structure_bytes());
    println!(
        "listing (runs, deleted, explicit left, explicit right): {:?}",
        text.debug_listing_stats()
    );
    let (t, doc) = min_of(2, || {
        let mut d = Doc::new(ReplicaId::new(1));
        for &(pos, del, ins) in &edits {
            let mut tx = d.transact();
            let mut tt = tx.text("text");
            if del > 0 {
                tt.delete(pos, del).unwrap();
            }
            if !ins.is_empty() {
                tt.insert(pos, ins).unwrap();
            }
        }
        d
    });
    println!(
        "Doc local apply (txn per edit, borrowing handle): {t:?}, log {:?}",
        doc.log_stats()
    );
    let (t, doc) = min_of(3, || {
        let mut d = Doc::new(ReplicaId::new(1));
        let text = d.get_text("text");
        for &(pos, del, ins) in &edits {
            let mut tx = d.transact();
            if del > 0 {
                text.delete(&mut tx, pos, del).unwrap();
            }
            if !ins.is_empty() {
                text.insert(&mut tx, pos, ins).unwrap();
            }
        }
        d
    });
    assert!(doc.root().text("text").unwrap().to_string() == paper.end_content);
    println!(
        "Doc local apply (txn per edit, owned handle): {t:?}, history {:?}",
        doc.history_stats()
    );
    let snapshot = doc.snapshot();
    let (t, s) = min_of(20, || {
        Doc::load(ReplicaId::new(2), &snapshot)
            .unwrap()
            .root()
            .text("text")
            .unwrap()
            .to_string()
    });
    assert!(s == paper.end_content);
    println!("Doc load + read: {t:?}, {} bytes", snapshot.len());
    let (t, stats) = min_of(3, || replay_concurrent(&friends, DocReplica::new).1);
    println!(
        "friendsforever concurrent replay: {t:?}, {} update bytes",
        stats.update_bytes
    );
    let flat = traces::flatten(&friends);
    let (t, text) = min_of(20, || traces::typed_text(&flat));
    assert!(text.to_string() == flat.end_content);
    println!(
        "friendsforever flattened, Text local apply: {t:?}, {} bytes, {} chars; \
         listing (runs, deleted, explicit left, explicit right): {:?}",
        text.to_bytes().len(),
        text.len(),
        text.debug_listing_stats()
    );
}
