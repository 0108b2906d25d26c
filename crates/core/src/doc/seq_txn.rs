//! Editing texts and lists inside a transaction.

use alloc::string::String;
use alloc::vec::Vec;

use super::events::{ChangeKind, RawChange};
use super::node::{Kind, Node, MAX_DEPTH};
use super::path::Seg;
use super::seq_node::SeqNode;
use super::seq_read::{is_item_kind, ListDelta, ListItem, TextDelta};
use super::txn::{CounterMut, MapMut, Transaction};
use crate::context::CausalContext;
use crate::error::DocError;
use crate::seq::content::{Content, ListBuf, TextBuf, Unit};
use crate::seq::{Loose, Seq, MAX_ITEMS};
use crate::value::Value;

/// Content kinds that are document containers.
pub(crate) trait SeqKind: Content {
    const KIND: Kind;
    fn node(n: &Node) -> Option<&SeqNode<Self>>;
    fn node_mut(n: &mut Node) -> Option<&mut SeqNode<Self>>;
    fn wrap(s: SeqNode<Self>) -> Node;
    /// The change event of an insert (`Some(content)`) or a deletion of
    /// `n` items at `pos`.
    fn change(pos: usize, insert: Option<&Self>, n: usize) -> ChangeKind;
    /// Extends `last` with a following change at `pos` when they are one
    /// contiguous edit.
    fn extend(last: &mut ChangeKind, pos: usize, insert: Option<&Self>, n: usize) -> bool;
    /// The kind of container item `i` holds, if any.
    fn container(&self, i: usize) -> Option<Kind>;
}

impl SeqKind for TextBuf {
    const KIND: Kind = Kind::Text;
    fn node(n: &Node) -> Option<&SeqNode<Self>> {
        match n {
            Node::Text(t) => Some(t),
            _ => None,
        }
    }
    fn node_mut(n: &mut Node) -> Option<&mut SeqNode<Self>> {
        match n {
            Node::Text(t) => Some(t),
            _ => None,
        }
    }
    fn wrap(s: SeqNode<Self>) -> Node {
        Node::Text(alloc::boxed::Box::new(s))
    }
    fn change(pos: usize, insert: Option<&Self>, n: usize) -> ChangeKind {
        let op = match insert {
            Some(c) => TextDelta::Insert(c.0.clone()),
            None => TextDelta::Delete(n),
        };
        ChangeKind::Text(if pos == 0 {
            alloc::vec![op]
        } else {
            alloc::vec![TextDelta::Retain(pos), op]
        })
    }
    fn extend(last: &mut ChangeKind, pos: usize, insert: Option<&Self>, n: usize) -> bool {
        let ChangeKind::Text(steps) = last else {
            return false;
        };
        let at = match steps.first() {
            Some(TextDelta::Retain(r)) => *r,
            _ => 0,
        };
        match (steps.last_mut(), insert) {
            (Some(TextDelta::Insert(s)), Some(c)) if pos == at + s.chars().count() => {
                s.push_str(&c.0);
                true
            }
            (Some(TextDelta::Delete(m)), None) if pos == at => {
                *m += n;
                true
            }
            _ => false,
        }
    }
    fn container(&self, _: usize) -> Option<Kind> {
        None
    }
}

impl SeqKind for ListBuf<ListItem> {
    const KIND: Kind = Kind::List;
    fn node(n: &Node) -> Option<&SeqNode<Self>> {
        match n {
            Node::List(l) => Some(l),
            _ => None,
        }
    }
    fn node_mut(n: &mut Node) -> Option<&mut SeqNode<Self>> {
        match n {
            Node::List(l) => Some(l),
            _ => None,
        }
    }
    fn wrap(s: SeqNode<Self>) -> Node {
        Node::List(alloc::boxed::Box::new(s))
    }
    fn change(pos: usize, insert: Option<&Self>, n: usize) -> ChangeKind {
        let op = match insert {
            Some(c) => ListDelta::Insert(c.0.clone()),
            None => ListDelta::Delete(n),
        };
        ChangeKind::List(if pos == 0 {
            alloc::vec![op]
        } else {
            alloc::vec![ListDelta::Retain(pos), op]
        })
    }
    fn extend(last: &mut ChangeKind, pos: usize, insert: Option<&Self>, n: usize) -> bool {
        let ChangeKind::List(steps) = last else {
            return false;
        };
        let at = match steps.first() {
            Some(ListDelta::Retain(r)) => *r,
            _ => 0,
        };
        match (steps.last_mut(), insert) {
            (Some(ListDelta::Insert(v)), Some(c)) if pos == at + v.len() => {
                v.extend_from_slice(&c.0);
                true
            }
            (Some(ListDelta::Delete(m)), None) if pos == at => {
                *m += n;
                true
            }
            _ => false,
        }
    }
    fn container(&self, i: usize) -> Option<Kind> {
        match self.0.get(i)? {
            ListItem::Container(k) => Some(*k),
            ListItem::Value(_) => None,
        }
    }
}

