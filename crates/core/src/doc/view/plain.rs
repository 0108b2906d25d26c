//! The plain form of documents for serde: maps as maps, sets and lists as
//! sequences, counters and registers as their values, texts as strings.
//! It is what `to_json` produces (Automerge's and Loro's `toJSON`), and
//! it serializes the read views without copying them.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use super::{DocValue, ListRef, MapRef, SetRef, TextRef, ValueRef};
use crate::doc::model::item::ListItem;
use crate::value::Value;

/// A value in its plain form: `null`, a boolean, a number, a string or
/// bytes (the derived form, used on the wire, tags the variant).
struct Plain<'a>(&'a Value);

impl Serialize for Plain<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Float(f) => s.serialize_f64(*f),
            Value::Str(t) => s.serialize_str(t),
            Value::Bytes(b) => s.serialize_bytes(b),
        }
    }
}

impl Serialize for DocValue {
    /// The plain form: maps as maps, sets and lists as sequences, a
    /// counter as a number, a last-writer-wins register as its value, a
    /// multi-value register as the sequence of its values, a text as a
    /// string.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            DocValue::Map(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            DocValue::Set(set) => s.collect_seq(set.iter().map(Plain)),
            DocValue::Counter(c) => s.serialize_i64(*c),
            DocValue::Values(vs) => s.collect_seq(vs.iter().map(Plain)),
            DocValue::Register(v) | DocValue::Scalar(v) => Plain(v).serialize(s),
            DocValue::List(items) => s.collect_seq(items),
            DocValue::Text(t) => s.serialize_str(t),
        }
    }
}

impl Serialize for MapRef<'_> {
    /// The map's plain form (see [`DocValue`]), without copying it.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for key in self.keys() {
            if let Some(v) = self.get(key) {
                map.serialize_entry(key, &v)?;
            }
        }
        map.end()
    }
}

impl Serialize for ValueRef<'_> {
    /// The container's plain form (see [`DocValue`]).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ValueRef::Map(m) => m.serialize(s),
            ValueRef::AwSet(set) | ValueRef::RwSet(set) => set.serialize(s),
            ValueRef::Counter(c) => s.serialize_i64(*c),
            ValueRef::MvRegister(vs) => s.collect_seq(vs.iter().map(|v| Plain(v))),
            ValueRef::LwwRegister(v) => Plain(v).serialize(s),
            ValueRef::List(l) => l.serialize(s),
            ValueRef::Text(t) => t.serialize(s),
        }
    }
}

impl Serialize for SetRef<'_> {
    /// The elements, sorted, in their plain form.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(Plain))
    }
}

impl Serialize for TextRef<'_> {
    /// The text as a string.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Serialize for ListRef<'_> {
    /// The items: plain values, and containers in their plain form.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for (i, item) in self.iter().enumerate() {
            match item {
                ListItem::Value(v) => seq.serialize_element(&Plain(v))?,
                ListItem::Container(_) => match self.container(i) {
                    Some(c) => seq.serialize_element(&c)?,
                    None => seq.serialize_element(&())?,
                },
            }
        }
        seq.end()
    }
}

impl Serialize for crate::Doc {
    /// The document's plain form: its root map (see [`DocValue`]).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.root().serialize(s)
    }
}

#[cfg(feature = "json")]
impl crate::Doc {
    /// The document as JSON, the way Automerge's and Loro's `toJSON` give
    /// it: maps as objects, sets and lists as arrays, counters and
    /// registers as their values (a multi-value register as an array),
    /// texts as strings, bytes as arrays of numbers. (`json` feature.)
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a document is plain data")
    }
}

#[cfg(feature = "json")]
impl DocValue {
    /// This value as JSON (see [`Doc::to_json`](crate::Doc::to_json)).
    /// (`json` feature.)
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a document value is plain data")
    }
}
