//! The multi-replica document scenario: random edits on 2–5 replicas,
//! random delivery of deltas (reordered, duplicated, some never sent),
//! catch-up by version vector and by snapshot, then full exchange. Every
//! replica is checked against the reference model after every step, and
//! the run ends with byte-identical snapshots.

use std::collections::BTreeMap;

use converge_core::{
    ApplyOutcome, Doc, DocValue, Kind, ListItem, ListMut, ReplicaId, Transaction, Value,
};

use crate::model::{DocModel, ModelOp, OpKind};
use crate::rng::Rng;

/// Parameters of one scenario run.
#[derive(Clone, Debug)]
pub struct ScenarioConfig {
    /// The seed: the same seed replays the same run.
    pub seed: u64,
    /// Number of replicas (2–5 in the standard suite).
    pub replicas: usize,
    /// Number of steps before the final exchange.
    pub steps: usize,
}

/// What a run did, for reporting.
#[derive(Clone, Debug, Default)]
pub struct ScenarioReport {
    /// Operations made.
    pub ops: usize,
    /// Deltas delivered (duplicates included).
    pub deliveries: usize,
    /// Deltas that had to wait for their dependencies.
    pub pending: usize,
    /// Deliveries that were duplicates.
    pub duplicates: usize,
    /// Catch-ups through `encode_since`.
    pub catch_ups: usize,
}

const ROOT_KEYS: [&str; 2] = ["a", "b"];
const INNER_KEYS: [&str; 2] = ["x", "y"];
const LEAF_KINDS: [Kind; 5] = [
    Kind::AwSet,
    Kind::RwSet,
    Kind::Counter,
    Kind::MvRegister,
    Kind::LwwRegister,
];

