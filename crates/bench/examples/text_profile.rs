//! Runs one workload in a loop for a profiler:
//! `cargo run --release -p converge-bench --example text_profile -- local|flat-local|replay|doc|load|merged-load [rounds]`
//! (`merged-load`: loading the document friendsforever's concurrent replay
//! leaves, two writers' runs interleaved; `flat-local`: typing
//! friendsforever flattened into a `Text`).

#![deny(warnings)]

use converge_core::{Doc, ReplicaId, Text};
use converge_testkit::traces::{self, AUTOMERGE_PAPER, FRIENDSFOREVER};
use converge_testkit::{replay_concurrent, DocReplica};

fn main() {
    let what = std::env::args().nth(1).unwrap_or_else(|| "local".into());
    let paper = traces::load(AUTOMERGE_PAPER).unwrap_or_else(|e| panic!("{e}"));
    let friends = traces::load(FRIENDSFOREVER).unwrap_or_else(|e| panic!("{e}"));
    let typed = traces::typed_text;
    let snapshot = typed(&paper).to_bytes();
    let flat = (what == "flat-local").then(|| traces::flatten(&friends));
    let merged = match what.as_str() {
        "merged-load" => {
            let (replicas, _) = replay_concurrent(&friends, DocReplica::new);
            replicas[0].doc.snapshot()
        }
        _ => Vec::new(),
    };
    let rounds = std::env::args()
        .nth(2)
        .and_then(|r| r.parse().ok())
        .unwrap_or(match what.as_str() {
            "load" => 2000,
            "merged-load" => 4000,
            "flat-local" => 200,
            "doc" => 5,
            _ => 20,
        });
    for _ in 0..rounds {
        match what.as_str() {
            "load" => {
                let t = Text::from_bytes(ReplicaId::new(2), &snapshot).unwrap();
                std::hint::black_box(t.to_string());
            }
            "merged-load" => {
                let d = Doc::load(ReplicaId::new(1_000), &merged).unwrap();
                std::hint::black_box(d.root().text("text").map(|t| t.to_string()));
            }
            "local" => {
                std::hint::black_box(typed(&paper));
            }
            "flat-local" => {
                std::hint::black_box(typed(flat.as_ref().expect("flattened")));
            }
            "doc" => {
                let mut d = Doc::new(ReplicaId::new(1));
                let text = d.get_text("text");
                for p in paper.txns.iter().flat_map(|t| &t.patches) {
                    let mut tx = d.transact();
                    if p.del > 0 {
                        text.delete(&mut tx, p.pos, p.del).unwrap();
                    }
                    if !p.ins.is_empty() {
                        text.insert(&mut tx, p.pos, &p.ins).unwrap();
                    }
                }
                std::hint::black_box(d);
            }
            _ => {
                std::hint::black_box(replay_concurrent(&friends, DocReplica::new));
            }
        }
    }
}
