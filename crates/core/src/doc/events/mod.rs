//! Change events: what a local transaction or a remote delta changed.
//!
//! The join and the transaction's edits record changes as they make them
//! ([`Recorder`]); this module turns the records into public
//! [`Change`]s: paths with list items as their current indices, and
//! sequence operations as editor steps.

mod steps;

use alloc::vec::Vec;

use crate::doc::model::observe::{Observed, Recorder};
use crate::doc::model::path::{publish, PathSeg};
use crate::doc::model::{Kind, MapStore};
use crate::value::Value;
pub(crate) use steps::{changes_of, StepContent};
pub use steps::{ListStep, SeqStep, TextStep};

/// Where a change came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A transaction on this replica.
    Local,
    /// A delta or snapshot from another replica.
    Remote,
}

/// One change at one path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The steps from the root to the changed container or key: map keys,
    /// and the indices of list items (as they are when the event is
    /// delivered).
    pub path: Vec<PathSeg>,
    /// What changed there.
    pub kind: ChangeKind,
}

/// What changed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChangeKind {
    /// A key became visible, holding a container of this kind.
    Inserted(Kind),
    /// A key was removed (it held this kind).
    Removed(Kind),
    /// The visible kind under a key changed (a kind conflict or a replacement).
    Replaced {
        /// The kind visible before.
        from: Kind,
        /// The kind visible now.
        to: Kind,
    },
    /// A counter's value changed.
    Counter {
        /// The value before.
        old: i64,
        /// The value now.
        new: i64,
    },
    /// A register's value(s) changed (one value for last-writer-wins, the
    /// concurrent values for multi-value registers).
    Register {
        /// The values before.
        old: Vec<Value>,
        /// The values now.
        new: Vec<Value>,
    },
    /// An element joined a set.
    SetInserted(Value),
    /// An element left a set.
    SetRemoved(Value),
    /// A text changed: apply the steps in order.
    Text(Vec<TextStep>),
    /// A list changed: apply the steps in order.
    List(Vec<ListStep>),
}

/// Everything one transaction or one applied delta changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocEvent {
    /// Local or remote.
    pub origin: Origin,
    /// The changes, in the order they happened: applying them in order
    /// to a copy of the previous value gives the new value.
    pub changes: Vec<Change>,
}

/// Builds the changes of one event from what the join and the edits
/// record: records are published (their paths turned into public ones,
/// list items as their indices) at the end of each step, in the state
/// that step led to, so a listener applying the changes in order sees
/// every index as it was at that point.
#[derive(Debug, Default)]
pub(crate) struct EventBuilder {
    pub(crate) rec: Recorder,
    changes: Vec<Change>,
    /// Text steps in UTF-16 code units ([`crate::Doc::set_utf16_events`]).
    utf16: bool,
}

impl EventBuilder {
    pub(crate) fn new(utf16: bool) -> Self {
        EventBuilder {
            utf16,
            ..EventBuilder::default()
        }
    }

    /// Publishes the records made since the last call, in the state
    /// `root` they led to.
    pub(crate) fn close(&mut self, root: &MapStore) {
        for (path, observed) in self.rec.records.drain(..) {
            // A change inside a list item deleted by the same step is
            // covered by the list's steps.
            let Some(public) = publish(root, &path) else {
                continue;
            };
            let mut push = |kind| {
                self.changes.push(Change {
                    path: public.clone(),
                    kind,
                })
            };
            match observed {
                Observed::Key { before, after } => match (before, after) {
                    (None, Some(k)) => push(ChangeKind::Inserted(k)),
                    (Some(k), None) => push(ChangeKind::Removed(k)),
                    (Some(from), Some(to)) => push(ChangeKind::Replaced { from, to }),
                    (None, None) => {}
                },
                Observed::Counter { old, new } => push(ChangeKind::Counter { old, new }),
                Observed::Register { old, new } => push(ChangeKind::Register { old, new }),
                Observed::Element {
                    value,
                    present: true,
                } => push(ChangeKind::SetInserted(value)),
                Observed::Element {
                    value,
                    present: false,
                } => push(ChangeKind::SetRemoved(value)),
                Observed::Text(ops) => changes_of(ops, self.utf16).for_each(push),
                Observed::List(ops) => changes_of(ops, false).for_each(push),
            }
        }
    }

    /// The changes of the event, once the last step is published.
    pub(crate) fn finish(mut self, root: &MapStore) -> Vec<Change> {
        self.close(root);
        self.changes
    }
}
