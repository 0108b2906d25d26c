//! Text editing on real traces: converge against diamond-types 1.0,
//! yrs 0.28, loro 1.17 and automerge 0.12, side by side in one run.
//!
//! On `automerge-paper.json.gz` (259,778 single-character edits):
//!
//! 1. `local_apply`: every edit applied one at a time to a fresh document
//!    (converge: the standalone `Text`, and a `Doc` with one transaction per
//!    edit; diamond-types: `ListCRDT`; yrs: one transaction per edit; loro:
//!    edits on a `LoroText`, committed once; automerge: `AutoCommit`);
//! 2. `encode`: the whole document with its history (bytes and time);
//! 3. `load`: that encoding into a fresh replica, then reading the text;
//! 4. heap bytes held by the document after the trace (counting allocator).
//!
//! On `friendsforever.json.gz`: 5. `concurrent_replay`, one replica per
//! agent, each txn's update encoded on its author and applied on the other
//! replica before that replica's next dependent txn (`replay_concurrent`).
//! automerge takes about a minute here, so it is timed once, outside
//! criterion (skip it with `CONVERGE_BENCH_SKIP_SLOW=1`). 6. The merged
//! state (`merged_load`): the snapshot one replica writes after the
//! replay (diamond-types replays the trace into one oplog, each txn at its
//! parents' versions), its size, its load + read, and the heap the replica
//! holds with its history.
//!
//! 7. The same as 1–4 on friendsforever flattened (`testkit::flatten`: its
//!    txns as one writer's edits, as a replica receiving them in trace
//!    order sees them), groups `flat_local_apply`, `flat_encode`,
//!    `flat_load`. 8. `relay`: automerge-paper's writer with a reader that
//!    applies each txn's update as it comes (converge, yrs, loro; bytes per
//!    txn and time).
//!
//! Run with `cargo bench -p converge-bench --bench text_traces`; the traces
//! come from `$CONVERGE_TRACES` (default `../shared/data/editing-traces`).

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, TextEncoding, ROOT};
use converge_bench::report::{criterion_dir, fmt_ns, median_ns, save_beside_results};
use converge_core::{Doc, ReplicaId, Text};
use converge_testkit::alloc::{live_bytes, CountingAlloc};
use converge_testkit::traces::{self, TraceReplica, AUTOMERGE_PAPER, FRIENDSFOREVER};
use converge_testkit::{replay_concurrent, DocReplica, Trace};
use criterion::Criterion;
use yrs::updates::decoder::Decode;
use yrs::{GetString, ReadTxn, StateVector, Transact, Update};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// The libraries, in table order.
const LIBS: [&str; 6] = [
    "converge",
    "converge_doc",
    "diamond_types",
    "yrs",
    "loro",
    "automerge",
];

fn edits(trace: &Trace) -> impl Iterator<Item = (usize, usize, &str)> {
    trace
        .txns
        .iter()
        .flat_map(|t| t.patches.iter().map(|p| (p.pos, p.del, p.ins.as_str())))
}

// ---- converge ----

fn converge_apply(trace: &Trace) -> Text {
    let mut t = Text::new(ReplicaId::new(1));
    for (pos, del, ins) in edits(trace) {
        if del > 0 {
            t.delete(pos, del).expect("in bounds");
        }
        if !ins.is_empty() {
            t.insert(pos, ins).expect("in bounds");
        }
    }
    t
}

fn converge_load(bytes: &[u8]) -> String {
    Text::from_bytes(ReplicaId::new(2), bytes)
        .expect("loads")
        .to_string()
}

/// A `Doc` typed into through an owned handle, one transaction per edit
/// (what an editor binding does).
fn doc_apply(trace: &Trace) -> Doc {
    let mut d = Doc::new(ReplicaId::new(1));
    let text = d.get_text("text");
    for (pos, del, ins) in edits(trace) {
        let mut tx = d.transact();
        if del > 0 {
            text.delete(&mut tx, pos, del).expect("in bounds");
        }
        if !ins.is_empty() {
            text.insert(&mut tx, pos, ins).expect("in bounds");
        }
    }
    d
}

