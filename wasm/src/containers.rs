//! The containers of a JavaScript `Doc`: each object is the document and
//! the handle of one container (its path), so it stays valid across edits,
//! remote updates and the container's own absence (the first edit creates
//! it). Text positions are UTF-16 code units, as in JavaScript strings.

use converge_core::{
    AwSetHandle, CounterHandle, ListHandle, ListItem, MapHandle, MvHandle, RwSetHandle, Side,
    TextHandle, Unit, ValueRef,
};
use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::doc::{edit, read, Shared};
use crate::js::{self, error, from_value, to_value};

macro_rules! container {
    ($(#[$doc:meta])* $name:ident, $handle:ty) => {
        $(#[$doc])*
        #[wasm_bindgen]
        pub struct $name {
            shared: Shared,
            handle: $handle,
        }

        impl $name {
            pub(crate) fn new(shared: &Shared, handle: $handle) -> Self {
                $name {
                    shared: shared.clone(),
                    handle,
                }
            }
        }
    };
}

container!(
    /// A text: characters that replicas insert and delete concurrently
    /// without interleaving their words. Positions are UTF-16 code units.
    DocText,
    TextHandle
);
container!(
    /// A list of values and nested containers.
    DocList,
    ListHandle
);
container!(
    /// A map from string keys to values (last writer wins) and nested
    /// containers.
    DocMap,
    MapHandle
);
container!(
    /// A counter that replicas increment and decrement concurrently.
    DocCounter,
    CounterHandle
);
container!(
    /// A register that keeps every concurrently written value until one
    /// write replaces them all.
    DocMultiValue,
    MvHandle
);

/// The `cursor` methods' declarations: wasm-bindgen would type `side` as
/// a `string` (an `unchecked_param_type` makes it required), so they are
/// declared here and merged into the classes.
#[wasm_bindgen(typescript_custom_section)]
const CURSOR_TYPES: &'static str = r#"
export interface DocText {
  /**
   * A cursor at UTF-16 position `pos`, holding on to the character after it
   * (`side` `"right"`, the default) or before it (`"left"`).
   */
  cursor(pos: number, side?: Side | null): Cursor;
}
export interface DocList {
  /** A cursor at `index`, holding on to the item after it (`side` `"right"`,
   * the default) or before it (`"left"`). */
  cursor(index: number, side?: Side | null): Cursor;
}
"#;

/// Which neighbour a cursor holds on to: `"right"` (default) or `"left"`.
fn side(s: Option<String>) -> Result<Side, JsValue> {
    match s.as_deref() {
        None | Some("right") => Ok(Side::Right),
        Some("left") => Ok(Side::Left),
        Some(other) => Err(error(
            &[
                "cursor side \"",
                other,
                "\": expected \"left\" or \"right\"",
            ]
            .concat(),
        )),
    }
}

/// A position in a text or list that moves with the content around it
/// (it names an item, not an index). Keep it across edits, store it with
/// `encode()`, and turn it back into an index with `resolve(cursor)`.
#[wasm_bindgen]
pub struct Cursor(converge_core::Cursor);

#[wasm_bindgen]
impl Cursor {
    /// The cursor as bytes, to store or send.
    pub fn encode(&self) -> Uint8Array {
        let bytes = postcard::to_allocvec(&self.0).unwrap_or_default();
        Uint8Array::from(bytes.as_slice())
    }

    /// A cursor from `encode()`'s bytes.
    pub fn decode(bytes: &[u8]) -> Result<Cursor, JsValue> {
        converge_core::kernel::wire::read_payload(bytes)
            .map(Cursor)
            .map_err(|_| error("not an encoded cursor"))
    }
}

#[wasm_bindgen]
impl DocText {
    /// Inserts `text` at UTF-16 position `pos`.
    pub fn insert(&self, pos: usize, text: &str) -> Result<(), JsValue> {
        edit(&self.shared, |tx| {
            self.handle.insert_in(tx, Unit::Utf16, pos, text)
        })
    }

    /// Deletes `len` UTF-16 code units from `pos`.
    pub fn delete(&self, pos: usize, len: usize) -> Result<(), JsValue> {
        edit(&self.shared, |tx| {
            self.handle.delete_in(tx, Unit::Utf16, pos, len)
        })
    }

    /// Replaces `len` UTF-16 code units at `pos` with `text`, in one edit.
    pub fn splice(&self, pos: usize, len: usize, text: &str) -> Result<(), JsValue> {
        edit(&self.shared, |tx| {
            self.handle.delete_in(tx, Unit::Utf16, pos, len)?;
            self.handle.insert_in(tx, Unit::Utf16, pos, text)
        })
    }

    /// Appends `text`.
    pub fn push(&self, text: &str) -> Result<(), JsValue> {
        edit(&self.shared, |tx| self.handle.push_str(tx, text))
    }

    /// The text.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string(&self) -> Result<String, JsValue> {
        read(&self.shared, |d| self.handle.get(d))
    }

    /// The text (what `JSON.stringify` uses).
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> Result<String, JsValue> {
        self.to_string()
    }

    /// The part between UTF-16 positions `start` and `end` (the end when
    /// left out).
    pub fn slice(&self, start: usize, end: Option<usize>) -> Result<String, JsValue> {
        read(&self.shared, |d| {
            let t = self.handle.read(d);
            let end = end.unwrap_or(usize::MAX);
            let a = t.convert(start, Unit::Utf16, Unit::Char);
            let b = t.convert(end.max(start), Unit::Utf16, Unit::Char);
            t.slice(a..b)
        })
    }

    /// The length in UTF-16 code units (as `string.length`).
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> Result<usize, JsValue> {
        read(&self.shared, |d| self.handle.read(d).len_in(Unit::Utf16))
    }

    /// A cursor at UTF-16 position `pos`, holding on to the character after
    /// it (`side` `"right"`, the default) or before it (`"left"`).
    /// (Declared in `CURSOR_TYPES`, so that `side` is typed `Side`.)
    #[wasm_bindgen(skip_typescript)]
    pub fn cursor(&self, pos: usize, side: Option<String>) -> Result<Cursor, JsValue> {
        let side = self::side(side)?;
        read(&self.shared, |d| {
            let t = self.handle.read(d);
            Cursor(t.cursor(t.convert(pos, Unit::Utf16, Unit::Char), side))
        })
    }

    /// Where `cursor` is now (UTF-16), or `undefined` when the text it
    /// was made in is not this one.
    pub fn resolve(&self, cursor: &Cursor) -> Result<Option<usize>, JsValue> {
        read(&self.shared, |d| {
            let t = self.handle.read(d);
            t.resolve(&cursor.0)
                .map(|c| t.convert(c, Unit::Char, Unit::Utf16))
        })
    }
}

/// A list item or map entry as JavaScript sees it: a plain value, or the
/// object of a nested container.
fn from_ref(shared: &Shared, v: ValueRef<'_>, nested: Nested<'_>) -> JsValue {
    match v {
        ValueRef::LwwRegister(v) => from_value(v),
        ValueRef::MvRegister(vs) => vs.into_iter().map(from_value).collect::<Array>().into(),
        ValueRef::Counter(_) => DocCounter::new(shared, nested.counter()).into(),
        ValueRef::Text(_) => DocText::new(shared, nested.text()).into(),
        ValueRef::List(_) => DocList::new(shared, nested.list()).into(),
        ValueRef::Map(_) => DocMap::new(shared, nested.map()).into(),
        ValueRef::AwSet(_) => DocSet::add_wins(shared, nested.aw_set()).into(),
        ValueRef::RwSet(_) => DocSet::remove_wins(shared, nested.rw_set()).into(),
        _ => JsValue::UNDEFINED,
    }
}

/// Where a nested container sits: under a map key (lists hold only maps,
/// lists, texts and counters, found by index).
enum Nested<'a> {
    Key(&'a MapHandle, &'a str),
    Item(ContainerAt),
}

