//! Borrowing handles: a transaction and an owned handle together, for
//! code that reads best as `tx.map("trip").lww("title").set(..)`. Each
//! method forwards to the owned handle.

use alloc::string::String;
use alloc::vec::Vec;

use super::handles::{
    AwSetHandle, CounterHandle, ListHandle, LwwHandle, MapHandle, MvHandle, RwSetHandle, TextHandle,
};
use super::Transaction;
use crate::doc::model::item::ListItem;
use crate::doc::model::path::{ContainerId, Seg};
use crate::doc::model::Kind;
use crate::error::DocError;
use crate::seq::content::Unit;
use crate::value::Value;

macro_rules! borrowed {
    ($(#[$doc:meta])* $name:ident, $handle:ident) => {
        $(#[$doc])*
        pub struct $name<'t, 'd> {
            pub(crate) txn: &'t mut Transaction<'d>,
            pub(crate) handle: $handle,
        }

        impl $name<'_, '_> {
            /// The owned handle (to keep, or to use with later
            /// transactions).
            pub fn handle(&self) -> &$handle {
                &self.handle
            }
        }
    };
}

borrowed!(
    /// A handle to a map inside a transaction.
    MapMut,
    MapHandle
);
borrowed!(
    /// A handle to a counter inside a transaction.
    CounterMut,
    CounterHandle
);
borrowed!(
    /// A handle to a last-writer-wins register inside a transaction.
    LwwMut,
    LwwHandle
);
borrowed!(
    /// A handle to a multi-value register inside a transaction.
    MvMut,
    MvHandle
);
borrowed!(
    /// A handle to an add-wins set inside a transaction.
    AwSetMut,
    AwSetHandle
);
borrowed!(
    /// A handle to a remove-wins set inside a transaction.
    RwSetMut,
    RwSetHandle
);
borrowed!(
    /// A handle to a text inside a transaction. Positions are `char`
    /// indices unless a method takes a [`Unit`].
    TextMut,
    TextHandle
);
borrowed!(
    /// A handle to a list inside a transaction. Items are plain values or
    /// nested containers ([`ListMut::insert_map`], [`ListMut::map`], ...).
    ListMut,
    ListHandle
);

impl<'d> Transaction<'d> {
    /// The root map, for editing.
    pub fn root(&mut self) -> MapMut<'_, 'd> {
        self.with(MapHandle::root_map())
    }

    /// The map at `path` (keys from the root; an empty path is the root).
    pub fn map_at<S: AsRef<str>>(&mut self, path: &[S]) -> MapMut<'_, 'd> {
        let segs = path
            .iter()
            .map(|k| Seg::Key(String::from(k.as_ref())))
            .collect();
        let handle =
            MapHandle::try_from(ContainerId::from_path(segs, Kind::Map)).expect("a map id");
        self.with(handle)
    }

    /// Borrows `handle` with this transaction: `tx.with(text).insert(0, "hi")`.
    pub fn with<H: Borrowable>(&mut self, handle: H) -> H::Mut<'_, 'd> {
        handle.borrow_with(self)
    }

    /// The map named `name` at the root.
    pub fn map(&mut self, name: &str) -> MapMut<'_, 'd> {
        let id = self.doc_mut().root_id(name, Kind::Map);
        self.with(MapHandle::at(id))
    }

    /// The counter named `name` at the root.
    pub fn counter(&mut self, name: &str) -> CounterMut<'_, 'd> {
        let id = self.doc_mut().root_id(name, Kind::Counter);
        self.with(CounterHandle::at(id))
    }

    /// The last-writer-wins register named `name` at the root.
    pub fn lww(&mut self, name: &str) -> LwwMut<'_, 'd> {
        let id = self.doc_mut().root_id(name, Kind::LwwRegister);
        self.with(LwwHandle::at(id))
    }

    /// The multi-value register named `name` at the root.
    pub fn mv(&mut self, name: &str) -> MvMut<'_, 'd> {
        let id = self.doc_mut().root_id(name, Kind::MvRegister);
        self.with(MvHandle::at(id))
    }

    /// The add-wins set named `name` at the root.
    pub fn aw_set(&mut self, name: &str) -> AwSetMut<'_, 'd> {
        let id = self.doc_mut().root_id(name, Kind::AwSet);
        self.with(AwSetHandle::at(id))
    }

    /// The remove-wins set named `name` at the root.
    pub fn rw_set(&mut self, name: &str) -> RwSetMut<'_, 'd> {
        let id = self.doc_mut().root_id(name, Kind::RwSet);
        self.with(RwSetHandle::at(id))
    }

    /// The text named `name` at the root.
    pub fn text(&mut self, name: &str) -> TextMut<'_, 'd> {
        let id = self.doc_mut().root_id(name, Kind::Text);
        self.with(TextHandle::at(id))
    }

    /// The list named `name` at the root.
    pub fn list(&mut self, name: &str) -> ListMut<'_, 'd> {
        let id = self.doc_mut().root_id(name, Kind::List);
        self.with(ListHandle::at(id))
    }
}

/// An owned handle that a transaction can borrow ([`Transaction::with`]).
pub trait Borrowable: Sized {
    /// The borrowing handle.
    type Mut<'t, 'd: 't>;
    /// Pairs the handle with `txn`.
    fn borrow_with<'t, 'd>(self, txn: &'t mut Transaction<'d>) -> Self::Mut<'t, 'd>;
}

macro_rules! borrowable {
    ($handle:ident, $name:ident) => {
        impl Borrowable for $handle {
            type Mut<'t, 'd: 't> = $name<'t, 'd>;
            fn borrow_with<'t, 'd>(self, txn: &'t mut Transaction<'d>) -> $name<'t, 'd> {
                $name { txn, handle: self }
            }
        }
    };
}

borrowable!(MapHandle, MapMut);
borrowable!(CounterHandle, CounterMut);
borrowable!(LwwHandle, LwwMut);
borrowable!(MvHandle, MvMut);
borrowable!(AwSetHandle, AwSetMut);
borrowable!(RwSetHandle, RwSetMut);
borrowable!(TextHandle, TextMut);
borrowable!(ListHandle, ListMut);

impl<'d> MapMut<'_, 'd> {
    /// The nested map under `key` (created by the first mutation inside it;
    /// an empty map is not stored).
    pub fn map(&mut self, key: &str) -> MapMut<'_, 'd> {
        let h = self.handle.map(key);
        self.txn.with(h)
    }

    /// The counter under `key`.
    pub fn counter(&mut self, key: &str) -> CounterMut<'_, 'd> {
        let h = self.handle.counter(key);
        self.txn.with(h)
    }

    /// The last-writer-wins register under `key`.
    pub fn lww(&mut self, key: &str) -> LwwMut<'_, 'd> {
        let h = self.handle.lww(key);
        self.txn.with(h)
    }

    /// The multi-value register under `key`.
    pub fn mv(&mut self, key: &str) -> MvMut<'_, 'd> {
        let h = self.handle.mv(key);
        self.txn.with(h)
    }

    /// The add-wins set under `key`.
    pub fn aw_set(&mut self, key: &str) -> AwSetMut<'_, 'd> {
        let h = self.handle.aw_set(key);
        self.txn.with(h)
    }

    /// The remove-wins set under `key`.
    pub fn rw_set(&mut self, key: &str) -> RwSetMut<'_, 'd> {
        let h = self.handle.rw_set(key);
        self.txn.with(h)
    }

    /// The text under `key`.
    pub fn text(&mut self, key: &str) -> TextMut<'_, 'd> {
        let h = self.handle.text(key);
        self.txn.with(h)
    }

    /// The list under `key`.
    pub fn list(&mut self, key: &str) -> ListMut<'_, 'd> {
        let h = self.handle.list(key);
        self.txn.with(h)
    }

    /// Removes `key` and everything this replica has seen under it.
    /// Concurrent edits under `key` that this replica has not seen survive.
    /// Returns whether the key was present.
    pub fn remove(&mut self, key: &str) -> Result<bool, DocError> {
        self.handle.remove(self.txn, key)
    }

    /// The keys present now, sorted.
    pub fn keys(&self) -> Vec<String> {
        self.handle.keys(self.txn.doc())
    }
}

impl CounterMut<'_, '_> {
    /// Adds `by` (negative to subtract).
    pub fn add(&mut self, by: i64) -> Result<(), DocError> {
        self.handle.add(self.txn, by)
    }

    /// The current value (0 if absent).
    pub fn value(&self) -> i64 {
        self.handle.value(self.txn.doc())
    }
}

impl LwwMut<'_, '_> {
    /// Writes `value`, stamped by the document's clock (see
    /// [`LwwHandle::set`]); returns the timestamp.
    pub fn set(&mut self, value: impl Into<Value>) -> Result<u64, DocError> {
        self.handle.set(self.txn, value)
    }

    /// Writes `value` with an explicit `timestamp` (see
    /// [`LwwHandle::set_at`]).
    pub fn set_at(&mut self, value: impl Into<Value>, timestamp: u64) -> Result<(), DocError> {
        self.handle.set_at(self.txn, value, timestamp)
    }

    /// The current value.
    pub fn get(&self) -> Option<Value> {
        self.handle.get(self.txn.doc()).cloned()
    }
}

impl MvMut<'_, '_> {
    /// Writes `value`, replacing every value this replica has seen.
    pub fn set(&mut self, value: impl Into<Value>) -> Result<(), DocError> {
        self.handle.set(self.txn, value)
    }

    /// Clears the values this replica has seen.
    pub fn clear(&mut self) -> Result<(), DocError> {
        self.handle.clear(self.txn)
    }

    /// The current values (several after concurrent writes).
    pub fn values(&self) -> Vec<Value> {
        self.handle
            .values(self.txn.doc())
            .into_iter()
            .cloned()
            .collect()
    }
}

macro_rules! set_mut {
    ($name:ident) => {
        impl $name<'_, '_> {
            /// Adds `value`.
            pub fn insert(&mut self, value: impl Into<Value>) -> Result<(), DocError> {
                self.handle.insert(self.txn, value)
            }

            /// Removes `value`.
            pub fn remove(&mut self, value: impl Into<Value>) -> Result<(), DocError> {
                self.handle.remove(self.txn, value)
            }

            /// Whether `value` is in the set now.
            pub fn contains(&self, value: &Value) -> bool {
                self.handle.contains(self.txn.doc(), value)
            }
        }
    };
}

set_mut!(AwSetMut);
set_mut!(RwSetMut);

impl TextMut<'_, '_> {
    /// Inserts `text` at `char` index `pos`.
    pub fn insert(&mut self, pos: usize, text: &str) -> Result<(), DocError> {
        self.handle.insert(self.txn, pos, text)
    }

    /// Inserts `text` at `pos` counted in `unit` (UTF-16 code units for
    /// positions from JavaScript, UTF-8 bytes for Rust `str` indices).
    pub fn insert_in(&mut self, unit: Unit, pos: usize, text: &str) -> Result<(), DocError> {
        self.handle.insert_in(self.txn, unit, pos, text)
    }

    /// Deletes `len` `char`s from `pos`.
    pub fn delete(&mut self, pos: usize, len: usize) -> Result<(), DocError> {
        self.handle.delete(self.txn, pos, len)
    }

    /// Deletes the range `pos .. pos + len` counted in `unit`.
    pub fn delete_in(&mut self, unit: Unit, pos: usize, len: usize) -> Result<(), DocError> {
        self.handle.delete_in(self.txn, unit, pos, len)
    }

    /// Replaces `del` `char`s at `pos` with `text`.
    pub fn splice(&mut self, pos: usize, del: usize, text: &str) -> Result<(), DocError> {
        self.handle.splice(self.txn, pos, del, text)
    }

    /// Appends `text`.
    pub fn push_str(&mut self, text: &str) -> Result<(), DocError> {
        self.handle.push_str(self.txn, text)
    }

    /// Length in `char`s.
    pub fn len(&self) -> usize {
        self.handle.len(self.txn.doc())
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The current text.
    pub fn get(&self) -> String {
        self.handle.get(self.txn.doc())
    }
}

impl<'d> ListMut<'_, 'd> {
    /// Inserts `value` at `index`.
    pub fn insert(&mut self, index: usize, value: impl Into<Value>) -> Result<(), DocError> {
        self.handle.insert(self.txn, index, value)
    }

    /// Inserts `values` at `index`, in order.
    pub fn insert_all(&mut self, index: usize, values: Vec<Value>) -> Result<(), DocError> {
        self.handle.insert_all(self.txn, index, values)
    }

    /// Appends `value`.
    pub fn push(&mut self, value: impl Into<Value>) -> Result<(), DocError> {
        self.handle.push(self.txn, value)
    }

    /// Deletes `len` items from `index` (with the containers they hold,
    /// and edits made inside them concurrently).
    pub fn delete(&mut self, index: usize, len: usize) -> Result<(), DocError> {
        self.handle.delete(self.txn, index, len)
    }

    /// Replaces the item at `index` with `value` (a delete and an insert:
    /// concurrent replacements of one index keep both new values).
    pub fn set(&mut self, index: usize, value: impl Into<Value>) -> Result<(), DocError> {
        self.handle.set(self.txn, index, value)
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.handle.len(self.txn.doc())
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The item at `index`.
    pub fn item(&self, index: usize) -> Option<ListItem> {
        self.handle.item(self.txn.doc(), index)
    }

    /// The plain value at `index` (`None` for a container item).
    pub fn get(&self, index: usize) -> Option<Value> {
        self.handle.get(self.txn.doc(), index)
    }

    /// Inserts a new, empty map at `index` and returns it for editing.
    pub fn insert_map(&mut self, index: usize) -> Result<MapMut<'_, 'd>, DocError> {
        let h = self.handle.insert_map(self.txn, index)?;
        Ok(self.txn.with(h))
    }

    /// Inserts a new, empty list at `index` and returns it for editing.
    pub fn insert_list(&mut self, index: usize) -> Result<ListMut<'_, 'd>, DocError> {
        let h = self.handle.insert_list(self.txn, index)?;
        Ok(self.txn.with(h))
    }

    /// Inserts a new, empty text at `index` and returns it for editing.
    pub fn insert_text(&mut self, index: usize) -> Result<TextMut<'_, 'd>, DocError> {
        let h = self.handle.insert_text(self.txn, index)?;
        Ok(self.txn.with(h))
    }

    /// Inserts a new counter (at 0) at `index` and returns it for editing.
    pub fn insert_counter(&mut self, index: usize) -> Result<CounterMut<'_, 'd>, DocError> {
        let h = self.handle.insert_counter(self.txn, index)?;
        Ok(self.txn.with(h))
    }

    /// Appends a new, empty map and returns it for editing.
    pub fn push_map(&mut self) -> Result<MapMut<'_, 'd>, DocError> {
        let end = self.len();
        self.insert_map(end)
    }

    /// Appends a new, empty list and returns it for editing.
    pub fn push_list(&mut self) -> Result<ListMut<'_, 'd>, DocError> {
        let end = self.len();
        self.insert_list(end)
    }

    /// Appends a new, empty text and returns it for editing.
    pub fn push_text(&mut self) -> Result<TextMut<'_, 'd>, DocError> {
        let end = self.len();
        self.insert_text(end)
    }

    /// Appends a new counter (at 0) and returns it for editing.
    pub fn push_counter(&mut self) -> Result<CounterMut<'_, 'd>, DocError> {
        let end = self.len();
        self.insert_counter(end)
    }

    /// The map held by the item at `index`, for editing.
    pub fn map(&mut self, index: usize) -> Result<MapMut<'_, 'd>, DocError> {
        let h = self.handle.map(self.txn.doc(), index)?;
        Ok(self.txn.with(h))
    }

    /// The list held by the item at `index`, for editing.
    pub fn list(&mut self, index: usize) -> Result<ListMut<'_, 'd>, DocError> {
        let h = self.handle.list(self.txn.doc(), index)?;
        Ok(self.txn.with(h))
    }

    /// The text held by the item at `index`, for editing.
    pub fn text(&mut self, index: usize) -> Result<TextMut<'_, 'd>, DocError> {
        let h = self.handle.text(self.txn.doc(), index)?;
        Ok(self.txn.with(h))
    }

    /// The counter held by the item at `index`, for editing.
    pub fn counter(&mut self, index: usize) -> Result<CounterMut<'_, 'd>, DocError> {
        let h = self.handle.counter(self.txn.doc(), index)?;
        Ok(self.txn.with(h))
    }
}