/// The same through the borrowing handles (`tx.text("text")` each time).
fn doc_apply_named(trace: &Trace) -> Doc {
    let mut d = Doc::new(ReplicaId::new(1));
    for (pos, del, ins) in edits(trace) {
        let mut tx = d.transact();
        let mut t = tx.text("text");
        if del > 0 {
            t.delete(pos, del).expect("in bounds");
        }
        if !ins.is_empty() {
            t.insert(pos, ins).expect("in bounds");
        }
    }
    d
}

fn doc_load(bytes: &[u8]) -> String {
    doc_load_as(2, bytes)
}

/// [`doc_load`] as replica `id` (one no replica of the trace used).
fn doc_load_as(id: u64, bytes: &[u8]) -> String {
    Doc::load(ReplicaId::new(id), bytes)
        .expect("loads")
        .root()
        .text("text")
        .map(|t| t.to_string())
        .unwrap_or_default()
}

// ---- diamond-types ----

fn dt_apply(trace: &Trace) -> diamond_types::list::ListCRDT {
    let mut doc = diamond_types::list::ListCRDT::new();
    let agent = doc.get_or_create_agent_id("a");
    for (pos, del, ins) in edits(trace) {
        if del > 0 {
            doc.delete(agent, pos..pos + del);
        }
        if !ins.is_empty() {
            doc.insert(agent, pos, ins);
        }
    }
    doc
}

fn dt_encode(doc: &diamond_types::list::ListCRDT) -> Vec<u8> {
    doc.oplog
        .encode(diamond_types::list::encoding::EncodeOptions::default())
}

fn dt_load(bytes: &[u8]) -> String {
    diamond_types::list::ListCRDT::load_from(bytes)
        .expect("loads")
        .branch
        .content()
        .to_string()
}

// ---- yrs ----

fn yrs_apply(trace: &Trace) -> yrs::Doc {
    let doc = yrs::Doc::with_client_id(1);
    let text = doc.get_or_insert_text("text");
    for (pos, del, ins) in edits(trace) {
        let mut txn = doc.transact_mut();
        if del > 0 {
            yrs::Text::remove_range(&text, &mut txn, pos as u32, del as u32);
        }
        if !ins.is_empty() {
            yrs::Text::insert(&text, &mut txn, pos as u32, ins);
        }
    }
    doc
}

fn yrs_encode(doc: &yrs::Doc) -> Vec<u8> {
    doc.transact()
        .encode_state_as_update_v1(&StateVector::default())
}

fn yrs_load(bytes: &[u8]) -> String {
    let doc = yrs::Doc::with_client_id(2);
    let text = doc.get_or_insert_text("text");
    let mut txn = doc.transact_mut();
    txn.apply_update(Update::decode_v1(bytes).expect("decodes"))
        .expect("applies");
    text.get_string(&txn)
}

// ---- loro ----

fn loro_apply(trace: &Trace) -> loro::LoroDoc {
    let doc = loro::LoroDoc::new();
    doc.set_peer_id(1).expect("peer id");
    let text = doc.get_text("text");
    for (pos, del, ins) in edits(trace) {
        if del > 0 {
            text.delete(pos, del).expect("in bounds");
        }
        if !ins.is_empty() {
            text.insert(pos, ins).expect("in bounds");
        }
    }
    doc.commit();
    doc
}

fn loro_encode(doc: &loro::LoroDoc) -> Vec<u8> {
    doc.export(loro::ExportMode::Snapshot).expect("exports")
}

fn loro_load(bytes: &[u8]) -> String {
    let doc = loro::LoroDoc::new();
    doc.import(bytes).expect("imports");
    doc.get_text("text").to_string()
}

// ---- automerge ----

fn am_apply(trace: &Trace) -> AutoCommit {
    let mut doc = AutoCommit::new_with_encoding(TextEncoding::UnicodeCodePoint);
    let text = doc
        .put_object(ROOT, "text", ObjType::Text)
        .expect("text object");
    for (pos, del, ins) in edits(trace) {
        doc.splice_text(&text, pos, del as isize, ins)
            .expect("in bounds");
    }
    doc
}

fn am_encode(doc: &mut AutoCommit) -> Vec<u8> {
    doc.save()
}

fn am_load(bytes: &[u8]) -> String {
    let doc = AutoCommit::load(bytes).expect("loads");
    let (_, text) = doc.get(ROOT, "text").expect("reads").expect("has text");
    doc.text(&text).expect("a text")
}

