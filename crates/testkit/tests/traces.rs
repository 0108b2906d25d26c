//! The editing-trace loader and replays, on the committed excerpts
//! (always) and on the full traces in `$CONVERGE_TRACES` (default
//! `../shared/data/editing-traces`) when they are there: without them the
//! full-trace tests print a `skipped:` line and pass, so a clone with
//! nothing beside it is green. A trace that is present but unreadable
//! fails.

use std::path::Path;
use std::time::Instant;

use converge_testkit::traces::{
    self, load, load_from, TraceError, AUTOMERGE_PAPER, FRIENDSFOREVER,
};
use converge_testkit::{replay_sequential, Patch, Trace, Txn};

/// The full trace `name`, or `None` (with a visible line) when the
/// folder does not hold it.
fn full_trace(name: &str) -> Option<Trace> {
    let started = Instant::now();
    match load(name) {
        Ok(trace) => {
            eprintln!("loaded {name} in {:?}", started.elapsed());
            Some(trace)
        }
        Err(TraceError::Missing { path, .. }) => {
            eprintln!(
                "skipped: editing traces not found at {}; see README (set {} to their folder)",
                path.display(),
                traces::TRACES_ENV
            );
            None
        }
        Err(err) => panic!("{err}"),
    }
}

#[test]
fn automerge_paper_replays_to_its_end_content() {
    let Some(trace) = full_trace(AUTOMERGE_PAPER) else {
        return;
    };
    let patches = trace.txns.iter().flat_map(|txn| &txn.patches);
    let inserts = patches.clone().filter(|p| !p.ins.is_empty()).count();
    let deletes = patches.clone().filter(|p| p.del > 0).count();
    eprintln!(
        "{AUTOMERGE_PAPER}: {} txns, {} patches ({inserts} inserts, {deletes} deletes), \
         end {} chars",
        trace.txns.len(),
        trace.patch_count(),
        trace.end_content.chars().count()
    );

    assert_eq!(trace.txns.len(), 259_778);
    assert_eq!(trace.patch_count(), 259_778);
    assert_eq!((inserts, deletes), (182_315, 77_463));
    assert!(patches
        .clone()
        .all(|p| (p.del, p.ins.chars().count()) == (0, 1) || (p.del, p.ins.len()) == (1, 0)));
    assert!(trace.start_content.is_empty());
    assert_eq!(trace.end_content.chars().count(), 104_852);
    assert!(trace.end_content.is_ascii());
    assert!(trace.is_sequential());
    assert_eq!(trace.agent_count(), 1);

    let started = Instant::now();
    let replayed = replay_sequential(&trace);
    eprintln!("replayed {AUTOMERGE_PAPER} in {:?}", started.elapsed());
    assert!(
        replayed == trace.end_content,
        "replay differs from endContent"
    );
}

#[test]
fn friendsforever_is_a_two_agent_dag() {
    let Some(trace) = full_trace(FRIENDSFOREVER) else {
        return;
    };
    let merges = trace
        .txns
        .iter()
        .filter(|txn| txn.parents.len() > 1)
        .count();
    eprintln!(
        "{FRIENDSFOREVER}: {} txns, {} patches, {} agents, {merges} merge txns, \
         end {} chars",
        trace.txns.len(),
        trace.patch_count(),
        trace.agent_count(),
        trace.end_content.chars().count()
    );

    assert_eq!(trace.agent_count(), 2);
    for (i, txn) in trace.txns.iter().enumerate() {
        assert!(
            txn.parents.iter().all(|&p| p < i),
            "txn {i} has parents {:?}",
            txn.parents
        );
        assert_eq!(txn.parents.is_empty(), i == 0, "txn {i} is a root");
        assert!(txn.agent < 2);
    }
    assert_eq!(trace.txns.len(), 26_078);
    assert_eq!(trace.patch_count(), 26_078);
    assert_eq!(merges, 2_258);
    assert!(trace.start_content.is_empty());
    assert_eq!(trace.end_content.chars().count(), 21_362);
    assert!(trace.end_content.is_ascii());
    assert!(!trace.is_sequential());
}

#[test]
#[should_panic(expected = "single chain")]
fn replay_sequential_refuses_a_concurrent_trace() {
    replay_sequential(&traces::load_excerpt(FRIENDSFOREVER).unwrap_or_else(|e| panic!("{e}")));
}

