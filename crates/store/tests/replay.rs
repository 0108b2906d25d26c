//! What a store replays equals what it held in memory, byte for byte,
//! after random workloads of every container type: local transactions,
//! remote deltas in any order, compactions and evictions.

use converge_core::{Doc, ReplicaId};
use converge_store::{CommitMode, DocId, MemoryBackend, Store, StoreError, StoreOptions};
use converge_testkit::model::DocModel;
use converge_testkit::scenario::random_op;
use converge_testkit::Rng;

fn small_logs(commit: CommitMode) -> StoreOptions {
    let mut o = StoreOptions::default();
    o.commit = commit;
    o.compact_min_log_bytes = 2 << 10;
    o
}

/// Runs a random workload on document `id` of `store`, with a peer
/// editing concurrently; returns the peer.
fn workload(store: &mut Store, id: &DocId, seed: u64, steps: usize) -> Doc {
    let mut rng = Rng::new(seed);
    let mut model = DocModel::default();
    let mut peer = Doc::new(ReplicaId::new(0xBEEF ^ seed));
    let mut unsent: Vec<Vec<u8>> = Vec::new();
    for _ in 0..steps {
        match rng.below(10) {
            0..=4 => {
                store
                    .edit(id, |tx| random_op(&mut rng, tx, &mut model))
                    .unwrap();
            }
            5..=7 => {
                let mut tx = peer.transact();
                random_op(&mut rng, &mut tx, &mut model);
                unsent.extend(tx.commit());
            }
            8 => {
                // Deliver the peer's deltas in a random order: some wait
                // for their causes in the document.
                rng.shuffle(&mut unsent);
                let n = rng.below(unsent.len() + 1);
                for d in unsent.drain(..n) {
                    let _ = store.apply(id, &d).unwrap();
                }
            }
            _ => {
                if rng.chance(50) {
                    store.evict(id).unwrap();
                } else {
                    store.compact(id).unwrap();
                }
            }
        }
        for d in store.take_outbox(id) {
            let _ = peer.apply(&d).unwrap();
        }
    }
    peer
}

fn check_reopen(store: Store, id: &DocId, options: StoreOptions) -> Store {
    let mut store = store;
    let before = store.doc(id).unwrap().snapshot();
    let version = store.doc(id).unwrap().version();
    let pending = store.doc(id).unwrap().pending_deltas();
    let backend = store.into_backend().unwrap();
    let mut store = Store::with_backend(backend, options).unwrap();
    let doc = store.doc(id).unwrap();
    doc.check_invariants();
    assert_eq!(doc.version(), version);
    assert_eq!(doc.pending_deltas(), pending, "waiting deltas survive");
    assert!(doc.snapshot() == before, "replay differs from memory");
    store
}

#[test]
fn memory_store_replays_what_it_held() {
    let (mut compactions, mut with_pending, mut log_entries) = (0, 0, 0);
    for seed in 0..40u64 {
        let options = small_logs(if seed % 2 == 0 {
            CommitMode::Immediate
        } else {
            CommitMode::Batched {
                max_delay: std::time::Duration::from_millis(5),
            }
        });
        let mut store =
            Store::with_backend(Box::new(MemoryBackend::new()), options.clone()).unwrap();
        let id = DocId::new(format!("doc-{seed}")).unwrap();
        store.create(&id).unwrap();
        let _peer = workload(&mut store, &id, seed, 300);
        let meta = store.meta(&id).unwrap();
        compactions += meta.compactions;
        log_entries += meta.log_entries;
        with_pending += u64::from(!store.doc(&id).unwrap().pending_deltas().is_empty());
        let mut store = check_reopen(store, &id, options.clone());
        // The reopened replica goes on with fresh dots.
        let me = store.meta(&id).unwrap().replica;
        let last = store.doc(&id).unwrap().version().get(me);
        store
            .edit(&id, |tx| tx.counter("after").add(1).unwrap())
            .unwrap();
        assert_eq!(store.doc(&id).unwrap().version().get(me), last + 1);
        let _ = check_reopen(store, &id, options);
    }
    // The workloads reach what they are meant to test.
    eprintln!("{compactions} compactions, {log_entries} log entries left, {with_pending} documents with waiting deltas");
    assert!(compactions > 40 && log_entries > 40 && with_pending > 3);
}

#[test]
fn redb_store_replays_what_it_held() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("replay.redb");
    let options = small_logs(CommitMode::Immediate);
    let ids: Vec<DocId> = (0..4)
        .map(|i| DocId::new(format!("d{i}")).unwrap())
        .collect();
    let mut expected = Vec::new();
    {
        let mut store = Store::open_with(&path, options.clone()).unwrap();
        for (i, id) in ids.iter().enumerate() {
            store.create(id).unwrap();
            let _ = workload(&mut store, id, 1000 + i as u64, 200);
            expected.push(store.doc(id).unwrap().snapshot());
        }
    }
    let mut store = Store::open_with(&path, options).unwrap();
    assert_eq!(store.loaded_count(), 0, "opening loads nothing");
    let listed = store.list().unwrap();
    assert_eq!(listed.len(), ids.len());
    for (id, snapshot) in ids.iter().zip(&expected) {
        assert!(&store.doc(id).unwrap().snapshot() == snapshot);
    }
}