/// Each library's load-and-read, in [`LIBS`] order.
const LOADS: [Load; 6] = [
    converge_load,
    doc_load,
    dt_load,
    yrs_load,
    loro_load,
    am_load,
];

// ---- one-shot figures: bytes and heap ----

/// Heap bytes held by what `build` returns, and the value.
fn held<T>(build: impl FnOnce() -> T) -> (usize, T) {
    let before = live_bytes();
    let value = build();
    (live_bytes().saturating_sub(before), value)
}

struct Figures {
    heap: [usize; 6],
    bytes: [usize; 6],
    encoded: Vec<Vec<u8>>,
}

fn figures(trace: &Trace) -> Figures {
    let end = &trace.end_content;
    let (h0, ours) = held(|| converge_apply(trace));
    let (h1, doc) = held(|| {
        let mut d = doc_apply(trace);
        let everyone = d.version();
        d.trim_log(&everyone);
        d
    });
    let (h2, dt) = held(|| dt_apply(trace));
    let (h3, y) = held(|| yrs_apply(trace));
    let (h4, l) = held(|| loro_apply(trace));
    let (h5, mut am) = held(|| am_apply(trace));
    let encoded = vec![
        ours.to_bytes(),
        doc.snapshot(),
        dt_encode(&dt),
        yrs_encode(&y),
        loro_encode(&l),
        am_encode(&mut am),
    ];
    for (i, load) in LOADS.iter().enumerate() {
        assert!(
            load(&encoded[i]) == *end,
            "{} did not reproduce endContent",
            LIBS[i]
        );
    }
    assert!(ours.to_string() == *end);
    Figures {
        heap: [h0, h1, h2, h3, h4, h5],
        bytes: encoded
            .iter()
            .map(Vec::len)
            .collect::<Vec<_>>()
            .try_into()
            .unwrap(),
        encoded,
    }
}

// ---- friendsforever: the merged state ----

/// diamond-types replaying a concurrent trace: each txn's operations added
/// at its parents' versions (`OpLog::add_operations_at`), then the branch
/// checked out at the tip.
fn dt_replay(trace: &Trace) -> diamond_types::list::ListCRDT {
    use diamond_types::list::operation::Operation;
    let mut doc = diamond_types::list::ListCRDT::new();
    let agents = trace.txns.iter().map(|t| t.agent + 1).max().unwrap_or(1);
    let ids: Vec<_> = (0..agents)
        .map(|a| doc.get_or_create_agent_id(&format!("agent{a}")))
        .collect();
    let mut last = Vec::with_capacity(trace.txns.len());
    for txn in &trace.txns {
        let mut parents: Vec<usize> = txn.parents.iter().map(|&p| last[p]).collect();
        parents.sort_unstable();
        let mut ops = Vec::new();
        for p in &txn.patches {
            if p.del > 0 {
                ops.push(Operation::new_delete(p.pos..p.pos + p.del));
            }
            if !p.ins.is_empty() {
                ops.push(Operation::new_insert(p.pos, &p.ins));
            }
        }
        assert!(!ops.is_empty(), "every txn of the trace edits");
        last.push(doc.oplog.add_operations_at(ids[txn.agent], &parents, &ops));
    }
    doc.branch = doc.oplog.checkout_tip();
    doc
}

/// The state every replica holds after friendsforever's concurrent replay,
/// per library: its encoded snapshot and the heap one replica holds (its
/// document with the history it keeps; the others dropped).
struct Merged {
    bytes: Vec<Vec<u8>>,
    heap: Vec<usize>,
    /// converge's heap with the log trimmed.
    trimmed: usize,
}

/// A load-and-read of one library's encoding.
type Load = fn(&[u8]) -> String;

/// The libraries of [`Merged`], with the load that reads each snapshot.
const MERGED_LIBS: [(&str, Load); 4] = [
    ("converge", |b| doc_load_as(1_000, b)),
    ("diamond_types", dt_load),
    ("yrs", yrs_load),
    ("loro", loro_load),
];

fn one_replica<R: TraceReplica>(trace: &Trace, make: impl FnMut(usize) -> R) -> R {
    let (mut replicas, _) = replay_concurrent(trace, make);
    replicas.truncate(1);
    replicas.pop().expect("a replica")
}

