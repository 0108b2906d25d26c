//! What sequence items hold: characters in texts, [`ListItem`]s in lists,
//! and the [`SeqKind`] trait that ties each content type to its node.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::observe::Observed;
use super::seq_node::{SeqDelta, SeqNode};
use super::{Kind, Node};
use crate::seq::content::{Content, ListBuf, TextBuf};
use crate::seq::SeqOp;
use crate::value::Value;

/// What a list item holds: a plain value, or a nested container (a map,
/// a list, a text or a counter) that is edited in place through
/// [`ListMut::map`](crate::ListMut::map) and its siblings.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ListItem {
    /// A plain value.
    Value(Value),
    /// A nested container of this kind.
    Container(Kind),
}

impl From<Value> for ListItem {
    fn from(v: Value) -> Self {
        ListItem::Value(v)
    }
}

impl ListItem {
    /// The plain value, if the item holds one.
    pub fn as_value(&self) -> Option<&Value> {
        match self {
            ListItem::Value(v) => Some(v),
            ListItem::Container(_) => None,
        }
    }
}

/// The container kinds a list item can hold.
pub(crate) fn is_item_kind(kind: Kind) -> bool {
    matches!(kind, Kind::Map | Kind::List | Kind::Text | Kind::Counter)
}

/// The content of a list.
pub(crate) type ListContent = ListBuf<ListItem>;

/// Content types that are document containers: text characters and list
/// items.
pub(crate) trait SeqKind: Content {
    const KIND: Kind;
    fn node(n: &Node) -> Option<&SeqNode<Self>>;
    fn node_mut(n: &mut Node) -> Option<&mut SeqNode<Self>>;
    fn wrap(s: SeqNode<Self>) -> Node;
    /// The kind of container item `i` holds, if any.
    fn container(&self, i: usize) -> Option<Kind>;
    /// The edits of a sequence of this kind.
    fn edits(d: SeqDelta<Self>) -> SeqEdits;
    /// The edits of `e`, if they are of this kind.
    fn edits_mut(e: &mut SeqEdits) -> Option<&mut SeqDelta<Self>>;
    /// The record of operations on a sequence of this kind.
    fn observed(ops: Vec<SeqOp<Self>>) -> Observed;
    /// The operations of `o`, if it is a record of this kind.
    fn ops_mut(o: &mut Observed) -> Option<&mut Vec<SeqOp<Self>>>;
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
        Node::Text(Box::new(s))
    }
    fn container(&self, _: usize) -> Option<Kind> {
        None
    }
    fn edits(d: SeqDelta<Self>) -> SeqEdits {
        SeqEdits::Text(d)
    }
    fn edits_mut(e: &mut SeqEdits) -> Option<&mut SeqDelta<Self>> {
        match e {
            SeqEdits::Text(d) => Some(d),
            SeqEdits::List(_) => None,
        }
    }
    fn observed(ops: Vec<SeqOp<Self>>) -> Observed {
        Observed::Text(ops)
    }
    fn ops_mut(o: &mut Observed) -> Option<&mut Vec<SeqOp<Self>>> {
        match o {
            Observed::Text(ops) => Some(ops),
            _ => None,
        }
    }
}

impl SeqKind for ListContent {
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
        Node::List(Box::new(s))
    }
    fn container(&self, i: usize) -> Option<Kind> {
        match self.0.get(i)? {
            ListItem::Container(k) => Some(*k),
            ListItem::Value(_) => None,
        }
    }
    fn edits(d: SeqDelta<Self>) -> SeqEdits {
        SeqEdits::List(d)
    }
    fn edits_mut(e: &mut SeqEdits) -> Option<&mut SeqDelta<Self>> {
        match e {
            SeqEdits::List(d) => Some(d),
            SeqEdits::Text(_) => None,
        }
    }
    fn observed(ops: Vec<SeqOp<Self>>) -> Observed {
        Observed::List(ops)
    }
    fn ops_mut(o: &mut Observed) -> Option<&mut Vec<SeqOp<Self>>> {
        match o {
            Observed::List(ops) => Some(ops),
            _ => None,
        }
    }
}

/// The edits of a text or a list, without the tree (see [`SeqDelta`]).
#[derive(Clone, Debug)]
pub(crate) enum SeqEdits {
    Text(SeqDelta<TextBuf>),
    List(SeqDelta<ListContent>),
}

impl SeqEdits {
    /// The delta node.
    pub(crate) fn into_node(self) -> Node {
        match self {
            SeqEdits::Text(d) => Node::Text(Box::new(d.into_node())),
            SeqEdits::List(d) => Node::List(Box::new(d.into_node())),
        }
    }
}
