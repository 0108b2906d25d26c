//! Edits: transactions, the owned handles that edit through them
//! (`handles.rs`), and the borrowing handles layered over those
//! (`borrowed.rs`).
//!
//! A transaction applies each mutation to the document's state at once
//! (reads see it) and accumulates the mutations' deltas into one delta,
//! which it hands to the history when it ends.

pub(crate) mod borrowed;
pub(crate) mod handles;
mod seq;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use super::delta::Delta;
use super::events::EventBuilder;
use super::model::item::{SeqEdits, SeqKind};
use super::model::path::{self, wrap, ContainerId, Seg};
use super::model::{Kind, MapStore, Node, Slot, MAX_DEPTH};
use super::typing::{Mark, TypingRun};
use super::{state, Doc};
use crate::context::CausalContext;
use crate::error::DocError;
use crate::id::{Dot, DotRange};
use crate::store::{DotStore, JoinMode};
use crate::types::Causal;
use crate::vv::VersionVector;
use smallvec::SmallVec;

/// A group of mutations that becomes one delta.
///
/// Mutations take effect on the document immediately (reads through
/// [`Transaction::doc`] see them). [`Transaction::commit`] ends the
/// transaction and returns its encoded delta, to send to other replicas.
/// Dropping a transaction commits it too, without encoding: the delta
/// goes to the document's history, and [`Doc::encode_since`] sends it.
pub struct Transaction<'d> {
    doc: &'d mut Doc,
    /// This transaction's first counter: its dependencies are the
    /// document's version with this replica's entry just before it.
    first: u64,
    /// The deltas of mutations made through the tree.
    delta: Causal<MapStore>,
    /// Text and list edits made directly on the state, not yet joined into
    /// `delta`.
    seq_edits: Vec<SeqEdit>,
    /// Records changes when the document has observers.
    rec: Option<Box<EventBuilder>>,
    /// Where this transaction's edits begin in the document's typing run,
    /// while it only types into one sequence.
    typing: Option<Mark>,
    done: bool,
}

/// The direct edits of one sequence in a transaction.
struct SeqEdit {
    id: ContainerId,
    edits: SeqEdits,
    /// The dots they took (this replica's).
    dots: Dots,
}

/// Dot ranges of this replica, merged when consecutive.
pub(crate) type Dots = SmallVec<[DotRange; 2]>;

/// Adds `r` to `dots`, extending the last range when `r` follows it.
pub(crate) fn push_dots(dots: &mut Dots, r: DotRange) {
    if let Some(last) = dots.last_mut() {
        if last.replica == r.replica && last.last.checked_add(1) == Some(r.first) {
            last.last = r.last;
            return;
        }
    }
    dots.push(r);
}

impl<'d> Transaction<'d> {
    #[inline]
    pub(crate) fn new(doc: &'d mut Doc) -> Self {
        let first = doc.next_dot().counter;
        let utf16 = doc.observers_utf16();
        let rec = doc.observed().then(|| Box::new(EventBuilder::new(utf16)));
        Transaction {
            doc,
            first,
            delta: Causal::default(),
            seq_edits: Vec::new(),
            rec,
            typing: None,
            done: false,
        }
    }

    /// The document, with this transaction's mutations applied.
    pub fn doc(&self) -> &Doc {
        self.doc
    }

    /// Ends the transaction. Returns the encoded delta, or `None` if
    /// nothing was mutated.
    pub fn commit(mut self) -> Option<Vec<u8>> {
        self.finish(true)
    }

    fn finish(&mut self, encode: bool) -> Option<Vec<u8>> {
        if self.done {
            return None;
        }
        self.done = true;
        if encode {
            self.detach_typing();
        }
        let rec = self.rec.take();
        if self.typing.is_some() {
            // Only typing: the edits are in the document's typing run.
            self.doc.commit_local(None, rec);
            return None;
        }
        self.flush_seq_edits();
        if self.delta.ctx.is_empty() {
            if let Some(rec) = rec {
                self.doc.commit_local(None, Some(rec));
            }
            return None;
        }
        let mut deps: VersionVector = self.doc.version();
        deps.set(self.doc.replica(), self.first - 1);
        let delta = Delta {
            deps,
            body: core::mem::take(&mut self.delta),
        };
        let bytes = encode.then(|| delta.encode());
        self.doc.commit_local(Some(delta), rec);
        bytes
    }