fn merged(trace: &Trace) -> Merged {
    let before = live_bytes();
    let mut ours = one_replica(trace, DocReplica::new);
    let h0 = live_bytes().saturating_sub(before);
    // What the replica holds once every peer has everything (its log of
    // deltas for catch-up trimmed), as automerge-paper's `converge_doc`.
    {
        let everyone = ours.doc.version();
        ours.doc.trim_log(&everyone);
    }
    let trimmed = live_bytes().saturating_sub(before);
    let (h1, dt) = held(|| dt_replay(trace));
    let (h2, y) = held(|| one_replica(trace, yrs_replica));
    let (h3, l) = held(|| one_replica(trace, loro_replica));
    let bytes = vec![
        ours.doc.snapshot(),
        dt_encode(&dt),
        yrs_encode(&y.doc),
        loro_encode(&l.doc),
    ];
    for (i, (lib, load)) in MERGED_LIBS.iter().enumerate() {
        assert!(
            load(&bytes[i]) == trace.end_content,
            "{lib}'s merged snapshot did not reproduce endContent"
        );
    }
    Merged {
        bytes,
        heap: vec![h0, h1, h2, h3],
        trimmed,
    }
}

/// How many of friendsforever's txns the catch-up figure replays.
const CATCH_UP_TXNS: usize = 10_000;

/// The catch-up of friendsforever's first `n` txns (both writers'): what
/// a third replica that has none of them is sent by one that has them
/// all. converge: `Doc::encode_since` the empty version, and the
/// snapshot of the same document; yrs: its update from the empty state
/// vector, v1 and v2. Each is checked by loading it into a fresh replica.
fn catch_up(trace: &Trace, n: usize) -> [usize; 4] {
    use yrs::updates::encoder::Encode;
    let head = Trace {
        start_content: String::new(),
        end_content: String::new(),
        txns: trace.txns[..n.min(trace.txns.len())].to_vec(),
    };
    let ours = one_replica(&head, DocReplica::new);
    let text = ours.text();
    let group = ours
        .doc
        .encode_since(&converge_core::VersionVector::new())
        .expect("something to send");
    let mut fresh = DocReplica::new(1_000);
    fresh.receive(&group);
    assert!(
        fresh.text() == text,
        "the catch-up group reproduces the text"
    );
    let snapshot = ours.doc.snapshot();
    let y = one_replica(&head, yrs_replica);
    let v1 = yrs_encode(&y.doc);
    assert!(yrs_load(&v1) == text, "yrs's replica holds the same text");
    let v2 = Update::decode_v1(&v1).expect("decodes").encode_v2();
    [group.len(), snapshot.len(), v1.len(), v2.len()]
}

// ---- criterion ----

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .sample_size(10)
}

/// `local_apply`, `encode` and `load` on a sequential `trace`, as groups
/// named with `prefix` (none for automerge-paper, `flat_` for the
/// flattened friendsforever).
fn bench_local(c: &mut Criterion, prefix: &str, trace: &Trace, f: &Figures) {
    let mut g = c.benchmark_group(format!("{prefix}local_apply"));
    g.bench_function("converge", |b| b.iter(|| converge_apply(trace)));
    g.bench_function("converge_doc", |b| b.iter(|| doc_apply(trace)));
    g.bench_function("converge_doc_named", |b| b.iter(|| doc_apply_named(trace)));
    g.bench_function("diamond_types", |b| b.iter(|| dt_apply(trace)));
    g.bench_function("yrs", |b| b.iter(|| yrs_apply(trace)));
    g.bench_function("loro", |b| b.iter(|| loro_apply(trace)));
    g.bench_function("automerge", |b| b.iter(|| am_apply(trace)));
    g.finish();

    let ours = converge_apply(trace);
    let doc = doc_apply(trace);
    let dt = dt_apply(trace);
    let y = yrs_apply(trace);
    let l = loro_apply(trace);
    let mut am = am_apply(trace);
    let mut g = c.benchmark_group(format!("{prefix}encode"));
    g.bench_function("converge", |b| b.iter(|| ours.to_bytes()));
    g.bench_function("converge_doc", |b| b.iter(|| doc.snapshot()));
    g.bench_function("diamond_types", |b| b.iter(|| dt_encode(&dt)));
    g.bench_function("yrs", |b| b.iter(|| yrs_encode(&y)));
    g.bench_function("loro", |b| b.iter(|| loro_encode(&l)));
    g.bench_function("automerge", |b| b.iter(|| am_encode(&mut am)));
    g.finish();

    let mut g = c.benchmark_group(format!("{prefix}load"));
    for (i, load) in LOADS.into_iter().enumerate() {
        let bytes = &f.encoded[i];
        g.bench_function(LIBS[i], |b| b.iter(|| load(black_box(bytes))));
    }
    g.finish();
}

