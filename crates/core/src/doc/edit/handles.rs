//! Owned handles: a container's id, usable with any transaction of any
//! document holding it (`text.insert(&mut tx, 0, "hi")`, as in yrs).
//!
//! A handle does not borrow the document, so it can be stored in an
//! application's state, cloned cheaply, and passed across an FFI or
//! WebAssembly boundary. Writes take a [`Transaction`]; reads take the
//! [`Doc`] (inside a transaction, [`Transaction::doc`]). A handle to a
//! container that does not exist yet reads as empty; the first write
//! creates it.

use alloc::string::String;
use alloc::vec::Vec;

use super::{read, Transaction};
use crate::doc::model::item::{is_item_kind, ListContent, ListItem};
use crate::doc::model::path::{ContainerId, Seg};
use crate::doc::model::values::{lww_winner, mv_values};
use crate::doc::model::{Kind, Node, Stamped};
use crate::doc::view::{ListRef, MapRef, SetRef, TextRef};
use crate::doc::Doc;
use crate::error::DocError;
use crate::seq::content::{ListBuf, TextBuf, Unit};
use crate::types::counter::{counter_add, counter_value};
use crate::types::register::{clear, mv_write};
use crate::types::set::{aw_insert, aw_remove, rw_insert, rw_remove};
use crate::value::Value;

macro_rules! handle {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name {
            id: ContainerId,
        }

        impl $name {
            /// The handle of the container named `name` at the root.
            pub fn root(name: &str) -> Self {
                $name {
                    id: ContainerId::root(name, $kind),
                }
            }

            /// The container's id.
            pub fn id(&self) -> &ContainerId {
                &self.id
            }

            pub(crate) fn at(id: ContainerId) -> Self {
                debug_assert_eq!(id.kind(), $kind);
                $name { id }
            }
        }

        impl From<$name> for ContainerId {
            fn from(h: $name) -> ContainerId {
                h.id
            }
        }

        impl TryFrom<ContainerId> for $name {
            type Error = DocError;

            /// The handle of `id`, if it names a container of this kind.
            fn try_from(id: ContainerId) -> Result<Self, DocError> {
                if id.kind() == $kind {
                    Ok($name { id })
                } else {
                    Err(DocError::NotAContainer($kind))
                }
            }
        }
    };
}

handle!(
    /// A map in a document.
    MapHandle,
    Kind::Map
);
handle!(
    /// A counter in a document.
    CounterHandle,
    Kind::Counter
);
handle!(
    /// A last-writer-wins register in a document.
    LwwHandle,
    Kind::LwwRegister
);
handle!(
    /// A multi-value register in a document.
    MvHandle,
    Kind::MvRegister
);
handle!(
    /// An add-wins set in a document.
    AwSetHandle,
    Kind::AwSet
);
handle!(
    /// A remove-wins set in a document.
    RwSetHandle,
    Kind::RwSet
);
handle!(
    /// A text in a document. Positions are `char` indices unless a method
    /// takes a [`Unit`].
    TextHandle,
    Kind::Text
);
handle!(
    /// A list in a document. Items are plain values or containers
    /// ([`ListHandle::insert_map`], [`ListHandle::map`], ...).
    ListHandle,
    Kind::List
);

impl MapHandle {
    /// The root map.
    pub fn root_map() -> MapHandle {
        MapHandle {
            id: ContainerId::root_map(),
        }
    }

    fn key(&self, key: &str, kind: Kind) -> ContainerId {
        self.id.child(Seg::Key(String::from(key)), kind)
    }

    /// The nested map under `key` (created by the first write inside it;
    /// an empty map is not stored).
    pub fn map(&self, key: &str) -> MapHandle {
        MapHandle::at(self.key(key, Kind::Map))
    }

    /// The counter under `key`.
    pub fn counter(&self, key: &str) -> CounterHandle {
        CounterHandle::at(self.key(key, Kind::Counter))
    }

    /// The last-writer-wins register under `key`.
    pub fn lww(&self, key: &str) -> LwwHandle {
        LwwHandle::at(self.key(key, Kind::LwwRegister))
    }

    /// The multi-value register under `key`.
    pub fn mv(&self, key: &str) -> MvHandle {
        MvHandle::at(self.key(key, Kind::MvRegister))
    }

