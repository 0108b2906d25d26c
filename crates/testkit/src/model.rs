//! Reference model of a document: the documented semantics restated over
//! an explicit history of operations and their causal pasts, with no dot
//! stores, no deltas and no optimizations.
//!
//! An operation `r` *supersedes* an earlier operation `o` it has seen
//! (`o` in the causal past of `r`) when:
//! - `r` removes a key on `o`'s path;
//! - `r` puts a container of another kind at a key on `o`'s path;
//! - `r` is a write to the same register, an add or remove of the same set
//!   element, or an increment of the same counter by the same replica.
//!
//! A value is what the live (not superseded) operations contribute. A
//! counter's contribution from a replica is the running total that replica
//! had at its latest live increment: each increment adds its amount to the
//! total of the replica's previous increment if that one was still live
//! when it was made (not removed or replaced by an operation its author had
//! seen).

use std::collections::{BTreeMap, BTreeSet};

use converge_core::{DocValue, Dot, Kind, Value, VersionVector};

/// What an operation did.
#[derive(Clone, Debug, PartialEq)]
pub enum OpKind {
    /// Counter add.
    Counter(i64),
    /// Last-writer-wins write (value, timestamp).
    Lww(Value, u64),
    /// Multi-value write.
    Mv(Value),
    /// Multi-value clear.
    MvClear,
    /// Add-wins insert.
    AwInsert(Value),
    /// Add-wins remove.
    AwRemove(Value),
    /// Remove-wins insert.
    RwInsert(Value),
    /// Remove-wins remove.
    RwRemove(Value),
    /// Removal of the last key of the path.
    RemoveKey,
}

impl OpKind {
    /// The container kind the operation writes (`None` for a removal).
    pub fn kind(&self) -> Option<Kind> {
        Some(match self {
            OpKind::Counter(_) => Kind::Counter,
            OpKind::Lww(..) => Kind::LwwRegister,
            OpKind::Mv(_) | OpKind::MvClear => Kind::MvRegister,
            OpKind::AwInsert(_) | OpKind::AwRemove(_) => Kind::AwSet,
            OpKind::RwInsert(_) | OpKind::RwRemove(_) => Kind::RwSet,
            OpKind::RemoveKey => return None,
        })
    }
}

/// One recorded operation.
#[derive(Clone, Debug)]
pub struct ModelOp {
    /// The dot the operation used.
    pub dot: Dot,
    /// The author's version just before the operation (its causal past).
    pub past: VersionVector,
    /// Keys from the root.
    pub path: Vec<String>,
    /// The kind at each level (`Map` for inner levels); one shorter than
    /// `path` for `RemoveKey`.
    pub kinds: Vec<Kind>,
    /// What it did.
    pub kind: OpKind,
}

impl ModelOp {
    fn element(&self) -> Option<&Value> {
        match &self.kind {
            OpKind::AwInsert(v)
            | OpKind::AwRemove(v)
            | OpKind::RwInsert(v)
            | OpKind::RwRemove(v) => Some(v),
            _ => None,
        }
    }

    fn is_register(&self) -> bool {
        matches!(self.kind, OpKind::Lww(..) | OpKind::Mv(_) | OpKind::MvClear)
    }
}

/// Whether `r` supersedes `o` apart from counter increments of one replica.
fn kills(r: &ModelOp, o: &ModelOp) -> bool {
    if r.dot == o.dot || !r.past.contains(o.dot) {
        return false;
    }
    if r.kind == OpKind::RemoveKey {
        return o.path.starts_with(&r.path);
    }
    let n = r.kinds.len().min(o.kinds.len());
    for i in 0..n {
        if r.path[i] != o.path[i] {
            return false;
        }
        if r.kinds[i] != o.kinds[i] {
            return true;
        }
    }
    if r.path != o.path || r.kinds != o.kinds || o.kind == OpKind::RemoveKey {
        return false;
    }
    if r.is_register() && o.is_register() {
        return true;
    }
    if let (Some(a), Some(b)) = (r.element(), o.element()) {
        return a == b;
    }
    false
}

/// The reference model: every operation ever made, with its causal past.
#[derive(Clone, Debug, Default)]
pub struct DocModel {
    ops: Vec<ModelOp>,
}

#[derive(Default)]
struct Tree {
    keys: BTreeMap<String, BTreeMap<Kind, Leaf>>,
}

enum Leaf {
    Map(Tree),
    Counter(i64),
    Lww(Vec<(u64, Dot, Value)>),
    Mv(Vec<(Dot, Value)>),
    Aw(BTreeSet<Value>),
    Rw(BTreeMap<Value, (usize, usize)>),
}

impl DocModel {
    /// Records an operation.
    pub fn record(&mut self, op: ModelOp) {
        self.ops.push(op);
    }

