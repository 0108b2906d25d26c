//! The document: a root of named, typed containers, edited in transactions,
//! synchronized by deltas.
//!
//! A [`Doc`] is a front over four parts, each in its own module:
//!
//! - the replicated **state** (`state.rs`): the dot store and the causal
//!   context, changed only by the join;
//! - the **history** (`history.rs`): the deltas seen, for catch-up, behind
//!   the [`History`] trait;
//! - the **causal buffer** (`pending.rs`): remote deltas waiting for the
//!   deltas they depend on;
//! - the **observers** (`observers.rs`): callbacks and a pollable event
//!   queue, fed by a recorder the join and the edits write to.
//!
//! Around them: the data model (`model/`), read views (`view/`), edits
//! (`edit/`: transactions, owned handles and the borrowing handles), and
//! change events (`events/`).

pub(crate) mod clock;
pub(crate) mod delta;
pub(crate) mod edit;
pub(crate) mod events;
pub(crate) mod history;
pub(crate) mod model;
pub(crate) mod observers;
pub(crate) mod pending;
mod restore;
pub(crate) mod state;
pub(crate) mod typing;
pub use restore::Restore;
pub(crate) mod view;

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use crate::context::CausalContext;
use crate::encoding::doc::{decode_doc_payload, encode_doc};
use crate::encoding::open_any;
use crate::encoding::BlobKind;
use crate::error::DocError;
use crate::id::{Dot, ReplicaId};
use crate::types::Causal;
use crate::vv::VersionVector;
use delta::Delta;
use edit::Transaction;
use events::{DocEvent, EventBuilder, Origin};
use history::{History, HistoryStats, MemoryHistory};
use model::MapStore;
use observers::{Observers, SubscriptionId};
use pending::{CausalBuffer, Held, PendingStats};
use state::State;
use typing::TypingRun;
use view::{DocValue, MapRef};

/// Above this size, a catch-up group is compared with a snapshot and the
/// smaller is sent.
const SNAPSHOT_CHECK_BYTES: usize = 16 << 10;

/// Limits of a document. The defaults suit interactive documents.
#[derive(Clone, Debug)]
pub struct DocOptions {
    /// How many deltas may wait for their causal dependencies (default
    /// 4096); beyond it the oldest waiting delta is dropped (a peer sends
    /// it again when asked for what this replica lacks).
    pub max_pending: usize,
    /// How many bytes of encoded deltas may wait for their causal
    /// dependencies (default 4 MiB), likewise.
    pub max_pending_bytes: usize,
    /// How many bytes of deltas the in-memory history keeps for catch-up;
    /// older deltas are dropped and a peer behind them gets a snapshot
    /// (default 16 MiB).
    pub max_log_bytes: usize,
}

impl Default for DocOptions {
    fn default() -> Self {
        DocOptions {
            max_pending: 4096,
            max_pending_bytes: 4 << 20,
            max_log_bytes: 16 << 20,
        }
    }
}

/// How [`Doc::load_with`] opens a save.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct LoadOptions {
    /// Limits of the loaded document.
    pub limits: DocOptions,
    /// The replica that wrote the save resumes editing it. Only correct
    /// when the save holds every edit that replica ever published
    /// (commit-before-publish storage); otherwise its next edits would
    /// reuse dots its peers already have with other content, and they
    /// could never converge. Default: `false`.
    pub resume: bool,
}

impl LoadOptions {
    /// Options that resume the saving replica (see [`LoadOptions::resume`]).
    pub fn resume() -> Self {
        LoadOptions {
            resume: true,
            ..LoadOptions::default()
        }
    }
}

/// What [`Doc::apply`] did with a blob (informative: a delta that waits is
/// applied by itself when its causes arrive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// The blob was joined (and any buffered deltas it unblocked).
    Applied,
    /// The delta waits for deltas it depends on; it is applied when they
    /// arrive. [`Doc::missing`] tells what is missing.
    Pending,
    /// Everything in the blob was already known.
    Duplicate,
}