impl Transaction<'_> {
    /// The state's sequence at `path` when it can be edited in place: it
    /// exists and no kind conflict along the path needs resolving.
    fn seq_in_place<C: SeqKind>(&mut self, path: &[Seg]) -> Option<&mut SeqNode<C>> {
        let (Seg::Key(first), rest) = path.split_first()? else {
            return None;
        };
        let mut slot = self.doc_mut().state_mut().store.get_mut(first)?;
        for seg in rest {
            slot = match (slot.nodes.as_mut_slice(), seg) {
                ([Node::Map(m)], Seg::Key(k)) => m.get_mut(k)?,
                ([Node::List(l)], Seg::Item(d)) => l.children.get_mut(d)?,
                _ => return None,
            };
        }
        match slot.nodes.as_mut_slice() {
            [node] => C::node_mut(node),
            _ => None,
        }
    }

    /// Records a direct edit for the delta and for subscribers.
    fn record_seq_edit<C: SeqKind>(
        &mut self,
        path: &[Seg],
        loose: Option<Loose<C>>,
        dels: Vec<(crate::id::Dot, u32)>,
        dots: (crate::id::Dot, u64),
        event: Option<(usize, Option<&C>, usize)>,
    ) {
        let (first, n) = dots;
        self.doc_mut().state_mut().ctx.insert_range(
            first.replica,
            first.counter,
            first.counter + n - 1,
        );
        if let Some((pos, insert, len)) = event {
            let merged = match self.changes.last_mut() {
                Some(last) if last.path == path => C::extend(&mut last.kind, pos, insert, len),
                _ => false,
            };
            if !merged {
                self.changes.push(RawChange {
                    path: path.to_vec(),
                    kind: C::change(pos, insert, len),
                });
            }
        }
        let entry = match self
            .seq_edits
            .iter_mut()
            .find(|(p, n, _)| p == path && n.kind() == C::KIND)
        {
            Some(e) => e,
            None => {
                self.seq_edits.push((
                    path.to_vec(),
                    C::wrap(SeqNode::default()),
                    CausalContext::new(),
                ));
                self.seq_edits.last_mut().expect("just pushed")
            }
        };
        entry
            .2
            .insert_range(first.replica, first.counter, first.counter + n - 1);
        let node = C::node_mut(&mut entry.1).expect("the kind matches");
        if let Some(l) = loose {
            match node.loose.last_mut() {
                Some(prev)
                    if prev.id.replica == l.id.replica
                        && prev.id.counter + prev.len as u64 == l.id.counter
                        && l.left == Some(crate::id::Dot::new(l.id.replica, l.id.counter - 1))
                        && prev.right == l.right
                        && prev.content.is_some() =>
                {
                    prev.len += l.len;
                    if let (Some(a), Some(b)) = (prev.content.as_mut(), l.content.as_ref()) {
                        a.append(b);
                    }
                }
                _ => node.loose.push(l),
            }
        }
        for (d, k) in dels {
            match node.dels.last_mut() {
                Some((p, m)) if p.replica == d.replica && p.counter + *m as u64 == d.counter => {
                    *m += k
                }
                _ => node.dels.push((d, k)),
            }
        }
        #[cfg(any(test, feature = "slow-checks"))]
        self.doc().check_invariants();
    }

    fn seq<C: SeqKind>(&self, path: &[Seg]) -> Option<&Seq<C>> {
        self.read(path, C::KIND).and_then(C::node).map(|s| &s.seq)
    }

    fn seq_len<C: SeqKind>(&self, path: &[Seg]) -> usize {
        self.seq::<C>(path).map_or(0, Seq::len)
    }

    pub(crate) fn seq_insert<C: SeqKind>(
        &mut self,
        path: &[Seg],
        pos: usize,
        content: C,
    ) -> Result<(), DocError> {
        let n = content.items();
        if n == 0 {
            return Ok(());
        }
        let len = self.seq_len::<C>(path);
        if pos > len {
            return Err(DocError::OutOfBounds { pos, len });
        }
        let total = self
            .seq::<C>(path)
            .map_or(0, |s| s.tree.counts().total as usize);
        let first = self.next_dot().counter;
        if total + n > MAX_ITEMS as usize || first + n as u64 > u32::MAX as u64 {
            return Err(DocError::TooLarge);
        }
        let record = self.doc().has_subscribers();
        let dot = self.next_dot();
        if let Some(node) = self.seq_in_place::<C>(path) {
            let (left, right) = node.seq.insert_local(pos, dot, &content)?;
            let event = record.then_some((pos, Some(&content), n));
            let loose = Loose {
                id: dot,
                len: n as u32,
                left,
                right,
                content: Some(content.clone()),
            };
            self.record_seq_edit(path, Some(loose), Vec::new(), (dot, n as u64), event);
            return Ok(());
        }
        self.mutate(path, C::KIND, |node, dot| {
            let (left, right) = match node.and_then(C::node) {
                Some(s) => s.seq.origins_at(pos).expect("bounds checked"),
                None => (None, None),
            };
            let loose = Loose {
                id: dot,
                len: n as u32,
                left,
                right,
                content: Some(content),
            };
            let mut delta = SeqNode::delta(alloc::vec![loose], Vec::new());
            delta.record = record;
            let mut ctx = CausalContext::new();
            ctx.insert_range(dot.replica, dot.counter, dot.counter + n as u64 - 1);
            (C::wrap(delta), ctx)
        })
    }

    pub(crate) fn seq_delete<C: SeqKind>(
        &mut self,
        path: &[Seg],
        pos: usize,
        n: usize,
    ) -> Result<(), DocError> {
        if n == 0 {
            return Ok(());
        }
        let ids = match self.seq::<C>(path) {
            Some(s) => s.visible_ids(pos, n)?,
            None => {
                return Err(DocError::OutOfBounds {
                    pos: pos.saturating_add(n),
                    len: 0,
                })
            }
        };
        let record = self.doc().has_subscribers();
        let dot = self.next_dot();
        if let Some(node) = self.seq_in_place::<C>(path) {
            node.seq.delete_local(pos, n)?;
            node.prune_children_in(&ids);
            let event = record.then_some((pos, None, n));
            self.record_seq_edit::<C>(path, None, ids, (dot, 1), event);
            return Ok(());
        }
        self.mutate(path, C::KIND, |_, _| {
            let mut delta = SeqNode::<C>::delta(Vec::new(), ids);
            delta.record = record;
            (C::wrap(delta), CausalContext::new())
        })
    }
}

