//! A backend that fails on demand: a failed write loses only the
//! transaction that reported the error, memory never runs ahead of the
//! disk, and no dot is ever given to two different edits.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use converge_store::{
    Backend, DocId, DocRecord, MemoryBackend, Op, Store, StoreError, StoreOptions,
};

/// After `skip` more writes (and syncs), fails the next `fail`, like a
/// full disk.
struct Flaky {
    inner: MemoryBackend,
    skip: Arc<AtomicU32>,
    fail: Arc<AtomicU32>,
}

impl Flaky {
    fn check(&self) -> Result<(), StoreError> {
        let skip = self.skip.load(Ordering::SeqCst);
        if skip > 0 {
            self.skip.store(skip - 1, Ordering::SeqCst);
            return Ok(());
        }
        let left = self.fail.load(Ordering::SeqCst);
        if left > 0 {
            self.fail.store(left - 1, Ordering::SeqCst);
            return Err(StoreError::Io {
                location: "flaky".into(),
                detail: "no space left on device".into(),
            });
        }
        Ok(())
    }
}

impl Backend for Flaky {
    fn location(&self) -> &str {
        "flaky"
    }
    fn format(&self) -> Result<Option<u32>, StoreError> {
        self.inner.format()
    }
    fn set_format(&mut self, version: u32) -> Result<(), StoreError> {
        self.inner.set_format(version)
    }
    fn list(&self) -> Result<Vec<(DocId, Vec<u8>)>, StoreError> {
        self.inner.list()
    }
    fn read(&self, doc: &DocId) -> Result<Option<DocRecord>, StoreError> {
        self.inner.read(doc)
    }
    fn write(&mut self, ops: &[Op<'_>], durable: bool) -> Result<(), StoreError> {
        self.check()?;
        self.inner.write(ops, durable)
    }
    fn sync(&mut self) -> Result<(), StoreError> {
        self.check()?;
        self.inner.sync()
    }
}

#[test]
fn a_failed_commit_loses_only_itself() {
    let fail = Arc::new(AtomicU32::new(0));
    let backend = Flaky {
        inner: MemoryBackend::new(),
        skip: Arc::new(AtomicU32::new(0)),
        fail: fail.clone(),
    };
    let mut store = Store::with_backend(Box::new(backend), StoreOptions::default()).unwrap();
    let id = DocId::new("d").unwrap();
    store.create(&id).unwrap();
    store
        .edit(&id, |tx| tx.text("t").push_str("kept ").unwrap())
        .unwrap();
    let kept = store.take_outbox(&id);
    assert_eq!(kept.len(), 1);
    let me = store.meta(&id).unwrap().replica;
    let before = store.doc(&id).unwrap().version().get(me);

    fail.store(1, Ordering::SeqCst);
    let err = store
        .edit(&id, |tx| tx.text("t").push_str("lost ").unwrap())
        .unwrap_err();
    assert!(err.to_string().contains("no space left"), "{err}");
    assert_eq!(store.loaded_count(), 0, "the document was unloaded");
    assert!(store.take_outbox(&id).is_empty(), "nothing to publish");

    // Read back as the disk has it; the next edit reuses the lost dot,
    // which nobody ever saw.
    let doc = store.doc(&id).unwrap();
    assert_eq!(doc.root().text("t").unwrap().to_string(), "kept ");
    assert_eq!(doc.version().get(me), before);
    store
        .edit(&id, |tx| tx.text("t").push_str("again").unwrap())
        .unwrap();
    // One dot per character.
    assert_eq!(store.doc(&id).unwrap().version().get(me), before + 5);
    assert_eq!(
        store
            .doc(&id)
            .unwrap()
            .root()
            .text("t")
            .unwrap()
            .to_string(),
        "kept again"
    );
}

#[test]
fn a_failed_compaction_does_not_fail_the_edit() {
    let (skip, fail) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
    let backend = Flaky {
        inner: MemoryBackend::new(),
        skip: skip.clone(),
        fail: fail.clone(),
    };
    let mut options = StoreOptions::default();
    options.compact_max_log_entries = 3;
    let mut store = Store::with_backend(Box::new(backend), options).unwrap();
    let id = DocId::new("d").unwrap();
    store.create(&id).unwrap();
    for _ in 0..2 {
        store
            .edit(&id, |tx| tx.counter("c").add(1).unwrap())
            .unwrap();
    }
    // The third edit's log write passes, the compaction after it fails.
    skip.store(1, Ordering::SeqCst);
    fail.store(1, Ordering::SeqCst);
    store
        .edit(&id, |tx| tx.counter("c").add(1).unwrap())
        .unwrap();
    assert_eq!(fail.load(Ordering::SeqCst), 0, "the compaction was tried");
    assert_eq!(store.take_outbox(&id).len(), 3, "the edit is durable");
    assert_eq!(store.meta(&id).unwrap().compactions, 0);
    // The next edit compacts.
    store
        .edit(&id, |tx| tx.counter("c").add(1).unwrap())
        .unwrap();
    assert_eq!(store.meta(&id).unwrap().compactions, 1);
    let backend = store.into_backend().unwrap();
    let mut store = Store::with_backend(backend, StoreOptions::default()).unwrap();
    assert_eq!(store.doc(&id).unwrap().root().counter("c"), Some(4));
}