    /// Number of recorded operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The expected value of a replica that has seen exactly the operations
    /// inside `version`.
    pub fn value_at(&self, version: &VersionVector) -> BTreeMap<String, DocValue> {
        let known: Vec<&ModelOp> = self
            .ops
            .iter()
            .filter(|o| version.contains(o.dot))
            .collect();
        let live = |o: &ModelOp| !known.iter().any(|r| kills(r, o));
        let mut tree = Tree::default();
        // Counters: per (path, kinds, replica), the latest increment.
        let mut latest: BTreeMap<(Vec<String>, Vec<Kind>, u64), &ModelOp> = BTreeMap::new();
        for o in &known {
            if let OpKind::Counter(_) = o.kind {
                let key = (o.path.clone(), o.kinds.clone(), o.dot.replica.get());
                let e = latest.entry(key).or_insert(o);
                if o.dot.counter > e.dot.counter {
                    *e = o;
                }
            }
        }
        for ((path, kinds, replica), l) in &latest {
            if !live(l) {
                continue;
            }
            // The replica's increments of this counter, oldest first. Each
            // one's total is its own amount plus the total of the previous
            // one, if that one was still live when it was made (not removed
            // or replaced by an operation its author had seen).
            let mut chain: Vec<&ModelOp> = known
                .iter()
                .filter(|i| {
                    matches!(i.kind, OpKind::Counter(_))
                        && i.dot.replica.get() == *replica
                        && &i.path == path
                        && &i.kinds == kinds
                        && i.dot.counter <= l.dot.counter
                })
                .copied()
                .collect();
            chain.sort_by_key(|i| i.dot.counter);
            let mut total = 0i64;
            let mut prev: Option<&ModelOp> = None;
            for i in chain {
                let carried = match prev {
                    Some(p) => !known.iter().any(|r| {
                        i.past.contains(r.dot)
                            && !matches!(r.kind, OpKind::Counter(_) if r.path == p.path && r.kinds == p.kinds)
                            && kills(r, p)
                    }),
                    None => false,
                };
                let by = match i.kind {
                    OpKind::Counter(by) => by,
                    _ => 0,
                };
                total = by + if carried { total } else { 0 };
                prev = Some(i);
            }
            match tree.leaf(path, kinds, || Leaf::Counter(0)) {
                Leaf::Counter(c) => *c += total,
                _ => unreachable!(),
            }
        }
        for o in known.iter().filter(|o| live(o)) {
            match &o.kind {
                OpKind::Lww(v, ts) => {
                    if let Leaf::Lww(vals) = tree.leaf(&o.path, &o.kinds, || Leaf::Lww(Vec::new()))
                    {
                        vals.push((*ts, o.dot, v.clone()));
                    }
                }
                OpKind::Mv(v) => {
                    if let Leaf::Mv(vals) = tree.leaf(&o.path, &o.kinds, || Leaf::Mv(Vec::new())) {
                        vals.push((o.dot, v.clone()));
                    }
                }
                OpKind::AwInsert(v) => {
                    if let Leaf::Aw(s) = tree.leaf(&o.path, &o.kinds, || Leaf::Aw(BTreeSet::new()))
                    {
                        s.insert(v.clone());
                    }
                }
                OpKind::RwInsert(v) | OpKind::RwRemove(v) => {
                    let add = matches!(o.kind, OpKind::RwInsert(_));
                    if let Leaf::Rw(s) = tree.leaf(&o.path, &o.kinds, || Leaf::Rw(BTreeMap::new()))
                    {
                        let e = s.entry(v.clone()).or_insert((0, 0));
                        if add {
                            e.0 += 1;
                        } else {
                            e.1 += 1;
                        }
                    }
                }
                _ => {}
            }
        }
        tree.value()
    }
}

impl Tree {
    fn leaf(&mut self, path: &[String], kinds: &[Kind], make: impl FnOnce() -> Leaf) -> &mut Leaf {
        let slot = self.keys.entry(path[0].clone()).or_default();
        if path.len() == 1 {
            return slot.entry(kinds[0]).or_insert_with(make);
        }
        match slot
            .entry(Kind::Map)
            .or_insert_with(|| Leaf::Map(Tree::default()))
        {
            Leaf::Map(t) => t.leaf(&path[1..], &kinds[1..], make),
            _ => unreachable!(),
        }
    }

    fn value(&self) -> BTreeMap<String, DocValue> {
        self.keys
            .iter()
            .filter_map(|(k, kinds)| {
                // The first kind that holds something visible: a map of
                // nothing and a remove-wins set of removals read as absent.
                let (_, leaf) = kinds.iter().find(|(_, leaf)| leaf.is_live())?;
                Some((k.clone(), leaf.value()))
            })
            .collect()
    }
}

impl Leaf {
    fn is_live(&self) -> bool {
        match self {
            Leaf::Map(t) => !t.value().is_empty(),
            Leaf::Rw(s) => s.values().any(|(a, r)| *a > 0 && *r == 0),
            _ => true,
        }
    }

    fn value(&self) -> DocValue {
        match self {
            Leaf::Map(t) => DocValue::Map(t.value()),
            Leaf::Counter(c) => DocValue::Counter(*c),
            Leaf::Lww(vals) => {
                let best = vals
                    .iter()
                    .max_by(|a, b| {
                        (a.0, a.1.replica, a.1.counter).cmp(&(b.0, b.1.replica, b.1.counter))
                    })
                    .expect("a live register has a write");
                DocValue::Register(best.2.clone())
            }
            Leaf::Mv(vals) => {
                let mut v = vals.clone();
                v.sort_by_key(|e| e.0);
                DocValue::Values(v.into_iter().map(|e| e.1).collect())
            }
            Leaf::Aw(s) => DocValue::Set(s.clone()),
            Leaf::Rw(s) => DocValue::Set(
                s.iter()
                    .filter(|(_, (a, r))| *a > 0 && *r == 0)
                    .map(|(v, _)| v.clone())
                    .collect(),
            ),
        }
    }
}