/// A handle to a text inside a transaction. Positions are `char` indices
/// unless a method takes a [`Unit`].
pub struct TextMut<'t, 'd> {
    pub(crate) txn: &'t mut Transaction<'d>,
    pub(crate) path: Vec<Seg>,
}

/// A handle to a list inside a transaction. Items are plain values or
/// nested containers ([`ListMut::insert_map`], [`ListMut::map`], ...).
pub struct ListMut<'t, 'd> {
    pub(crate) txn: &'t mut Transaction<'d>,
    pub(crate) path: Vec<Seg>,
}

fn char_index(seq: Option<&Seq<TextBuf>>, pos: usize, unit: Unit) -> Result<usize, DocError> {
    let Some(seq) = seq else {
        return if pos == 0 {
            Ok(0)
        } else {
            Err(DocError::OutOfBounds { pos, len: 0 })
        };
    };
    let len = seq.tree.counts().get(unit) as usize;
    if pos > len {
        return Err(DocError::OutOfBounds { pos, len });
    }
    if unit == Unit::Char {
        return Ok(pos);
    }
    let c = seq.tree.char_of_unit(pos as u32, unit);
    if seq.tree.unit_of_char(c, unit) as usize != pos {
        return Err(DocError::NotCharBoundary(pos));
    }
    Ok(c as usize)
}

impl TextMut<'_, '_> {
    /// Inserts `text` at `char` index `pos`.
    pub fn insert(&mut self, pos: usize, text: &str) -> Result<(), DocError> {
        self.insert_in(Unit::Char, pos, text)
    }

