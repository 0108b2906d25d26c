//! Change events: what a local transaction or a remote delta changed.
//!
//! Changes are found by observing the points a delta touches before and
//! after it is joined, so the cost is proportional to the delta (a removal
//! or replacement of a whole container observes that container).

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use super::node::{Kind, ListStore, MapStore, Node, Slot};
use super::path::{publish, PathSeg, Seg};
use super::read::{lww_winner, mv_values};
use super::seq_read::{list_deltas, text_deltas, ListDelta, TextDelta};
use crate::types::counter::counter_value;
use crate::value::Value;

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

/// A change at an internal path (list items by id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawChange {
    pub(crate) path: Vec<Seg>,
    pub(crate) kind: ChangeKind,
}

/// The public form of `changes` in the state `root` they led to, sorted
/// by path (stable: a container's own steps, in order, before the changes
/// inside its items, whose indices are those after every step). Changes
/// inside list items deleted since, or inserted by the same event (the
/// list's insert step announces those; read the new container), are left
/// out; `known` is the version before the event.
pub(crate) fn publish_all(
    root: &MapStore,
    changes: Vec<RawChange>,
    known: &crate::vv::VersionVector,
) -> Vec<Change> {
    let mut out: Vec<Change> = changes
        .into_iter()
        .filter(|c| {
            c.path.iter().all(|s| match s {
                Seg::Item(d) => d.counter <= known.get(d.replica),
                Seg::Key(_) => true,
            })
        })
        .filter_map(|c| {
            Some(Change {
                path: publish(root, &c.path)?,
                kind: c.kind,
            })
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
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
    Text(Vec<TextDelta>),
    /// A list changed: apply the steps in order.
    List(Vec<ListDelta>),
}

/// Everything one transaction or one applied delta changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocEvent {
    /// Local or remote.
    pub origin: Origin,
    /// The changes, sorted by path.
    pub changes: Vec<Change>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Point {
    Key(Vec<Seg>),
    Leaf(Vec<Seg>),
    Elem(Vec<Seg>, Value),
}

#[derive(Clone, Debug, PartialEq)]
enum Obs {
    Key(Option<Kind>),
    Counter(i64),
    Register(Vec<Value>),
    Elem(bool),
}

/// Observations of the points a delta touches.
pub(crate) struct Observation(BTreeMap<Point, Obs>);

/// Observes `state` at the points `delta` touches (every point when `full`).
pub(crate) fn observe(state: &MapStore, delta: &MapStore, full: bool) -> Observation {
    let mut out = BTreeMap::new();
    let mut path = Vec::new();
    observe_map(state, Some(delta), full, &mut path, &mut out);
    Observation(out)
}

fn observe_map(
    state: &MapStore,
    delta: Option<&MapStore>,
    full: bool,
    path: &mut Vec<Seg>,
    out: &mut BTreeMap<Point, Obs>,
) {
    let full = full || delta.is_none_or(|d| d.is_scan());
    let mut keys: Vec<&String> = delta
        .map(|d| d.iter().map(|(k, _)| k).collect())
        .unwrap_or_default();
    if full {
        keys.extend(state.iter().map(|(k, _)| k));
        keys.sort();
        keys.dedup();
    }
    for key in keys {
        path.push(Seg::Key(key.clone()));
        let slot = state.get(key);
        let dslot = delta.and_then(|d| d.get(key));
        out.insert(
            Point::Key(path.clone()),
            Obs::Key(slot.and_then(Slot::visible).map(Node::kind)),
        );
        observe_slot(slot, dslot, full, path, out);
        path.pop();
    }
}

/// Observes the containers held by list items that `delta` touches (every
/// one when `full`). Items themselves are reported by the list's steps.
fn observe_items(
    state: &ListStore,
    delta: Option<&ListStore>,
    full: bool,
    path: &mut Vec<Seg>,
    out: &mut BTreeMap<Point, Obs>,
) {
    let full = full || delta.is_none_or(|d| d.children.is_scan());
    let mut items: Vec<crate::id::Dot> = delta
        .map(|d| d.children.iter().map(|(k, _)| *k).collect())
        .unwrap_or_default();
    if full {
        items.extend(state.children.iter().map(|(k, _)| *k));
        items.sort();
        items.dedup();
    }
    for d in items {
        path.push(Seg::Item(d));
        // A visible item whose container is still empty has no slot.
        let empty = match state.children.get(&d) {
            Some(_) => None,
            None => super::path::item_kind(state, d).map(|k| Slot::with_node(Node::empty(k))),
        };
        let slot = state.children.get(&d).or(empty.as_ref());
        let dslot = delta.and_then(|x| x.children.get(&d));
        observe_slot(slot, dslot, full, path, out);
        path.pop();
    }
}

fn observe_slot(
    slot: Option<&Slot>,
    dslot: Option<&Slot>,
    full: bool,
    path: &mut Vec<Seg>,
    out: &mut BTreeMap<Point, Obs>,
) {
    let Some(node) = slot.and_then(Slot::visible) else {
        return;
    };
    let full = full || dslot.is_none_or(|d| d.scan);
    let dnode = dslot.and_then(|d| d.get(node.kind()));
    if dnode.is_none() && !full {
        return;
    }
    match node {
        Node::Map(m) => {
            let dm = match dnode {
                Some(Node::Map(dm)) => Some(dm),
                _ => None,
            };
            observe_map(m, dm, full, path, out);
        }
        Node::Counter(c) => {
            out.insert(Point::Leaf(path.clone()), Obs::Counter(counter_value(c)));
        }
        Node::Mv(m) => {
            let v = mv_values(m).into_iter().cloned().collect();
            out.insert(Point::Leaf(path.clone()), Obs::Register(v));
        }
        Node::Lww(l) => {
            let v = lww_winner(l).into_iter().cloned().collect();
            out.insert(Point::Leaf(path.clone()), Obs::Register(v));
        }
        Node::AwSet(s) => {
            let elems: Vec<&Value> = match dnode {
                Some(Node::AwSet(d)) if !full && !d.is_scan() => d.iter().map(|(k, _)| k).collect(),
                _ => s.iter().map(|(k, _)| k).collect(),
            };
            for e in elems {
                let present = s.get(e).is_some();
                out.insert(Point::Elem(path.clone(), e.clone()), Obs::Elem(present));
            }
        }
        Node::List(l) => {
            // Steps are recorded during the join; containers in items here.
            let dl = match dnode {
                Some(Node::List(dl)) => Some(&**dl),
                _ => None,
            };
            observe_items(l, dl, full, path, out);
        }
        Node::Text(_) => {} // recorded during the join
        Node::RwSet(s) => {
            let elems: Vec<&Value> = match dnode {
                Some(Node::RwSet(d)) if !full && !d.is_scan() => d.iter().map(|(k, _)| k).collect(),
                _ => s.iter().map(|(k, _)| k).collect(),
            };
            for e in elems {
                let present = s.get(e).is_some_and(|x| x.is_present());
                out.insert(Point::Elem(path.clone(), e.clone()), Obs::Elem(present));
            }
        }
    }
}

/// The changes between two observations of the same delta.
pub(crate) fn diff(before: Observation, after: Observation) -> Vec<RawChange> {
    let mut changes = Vec::new();
    let mut b = before.0;
    let mut a = after.0;
    let mut points: Vec<Point> = b.keys().chain(a.keys()).cloned().collect();
    points.sort();
    points.dedup();
    for point in points {
        let ob = b.remove(&point);
        let oa = a.remove(&point);
        let (path, kind) = match (point, ob, oa) {
            (Point::Key(p), Some(Obs::Key(x)), Some(Obs::Key(y))) if x != y => match (x, y) {
                (None, Some(k)) => (p, ChangeKind::Inserted(k)),
                (Some(k), None) => (p, ChangeKind::Removed(k)),
                (Some(from), Some(to)) => (p, ChangeKind::Replaced { from, to }),
                (None, None) => continue,
            },
            (Point::Leaf(p), Some(Obs::Counter(old)), Some(Obs::Counter(new))) if old != new => {
                (p, ChangeKind::Counter { old, new })
            }
            (Point::Leaf(p), Some(Obs::Register(old)), Some(Obs::Register(new))) if old != new => {
                (p, ChangeKind::Register { old, new })
            }
            (Point::Elem(p, v), x, y) => {
                let was = matches!(x, Some(Obs::Elem(true)));
                let is = matches!(y, Some(Obs::Elem(true)));
                match (was, is) {
                    (false, true) => (p, ChangeKind::SetInserted(v)),
                    (true, false) => (p, ChangeKind::SetRemoved(v)),
                    _ => continue,
                }
            }
            _ => continue,
        };
        changes.push(RawChange { path, kind });
    }
    changes
}

/// Asks every sequence in `delta` to record what it changes when joined.
pub(crate) fn mark_recording(delta: &mut MapStore) {
    for (_, slot) in delta.iter_mut() {
        mark_slot(slot);
    }
}

fn mark_slot(slot: &mut Slot) {
    for node in slot.nodes.iter_mut() {
        match node {
            Node::Map(m) => mark_recording(m),
            Node::List(l) => {
                l.record = true;
                for (_, s) in l.children.iter_mut() {
                    mark_slot(s);
                }
            }
            Node::Text(t) => t.record = true,
            _ => {}
        }
    }
}

/// Takes the changes sequences recorded while `delta` was joined into
/// `state` (every sequence when `full`).
pub(crate) fn drain_seq_changes(
    state: &mut MapStore,
    delta: &MapStore,
    full: bool,
    path: &mut Vec<Seg>,
    out: &mut Vec<RawChange>,
) {
    let full = full || delta.is_scan();
    for (key, slot) in state.iter_mut() {
        let dslot = delta.get(key);
        if dslot.is_none() && !full {
            continue;
        }
        path.push(Seg::Key(key.clone()));
        drain_slot(slot, dslot, full, path, out);
        path.pop();
    }
}

fn drain_slot(
    slot: &mut Slot,
    dslot: Option<&Slot>,
    full: bool,
    path: &mut Vec<Seg>,
    out: &mut Vec<RawChange>,
) {
    let full = full || dslot.is_some_and(|d| d.scan);
    for node in slot.nodes.iter_mut() {
        let dnode = dslot.and_then(|d| d.get(node.kind()));
        match node {
            Node::Map(m) => {
                let empty = MapStore::default();
                let dm = match dnode {
                    Some(Node::Map(dm)) => dm,
                    _ => &empty,
                };
                drain_seq_changes(m, dm, full, path, out);
            }
            Node::Text(t) => {
                for steps in text_deltas(t.ops.take().unwrap_or_default()) {
                    out.push(RawChange {
                        path: path.clone(),
                        kind: ChangeKind::Text(steps),
                    });
                }
            }
            Node::List(l) => {
                for steps in list_deltas(l.ops.take().unwrap_or_default()) {
                    out.push(RawChange {
                        path: path.clone(),
                        kind: ChangeKind::List(steps),
                    });
                }
                let dl = match dnode {
                    Some(Node::List(dl)) => Some(dl),
                    _ => None,
                };
                let full = full || dl.is_some_and(|d| d.children.is_scan());
                for (d, child) in l.children.iter_mut() {
                    let dchild = dl.and_then(|x| x.children.get(d));
                    if dchild.is_none() && !full {
                        continue;
                    }
                    path.push(Seg::Item(*d));
                    drain_slot(child, dchild, full, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
}
