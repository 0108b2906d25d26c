//! The editing-trace loader against the real traces in
//! `$CONVERGE_TRACES` (default `../shared/data/editing-traces`). A missing
//! folder fails these tests with the loader's message; it never skips them.

use std::path::Path;
use std::time::Instant;

use converge_testkit::traces::{
    self, load, load_from, TraceError, AUTOMERGE_PAPER, FRIENDSFOREVER,
};
use converge_testkit::{replay_sequential, Patch, Trace, Txn};

fn load_or_fail(name: &str) -> Trace {
    let started = Instant::now();
    let trace = load(name).unwrap_or_else(|err| panic!("{err}"));
    eprintln!("loaded {name} in {:?}", started.elapsed());
    trace
}

#[test]
fn automerge_paper_replays_to_its_end_content() {
    let trace = load_or_fail(AUTOMERGE_PAPER);
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
    let trace = load_or_fail(FRIENDSFOREVER);
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
    replay_sequential(&load_or_fail(FRIENDSFOREVER));
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
    use converge_testkit::TraceReplica;
    let trace = load_or_fail(AUTOMERGE_PAPER);
    let started = Instant::now();
    let (replicas, stats) =
        converge_testkit::replay_concurrent(&trace, converge_testkit::DocReplica::new);
    eprintln!(
        "{AUTOMERGE_PAPER} through Doc: {:?}, {} updates, {} update bytes",
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
    use converge_testkit::TraceReplica;
    let trace = load_or_fail(FRIENDSFOREVER);
    let started = Instant::now();
    let (replicas, stats) =
        converge_testkit::replay_concurrent(&trace, converge_testkit::DocReplica::new);
    eprintln!(
        "{FRIENDSFOREVER} concurrent replay: {:?}, {} updates, {} bytes, {} deliveries",
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