    /// Inserts `text` at `pos` counted in `unit` (UTF-16 code units for
    /// positions from JavaScript, UTF-8 bytes for Rust `str` indices).
    pub fn insert_in(&mut self, unit: Unit, pos: usize, text: &str) -> Result<(), DocError> {
        let pos = char_index(self.txn.seq(&self.path), pos, unit)?;
        self.txn
            .seq_insert(&self.path, pos, TextBuf(String::from(text)))
    }

    /// Deletes `len` `char`s from `pos`.
    pub fn delete(&mut self, pos: usize, len: usize) -> Result<(), DocError> {
        self.txn.seq_delete::<TextBuf>(&self.path, pos, len)
    }

    /// Deletes the range `pos .. pos + len` counted in `unit`.
    pub fn delete_in(&mut self, unit: Unit, pos: usize, len: usize) -> Result<(), DocError> {
        let seq = self.txn.seq(&self.path);
        let from = char_index(seq, pos, unit)?;
        let to = char_index(seq, pos.saturating_add(len), unit)?;
        self.txn.seq_delete::<TextBuf>(&self.path, from, to - from)
    }

    /// Replaces `del` `char`s at `pos` with `text`.
    pub fn splice(&mut self, pos: usize, del: usize, text: &str) -> Result<(), DocError> {
        self.delete(pos, del)?;
        self.insert(pos, text)
    }

    /// Appends `text`.
    pub fn push_str(&mut self, text: &str) -> Result<(), DocError> {
        let end = self.len();
        self.insert(end, text)
    }

    /// Length in `char`s.
    pub fn len(&self) -> usize {
        self.txn.seq_len::<TextBuf>(&self.path)
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The current text.
    pub fn get(&self) -> String {
        self.txn
            .seq::<TextBuf>(&self.path)
            .map(|s| s.leaf_contents().map(|c| c.0.as_str()).collect())
            .unwrap_or_default()
    }
}

type ListContent = ListBuf<ListItem>;

impl<'t, 'd> ListMut<'t, 'd> {
    /// Inserts `value` at `index`.
    pub fn insert(&mut self, index: usize, value: impl Into<Value>) -> Result<(), DocError> {
        let item = ListItem::Value(value.into());
        self.txn
            .seq_insert(&self.path, index, ListBuf(alloc::vec![item]))
    }

    /// Inserts `values` at `index`, in order.
    pub fn insert_all(&mut self, index: usize, values: Vec<Value>) -> Result<(), DocError> {
        let items = values.into_iter().map(ListItem::Value).collect();
        self.txn.seq_insert(&self.path, index, ListBuf(items))
    }

    /// Appends `value`.
    pub fn push(&mut self, value: impl Into<Value>) -> Result<(), DocError> {
        let end = self.len();
        self.insert(end, value)
    }

    /// Deletes `len` items from `index` (with the containers they hold,
    /// and edits made inside them concurrently).
    pub fn delete(&mut self, index: usize, len: usize) -> Result<(), DocError> {
        self.txn.seq_delete::<ListContent>(&self.path, index, len)
    }

