//! Sequence change steps: how a text or list change reaches subscribers,
//! as editor steps (`Retain`, `Insert`, `Delete`) applied from the start.

use alloc::string::String;
use alloc::vec::Vec;

use super::ChangeKind;
use crate::doc::model::item::{ListContent, ListItem, SeqKind};
use crate::seq::content::{Content, TextBuf};
use crate::seq::SeqOp;

/// One step of a text or list change. Steps apply in order from the start
/// of the sequence (as Quill and Yjs deltas do): skip `Retain` items, then
/// insert or delete. Counts are in items (`char`s for texts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SeqStep<T> {
    /// Keep this many items.
    Retain(usize),
    /// Insert these items here.
    Insert(T),
    /// Delete this many items here.
    Delete(usize),
}

/// A step of a text change: inserted text is a `String`.
pub type TextStep = SeqStep<String>;

/// A step of a list change: inserted items are a `Vec<ListItem>`.
pub type ListStep = SeqStep<Vec<ListItem>>;

/// Sequence content that events carry: how it turns into public steps.
pub(crate) trait StepContent: SeqKind {
    /// The public form of inserted content.
    type Out;
    fn publish(self) -> Self::Out;
    fn change(steps: Vec<SeqStep<Self::Out>>) -> ChangeKind;
}

impl StepContent for TextBuf {
    type Out = String;
    fn publish(self) -> String {
        self.0
    }
    fn change(steps: Vec<TextStep>) -> ChangeKind {
        ChangeKind::Text(steps)
    }
}

impl StepContent for ListContent {
    type Out = Vec<ListItem>;
    fn publish(self) -> Vec<ListItem> {
        self.0
    }
    fn change(steps: Vec<ListStep>) -> ChangeKind {
        ChangeKind::List(steps)
    }
}

/// Turns recorded operations into change kinds: consecutive operations
/// that form one edit (typing on, deleting backwards or forwards) merge,
/// and each edit becomes `[retain, insert | delete]`. Counts are items, or
/// UTF-16 code units when `utf16` (texts only).
pub(crate) fn changes_of<C: StepContent>(
    ops: Vec<SeqOp<C>>,
    utf16: bool,
) -> impl Iterator<Item = ChangeKind> {
    compact(ops, utf16).into_iter().map(|edit| {
        let (pos, step) = match edit {
            Edit::Insert(p, c) => (p, SeqStep::Insert(c.publish())),
            Edit::Delete(p, n) => (p, SeqStep::Delete(n)),
        };
        let steps = if pos == 0 {
            alloc::vec![step]
        } else {
            alloc::vec![SeqStep::Retain(pos), step]
        };
        C::change(steps)
    })
}

enum Edit<C> {
    Insert(usize, C),
    Delete(usize, usize),
}

fn compact<C: Content>(ops: Vec<SeqOp<C>>, utf16: bool) -> Vec<Edit<C>> {
    let mut out: Vec<Edit<C>> = Vec::new();
    let len_of = |c: &C| match utf16 {
        true => c.weight().u16 as usize,
        false => c.items(),
    };
    for op in ops {
        match op {
            SeqOp::Insert {
                pos,
                pos16,
                content,
            } => {
                let pos = if utf16 { pos16 } else { pos } as usize;
                if let Some(Edit::Insert(p, c)) = out.last_mut() {
                    if pos == *p + len_of(c) {
                        c.append(&content);
                        continue;
                    }
                }
                out.push(Edit::Insert(pos, content));
            }
            SeqOp::Delete {
                pos,
                len,
                pos16,
                len16,
            } => {
                let (pos, n) = match utf16 {
                    true => (pos16 as usize, len16 as usize),
                    false => (pos as usize, len as usize),
                };
                if let Some(Edit::Delete(p, m)) = out.last_mut() {
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
                out.push(Edit::Delete(pos, n));
            }
        }
    }
    out
}