/// A replicated document: a root map of named, typed containers (maps,
/// sets, counters, registers, lists, texts) that any number of replicas
/// edit independently and merge deterministically.
///
/// ```
/// use converge_core::{Doc, ReplicaId};
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
    state: State,
    history: Box<dyn History>,
    /// Local edits of one sequence not yet handed to the history.
    typing: Option<TypingRun>,
    pending: CausalBuffer,
    observers: Observers,
    options: DocOptions,
    /// Reused for inserted text, so typing allocates nothing.
    scratch: crate::seq::content::TextBuf,
    /// The hybrid logical clock of last-writer-wins writes.
    clock: clock::Clock,
    /// Ids of recently named root containers, so `tx.text("notes")` on
    /// every keystroke allocates nothing.
    root_ids: Vec<model::path::ContainerId>,
    /// Set while [`Doc::load_with`] resumes this replica's own saved state.
    restoring: bool,
    /// A copy made by `clone`: it reads and receives, but never writes
    /// (two documents writing as one replica would reuse dots).
    read_only: bool,
}

impl core::fmt::Debug for Doc {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Doc")
            .field("replica", &self.replica)
            .field("version", &self.version())
            .field("pending", &self.pending.len())
            .field("history", &self.history.stats())
            .finish_non_exhaustive()
    }
}