/// The handles of the container at one list index (resolved up front).
struct ContainerAt {
    map: Option<MapHandle>,
    list: Option<ListHandle>,
    text: Option<TextHandle>,
    counter: Option<CounterHandle>,
}

impl Nested<'_> {
    fn counter(self) -> CounterHandle {
        match self {
            Nested::Key(m, k) => m.counter(k),
            Nested::Item(c) => c.counter.expect("kind checked"),
        }
    }
    fn text(self) -> TextHandle {
        match self {
            Nested::Key(m, k) => m.text(k),
            Nested::Item(c) => c.text.expect("kind checked"),
        }
    }
    fn list(self) -> ListHandle {
        match self {
            Nested::Key(m, k) => m.list(k),
            Nested::Item(c) => c.list.expect("kind checked"),
        }
    }
    fn map(self) -> MapHandle {
        match self {
            Nested::Key(m, k) => m.map(k),
            Nested::Item(c) => c.map.expect("kind checked"),
        }
    }
    fn aw_set(self) -> AwSetHandle {
        match self {
            Nested::Key(m, k) => m.aw_set(k),
            Nested::Item(_) => unreachable!("lists hold no sets"),
        }
    }
    fn rw_set(self) -> RwSetHandle {
        match self {
            Nested::Key(m, k) => m.rw_set(k),
            Nested::Item(_) => unreachable!("lists hold no sets"),
        }
    }
}