// ---- concurrent replay ----

struct YrsReplica {
    doc: yrs::Doc,
    text: yrs::TextRef,
    txn_patches: Vec<(usize, usize, String)>,
}

impl TraceReplica for YrsReplica {
    fn patch(&mut self, pos: usize, del: usize, ins: &str) {
        self.txn_patches.push((pos, del, ins.to_string()));
    }
    fn commit(&mut self) -> Vec<u8> {
        let mut txn = self.doc.transact_mut();
        for (pos, del, ins) in self.txn_patches.drain(..) {
            if del > 0 {
                yrs::Text::remove_range(&self.text, &mut txn, pos as u32, del as u32);
            }
            if !ins.is_empty() {
                yrs::Text::insert(&self.text, &mut txn, pos as u32, &ins);
            }
        }
        txn.encode_update_v1()
    }
    fn receive(&mut self, update: &[u8]) {
        let mut txn = self.doc.transact_mut();
        txn.apply_update(Update::decode_v1(update).expect("decodes"))
            .expect("applies");
    }
    fn text(&self) -> String {
        self.text.get_string(&self.doc.transact())
    }
}

fn yrs_replica(agent: usize) -> YrsReplica {
    let doc = yrs::Doc::with_client_id(agent as u64 + 1);
    let text = doc.get_or_insert_text("text");
    YrsReplica {
        doc,
        text,
        txn_patches: Vec::new(),
    }
}

struct LoroReplica {
    doc: loro::LoroDoc,
    text: loro::LoroText,
    before: loro::VersionVector,
}

impl TraceReplica for LoroReplica {
    fn patch(&mut self, pos: usize, del: usize, ins: &str) {
        if del > 0 {
            self.text.delete(pos, del).expect("in bounds");
        }
        if !ins.is_empty() {
            self.text.insert(pos, ins).expect("in bounds");
        }
    }
    fn commit(&mut self) -> Vec<u8> {
        self.doc.commit();
        let update = self
            .doc
            .export(loro::ExportMode::updates(&self.before))
            .expect("exports");
        self.before = self.doc.oplog_vv();
        update
    }
    fn receive(&mut self, update: &[u8]) {
        self.doc.import(update).expect("imports");
        self.before = self.doc.oplog_vv();
    }
    fn text(&self) -> String {
        self.text.to_string()
    }
}

fn loro_replica(agent: usize) -> LoroReplica {
    let doc = loro::LoroDoc::new();
    doc.set_peer_id(agent as u64 + 1).expect("peer id");
    let text = doc.get_text("text");
    let before = doc.oplog_vv();
    LoroReplica { doc, text, before }
}

struct AmReplica {
    doc: AutoCommit,
    text: automerge::ObjId,
}

impl TraceReplica for AmReplica {
    fn patch(&mut self, pos: usize, del: usize, ins: &str) {
        self.doc
            .splice_text(&self.text, pos, del as isize, ins)
            .expect("in bounds");
    }
    fn commit(&mut self) -> Vec<u8> {
        self.doc.save_incremental()
    }
    fn receive(&mut self, update: &[u8]) {
        self.doc.load_incremental(update).expect("loads");
    }
    fn text(&self) -> String {
        self.doc.text(&self.text).expect("a text")
    }
}

/// Both automerge replicas start from one shared empty text object.
fn am_replicas() -> impl FnMut(usize) -> AmReplica {
    let mut base = AutoCommit::new_with_encoding(TextEncoding::UnicodeCodePoint);
    base.set_actor(automerge::ActorId::from(vec![0u8]));
    let text = base
        .put_object(ROOT, "text", ObjType::Text)
        .expect("text object");
    let saved = base.save();
    move |agent| {
        let mut doc = AutoCommit::load(&saved).expect("loads");
        doc.set_actor(automerge::ActorId::from(vec![agent as u8 + 1]));
        let _ = doc.save_incremental();
        AmReplica {
            doc,
            text: text.clone(),
        }
    }
}

