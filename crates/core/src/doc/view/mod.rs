//! Read-only views of a document and its plain-value form.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use crate::doc::model::values::{lww_winner, mv_values};
use crate::doc::model::{AwSetStore, Kind, MapStore, Node, RwSetStore, Slot};
use crate::types::counter::counter_value;
pub use seq::{Cursor, ListRef, Side, TextRef};

mod plain;
pub(crate) mod seq;
use crate::value::Value;

/// A read-only view of a map in a document (the root is one).
#[derive(Clone, Copy, Debug)]
pub struct MapRef<'a> {
    pub(crate) store: &'a MapStore,
}

/// A read-only view of one container.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ValueRef<'a> {
    /// A nested map.
    Map(MapRef<'a>),
    /// An add-wins set.
    AwSet(SetRef<'a>),
    /// A remove-wins set.
    RwSet(SetRef<'a>),
    /// A counter's value.
    Counter(i64),
    /// The values of a multi-value register (several after concurrent writes).
    MvRegister(Vec<&'a Value>),
    /// The winning value of a last-writer-wins register.
    LwwRegister(&'a Value),
    /// A list.
    List(ListRef<'a>),
    /// A text.
    Text(TextRef<'a>),
}

/// A read-only view of a set.
#[derive(Clone, Copy, Debug)]
pub enum SetRef<'a> {
    /// An add-wins set.
    AddWins(&'a AwSetStore),
    /// A remove-wins set.
    RemoveWins(&'a RwSetStore),
}

impl<'a> SetRef<'a> {
    /// Whether `value` is in the set.
    pub fn contains(&self, value: &Value) -> bool {
        match self {
            SetRef::AddWins(s) => s.get(value).is_some(),
            SetRef::RemoveWins(s) => s.get(value).is_some_and(|e| e.is_present()),
        }
    }

    /// The elements, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &'a Value> + 'a {
        let (aw, rw) = match *self {
            SetRef::AddWins(s) => (Some(s), None),
            SetRef::RemoveWins(s) => (None, Some(s)),
        };
        let a = aw.into_iter().flat_map(|s| s.iter().map(|(k, _)| k));
        let r = rw
            .into_iter()
            .flat_map(|s| s.iter().filter(|(_, e)| e.is_present()).map(|(k, _)| k));
        a.chain(r)
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

pub(crate) fn node_ref(node: &Node) -> ValueRef<'_> {
    match node {
        Node::Map(m) => ValueRef::Map(MapRef { store: m }),
        Node::AwSet(s) => ValueRef::AwSet(SetRef::AddWins(s)),
        Node::RwSet(s) => ValueRef::RwSet(SetRef::RemoveWins(s)),
        Node::Counter(c) => ValueRef::Counter(counter_value(c)),
        Node::Mv(m) => ValueRef::MvRegister(mv_values(m)),
        Node::Lww(l) => ValueRef::LwwRegister(lww_winner(l).expect("a live register has a value")),
        Node::List(l) => ValueRef::List(ListRef { node: Some(l) }),
        Node::Text(t) => ValueRef::Text(TextRef { seq: Some(&t.seq) }),
    }
}

static EMPTY_MAP: MapStore = MapStore::new();
static EMPTY_AW_SET: AwSetStore = AwSetStore::new();
static EMPTY_RW_SET: RwSetStore = RwSetStore::new();
static NULL: Value = Value::Null;

/// The view of an empty container of `kind` (a list item's container that
/// holds nothing yet).
pub(crate) fn empty_ref(kind: Kind) -> ValueRef<'static> {
    match kind {
        Kind::Map => ValueRef::Map(MapRef { store: &EMPTY_MAP }),
        Kind::AwSet => ValueRef::AwSet(SetRef::AddWins(&EMPTY_AW_SET)),
        Kind::RwSet => ValueRef::RwSet(SetRef::RemoveWins(&EMPTY_RW_SET)),
        Kind::Counter => ValueRef::Counter(0),
        Kind::MvRegister => ValueRef::MvRegister(Vec::new()),
        Kind::LwwRegister => ValueRef::LwwRegister(&NULL),
        Kind::List => ValueRef::List(ListRef { node: None }),
        Kind::Text => ValueRef::Text(TextRef { seq: None }),
    }
}

impl<'a> MapRef<'a> {
    fn slot(&self, key: &str) -> Option<&'a Slot> {
        self.store.get(key)
    }

    /// The visible container under `key`. When concurrent writers chose
    /// different kinds, the first in [`Kind`] order is visible.
    pub fn get(&self, key: &str) -> Option<ValueRef<'a>> {
        self.slot(key)?.visible().map(node_ref)
    }

    /// The container of `kind` under `key`, visible or not: this is how the
    /// edits of the losing side of a kind conflict stay reachable.
    pub fn get_kind(&self, key: &str, kind: Kind) -> Option<ValueRef<'a>> {
        self.slot(key)?.get_live(kind).map(node_ref)
    }

    /// The kinds present under `key` (more than one after a kind conflict).
    pub fn kinds(&self, key: &str) -> Vec<Kind> {
        self.slot(key)
            .map(|s| {
                s.nodes
                    .iter()
                    .filter(|n| n.is_live())
                    .map(Node::kind)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The keys that hold something, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.store
            .iter()
            .filter(|(_, slot)| slot.visible().is_some())
            .map(|(k, _)| k.as_str())
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys().count()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.keys().next().is_none()
    }

    /// The nested map under `key`.
    pub fn map(&self, key: &str) -> Option<MapRef<'a>> {
        match self.slot(key)?.get_live(Kind::Map)? {
            Node::Map(m) => Some(MapRef { store: m }),
            _ => None,
        }
    }

    /// The counter under `key`.
    pub fn counter(&self, key: &str) -> Option<i64> {
        match self.slot(key)?.get_live(Kind::Counter)? {
            Node::Counter(c) => Some(counter_value(c)),
            _ => None,
        }
    }

    /// The last-writer-wins register under `key`.
    pub fn lww(&self, key: &str) -> Option<&'a Value> {
        match self.slot(key)?.get_live(Kind::LwwRegister)? {
            Node::Lww(l) => lww_winner(l),
            _ => None,
        }
    }

    /// The values of the multi-value register under `key` (empty if none).
    pub fn mv(&self, key: &str) -> Vec<&'a Value> {
        match self.slot(key).and_then(|s| s.get_live(Kind::MvRegister)) {
            Some(Node::Mv(m)) => mv_values(m),
            _ => Vec::new(),
        }
    }

    /// The add-wins set under `key`.
    pub fn aw_set(&self, key: &str) -> Option<SetRef<'a>> {
        match self.slot(key)?.get_live(Kind::AwSet)? {
            Node::AwSet(s) => Some(SetRef::AddWins(s)),
            _ => None,
        }
    }

    /// The remove-wins set under `key`.
    pub fn rw_set(&self, key: &str) -> Option<SetRef<'a>> {
        match self.slot(key)?.get_live(Kind::RwSet)? {
            Node::RwSet(s) => Some(SetRef::RemoveWins(s)),
            _ => None,
        }
    }

    /// The text under `key`.
    pub fn text(&self, key: &str) -> Option<TextRef<'a>> {
        match self.slot(key)?.get_live(Kind::Text)? {
            Node::Text(t) => Some(TextRef { seq: Some(&t.seq) }),
            _ => None,
        }
    }

    /// The list under `key`.
    pub fn list(&self, key: &str) -> Option<ListRef<'a>> {
        match self.slot(key)?.get_live(Kind::List)? {
            Node::List(l) => Some(ListRef { node: Some(l) }),
            _ => None,
        }
    }

    /// The plain value of this map: every visible container, recursively.
    pub fn to_value(&self) -> BTreeMap<String, DocValue> {
        self.store
            .iter()
            .filter_map(|(k, slot)| Some((k.clone(), DocValue::of(slot.visible()?))))
            .collect()
    }
}