#[wasm_bindgen]
impl DocList {
    /// Inserts `value` (null, boolean, number, bigint, string or
    /// Uint8Array) at `index`.
    pub fn insert(
        &self,
        index: usize,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<(), JsValue> {
        let v = to_value(&value)?;
        edit(&self.shared, |tx| self.handle.insert(tx, index, v))
    }

    /// Appends `value`.
    pub fn push(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<(), JsValue> {
        let v = to_value(&value)?;
        edit(&self.shared, |tx| self.handle.push(tx, v))
    }

    /// Deletes `len` items (1 when left out) from `index`.
    pub fn delete(&self, index: usize, len: Option<usize>) -> Result<(), JsValue> {
        edit(&self.shared, |tx| {
            self.handle.delete(tx, index, len.unwrap_or(1))
        })
    }

    /// Replaces the item at `index` with `value`.
    pub fn set(
        &self,
        index: usize,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<(), JsValue> {
        let v = to_value(&value)?;
        edit(&self.shared, |tx| self.handle.set(tx, index, v))
    }

    /// The item at `index`: a value, a container object, or `undefined`
    /// past the end.
    #[wasm_bindgen(unchecked_return_type = "Item | undefined")]
    pub fn get(&self, index: usize) -> Result<JsValue, JsValue> {
        read(&self.shared, |d| match self.handle.item(d, index) {
            None => JsValue::UNDEFINED,
            Some(ListItem::Value(v)) => from_value(&v),
            Some(ListItem::Container(_)) => {
                let at = ContainerAt {
                    map: self.handle.map(d, index).ok(),
                    list: self.handle.list(d, index).ok(),
                    text: self.handle.text(d, index).ok(),
                    counter: self.handle.counter(d, index).ok(),
                };
                let list = self.handle.read(d);
                match list.container(index) {
                    Some(r) => from_ref(&self.shared, r, Nested::Item(at)),
                    None => JsValue::UNDEFINED,
                }
            }
        })
    }

    /// The number of items.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> Result<usize, JsValue> {
        read(&self.shared, |d| self.handle.len(d))
    }

    /// The list as plain JavaScript data.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "Plain[]")]
    pub fn to_json(&self) -> Result<JsValue, JsValue> {
        read(&self.shared, |d| js::from_list(&self.handle.read(d)))
    }

    /// Inserts an empty map at `index` and returns it.
    #[wasm_bindgen(js_name = insertMap)]
    pub fn insert_map(&self, index: usize) -> Result<DocMap, JsValue> {
        let h = edit(&self.shared, |tx| self.handle.insert_map(tx, index))?;
        Ok(DocMap::new(&self.shared, h))
    }

    /// Inserts an empty list at `index` and returns it.
    #[wasm_bindgen(js_name = insertList)]
    pub fn insert_list(&self, index: usize) -> Result<DocList, JsValue> {
        let h = edit(&self.shared, |tx| self.handle.insert_list(tx, index))?;
        Ok(DocList::new(&self.shared, h))
    }

    /// Inserts an empty text at `index` and returns it.
    #[wasm_bindgen(js_name = insertText)]
    pub fn insert_text(&self, index: usize) -> Result<DocText, JsValue> {
        let h = edit(&self.shared, |tx| self.handle.insert_text(tx, index))?;
        Ok(DocText::new(&self.shared, h))
    }

    /// Inserts a counter at `index` and returns it.
    #[wasm_bindgen(js_name = insertCounter)]
    pub fn insert_counter(&self, index: usize) -> Result<DocCounter, JsValue> {
        let h = edit(&self.shared, |tx| self.handle.insert_counter(tx, index))?;
        Ok(DocCounter::new(&self.shared, h))
    }

    /// Appends an empty map and returns it.
    #[wasm_bindgen(js_name = pushMap)]
    pub fn push_map(&self) -> Result<DocMap, JsValue> {
        self.insert_map(self.length()?)
    }

    /// Appends an empty list and returns it.
    #[wasm_bindgen(js_name = pushList)]
    pub fn push_list(&self) -> Result<DocList, JsValue> {
        self.insert_list(self.length()?)
    }

    /// Appends an empty text and returns it.
    #[wasm_bindgen(js_name = pushText)]
    pub fn push_text(&self) -> Result<DocText, JsValue> {
        self.insert_text(self.length()?)
    }

    /// Appends a counter and returns it.
    #[wasm_bindgen(js_name = pushCounter)]
    pub fn push_counter(&self) -> Result<DocCounter, JsValue> {
        self.insert_counter(self.length()?)
    }

    /// A cursor at `index` (see `DocText.cursor`; declared in
    /// `CURSOR_TYPES`).
    #[wasm_bindgen(skip_typescript)]
    pub fn cursor(&self, index: usize, side: Option<String>) -> Result<Cursor, JsValue> {
        let side = self::side(side)?;
        read(&self.shared, |d| {
            Cursor(self.handle.read(d).cursor(index, side))
        })
    }

    /// Where `cursor` is now, or `undefined`.
    pub fn resolve(&self, cursor: &Cursor) -> Result<Option<usize>, JsValue> {
        read(&self.shared, |d| self.handle.read(d).resolve(&cursor.0))
    }
}

#[wasm_bindgen]
impl DocMap {
    /// Sets `key` to `value` (null, boolean, number, bigint, string or
    /// Uint8Array). Among concurrent writes the latest wins.
    pub fn set(
        &self,
        key: &str,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<(), JsValue> {
        let v = to_value(&value)?;
        edit(&self.shared, |tx| self.handle.lww(key).set(tx, v).map(drop))
    }

    /// The entry at `key`: a value, a container object, or `undefined`.
    #[wasm_bindgen(unchecked_return_type = "Item | undefined")]
    pub fn get(&self, key: &str) -> Result<JsValue, JsValue> {
        read(&self.shared, |d| {
            match self.handle.read(d).and_then(|m| m.get(key)) {
                Some(r) => from_ref(&self.shared, r, Nested::Key(&self.handle, key)),
                None => JsValue::UNDEFINED,
            }
        })
    }

    /// Removes `key` and what it holds; returns whether it was present.
    pub fn delete(&self, key: &str) -> Result<bool, JsValue> {
        edit(&self.shared, |tx| self.handle.remove(tx, key))
    }

    /// Whether `key` holds something.
    pub fn has(&self, key: &str) -> Result<bool, JsValue> {
        read(&self.shared, |d| {
            self.handle.read(d).is_some_and(|m| m.get(key).is_some())
        })
    }

    /// The keys, sorted.
    pub fn keys(&self) -> Result<Vec<String>, JsValue> {
        read(&self.shared, |d| self.handle.keys(d))
    }

    /// The number of keys.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> Result<usize, JsValue> {
        read(&self.shared, |d| self.handle.read(d).map_or(0, |m| m.len()))
    }

    /// The map as plain JavaScript data.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "{ [key: string]: Plain }")]
    pub fn to_json(&self) -> Result<JsValue, JsValue> {
        read(&self.shared, |d| match self.handle.read(d) {
            Some(m) => js::from_map(&m),
            None => Object::new().into(),
        })
    }

    /// The map at `key` (created by its first edit).
    #[wasm_bindgen(js_name = getMap)]
    pub fn get_map(&self, key: &str) -> DocMap {
        DocMap::new(&self.shared, self.handle.map(key))
    }

    /// The list at `key`.
    #[wasm_bindgen(js_name = getList)]
    pub fn get_list(&self, key: &str) -> DocList {
        DocList::new(&self.shared, self.handle.list(key))
    }

    /// The text at `key`.
    #[wasm_bindgen(js_name = getText)]
    pub fn get_text(&self, key: &str) -> DocText {
        DocText::new(&self.shared, self.handle.text(key))
    }

    /// The counter at `key`.
    #[wasm_bindgen(js_name = getCounter)]
    pub fn get_counter(&self, key: &str) -> DocCounter {
        DocCounter::new(&self.shared, self.handle.counter(key))
    }

    /// The add-wins set at `key` (an add concurrent with a delete wins).
    #[wasm_bindgen(js_name = getSet)]
    pub fn get_set(&self, key: &str) -> DocSet {
        DocSet::add_wins(&self.shared, self.handle.aw_set(key))
    }

    /// The remove-wins set at `key` (a delete concurrent with an add wins).
    #[wasm_bindgen(js_name = getRemoveWinsSet)]
    pub fn get_remove_wins_set(&self, key: &str) -> DocSet {
        DocSet::remove_wins(&self.shared, self.handle.rw_set(key))
    }

    /// The multi-value register at `key`.
    #[wasm_bindgen(js_name = getMultiValue)]
    pub fn get_multi_value(&self, key: &str) -> DocMultiValue {
        DocMultiValue::new(&self.shared, self.handle.mv(key))
    }
}

/// The value of a counter, checked to be a whole number.
fn whole(n: f64) -> Result<i64, JsValue> {
    if n.fract() != 0.0 || n.abs() > ((1u64 << 53) - 1) as f64 {
        // (No float formatting: it would add 14 KB to the module.)
        return Err(error("expected a safe integer (Number.isSafeInteger)"));
    }
    Ok(n as i64)
}

#[wasm_bindgen]
impl DocCounter {
    /// Adds `by` (1 when left out; negative to subtract).
    pub fn increment(&self, by: Option<f64>) -> Result<(), JsValue> {
        let by = whole(by.unwrap_or(1.0))?;
        edit(&self.shared, |tx| self.handle.add(tx, by))
    }

    /// Subtracts `by` (1 when left out).
    pub fn decrement(&self, by: Option<f64>) -> Result<(), JsValue> {
        let by = whole(by.unwrap_or(1.0))?;
        edit(&self.shared, |tx| self.handle.add(tx, -by))
    }

    /// The current value.
    #[wasm_bindgen(getter)]
    pub fn value(&self) -> Result<f64, JsValue> {
        read(&self.shared, |d| self.handle.value(d) as f64)
    }

    /// The value (what `JSON.stringify` uses).
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> Result<f64, JsValue> {
        self.value()
    }
}

#[wasm_bindgen]
impl DocMultiValue {
    /// Replaces every value this replica has seen with `value`.
    pub fn set(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<(), JsValue> {
        let v = to_value(&value)?;
        edit(&self.shared, |tx| self.handle.set(tx, v))
    }

    /// Removes every value this replica has seen.
    pub fn clear(&self) -> Result<(), JsValue> {
        edit(&self.shared, |tx| self.handle.clear(tx))
    }

    /// The current values: one, or several written concurrently.
    #[wasm_bindgen(unchecked_return_type = "Value[]")]
    pub fn values(&self) -> Result<Array, JsValue> {
        read(&self.shared, |d| {
            self.handle.values(d).into_iter().map(from_value).collect()
        })
    }

    /// The values (what `JSON.stringify` uses).
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "Value[]")]
    pub fn to_json(&self) -> Result<Array, JsValue> {
        self.values()
    }
}

/// Which set a `DocSet` is.
enum SetHandle {
    AddWins(AwSetHandle),
    RemoveWins(RwSetHandle),
}

/// A set of values. Add-wins (`getSet`): an add concurrent with a delete
/// of the same value wins; remove-wins (`getRemoveWinsSet`): the delete
/// wins.
#[wasm_bindgen]
pub struct DocSet {
    shared: Shared,
    handle: SetHandle,
}

impl DocSet {
    pub(crate) fn add_wins(shared: &Shared, h: AwSetHandle) -> Self {
        DocSet {
            shared: shared.clone(),
            handle: SetHandle::AddWins(h),
        }
    }