/// Replays and checks the result; returns the update bytes.
fn replay<R: TraceReplica>(trace: &Trace, make: impl FnMut(usize) -> R) -> usize {
    let (replicas, stats) = replay_concurrent(trace, make);
    for r in &replicas {
        assert!(
            r.text() == trace.end_content,
            "replay differs from endContent"
        );
    }
    stats.update_bytes
}

/// One writer and a reader: each txn's update is encoded on the writer
/// and applied on a second replica as it comes (what a peer receiving
/// keystrokes does). Checks the reader's text; returns the update bytes.
fn relay<R: TraceReplica>(trace: &Trace, mut make: impl FnMut(usize) -> R) -> usize {
    let (mut writer, mut reader) = (make(0), make(1));
    let mut bytes = 0;
    for txn in &trace.txns {
        for p in &txn.patches {
            writer.patch(p.pos, p.del, &p.ins);
        }
        let update = writer.commit();
        bytes += update.len();
        reader.receive(&update);
    }
    assert!(
        reader.text() == trace.end_content,
        "the reader differs from endContent"
    );
    bytes
}

/// The libraries of the relay, in table order.
const RELAY_LIBS: [&str; 3] = ["converge", "yrs", "loro"];

fn bench_relay(c: &mut Criterion, trace: &Trace) {
    let mut g = c.benchmark_group("relay");
    g.bench_function("converge", |b| b.iter(|| relay(trace, DocReplica::new)));
    g.bench_function("yrs", |b| b.iter(|| relay(trace, yrs_replica)));
    g.bench_function("loro", |b| b.iter(|| relay(trace, loro_replica)));
    g.finish();
}

fn bench_concurrent(c: &mut Criterion, trace: &Trace, m: &Merged) {
    let mut g = c.benchmark_group("concurrent_replay");
    g.bench_function("converge", |b| b.iter(|| replay(trace, DocReplica::new)));
    g.bench_function("yrs", |b| b.iter(|| replay(trace, yrs_replica)));
    g.bench_function("loro", |b| b.iter(|| replay(trace, loro_replica)));
    g.finish();
    let mut g = c.benchmark_group("merged_load");
    for (i, (lib, load)) in MERGED_LIBS.into_iter().enumerate() {
        let bytes = &m.bytes[i];
        g.bench_function(lib, |b| b.iter(|| load(black_box(bytes))));
    }
    g.finish();
}

// ---- report ----