#[test]
fn the_replica_id_is_kept_and_never_shared_between_documents() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ids.redb");
    let (a, b) = (DocId::new("a").unwrap(), DocId::new("b").unwrap());
    let (ra, rb) = {
        let mut store = Store::open(&path).unwrap();
        let ra = store.create(&a).unwrap().replica();
        let rb = store.create(&b).unwrap().replica();
        (ra, rb)
    };
    assert_ne!(ra, rb);
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.doc(&a).unwrap().replica(), ra);
    assert_eq!(store.meta(&b).unwrap().replica, rb);
}

#[test]
fn batched_commits_publish_only_after_the_fsync() {
    let mut store = Store::with_backend(
        Box::new(MemoryBackend::new()),
        StoreOptions::batched(std::time::Duration::from_secs(3600)),
    )
    .unwrap();
    let id = DocId::new("typing").unwrap();
    store.create(&id).unwrap();
    for i in 0..10 {
        store
            .edit(&id, |tx| tx.text("t").insert(i, "x").unwrap())
            .unwrap();
    }
    assert!(store.take_outbox(&id).is_empty(), "nothing is durable yet");
    assert!(store.next_flush_at().is_some());
    store.flush().unwrap();
    assert_eq!(store.take_outbox(&id).len(), 10);
    assert!(store.next_flush_at().is_none());
}

#[test]
fn documents_errors_and_lifecycle() {
    let mut store = Store::in_memory();
    let id = DocId::new("x").unwrap();
    assert!(matches!(store.doc(&id), Err(StoreError::UnknownDoc { .. })));
    store.create(&id).unwrap();
    assert!(matches!(
        store.create(&id),
        Err(StoreError::DocExists { .. })
    ));
    // A blob the document refuses changes nothing and is not logged.
    let before = store.meta(&id).unwrap();
    assert!(matches!(
        store.apply(&id, b"not a delta"),
        Err(StoreError::Doc(_))
    ));
    assert_eq!(store.meta(&id).unwrap(), before);
    // Import from a peer's snapshot.
    let mut peer = Doc::new(ReplicaId::new(77));
    peer.transact().counter("c").add(5).unwrap();
    let copy = DocId::new("copy").unwrap();
    let doc = store.import(&copy, &peer.snapshot()).unwrap();
    assert_eq!(doc.root().counter("c"), Some(5));
    assert_ne!(doc.replica(), ReplicaId::new(77));
    assert!(store.remove(&copy).unwrap());
    assert!(!store.contains(&copy).unwrap());
    assert!(!store.remove(&copy).unwrap());
}

#[test]
fn close_folds_logs_and_the_next_open_replays_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("close.redb");
    let id = DocId::new("notes").unwrap();
    let expected = {
        let mut store = Store::open(&path).unwrap();
        store.create(&id).unwrap();
        for i in 0..200 {
            store
                .edit(&id, |tx| tx.text("t").insert(i, "a").unwrap())
                .unwrap();
        }
        assert!(store.meta(&id).unwrap().log_entries > 0);
        let snapshot = store.doc(&id).unwrap().snapshot();
        store.close().unwrap();
        snapshot
    };
    let mut store = Store::open(&path).unwrap();
    let meta = store.meta(&id).unwrap();
    assert_eq!((meta.log_entries, meta.log_bytes), (0, 0));
    assert!(store.doc(&id).unwrap().snapshot() == expected);
}

#[test]
fn durable_doc_flushes_the_open_batch() {
    let mut store = Store::with_backend(
        Box::new(MemoryBackend::new()),
        StoreOptions::batched(std::time::Duration::from_secs(3600)),
    )
    .unwrap();
    let id = DocId::new("d").unwrap();
    store.create(&id).unwrap();
    store
        .edit(&id, |tx| tx.counter("c").add(1).unwrap())
        .unwrap();
    assert!(store.next_flush_at().is_some());
    let version = store.durable_doc(&id).unwrap().version();
    assert!(store.next_flush_at().is_none(), "nothing left unflushed");
    assert_eq!(store.take_outbox(&id).len(), 1);
    assert_eq!(store.meta(&id).unwrap().version, version);
}

#[test]
fn what_a_sync_layer_joins_is_logged_and_replayed() {
    let mut store = Store::in_memory();
    let id = DocId::new("shared").unwrap();
    store.create(&id).unwrap();
    let mut peer = converge_core::Doc::new(converge_core::ReplicaId::new(5));
    let mut deltas = Vec::new();
    for i in 0..20 {
        let mut tx = peer.transact();
        tx.list("l").push(i).unwrap();
        deltas.extend(tx.commit());
    }
    let before = store.meta(&id).unwrap().log_entries;
    let applied = store
        .sync_with(&id, |doc| {
            for d in &deltas {
                let _ = doc.apply(d).unwrap();
            }
            doc.version()
        })
        .unwrap();
    assert_eq!(
        store.meta(&id).unwrap().log_entries,
        before + 1,
        "one group"
    );
    assert!(
        store.take_outbox(&id).is_empty(),
        "remote edits are not published"
    );
    // A local transaction made inside is committed like one.
    store
        .sync_with(&id, |doc| doc.transact().counter("c").add(1).unwrap())
        .unwrap();
    assert_eq!(store.take_outbox(&id).len(), 1);
    let snapshot = store.doc(&id).unwrap().snapshot();
    let backend = store.into_backend().unwrap();
    let mut store = Store::with_backend(backend, StoreOptions::default()).unwrap();
    assert!(store.doc(&id).unwrap().version().dominates(&applied));
    assert!(store.doc(&id).unwrap().snapshot() == snapshot);
}
