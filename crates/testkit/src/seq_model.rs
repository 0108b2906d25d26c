//! A naive reference for the sequence CRDT: a plain vector of items, one
//! per character, with the same ordering rules (FugueMax in its YjsMod
//! form) written the obvious way, and a runner that checks `Doc` texts
//! against it under random concurrent edits, random delivery order and
//! duplicates.

use converge_core::{ApplyOutcome, Doc, ReplicaId};

use crate::rng::Rng;

/// An item id: (replica, counter).
pub type Id = (u64, u64);

/// One character with its origins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefItem {
    /// Its id.
    pub id: Id,
    /// The item left of it when it was typed (`None`: the start).
    pub left: Option<Id>,
    /// The item right of it when it was typed (`None`: the end).
    pub right: Option<Id>,
    /// The character.
    pub ch: char,
    /// Whether it was deleted.
    pub deleted: bool,
}

/// The reference list: every item ever inserted, in order.
#[derive(Clone, Debug, Default)]
pub struct RefSeq {
    /// The items, deleted ones included.
    pub items: Vec<RefItem>,
}

impl RefSeq {
    fn index(&self, id: Id) -> usize {
        self.items
            .iter()
            .position(|i| i.id == id)
            .expect("origin present (causal delivery)")
    }

    fn has(&self, id: Id) -> bool {
        self.items.iter().any(|i| i.id == id)
    }

    /// The visible text.
    pub fn text(&self) -> String {
        self.items
            .iter()
            .filter(|i| !i.deleted)
            .map(|i| i.ch)
            .collect()
    }

    fn visible_index(&self, pos: usize) -> usize {
        self.items
            .iter()
            .enumerate()
            .filter(|(_, i)| !i.deleted)
            .nth(pos)
            .map(|(k, _)| k)
            .expect("in bounds")
    }

    /// Types `s` at visible `pos` with ids `(replica, first..)`; returns the
    /// items to send.
    pub fn local_insert(&mut self, pos: usize, replica: u64, first: u64, s: &str) -> Vec<RefItem> {
        let mut out = Vec::new();
        let mut left = if pos == 0 {
            None
        } else {
            Some(self.items[self.visible_index(pos - 1)].id)
        };
        for (k, ch) in s.chars().enumerate() {
            let at = match left {
                None => 0,
                Some(l) => self.index(l) + 1,
            };
            let right = self.items.get(at).map(|i| i.id);
            let item = RefItem {
                id: (replica, first + k as u64),
                left,
                right,
                ch,
                deleted: false,
            };
            self.items.insert(at, item.clone());
            out.push(item);
            left = Some((replica, first + k as u64));
        }
        out
    }

    /// Deletes `n` visible items from `pos`; returns their ids.
    pub fn local_delete(&mut self, pos: usize, n: usize) -> Vec<Id> {
        let mut ids = Vec::new();
        for _ in 0..n {
            let k = self.visible_index(pos);
            self.items[k].deleted = true;
            ids.push(self.items[k].id);
        }
        ids
    }

    /// Integrates a remote item (YjsMod, as in the reference-crdts code).
    pub fn integrate(&mut self, item: RefItem) {
        if self.has(item.id) {
            return;
        }
        let left = item.left.map_or(-1, |l| self.index(l) as isize);
        let right = item.right.map_or(self.items.len(), |r| self.index(r));
        let mut dest = (left + 1) as usize;
        let mut scanning = false;
        let mut i = dest;
        loop {
            if !scanning {
                dest = i;
            }
            if i == self.items.len() || i == right {
                break;
            }
            let other = &self.items[i];
            let oleft = other.left.map_or(-1, |l| self.index(l) as isize);
            let oright = other.right.map_or(self.items.len(), |r| self.index(r));
            if oleft < left || (oleft == left && oright == right && item.id.0 < other.id.0) {
                break;
            }
            if oleft == left {
                scanning = oright < right;
            }
            i += 1;
        }
        self.items.insert(dest, item);
    }

    /// Deletes an item by id (if present).
    pub fn delete(&mut self, id: Id) {
        if let Some(i) = self.items.iter_mut().find(|i| i.id == id) {
            i.deleted = true;
        }
    }
}

/// One message: a Doc delta and the same change for the reference.
#[derive(Clone, Debug)]
struct Msg {
    bytes: Vec<u8>,
    deps: Vec<(u64, u64)>,
    dots: (u64, u64, u64),
    inserts: Vec<RefItem>,
    deletes: Vec<Id>,
}

struct Replica {
    doc: Doc,
    reference: RefSeq,
    vv: Vec<(u64, u64)>,
    pending: Vec<Msg>,
}

fn vv_get(vv: &[(u64, u64)], r: u64) -> u64 {
    vv.iter().find(|e| e.0 == r).map_or(0, |e| e.1)
}

fn vv_set(vv: &mut Vec<(u64, u64)>, r: u64, c: u64) {
    match vv.iter_mut().find(|e| e.0 == r) {
        Some(e) => e.1 = e.1.max(c),
        None => vv.push((r, c)),
    }
}

impl Replica {
    fn ready(&self, m: &Msg) -> bool {
        m.deps.iter().all(|&(r, c)| vv_get(&self.vv, r) >= c)
    }

