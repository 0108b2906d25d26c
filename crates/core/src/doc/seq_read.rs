//! Read-only views of texts and lists, stable cursors, and the change
//! steps their events carry.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use serde::{Deserialize, Serialize};

use crate::id::Dot;
use crate::seq::content::{ListBuf, TextBuf, Unit};
use crate::seq::{Seq, SeqOp};
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

fn make_cursor<C: crate::seq::content::Content>(seq: &Seq<C>, pos: usize, side: Side) -> Cursor {
    let pos = pos.min(seq.len());
    let item = match side {
        Side::Right => seq.dot_at(pos),
        Side::Left => pos.checked_sub(1).and_then(|p| seq.dot_at(p)),
    };
    Cursor { item, side }
}

fn resolve_cursor<C: crate::seq::content::Content>(seq: &Seq<C>, c: &Cursor) -> Option<usize> {
    match (c.item, c.side) {
        (None, Side::Right) => Some(seq.len()),
        (None, Side::Left) => Some(0),
        (Some(d), Side::Right) => seq.index_of(d).map(|(i, _)| i),
        (Some(d), Side::Left) => seq.index_of(d).map(|(i, vis)| i + usize::from(vis)),
    }
}

/// A read-only view of a text.
#[derive(Clone, Copy)]
pub struct TextRef<'a> {
    pub(crate) seq: &'a Seq<TextBuf>,
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
        self.seq.len()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Length in `unit`s (UTF-16 code units for JavaScript, UTF-8 bytes).
    pub fn len_in(&self, unit: Unit) -> usize {
        self.seq.tree.counts().get(unit) as usize
    }

    /// The text in pieces, in order (no copy).
    pub fn chunks(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.seq.leaf_contents().map(|c| c.0.as_str())
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
        let pos = u32::try_from(pos).unwrap_or(u32::MAX);
        let c = self.seq.tree.char_of_unit(pos, from);
        self.seq.tree.unit_of_char(c, to) as usize
    }

    /// A stable cursor at `char` index `pos`.
    pub fn cursor(&self, pos: usize, side: Side) -> Cursor {
        make_cursor(self.seq, pos, side)
    }

    /// Where `cursor` is now (a `char` index); `None` if it names an item
    /// this replica has not seen yet.
    pub fn resolve(&self, cursor: &Cursor) -> Option<usize> {
        resolve_cursor(self.seq, cursor)
    }
}

/// A read-only view of a list of values.
#[derive(Clone, Copy)]
pub struct ListRef<'a> {
    pub(crate) seq: &'a Seq<ListBuf<Value>>,
}

impl fmt::Debug for ListRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> ListRef<'a> {
    /// Number of values.
    pub fn len(&self) -> usize {
        self.seq.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at `index`.
    pub fn get(&self, index: usize) -> Option<&'a Value> {
        let (c, i) = self.seq.content_at(index)?;
        c.0.get(i)
    }

    /// The values, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a Value> + 'a {
        self.seq.leaf_contents().flat_map(|c| c.0.iter())
    }

    /// The values, copied.
    pub fn to_vec(&self) -> Vec<Value> {
        self.iter().cloned().collect()
    }

    /// A stable cursor at `index`.
    pub fn cursor(&self, index: usize, side: Side) -> Cursor {
        make_cursor(self.seq, index, side)
    }

    /// Where `cursor` is now; `None` if it names an item this replica has
    /// not seen yet.
    pub fn resolve(&self, cursor: &Cursor) -> Option<usize> {
        resolve_cursor(self.seq, cursor)
    }
}

/// One step of a text change. Applied in order from the start of the
/// text (as Quill and Yjs deltas are): skip `Retain` characters, then
/// insert or delete. Counts are in `char`s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextDelta {
    /// Keep this many characters.
    Retain(usize),
    /// Insert this text here.
    Insert(String),
    /// Delete this many characters here.
    Delete(usize),
}

/// One step of a list change (see [`TextDelta`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListDelta {
    /// Keep this many values.
    Retain(usize),
    /// Insert these values here.
    Insert(Vec<Value>),
    /// Delete this many values here.
    Delete(usize),
}

/// Merges consecutive recorded operations and turns each into a delta
/// (`[retain, insert|delete]`).
pub(crate) fn text_deltas(ops: Vec<SeqOp<TextBuf>>) -> Vec<Vec<TextDelta>> {
    compact(ops)
        .into_iter()
        .map(|op| match op {
            Step::Insert(p, c) => with_retain(p, TextDelta::Retain, TextDelta::Insert(c.0)),
            Step::Delete(p, n) => with_retain(p, TextDelta::Retain, TextDelta::Delete(n)),
        })
        .collect()
}

pub(crate) fn list_deltas(ops: Vec<SeqOp<ListBuf<Value>>>) -> Vec<Vec<ListDelta>> {
    compact(ops)
        .into_iter()
        .map(|op| match op {
            Step::Insert(p, c) => with_retain(p, ListDelta::Retain, ListDelta::Insert(c.0)),
            Step::Delete(p, n) => with_retain(p, ListDelta::Retain, ListDelta::Delete(n)),
        })
        .collect()
}

fn with_retain<D>(pos: usize, retain: fn(usize) -> D, op: D) -> Vec<D> {
    if pos == 0 {
        alloc::vec![op]
    } else {
        alloc::vec![retain(pos), op]
    }
}

enum Step<C> {
    Insert(usize, C),
    Delete(usize, usize),
}

fn compact<C: crate::seq::content::Content>(ops: Vec<SeqOp<C>>) -> Vec<Step<C>> {
    let mut out: Vec<Step<C>> = Vec::new();
    for op in ops {
        match op {
            SeqOp::Insert { pos, content } => {
                let pos = pos as usize;
                if let Some(Step::Insert(p, c)) = out.last_mut() {
                    if pos == *p + c.items() {
                        c.append(&content);
                        continue;
                    }
                }
                out.push(Step::Insert(pos, content));
            }
            SeqOp::Delete { pos, content } => {
                let pos = pos as usize;
                let n = content.items();
                if let Some(Step::Delete(p, m)) = out.last_mut() {
                    if pos == *p {
                        *m += n;
                        continue;
                    }
                    if pos + n == *p {
                        *p = pos;
                        *m += n;
                        continue;
                    }
                }
                out.push(Step::Delete(pos, n));
            }
        }
    }
    out
}