    /// Replaces the item at `index` with `value` (a delete and an insert:
    /// concurrent replacements of one index keep both new values).
    pub fn set(&mut self, index: usize, value: impl Into<Value>) -> Result<(), DocError> {
        self.delete(index, 1)?;
        self.insert(index, value)
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.txn.seq_len::<ListContent>(&self.path)
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The item at `index`.
    pub fn item(&self, index: usize) -> Option<ListItem> {
        let s = self.txn.seq::<ListContent>(&self.path)?;
        let (c, i) = s.content_at(index)?;
        c.0.get(i).cloned()
    }

    /// The plain value at `index` (`None` for a container item).
    pub fn get(&self, index: usize) -> Option<Value> {
        match self.item(index)? {
            ListItem::Value(v) => Some(v),
            ListItem::Container(_) => None,
        }
    }

    /// Inserts an item holding an empty container of `kind` at `index`;
    /// returns the path to it.
    fn insert_container(&mut self, index: usize, kind: Kind) -> Result<Vec<Seg>, DocError> {
        debug_assert!(is_item_kind(kind));
        if self.path.len() >= MAX_DEPTH {
            // The container would sit one level deeper than the limit.
            return Err(DocError::TooDeep(MAX_DEPTH));
        }
        let dot = self.txn.next_dot();
        let item = ListItem::Container(kind);
        self.txn
            .seq_insert(&self.path, index, ListBuf(alloc::vec![item]))?;
        Ok(self.item_path(dot))
    }

    /// The path to the container of `kind` held by the item at `index`.
    fn container_at(&self, index: usize, kind: Kind) -> Result<Vec<Seg>, DocError> {
        let seq = self.txn.seq::<ListContent>(&self.path);
        let len = seq.map_or(0, Seq::len);
        if index >= len {
            return Err(DocError::OutOfBounds { pos: index, len });
        }
        match self.item(index) {
            Some(ListItem::Container(k)) if k == kind => {}
            _ => return Err(DocError::NotAContainer(kind)),
        }
        let dot = seq.and_then(|s| s.dot_at(index)).expect("index checked");
        Ok(self.item_path(dot))
    }

    fn item_path(&self, dot: crate::id::Dot) -> Vec<Seg> {
        let mut path = self.path.clone();
        path.push(Seg::Item(dot));
        path
    }

    /// Inserts a new, empty map at `index` and returns it for editing.
    pub fn insert_map(&mut self, index: usize) -> Result<MapMut<'_, 'd>, DocError> {
        let path = self.insert_container(index, Kind::Map)?;
        Ok(MapMut {
            txn: self.txn,
            path,
        })
    }

    /// Inserts a new, empty list at `index` and returns it for editing.
    pub fn insert_list(&mut self, index: usize) -> Result<ListMut<'_, 'd>, DocError> {
        let path = self.insert_container(index, Kind::List)?;
        Ok(ListMut {
            txn: self.txn,
            path,
        })
    }

    /// Inserts a new, empty text at `index` and returns it for editing.
    pub fn insert_text(&mut self, index: usize) -> Result<TextMut<'_, 'd>, DocError> {
        let path = self.insert_container(index, Kind::Text)?;
        Ok(TextMut {
            txn: self.txn,
            path,
        })
    }

    /// Inserts a new counter (at 0) at `index` and returns it for editing.
    pub fn insert_counter(&mut self, index: usize) -> Result<CounterMut<'_, 'd>, DocError> {
        let path = self.insert_container(index, Kind::Counter)?;
        Ok(CounterMut {
            txn: self.txn,
            path,
        })
    }

    /// Appends a new, empty map and returns it for editing.
    pub fn push_map(&mut self) -> Result<MapMut<'_, 'd>, DocError> {
        let end = self.len();
        self.insert_map(end)
    }

    /// Appends a new, empty list and returns it for editing.
    pub fn push_list(&mut self) -> Result<ListMut<'_, 'd>, DocError> {
        let end = self.len();
        self.insert_list(end)
    }

    /// Appends a new, empty text and returns it for editing.
    pub fn push_text(&mut self) -> Result<TextMut<'_, 'd>, DocError> {
        let end = self.len();
        self.insert_text(end)
    }

    /// Appends a new counter (at 0) and returns it for editing.
    pub fn push_counter(&mut self) -> Result<CounterMut<'_, 'd>, DocError> {
        let end = self.len();
        self.insert_counter(end)
    }

    /// The map held by the item at `index`, for editing.
    pub fn map(&mut self, index: usize) -> Result<MapMut<'_, 'd>, DocError> {
        let path = self.container_at(index, Kind::Map)?;
        Ok(MapMut {
            txn: self.txn,
            path,
        })
    }

    /// The list held by the item at `index`, for editing.
    pub fn list(&mut self, index: usize) -> Result<ListMut<'_, 'd>, DocError> {
        let path = self.container_at(index, Kind::List)?;
        Ok(ListMut {
            txn: self.txn,
            path,
        })
    }

    /// The text held by the item at `index`, for editing.
    pub fn text(&mut self, index: usize) -> Result<TextMut<'_, 'd>, DocError> {
        let path = self.container_at(index, Kind::Text)?;
        Ok(TextMut {
            txn: self.txn,
            path,
        })
    }

    /// The counter held by the item at `index`, for editing.
    pub fn counter(&mut self, index: usize) -> Result<CounterMut<'_, 'd>, DocError> {
        let path = self.container_at(index, Kind::Counter)?;
        Ok(CounterMut {
            txn: self.txn,
            path,
        })
    }
}
