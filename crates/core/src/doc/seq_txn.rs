//! Editing texts and lists inside a transaction.

use alloc::string::String;
use alloc::vec::Vec;

use super::node::{Kind, Node};
use super::seq_node::SeqNode;
use super::txn::Transaction;
use crate::context::CausalContext;
use crate::error::DocError;
use crate::seq::content::{Content, ListBuf, TextBuf, Unit};
use crate::seq::{Loose, Seq, MAX_ITEMS};
use crate::value::Value;

/// Content kinds that are document containers.
pub(crate) trait SeqKind: Content {
    const KIND: Kind;
    fn node(n: &Node) -> Option<&SeqNode<Self>>;
    fn wrap(s: SeqNode<Self>) -> Node;
}

impl SeqKind for TextBuf {
    const KIND: Kind = Kind::Text;
    fn node(n: &Node) -> Option<&SeqNode<Self>> {
        match n {
            Node::Text(t) => Some(t),
            _ => None,
        }
    }
    fn wrap(s: SeqNode<Self>) -> Node {
        Node::Text(s)
    }
}

impl SeqKind for ListBuf<Value> {
    const KIND: Kind = Kind::List;
    fn node(n: &Node) -> Option<&SeqNode<Self>> {
        match n {
            Node::List(l) => Some(l),
            _ => None,
        }
    }
    fn wrap(s: SeqNode<Self>) -> Node {
        Node::List(s)
    }
}

impl Transaction<'_> {
    fn seq<C: SeqKind>(&self, path: &[String]) -> Option<&Seq<C>> {
        self.read(path, C::KIND).and_then(C::node).map(|s| &s.seq)
    }

    fn seq_len<C: SeqKind>(&self, path: &[String]) -> usize {
        self.seq::<C>(path).map_or(0, Seq::len)
    }

    pub(crate) fn seq_insert<C: SeqKind>(
        &mut self,
        path: &[String],
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
        path: &[String],
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
    pub(crate) path: Vec<String>,
}

/// A handle to a list inside a transaction.
pub struct ListMut<'t, 'd> {
    pub(crate) txn: &'t mut Transaction<'d>,
    pub(crate) path: Vec<String>,
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

impl ListMut<'_, '_> {
    /// Inserts `value` at `index`.
    pub fn insert(&mut self, index: usize, value: impl Into<Value>) -> Result<(), DocError> {
        self.txn
            .seq_insert(&self.path, index, ListBuf(alloc::vec![value.into()]))
    }

    /// Inserts `values` at `index`, in order.
    pub fn insert_all(&mut self, index: usize, values: Vec<Value>) -> Result<(), DocError> {
        self.txn.seq_insert(&self.path, index, ListBuf(values))
    }

    /// Appends `value`.
    pub fn push(&mut self, value: impl Into<Value>) -> Result<(), DocError> {
        let end = self.len();
        self.insert(end, value)
    }

    /// Deletes `len` values from `index`.
    pub fn delete(&mut self, index: usize, len: usize) -> Result<(), DocError> {
        self.txn
            .seq_delete::<ListBuf<Value>>(&self.path, index, len)
    }

    /// Replaces the value at `index` (a delete and an insert: concurrent
    /// replacements of one index keep both new values).
    pub fn set(&mut self, index: usize, value: impl Into<Value>) -> Result<(), DocError> {
        self.delete(index, 1)?;
        self.insert(index, value)
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.txn.seq_len::<ListBuf<Value>>(&self.path)
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at `index`.
    pub fn get(&self, index: usize) -> Option<Value> {
        let s = self.txn.seq::<ListBuf<Value>>(&self.path)?;
        let (c, i) = s.content_at(index)?;
        c.0.get(i).cloned()
    }
}