#[test]
fn a_missing_trace_names_the_path_and_the_variable() {
    let dir = Path::new("/nonexistent/editing-traces");
    let err = load_from(dir, AUTOMERGE_PAPER).unwrap_err();
    assert!(matches!(err, TraceError::Missing { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("/nonexistent/editing-traces/automerge-paper.json.gz"),
        "{message}"
    );
    assert!(message.contains(traces::TRACES_ENV), "{message}");
}

#[test]
fn patches_count_chars_and_apply_in_order() {
    let patch = |pos, del, ins: &str| Patch {
        pos,
        del,
        ins: ins.to_owned(),
    };
    let trace = Trace {
        start_content: "héllo".to_owned(),
        end_content: "hello wörld!".to_owned(),
        txns: vec![
            Txn {
                parents: vec![],
                agent: 0,
                // The second patch sees the first one's result.
                patches: vec![patch(1, 1, "e"), patch(5, 0, " wörld")],
            },
            Txn {
                parents: vec![0],
                agent: 0,
                patches: vec![patch(11, 0, "!")],
            },
        ],
    };
    assert_eq!(replay_sequential(&trace), trace.end_content);
}

#[test]
#[should_panic(expected = "reaches past the end")]
fn a_patch_past_the_end_panics() {
    let mut doc: Vec<char> = "ab".chars().collect();
    Patch {
        pos: 1,
        del: 2,
        ins: String::new(),
    }
    .apply_to(&mut doc);
}

#[test]
fn automerge_paper_through_a_doc_reaches_end_content() {
    let Some(trace) = full_trace(AUTOMERGE_PAPER) else {
        return;
    };
    sequential_through_a_doc(AUTOMERGE_PAPER, &trace);
}

#[test]
fn automerge_paper_excerpt_through_a_doc_reaches_end_content() {
    let trace = traces::load_excerpt(AUTOMERGE_PAPER).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(trace.patch_count(), 3_000);
    assert!(trace.is_sequential());
    assert!(replay_sequential(&trace) == trace.end_content);
    sequential_through_a_doc("automerge-paper excerpt", &trace);
}

fn sequential_through_a_doc(name: &str, trace: &Trace) {
    use converge_testkit::TraceReplica;
    let started = Instant::now();
    let (replicas, stats) =
        converge_testkit::replay_concurrent(trace, converge_testkit::DocReplica::new);
    eprintln!(
        "{name} through Doc: {:?}, {} updates, {} update bytes",
        started.elapsed(),
        stats.updates,
        stats.update_bytes
    );
    let doc = &replicas[0].doc;
    assert!(
        replicas[0].text() == trace.end_content,
        "Doc text differs from endContent"
    );
    let loaded =
        converge_core::Doc::load(converge_core::ReplicaId::new(99), &doc.snapshot()).unwrap();
    assert!(loaded.root().text("text").unwrap().to_string() == trace.end_content);
    assert_eq!(loaded.snapshot(), doc.snapshot());
}

#[test]
fn friendsforever_replays_concurrently_to_end_content() {
    let Some(trace) = full_trace(FRIENDSFOREVER) else {
        return;
    };
    concurrent_through_docs(FRIENDSFOREVER, &trace);
}

#[test]
fn friendsforever_excerpt_replays_concurrently() {
    let trace = traces::load_excerpt(FRIENDSFOREVER).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(trace.txns.len(), 700);
    assert_eq!(trace.agent_count(), 2);
    assert!(!trace.is_sequential());
    concurrent_through_docs("friendsforever excerpt", &trace);
}

fn concurrent_through_docs(name: &str, trace: &Trace) {
    use converge_testkit::TraceReplica;
    let started = Instant::now();
    let (replicas, stats) =
        converge_testkit::replay_concurrent(trace, converge_testkit::DocReplica::new);
    eprintln!(
        "{name} concurrent replay: {:?}, {} updates, {} bytes, {} deliveries",
        started.elapsed(),
        stats.updates,
        stats.update_bytes,
        stats.deliveries
    );
    assert_eq!(replicas.len(), 2);
    for r in &replicas {
        assert!(
            r.text() == trace.end_content,
            "a replica differs from endContent"
        );
    }
    assert_eq!(replicas[0].doc.snapshot(), replicas[1].doc.snapshot());
    // A fork that merges the other replica's whole state converges too.
    let mut merged = replicas[0].doc.fork(converge_core::ReplicaId::new(77));
    let _ = merged.merge(&replicas[1].doc).unwrap();
    assert_eq!(merged.snapshot(), replicas[0].doc.snapshot());
}

#[test]
fn friendsforever_excerpt_flattens_to_a_chain_that_reaches_end_content() {
    let trace = traces::load_excerpt(FRIENDSFOREVER).unwrap_or_else(|e| panic!("{e}"));
    flattens("friendsforever excerpt", &trace);
}

#[test]
fn friendsforever_flattens_to_a_chain_that_reaches_end_content() {
    let Some(trace) = full_trace(FRIENDSFOREVER) else {
        return;
    };
    flattens(FRIENDSFOREVER, &trace);
}

#[test]
fn a_sequential_trace_flattens_to_its_own_text() {
    let trace = traces::load_excerpt(AUTOMERGE_PAPER).unwrap_or_else(|e| panic!("{e}"));
    let flat = flattens("automerge-paper excerpt", &trace);
    // One writer: every txn changes something, and the same characters
    // are typed (a replacement may come back as a delete and an insert).
    assert_eq!(flat.txns.len(), trace.txns.len());
    let typed = |t: &Trace| {
        t.txns
            .iter()
            .flat_map(|x| &x.patches)
            .map(|p| p.ins.clone())
            .collect::<String>()
    };
    assert_eq!(typed(&flat), typed(&trace));
}

fn flattens(name: &str, trace: &Trace) -> Trace {
    let flat = converge_testkit::flatten(trace);
    eprintln!(
        "{name} flattened: {} txns, {} patches (from {} txns, {} patches)",
        flat.txns.len(),
        flat.patch_count(),
        trace.txns.len(),
        trace.patch_count()
    );
    assert!(flat.is_sequential());
    assert_eq!(flat.agent_count(), 1);
    assert!(flat.txns.iter().all(|t| !t.patches.is_empty()));
    assert!(
        replay_sequential(&flat) == trace.end_content,
        "{name}: flattened replay differs"
    );
    flat
}
