//! Transactions and the mutable handles that edit a document.

use alloc::string::String;
use alloc::vec::Vec;

use super::events::{diff, drain_seq_changes, observe, RawChange};
use super::node::{Kind, MapStore, Node, Slot, Stamped, MAX_DEPTH};
use super::path::{self, Seg};
use super::read::{lww_winner, mv_values};
use super::seq_node::SeqNode;
pub use super::seq_txn::{ListMut, TextMut};
use super::Doc;
use crate::context::CausalContext;
use crate::error::DocError;
use crate::id::Dot;
use crate::store::{DotMap, DotStore, JoinMode};
use crate::types::counter::{counter_add, counter_value};
use crate::types::register::{clear, mv_write};
use crate::types::set::{aw_insert, aw_remove, rw_insert, rw_remove};
use crate::types::Causal;
use crate::value::Value;
use crate::vv::VersionVector;

/// A group of mutations that becomes one delta.
///
/// Mutations take effect on the document immediately (reads through
/// [`Transaction::doc`] see them); [`Transaction::commit`] returns the
/// encoded delta to send to other replicas. Dropping a transaction commits
/// it too, discarding the bytes (they stay in the document's log, so
/// [`Doc::encode_since`] still sends them).
pub struct Transaction<'d> {
    doc: &'d mut Doc,
    delta: Causal<MapStore>,
    deps: VersionVector,
    pub(crate) changes: Vec<RawChange>,
    /// Text and list edits made directly on the state, not yet joined into
    /// `delta`: (path, delta node, its dots).
    pub(crate) seq_edits: Vec<(Vec<Seg>, Node, CausalContext)>,
    done: bool,
}

impl<'d> Transaction<'d> {
    pub(crate) fn new(doc: &'d mut Doc) -> Self {
        let deps = doc.version();
        Transaction {
            doc,
            delta: Causal::default(),
            deps,
            changes: Vec::new(),
            seq_edits: Vec::new(),
            done: false,
        }
    }

    /// The document, with this transaction's mutations applied.
    pub fn doc(&self) -> &Doc {
        self.doc
    }

    /// The root map, for editing.
    pub fn root(&mut self) -> MapMut<'_, 'd> {
        MapMut {
            txn: self,
            path: Vec::new(),
        }
    }

    /// The map at `path` (keys from the root; an empty path is the root).
    pub fn map_at<S: AsRef<str>>(&mut self, path: &[S]) -> MapMut<'_, 'd> {
        MapMut {
            txn: self,
            path: path::keys(path),
        }
    }

    /// The map named `name` at the root.
    pub fn map(&mut self, name: &str) -> MapMut<'_, 'd> {
        MapMut {
            txn: self,
            path: alloc::vec![Seg::Key(String::from(name))],
        }
    }

    /// The counter named `name` at the root.
    pub fn counter(&mut self, name: &str) -> CounterMut<'_, 'd> {
        CounterMut {
            txn: self,
            path: alloc::vec![Seg::Key(String::from(name))],
        }
    }

    /// The last-writer-wins register named `name` at the root.
    pub fn lww(&mut self, name: &str) -> LwwMut<'_, 'd> {
        LwwMut {
            txn: self,
            path: alloc::vec![Seg::Key(String::from(name))],
        }
    }

    /// The multi-value register named `name` at the root.
    pub fn mv(&mut self, name: &str) -> MvMut<'_, 'd> {
        MvMut {
            txn: self,
            path: alloc::vec![Seg::Key(String::from(name))],
        }
    }

    /// The add-wins set named `name` at the root.
    pub fn aw_set(&mut self, name: &str) -> AwSetMut<'_, 'd> {
        AwSetMut {
            txn: self,
            path: alloc::vec![Seg::Key(String::from(name))],
        }
    }

    /// The remove-wins set named `name` at the root.
    pub fn rw_set(&mut self, name: &str) -> RwSetMut<'_, 'd> {
        RwSetMut {
            txn: self,
            path: alloc::vec![Seg::Key(String::from(name))],
        }
    }