    pub(crate) fn remove_wins(shared: &Shared, h: RwSetHandle) -> Self {
        DocSet {
            shared: shared.clone(),
            handle: SetHandle::RemoveWins(h),
        }
    }

    fn values_in(&self, d: &converge_core::Doc) -> Vec<converge_core::Value> {
        let set = match &self.handle {
            SetHandle::AddWins(h) => h.read(d),
            SetHandle::RemoveWins(h) => h.read(d),
        };
        set.map(|s| s.iter().cloned().collect()).unwrap_or_default()
    }
}

#[wasm_bindgen]
impl DocSet {
    /// Adds `value`.
    pub fn add(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<(), JsValue> {
        let v = to_value(&value)?;
        edit(&self.shared, |tx| match &self.handle {
            SetHandle::AddWins(h) => h.insert(tx, v),
            SetHandle::RemoveWins(h) => h.insert(tx, v),
        })
    }

    /// Deletes `value`.
    pub fn delete(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<(), JsValue> {
        let v = to_value(&value)?;
        edit(&self.shared, |tx| match &self.handle {
            SetHandle::AddWins(h) => h.remove(tx, v),
            SetHandle::RemoveWins(h) => h.remove(tx, v),
        })
    }

    /// Whether `value` is in the set.
    pub fn has(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<bool, JsValue> {
        let v = to_value(&value)?;
        read(&self.shared, |d| match &self.handle {
            SetHandle::AddWins(h) => h.contains(d, &v),
            SetHandle::RemoveWins(h) => h.contains(d, &v),
        })
    }

    /// The values, sorted.
    #[wasm_bindgen(unchecked_return_type = "Value[]")]
    pub fn values(&self) -> Result<Array, JsValue> {
        read(&self.shared, |d| {
            self.values_in(d).iter().map(from_value).collect()
        })
    }

    /// The number of values.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> Result<usize, JsValue> {
        read(&self.shared, |d| self.values_in(d).len())
    }

    /// The values (what `JSON.stringify` uses).
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "Value[]")]
    pub fn to_json(&self) -> Result<Array, JsValue> {
        self.values()
    }
}
