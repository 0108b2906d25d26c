//! Conversions between converge's Rust types and plain JavaScript values,
//! and the one place where errors become JavaScript `Error`s.

use converge_core::{
    Change, ChangeKind, DocError, DocEvent, Kind, ListItem, ListRef, ListStep, MapRef, Origin,
    PathSeg, ReplicaId, SeqStep, TextStep, Value, ValueRef, VersionVector,
};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The largest integer a JavaScript number holds exactly.
const MAX_SAFE: i64 = (1 << 53) - 1;

/// A JavaScript `Error` with `message`.
pub(crate) fn error(message: &str) -> JsValue {
    js_sys::Error::new(message).into()
}

/// A core error as a JavaScript `Error` whose message says what was wrong.
pub(crate) fn doc_error(e: DocError) -> JsValue {
    error(&e.to_string())
}

/// Sets `obj[key] = value` on a plain object we just made, for the
/// binding's own keys.
pub(crate) fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    // Setting a property on a fresh plain object cannot throw.
    let _ = Reflect::set(obj, &JsValue::from_str(key), &value.into());
}

/// Defines `obj[key] = value` as an own data property: for keys that come
/// from documents, where an assignment to `"__proto__"` would call the
/// inherited setter and replace the object's prototype.
fn define(obj: &Object, key: &str, value: JsValue) {
    let descriptor = Object::new();
    set(&descriptor, "value", value);
    set(&descriptor, "writable", true);
    set(&descriptor, "enumerable", true);
    set(&descriptor, "configurable", true);
    let _ = Reflect::define_property(obj, &JsValue::from_str(key), &descriptor);
}

/// A JavaScript value as a register or list value. Plain values only:
/// containers are made with the `insertMap`/`getText`-style methods.
pub(crate) fn to_value(v: &JsValue) -> Result<Value, JsValue> {
    if v.is_null() || v.is_undefined() {
        return Ok(Value::Null);
    }
    if let Some(b) = v.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(n) = v.as_f64() {
        let whole = n.fract() == 0.0 && n.abs() <= MAX_SAFE as f64;
        return Ok(if whole {
            Value::Int(n as i64)
        } else {
            Value::Float(n)
        });
    }
    if let Some(s) = v.as_string() {
        return Ok(Value::Str(s));
    }
    if v.is_bigint() {
        let b: js_sys::BigInt = v.clone().unchecked_into();
        return i64::try_from(b)
            .map(Value::Int)
            .map_err(|_| error("a bigint value must fit in 64 signed bits"));
    }
    if let Some(bytes) = v.dyn_ref::<Uint8Array>() {
        return Ok(Value::Bytes(bytes.to_vec()));
    }
    Err(error(
        "unsupported value: use null, a boolean, a number, a bigint, a string or a Uint8Array \
         (objects and arrays go in containers: map.getMap(key), map.getList(key))",
    ))
}

/// A register or list value as a JavaScript value. Integers beyond what a
/// number holds exactly become bigints.
pub(crate) fn from_value(v: &Value) -> JsValue {
    match v {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Int(i) if (-MAX_SAFE..=MAX_SAFE).contains(i) => JsValue::from_f64(*i as f64),
        Value::Int(i) => js_sys::BigInt::from(*i).into(),
        Value::Float(f) => JsValue::from_f64(*f),
        Value::Str(s) => JsValue::from_str(s),
        Value::Bytes(b) => Uint8Array::from(b.as_slice()).into(),
    }
}

/// A read-only copy of a document part as plain JavaScript data (what
/// `toJSON()` returns): maps become objects, lists and sets arrays, texts
/// strings, counters numbers, multi-value registers arrays of values.
/// Walked straight from the document's views: going through `DocValue`
/// put a `BTreeMap` and a `BTreeSet` instance in the module for nothing.
pub(crate) fn from_view(v: ValueRef<'_>) -> JsValue {
    match v {
        ValueRef::Map(m) => from_map(&m),
        ValueRef::AwSet(s) | ValueRef::RwSet(s) => {
            s.iter().map(from_value).collect::<Array>().into()
        }
        ValueRef::Counter(n) => from_value(&Value::Int(n)),
        ValueRef::MvRegister(vs) => vs.into_iter().map(from_value).collect::<Array>().into(),
        ValueRef::LwwRegister(v) => from_value(v),
        ValueRef::List(l) => from_list(&l),
        ValueRef::Text(t) => JsValue::from_str(&t.to_string()),
        _ => JsValue::UNDEFINED,
    }
}

/// A map as a plain object: its visible keys, sorted, recursively.
pub(crate) fn from_map(m: &MapRef<'_>) -> JsValue {
    let obj = Object::new();
    for k in m.keys() {
        if let Some(v) = m.get(k) {
            define(&obj, k, from_view(v));
        }
    }
    obj.into()
}

/// A list as a plain array: values, and containers recursively.
pub(crate) fn from_list(l: &ListRef<'_>) -> JsValue {
    l.iter()
        .enumerate()
        .map(|(i, item)| match item {
            ListItem::Value(v) => from_value(v),
            ListItem::Container(_) => l.container(i).map_or(JsValue::UNDEFINED, from_view),
        })
        .collect::<Array>()
        .into()
}

/// The name JavaScript sees for a container kind.
pub(crate) fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Map => "map",
        Kind::AwSet => "set",
        Kind::RwSet => "removeWinsSet",
        Kind::Counter => "counter",
        Kind::MvRegister => "multiValue",
        Kind::LwwRegister => "register",
        Kind::List => "list",
        Kind::Text => "text",
        _ => "unknown",
    }
}

/// A replica id as JavaScript sees it: 16 hexadecimal digits.
pub(crate) fn replica_name(r: ReplicaId) -> String {
    r.to_string()
}

