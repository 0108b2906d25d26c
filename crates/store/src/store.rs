//! The store: documents by id over a [`Backend`], committed before they
//! are published, compacted as their logs grow, loaded on first use.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use converge_core::{ApplyOutcome, Doc, DocOptions, ReplicaId, Restore, Transaction};

use crate::backend::{Backend, Op};
use crate::doc_id::DocId;
use crate::error::StoreError;
use crate::memory::MemoryBackend;
use crate::meta::DocMeta;
use crate::redb_backend::RedbBackend;

/// The store format this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

/// When a local transaction reaches the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitMode {
    /// Every transaction is on disk (fsync) before [`Store::edit`] returns;
    /// its delta is in the outbox by then. The default.
    Immediate,
    /// Transactions are written at once but made durable together, by one
    /// fsync, at most `max_delay` after the first of them (at the next
    /// [`Store::edit`], [`Store::apply`] or [`Store::tick`] after that
    /// moment) or at [`Store::flush`]. Their deltas reach the outbox only
    /// then: a crash loses the transactions of the open batch, which were
    /// never published, so their dots are free to reuse.
    Batched {
        /// The longest a transaction waits for its fsync.
        max_delay: Duration,
    },
}

/// How a store behaves.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StoreOptions {
    /// When local transactions reach the disk.
    pub commit: CommitMode,
    /// A document's log is folded into a new snapshot once it holds more
    /// than this many bytes (default 64 KiB) ...
    pub compact_min_log_bytes: u64,
    /// ... and more than this percentage of the snapshot's size (default
    /// 25): the disk holds at most about 1.25 times the snapshot, plus the
    /// database's page overhead.
    pub compact_log_percent: u64,
    /// A log is also folded once it holds this many entries (default
    /// 1,000), so that reopening replays at most that many deltas.
    pub compact_max_log_entries: u64,
    /// The file is compacted (freed pages given back to the file system)
    /// once compactions have freed this many bytes (default 256 KiB) and
    /// a quarter of the file's size.
    pub reclaim_min_bytes: u64,
    /// Limits of the documents the store loads.
    pub doc: DocOptions,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            commit: CommitMode::Immediate,
            compact_min_log_bytes: 64 << 10,
            compact_log_percent: 25,
            compact_max_log_entries: 1_000,
            reclaim_min_bytes: 256 << 10,
            doc: DocOptions::default(),
        }
    }
}

impl StoreOptions {
    /// Options with batched commits (see [`CommitMode::Batched`]).
    pub fn batched(max_delay: Duration) -> StoreOptions {
        StoreOptions {
            commit: CommitMode::Batched { max_delay },
            ..StoreOptions::default()
        }
    }
}

/// A document in the store, as [`Store::list`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DocInfo {
    /// The document's id.
    pub id: DocId,
    /// Its metadata, or what is wrong with it.
    pub meta: Result<DocMeta, String>,
    /// Whether it is loaded in memory.
    pub loaded: bool,
}

/// A loaded document and what the store tracks beside it.
struct Loaded {
    doc: Doc,
    meta: DocMeta,
    /// Local deltas on disk, not yet taken for publication.
    outbox: Vec<Vec<u8>>,
    /// Local deltas written but not yet durable (batched commits).
    held: Vec<Vec<u8>>,
}

/// Documents by id, kept durable on a [`Backend`] (a redb file by
/// default).
///
/// The durability rule: a local transaction ([`Store::edit`]) is on disk
/// before its delta is offered for publication ([`Store::take_outbox`]),
/// so a replica never reuses a dot after a crash, whatever the moment of
/// the crash. Remote deltas ([`Store::apply`]) are logged too (durable with
/// the next local commit or flush; one lost in a crash is simply sent
/// again by the peer that had it).
///
/// ```
/// use converge_store::{DocId, Store};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("app.redb");
/// let notes = DocId::new("notes")?;
/// {
///     let mut store = Store::open(&path)?;
///     store.create(&notes)?;
///     store.edit(&notes, |tx| tx.text("body").push_str("hello"))??;
///     let publish = store.take_outbox(&notes); // hand these to the network
///     assert_eq!(publish.len(), 1);
/// }
/// let mut store = Store::open(&path)?;
/// let doc = store.doc(&notes)?;
/// assert_eq!(doc.root().text("body").unwrap().to_string(), "hello");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Store {
    backend: Box<dyn Backend>,
    options: StoreOptions,
    docs: HashMap<DocId, Loaded>,
    /// When the oldest write that is not yet durable was made.
    unsynced_since: Option<Instant>,
    /// Bytes of snapshots and logs replaced since the file was last
    /// compacted.
    freed: u64,
    /// Log entries not yet written: (document, sequence number, delta).
    staged: Vec<(DocId, u64, Vec<u8>)>,
    staged_bytes: usize,
}

