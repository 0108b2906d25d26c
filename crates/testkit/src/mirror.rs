//! A mirror of a document built only from its change events: what an
//! application's view does. The events are right when the mirror equals
//! the document's value after every event.

use std::collections::{BTreeMap, BTreeSet};

use converge_core::{
    Change, ChangeKind, DocEvent, DocValue, Kind, ListItem, PathSeg, SeqStep, Value,
};

/// The plain value of a document, maintained from its events.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mirror {
    /// The root map.
    pub root: BTreeMap<String, DocValue>,
    /// Text steps count UTF-16 code units (a document with
    /// `Doc::set_utf16_events(true)`), as a JavaScript string would.
    pub utf16: bool,
}

/// The value of an empty container of `kind`.
pub fn empty(kind: Kind) -> DocValue {
    match kind {
        Kind::Map => DocValue::Map(BTreeMap::new()),
        Kind::AwSet | Kind::RwSet => DocValue::Set(BTreeSet::new()),
        Kind::Counter => DocValue::Counter(0),
        Kind::MvRegister => DocValue::Values(Vec::new()),
        Kind::List => DocValue::List(Vec::new()),
        Kind::Text => DocValue::Text(String::new()),
        _ => DocValue::Register(Value::Null),
    }
}

fn at<'a>(root: &'a mut BTreeMap<String, DocValue>, path: &[PathSeg]) -> &'a mut DocValue {
    let (first, rest) = path.split_first().expect("a path");
    let PathSeg::Key(k) = first else {
        panic!("a path starts with a key: {path:?}")
    };
    let mut v = root
        .get_mut(k)
        .unwrap_or_else(|| panic!("no {k} for {path:?}"));
    for seg in rest {
        v = match (v, seg) {
            (DocValue::Map(m), PathSeg::Key(k)) => m
                .get_mut(k)
                .unwrap_or_else(|| panic!("no {k} for {path:?}")),
            (DocValue::List(l), PathSeg::Index(i)) => l
                .get_mut(*i)
                .unwrap_or_else(|| panic!("no item {i} for {path:?}")),
            (v, seg) => panic!("{seg:?} of {v:?} for {path:?}"),
        };
    }
    v
}

fn steps<T>(items: &mut Vec<T>, steps: Vec<SeqStep<Vec<T>>>) {
    let mut at = 0;
    for step in steps {
        match step {
            SeqStep::Retain(n) => at += n,
            SeqStep::Insert(new) => {
                let n = new.len();
                items.splice(at..at, new);
                at += n;
            }
            SeqStep::Delete(n) => {
                items.drain(at..at + n);
            }
        }
    }
}

impl Mirror {
    /// Applies every change of `event`, in order.
    pub fn apply(&mut self, event: &DocEvent) {
        for c in &event.changes {
            self.apply_change(c);
        }
    }

    /// Applies one change.
    pub fn apply_change(&mut self, c: &Change) {
        let key_change = |root: &mut BTreeMap<String, DocValue>, new: Option<DocValue>| {
            let (last, parents) = c.path.split_last().expect("a path");
            let PathSeg::Key(key) = last else {
                panic!("a key change names a key: {c:?}")
            };
            let map = if parents.is_empty() {
                root
            } else {
                match at(root, parents) {
                    DocValue::Map(m) => m,
                    other => panic!("a key change in {other:?}: {c:?}"),
                }
            };
            match new {
                Some(v) => {
                    map.insert(key.clone(), v);
                }
                None => {
                    map.remove(key);
                }
            }
        };
        match &c.kind {
            ChangeKind::Inserted(k) => key_change(&mut self.root, Some(empty(*k))),
            ChangeKind::Replaced { to, .. } => key_change(&mut self.root, Some(empty(*to))),
            ChangeKind::Removed(_) => key_change(&mut self.root, None),
            ChangeKind::Counter { new, .. } => match at(&mut self.root, &c.path) {
                v @ DocValue::Counter(_) => *v = DocValue::Counter(*new),
                other => panic!("a counter change on {other:?}: {c:?}"),
            },
            ChangeKind::Register { new, .. } => match at(&mut self.root, &c.path) {
                v @ DocValue::Values(_) => *v = DocValue::Values(new.clone()),
                v @ DocValue::Register(_) => {
                    *v = DocValue::Register(new.first().cloned().unwrap_or(Value::Null))
                }
                other => panic!("a register change on {other:?}: {c:?}"),
            },
            ChangeKind::SetInserted(x) => match at(&mut self.root, &c.path) {
                DocValue::Set(s) => assert!(s.insert(x.clone()), "{c:?} twice"),
                other => panic!("a set change on {other:?}: {c:?}"),
            },
            ChangeKind::SetRemoved(x) => match at(&mut self.root, &c.path) {
                DocValue::Set(s) => assert!(s.remove(x), "{c:?} of a missing element"),
                other => panic!("a set change on {other:?}: {c:?}"),
            },
            ChangeKind::Text(s) => match at(&mut self.root, &c.path) {
                DocValue::Text(t) if self.utf16 => {
                    let mut units: Vec<u16> = t.encode_utf16().collect();
                    let s = s
                        .iter()
                        .map(|step| match step {
                            SeqStep::Retain(n) => SeqStep::Retain(*n),
                            SeqStep::Delete(n) => SeqStep::Delete(*n),
                            SeqStep::Insert(s) => SeqStep::Insert(s.encode_utf16().collect()),
                        })
                        .collect();
                    steps(&mut units, s);
                    *t = String::from_utf16(&units)
                        .unwrap_or_else(|_| panic!("{c:?} splits a surrogate pair"));
                }
                DocValue::Text(t) => {
                    let mut chars: Vec<char> = t.chars().collect();
                    let s = s
                        .iter()
                        .map(|step| match step {
                            SeqStep::Retain(n) => SeqStep::Retain(*n),
                            SeqStep::Delete(n) => SeqStep::Delete(*n),
                            SeqStep::Insert(s) => SeqStep::Insert(s.chars().collect()),
                        })
                        .collect();
                    steps(&mut chars, s);
                    *t = chars.into_iter().collect();
                }
                other => panic!("a text change on {other:?}: {c:?}"),
            },
            ChangeKind::List(s) => match at(&mut self.root, &c.path) {
                DocValue::List(l) => {
                    let s = s
                        .iter()
                        .map(|step| match step {
                            SeqStep::Retain(n) => SeqStep::Retain(*n),
                            SeqStep::Delete(n) => SeqStep::Delete(*n),
                            SeqStep::Insert(items) => SeqStep::Insert(
                                items
                                    .iter()
                                    .map(|i| match i {
                                        ListItem::Value(v) => DocValue::Scalar(v.clone()),
                                        ListItem::Container(k) => empty(*k),
                                    })
                                    .collect(),
                            ),
                        })
                        .collect();
                    steps(l, s);
                }
                other => panic!("a list change on {other:?}: {c:?}"),
            },
            other => panic!("an unknown change {other:?}"),
        }
    }
}