    /// The add-wins set under `key`.
    pub fn aw_set(&self, key: &str) -> AwSetHandle {
        AwSetHandle::at(self.key(key, Kind::AwSet))
    }

    /// The remove-wins set under `key`.
    pub fn rw_set(&self, key: &str) -> RwSetHandle {
        RwSetHandle::at(self.key(key, Kind::RwSet))
    }

    /// The text under `key`.
    pub fn text(&self, key: &str) -> TextHandle {
        TextHandle::at(self.key(key, Kind::Text))
    }

    /// The list under `key`.
    pub fn list(&self, key: &str) -> ListHandle {
        ListHandle::at(self.key(key, Kind::List))
    }

    /// Removes `key` and everything this replica has seen under it.
    /// Concurrent edits under `key` that this replica has not seen survive.
    /// Returns whether the key was present.
    pub fn remove(&self, tx: &mut Transaction<'_>, key: &str) -> Result<bool, DocError> {
        tx.remove(self.id.path(), key)
    }

    /// A view of the map (`None` while it holds nothing).
    pub fn read<'a>(&self, doc: &'a Doc) -> Option<MapRef<'a>> {
        if self.id.is_root_map() {
            return Some(doc.root());
        }
        match read(doc, &self.id)? {
            Node::Map(m) => Some(MapRef { store: m }),
            _ => None,
        }
    }

    /// The keys present now, sorted.
    pub fn keys(&self, doc: &Doc) -> Vec<String> {
        self.read(doc)
            .map(|m| m.keys().map(String::from).collect())
            .unwrap_or_default()
    }
}

impl CounterHandle {
    /// Adds `by` (negative to subtract).
    pub fn add(&self, tx: &mut Transaction<'_>, by: i64) -> Result<(), DocError> {
        tx.mutate(self.id.path(), Kind::Counter, |node, dot| {
            let empty = Default::default();
            let store = match node {
                Some(Node::Counter(c)) => c,
                _ => &empty,
            };
            let (d, ctx) = counter_add(store, dot, by);
            (Node::Counter(d), ctx)
        })
    }

    /// The current value (0 if absent).
    pub fn value(&self, doc: &Doc) -> i64 {
        match read(doc, &self.id) {
            Some(Node::Counter(c)) => counter_value(c),
            _ => 0,
        }
    }
}

impl LwwHandle {
    /// Writes `value`, stamped by the document's clock
    /// ([`Doc::set_clock`]): later than the wall clock's milliseconds when
    /// there is one, and than every write this register holds, so it wins
    /// over what this replica has seen and, among concurrent writes, the
    /// latest in (roughly) real time wins. Returns the timestamp.
    pub fn set(&self, tx: &mut Transaction<'_>, value: impl Into<Value>) -> Result<u64, DocError> {
        let seen = match read(tx.doc(), &self.id) {
            Some(Node::Lww(l)) => l.iter().map(|(_, s)| s.ts).max(),
            _ => None,
        };
        let ts = tx.doc_mut().clock_mut().tick(seen);
        self.set_at(tx, value, ts)?;
        Ok(ts)
    }

    /// Writes `value` with an explicit `timestamp` (milliseconds, or any
    /// clock the application keeps). It replaces every value this replica
    /// has seen; among concurrent writes the greatest (timestamp, replica)
    /// wins.
    pub fn set_at(
        &self,
        tx: &mut Transaction<'_>,
        value: impl Into<Value>,
        timestamp: u64,
    ) -> Result<(), DocError> {
        let value = value.into();
        tx.mutate(self.id.path(), Kind::LwwRegister, |node, dot| {
            let empty = Default::default();
            let store = match node {
                Some(Node::Lww(l)) => l,
                _ => &empty,
            };
            let stamped = Stamped {
                ts: timestamp,
                value,
            };
            let (d, ctx) = mv_write(store, dot, stamped);
            (Node::Lww(d), ctx)
        })
    }

    /// The current value.
    pub fn get<'a>(&self, doc: &'a Doc) -> Option<&'a Value> {
        match read(doc, &self.id)? {
            Node::Lww(l) => lww_winner(l),
            _ => None,
        }
    }
}

