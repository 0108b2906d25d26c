//! Figures of `converge-store` (issue #14):
//!
//! 1. the automerge-paper trace typed into a stored document, a commit per
//!    edit (batched fsync) with compaction on: disk bytes against the
//!    snapshot (as the typing left it, and after `Store::close`), and
//!    reopen time against loading the snapshot from memory;
//! 2. stores of 100, 1,000 and 10,000 small documents: time and heap to
//!    open (lazy loading: it should not grow with the number of
//!    documents), and the time to read one document on first use.
//!
//! `cargo run --release -p converge-bench --example store_figures`
//! (the trace comes from `$CONVERGE_TRACES`; without it the committed
//! excerpt is used and said so).

#![deny(warnings)]

use std::path::Path;
use std::time::{Duration, Instant};

use converge_core::{Doc, ReplicaId};
use converge_store::{DocId, Store, StoreOptions};
use converge_testkit::alloc::{live_bytes, CountingAlloc};
use converge_testkit::traces::{self, AUTOMERGE_PAPER};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn file_bytes(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn best_of<T>(n: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..n {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        last = Some(v);
    }
    (best, last.expect("n > 0"))
}

fn paper(dir: &Path) {
    let (trace, name) = match traces::load(AUTOMERGE_PAPER) {
        Ok(t) => (t, "automerge-paper"),
        Err(e) => {
            println!("(full trace not found: {e}; using the committed excerpt)");
            let t = traces::load_excerpt(AUTOMERGE_PAPER).expect("the committed excerpt");
            (t, "automerge-paper excerpt")
        }
    };
    let path = dir.join("paper.redb");
    let id = DocId::new("paper").expect("id");
    let edits = trace.patch_count();
    let started = Instant::now();
    let snapshot;
    let meta;
    {
        let options = StoreOptions::batched(Duration::from_millis(10));
        let mut store = Store::open_with(&path, options).expect("opens");
        store.create(&id).expect("creates");
        for p in trace.txns.iter().flat_map(|t| &t.patches) {
            store
                .edit(&id, |tx| {
                    let mut text = tx.text("text");
                    if p.del > 0 {
                        text.delete(p.pos, p.del).expect("in bounds");
                    }
                    if !p.ins.is_empty() {
                        text.insert(p.pos, &p.ins).expect("in bounds");
                    }
                })
                .expect("commits");
            let _ = store.take_outbox(&id);
        }
        store.flush().expect("flushes");
        let doc = store.doc(&id).expect("loaded");
        assert_eq!(
            doc.root().text("text").expect("a text").to_string(),
            trace.end_content
        );
        snapshot = doc.snapshot();
        meta = store.meta(&id).expect("meta");
    }
    let typing = started.elapsed();
    let disk = file_bytes(&path);
    let (open_only, _) = best_of(5, || Store::open(&path).expect("opens").loaded_count());
    let (reopen, _) = best_of(5, || {
        let mut store = Store::open(&path).expect("opens");
        store.doc(&id).expect("loads").version()
    });
    let (load, _) = best_of(5, || {
        Doc::load(ReplicaId::new(5), &snapshot).expect("loads")
    });
    let (closed, reopen_closed) = {
        let mut store = Store::open(&path).expect("opens");
        let _ = store.doc(&id).expect("loads");
        store.close().expect("closes");
        let (t, _) = best_of(5, || {
            let mut store = Store::open(&path).expect("opens");
            store.doc(&id).expect("loads").version()
        });
        (file_bytes(&path), t)
    };
    println!("## {name}: {edits} edits, a commit each (batched fsync, 10 ms), compaction on\n");
    println!("| figure | value |\n|---|---:|");
    println!(
        "| typing time, all commits | {} ({:.1} µs per commit) |",
        ms(typing),
        typing.as_secs_f64() * 1e6 / edits as f64
    );
    println!("| compactions | {} |", meta.compactions);
    println!(
        "| log at the end | {} entries, {} B |",
        meta.log_entries, meta.log_bytes
    );
    println!("| snapshot | {} B |", snapshot.len());
    println!(
        "| store file on disk | {disk} B ({:.2}x the snapshot) |",
        disk as f64 / snapshot.len() as f64
    );
    println!(
        "| file after `Store::close` (log folded, space reclaimed) | {closed} B ({:.2}x) |",
        closed as f64 / snapshot.len() as f64
    );
    println!("| open the store alone (best of 5) | {} |", ms(open_only));
    println!(
        "| reopen: open the store and load the document (best of 5) | {} |",
        ms(reopen)
    );
    println!(
        "| `Doc::load` of the snapshot from memory (best of 5) | {} |",
        ms(load)
    );
    println!(
        "| reopen ÷ load | {:.2}x |",
        reopen.as_secs_f64() / load.as_secs_f64()
    );
    println!(
        "| reopen after `close` (nothing to replay) | {} ({:.2}x load) |\n",
        ms(reopen_closed),
        reopen_closed.as_secs_f64() / load.as_secs_f64()
    );
}

fn many_docs(dir: &Path) {
    println!("## Stores of many small documents (lazy loading)\n");
    println!("| documents | create all | file size | open (best of 5) | heap held by the open store | first read of one document |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for n in [100usize, 1_000, 10_000] {
        let path = dir.join(format!("many-{n}.redb"));
        let started = Instant::now();
        {
            let mut store = Store::open(&path).expect("opens");
            for i in 0..n {
                let id = DocId::new(format!("doc-{i:05}")).expect("id");
                store.create(&id).expect("creates");
                store
                    .edit(&id, |tx| {
                        tx.map("todo")
                            .lww("title")
                            .set_at(format!("task {i}"), 1)
                            .expect("sets");
                        tx.counter("done").add(1).expect("adds");
                    })
                    .expect("commits");
                store.evict(&id).expect("evicts");
            }
        }
        let create = started.elapsed();
        let (open, _) = best_of(5, || {
            let store = Store::open(&path).expect("opens");
            store.loaded_count()
        });
        let before = live_bytes();
        let mut store = Store::open(&path).expect("opens");
        let held = live_bytes().saturating_sub(before);
        let probe = DocId::new(format!("doc-{:05}", n / 2)).expect("id");
        let t = Instant::now();
        let counter = store.doc(&probe).expect("loads").root().counter("done");
        let first = t.elapsed();
        assert_eq!(counter, Some(1));
        println!(
            "| {n} | {} | {} B | {} | {held} B | {} |",
            ms(create),
            file_bytes(&path),
            ms(open),
            ms(first)
        );
    }
    println!();
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = dir.path().join("empty.redb");
    drop(Store::open(&empty).expect("opens"));
    println!("(an empty store file: {} B)\n", file_bytes(&empty));
    println!(
        "(files in {} on this machine's disk)\n",
        dir.path().display()
    );
    paper(dir.path());
    many_docs(dir.path());
}
