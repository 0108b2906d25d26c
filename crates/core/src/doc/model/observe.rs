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
use super::{values, Kind, Node};
use crate::seq::content::TextBuf;
use crate::seq::{Seq, SeqOp};
use crate::types::counter::counter_value;
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

    /// Whether the last record is one of operations on the sequence at
    /// `path` (the next operation there joins it).
    pub(crate) fn continues<C: SeqKind>(&mut self, path: &[Seg]) -> bool {
        match self.records.last_mut() {
            Some((p, last)) => p.as_slice() == path && C::ops_mut(last).is_some(),
            None => false,
        }
    }

    /// Records `change` at `path`.
    pub(crate) fn push_at(&mut self, path: &[Seg], change: Observed) {
        self.records.push((path.to_vec(), change));
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

/// Records the whole content of `node` as changes at the current path, as
/// if it had just been created: what a listener needs after a container
/// it had not seen becomes visible.
pub(crate) fn describe(node: &Node, rec: &mut Recorder) {
    match node {
        Node::Map(m) => {
            for (key, slot) in m.iter() {
                let Some(visible) = slot.visible() else {
                    continue;
                };
                rec.path.push(Seg::Key(key.clone()));
                rec.push(Observed::Key {
                    before: None,
                    after: Some(visible.kind()),
                });
                describe(visible, rec);
                rec.path.pop();
            }
        }
        Node::AwSet(s) => {
            for (value, _) in s.iter() {
                rec.push(Observed::Element {
                    value: value.clone(),
                    present: true,
                });
            }
        }
        Node::RwSet(s) => {
            for (value, _) in s.iter().filter(|(_, e)| e.is_present()) {
                rec.push(Observed::Element {
                    value: value.clone(),
                    present: true,
                });
            }
        }
        Node::Counter(c) => {
            let new = counter_value(c);
            if new != 0 {
                rec.push(Observed::Counter { old: 0, new });
            }
        }
        Node::Mv(r) => register(rec, values::mv_owned(r)),
        Node::Lww(r) => register(rec, values::lww_owned(r)),
        Node::Text(t) => describe_seq(&t.seq, rec),
        Node::List(l) => {
            describe_seq(&l.seq, rec);
            for (item, slot) in l.children.iter() {
                rec.path.push(Seg::Item(*item));
                for node in &slot.nodes {
                    describe(node, rec);
                }
                rec.path.pop();
            }
        }
    }
}

fn register(rec: &mut Recorder, new: Vec<Value>) {
    if !new.is_empty() {
        rec.push(Observed::Register {
            old: Vec::new(),
            new,
        });
    }
}

fn describe_seq<C: SeqKind>(seq: &Seq<C>, rec: &mut Recorder) {
    let mut content = C::default();
    for piece in seq.leaf_contents() {
        content.append(piece);
    }
    if content.items() > 0 {
        rec.push(C::observed(alloc::vec![SeqOp::Insert {
            pos: 0,
            pos16: 0,
            content,
        }]));
    }
}