impl MvHandle {
    /// Writes `value`, replacing every value this replica has seen.
    pub fn set(&self, tx: &mut Transaction<'_>, value: impl Into<Value>) -> Result<(), DocError> {
        let value = value.into();
        tx.mutate(self.id.path(), Kind::MvRegister, |node, dot| {
            let empty = Default::default();
            let store = match node {
                Some(Node::Mv(m)) => m,
                _ => &empty,
            };
            let (d, ctx) = mv_write(store, dot, value);
            (Node::Mv(d), ctx)
        })
    }

    /// Clears the values this replica has seen.
    pub fn clear(&self, tx: &mut Transaction<'_>) -> Result<(), DocError> {
        tx.mutate(self.id.path(), Kind::MvRegister, |node, dot| {
            let empty = Default::default();
            let store = match node {
                Some(Node::Mv(m)) => m,
                _ => &empty,
            };
            let (d, ctx) = clear(store, dot);
            (Node::Mv(d), ctx)
        })
    }

    /// The current values (several after concurrent writes).
    pub fn values<'a>(&self, doc: &'a Doc) -> Vec<&'a Value> {
        match read(doc, &self.id) {
            Some(Node::Mv(m)) => mv_values(m),
            _ => Vec::new(),
        }
    }
}

macro_rules! set_handle {
    ($name:ident, $kind:expr, $variant:ident, $ins:ident, $rem:ident, $view:ident) => {
        impl $name {
            /// Adds `value`.
            pub fn insert(
                &self,
                tx: &mut Transaction<'_>,
                value: impl Into<Value>,
            ) -> Result<(), DocError> {
                let value = value.into();
                tx.mutate(self.id.path(), $kind, |node, dot| {
                    let empty = Default::default();
                    let store = match node {
                        Some(Node::$variant(s)) => s,
                        _ => &empty,
                    };
                    let (d, ctx) = $ins(store, dot, value);
                    (Node::$variant(d), ctx)
                })
            }

            /// Removes `value`.
            pub fn remove(
                &self,
                tx: &mut Transaction<'_>,
                value: impl Into<Value>,
            ) -> Result<(), DocError> {
                let value = value.into();
                tx.mutate(self.id.path(), $kind, |node, dot| {
                    let empty = Default::default();
                    let store = match node {
                        Some(Node::$variant(s)) => s,
                        _ => &empty,
                    };
                    let (d, ctx) = $rem(store, dot, value);
                    (Node::$variant(d), ctx)
                })
            }

            /// A view of the set (`None` while it holds nothing).
            pub fn read<'a>(&self, doc: &'a Doc) -> Option<SetRef<'a>> {
                match read(doc, &self.id)? {
                    Node::$variant(s) => Some(SetRef::$view(s)),
                    _ => None,
                }
            }

            /// Whether `value` is in the set now.
            pub fn contains(&self, doc: &Doc, value: &Value) -> bool {
                self.read(doc).is_some_and(|s| s.contains(value))
            }
        }
    };
}

set_handle!(
    AwSetHandle,
    Kind::AwSet,
    AwSet,
    aw_insert,
    aw_remove,
    AddWins
);
set_handle!(
    RwSetHandle,
    Kind::RwSet,
    RwSet,
    rw_insert,
    rw_remove,
    RemoveWins
);

impl TextHandle {
    /// Inserts `text` at `char` index `pos`.
    #[inline]
    pub fn insert(&self, tx: &mut Transaction<'_>, pos: usize, text: &str) -> Result<(), DocError> {
        self.insert_in(tx, Unit::Char, pos, text)
    }

    /// Inserts `text` at `pos` counted in `unit` (UTF-16 code units for
    /// positions from JavaScript, UTF-8 bytes for Rust `str` indices).
    #[inline]
    pub fn insert_in(
        &self,
        tx: &mut Transaction<'_>,
        unit: Unit,
        pos: usize,
        text: &str,
    ) -> Result<(), DocError> {
        tx.text_insert(&self.id, unit, pos, text)
    }

    /// Deletes `len` `char`s from `pos`.
    #[inline]
    pub fn delete(&self, tx: &mut Transaction<'_>, pos: usize, len: usize) -> Result<(), DocError> {
        self.delete_in(tx, Unit::Char, pos, len)
    }