    /// The text named `name` at the root.
    pub fn text(&mut self, name: &str) -> TextMut<'_, 'd> {
        TextMut {
            txn: self,
            path: alloc::vec![Seg::Key(String::from(name))],
        }
    }

    /// The list named `name` at the root.
    pub fn list(&mut self, name: &str) -> ListMut<'_, 'd> {
        ListMut {
            txn: self,
            path: alloc::vec![Seg::Key(String::from(name))],
        }
    }

    /// Ends the transaction. Returns the encoded delta, or `None` if
    /// nothing was mutated.
    pub fn commit(mut self) -> Option<Vec<u8>> {
        self.finish()
    }

    fn finish(&mut self) -> Option<Vec<u8>> {
        if self.done {
            return None;
        }
        self.done = true;
        self.flush_seq_edits();
        if self.delta.ctx.is_empty() {
            return None;
        }
        let delta = core::mem::take(&mut self.delta);
        let deps = core::mem::take(&mut self.deps);
        let changes = core::mem::take(&mut self.changes);
        Some(self.doc.commit_local(delta, deps, changes))
    }

    pub(crate) fn next_dot(&self) -> Dot {
        let me = self.doc.replica();
        Dot::new(me, self.doc.state().ctx.max_counter(me) + 1)
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
    fn remove(&mut self, path: &[Seg], key: &str) -> Result<bool, DocError> {
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
        let Some(slot) = map.get(key) else {
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

    /// Joins the direct text and list edits into the transaction's delta
    /// (before any other mutation, so the delta keeps their order).
    pub(crate) fn flush_seq_edits(&mut self) {
        for (path, node, ctx) in core::mem::take(&mut self.seq_edits) {
            let replace = alloc::vec![false; path.len()];
            let store = wrap(&path, node, &replace);
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

    pub(crate) fn doc_mut(&mut self) -> &mut Doc {
        self.doc
    }

    fn apply(&mut self, store: MapStore, ctx: CausalContext) {
        self.flush_seq_edits();
        let observed = self.doc.has_subscribers().then(|| {
            (
                observe(&self.doc.state().store, &store, false),
                store.clone(),
            )
        });
        let record = observed.is_some();
        let state = self.doc.state_mut();
        state
            .store
            .join(&state.ctx, store.clone(), &ctx, JoinMode::DELTA);
        state.ctx.join(&ctx);
        let mut seq_changes = Vec::new();
        if record {
            drain_seq_changes(
                &mut state.store,
                &store,
                false,
                &mut Vec::new(),
                &mut seq_changes,
            );
        }
        self.delta
            .store
            .join(&self.delta.ctx, store, &ctx, JoinMode::GROUP);
        self.delta.ctx.join(&ctx);
        if let Some((before, store)) = observed {
            let after = observe(&self.doc.state().store, &store, false);
            self.changes.extend(diff(before, after));
        }
        self.changes.extend(seq_changes);
        #[cfg(any(test, feature = "slow-checks"))]
        self.doc.check_invariants();
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// Builds the delta tree for a leaf delta at `path` (which starts with a
/// key of the root map).
fn wrap(path: &[Seg], leaf: Node, replace: &[bool]) -> MapStore {
    let mut node = leaf;
    for (i, seg) in path.iter().enumerate().rev() {
        let mut slot = Slot::with_node(node);
        slot.scan = replace[i];
        node = match seg {
            Seg::Key(k) => {
                let mut map = DotMap::default();
                map.insert(k.clone(), slot);
                Node::Map(map)
            }
            Seg::Item(d) => {
                let mut list = SeqNode::default();
                list.children.insert(*d, slot);
                Node::List(alloc::boxed::Box::new(list))
            }
        };
    }
    match node {
        Node::Map(m) => m,
        _ => unreachable!("paths start at the root map"),
    }
}

/// A handle to a map inside a transaction.
pub struct MapMut<'t, 'd> {
    pub(crate) txn: &'t mut Transaction<'d>,
    pub(crate) path: Vec<Seg>,
}

macro_rules! leaf_handle {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name<'t, 'd> {
            pub(crate) txn: &'t mut Transaction<'d>,
            pub(crate) path: Vec<Seg>,
        }
    };
}

leaf_handle!(
    /// A handle to a counter inside a transaction.
    CounterMut
);
leaf_handle!(
    /// A handle to a last-writer-wins register inside a transaction.
    LwwMut
);
leaf_handle!(
    /// A handle to a multi-value register inside a transaction.
    MvMut
);
leaf_handle!(
    /// A handle to an add-wins set inside a transaction.
    AwSetMut
);
leaf_handle!(
    /// A handle to a remove-wins set inside a transaction.
    RwSetMut
);

impl<'d> Transaction<'d> {
    pub(crate) fn read(&self, path: &[Seg], kind: Kind) -> Option<&Node> {
        path::slot_at(&self.doc.state().store, path)?.get(kind)
    }
}

impl<'t, 'd> MapMut<'t, 'd> {
    fn child(&self, key: &str) -> Vec<Seg> {
        let mut p = self.path.clone();
        p.push(Seg::Key(String::from(key)));
        p
    }

    /// The nested map under `key` (created by the first mutation inside it;
    /// an empty map is not stored).
    pub fn map(&mut self, key: &str) -> MapMut<'_, 'd> {
        let path = self.child(key);
        MapMut {
            txn: self.txn,
            path,
        }
    }

    /// The counter under `key`.
    pub fn counter(&mut self, key: &str) -> CounterMut<'_, 'd> {
        let path = self.child(key);
        CounterMut {
            txn: self.txn,
            path,
        }
    }

    /// The last-writer-wins register under `key`.
    pub fn lww(&mut self, key: &str) -> LwwMut<'_, 'd> {
        let path = self.child(key);
        LwwMut {
            txn: self.txn,
            path,
        }
    }

    /// The multi-value register under `key`.
    pub fn mv(&mut self, key: &str) -> MvMut<'_, 'd> {
        let path = self.child(key);
        MvMut {
            txn: self.txn,
            path,
        }
    }

    /// The add-wins set under `key`.
    pub fn aw_set(&mut self, key: &str) -> AwSetMut<'_, 'd> {
        let path = self.child(key);
        AwSetMut {
            txn: self.txn,
            path,
        }
    }

    /// The remove-wins set under `key`.
    pub fn rw_set(&mut self, key: &str) -> RwSetMut<'_, 'd> {
        let path = self.child(key);
        RwSetMut {
            txn: self.txn,
            path,
        }
    }

    /// The text under `key`.
    pub fn text(&mut self, key: &str) -> TextMut<'_, 'd> {
        let path = self.child(key);
        TextMut {
            txn: self.txn,
            path,
        }
    }

    /// The list under `key`.
    pub fn list(&mut self, key: &str) -> ListMut<'_, 'd> {
        let path = self.child(key);
        ListMut {
            txn: self.txn,
            path,
        }
    }

    /// Removes `key` and everything this replica has seen under it.
    /// Concurrent edits under `key` that this replica has not seen survive.
    /// Returns whether the key was present.
    pub fn remove(&mut self, key: &str) -> Result<bool, DocError> {
        self.txn.remove(&self.path, key)
    }

    /// The keys present now, sorted.
    pub fn keys(&self) -> Vec<String> {
        let map = if self.path.is_empty() {
            Some(&self.txn.doc.state().store)
        } else {
            match self.txn.read(&self.path, Kind::Map) {
                Some(Node::Map(m)) => Some(m),
                _ => None,
            }
        };
        map.map(|m| m.iter().map(|(k, _)| k.clone()).collect())
            .unwrap_or_default()
    }
}

impl CounterMut<'_, '_> {
    /// Adds `by` (negative to subtract).
    pub fn add(&mut self, by: i64) -> Result<(), DocError> {
        self.txn.mutate(&self.path, Kind::Counter, |node, dot| {
            let empty = Default::default();
            let store = match node {
                Some(Node::Counter(c)) => c,
                _ => &empty,
            };
            let (d, ctx) = counter_add(store, dot, by);
            (Node::Counter(d), ctx)
        })
    }

    /// The current value (0 if absent).
    pub fn value(&self) -> i64 {
        match self.txn.read(&self.path, Kind::Counter) {
            Some(Node::Counter(c)) => counter_value(c),
            _ => 0,
        }
    }
}

impl LwwMut<'_, '_> {
    /// Writes `value` with `timestamp` (given by the caller: a hybrid logical
    /// clock or wall-clock milliseconds). It replaces every value this
    /// replica has seen; among concurrent writes the greatest
    /// (timestamp, replica) wins.
    pub fn set(&mut self, value: impl Into<Value>, timestamp: u64) -> Result<(), DocError> {
        let value = value.into();
        self.txn.mutate(&self.path, Kind::LwwRegister, |node, dot| {
            let empty = Default::default();
            let store = match node {
                Some(Node::Lww(l)) => l,
                _ => &empty,
            };
            let (d, ctx) = mv_write(
                store,
                dot,
                Stamped {
                    ts: timestamp,
                    value,
                },
            );
            (Node::Lww(d), ctx)
        })
    }

    /// The current value.
    pub fn get(&self) -> Option<Value> {
        match self.txn.read(&self.path, Kind::LwwRegister) {
            Some(Node::Lww(l)) => lww_winner(l).cloned(),
            _ => None,
        }
    }
}

impl MvMut<'_, '_> {
    /// Writes `value`, replacing every value this replica has seen.
    pub fn set(&mut self, value: impl Into<Value>) -> Result<(), DocError> {
        let value = value.into();
        self.txn.mutate(&self.path, Kind::MvRegister, |node, dot| {
            let empty = Default::default();
            let store = match node {
                Some(Node::Mv(m)) => m,
                _ => &empty,
            };
            let (d, ctx) = mv_write(store, dot, value);
            (Node::Mv(d), ctx)
        })
    }

    /// Clears the values this replica has seen.
    pub fn clear(&mut self) -> Result<(), DocError> {
        self.txn.mutate(&self.path, Kind::MvRegister, |node, dot| {
            let empty = Default::default();
            let store = match node {
                Some(Node::Mv(m)) => m,
                _ => &empty,
            };
            let (d, ctx) = clear(store, dot);
            (Node::Mv(d), ctx)
        })
    }

    /// The current values (several after concurrent writes).
    pub fn values(&self) -> Vec<Value> {
        match self.txn.read(&self.path, Kind::MvRegister) {
            Some(Node::Mv(m)) => mv_values(m).into_iter().cloned().collect(),
            _ => Vec::new(),
        }
    }
}

macro_rules! set_handle {
    ($name:ident, $kind:expr, $variant:ident, $ins:ident, $rem:ident, $present:expr) => {
        impl $name<'_, '_> {
            /// Adds `value`.
            pub fn insert(&mut self, value: impl Into<Value>) -> Result<(), DocError> {
                let value = value.into();
                self.txn.mutate(&self.path, $kind, |node, dot| {
                    let empty = Default::default();
                    let store = match node {
                        Some(Node::$variant(s)) => s,
                        _ => &empty,
                    };
                    let (d, ctx) = $ins(store, dot, value);
                    (Node::$variant(d), ctx)
                })
            }

            /// Removes `value`.
            pub fn remove(&mut self, value: impl Into<Value>) -> Result<(), DocError> {
                let value = value.into();
                self.txn.mutate(&self.path, $kind, |node, dot| {
                    let empty = Default::default();
                    let store = match node {
                        Some(Node::$variant(s)) => s,
                        _ => &empty,
                    };
                    let (d, ctx) = $rem(store, dot, value);
                    (Node::$variant(d), ctx)
                })
            }

            /// Whether `value` is in the set now.
            pub fn contains(&self, value: &Value) -> bool {
                match self.txn.read(&self.path, $kind) {
                    Some(Node::$variant(s)) => s.get(value).is_some_and($present),
                    _ => false,
                }
            }
        }
    };
}

set_handle!(AwSetMut, Kind::AwSet, AwSet, aw_insert, aw_remove, |_| true);
set_handle!(RwSetMut, Kind::RwSet, RwSet, rw_insert, rw_remove, |e| e
    .is_present());