impl Clone for Doc {
    /// A read-only copy: the state, history and pending deltas, without the
    /// subscriptions. It applies remote deltas and can be read, merged,
    /// snapshotted and synced, but its transactions refuse to write
    /// ([`DocError::ReadOnly`]): a second writer under the same replica id
    /// would reuse dots. [`Doc::fork`] makes a writable copy with a new id.
    fn clone(&self) -> Self {
        Doc {
            replica: self.replica,
            state: self.state.clone(),
            history: self.history.clone_box(),
            typing: self.typing.clone(),
            pending: self.pending.clone(),
            observers: Observers::default(),
            options: self.options.clone(),
            scratch: Default::default(),
            clock: clock::Clock::default(),
            root_ids: Vec::new(),
            restoring: false,
            read_only: true,
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
        let history = Box::new(MemoryHistory::new(options.max_log_bytes));
        Doc::with_history(replica, options, history)
    }

    /// An empty document that keeps its history in `history` (a store's,
    /// say, so that catch-up survives restarts).
    pub fn with_history(replica: ReplicaId, options: DocOptions, history: Box<dyn History>) -> Doc {
        Doc {
            replica,
            state: Causal::default(),
            history,
            typing: None,
            pending: CausalBuffer::default(),
            observers: Observers::default(),
            options,
            scratch: Default::default(),
            clock: clock::Clock::default(),
            root_ids: Vec::new(),
            restoring: false,
            read_only: false,
        }
    }

    /// Loads a snapshot (or applies a delta to an empty document), to be
    /// edited as `replica`: a fresh id, drawn at random for this session.
    ///
    /// A save made by `replica` itself is refused
    /// ([`DocError::ReplicaIdInUse`]): an older save lacks edits that
    /// replica may have published since, and resuming it would reuse their
    /// dots. Draw a new id, as Automerge and Yjs do on every load, or use
    /// [`Doc::load_with`] and [`LoadOptions::resume`] when the save is
    /// known to hold every edit the replica ever published (a store that
    /// commits before publishing, as `converge-store` does).
    pub fn load(replica: ReplicaId, bytes: &[u8]) -> Result<Doc, DocError> {
        Doc::load_with(replica, bytes, LoadOptions::default())
    }

    /// [`Doc::load`] with options: limits, and whether `replica` resumes
    /// its own save.
    pub fn load_with(
        replica: ReplicaId,
        bytes: &[u8],
        options: LoadOptions,
    ) -> Result<Doc, DocError> {
        let mut doc = Doc::with_options(replica, options.limits);
        doc.restoring = true;
        let result = doc.apply(bytes);
        doc.restoring = false;
        let _ = result?;
        if !options.resume && doc.state.ctx.max_counter(replica) > 0 {
            return Err(DocError::ReplicaIdInUse(replica));
        }
        Ok(doc)
    }

    /// Whether this document is a read-only copy (made by `clone`).
    pub fn is_read_only(&self) -> bool {
        self.read_only
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
    #[inline]
    pub fn transact(&mut self) -> Transaction<'_> {
        Transaction::new(self)
    }

    /// Runs `f` in a transaction and commits it: the convenience for
    /// one-off edits. The delta goes to the history (send it with
    /// [`Doc::encode_since`]); use [`Doc::transact`] and
    /// [`Transaction::commit`] to get its bytes at once.
    pub fn edit<R>(&mut self, f: impl FnOnce(&mut Transaction<'_>) -> R) -> R {
        let mut tx = self.transact();
        f(&mut tx)
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
        doc.read_only = false;
        doc
    }

    /// Joins another document's whole state into this one (for replicas in
    /// one process; across a network use deltas).
    pub fn merge(&mut self, other: &Doc) -> Result<ApplyOutcome, DocError> {
        let whole = Delta {
            deps: VersionVector::new(),
            body: other.state.clone(),
        };
        self.apply_delta(whole, true, None)
    }

    /// Encodes the whole document. Replicas that have seen the same deltas,
    /// in any order, produce identical bytes.
    pub fn snapshot(&self) -> Vec<u8> {
        encode_doc(&self.state, None)
    }

    /// Encodes what a replica at version `theirs` lacks: a group of the
    /// deltas it lacks, or a snapshot when the history no longer reaches
    /// back far enough. `None` when it lacks nothing.
    pub fn encode_since(&self, theirs: &VersionVector) -> Option<Vec<u8>> {
        let ours = self.version();
        let mut needed = self.state.ctx.ranges_beyond(theirs);
        if needed.is_empty() {
            return None;
        }
        // The typing run holds this replica's latest dots; the history
        // must hold the rest.
        let typing = self
            .typing
            .as_ref()
            .filter(|run| run.dots().last > theirs.get(self.replica));
        if let Some(run) = typing {
            let r = run.dots();
            for need in needed.iter_mut().filter(|n| n.replica == r.replica) {
                need.last = need.last.min(r.first.saturating_sub(1));
            }
            needed.retain(|n| !n.is_empty());
        }
        let Some(mut deltas) = self.history.since(theirs, &needed) else {
            return Some(self.snapshot());
        };
        deltas.extend(typing.and_then(|run| run.clone().into_delta()));
        let mut deltas = deltas.into_iter();
        let mut group = deltas.next()?;
        for d in deltas {
            group.absorb(d);
        }
        // The receiver has everything up to the meet: it applies the group
        // at once, and what the group repeats of it is a no-op.
        group.deps = ours.meet(theirs);
        // Runs cut and ordered as the document lists them encode smaller.
        model::shape_runs_like(&mut group.body.store, &self.state.store);
        let bytes = group.encode();
        // A long history (every keystroke of a text, deleted ones
        // included) can outweigh the state it led to: send the smaller.
        if bytes.len() > SNAPSHOT_CHECK_BYTES {
            let snapshot = self.snapshot();
            if snapshot.len() < bytes.len() {
                return Some(snapshot);
            }
        }
        Some(bytes)
    }

    /// Applies a delta or a snapshot from another replica.
    ///
    /// A delta whose causal dependencies are missing is kept (up to
    /// [`DocOptions::max_pending`]) and applied when they arrive, so the
    /// document never shows an effect before its cause. A blob that fails
    /// to decode or validate is rejected and the document is unchanged.
    pub fn apply(&mut self, bytes: &[u8]) -> Result<ApplyOutcome, DocError> {
        let (kind, payload) = open_any(bytes)?;
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
        let delta = decode_doc_payload(payload, kind)?;
        if !full && !delta.body.ctx.is_compact_over(&delta.deps) {
            // A delta introduces, per replica, one run of dots right after
            // its dependencies; anything else would leave gaps.
            return Err(crate::DecodeError::Invalid(crate::error::Invalid::DeltaGap).into());
        }
        self.apply_delta(delta, full, Some(bytes))
    }

    fn apply_delta(
        &mut self,
        delta: Delta,
        full: bool,
        bytes: Option<&[u8]>,
    ) -> Result<ApplyOutcome, DocError> {
        let own = self.replica;
        let writer = !self.restoring && !self.read_only;
        if writer && delta.body.ctx.max_counter(own) > self.state.ctx.max_counter(own) {
            return Err(DocError::ForeignDotsOfOwnReplica(own));
        }
        // `self.version().dominates(&delta.deps)`, without building the
        // version vector.
        let ctx = &self.state.ctx;
        let ready = delta.deps.iter().all(|(r, c)| ctx.contains_range(r, 1, c));
        let known = self.state.ctx.includes(&delta.body.ctx);
        // Checked only against a state that has the delta's causes: before
        // them, a counter or register may legitimately still show what the
        // delta's author had already seen replaced.
        if ready || known {
            state::check_delta(&self.state, &delta.body)?;
        }
        if known {
            return Ok(ApplyOutcome::Duplicate);
        }
        if !ready {
            let version = self.version();
            let size = bytes.map_or(0, <[u8]>::len);
            let o = &self.options;
            let (max_deltas, max_bytes) = (o.max_pending, o.max_pending_bytes);
            return match self
                .pending
                .hold(delta, size, &version, max_deltas, max_bytes)
            {
                Held::Added | Held::Duplicate => Ok(ApplyOutcome::Pending),
            };
        }
        self.join_remote(delta, full, bytes);
        while !self.pending.is_empty() {
            let ready = self.pending.take_ready(&self.version());
            if ready.is_empty() {
                break;
            }
            for next in ready {
                // Checked again: what arrived meanwhile may conflict.
                let refused = state::check_delta(&self.state, &next.body).is_err();
                if !refused && !self.state.ctx.includes(&next.body.ctx) {
                    let bytes = next.encode();
                    self.join_remote(next, false, Some(&bytes));
                }
            }
        }
        Ok(ApplyOutcome::Applied)
    }

    /// Joins a remote delta (or a whole state when `full`) that is ready,
    /// records it in the history (deltas, with their encoding `bytes`) and
    /// tells the observers.
    fn join_remote(&mut self, delta: Delta, full: bool, bytes: Option<&[u8]>) {
        let utf16 = self.observers.utf16;
        let mut events = self.observers.active().then(|| EventBuilder::new(utf16));
        self.flush_typing();
        if let (false, Some(bytes)) = (full, bytes) {
            self.history.record_remote(&delta, bytes);
        }
        state::join(
            &mut self.state,
            delta.body,
            full,
            events.as_mut().map(|e| &mut e.rec),
        );
        #[cfg(any(test, feature = "slow-checks"))]
        self.check_invariants();
        if let Some(events) = events {
            self.emit(Origin::Remote, events);
        }
    }

    /// Delivers the event `events` built.
    fn emit(&mut self, origin: Origin, events: impl Into<Box<EventBuilder>>) {
        let changes = (*events.into()).finish(&self.state.store);
        if !changes.is_empty() {
            self.observers.emit(DocEvent { origin, changes });
        }
    }

    /// Calls `callback` after every committed transaction and every applied
    /// remote delta or snapshot that changed something visible.
    pub fn subscribe(
        &mut self,
        callback: impl FnMut(&DocEvent) + Send + 'static,
    ) -> SubscriptionId {
        self.observers.subscribe(Box::new(callback))
    }

    /// Counts the positions and lengths of text change steps
    /// ([`crate::TextStep`]) in UTF-16 code units (`true`: JavaScript strings and
    /// most editors) or in `char`s (`false`, the default).
    pub fn set_utf16_events(&mut self, on: bool) {
        self.observers.utf16 = on;
    }

    /// Ends a subscription; returns whether it existed.
    pub fn unsubscribe(&mut self, id: SubscriptionId) -> bool {
        self.observers.unsubscribe(id)
    }

    /// Starts queueing change events for [`Doc::take_events`], keeping at
    /// most `max` (the oldest are dropped first). This is how a host whose
    /// callbacks cannot be `Send` (a browser) observes a document: it polls
    /// after each call.
    pub fn queue_events(&mut self, max: usize) {
        self.observers.set_queue(Some(max));
    }

    /// Stops queueing events and drops the queued ones.
    pub fn stop_queueing_events(&mut self) {
        self.observers.set_queue(None);
    }

    /// The queued events, oldest first, and how many were dropped because
    /// the queue was full since the last call.
    pub fn take_events(&mut self) -> (Vec<DocEvent>, u64) {
        self.observers.take()
    }

    /// How many deltas wait for their dependencies.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// The deltas waiting for their causal dependencies, encoded, oldest
    /// first: a store keeps them across a compaction (a snapshot holds only
    /// what was applied).
    pub fn pending_deltas(&self) -> Vec<Vec<u8>> {
        self.pending.iter().map(Delta::encode).collect()
    }

    /// What the causal buffer holds, and how many deltas it dropped.
    pub fn pending_stats(&self) -> PendingStats {
        self.pending.stats()
    }

    /// What the pending deltas wait for: the join of their dependencies
    /// (ask a peer for [`Doc::encode_since`] of your version to fill it).
    pub fn missing(&self) -> VersionVector {
        self.pending.missing()
    }

    /// What the history holds.
    pub fn history_stats(&self) -> HistoryStats {
        let mut stats = self.history.stats();
        if let Some(run) = self.typing.as_ref().filter(|r| !r.is_empty()) {
            stats.entries += 1;
            stats.bytes += run.weight();
        }
        stats
    }

    /// Number of deltas and bytes held by the history (see
    /// [`Doc::history_stats`]).
    pub fn log_stats(&self) -> (usize, usize) {
        let s = self.history_stats();
        (s.entries, s.bytes)
    }

    /// Drops history that every peer is known to have (`everyone` is the
    /// meet of the peers' versions).
    pub fn trim_log(&mut self, everyone: &VersionVector) {
        self.flush_typing();
        self.history.trim(everyone);
    }

    /// Hands the typing run to the history.
    fn flush_typing(&mut self) {
        if let Some(delta) = self.typing.take().and_then(TypingRun::into_delta) {
            self.history.record_local(delta);
        }
    }

    /// The internal state, for debugging tests (not a stable format).
    #[doc(hidden)]
    pub fn debug_state(&self) -> String {
        alloc::format!("{:?} {:?}", self.state.ctx, self.state.store)
    }

    /// Checks every internal invariant; panics on violation. For tests.
    #[doc(hidden)]
    pub fn check_invariants(&self) {
        state::check_invariants(&self.state);
    }

    /// Refuses writes on a read-only copy.
    pub(crate) fn check_writable(&self) -> Result<(), DocError> {
        if self.read_only {
            return Err(DocError::ReadOnly(self.replica));
        }
        Ok(())
    }

    /// The next dot this replica will use.
    pub(crate) fn next_dot(&self) -> Dot {
        let me = self.replica;
        Dot::new(me, self.state.ctx.max_counter(me) + 1)
    }

    /// Records a committed local delta (if the transaction mutated
    /// anything) and publishes its changes.
    pub(crate) fn commit_local(&mut self, delta: Option<Delta>, events: Option<Box<EventBuilder>>) {
        if let Some(delta) = delta {
            self.flush_typing();
            self.history.record_local(delta);
        }
        if let Some(events) = events {
            self.emit(Origin::Local, events);
        }
    }

    /// Gives the document's clock a wall clock: `now_ms` returns the time in
    /// milliseconds (in a browser, `Date.now()`). `std` builds read the
    /// system clock by default; without one, timestamps are logical (each
    /// write beats what it has seen). See [`LwwHandle::set`](crate::LwwHandle::set).
    pub fn set_clock(&mut self, now_ms: impl FnMut() -> u64 + Send + 'static) {
        self.clock.set_wall(Some(Box::new(now_ms)));
    }

    pub(crate) fn clock_mut(&mut self) -> &mut clock::Clock {
        &mut self.clock
    }

    /// The id of the root container `name` of `kind` (from a small cache).
    pub(crate) fn root_id(&mut self, name: &str, kind: model::Kind) -> model::path::ContainerId {
        use model::path::{ContainerId, Seg};
        let hit = self.root_ids.iter().find(|id| {
            id.kind() == kind && matches!(id.path(), [Seg::Key(k)] if k.as_str() == name)
        });
        if let Some(id) = hit {
            return id.clone();
        }
        let id = ContainerId::root(name, kind);
        if self.root_ids.len() >= 8 {
            self.root_ids.remove(0);
        }
        self.root_ids.push(id.clone());
        id
    }

    pub(crate) fn scratch_mut(&mut self) -> &mut crate::seq::content::TextBuf {
        &mut self.scratch
    }

    /// The typing run, if any.
    pub(crate) fn typing_mut(&mut self) -> Option<&mut TypingRun> {
        self.typing.as_mut()
    }

    /// Hands the current typing run to the history and starts `run`.
    pub(crate) fn start_typing(&mut self, run: TypingRun) {
        self.flush_typing();
        self.typing = Some(run);
    }

    /// Drops the typing run (it is empty).
    pub(crate) fn drop_typing(&mut self) {
        debug_assert!(self.typing.as_ref().is_none_or(TypingRun::is_empty));
        self.typing = None;
    }

    pub(crate) fn state(&self) -> &State {
        &self.state
    }

    pub(crate) fn state_mut(&mut self) -> &mut State {
        &mut self.state
    }

    pub(crate) fn observed(&self) -> bool {
        self.observers.active()
    }

    pub(crate) fn observers_utf16(&self) -> bool {
        self.observers.utf16
    }

    pub(crate) fn root_store(&self) -> &MapStore {
        &self.state.store
    }
}