    /// Deletes the range `pos .. pos + len` counted in `unit`.
    #[inline]
    pub fn delete_in(
        &self,
        tx: &mut Transaction<'_>,
        unit: Unit,
        pos: usize,
        len: usize,
    ) -> Result<(), DocError> {
        tx.seq_delete::<TextBuf>(&self.id, unit, pos, len)
    }

    /// Replaces `del` `char`s at `pos` with `text`.
    pub fn splice(
        &self,
        tx: &mut Transaction<'_>,
        pos: usize,
        del: usize,
        text: &str,
    ) -> Result<(), DocError> {
        self.delete(tx, pos, del)?;
        self.insert(tx, pos, text)
    }

    /// Appends `text`.
    pub fn push_str(&self, tx: &mut Transaction<'_>, text: &str) -> Result<(), DocError> {
        let end = self.len(tx.doc());
        self.insert(tx, end, text)
    }

    /// A view of the text (empty while it holds nothing).
    pub fn read<'a>(&self, doc: &'a Doc) -> TextRef<'a> {
        let seq = match read(doc, &self.id) {
            Some(Node::Text(t)) => Some(&t.seq),
            _ => None,
        };
        TextRef { seq }
    }

    /// Length in `char`s.
    pub fn len(&self, doc: &Doc) -> usize {
        self.read(doc).len()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self, doc: &Doc) -> bool {
        self.len(doc) == 0
    }

    /// The current text.
    pub fn get(&self, doc: &Doc) -> String {
        alloc::string::ToString::to_string(&self.read(doc))
    }
}

impl ListHandle {
    /// Inserts `value` at `index`.
    pub fn insert(
        &self,
        tx: &mut Transaction<'_>,
        index: usize,
        value: impl Into<Value>,
    ) -> Result<(), DocError> {
        let item = ListItem::Value(value.into());
        tx.seq_insert(&self.id, Unit::Char, index, &ListBuf(alloc::vec![item]))
    }

    /// Inserts `values` at `index`, in order.
    pub fn insert_all(
        &self,
        tx: &mut Transaction<'_>,
        index: usize,
        values: Vec<Value>,
    ) -> Result<(), DocError> {
        let items = values.into_iter().map(ListItem::Value).collect();
        tx.seq_insert(&self.id, Unit::Char, index, &ListBuf(items))
    }

    /// Appends `value`.
    pub fn push(&self, tx: &mut Transaction<'_>, value: impl Into<Value>) -> Result<(), DocError> {
        let end = self.len(tx.doc());
        self.insert(tx, end, value)
    }

    /// Deletes `len` items from `index` (with the containers they hold,
    /// and edits made inside them concurrently).
    pub fn delete(
        &self,
        tx: &mut Transaction<'_>,
        index: usize,
        len: usize,
    ) -> Result<(), DocError> {
        tx.seq_delete::<ListContent>(&self.id, Unit::Char, index, len)
    }

    /// Replaces the item at `index` with `value` (a delete and an insert:
    /// concurrent replacements of one index keep both new values).
    pub fn set(
        &self,
        tx: &mut Transaction<'_>,
        index: usize,
        value: impl Into<Value>,
    ) -> Result<(), DocError> {
        self.delete(tx, index, 1)?;
        self.insert(tx, index, value)
    }

