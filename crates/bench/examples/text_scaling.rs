//! Scaling (issue #18): the automerge-paper trace typed once, then ten
//! times in a row into one text (each pass types the paper again after
//! what the passes before left), through the standalone `Text` and a `Doc`
//! with a transaction per edit; then friendsforever flattened
//! (`testkit::flatten`) the same way. Prints time, heap held, encoded bytes and
//! load time for both, and the ten-pass figures divided by the one-pass
//! ones (the goal: time and heap ≤ 10.5×, encoded bytes ≤ 10×).
//!
//! `cargo run --release -p converge-bench --example text_scaling`
//! (the editing traces come from `$CONVERGE_TRACES`).

#![deny(warnings)]

use std::time::{Duration, Instant};

use converge_core::{Doc, ReplicaId, Text};
use converge_testkit::alloc::{live_bytes, CountingAlloc};
use converge_testkit::traces::{self, Trace, AUTOMERGE_PAPER, FRIENDSFOREVER};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// One run's figures.
struct Figures {
    typing: Duration,
    heap: usize,
    bytes: usize,
    load: Duration,
    chars: usize,
}

/// Best of `n` timings of `f`.
fn best<T>(n: usize, mut f: impl FnMut() -> T) -> Duration {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .min()
        .expect("n > 0")
}

fn text_passes(paper: &Trace, passes: usize) -> Text {
    let mut t = Text::new(ReplicaId::new(1));
    for _ in 0..passes {
        let base = t.len();
        for p in paper.txns.iter().flat_map(|t| &t.patches) {
            if p.del > 0 {
                t.delete(base + p.pos, p.del).expect("in bounds");
            }
            if !p.ins.is_empty() {
                t.insert(base + p.pos, &p.ins).expect("in bounds");
            }
        }
    }
    t
}

fn doc_passes(paper: &Trace, passes: usize) -> Doc {
    let mut d = Doc::new(ReplicaId::new(1));
    let text = d.get_text("text");
    for _ in 0..passes {
        let base = text.len(&d);
        for p in paper.txns.iter().flat_map(|t| &t.patches) {
            let mut tx = d.transact();
            if p.del > 0 {
                text.delete(&mut tx, base + p.pos, p.del)
                    .expect("in bounds");
            }
            if !p.ins.is_empty() {
                text.insert(&mut tx, base + p.pos, &p.ins)
                    .expect("in bounds");
            }
        }
    }
    // Heap as a synced replica holds it: the history trimmed.
    let v = d.version();
    d.trim_log(&v);
    d
}

fn measure_text(paper: &Trace, passes: usize) -> Figures {
    let typing = best(3, || text_passes(paper, passes));
    let before = live_bytes();
    let t = text_passes(paper, passes);
    let heap = live_bytes().saturating_sub(before);
    let bytes = t.to_bytes();
    let load = best(5, || {
        Text::from_bytes(ReplicaId::new(2), &bytes).expect("loads")
    });
    Figures {
        typing,
        heap,
        bytes: bytes.len(),
        load,
        chars: t.len(),
    }
}

fn measure_doc(paper: &Trace, passes: usize) -> Figures {
    let typing = best(3, || doc_passes(paper, passes));
    let before = live_bytes();
    let d = doc_passes(paper, passes);
    let heap = live_bytes().saturating_sub(before);
    let bytes = d.snapshot();
    let load = best(5, || Doc::load(ReplicaId::new(2), &bytes).expect("loads"));
    let chars = d.get_text("text").len(&d);
    Figures {
        typing,
        heap,
        bytes: bytes.len(),
        load,
        chars,
    }
}

fn main() {
    let paper = traces::load(AUTOMERGE_PAPER).unwrap_or_else(|e| panic!("{e}"));
    let friends = traces::load(FRIENDSFOREVER).unwrap_or_else(|e| panic!("{e}"));
    scale("automerge-paper", &paper);
    scale("friendsforever flattened", &traces::flatten(&friends));
    println!("\ngoal: typing and heap ≤ 10.5x, encoded bytes ≤ 10x");
}

fn scale(name: &str, trace: &Trace) {
    let edits = trace.patch_count();
    println!("\n{name} ({edits} edits) typed once and ten times in a row\n");
    println!("| path | passes | chars | typing | heap held | encoded bytes | load |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, measure) in [
        ("`Text`", measure_text as fn(&Trace, usize) -> Figures),
        ("`Doc`, a transaction per edit", measure_doc),
    ] {
        let one = measure(trace, 1);
        let ten = measure(trace, 10);
        for (passes, f) in [(1, &one), (10, &ten)] {
            println!(
                "| {name} | {passes} | {} | {:.1} ms | {:.2} MB | {} | {:.2} ms |",
                f.chars,
                f.typing.as_secs_f64() * 1e3,
                f.heap as f64 / 1e6,
                f.bytes,
                f.load.as_secs_f64() * 1e3
            );
        }
        let r = |a: f64, b: f64| a / b;
        println!(
            "| {name} | ten ÷ one | {:.2}x | **{:.2}x** | **{:.2}x** | **{:.2}x** | {:.2}x |",
            r(ten.chars as f64, one.chars as f64),
            r(ten.typing.as_secs_f64(), one.typing.as_secs_f64()),
            r(ten.heap as f64, one.heap as f64),
            r(ten.bytes as f64, one.bytes as f64),
            r(ten.load.as_secs_f64(), one.load.as_secs_f64())
        );
    }
}