/// A replica id from 16 (or fewer) hexadecimal digits.
pub(crate) fn parse_replica(s: &str) -> Result<ReplicaId, JsValue> {
    if s.is_empty() || s.len() > 16 {
        return Err(error(
            &[
                "replica id \"",
                s,
                "\": expected 1 to 16 hexadecimal digits",
            ]
            .concat(),
        ));
    }
    u64::from_str_radix(s, 16)
        .map(ReplicaId::new)
        .map_err(|_| error(&["replica id \"", s, "\": not hexadecimal"].concat()))
}

/// A version vector as a plain object: `{ "<replica id>": counter }`.
pub(crate) fn from_version(vv: &VersionVector) -> JsValue {
    let obj = Object::new();
    for (r, c) in vv.iter() {
        define(&obj, &replica_name(r), from_value(&Value::Int(c as i64)));
    }
    obj.into()
}

/// A version vector from the plain object [`from_version`] makes.
/// `undefined` or `null` is the empty version (everything is lacking).
pub(crate) fn to_version(v: &JsValue) -> Result<VersionVector, JsValue> {
    if v.is_null() || v.is_undefined() {
        return Ok(VersionVector::default());
    }
    let obj: &Object = v
        .dyn_ref()
        .ok_or_else(|| error("a version is an object of replica id → counter"))?;
    let mut entries = Vec::new();
    for pair in Object::entries(obj).iter() {
        let pair: Array = pair.unchecked_into();
        let key = pair.get(0).as_string().unwrap_or_default();
        let replica = parse_replica(&key)?;
        let value = pair.get(1);
        let counter = match value.as_f64() {
            Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= MAX_SAFE as f64 => n as u64,
            _ if value.is_bigint() => u64::try_from(value.unchecked_into::<js_sys::BigInt>())
                .map_err(|_| error(&format!("version entry {key}: not a 64-bit counter")))?,
            _ => {
                return Err(error(&format!(
                    "version entry {key}: expected a non-negative integer"
                )))
            }
        };
        entries.push((replica, counter));
    }
    Ok(VersionVector::from_entries(entries))
}

/// A change event as a plain object:
/// `{ origin: "local" | "remote", changes: [...] }` (see `index.d.ts`).
pub(crate) fn from_event(ev: &DocEvent) -> JsValue {
    let obj = Object::new();
    let origin = match ev.origin {
        Origin::Local => "local",
        Origin::Remote => "remote",
    };
    set(&obj, "origin", origin);
    let changes: Array = ev.changes.iter().map(from_change).collect();
    set(&obj, "changes", changes);
    obj.into()
}

fn from_change(c: &Change) -> JsValue {
    let obj = Object::new();
    let path: Array = c
        .path
        .iter()
        .map(|seg| match seg {
            PathSeg::Key(k) => JsValue::from_str(k),
            PathSeg::Index(i) => JsValue::from_f64(*i as f64),
        })
        .collect();
    set(&obj, "path", path);
    let values = |vs: &[Value]| vs.iter().map(from_value).collect::<Array>();
    match &c.kind {
        ChangeKind::Inserted(k) => {
            set(&obj, "kind", "inserted");
            set(&obj, "type", kind_name(*k));
        }
        ChangeKind::Removed(k) => {
            set(&obj, "kind", "removed");
            set(&obj, "type", kind_name(*k));
        }
        ChangeKind::Replaced { from, to } => {
            set(&obj, "kind", "replaced");
            set(&obj, "from", kind_name(*from));
            set(&obj, "to", kind_name(*to));
        }
        ChangeKind::Counter { old, new } => {
            set(&obj, "kind", "counter");
            set(&obj, "old", from_value(&Value::Int(*old)));
            set(&obj, "new", from_value(&Value::Int(*new)));
        }
        ChangeKind::Register { old, new } => {
            set(&obj, "kind", "register");
            set(&obj, "old", values(old));
            set(&obj, "new", values(new));
        }
        ChangeKind::SetInserted(v) => {
            set(&obj, "kind", "setInserted");
            set(&obj, "value", from_value(v));
        }
        ChangeKind::SetRemoved(v) => {
            set(&obj, "kind", "setRemoved");
            set(&obj, "value", from_value(v));
        }
        ChangeKind::Text(steps) => {
            set(&obj, "kind", "text");
            set(&obj, "steps", text_steps(steps));
        }
        ChangeKind::List(steps) => {
            set(&obj, "kind", "list");
            set(&obj, "steps", list_steps(steps));
        }
        _ => set(&obj, "kind", "unknown"),
    }
    obj.into()
}

fn step(key: &str, value: impl Into<JsValue>) -> JsValue {
    let obj = Object::new();
    set(&obj, key, value);
    obj.into()
}

fn text_steps(steps: &[TextStep]) -> Array {
    steps
        .iter()
        .map(|s| match s {
            SeqStep::Retain(n) => step("retain", *n as f64),
            SeqStep::Insert(t) => step("insert", t.as_str()),
            SeqStep::Delete(n) => step("delete", *n as f64),
        })
        .collect()
}

fn list_steps(steps: &[ListStep]) -> Array {
    steps
        .iter()
        .map(|s| match s {
            SeqStep::Retain(n) => step("retain", *n as f64),
            SeqStep::Insert(items) => {
                let items: Array = items.iter().map(from_list_item).collect();
                step("insert", items)
            }
            SeqStep::Delete(n) => step("delete", *n as f64),
        })
        .collect()
}

/// An inserted list item in an event: its value, or `{ type: "<kind>" }`
/// for a nested container (read it through the list).
fn from_list_item(item: &ListItem) -> JsValue {
    match item {
        ListItem::Value(v) => from_value(v),
        ListItem::Container(k) => step("type", kind_name(*k)),
    }
}
