//! The document: a root of named, typed containers, edited in transactions,
//! synchronized by deltas.

pub(crate) mod events;
pub(crate) mod log;
pub(crate) mod node;
pub(crate) mod path;
pub(crate) mod read;
pub(crate) mod seq_node;
pub(crate) mod seq_read;
pub(crate) mod seq_txn;
pub(crate) mod txn;

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use crate::context::CausalContext;
use crate::encoding::doc::{decode_doc, encode_doc, DocBlob};
use crate::encoding::{peek_kind, BlobKind};
use crate::error::DocError;
use crate::id::ReplicaId;
use crate::store::{DotStore, JoinMode};
use crate::types::Causal;
use crate::vv::VersionVector;
use events::{diff, observe, DocEvent, Origin};
use log::{DeltaLog, LogEntry};
use node::{MapStore, Node, Slot};
use read::{DocValue, MapRef};
use txn::Transaction;

/// Limits of a document. The defaults suit interactive documents.
#[derive(Clone, Debug)]
pub struct DocOptions {
    /// How many deltas may wait for their causal dependencies (default 4096).
    pub max_pending: usize,
    /// How many bytes of encoded deltas the log keeps for catch-up; older
    /// deltas are dropped and a peer behind them gets a snapshot (default
    /// 16 MiB).
    pub max_log_bytes: usize,
}

impl Default for DocOptions {
    fn default() -> Self {
        DocOptions {
            max_pending: 4096,
            max_log_bytes: 16 << 20,
        }
    }
}

/// What [`Doc::apply`] did with a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum ApplyOutcome {
    /// The blob was joined (and any buffered deltas it unblocked).
    Applied,
    /// The delta waits for deltas it depends on; it is applied when they
    /// arrive. [`Doc::missing`] tells what is missing.
    Pending,
    /// Everything in the blob was already known.
    Duplicate,
}

/// A handle to a subscription, for [`Doc::unsubscribe`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SubscriptionId(u64);

type Callback = Box<dyn FnMut(&DocEvent) + Send>;

/// A replicated document: a root map of named, typed containers (maps,
/// sets, counters, registers) that any number of replicas edit
/// independently and merge deterministically.
///
/// ```
/// use converge_core::{Doc, ReplicaId, Value};
///
/// let mut alice = Doc::new(ReplicaId::new(1));
/// let mut bob = Doc::new(ReplicaId::new(2));
///
/// let mut tx = alice.transact();
/// tx.map("todo").aw_set("tags").insert("home")?;
/// let from_alice = tx.commit().expect("a change");
///
/// let mut tx = bob.transact();
/// tx.map("todo").counter("done").add(2)?;
/// let from_bob = tx.commit().expect("a change");
///
/// let _ = alice.apply(&from_bob)?;
/// let _ = bob.apply(&from_alice)?;
/// assert_eq!(alice.snapshot(), bob.snapshot());
/// assert_eq!(alice.root().map("todo").unwrap().counter("done"), Some(2));
/// # Ok::<(), converge_core::DocError>(())
/// ```
pub struct Doc {
    replica: ReplicaId,
    state: Causal<MapStore>,
    log: DeltaLog,
    pending: Vec<DocBlob>,
    subscribers: Vec<(SubscriptionId, Callback)>,
    next_subscription: u64,
    options: DocOptions,
    /// Set while [`Doc::load`] restores this replica's own saved state.
    restoring: bool,
}

impl core::fmt::Debug for Doc {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Doc")
            .field("replica", &self.replica)
            .field("version", &self.version())
            .field("pending", &self.pending.len())
            .field("log_entries", &self.log.len())
            .finish_non_exhaustive()
    }
}

impl Clone for Doc {
    /// Clones the state, log and pending deltas; subscriptions are not cloned.
    fn clone(&self) -> Self {
        Doc {
            replica: self.replica,
            state: self.state.clone(),
            log: self.log.clone(),
            pending: self.pending.clone(),
            subscribers: Vec::new(),
            next_subscription: 0,
            options: self.options.clone(),
            restoring: false,
        }
    }
}

impl Doc {
    /// An empty document edited by `replica`. Every replica (every device,
    /// every session) needs its own id: draw it at random.
    pub fn new(replica: ReplicaId) -> Doc {
        Doc::with_options(replica, DocOptions::default())
    }