    /// A view of the list (empty while it holds nothing).
    pub fn read<'a>(&self, doc: &'a Doc) -> ListRef<'a> {
        let node = match read(doc, &self.id) {
            Some(Node::List(l)) => Some(&**l),
            _ => None,
        };
        ListRef { node }
    }

    /// Number of items.
    pub fn len(&self, doc: &Doc) -> usize {
        self.read(doc).len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self, doc: &Doc) -> bool {
        self.len(doc) == 0
    }

    /// The item at `index`.
    pub fn item(&self, doc: &Doc, index: usize) -> Option<ListItem> {
        self.read(doc).item(index).cloned()
    }

    /// The plain value at `index` (`None` for a container item).
    pub fn get(&self, doc: &Doc, index: usize) -> Option<Value> {
        self.read(doc).get(index).cloned()
    }

    /// Inserts an item holding an empty container of `kind` at `index`;
    /// returns the container's id.
    fn insert_container(
        &self,
        tx: &mut Transaction<'_>,
        index: usize,
        kind: Kind,
    ) -> Result<ContainerId, DocError> {
        debug_assert!(is_item_kind(kind));
        if self.id.depth() >= crate::MAX_DEPTH {
            // The container would sit one level deeper than the limit.
            return Err(DocError::TooDeep(crate::MAX_DEPTH));
        }
        let dot = tx.next_dot();
        let item = ListItem::Container(kind);
        tx.seq_insert(&self.id, Unit::Char, index, &ListBuf(alloc::vec![item]))?;
        Ok(self.id.child(Seg::Item(dot), kind))
    }

    /// The id of the container of `kind` held by the item at `index`.
    fn container_at(&self, doc: &Doc, index: usize, kind: Kind) -> Result<ContainerId, DocError> {
        let list = self.read(doc);
        let len = list.len();
        if index >= len {
            return Err(DocError::OutOfBounds { pos: index, len });
        }
        match list.item(index) {
            Some(ListItem::Container(k)) if *k == kind => {}
            _ => return Err(DocError::NotAContainer(kind)),
        }
        let dot = list.id_at(index).expect("index checked");
        Ok(self.id.child(Seg::Item(dot), kind))
    }

    /// Inserts a new, empty map at `index` and returns its handle.
    pub fn insert_map(
        &self,
        tx: &mut Transaction<'_>,
        index: usize,
    ) -> Result<MapHandle, DocError> {
        self.insert_container(tx, index, Kind::Map)
            .map(MapHandle::at)
    }

    /// Inserts a new, empty list at `index` and returns its handle.
    pub fn insert_list(
        &self,
        tx: &mut Transaction<'_>,
        index: usize,
    ) -> Result<ListHandle, DocError> {
        self.insert_container(tx, index, Kind::List)
            .map(ListHandle::at)
    }

    /// Inserts a new, empty text at `index` and returns its handle.
    pub fn insert_text(
        &self,
        tx: &mut Transaction<'_>,
        index: usize,
    ) -> Result<TextHandle, DocError> {
        self.insert_container(tx, index, Kind::Text)
            .map(TextHandle::at)
    }

    /// Inserts a new counter (at 0) at `index` and returns its handle.
    pub fn insert_counter(
        &self,
        tx: &mut Transaction<'_>,
        index: usize,
    ) -> Result<CounterHandle, DocError> {
        self.insert_container(tx, index, Kind::Counter)
            .map(CounterHandle::at)
    }

    /// The map held by the item at `index`.
    pub fn map(&self, doc: &Doc, index: usize) -> Result<MapHandle, DocError> {
        self.container_at(doc, index, Kind::Map).map(MapHandle::at)
    }

    /// The list held by the item at `index`.
    pub fn list(&self, doc: &Doc, index: usize) -> Result<ListHandle, DocError> {
        self.container_at(doc, index, Kind::List)
            .map(ListHandle::at)
    }

    /// The text held by the item at `index`.
    pub fn text(&self, doc: &Doc, index: usize) -> Result<TextHandle, DocError> {
        self.container_at(doc, index, Kind::Text)
            .map(TextHandle::at)
    }

    /// The counter held by the item at `index`.
    pub fn counter(&self, doc: &Doc, index: usize) -> Result<CounterHandle, DocError> {
        self.container_at(doc, index, Kind::Counter)
            .map(CounterHandle::at)
    }
}

impl Doc {
    /// The handle of the root map.
    pub fn root_map(&self) -> MapHandle {
        MapHandle::root_map()
    }

    /// The handle of the text named `name` at the root.
    pub fn get_text(&self, name: &str) -> TextHandle {
        TextHandle::root(name)
    }

    /// The handle of the list named `name` at the root.
    pub fn get_list(&self, name: &str) -> ListHandle {
        ListHandle::root(name)
    }

    /// The handle of the map named `name` at the root.
    pub fn get_map(&self, name: &str) -> MapHandle {
        MapHandle::root(name)
    }

    /// The handle of the counter named `name` at the root.
    pub fn get_counter(&self, name: &str) -> CounterHandle {
        CounterHandle::root(name)
    }
}
