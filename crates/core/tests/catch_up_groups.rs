//! Catch-up groups (`Doc::encode_since`) built from a history whose
//! entries overlap: whatever order the entries were stored in, the group
//! brings a replica to the same state as the deltas one by one.

use converge_core::{Doc, ReplicaId, Transaction, VersionVector};

fn commit(doc: &mut Doc, f: impl FnOnce(&mut Transaction<'_>)) -> Vec<u8> {
    let mut tx = doc.transact();
    f(&mut tx);
    tx.commit().expect("the transaction changed something")
}

/// Found by the sync simulation (seed 1220 of the long mode): a node
/// stored a removal before a catch-up that carried the removed item again
/// (it had the item from a snapshot, so no entry of its own carried it). A
/// group of the two dropped the item, and a replica that caught up with
/// it claimed the item's dot without holding its tombstone: its snapshot
/// differed from everyone's, and a later insertion next to the item was
/// refused as corrupt.
#[test]
fn an_item_removed_by_an_earlier_entry_stays_a_tombstone() {
    let mut a = Doc::new(ReplicaId::new(1));
    let inserted = commit(&mut a, |tx| {
        tx.map("w").list("x").push(2i64).unwrap();
        tx.map("w").list("x").push(3i64).unwrap();
    });
    // B removes the list it saw.
    let mut b = Doc::new(ReplicaId::new(2));
    b.apply(&inserted).unwrap();
    let removed = commit(&mut b, |tx| {
        tx.map("w").remove("x").unwrap();
    });
    // C has the insertion and edits elsewhere: its catch-up for a newcomer
    // carries the insertion again.
    let mut c = Doc::new(ReplicaId::new(3));
    c.apply(&inserted).unwrap();
    let elsewhere = commit(&mut c, |tx| {
        tx.counter("n").add(1).unwrap();
    });
    let from_c = c.encode_since(&VersionVector::default()).unwrap();

    // N starts from a snapshot holding the insertion (its history does not
    // carry it), stores the removal, then C's overlapping catch-up.
    let mut n = Doc::load(ReplicaId::new(4), &a.snapshot()).unwrap();
    n.apply(&removed).unwrap();
    n.apply(&from_c).unwrap();

    // One by one, in causal order: the reference.
    let mut reference = Doc::new(ReplicaId::new(5));
    for d in [&inserted, &removed, &elsewhere] {
        reference.apply(d).unwrap();
    }
    assert!(n.snapshot() == reference.snapshot());

    let mut newcomer = Doc::new(ReplicaId::new(6));
    newcomer
        .apply(&n.encode_since(&newcomer.version()).unwrap())
        .unwrap();
    assert_eq!(newcomer.version(), reference.version());
    assert!(
        newcomer.snapshot() == reference.snapshot(),
        "the group lost the removed items' tombstones"
    );
    // A concurrent insertion next to a removed item still applies.
    let mut d = Doc::new(ReplicaId::new(7));
    d.apply(&inserted).unwrap();
    let next_to = commit(&mut d, |tx| {
        tx.map("w").list("x").insert(1, 9i64).unwrap();
    });
    newcomer.apply(&next_to).unwrap();
    reference.apply(&next_to).unwrap();
    assert!(newcomer.snapshot() == reference.snapshot());
}

/// A catch-up group lists the items it adds as the document does, deleted
/// ones as deleted runs without their content or a separate deletion
/// (format version 3). A receiver that already holds some of those items,
/// from another peer, must still delete them.
#[test]
fn deleted_runs_delete_items_the_receiver_already_holds() {
    let mut a = Doc::new(ReplicaId::new(1));
    let typed = commit(&mut a, |tx| {
        tx.text("t").push_str("hello, world").unwrap();
    });
    commit(&mut a, |tx| {
        tx.text("t").delete(1, 3).unwrap();
        tx.text("t").insert(0, ">").unwrap();
    });
    // The receiver got the typing from someone else; `a` does not know.
    let mut late = Doc::new(ReplicaId::new(2));
    late.apply(&typed).unwrap();
    let group = a.encode_since(&VersionVector::new()).unwrap();
    assert_eq!(group[4], 3, "deleted runs stand for their deletions");
    late.apply(&group).unwrap();
    assert_eq!(late.to_value(), a.to_value());
    assert!(late.snapshot() == a.snapshot());
    // A newcomer gets the same state from the same group.
    let mut fresh = Doc::new(ReplicaId::new(3));
    fresh.apply(&group).unwrap();
    assert!(fresh.snapshot() == a.snapshot());
}

/// Three replicas type backwards (every insert at the start) into one text
/// and one list, delete now and then, and catch each other up with groups
/// at different versions: groups and snapshots in format version 4's
/// run-length columns carry them to byte-identical states.
#[test]
fn replicas_typing_backwards_converge_through_run_length_groups() {
    let mut docs: Vec<Doc> = (1..=3).map(|r| Doc::new(ReplicaId::new(r))).collect();
    let mut seen_v4 = 0;
    for round in 0..12usize {
        for (i, d) in docs.iter_mut().enumerate() {
            for k in 0..(20 + 7 * i) {
                let mut tx = d.transact();
                tx.text("t")
                    .insert(0, ["p", "q", "é"][(k + i) % 3])
                    .unwrap();
                tx.list("l").insert(0, (round * 100 + k) as i64).unwrap();
                if k % 9 == 8 {
                    tx.text("t").delete(1, 2).unwrap();
                }
            }
        }
        // A catches B up, B catches C up, C catches A up; every third
        // round everyone catches everyone up.
        let pairs: &[(usize, usize)] = if round % 3 == 2 {
            &[(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)]
        } else {
            &[(0, 1), (1, 2), (2, 0)]
        };
        for &(from, to) in pairs {
            // `None`: `to` has everything `from` has.
            if let Some(group) = docs[from].encode_since(&docs[to].version()) {
                seen_v4 += usize::from(group[4] == 4);
                docs[to].apply(&group).unwrap();
            }
        }
    }
    for &(from, to) in &[(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)] {
        if let Some(group) = docs[from].encode_since(&docs[to].version()) {
            docs[to].apply(&group).unwrap();
        }
    }
    let snapshot = docs[0].snapshot();
    assert_eq!(snapshot[4], 4, "the merged text and list repeat enough");
    assert!(seen_v4 > 0, "some groups use version 4's columns");
    for d in &docs[1..] {
        assert_eq!(d.snapshot(), snapshot);
    }
    let loaded = Doc::load(ReplicaId::new(9), &snapshot).unwrap();
    assert_eq!(loaded.snapshot(), snapshot);
    assert_eq!(loaded.to_value(), docs[0].to_value());
}
