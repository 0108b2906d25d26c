//! Read-only views of texts and lists, stable cursors, and the change
//! steps their events carry.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use serde::{Deserialize, Serialize};

use super::{empty_ref, node_ref, DocValue, MapRef, ValueRef};
use crate::doc::model::item::{ListContent, ListItem};
use crate::doc::model::{Kind, ListStore};
use crate::id::Dot;
use crate::seq::content::{Content, TextBuf, Unit};
use crate::seq::lazy::LazySeq;
use crate::seq::Seq;
use crate::value::Value;

/// Which neighbour a [`Cursor`] holds on to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Side {
    /// The item after the position: text typed at the cursor by others
    /// lands before it (a caret that stays in front of the next character).
    #[default]
    Right,
    /// The item before the position: the cursor stays right after it
    /// (the end of a comment's range).
    Left,
}

/// A position in a text or list that survives concurrent edits: it names
/// an item, not an index, so inserts and deletes elsewhere (or of the item
/// itself) move it with the content. Resolve it with
/// [`TextRef::resolve`] or [`ListRef::resolve`]. It is plain data:
/// serialize it to store a caret or a comment anchor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor {
    item: Option<Dot>,
    side: Side,
}

impl crate::encoding::read::Decode for Cursor {
    /// The cursor's postcard form (as its `Serialize` writes it).
    fn decode(r: &mut crate::encoding::read::Reader<'_>) -> Result<Self, crate::DecodeError> {
        let item = Option::<(u64, u64)>::decode(r)?
            .map(|(replica, counter)| Dot::new(crate::ReplicaId::new(replica), counter));
        let side = match r.variant()? {
            0 => Side::Right,
            1 => Side::Left,
            _ => return Err(crate::DecodeError::Malformed),
        };
        Ok(Cursor { item, side })
    }
}

fn make_cursor<C: Content>(seq: Option<&Seq<C>>, pos: usize, side: Side) -> Cursor {
    let Some(seq) = seq else {
        return Cursor { item: None, side };
    };
    let pos = pos.min(seq.len());
    let item = match side {
        Side::Right => seq.dot_at(pos),
        Side::Left => pos.checked_sub(1).and_then(|p| seq.dot_at(p)),
    };
    Cursor { item, side }
}

fn resolve_cursor<C: Content>(seq: Option<&Seq<C>>, c: &Cursor) -> Option<usize> {
    let len = seq.map_or(0, Seq::len);
    match (c.item, c.side) {
        (None, Side::Right) => Some(len),
        (None, Side::Left) => Some(0),
        (Some(d), Side::Right) => seq?.index_of(d).map(|(i, _)| i),
        (Some(d), Side::Left) => seq?.index_of(d).map(|(i, vis)| i + usize::from(vis)),
    }
}

/// A read-only view of a text.
#[derive(Clone, Copy)]
pub struct TextRef<'a> {
    /// `None` for an empty text that holds nothing yet (a list item).
    pub(crate) seq: Option<&'a LazySeq<TextBuf>>,
}

impl fmt::Debug for TextRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TextRef")
            .field(&alloc::string::ToString::to_string(self))
            .finish()
    }
}

impl fmt::Display for TextRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.chunks() {
            f.write_str(chunk)?;
        }
        Ok(())
    }
}

impl<'a> TextRef<'a> {
    /// Length in Unicode scalar values (`char`s).
    pub fn len(&self) -> usize {
        self.seq.map_or(0, LazySeq::len)
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Length in `unit`s (UTF-16 code units for JavaScript, UTF-8 bytes).
    pub fn len_in(&self, unit: Unit) -> usize {
        self.seq.map_or(0, |s| s.len_in(unit))
    }

    /// The text in pieces, in order (no copy).
    pub fn chunks(&self) -> impl Iterator<Item = &'a str> + 'a {
        // A text loaded lazily reads its content without building its tree.
        let whole = self.seq.and_then(LazySeq::unbuilt_content);
        let built = self.seq.filter(|_| whole.is_none());
        whole
            .into_iter()
            .chain(built.into_iter().flat_map(|s| (**s).leaf_contents()))
            .map(|c| c.0.as_str())
    }

    /// The characters, in order.
    pub fn chars(&self) -> impl Iterator<Item = char> + 'a {
        self.chunks().flat_map(str::chars)
    }

    /// The characters `range` (in `char`s, clamped to the text).
    pub fn slice(&self, range: core::ops::Range<usize>) -> String {
        self.chars()
            .skip(range.start)
            .take(range.end.saturating_sub(range.start))
            .collect()
    }

    /// Converts a position between units (a UTF-16 offset from an editor
    /// to a `char` index, say). A position inside a character moves to
    /// the character's end.
    pub fn convert(&self, pos: usize, from: Unit, to: Unit) -> usize {
        let Some(seq) = self.built() else { return 0 };
        let pos = u32::try_from(pos).unwrap_or(u32::MAX);
        let c = seq.tree.char_of_unit(pos, from);
        seq.tree.unit_of_char(c, to) as usize
    }

    /// A stable cursor at `char` index `pos`.
    pub fn cursor(&self, pos: usize, side: Side) -> Cursor {
        make_cursor(self.built(), pos, side)
    }