    fn apply_ref(&mut self, m: &Msg) {
        if vv_get(&self.vv, m.dots.0) >= m.dots.2 {
            return;
        }
        if !self.ready(m) {
            self.pending.push(m.clone());
            return;
        }
        for i in &m.inserts {
            self.reference.integrate(i.clone());
        }
        for d in &m.deletes {
            self.reference.delete(*d);
        }
        vv_set(&mut self.vv, m.dots.0, m.dots.2);
        while let Some(k) = self.pending.iter().position(|p| self.ready(p)) {
            let p = self.pending.remove(k);
            self.apply_ref(&p);
        }
    }
}

/// What a scenario did, for reports.
#[derive(Clone, Copy, Debug, Default)]
pub struct SeqScenarioStats {
    /// Local edits made.
    pub edits: usize,
    /// Messages delivered (duplicates included).
    pub deliveries: usize,
}

fn text_of(doc: &Doc) -> String {
    doc.root()
        .text("t")
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Runs a random scenario: `replicas` replicas edit one text, messages are
/// delivered in random order with duplicates; after every step each
/// replica's text must equal its reference, and at the end every replica
/// holds the same snapshot and text. Panics with the seed on a mismatch.
pub fn run_seq_scenario(seed: u64, replicas: usize, steps: usize) -> SeqScenarioStats {
    let mut rng = Rng::new(seed);
    let mut stats = SeqScenarioStats::default();
    let ids: Vec<u64> = (0..replicas).map(|_| rng.next_u64() >> 1).collect();
    let mut reps: Vec<Replica> = ids
        .iter()
        .map(|&id| Replica {
            doc: Doc::new(ReplicaId::new(id)),
            reference: RefSeq::default(),
            vv: Vec::new(),
            pending: Vec::new(),
        })
        .collect();
    let mut inflight: Vec<(usize, Msg)> = Vec::new();
    let alphabet: Vec<char> = "abcdefghijklmnopqrstuvwxyzé😀".chars().collect();
    for _ in 0..steps {
        if rng.chance(55) || inflight.is_empty() {
            // A local edit.
            let r = rng.below(replicas);
            let rep = &mut reps[r];
            let me = rep.doc.replica().get();
            let len = rep.reference.text().chars().count();
            let deps: Vec<(u64, u64)> = rep
                .doc
                .version()
                .iter()
                .map(|(k, c)| (k.get(), c))
                .collect();
            let first = rep.doc.version().get(rep.doc.replica()) + 1;
            let (bytes, inserts, deletes, last) = if len > 0 && rng.chance(30) {
                let pos = rng.below(len);
                let n = 1 + rng.below((len - pos).min(4));
                let mut tx = rep.doc.transact();
                tx.text("t").delete(pos, n).expect("in bounds");
                let bytes = tx.commit().expect("a change");
                let ids = rep.reference.local_delete(pos, n);
                (bytes, Vec::new(), ids, first)
            } else {
                let pos = rng.below(len + 1);
                let n = 1 + rng.below(4);
                let s: String = (0..n).map(|_| *rng.pick(&alphabet)).collect();
                let mut tx = rep.doc.transact();
                tx.text("t").insert(pos, &s).expect("in bounds");
                let bytes = tx.commit().expect("a change");
                let items = rep.reference.local_insert(pos, me, first, &s);
                (bytes, items, Vec::new(), first + n as u64 - 1)
            };
            vv_set(&mut rep.vv, me, last);
            stats.edits += 1;
            assert_eq!(
                text_of(&rep.doc),
                rep.reference.text(),
                "seed {seed}: local edit"
            );
            let msg = Msg {
                bytes,
                deps,
                dots: (me, first, last),
                inserts,
                deletes,
            };
            for to in 0..replicas {
                if to != r {
                    inflight.push((to, msg.clone()));
                }
            }
        } else {
            // Deliver a random in-flight message, sometimes keeping a duplicate.
            let k = rng.below(inflight.len());
            let (to, msg) = if rng.chance(15) {
                inflight[k].clone()
            } else {
                inflight.swap_remove(k)
            };
            let rep = &mut reps[to];
            let _: ApplyOutcome = rep.doc.apply(&msg.bytes).expect("valid delta");
            rep.apply_ref(&msg);
            stats.deliveries += 1;
            assert_eq!(
                text_of(&rep.doc),
                rep.reference.text(),
                "seed {seed}: delivery"
            );
        }
    }
    // Deliver everything left.
    rng.shuffle(&mut inflight);
    for (to, msg) in inflight {
        let rep = &mut reps[to];
        let _ = rep.doc.apply(&msg.bytes).expect("valid delta");
        rep.apply_ref(&msg);
        stats.deliveries += 1;
    }
    let snap = reps[0].doc.snapshot();
    let text = reps[0].reference.text();
    for (i, rep) in reps.iter().enumerate() {
        assert_eq!(
            rep.doc.pending_len(),
            0,
            "seed {seed}: replica {i} still waits"
        );
        assert_eq!(rep.reference.text(), text, "seed {seed}: references differ");
        assert_eq!(text_of(&rep.doc), text, "seed {seed}: replica {i} text");
        assert_eq!(
            rep.doc.snapshot(),
            snap,
            "seed {seed}: replica {i} snapshot"
        );
        rep.doc.check_invariants();
        let loaded =
            Doc::load(ReplicaId::new(u64::MAX - i as u64), &rep.doc.snapshot()).expect("loads");
        assert_eq!(text_of(&loaded), text, "seed {seed}: reloaded text");
    }
    stats
}