/// The plain, owned value of a container: what an application renders,
/// and what tests compare with reference models.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DocValue {
    /// A map of visible containers.
    Map(BTreeMap<String, DocValue>),
    /// A set's elements.
    Set(BTreeSet<Value>),
    /// A counter.
    Counter(i64),
    /// A multi-value register's values, in dot order.
    Values(Vec<Value>),
    /// A last-writer-wins register's value.
    Register(Value),
    /// A list's items.
    List(Vec<DocValue>),
    /// A plain value in a list.
    Scalar(Value),
    /// A text.
    Text(String),
}

impl DocValue {
    pub(crate) fn of(node: &Node) -> DocValue {
        DocValue::of_ref(node_ref(node))
    }

    pub(crate) fn of_ref(view: ValueRef<'_>) -> DocValue {
        match view {
            ValueRef::Map(m) => DocValue::Map(m.to_value()),
            ValueRef::AwSet(s) | ValueRef::RwSet(s) => DocValue::Set(s.iter().cloned().collect()),
            ValueRef::Counter(c) => DocValue::Counter(c),
            ValueRef::MvRegister(v) => DocValue::Values(v.into_iter().cloned().collect()),
            ValueRef::LwwRegister(v) => DocValue::Register(v.clone()),
            ValueRef::List(l) => DocValue::List(l.to_value()),
            ValueRef::Text(t) => DocValue::Text(alloc::string::ToString::to_string(&t)),
        }
    }
}
