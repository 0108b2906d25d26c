//! Paths from the root to a container: map keys, and list items named by
//! their ids (an id survives concurrent inserts; an index would not).

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use super::item::SeqKind;
use super::seq_node::SeqNode;
use super::{Kind, ListStore, MapStore, Node, Slot};
use crate::id::Dot;
use crate::store::DotMap;

/// One step of a path inside the document.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Seg {
    /// A key of a map.
    Key(String),
    /// An item of a list that holds a container.
    Item(Dot),
}

/// The stable identity of a container in a document: the map keys and
/// list item ids that lead to it from the root, and its kind.
///
/// A container under a map key is the same container on every replica
/// (concurrent creations merge); a container held by a list item is named
/// by the item's id, which survives concurrent inserts and deletes around
/// it. Ids are cheap to clone (the path is shared) and are what the
/// owned handles ([`TextHandle`](crate::TextHandle) and its siblings)
/// hold.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContainerId {
    path: Arc<[Seg]>,
    kind: Kind,
}

impl ContainerId {
    /// The root map.
    pub fn root_map() -> ContainerId {
        ContainerId {
            path: Arc::from(Vec::new()),
            kind: Kind::Map,
        }
    }

    /// The container of `kind` named `name` at the root.
    pub fn root(name: &str, kind: Kind) -> ContainerId {
        ContainerId {
            path: Arc::from(alloc::vec![Seg::Key(String::from(name))]),
            kind,
        }
    }

    pub(crate) fn from_path(path: Vec<Seg>, kind: Kind) -> ContainerId {
        ContainerId {
            path: Arc::from(path),
            kind,
        }
    }

    /// The container's kind.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Whether this is the root map.
    pub fn is_root_map(&self) -> bool {
        self.path.is_empty()
    }

    /// How deep the container is (root containers are at depth 1).
    pub fn depth(&self) -> usize {
        self.path.len()
    }

    /// The container of `kind` under `key` of this map; `None` if this is
    /// not a map.
    pub fn key(&self, key: &str, kind: Kind) -> Option<ContainerId> {
        (self.kind == Kind::Map).then(|| self.child(Seg::Key(String::from(key)), kind))
    }

    /// The container of `kind` held by list item `item` of this list;
    /// `None` if this is not a list.
    pub fn item(&self, item: Dot, kind: Kind) -> Option<ContainerId> {
        (self.kind == Kind::List).then(|| self.child(Seg::Item(item), kind))
    }

    pub(crate) fn child(&self, seg: Seg, kind: Kind) -> ContainerId {
        let mut path = Vec::with_capacity(self.path.len() + 1);
        path.extend_from_slice(&self.path);
        path.push(seg);
        ContainerId::from_path(path, kind)
    }

    /// The container holding this one (`None` for the root map).
    pub fn parent(&self) -> Option<ContainerId> {
        let (last, rest) = self.path.split_last()?;
        Some(ContainerId::from_path(rest.to_vec(), parent_kind(last)))
    }

    pub(crate) fn path(&self) -> &[Seg] {
        &self.path
    }
}

impl fmt::Debug for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for ContainerId {
    /// `kind:path`, the path's steps separated by `/`, list items as
    /// `#replica@counter` (replica in hex): `text:todos/#1f@3/note`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}:", self.kind)?;
        for (i, seg) in self.path.iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            match seg {
                Seg::Key(k) => f.write_str(k)?,
                Seg::Item(d) => write!(f, "#{:x}@{}", d.replica.get(), d.counter)?,
            }
        }
        Ok(())
    }
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
    SeqKind::container(c, i)
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

/// Builds the delta tree for a leaf delta at `path` (which starts with a
/// key of the root map).
pub(crate) fn wrap(path: &[Seg], leaf: Node, replace: &[bool]) -> MapStore {
    let mut node = leaf;
    for (i, seg) in path.iter().enumerate().rev() {
        let mut slot = Slot::with_node(node);
        slot.scan = replace[i];
        node = match seg {
            Seg::Key(k) => {
                let mut map = DotMap::default();
                map.insert(k.clone(), slot);
                Node::Map(map)
            }
            Seg::Item(d) => {
                let mut list = SeqNode::default();
                list.children.insert(*d, slot);
                Node::List(Box::new(list))
            }
        };
    }
    match node {
        Node::Map(m) => m,
        _ => unreachable!("paths start at the root map"),
    }
}
