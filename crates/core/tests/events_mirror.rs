//! Change events are complete and in order: a mirror built only from a
//! replica's events equals the replica's value after every step, for
//! local transactions (committed or dropped), remote deltas delivered in
//! any order, catch-ups and snapshots, across every container kind,
//! removals and kind conflicts included.

use converge_core::{Doc, DocValue};
use converge_testkit::scenario::{random_op, replica_id};
use converge_testkit::{DocModel, Mirror, Rng};
use std::collections::BTreeMap;

fn drain(doc: &mut Doc, mirror: &mut Mirror) {
    let (events, dropped) = doc.take_events();
    assert_eq!(dropped, 0, "the queue overflowed");
    for e in &events {
        mirror.apply(e);
    }
}

fn check(doc: &Doc, mirror: &Mirror, seed: u64, step: usize) {
    let value: BTreeMap<String, DocValue> = doc.to_value();
    assert_eq!(
        mirror.root, value,
        "seed {seed} step {step}: the mirror built from events differs"
    );
}

fn run(seed: u64, steps: usize, utf16: bool) {
    let mut rng = Rng::new(seed);
    let mut model = DocModel::default();
    let mut docs: Vec<Doc> = (0..3).map(|i| Doc::new(replica_id(i))).collect();
    let mirror = Mirror {
        utf16,
        ..Mirror::default()
    };
    let mut mirrors = vec![mirror; 3];
    for d in docs.iter_mut() {
        d.queue_events(1 << 16);
        d.set_utf16_events(utf16);
    }
    let mut network: Vec<Vec<u8>> = Vec::new();
    for step in 0..steps {
        let x = rng.below(3);
        let debug = std::env::var("MIRROR_DEBUG").is_ok_and(|v| v == format!("{seed}:{step}"));
        if debug {
            eprintln!("state before: {}", docs[x].debug_state());
        }
        match rng.below(100) {
            0..=49 => {
                let mut tx = docs[x].transact();
                for _ in 0..1 + rng.below(3) {
                    random_op(&mut rng, &mut tx, &mut model);
                    if debug {
                        eprintln!("after op: {}", &tx.doc().debug_state()[..600]);
                    }
                }
                if rng.chance(70) {
                    network.extend(tx.commit());
                } else {
                    drop(tx); // to the history; sent by catch-up
                }
            }
            50..=79 if !network.is_empty() => {
                let msg = rng.below(network.len());
                let _ = docs[x].apply(&network[msg]).expect("a valid delta");
            }
            80..=94 => {
                let y = rng.below(3);
                if x != y {
                    if let Some(bytes) = docs[y].encode_since(&docs[x].version()) {
                        let _ = docs[x].apply(&bytes).expect("a valid catch-up");
                    }
                }
            }
            _ => {
                let y = rng.below(3);
                if x != y {
                    let snap = docs[y].snapshot();
                    let _ = docs[x].apply(&snap).expect("a valid snapshot");
                }
            }
        }
        if debug {
            eprintln!("before: {:?}", mirrors[x].root);
            let (events, _) = docs[x].take_events();
            for e in &events {
                eprintln!("event {e:?}");
                mirrors[x].apply(e);
            }
            eprintln!("state: {}", docs[x].debug_state());
        }
        if std::env::var("MIRROR_TRACE").is_ok() {
            eprintln!("at {seed}:{step}");
        }
        drain(&mut docs[x], &mut mirrors[x]);
        check(&docs[x], &mirrors[x], seed, step);
    }
}

/// Seeds per test: `CONVERGE_MIRROR_SEEDS`, or 60.
fn seeds() -> u64 {
    std::env::var("CONVERGE_MIRROR_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60)
}

#[test]
fn mirrors_built_from_events_equal_the_documents() {
    let seeds = seeds();
    for seed in 0..seeds {
        run(seed, 300, false);
    }
}

/// The same with text steps counted in UTF-16 code units (what the
/// JavaScript package delivers): the texts hold characters outside the
/// Basic Multilingual Plane, so a step counted in `char`s would land in
/// the wrong place or split a surrogate pair.
#[test]
fn utf16_mirrors_built_from_events_equal_the_documents() {
    let seeds = seeds();
    for seed in 0..seeds {
        run(seed, 300, true);
    }
}

#[test]
fn removing_any_container_is_an_event_locally_and_remotely() {
    use converge_core::{ChangeKind, Kind, PathSeg, ReplicaId};
    let kinds = [
        Kind::Map,
        Kind::AwSet,
        Kind::RwSet,
        Kind::Counter,
        Kind::MvRegister,
        Kind::LwwRegister,
        Kind::List,
        Kind::Text,
    ];
    let mut a = Doc::new(ReplicaId::new(1));
    {
        let mut tx = a.transact();
        tx.map("m").counter("c").add(1).unwrap();
        tx.aw_set("a").insert(1).unwrap();
        tx.rw_set("r").insert(1).unwrap();
        tx.counter("c").add(1).unwrap();
        tx.mv("v").set(1).unwrap();
        tx.lww("l").set_at(1, 1).unwrap();
        tx.list("li").push(1).unwrap();
        tx.text("t").push_str("x").unwrap();
    }
    let mut b = Doc::load(ReplicaId::new(2), &a.snapshot()).unwrap();
    a.queue_events(64);
    b.queue_events(64);
    let names = ["m", "a", "r", "c", "v", "l", "li", "t"];
    for (name, kind) in names.iter().zip(kinds) {
        let delta = {
            let mut tx = a.transact();
            assert!(tx.root().remove(name).unwrap());
            tx.commit().unwrap()
        };
        let _ = b.apply(&delta).unwrap();
        for doc in [&mut a, &mut b] {
            let (events, _) = doc.take_events();
            let changes: Vec<_> = events.into_iter().flat_map(|e| e.changes).collect();
            assert_eq!(changes.len(), 1, "{name}: {changes:?}");
            assert_eq!(changes[0].path, vec![PathSeg::from(*name)]);
            assert_eq!(changes[0].kind, ChangeKind::Removed(kind), "{name}");
        }
    }
}