    pub(crate) fn doc_mut(&mut self) -> &mut Doc {
        self.doc
    }

    pub(crate) fn next_dot(&self) -> Dot {
        self.doc.next_dot()
    }

    /// The container `id` in the state, if present.
    pub(crate) fn read(&self, id: &ContainerId) -> Option<&Node> {
        read(self.doc, id)
    }

    /// Applies one mutation: `kernel` gets the current container at
    /// `path` (of `kind`, if present) and a fresh dot, and returns the
    /// container's delta. Containers of other kinds along the path are
    /// replaced (observed-removed).
    pub(crate) fn mutate(
        &mut self,
        path: &[Seg],
        kind: Kind,
        kernel: impl FnOnce(Option<&Node>, Dot) -> (Node, CausalContext),
    ) -> Result<(), DocError> {
        self.doc.check_writable()?;
        if path.len() > MAX_DEPTH {
            return Err(DocError::TooDeep(MAX_DEPTH));
        }
        let dot = self.next_dot();
        let mut ctx = CausalContext::new();
        let mut replace = Vec::with_capacity(path.len());
        let root = &self.doc.state().store;
        // The container holding the current step (`None`: the root map, or
        // a container that does not exist yet).
        let mut parent: Option<&Node> = None;
        let mut current: Option<&Node> = None;
        for (i, seg) in path.iter().enumerate() {
            let want = match path.get(i + 1) {
                Some(next) => path::parent_kind(next),
                None => kind,
            };
            let slot = match seg {
                Seg::Key(k) if i == 0 => root.get(k),
                Seg::Key(_) => parent.and_then(|p| path::child(p, seg)),
                Seg::Item(d) => {
                    // The item must be a visible container of `want`.
                    match parent {
                        Some(Node::List(l)) if path::item_kind(l, *d) == Some(want) => {}
                        _ => return Err(DocError::NotAContainer(want)),
                    }
                    parent.and_then(|p| path::child(p, seg))
                }
            };
            let mut replaced = false;
            if let (Seg::Key(_), Some(slot)) = (seg, slot) {
                // Writing a kind the key does not hold over one it shows is
                // refused: remove the key first. A kind the key holds
                // (visible or from a concurrent writer) may be written, and
                // then replaces the others (a kind conflict resolved).
                if slot.get(want).is_none() {
                    if let Some(found) = slot.visible() {
                        return Err(DocError::KindMismatch {
                            found: found.kind(),
                            wanted: want,
                        });
                    }
                }
                for n in slot.nodes.iter().filter(|n| n.kind() != want) {
                    n.collect_dots(&mut ctx);
                    replaced = true;
                }
            }
            replace.push(replaced);
            let node = slot.and_then(|s| s.get(want));
            parent = node;
            current = node;
        }
        let (leaf, leaf_ctx) = kernel(current, dot);
        ctx.join(&leaf_ctx);
        ctx.insert(dot);
        let store = wrap(path, leaf, &replace);
        self.apply(store, ctx);
        Ok(())
    }

    /// Removes `key` from the map at `path`.
    pub(crate) fn remove(&mut self, path: &[Seg], key: &str) -> Result<bool, DocError> {
        self.doc.check_writable()?;
        if path.len() >= MAX_DEPTH {
            return Err(DocError::TooDeep(MAX_DEPTH));
        }
        let map = if path.is_empty() {
            &self.doc.state().store
        } else {
            match path::slot_at(&self.doc.state().store, path).and_then(|s| s.get(Kind::Map)) {
                Some(Node::Map(m)) => m,
                _ => return Ok(false),
            }
        };
        let Some(slot) = map.get(key).filter(|s| s.visible().is_some()) else {
            return Ok(false);
        };
        let dot = self.next_dot();
        let mut ctx = CausalContext::new();
        slot.collect_dots(&mut ctx);
        ctx.insert(dot);
        let mut store = MapStore::default();
        store.insert(String::from(key), Slot::removal_marker());
        if !path.is_empty() {
            let replace = alloc::vec![false; path.len()];
            store = wrap(path, Node::Map(store), &replace);
        }
        self.apply(store, ctx);
        Ok(true)
    }