/// A replica id that looks random, as real ones are.
pub fn replica_id(i: usize) -> ReplicaId {
    ReplicaId::new((i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

fn random_path(rng: &mut Rng) -> Vec<String> {
    let depth = 1 + rng.below(3);
    (0..depth)
        .map(|i| {
            let keys = if i == 0 { &ROOT_KEYS } else { &INNER_KEYS };
            rng.pick(keys).to_string()
        })
        .collect()
}

/// The value without texts and lists (and without maps left empty by
/// removing them): the part the reference model covers. Sequences are
/// checked against their own reference (`seq_model`) and for convergence.
pub fn without_sequences(value: BTreeMap<String, DocValue>) -> BTreeMap<String, DocValue> {
    value
        .into_iter()
        .filter_map(|(k, v)| match v {
            DocValue::Text(_) | DocValue::List(_) => None,
            DocValue::Map(m) => {
                let m = without_sequences(m);
                (!m.is_empty()).then_some((k, DocValue::Map(m)))
            }
            other => Some((k, other)),
        })
        .collect()
}

/// Root keys only sequence operations use: their containers (texts,
/// lists, and maps holding them, in kind conflicts) never touch what the
/// model covers. Texts live mostly under the first, lists under the
/// second, and maps of both under the third: some kind conflicts, but
/// containers live long enough to grow nested list items.
const SEQ_KEYS: [&str; 3] = ["s", "u", "w"];

/// Edits a text or list at a random path under [`SEQ_KEYS`] (not recorded
/// in the model; `seq_model` is their reference).
fn random_seq_op(rng: &mut Rng, tx: &mut Transaction<'_>) {
    let is_text = rng.chance(50);
    let path = if rng.chance(30) {
        vec![SEQ_KEYS[2].to_string(), rng.pick(&INNER_KEYS).to_string()]
    } else if rng.chance(90) == is_text {
        vec![SEQ_KEYS[0].to_string()]
    } else {
        vec![SEQ_KEYS[1].to_string()]
    };
    let mut kinds = vec![Kind::Map; path.len() - 1];
    kinds.push(if is_text { Kind::Text } else { Kind::List });
    if let Some(depth) = clash_at(tx.doc(), &path, &kinds) {
        // Another kind shows there: remove it rather than write over it.
        let removed = tx.map_at(&path[..depth]).remove(&path[depth]);
        assert_eq!(removed, Ok(true), "a key that shows a kind is removed");
        return;
    }
    let (parents, last) = path.split_at(path.len() - 1);
    let mut map = tx.map_at(parents);
    let key = &last[0];
    if is_text {
        let mut text = map.text(key);
        let len = text.len();
        if len > 0 && rng.chance(35) {
            let pos = rng.below(len);
            let n = 1 + rng.below((len - pos).min(3));
            text.delete(pos, n).expect("in bounds");
        } else {
            let s: String = (0..1 + rng.below(3))
                .map(|_| *rng.pick(&['a', 'b', 'é', '😀']))
                .collect();
            text.insert(rng.below(len + 1), &s).expect("in bounds");
        }
    } else {
        random_list_op(rng, &mut map.list(key), 0);
    }
}

/// Edits a list: values, items holding containers (maps, lists, texts,
/// counters), and edits inside those containers, nesting up to 2 levels.
fn random_list_op(rng: &mut Rng, list: &mut ListMut<'_, '_>, depth: usize) {
    let len = list.len();
    if len > 0 && rng.chance(45) {
        let i = rng.below(len);
        match list.item(i).expect("in bounds") {
            ListItem::Container(Kind::Map) => {
                let mut m = list.map(i).expect("a map item");
                match rng.below(6) {
                    0 => m.counter("n").add(1).expect("counter"),
                    1 => m
                        .lww("v")
                        .set_at(rng.below(9) as i64, rng.below(5) as u64)
                        .expect("lww"),
                    2 => m.text("t").push_str("x").expect("text"),
                    3 => {
                        let _ = m.remove("t").expect("remove");
                    }
                    _ if depth < 2 => random_list_op(rng, &mut m.list("l"), depth + 1),
                    _ => {
                        let _ = m.remove("n").expect("remove");
                    }
                }
            }
            ListItem::Container(Kind::Text) => {
                let mut t = list.text(i).expect("a text item");
                let at = rng.below(t.len() + 1);
                t.insert(at, "é").expect("in bounds");
            }
            ListItem::Container(Kind::List) if depth < 2 => {
                random_list_op(rng, &mut list.list(i).expect("a list item"), depth + 1)
            }
            ListItem::Container(Kind::Counter) => list
                .counter(i)
                .expect("a counter item")
                .add(2)
                .expect("counter"),
            _ => list.set(i, rng.below(9) as i64).expect("in bounds"),
        }
    } else if len > 0 && rng.chance(30) {
        list.delete(rng.below(len), 1).expect("in bounds");
    } else if rng.chance(40) {
        let at = rng.below(len + 1);
        match rng.below(4) {
            0 => {
                list.insert_map(at)
                    .expect("in bounds")
                    .counter("n")
                    .add(1)
                    .expect("counter");
            }
            1 => {
                list.insert_text(at).expect("in bounds");
            }
            2 => {
                list.insert_list(at).expect("in bounds");
            }
            _ => {
                list.insert_counter(at).expect("in bounds");
            }
        }
    } else {
        list.insert(rng.below(len + 1), rng.below(9) as i64)
            .expect("in bounds");
    }
}

/// The depth of the first key of `path` that shows a kind other than
/// `kinds` needs there (`kinds[i]` for key `i`; missing entries need
/// nothing).
fn clash_at(doc: &Doc, path: &[String], kinds: &[Kind]) -> Option<usize> {
    let mut map = Some(doc.root());
    for (i, key) in path.iter().enumerate() {
        let m = map?;
        let want = *kinds.get(i)?;
        let present = m.kinds(key);
        if !present.is_empty() && !present.contains(&want) {
            return Some(i);
        }
        map = m.map(key);
    }
    None
}

/// Performs one random operation in `tx` and records it in `model`
/// (texts and lists, about one operation in six, are not modelled).
pub fn random_op(rng: &mut Rng, tx: &mut Transaction<'_>, model: &mut DocModel) {
    if rng.chance(16) {
        return random_seq_op(rng, tx);
    }
    let me = tx.doc().replica();
    let past = tx.doc().version();
    let before = past.get(me);
    let path = random_path(rng);
    let small = Value::Int(rng.below(4) as i64);
    let mut op = if rng.chance(10) {
        OpKind::RemoveKey
    } else {
        let kind = *rng.pick(&LEAF_KINDS);
        match kind {
            Kind::AwSet if rng.chance(60) => OpKind::AwInsert(small),
            Kind::AwSet => OpKind::AwRemove(small),
            Kind::RwSet if rng.chance(60) => OpKind::RwInsert(small),
            Kind::RwSet => OpKind::RwRemove(small),
            Kind::Counter => OpKind::Counter(rng.below(11) as i64 - 5),
            Kind::MvRegister if rng.chance(85) => OpKind::Mv(Value::Int(rng.below(100) as i64)),
            Kind::MvRegister => OpKind::MvClear,
            _ => OpKind::Lww(Value::Int(rng.below(100) as i64), rng.below(6) as u64),
        }
    };
    // Kinds never change silently: where the path meets a key showing
    // another kind than the operation needs there, the operation removes
    // that key instead.
    let mut kinds = vec![Kind::Map; path.len() - 1];
    kinds.extend(op.kind());
    let path = match clash_at(tx.doc(), &path, &kinds) {
        Some(depth) => {
            op = OpKind::RemoveKey;
            kinds.truncate(depth);
            path[..=depth].to_vec()
        }
        None => path,
    };
    if op == OpKind::RemoveKey {
        kinds.truncate(path.len() - 1);
    }
    let (parents, last) = path.split_at(path.len() - 1);
    let mut map = tx.map_at(parents);
    let key = &last[0];
    match &op {
        OpKind::Counter(by) => map.counter(key).add(*by),
        OpKind::Lww(v, ts) => map.lww(key).set_at(v.clone(), *ts),
        OpKind::Mv(v) => map.mv(key).set(v.clone()),
        OpKind::MvClear => map.mv(key).clear(),
        OpKind::AwInsert(v) => map.aw_set(key).insert(v.clone()),
        OpKind::AwRemove(v) => map.aw_set(key).remove(v.clone()),
        OpKind::RwInsert(v) => map.rw_set(key).insert(v.clone()),
        OpKind::RwRemove(v) => map.rw_set(key).remove(v.clone()),
        OpKind::RemoveKey => map.remove(key).map(|_| ()),
    }
    .expect("paths are shallow");
    let after = tx.doc().version().get(me);
    if after == before + 1 {
        model.record(ModelOp {
            dot: converge_core::Dot::new(me, after),
            past,
            path,
            kinds,
            kind: op,
        });
    } else {
        assert_eq!(after, before, "one operation takes at most one dot");
    }
}

/// Asserts that every replica has the same version, byte-identical
/// snapshots, valid invariants and the model's value.
pub fn assert_converged(docs: &[Doc], model: &DocModel) {
    let first = &docs[0];
    let snapshot = first.snapshot();
    for d in docs {
        d.check_invariants();
        assert_eq!(d.version(), first.version(), "versions differ");
        // A delta may wait only for what nobody has: an edit lost with a
        // replica that crashed before saving or sending it.
        assert!(
            d.pending_len() == 0 || !first.version().dominates(&d.missing()),
            "deltas still pending that the others could supply"
        );
        assert!(
            d.snapshot() == snapshot,
            "snapshots differ between {:?} and {:?}",
            d.replica(),
            first.replica()
        );
    }
    let expected = model.value_at(&first.version());
    assert_eq!(
        without_sequences(first.to_value()),
        expected,
        "converged value differs from the reference model"
    );
    // Decoding the snapshot gives the same document, byte for byte.
    let loaded = Doc::load(ReplicaId::new(u64::MAX), &snapshot).expect("own snapshot loads");
    assert!(
        loaded.snapshot() == snapshot,
        "snapshot does not round-trip"
    );
}

/// Runs one scenario; panics (with the seed in the message) on divergence.
pub fn run_doc_scenario(cfg: &ScenarioConfig) -> ScenarioReport {
    let mut rng = Rng::new(cfg.seed);
    let mut docs: Vec<Doc> = (0..cfg.replicas).map(|i| Doc::new(replica_id(i))).collect();
    let mut model = DocModel::default();
    let mut network: Vec<Vec<u8>> = Vec::new();
    let mut report = ScenarioReport::default();
    for _ in 0..cfg.steps {
        let x = rng.below(docs.len());
        let roll = rng.below(100);
        if roll < 50 {
            let mut tx = docs[x].transact();
            let n = 1 + usize::from(rng.chance(25)) * rng.below(3);
            for _ in 0..n {
                random_op(&mut rng, &mut tx, &mut model);
                report.ops += 1;
            }
            if let Some(bytes) = tx.commit() {
                if !rng.chance(10) {
                    network.push(bytes); // 10% are never sent: repair must find them
                }
            }
        } else if roll < 85 && !network.is_empty() {
            let msg = rng.below(network.len());
            report.deliveries += 1;
            match docs[x].apply(&network[msg]).expect("valid delta") {
                ApplyOutcome::Pending => report.pending += 1,
                ApplyOutcome::Duplicate => report.duplicates += 1,
                ApplyOutcome::Applied => {}
            }
        } else if roll < 95 {
            let y = rng.below(docs.len());
            if x != y {
                if let Some(bytes) = docs[y].encode_since(&docs[x].version()) {
                    report.catch_ups += 1;
                    let _ = docs[x].apply(&bytes).expect("valid catch-up");
                }
            }
        } else {
            let y = rng.below(docs.len());
            if x != y {
                let snap = docs[y].snapshot();
                let _ = docs[x].apply(&snap).expect("valid snapshot");
            }
        }
        let expected = model.value_at(&docs[x].version());
        assert_eq!(
            without_sequences(docs[x].to_value()),
            expected,
            "seed {}: replica {x} differs from the model",
            cfg.seed
        );
    }
    // Final exchange: everyone catches up from everyone until stable.
    for _round in 0..cfg.replicas + 1 {
        for x in 0..docs.len() {
            for y in 0..docs.len() {
                if x != y {
                    if let Some(bytes) = docs[y].encode_since(&docs[x].version()) {
                        let _ = docs[x].apply(&bytes).expect("valid catch-up");
                    }
                }
            }
        }
    }
    assert_converged(&docs, &model);
    report
}

/// Three replicas of one document after random operations and random
/// merges, with every delta their transactions produced.
pub fn random_docs(seed: u64, steps: usize) -> ([Doc; 3], Vec<Vec<u8>>) {
    let mut rng = Rng::new(seed);
    let mut model = DocModel::default();
    let mut docs = [
        Doc::new(replica_id(0)),
        Doc::new(replica_id(1)),
        Doc::new(replica_id(2)),
    ];
    let mut deltas = Vec::new();
    for _ in 0..steps {
        let i = rng.below(3);
        if rng.chance(15) {
            let other = docs[rng.below(3)].clone();
            let _ = docs[i].merge(&other).expect("merging a valid document");
        } else {
            let mut tx = docs[i].transact();
            random_op(&mut rng, &mut tx, &mut model);
            deltas.extend(tx.commit());
        }
    }
    (docs, deltas)
}
