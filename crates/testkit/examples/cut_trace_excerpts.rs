//! Cuts the committed trace excerpts (`crates/testkit/data/editing-traces`)
//! from the full public traces in `$CONVERGE_TRACES`:
//!
//! - `automerge-paper-excerpt`: the first 3,000 edits, with the text they
//!   produce (computed by a plain replay: the trace is sequential);
//! - `friendsforever-excerpt`: the first 700 transactions of the two-author
//!   trace (a prefix of a DAG is a DAG), with the text converge's
//!   concurrent replay produces: a recorded result, not an independent
//!   one (the full trace is checked against its published `endContent`
//!   whenever it is present).
//!
//! `cargo run -p converge-testkit --example cut_trace_excerpts`

#![deny(warnings)]

use std::io::Write;

use converge_testkit::traces::{self, AUTOMERGE_PAPER, FRIENDSFOREVER};
use converge_testkit::{replay_concurrent, replay_sequential, DocReplica, Trace, TraceReplica};
use serde_json::{json, Value};

fn prefix(trace: &Trace, n: usize) -> Trace {
    Trace {
        start_content: trace.start_content.clone(),
        end_content: String::new(),
        txns: trace.txns[..n].to_vec(),
    }
}

fn write(name: &str, trace: &Trace, concurrent: bool) {
    let txns: Vec<Value> = trace
        .txns
        .iter()
        .map(|t| {
            let patches: Vec<Value> = t
                .patches
                .iter()
                .map(|p| json!([p.pos, p.del, p.ins]))
                .collect();
            if concurrent {
                json!({ "parents": t.parents, "agent": t.agent, "patches": patches })
            } else {
                json!({ "patches": patches })
            }
        })
        .collect();
    let mut doc = json!({
        "startContent": trace.start_content,
        "endContent": trace.end_content,
        "txns": txns,
    });
    if concurrent {
        doc["numAgents"] = json!(trace.agent_count());
    }
    let path = traces::excerpts_dir().join(format!("{name}-excerpt.json.gz"));
    std::fs::create_dir_all(traces::excerpts_dir()).expect("the folder");
    let file = std::fs::File::create(&path).expect("the file");
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::best());
    gz.write_all(serde_json::to_string(&doc).expect("json").as_bytes())
        .expect("written");
    gz.finish().expect("flushed");
    println!("{}", path.display());
}

fn main() {
    let paper = traces::load(AUTOMERGE_PAPER).unwrap_or_else(|e| panic!("{e}"));
    let mut cut = prefix(&paper, 3_000);
    cut.end_content = replay_sequential(&cut);
    write(AUTOMERGE_PAPER, &cut, false);

    let friends = traces::load(FRIENDSFOREVER).unwrap_or_else(|e| panic!("{e}"));
    let mut cut = prefix(&friends, 700);
    let (replicas, _) = replay_concurrent(&cut, DocReplica::new);
    cut.end_content = replicas[0].text();
    write(FRIENDSFOREVER, &cut, true);
}