    /// Where `cursor` is now (a `char` index); `None` if it names an item
    /// this replica has not seen yet.
    pub fn resolve(&self, cursor: &Cursor) -> Option<usize> {
        resolve_cursor(self.built(), cursor)
    }

    /// The stable id of the character at `char` index `pos`.
    pub fn id_at(&self, pos: usize) -> Option<Dot> {
        self.built()?.dot_at(pos)
    }

    /// Where the character `id` is now (a `char` index); `None` if it was
    /// deleted or this replica has not seen it.
    pub fn index_of(&self, id: Dot) -> Option<usize> {
        match self.built()?.index_of(id)? {
            (i, true) => Some(i),
            (_, false) => None,
        }
    }

    /// The sequence, its tree built.
    fn built(&self) -> Option<&'a Seq<TextBuf>> {
        self.seq.map(|s| &**s)
    }
}

/// A read-only view of a list.
#[derive(Clone, Copy)]
pub struct ListRef<'a> {
    /// `None` for an empty list that holds nothing yet (a list item).
    pub(crate) node: Option<&'a ListStore>,
}

impl fmt::Debug for ListRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> ListRef<'a> {
    fn seq(&self) -> Option<&'a Seq<ListContent>> {
        self.node.map(|n| &*n.seq)
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.seq().map_or(0, Seq::len)
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The item at `index`: a value or a container's kind.
    pub fn item(&self, index: usize) -> Option<&'a ListItem> {
        let (c, i) = self.seq()?.content_at(index)?;
        c.0.get(i)
    }

    /// The plain value at `index` (`None` past the end, or when the item
    /// holds a container: see [`ListRef::container`]).
    pub fn get(&self, index: usize) -> Option<&'a Value> {
        self.item(index)?.as_value()
    }

    /// The container held by the item at `index` (an empty one when
    /// nothing was written inside it yet).
    pub fn container(&self, index: usize) -> Option<ValueRef<'a>> {
        let ListItem::Container(kind) = self.item(index)? else {
            return None;
        };
        let node = self.node?;
        let d = node.seq.dot_at(index)?;
        Some(item_ref(node, d, *kind))
    }

    /// The map held by the item at `index`.
    pub fn map(&self, index: usize) -> Option<MapRef<'a>> {
        match self.container(index)? {
            ValueRef::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The list held by the item at `index`.
    pub fn list(&self, index: usize) -> Option<ListRef<'a>> {
        match self.container(index)? {
            ValueRef::List(l) => Some(l),
            _ => None,
        }
    }

    /// The text held by the item at `index`.
    pub fn text(&self, index: usize) -> Option<TextRef<'a>> {
        match self.container(index)? {
            ValueRef::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The counter held by the item at `index`.
    pub fn counter(&self, index: usize) -> Option<i64> {
        match self.container(index)? {
            ValueRef::Counter(c) => Some(c),
            _ => None,
        }
    }

    /// The items, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a ListItem> + 'a {
        self.seq()
            .into_iter()
            .flat_map(|s| s.leaf_contents())
            .flat_map(|c| c.0.iter())
    }

    /// The plain values, in order (containers are skipped; see
    /// [`ListRef::to_value`] for everything).
    pub fn values(&self) -> impl Iterator<Item = &'a Value> + 'a {
        self.iter().filter_map(ListItem::as_value)
    }

    /// The plain value of every item, containers included, recursively.
    pub fn to_value(&self) -> Vec<DocValue> {
        let Some(node) = self.node else {
            return Vec::new();
        };
        self.iter()
            .enumerate()
            .map(|(index, item)| match item {
                ListItem::Value(v) => DocValue::Scalar(v.clone()),
                ListItem::Container(kind) => {
                    let d = node.seq.dot_at(index).expect("a visible item");
                    DocValue::of_ref(item_ref(node, d, *kind))
                }
            })
            .collect()
    }

    /// A stable cursor at `index`.
    pub fn cursor(&self, index: usize, side: Side) -> Cursor {
        make_cursor(self.seq(), index, side)
    }

    /// The stable id of the item at `index`: it names the item whatever
    /// is inserted or deleted around it (a key for a UI's keyed list).
    pub fn id_at(&self, index: usize) -> Option<Dot> {
        self.seq()?.dot_at(index)
    }

    /// Where the item `id` is now; `None` if it was deleted or this
    /// replica has not seen it.
    pub fn index_of(&self, id: Dot) -> Option<usize> {
        match self.seq()?.index_of(id)? {
            (i, true) => Some(i),
            (_, false) => None,
        }
    }

    /// Where `cursor` is now; `None` if it names an item this replica has
    /// not seen yet.
    pub fn resolve(&self, cursor: &Cursor) -> Option<usize> {
        resolve_cursor(self.seq(), cursor)
    }
}

/// The view of the container of `kind` held by item `d` of `list`.
fn item_ref(list: &ListStore, d: Dot, kind: Kind) -> ValueRef<'_> {
    match list.children.get(&d).and_then(|s| s.get(kind)) {
        Some(node) => node_ref(node),
        None => empty_ref(kind),
    }
}
