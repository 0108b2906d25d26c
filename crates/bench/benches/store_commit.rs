//! Durable commits per second, one small edit each (issue #14), side by
//! side in one run:
//!
//! - `converge_immediate`: `Store::edit` with an fsync per transaction;
//! - `converge_batched_2ms`: group commit, one fsync per 2 ms window
//!   (the time includes the final `flush`);
//! - `redb_raw_immediate`: redb inserting the same bytes as raw key-value
//!   pairs, an fsync per insert: the floor this design can reach;
//! - `automerge_incremental_fsync`: automerge's `save_incremental`,
//!   appended to a file and `sync_data` per edit.
//!
//! Each edit types one character into a text. Files live in a temporary
//! folder on the same disk. `cargo bench -p converge-bench --bench store_commit`

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::Write;
use std::time::{Duration, Instant, SystemTime};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT};
use converge_bench::report::{criterion_dir, fmt_ns, median_ns};
use converge_store::{DocId, Store, StoreOptions};
use criterion::{Criterion, Throughput};

const GROUP: &str = "durable_commit";
const RUNS: [&str; 4] = [
    "converge_immediate",
    "converge_batched_2ms",
    "redb_raw_immediate",
    "automerge_incremental_fsync",
];

fn durable_commit(c: &mut Criterion) {
    let mut g = c.benchmark_group(GROUP);
    g.throughput(Throughput::Elements(1));
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(8));
    let dir = tempfile::tempdir().expect("temp dir");

    let id = DocId::new("bench").expect("id");
    let mut store = Store::open(dir.path().join("immediate.redb")).expect("opens");
    store.create(&id).expect("creates");
    let mut n = 0usize;
    g.bench_function("converge_immediate", |b| {
        b.iter(|| {
            store
                .edit(&id, |tx| tx.text("t").insert(n, "x").expect("in bounds"))
                .expect("commits");
            n += 1;
            store.take_outbox(&id)
        })
    });

    let options = StoreOptions::batched(Duration::from_millis(2));
    let mut batched = Store::open_with(dir.path().join("batched.redb"), options).expect("opens");
    batched.create(&id).expect("creates");
    let mut m = 0usize;
    g.bench_function("converge_batched_2ms", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                batched
                    .edit(&id, |tx| tx.text("t").insert(m, "x").expect("in bounds"))
                    .expect("commits");
                m += 1;
                let _ = batched.take_outbox(&id);
            }
            batched.flush().expect("flushes");
            let _ = batched.take_outbox(&id);
            start.elapsed()
        })
    });

    // The bytes converge writes per edit, inserted raw.
    let mut probe = converge_core::Doc::new(converge_core::ReplicaId::new(9));
    let mut tx = probe.transact();
    tx.text("t").insert(0, "x").expect("in bounds");
    let delta = tx.commit().expect("a delta");
    const RAW: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("raw");
    let db = redb::Database::create(dir.path().join("raw.redb")).expect("opens");
    let mut k = 0u64;
    g.bench_function("redb_raw_immediate", |b| {
        b.iter(|| {
            let tx = db.begin_write().expect("begins");
            {
                let mut t = tx.open_table(RAW).expect("table");
                t.insert(k, delta.as_slice()).expect("inserts");
            }
            tx.commit().expect("commits");
            k += 1;
        })
    });

    let mut am = AutoCommit::new();
    let text = am.put_object(ROOT, "t", ObjType::Text).expect("text");
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.path().join("automerge.bin"))
        .expect("opens");
    file.write_all(&am.save()).expect("writes");
    file.sync_data().expect("syncs");
    let mut j = 0usize;
    g.bench_function("automerge_incremental_fsync", |b| {
        b.iter(|| {
            am.splice_text(&text, j, 0, "x").expect("in bounds");
            j += 1;
            let bytes = am.save_incremental();
            file.write_all(&bytes).expect("writes");
            file.sync_data().expect("syncs");
        })
    });
    g.finish();
}

fn print_summary(since: SystemTime) {
    let Some(dir) = criterion_dir() else { return };
    let Some(base) = median_ns(&dir, GROUP, RUNS[0], since) else {
        return;
    };
    let mut out = String::from(
        "| run | time per durable commit (median) | commits per second | ÷ converge_immediate |\n|---|---:|---:|---:|\n",
    );
    for run in RUNS {
        if let Some(t) = median_ns(&dir, GROUP, run, since) {
            let _ = writeln!(
                out,
                "| {run} | {} | {:.0} | {:.2}x |",
                fmt_ns(t),
                1e9 / t,
                t / base
            );
        }
    }
    println!("\nSummary of this run (criterion medians):\n\n{out}");
}

fn main() {
    let started = SystemTime::now();
    let mut c = Criterion::default().configure_from_args();
    durable_commit(&mut c);
    c.final_summary();
    print_summary(started);
}
