//! Paths from the root to a container: map keys, and list items named by
//! their ids (an id survives concurrent inserts; an index would not).

use alloc::string::String;
use alloc::vec::Vec;

use super::node::{Kind, ListStore, MapStore, Node, Slot};
use crate::id::Dot;

/// One step of a path inside the document.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Seg {
    /// A key of a map.
    Key(String),
    /// An item of a list that holds a container.
    Item(Dot),
}

/// One step of a path in a [`Change`](crate::Change): a map key, or the
/// index of a list item (at the time the event is delivered).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathSeg {
    /// A key of a map.
    Key(String),
    /// The index of an item of a list.
    Index(usize),
}

impl From<&str> for PathSeg {
    fn from(key: &str) -> Self {
        PathSeg::Key(String::from(key))
    }
}

impl From<usize> for PathSeg {
    fn from(index: usize) -> Self {
        PathSeg::Index(index)
    }
}

/// A path of map keys.
pub(crate) fn keys<S: AsRef<str>>(keys: &[S]) -> Vec<Seg> {
    keys.iter()
        .map(|k| Seg::Key(String::from(k.as_ref())))
        .collect()
}

/// The kind of container that holds the step after `seg`.
pub(crate) fn parent_kind(next: &Seg) -> Kind {
    match next {
        Seg::Key(_) => Kind::Map,
        Seg::Item(_) => Kind::List,
    }
}

/// The slot that `seg` names inside `parent` (a map for keys, a list for
/// items). List items that hold an empty container have no slot.
pub(crate) fn child<'a>(parent: &'a Node, seg: &Seg) -> Option<&'a Slot> {
    match (parent, seg) {
        (Node::Map(m), Seg::Key(k)) => m.get(k),
        (Node::List(l), Seg::Item(d)) => l.children.get(d),
        _ => None,
    }
}

/// The slot at `path` in a state.
pub(crate) fn slot_at<'a>(root: &'a MapStore, path: &[Seg]) -> Option<&'a Slot> {
    let (first, rest) = path.split_first()?;
    let Seg::Key(k) = first else { return None };
    let mut slot = root.get(k)?;
    for seg in rest {
        slot = child(slot.get(parent_kind(seg))?, seg)?;
    }
    Some(slot)
}

/// The container kind of the visible list item `d`, if it holds one.
pub(crate) fn item_kind(list: &ListStore, d: Dot) -> Option<Kind> {
    let (c, i) = list.seq.item_of(d)?;
    super::seq_txn::SeqKind::container(c, i)
}

/// The public form of `path` in a state: list items as their current
/// indices. `None` when an item on the path is no longer visible.
pub(crate) fn publish(root: &MapStore, path: &[Seg]) -> Option<Vec<PathSeg>> {
    let mut out = Vec::with_capacity(path.len());
    let mut parent: Option<&Node> = None;
    for (i, seg) in path.iter().enumerate() {
        let slot = match (seg, parent) {
            (Seg::Key(k), None) => {
                out.push(PathSeg::Key(k.clone()));
                root.get(k)
            }
            (Seg::Key(k), Some(p)) => {
                out.push(PathSeg::Key(k.clone()));
                child(p, seg)
            }
            (Seg::Item(d), Some(Node::List(l))) => {
                let (index, visible) = l.seq.index_of(*d)?;
                if !visible {
                    return None;
                }
                out.push(PathSeg::Index(index));
                if path.len() > i + 1 && l.children.get(d).is_none() {
                    // The item's container is empty now (its last key was
                    // removed, say): what follows can only be map keys.
                    for seg in &path[i + 1..] {
                        let Seg::Key(k) = seg else { return None };
                        out.push(PathSeg::Key(k.clone()));
                    }
                    return Some(out);
                }
                l.children.get(d)
            }
            (Seg::Item(_), _) => return None,
        };
        if let Some(next) = path.get(i + 1) {
            parent = Some(slot?.get(parent_kind(next))?);
        }
    }
    Some(out)
}