    /// Whether a direct edit of `n` dots in sequence `id` goes to the
    /// document's typing run (this transaction has only typed into `id`
    /// so far, and the run has room); starts a run if needed. Takes this
    /// transaction's edits back out of the run when it stops being only
    /// typing.
    pub(crate) fn typing_into<C: SeqKind>(&mut self, id: &ContainerId, n: u64) -> bool {
        let fits = self.doc.typing_mut().is_some_and(|r| r.accepts(id, n));
        if self.typing.is_some() {
            if fits {
                return true;
            }
            self.detach_typing();
            return false;
        }
        if !self.seq_edits.is_empty() || !self.delta.ctx.is_empty() {
            return false;
        }
        if !fits {
            let replica = self.doc.replica();
            let mut deps = self.doc.version();
            deps.set(replica, self.first - 1);
            let run = TypingRun::start::<C>(id.clone(), replica, self.first, deps);
            self.doc.start_typing(run);
        }
        let run = self.doc.typing_mut().expect("a typing run");
        self.typing = Some(run.mark(self.first));
        true
    }

    /// Takes this transaction's edits out of the typing run into its own
    /// pending sequence edits.
    fn detach_typing(&mut self) {
        let Some(mark) = self.typing.take() else {
            return;
        };
        let (id, edits, dots, empty) = {
            let run = self.doc.typing_mut().expect("a typing run");
            let (edits, dots) = run.split_off(mark);
            (run.id.clone(), edits, dots, run.is_empty())
        };
        if empty {
            self.doc.drop_typing();
        }
        if !dots.is_empty() {
            let mut d = Dots::new();
            d.push(dots);
            self.seq_edits.push(SeqEdit { id, edits, dots: d });
        }
    }

    /// Joins the direct text and list edits into the transaction's delta
    /// (before any other mutation, so the delta keeps their order).
    fn flush_seq_edits(&mut self) {
        for edit in core::mem::take(&mut self.seq_edits) {
            let mut replace = crate::inline::Inline::<[bool; 8]>::new();
            replace.resize(edit.id.path().len(), false);
            let store = wrap(edit.id.path(), edit.edits.into_node(), &replace);
            let ctx = CausalContext::from_ranges(&edit.dots);
            if self.delta.ctx.is_empty() {
                self.delta = Causal { store, ctx };
                continue;
            }
            self.delta
                .store
                .join(&self.delta.ctx, store, &ctx, JoinMode::GROUP);
            self.delta.ctx.join(&ctx);
        }
    }

    /// Joins one mutation's delta into the state (recording what it
    /// changes) and into the transaction's delta.
    fn apply(&mut self, store: MapStore, ctx: CausalContext) {
        self.detach_typing();
        self.flush_seq_edits();
        let local = Causal {
            store: store.clone(),
            ctx: ctx.clone(),
        };
        if let Some(events) = self.rec.as_mut() {
            events.close(&self.doc.state().store);
        }
        state::join(
            self.doc.state_mut(),
            local,
            false,
            self.rec.as_mut().map(|e| &mut e.rec),
        );
        self.delta
            .store
            .join(&self.delta.ctx, store, &ctx, JoinMode::GROUP);
        self.delta.ctx.join(&ctx);
        #[cfg(any(test, feature = "slow-checks"))]
        self.doc.check_invariants();
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        let _ = self.finish(false);
    }
}

/// The container `id` in `doc`'s state, if present.
pub(crate) fn read<'a>(doc: &'a Doc, id: &ContainerId) -> Option<&'a Node> {
    path::slot_at(doc.root_store(), id.path())?.get(id.kind())
}
