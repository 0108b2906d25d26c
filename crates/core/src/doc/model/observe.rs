//! What a join or an edit changed, recorded as it happens: the raw
//! material of change events (the `events` module publishes it).
//!
//! The join reports each change at the point it makes it (a key whose
//! visible kind changes, a counter or register whose value changes, a set
//! element that comes or goes, the operations a sequence performs), so
//! the cost is proportional to what the delta touches, and nothing is
//! recorded when nobody listens (the recorder is `None`).

use alloc::vec::Vec;

use super::item::{ListContent, SeqKind};
use super::path::Seg;
use super::Kind;
use crate::seq::content::TextBuf;
use crate::seq::SeqOp;
use crate::value::Value;

/// One recorded change, at an internal path.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Observed {
    /// The visible kind under a map key changed.
    Key {
        before: Option<Kind>,
        after: Option<Kind>,
    },
    Counter {
        old: i64,
        new: i64,
    },
    /// A register's visible values changed.
    Register {
        old: Vec<Value>,
        new: Vec<Value>,
    },
    /// A set element came (`present`) or went.
    Element {
        value: Value,
        present: bool,
    },
    Text(Vec<SeqOp<TextBuf>>),
    List(Vec<SeqOp<ListContent>>),
}

/// Collects [`Observed`] changes with their paths. The join keeps
/// [`Recorder::path`] at the container it is in.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    pub(crate) path: Vec<Seg>,
    pub(crate) records: Vec<(Vec<Seg>, Observed)>,
}

impl Recorder {
    /// Records `change` at the current path.
    pub(crate) fn push(&mut self, change: Observed) {
        self.records.push((self.path.clone(), change));
    }

    /// Records a local sequence operation at `path`, continuing the last
    /// record when it is one for the same sequence.
    pub(crate) fn seq_op<C: SeqKind>(&mut self, path: &[Seg], op: SeqOp<C>) {
        if let Some((p, last)) = self.records.last_mut() {
            if let (true, Some(ops)) = (p.as_slice() == path, C::ops_mut(last)) {
                ops.push(op);
                return;
            }
        }
        self.records
            .push((path.to_vec(), C::observed(alloc::vec![op])));
    }

    /// Records `change` at the current path, at position `at` (a mark).
    pub(crate) fn insert(&mut self, at: usize, change: Observed) {
        self.records.insert(at, (self.path.clone(), change));
    }

    /// How many records there are (a mark to drop records after).
    pub(crate) fn mark(&self) -> usize {
        self.records.len()
    }

    /// Drops the records made in `from .. to`.
    pub(crate) fn drop_range(&mut self, from: usize, to: usize) {
        self.records.drain(from..to);
    }
}