/// Staged log entries are written once they hold this many bytes, whatever
/// the commit mode.
const MAX_STAGED_BYTES: usize = 1 << 20;

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.backend.location())
            .field("loaded", &self.docs.len())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (or creates) the store file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        Store::open_with(path, StoreOptions::default())
    }

    /// [`Store::open`] with options.
    pub fn open_with(path: impl AsRef<Path>, options: StoreOptions) -> Result<Store, StoreError> {
        Store::with_backend(Box::new(RedbBackend::open(path)?), options)
    }

    /// A store in memory (for tests: nothing survives the process).
    pub fn in_memory() -> Store {
        Store::with_backend(Box::new(MemoryBackend::new()), StoreOptions::default())
            .expect("an empty memory store opens")
    }

    /// A store on any backend. Checks the format version.
    pub fn with_backend(
        mut backend: Box<dyn Backend>,
        options: StoreOptions,
    ) -> Result<Store, StoreError> {
        let location = backend.location().to_string();
        match backend.format()? {
            Some(v) if v > FORMAT_VERSION => {
                return Err(StoreError::NewerFormat {
                    location,
                    found: v,
                    supported: FORMAT_VERSION,
                })
            }
            Some(0) => {
                return Err(StoreError::Damaged {
                    location,
                    detail: "format version 0".into(),
                })
            }
            Some(_) => {}
            None => {
                if !backend.list()?.is_empty() {
                    return Err(StoreError::Damaged {
                        location,
                        detail: "documents without a format record".into(),
                    });
                }
                backend.set_format(FORMAT_VERSION)?;
            }
        }
        Ok(Store {
            backend,
            options,
            docs: HashMap::new(),
            unsynced_since: None,
            freed: 0,
            staged: Vec::new(),
            staged_bytes: 0,
        })
    }

    /// Closes the store and returns its backend, after making every write
    /// durable (tests reopen a [`MemoryBackend`] this way).
    pub fn into_backend(mut self) -> Result<Box<dyn Backend>, StoreError> {
        self.flush()?;
        Ok(self.backend)
    }

    /// Where the store lives (its file, or `memory`).
    pub fn location(&self) -> &str {
        self.backend.location()
    }

    /// The options.
    pub fn options(&self) -> &StoreOptions {
        &self.options
    }

    /// Whether the store holds a document `id`.
    pub fn contains(&self, id: &DocId) -> Result<bool, StoreError> {
        if self.docs.contains_key(id) {
            return Ok(true);
        }
        Ok(self.backend.read(id)?.is_some())
    }

    /// Creates an empty document `id`, edited on this device by a replica
    /// id drawn now and kept with it.
    pub fn create(&mut self, id: &DocId) -> Result<&Doc, StoreError> {
        self.insert_new(id, None)
    }

    /// Creates document `id` from a snapshot or delta received from a peer
    /// (checked like any network input), edited here by a fresh replica id.
    pub fn import(&mut self, id: &DocId, bytes: &[u8]) -> Result<&Doc, StoreError> {
        self.insert_new(id, Some(bytes))
    }

    fn insert_new(&mut self, id: &DocId, bytes: Option<&[u8]>) -> Result<&Doc, StoreError> {
        self.flush()?;
        if self.contains(id)? {
            return Err(StoreError::DocExists {
                location: self.location().to_string(),
                doc: id.clone(),
            });
        }
        let replica = fresh_replica_id(self.location())?;
        let mut doc = Doc::with_options(replica, self.options.doc.clone());
        let mut meta = DocMeta::new(replica);
        if let Some(bytes) = bytes {
            let _ = doc.apply(bytes)?;
            // Logged as it came (a delta may wait for its causes).
            meta.next_seq = 2;
            meta.log_entries = 1;
            meta.log_bytes = bytes.len() as u64;
        }
        meta.version = doc.version();
        let encoded = meta.encode();
        let mut ops = vec![Op::PutMeta {
            doc: id,
            meta: &encoded,
        }];
        if let Some(bytes) = bytes {
            ops.push(Op::Append {
                doc: id,
                seq: 1,
                delta: bytes,
            });
        }
        // Durable at once: the replica id must never change.
        self.backend.write(&ops, true)?;
        let loaded = Loaded {
            doc,
            meta,
            outbox: Vec::new(),
            held: Vec::new(),
        };
        Ok(&self.docs.entry(id.clone()).or_insert(loaded).doc)
    }

    /// The document `id`, loaded from disk on first use.
    pub fn doc(&mut self, id: &DocId) -> Result<&Doc, StoreError> {
        Ok(&self.loaded(id)?.doc)
    }

    /// The document `id` after making every staged write durable: what a
    /// sync layer must read to answer a peer (catch-up may send any edit
    /// the document holds, and an edit a peer has seen must never be lost
    /// in a crash).
    pub fn durable_doc(&mut self, id: &DocId) -> Result<&Doc, StoreError> {
        self.loaded(id)?;
        self.flush()?;
        self.doc(id)
    }

    /// The document `id`, created empty when the store lacks it.
    pub fn open_or_create(&mut self, id: &DocId) -> Result<&Doc, StoreError> {
        if self.contains(id)? {
            self.doc(id)
        } else {
            self.create(id)
        }
    }

    /// Edits document `id` in one transaction, committed to disk as the
    /// [`CommitMode`] says before this returns; its delta then waits in the
    /// outbox ([`Store::take_outbox`]).
    ///
    /// When the write fails the error is returned, the transaction is lost
    /// and the document is unloaded (the next access reads it back from
    /// disk), so memory never runs ahead of the disk.
    pub fn edit<R>(
        &mut self,
        id: &DocId,
        f: impl FnOnce(&mut Transaction<'_>) -> R,
    ) -> Result<R, StoreError> {
        let loaded = self.loaded(id)?;
        let mut tx = loaded.doc.transact();
        let result = f(&mut tx);
        if let Some(delta) = tx.commit() {
            let durable = self.options.commit == CommitMode::Immediate;
            self.append(id, delta, true, durable)?;
        }
        self.flush_if_due()?;
        Ok(result)
    }

    /// Applies a delta or snapshot from a peer to document `id` and logs
    /// it. A blob the document refuses changes nothing and is not logged.
    pub fn apply(&mut self, id: &DocId, bytes: &[u8]) -> Result<ApplyOutcome, StoreError> {
        let loaded = self.loaded(id)?;
        let outcome = loaded.doc.apply(bytes)?;
        if outcome != ApplyOutcome::Duplicate {
            self.append(id, bytes.to_vec(), false, false)?;
        }
        self.flush_if_due()?;
        Ok(outcome)
    }

    /// Lets a sync layer work on document `id` directly (a
    /// `converge_sync::SyncState` applies what peers send and answers them
    /// from the document): everything the document joined during `f` is
    /// logged as one delta group. Staged writes are made durable first, so
    /// that `f` never serves a peer an edit a crash could lose. Local
    /// transactions belong in [`Store::edit`]; one made in `f` anyway is
    /// committed like one (durably, and into the outbox).
    pub fn sync_with<R>(
        &mut self,
        id: &DocId,
        f: impl FnOnce(&mut Doc) -> R,
    ) -> Result<R, StoreError> {
        self.loaded(id)?;
        self.flush()?;
        let loaded = self.loaded(id)?;
        let me = loaded.meta.replica;
        let before = loaded.doc.version();
        let result = f(&mut loaded.doc);
        let after = loaded.doc.version();
        if after != before {
            let group = loaded
                .doc
                .encode_since(&before)
                .expect("the document changed since `before`");
            let local = after.get(me) != before.get(me);
            let durable = local;
            self.append(id, group, local, durable)?;
        }
        self.flush_if_due()?;
        Ok(result)
    }

    /// Takes the local deltas of document `id` that are on disk and not
    /// yet taken, oldest first: what the network layer publishes.
    pub fn take_outbox(&mut self, id: &DocId) -> Vec<Vec<u8>> {
        self.docs
            .get_mut(id)
            .map(|l| std::mem::take(&mut l.outbox))
            .unwrap_or_default()
    }

    /// Makes every write durable now (one fsync for everything staged)
    /// and releases the held deltas of batched commits to the outboxes.
    ///
    /// If the write fails, the documents with staged deltas are unloaded
    /// (memory never runs ahead of the disk) and the error is returned.
    pub fn flush(&mut self) -> Result<(), StoreError> {
        if self.unsynced_since.is_none() {
            return Ok(());
        }
        let staged = std::mem::take(&mut self.staged);
        self.staged_bytes = 0;
        let mut metas: Vec<(&DocId, Vec<u8>)> = Vec::new();
        for (id, _, _) in &staged {
            if metas.last().is_none_or(|(last, _)| *last != id)
                && !metas.iter().any(|(m, _)| *m == id)
            {
                let meta = self.docs.get(id).expect("staged documents stay loaded");
                metas.push((id, meta.meta.encode()));
            }
        }
        let mut ops: Vec<Op<'_>> = staged
            .iter()
            .map(|(doc, seq, delta)| Op::Append {
                doc,
                seq: *seq,
                delta,
            })
            .collect();
        ops.extend(metas.iter().map(|(doc, meta)| Op::PutMeta { doc, meta }));
        let result = if ops.is_empty() {
            self.backend.sync()
        } else {
            self.backend.write(&ops, true)
        };
        drop(ops);
        if let Err(e) = result {
            for (id, _, _) in &staged {
                self.docs.remove(id);
            }
            self.unsynced_since = None;
            return Err(e);
        }
        self.synced();
        Ok(())
    }

    /// Runs due work: the fsync of a batch whose delay has passed. Call it
    /// from the app's event loop, at [`Store::next_flush_at`] at the latest.
    pub fn tick(&mut self) -> Result<(), StoreError> {
        self.flush_if_due()
    }

    /// When [`Store::tick`] has a batch to make durable (`None`: nothing
    /// waits).
    pub fn next_flush_at(&self) -> Option<Instant> {
        match self.options.commit {
            CommitMode::Immediate => self.unsynced_since.map(|t| t + Duration::from_secs(1)),
            CommitMode::Batched { max_delay } => self.unsynced_since.map(|t| t + max_delay),
        }
    }

    /// Folds document `id`'s log into a new snapshot, in one atomic
    /// transaction: a reader sees the old snapshot and log or the new ones.
    /// Deltas still waiting for their causes are kept in the new log.
    pub fn compact(&mut self, id: &DocId) -> Result<(), StoreError> {
        self.loaded(id)?;
        // What is staged goes first (the new snapshot covers this
        // document's part of it; the others' must not wait).
        self.flush()?;
        let loaded = self.loaded(id)?;
        let snapshot = loaded.doc.snapshot();
        let pending = loaded.doc.pending_deltas();
        let mut meta = loaded.meta.clone();
        let through = meta.next_seq - 1;
        let freed = meta.snapshot_bytes + meta.log_bytes;
        meta.snapshot_bytes = snapshot.len() as u64;
        meta.log_entries = 0;
        meta.log_bytes = 0;
        meta.compactions += 1;
        let mut seqs = Vec::with_capacity(pending.len());
        for p in &pending {
            seqs.push(meta.next_seq);
            meta.next_seq += 1;
            meta.log_entries += 1;
            meta.log_bytes += p.len() as u64;
        }
        meta.version = loaded.doc.version();
        let encoded = meta.encode();
        let mut ops = vec![
            Op::PutSnapshot {
                doc: id,
                snapshot: &snapshot,
            },
            Op::TrimLog { doc: id, through },
        ];
        for (p, seq) in pending.iter().zip(&seqs) {
            ops.push(Op::Append {
                doc: id,
                seq: *seq,
                delta: p,
            });
        }
        ops.push(Op::PutMeta {
            doc: id,
            meta: &encoded,
        });
        // On failure nothing changed, on disk or in memory (the staged
        // writes went first): the next append tries again.
        self.backend.write(&ops, true)?;
        if let Some(l) = self.docs.get_mut(id) {
            l.meta = meta;
        }
        // A durable write persists every earlier one.
        self.synced();
        self.freed += freed;
        self.reclaim_if_due()
    }

    /// Gives the space freed by compactions back to the file system now
    /// (redb's file compaction: it may take a while on a big file). The
    /// store does it by itself once enough was freed. Returns whether
    /// anything was done.
    pub fn reclaim(&mut self) -> Result<bool, StoreError> {
        self.flush()?;
        self.freed = 0;
        self.backend.reclaim()
    }

    /// Compacts the file once enough space was freed.
    fn reclaim_if_due(&mut self) -> Result<(), StoreError> {
        let Some(disk) = self.backend.disk_bytes() else {
            return Ok(());
        };
        if self.freed >= self.options.reclaim_min_bytes.max(disk / 4) {
            self.backend.reclaim()?;
            self.freed = 0;
        }
        Ok(())
    }

    /// Closes the store: makes every write durable, folds the log of each
    /// loaded document into a new snapshot, and gives the freed space back
    /// to the file system, so that the file is small and the next open
    /// replays nothing. Dropping a store is safe too (what was committed is
    /// on disk); it only leaves logs to replay. Deltas still in outboxes
    /// are part of the documents: peers get them by catch-up.
    pub fn close(mut self) -> Result<(), StoreError> {
        self.flush()?;
        let with_logs: Vec<DocId> = self
            .docs
            .iter()
            .filter(|(_, l)| l.meta.log_entries > 0)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &with_logs {
            self.compact(id)?;
        }
        if self.freed > 0 {
            self.backend.reclaim()?;
        }
        Ok(())
    }

    /// Unloads document `id` from memory (its data stays on disk; the next
    /// access reads it back). Makes pending batched writes durable first,
    /// so that no held delta is forgotten. Returns whether it was loaded.
    pub fn evict(&mut self, id: &DocId) -> Result<bool, StoreError> {
        if self.staged.iter().any(|(d, _, _)| d == id) {
            self.flush()?;
        }
        Ok(self.docs.remove(id).is_some())
    }

    /// Deletes document `id` from the store. Returns whether it existed.
    pub fn remove(&mut self, id: &DocId) -> Result<bool, StoreError> {
        let existed = self.contains(id)?;
        self.staged.retain(|(d, _, _)| d != id);
        self.docs.remove(id);
        self.flush()?;
        self.backend.write(&[Op::Remove { doc: id }], true)?;
        Ok(existed)
    }

    /// Whether document `id` is loaded in memory.
    pub fn is_loaded(&self, id: &DocId) -> bool {
        self.docs.contains_key(id)
    }

    /// How many documents are loaded in memory.
    pub fn loaded_count(&self) -> usize {
        self.docs.len()
    }

    /// Every document of the store with its sizes, log length and version,
    /// read from the metadata alone (nothing is loaded). A damaged record
    /// is reported in its entry; the others are still listed.
    pub fn list(&self) -> Result<Vec<DocInfo>, StoreError> {
        Ok(self
            .backend
            .list()?
            .into_iter()
            .map(|(id, meta)| DocInfo {
                loaded: self.docs.contains_key(&id),
                meta: self
                    .docs
                    .get(&id)
                    .map(|l| Ok(l.meta.clone()))
                    .unwrap_or_else(|| DocMeta::decode(&meta)),
                id,
            })
            .collect())
    }

    /// The metadata of document `id` (from memory when loaded).
    pub fn meta(&self, id: &DocId) -> Result<DocMeta, StoreError> {
        if let Some(l) = self.docs.get(id) {
            return Ok(l.meta.clone());
        }
        let record = self.backend.read(id)?.ok_or_else(|| self.unknown(id))?;
        DocMeta::decode(&record.meta).map_err(|detail| self.damaged(id, "metadata", detail))
    }

    fn unknown(&self, id: &DocId) -> StoreError {
        StoreError::UnknownDoc {
            location: self.location().to_string(),
            doc: id.clone(),
        }
    }

    fn damaged(&self, id: &DocId, part: impl Into<String>, detail: impl ToString) -> StoreError {
        StoreError::DamagedDoc {
            location: self.location().to_string(),
            doc: id.clone(),
            part: part.into(),
            detail: detail.to_string(),
        }
    }

    /// The loaded document `id`, reading it from disk if needed.
    fn loaded(&mut self, id: &DocId) -> Result<&mut Loaded, StoreError> {
        if !self.docs.contains_key(id) {
            let loaded = self.read_doc(id)?;
            self.docs.insert(id.clone(), loaded);
        }
        Ok(self.docs.get_mut(id).expect("just loaded"))
    }

    /// Rebuilds document `id` from its snapshot and log.
    fn read_doc(&self, id: &DocId) -> Result<Loaded, StoreError> {
        let record = self.backend.read(id)?.ok_or_else(|| self.unknown(id))?;
        let meta = DocMeta::decode(&record.meta).map_err(|d| self.damaged(id, "metadata", d))?;
        if record
            .log
            .last()
            .is_some_and(|(seq, _)| *seq >= meta.next_seq)
        {
            return Err(self.damaged(id, "metadata", "the log is ahead of the metadata"));
        }
        let mut restore = Restore::new(meta.replica, self.options.doc.clone());
        if let Some(s) = &record.snapshot {
            restore
                .apply(s)
                .map_err(|e| self.damaged(id, "snapshot", e))?;
        }
        for (seq, delta) in &record.log {
            restore
                .apply(delta)
                .map_err(|e| self.damaged(id, format!("log entry {seq}"), e))?;
        }
        let doc = restore.finish();
        let me = meta.replica;
        if doc.version().get(me) < meta.version.get(me) {
            return Err(self.damaged(
                id,
                "log",
                format!(
                    "edits {}..={} of this replica are missing",
                    doc.version().get(me) + 1,
                    meta.version.get(me)
                ),
            ));
        }
        Ok(Loaded {
            doc,
            meta,
            outbox: Vec::new(),
            held: Vec::new(),
        })
    }

    /// Logs `delta` for document `id`: staged in memory, written with the
    /// next flush (at once when `durable`). A local delta goes to the
    /// outbox once durable.
    fn append(
        &mut self,
        id: &DocId,
        delta: Vec<u8>,
        local: bool,
        durable: bool,
    ) -> Result<(), StoreError> {
        let loaded = self.docs.get_mut(id).expect("the document is loaded");
        let meta = &mut loaded.meta;
        let seq = meta.next_seq;
        meta.next_seq += 1;
        meta.log_entries += 1;
        meta.log_bytes += delta.len() as u64;
        meta.version = loaded.doc.version();
        let o = &self.options;
        let due = meta.log_entries >= o.compact_max_log_entries.max(1)
            || meta.log_bytes
                >= o.compact_min_log_bytes
                    .max(meta.snapshot_bytes * o.compact_log_percent / 100);
        if local {
            loaded.held.push(delta.clone());
        }
        self.staged_bytes += delta.len();
        self.staged.push((id.clone(), seq, delta));
        self.unsynced_since.get_or_insert_with(Instant::now);
        if due {
            // Writes what is staged (an error there is the edit's), then
            // the new snapshot: if only that fails, the edit is durable all
            // the same and the next append compacts again.
            self.flush()?;
            let _ = self.compact(id);
        } else if durable || self.staged_bytes >= MAX_STAGED_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush_if_due(&mut self) -> Result<(), StoreError> {
        if self.next_flush_at().is_some_and(|t| Instant::now() >= t) {
            self.flush()?;
        }
        Ok(())
    }

    /// Every write so far is durable: release what batched commits held.
    fn synced(&mut self) {
        self.unsynced_since = None;
        for l in self.docs.values_mut() {
            if !l.held.is_empty() {
                let held = std::mem::take(&mut l.held);
                l.outbox.extend(held);
            }
        }
    }
}

/// A replica id for a new document on this device, from the operating
/// system's random source.
fn fresh_replica_id(location: &str) -> Result<ReplicaId, StoreError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Io {
        location: location.to_string(),
        detail: format!("no random source for a replica id: {e}"),
    })?;
    Ok(ReplicaId::new(u64::from_le_bytes(bytes)))
}