/// The table of `local_apply`, `encode`, `load`, bytes and heap of one
/// sequential trace (criterion groups named with `prefix`), with ratios.
fn local_table(
    out: &mut String,
    title: &str,
    prefix: &str,
    f: &Figures,
    med: &dyn Fn(&str, &str) -> Option<f64>,
) {
    let _ = writeln!(out, "\n{title}\n");
    let _ = writeln!(
        out,
        "| library | local apply | encode | encoded bytes | load | heap held |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    let show = |ns: Option<f64>| ns.map_or(String::from("—"), fmt_ns);
    let group = |g: &str| format!("{prefix}{g}");
    for (i, lib) in LIBS.iter().enumerate() {
        let _ = writeln!(
            out,
            "| {lib} | {} | {} | {} | {} | {:.2} MB |",
            show(med(&group("local_apply"), lib)),
            show(med(&group("encode"), lib)),
            f.bytes[i],
            show(med(&group("load"), lib)),
            f.heap[i] as f64 / 1e6
        );
    }
    let _ = writeln!(
        out,
        "\nRatios (other / converge; above 1 means converge is faster or smaller):\n"
    );
    let _ = writeln!(
        out,
        "| figure | converge | ratio vs diamond-types | vs yrs | vs loro | vs automerge |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    let ratios = |name: &str,
                  ours: Option<f64>,
                  get: &dyn Fn(&str) -> Option<f64>,
                  fmt: &dyn Fn(f64) -> String| {
        let Some(o) = ours else { return String::new() };
        let mut s = format!("| {name} | {} |", fmt(o));
        for lib in ["diamond_types", "yrs", "loro", "automerge"] {
            match get(lib) {
                Some(t) => s.push_str(&format!(" {:.2}x |", t / o)),
                None => s.push_str(" — |"),
            }
        }
        s.push('\n');
        s
    };
    for name in ["local_apply", "encode", "load"] {
        let g = group(name);
        out.push_str(&ratios(name, med(&g, "converge"), &|l| med(&g, l), &fmt_ns));
    }
    let idx = |l: &str| LIBS.iter().position(|x| *x == l).expect("a library");
    out.push_str(&ratios(
        "encoded bytes",
        Some(f.bytes[0] as f64),
        &|l| Some(f.bytes[idx(l)] as f64),
        &|b| format!("{b:.0} B"),
    ));
    out.push_str(&ratios(
        "heap held",
        Some(f.heap[0] as f64),
        &|l| Some(f.heap[idx(l)] as f64),
        &|b| format!("{:.2} MB", b / 1e6),
    ));
    let text = med(&group("local_apply"), "converge");
    let doc_ratio = |lib: &str| match (text, med(&group("local_apply"), lib)) {
        (Some(t), Some(d)) => format!("{:.2}x", d / t),
        _ => String::from("—"),
    };
    let _ = writeln!(
        out,
        "\nTyping through a `Doc` (a transaction per edit) against the standalone `Text`: \
         owned handle {}, borrowing handle (`tx.text(\"text\")`) {}.",
        doc_ratio("converge_doc"),
        doc_ratio("converge_doc_named")
    );
}

/// What the report prints besides criterion's medians.
struct Results {
    paper: Figures,
    flat: Figures,
    merged: Merged,
    replay_bytes: Vec<(&'static str, usize)>,
    /// automerge-paper's txns, and each relay library's update bytes.
    relay: (usize, Vec<(&'static str, usize)>),
    /// [`catch_up`] of friendsforever.
    catch_up: [usize; 4],
}

fn report(r: &Results, am_replay: Option<(Duration, usize)>, since: SystemTime) {
    let mut out = String::new();
    let dir = criterion_dir();
    let med = |group: &str, lib: &str| dir.as_deref().and_then(|d| median_ns(d, group, lib, since));
    let show = |ns: Option<f64>| ns.map_or(String::from("—"), fmt_ns);
    let (f, flat, m, replay_bytes) = (&r.paper, &r.flat, &r.merged, &r.replay_bytes);
    local_table(
        &mut out,
        "automerge-paper (259,778 edits), one run on this machine:",
        "",
        f,
        &med,
    );
    local_table(
        &mut out,
        "friendsforever flattened (its 26,078 txns as one writer's edits, `testkit::flatten`), \
         the same run:",
        "flat_",
        flat,
        &med,
    );
    let _ = writeln!(
        out,
        "\nfriendsforever concurrent replay (26,078 txns, 2 agents):\n"
    );
    let _ = writeln!(out, "| library | time | update bytes | time vs converge |");
    let _ = writeln!(out, "|---|---:|---:|---:|");
    let ours = med("concurrent_replay", "converge");
    for (lib, bytes) in replay_bytes {
        let t = med("concurrent_replay", lib);
        let ratio = match (ours, t) {
            (Some(o), Some(t)) => format!("{:.2}x", t / o),
            _ => String::from("—"),
        };
        let _ = writeln!(out, "| {lib} | {} | {bytes} | {ratio} |", show(t));
    }
    match am_replay {
        Some((time, bytes)) => {
            let ratio = ours.map_or(String::from("—"), |o| {
                format!("{:.2}x", time.as_nanos() as f64 / o)
            });
            let _ = writeln!(
                out,
                "| automerge (one timed run) | {} | {bytes} | {ratio} |",
                fmt_ns(time.as_nanos() as f64)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "| automerge | skipped (CONVERGE_BENCH_SKIP_SLOW) | — | — |"
            );
        }
    }
    let (txns, relay_bytes) = &r.relay;
    let _ = writeln!(
        out,
        "\nautomerge-paper relayed: each of its {txns} txns encoded on the writer \
         and applied on a reader as it comes:\n"
    );
    let _ = writeln!(
        out,
        "| library | time | update bytes | bytes per txn | time vs converge | bytes vs converge |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    let ours = med("relay", "converge");
    for (lib, bytes) in relay_bytes {
        let t = med("relay", lib);
        let ratio = match (ours, t) {
            (Some(o), Some(t)) => format!("{:.2}x", t / o),
            _ => String::from("—"),
        };
        let _ = writeln!(
            out,
            "| {lib} | {} | {bytes} | {:.1} | {ratio} | {:.2}x |",
            show(t),
            *bytes as f64 / *txns as f64,
            *bytes as f64 / relay_bytes[0].1 as f64
        );
    }
    let [group, snapshot, v1, v2] = r.catch_up;
    let _ = writeln!(
        out,
        "\nfriendsforever's first {CATCH_UP_TXNS} txns (both writers), caught up by a \
         replica that has none of them:\n"
    );
    let _ = writeln!(out, "| | bytes | ÷ yrs v2 |");
    let _ = writeln!(out, "|---|---:|---:|");
    for (name, n) in [
        ("converge `encode_since`", group),
        ("converge snapshot of the same document", snapshot),
        ("yrs v1", v1),
        ("yrs v2", v2),
    ] {
        let _ = writeln!(out, "| {name} | {n} | {:.2}x |", n as f64 / v2 as f64);
    }
    let _ = writeln!(
        out,
        "\nfriendsforever merged (the state after the replay): snapshot, \
         load + read, heap one replica holds (ratios: other / converge):\n"
    );
    let _ = writeln!(
        out,
        "| library | snapshot bytes | ratio | load | ratio | heap held | ratio |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
    let our_load = med("merged_load", "converge");
    for (i, (lib, _)) in MERGED_LIBS.iter().enumerate() {
        let t = med("merged_load", lib);
        let load_ratio = match (our_load, t) {
            (Some(o), Some(t)) => format!("{:.2}x", t / o),
            _ => String::from("—"),
        };
        let _ = writeln!(
            out,
            "| {lib} | {} | {:.2}x | {} | {load_ratio} | {:.2} MB | {:.2}x |",
            m.bytes[i].len(),
            m.bytes[i].len() as f64 / m.bytes[0].len() as f64,
            show(t),
            m.heap[i] as f64 / 1e6,
            m.heap[i] as f64 / m.heap[0] as f64
        );
    }
    let _ = writeln!(
        out,
        "\nconverge's replica with its log of deltas trimmed (every peer has \
         everything): {:.2} MB, {:.2}x diamond-types.",
        m.trimmed as f64 / 1e6,
        m.trimmed as f64 / m.heap[1] as f64
    );
    println!("\n{out}");
    save_beside_results("text_traces.md", &out);
}

fn main() {
    let started = SystemTime::now();
    let paper = traces::load(AUTOMERGE_PAPER).unwrap_or_else(|e| panic!("{e}"));
    let friends = traces::load(FRIENDSFOREVER).unwrap_or_else(|e| panic!("{e}"));
    let flat = traces::flatten(&friends);
    let r = Results {
        paper: figures(&paper),
        flat: figures(&flat),
        merged: merged(&friends),
        replay_bytes: vec![
            ("converge", replay(&friends, DocReplica::new)),
            ("yrs", replay(&friends, yrs_replica)),
            ("loro", replay(&friends, loro_replica)),
        ],
        relay: (
            paper.txns.len(),
            vec![
                (RELAY_LIBS[0], relay(&paper, DocReplica::new)),
                (RELAY_LIBS[1], relay(&paper, yrs_replica)),
                (RELAY_LIBS[2], relay(&paper, loro_replica)),
            ],
        ),
        catch_up: catch_up(&friends, CATCH_UP_TXNS),
    };
    let mut c = config().configure_from_args();
    bench_local(&mut c, "", &paper, &r.paper);
    bench_local(&mut c, "flat_", &flat, &r.flat);
    bench_relay(&mut c, &paper);
    bench_concurrent(&mut c, &friends, &r.merged);
    c.final_summary();
    let am_replay = if std::env::var_os("CONVERGE_BENCH_SKIP_SLOW").is_some() {
        None
    } else {
        let t = Instant::now();
        let bytes = replay(&friends, am_replicas());
        Some((t.elapsed(), bytes))
    };
    report(&r, am_replay, started);
}