    /// An empty document with explicit limits.
    pub fn with_options(replica: ReplicaId, options: DocOptions) -> Doc {
        Doc {
            replica,
            state: Causal::default(),
            log: DeltaLog::default(),
            pending: Vec::new(),
            subscribers: Vec::new(),
            next_subscription: 0,
            options,
            restoring: false,
        }
    }

    /// Loads a snapshot (or applies a delta to an empty document) as
    /// `replica`. `replica` may be the id that wrote the snapshot only if
    /// that replica will never edit again elsewhere.
    pub fn load(replica: ReplicaId, bytes: &[u8]) -> Result<Doc, DocError> {
        let mut doc = Doc::new(replica);
        doc.restoring = true;
        let result = doc.apply(bytes);
        doc.restoring = false;
        let _ = result?;
        Ok(doc)
    }

    /// This document's replica id.
    pub fn replica(&self) -> ReplicaId {
        self.replica
    }

    /// What this document has seen: for each replica, how many of its
    /// mutations.
    pub fn version(&self) -> VersionVector {
        self.state.ctx.version_vector()
    }

    /// The causal context (equal to [`Doc::version`] as a set of dots).
    pub fn context(&self) -> &CausalContext {
        &self.state.ctx
    }

    /// The root map.
    pub fn root(&self) -> MapRef<'_> {
        MapRef {
            store: &self.state.store,
        }
    }

    /// The plain value of the whole document.
    pub fn to_value(&self) -> BTreeMap<String, DocValue> {
        self.root().to_value()
    }

    /// Starts a transaction: mutations made through it form one delta.
    pub fn transact(&mut self) -> Transaction<'_> {
        Transaction::new(self)
    }

    /// A copy of this document that edits as `replica`.
    ///
    /// # Panics
    ///
    /// If `replica` is this document's own id: two replicas with one id
    /// would make conflicting mutations with the same identity.
    pub fn fork(&self, replica: ReplicaId) -> Doc {
        assert_ne!(
            replica, self.replica,
            "fork needs a new replica id; draw one at random"
        );
        let mut doc = self.clone();
        doc.replica = replica;
        doc
    }

    /// Joins another document's whole state into this one (for replicas in
    /// one process; across a network use deltas).
    pub fn merge(&mut self, other: &Doc) -> Result<ApplyOutcome, DocError> {
        let blob = DocBlob {
            deps: VersionVector::new(),
            body: other.state.clone(),
        };
        self.apply_blob(blob, true)
    }

    /// Encodes the whole document. Replicas that have seen the same deltas,
    /// in any order, produce identical bytes.
    pub fn snapshot(&self) -> Vec<u8> {
        encode_doc(&self.state, None)
    }

    /// Encodes what a replica at version `theirs` lacks: a group of logged
    /// deltas, or a snapshot when the log no longer reaches back far enough.
    /// `None` when it lacks nothing.
    pub fn encode_since(&self, theirs: &VersionVector) -> Option<Vec<u8>> {
        let ours = self.version();
        let needed = self.state.ctx.ranges_beyond(theirs);
        if needed.is_empty() {
            return None;
        }
        let Some(entries) = self.log.select(theirs, &needed) else {
            return Some(self.snapshot());
        };
        if let [single] = entries.as_slice() {
            return Some(single.bytes.clone());
        }
        let mut group: Causal<MapStore> = Causal::default();
        for entry in entries {
            let blob = decode_doc(&entry.bytes, BlobKind::DocDelta)
                .expect("the log holds only deltas this document encoded or validated");
            group
                .store
                .join(&group.ctx, blob.body.store, &blob.body.ctx, JoinMode::GROUP);
            group.ctx.join(&blob.body.ctx);
        }
        Some(encode_doc(&group, Some(&ours.meet(theirs))))
    }

    /// Applies a delta or a snapshot from another replica.
    ///
    /// A delta whose causal dependencies are missing is kept (up to
    /// [`DocOptions::max_pending`]) and applied when they arrive, so the
    /// document never shows an effect before its cause. A blob that fails
    /// to decode or validate is rejected and the document is unchanged.
    pub fn apply(&mut self, bytes: &[u8]) -> Result<ApplyOutcome, DocError> {
        let kind = peek_kind(bytes)?;
        let full = match kind {
            BlobKind::DocDelta => false,
            BlobKind::DocSnapshot => true,
            other => {
                return Err(crate::DecodeError::WrongKind {
                    expected: BlobKind::DocDelta,
                    found: other,
                }
                .into())
            }
        };
        let blob = decode_doc(bytes, kind)?;
        if !full {
            // A delta introduces, per replica, one run of dots right after
            // its dependencies; anything else would leave gaps.
            if !blob.body.ctx.is_compact_over(&blob.deps) {
                return Err(crate::DecodeError::Invalid(
                    "a delta's new dots must follow its dependencies",
                )
                .into());
            }
        }
        self.apply_blob_logged(blob, full, (!full).then_some(bytes))
    }

    fn apply_blob(&mut self, blob: DocBlob, full: bool) -> Result<ApplyOutcome, DocError> {
        self.apply_blob_logged(blob, full, None)
    }

    fn apply_blob_logged(
        &mut self,
        blob: DocBlob,
        full: bool,
        bytes: Option<&[u8]>,
    ) -> Result<ApplyOutcome, DocError> {
        let own = self.replica;
        if !self.restoring && blob.body.ctx.max_counter(own) > self.state.ctx.max_counter(own) {
            return Err(DocError::ForeignDotsOfOwnReplica(own));
        }
        if self.state.ctx.includes(&blob.body.ctx) {
            return Ok(ApplyOutcome::Duplicate);
        }
        if !self.version().dominates(&blob.deps) {
            if self
                .pending
                .iter()
                .any(|p| p.deps == blob.deps && p.body.ctx == blob.body.ctx)
            {
                return Ok(ApplyOutcome::Pending); // already held
            }
            if self.pending.len() >= self.options.max_pending {
                return Err(DocError::PendingFull(self.pending.len()));
            }
            self.pending.push(blob);
            return Ok(ApplyOutcome::Pending);
        }
        let covers = blob.body.ctx.ranges_beyond(&self.version());
        let logged = bytes.map(|b| b.to_vec());
        self.join_remote(blob, full, logged.map(|bytes| LogEntry { covers, bytes }));
        self.drain_pending();
        Ok(ApplyOutcome::Applied)
    }

    fn drain_pending(&mut self) {
        while !self.pending.is_empty() {
            let vv = self.version();
            let Some(i) = self.pending.iter().position(|b| vv.dominates(&b.deps)) else {
                return;
            };
            let blob = self.pending.swap_remove(i);
            if self.state.ctx.includes(&blob.body.ctx) {
                continue;
            }
            let covers = blob.body.ctx.ranges_beyond(&vv);
            let bytes = encode_doc(&blob.body, Some(&blob.deps));
            self.join_remote(blob, false, Some(LogEntry { covers, bytes }));
        }
    }

    fn join_remote(&mut self, blob: DocBlob, full: bool, entry: Option<LogEntry>) {
        let mode = if full {
            JoinMode::STATE
        } else {
            JoinMode::DELTA
        };
        let mut blob = blob;
        let before = (!self.subscribers.is_empty()).then(|| {
            (
                observe(&self.state.store, &blob.body.store, full),
                self.version(),
            )
        });
        if before.is_some() {
            events::mark_recording(&mut blob.body.store);
        }
        let delta_store_for_after = before.as_ref().map(|_| blob.body.store.clone());
        self.state
            .store
            .join(&self.state.ctx, blob.body.store, &blob.body.ctx, mode);
        self.state.ctx.join(&blob.body.ctx);
        if let Some(entry) = entry {
            self.log.push(entry, self.options.max_log_bytes);
        }
        #[cfg(any(test, feature = "slow-checks"))]
        self.check_invariants();
        if let (Some((before, known)), Some(d)) = (before, delta_store_for_after) {
            let after = observe(&self.state.store, &d, full);
            let mut changes = diff(before, after);
            events::drain_seq_changes(
                &mut self.state.store,
                &d,
                full,
                &mut Vec::new(),
                &mut changes,
            );
            self.emit(Origin::Remote, changes, &known);
        }
    }

    /// Delivers `changes`; `known` is the version before them.
    fn emit(&mut self, origin: Origin, changes: Vec<events::RawChange>, known: &VersionVector) {
        if changes.is_empty() {
            return;
        }
        let changes = events::publish_all(&self.state.store, changes, known);
        if changes.is_empty() {
            return;
        }
        let event = DocEvent { origin, changes };
        for (_, cb) in self.subscribers.iter_mut() {
            cb(&event);
        }
    }

    /// Calls `callback` after every committed transaction and every applied
    /// remote delta or snapshot that changed something visible.
    pub fn subscribe(
        &mut self,
        callback: impl FnMut(&DocEvent) + Send + 'static,
    ) -> SubscriptionId {
        let id = SubscriptionId(self.next_subscription);
        self.next_subscription += 1;
        self.subscribers.push((id, Box::new(callback)));
        id
    }

    /// Ends a subscription; returns whether it existed.
    pub fn unsubscribe(&mut self, id: SubscriptionId) -> bool {
        let before = self.subscribers.len();
        self.subscribers.retain(|(i, _)| *i != id);
        self.subscribers.len() != before
    }

    /// How many deltas wait for their dependencies.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// What the pending deltas wait for: the join of their dependencies
    /// (ask a peer for [`Doc::encode_since`] of your version to fill it).
    pub fn missing(&self) -> VersionVector {
        let mut vv = VersionVector::new();
        for b in &self.pending {
            vv.join(&b.deps);
        }
        vv
    }

    /// Number of deltas and bytes held by the catch-up log.
    pub fn log_stats(&self) -> (usize, usize) {
        (self.log.len(), self.log.bytes())
    }

    /// Drops logged deltas that every peer is known to have (`everyone` is
    /// the meet of the peers' versions).
    pub fn trim_log(&mut self, everyone: &VersionVector) {
        self.log.trim(everyone);
    }

    /// The internal state, for debugging tests (not a stable format).
    #[doc(hidden)]
    pub fn debug_state(&self) -> alloc::string::String {
        alloc::format!("{:?} {:?}", self.state.ctx, self.state.store)
    }

    /// Checks every internal invariant; panics on violation.
    pub fn check_invariants(&self) {
        assert!(self.state.ctx.is_compact(), "document context has gaps");
        self.state.store.check_invariants(&self.state.ctx);
        check_state_map(&self.state.store, 1);
    }

    pub(crate) fn commit_local(
        &mut self,
        delta: Causal<MapStore>,
        deps: VersionVector,
        changes: Vec<events::RawChange>,
    ) -> Vec<u8> {
        let bytes = encode_doc(&delta, Some(&deps));
        let covers = delta.ctx.ranges_beyond(&deps);
        self.log.push(
            LogEntry {
                covers,
                bytes: bytes.clone(),
            },
            self.options.max_log_bytes,
        );
        self.emit(Origin::Local, changes, &deps);
        bytes
    }

    pub(crate) fn state(&self) -> &Causal<MapStore> {
        &self.state
    }

    pub(crate) fn state_mut(&mut self) -> &mut Causal<MapStore> {
        &mut self.state
    }

    pub(crate) fn has_subscribers(&self) -> bool {
        !self.subscribers.is_empty()
    }
}

fn check_state_map(map: &MapStore, depth: usize) {
    assert!(depth <= node::MAX_DEPTH, "maps nest too deep");
    assert!(!map.is_scan(), "scan marker in a state");
    for (_, slot) in map.iter() {
        check_state_slot(slot, depth);
    }
}

fn check_state_slot(slot: &Slot, depth: usize) {
    assert!(!slot.scan, "scan marker in a state");
    assert!(!slot.nodes.is_empty(), "empty slot in a state");
    for n in &slot.nodes {
        assert!(!n.is_bottom(), "empty container in a state");
        match n {
            Node::Map(m) => check_state_map(m, depth + 1),
            Node::AwSet(s) => assert!(!s.is_scan()),
            Node::RwSet(s) => assert!(!s.is_scan()),
            Node::List(l) => {
                assert!(!l.children.is_scan(), "scan marker in a state");
                for (d, child) in l.children.iter() {
                    let kind = path::item_kind(l, *d).expect("child of a visible container item");
                    assert!(child.nodes.iter().all(|c| c.kind() == kind));
                    check_state_slot(child, depth + 1);
                }
            }
            _ => {}
        }
    }
}
