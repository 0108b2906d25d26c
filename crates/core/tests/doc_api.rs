//! The document API: nested containers, kind conflicts, subscriptions,
//! causal buffering, catch-up, and refusal of bad input.

use std::sync::{Arc, Mutex};

use converge_core::{
    ApplyOutcome, ChangeKind, Doc, DocError, DocOptions, DocValue, Kind, Origin, ReplicaId, Value,
    VersionVector,
};

fn pair() -> (Doc, Doc) {
    let a = Doc::new(ReplicaId::new(0xA1));
    let b = a.fork(ReplicaId::new(0xB2));
    (a, b)
}

fn exchange(a: &mut Doc, b: &mut Doc) {
    if let Some(d) = b.encode_since(&a.version()) {
        let _ = a.apply(&d).unwrap();
    }
    if let Some(d) = a.encode_since(&b.version()) {
        let _ = b.apply(&d).unwrap();
    }
    assert_eq!(a.snapshot(), b.snapshot());
}

#[test]
fn concurrently_created_nested_containers_merge() {
    let (mut a, mut b) = pair();
    let mut tx = a.transact();
    tx.map("profile")
        .map("address")
        .lww("city")
        .set_at("Paris", 1)
        .unwrap();
    drop(tx);
    let mut tx = b.transact();
    tx.map("profile")
        .map("address")
        .aw_set("tags")
        .insert("home")
        .unwrap();
    tx.map("profile").counter("visits").add(3).unwrap();
    drop(tx);
    exchange(&mut a, &mut b);
    let address = a.root().map("profile").unwrap().map("address").unwrap();
    assert_eq!(address.lww("city"), Some(&Value::from("Paris")));
    assert!(address
        .aw_set("tags")
        .unwrap()
        .contains(&Value::from("home")));
    assert_eq!(a.root().map("profile").unwrap().counter("visits"), Some(3));
}

#[test]
fn kind_conflicts_are_deterministic_and_keep_the_losing_side() {
    let (mut a, mut b) = pair();
    a.transact().counter("x").add(5).unwrap();
    b.transact().aw_set("x").insert(1).unwrap();
    exchange(&mut a, &mut b);
    for d in [&a, &b] {
        assert_eq!(d.root().kinds("x"), vec![Kind::AwSet, Kind::Counter]);
        assert!(matches!(
            d.root().get("x"),
            Some(converge_core::ValueRef::AwSet(_))
        ));
        // The losing side's edits stay reachable.
        assert_eq!(d.root().counter("x"), Some(5));
    }
    // A write that has seen both replaces the other kind.
    a.transact().counter("x").add(1).unwrap();
    exchange(&mut a, &mut b);
    assert_eq!(b.root().kinds("x"), vec![Kind::Counter]);
    assert_eq!(b.root().counter("x"), Some(6));
}

#[test]
fn removing_a_key_keeps_concurrent_edits_under_it() {
    let (mut a, mut b) = pair();
    let mut tx = a.transact();
    tx.map("m").aw_set("s").insert(1).unwrap();
    tx.map("m").lww("r").set_at("old", 1).unwrap();
    drop(tx);
    exchange(&mut a, &mut b);
    a.transact().root().remove("m").unwrap();
    b.transact().map("m").aw_set("s").insert(2).unwrap();
    exchange(&mut a, &mut b);
    let m = a.root().map("m").unwrap();
    let s: Vec<&Value> = m.aw_set("s").unwrap().iter().collect();
    assert_eq!(
        s,
        vec![&Value::Int(2)],
        "the concurrent add survives, the seen one is gone"
    );
    assert_eq!(m.lww("r"), None);
}

#[test]
fn counter_removed_concurrently_with_an_increment_keeps_that_replicas_total() {
    let (mut a, mut b) = pair();
    a.transact().counter("c").add(10).unwrap();
    b.transact().counter("c").add(1).unwrap();
    exchange(&mut a, &mut b);
    a.transact().root().remove("c").unwrap();
    b.transact().counter("c").add(1).unwrap();
    exchange(&mut a, &mut b);
    // A's 10 is gone; B did not see the removal, so its whole total (2) stays.
    assert_eq!(a.root().counter("c"), Some(2));
}

#[test]
fn lww_concurrent_writes_pick_greatest_timestamp_then_replica() {
    let (mut a, mut b) = pair();
    a.transact().lww("r").set_at("from a", 7).unwrap();
    b.transact().lww("r").set_at("from b", 7).unwrap();
    exchange(&mut a, &mut b);
    // Equal timestamps: the greater replica id (0xB2) wins.
    assert_eq!(a.root().lww("r"), Some(&Value::from("from b")));
    a.transact().lww("r").set_at("later", 3).unwrap();
    exchange(&mut a, &mut b);
    // A write that saw the others replaces them, whatever its timestamp.
    assert_eq!(b.root().lww("r"), Some(&Value::from("later")));
}

#[test]
fn deltas_wait_for_their_causes() {
    let (mut a, mut b) = pair();
    let mut tx = a.transact();
    tx.aw_set("s").insert("first").unwrap();
    let d1 = tx.commit().unwrap();
    let mut tx = a.transact();
    tx.aw_set("s").remove("first").unwrap();
    tx.aw_set("s").insert("second").unwrap();
    let d2 = tx.commit().unwrap();
    assert_eq!(b.apply(&d2).unwrap(), ApplyOutcome::Pending);
    assert!(b.root().aw_set("s").is_none(), "no effect before its cause");
    assert_eq!(b.missing().get(a.replica()), 1);
    assert_eq!(b.apply(&d1).unwrap(), ApplyOutcome::Applied);
    assert_eq!(b.pending_len(), 0);
    assert_eq!(b.apply(&d1).unwrap(), ApplyOutcome::Duplicate);
    assert_eq!(a.snapshot(), b.snapshot());
}

#[test]
fn catch_up_uses_the_log_then_falls_back_to_a_snapshot() {
    let opts = DocOptions {
        max_log_bytes: 400,
        ..DocOptions::default()
    };
    let mut a = Doc::with_options(ReplicaId::new(1), opts);
    let mut b = Doc::new(ReplicaId::new(2));
    a.transact().counter("n").add(1).unwrap();
    let small = a.encode_since(&b.version()).unwrap();
    assert_eq!(
        converge_core::kernel::envelope::peek_kind(&small).unwrap(),
        converge_core::BlobKind::DocDelta
    );
    for i in 0..50 {
        a.transact().aw_set("s").insert(i).unwrap();
    }
    let big = a.encode_since(&b.version()).unwrap();
    assert_eq!(
        converge_core::kernel::envelope::peek_kind(&big).unwrap(),
        converge_core::BlobKind::DocSnapshot,
        "the log was trimmed to 400 bytes, so the old part comes as a snapshot"
    );
    let _ = b.apply(&big).unwrap();
    assert_eq!(a.snapshot(), b.snapshot());
    assert!(a.encode_since(&b.version()).is_none());
}

#[test]
fn subscriptions_report_local_and_remote_changes() {
    let (mut a, mut b) = pair();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let id = b.subscribe(move |e| sink.lock().unwrap().push(e.clone()));
    let mut tx = a.transact();
    tx.map("m").aw_set("tags").insert("x").unwrap();
    tx.counter("n").add(2).unwrap();
    let d = tx.commit().unwrap();
    let _ = b.apply(&d).unwrap();
    b.transact().counter("n").add(-1).unwrap();
    let events = seen.lock().unwrap().clone();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].origin, Origin::Remote);
    let kinds: Vec<(Vec<converge_core::PathSeg>, ChangeKind)> = events[0]
        .changes
        .iter()
        .map(|c| (c.path.clone(), c.kind.clone()))
        .collect();
    assert!(kinds.contains(&(vec!["m".into()], ChangeKind::Inserted(Kind::Map))));
    assert!(kinds.contains(&(
        vec!["m".into(), "tags".into()],
        ChangeKind::SetInserted(Value::from("x"))
    )));
    assert!(kinds.contains(&(vec!["n".into()], ChangeKind::Inserted(Kind::Counter))));
    assert_eq!(events[1].origin, Origin::Local);
    assert_eq!(
        events[1].changes,
        vec![converge_core::Change {
            path: vec!["n".into()],
            kind: ChangeKind::Counter { old: 2, new: 1 }
        }]
    );
    assert!(b.unsubscribe(id));
    b.transact().counter("n").add(1).unwrap();
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[test]
fn a_delta_claiming_our_own_unmade_mutations_is_refused() {
    let mut impostor = Doc::new(ReplicaId::new(9));
    let d = {
        let mut tx = impostor.transact();
        tx.counter("n").add(1).unwrap();
        tx.commit().unwrap()
    };
    let mut victim = Doc::new(ReplicaId::new(9));
    let before = victim.snapshot();
    assert_eq!(
        victim.apply(&d),
        Err(DocError::ForeignDotsOfOwnReplica(ReplicaId::new(9)))
    );
    assert_eq!(victim.snapshot(), before);
}

#[test]
fn too_deep_paths_are_refused() {
    let mut d = Doc::new(ReplicaId::new(1));
    let path: Vec<String> = (0..converge_core::MAX_DEPTH)
        .map(|i| i.to_string())
        .collect();
    let mut tx = d.transact();
    assert_eq!(
        tx.map_at(&path).counter("c").add(1),
        Err(DocError::TooDeep(converge_core::MAX_DEPTH))
    );
    assert!(tx.map_at(&path[1..]).counter("c").add(1).is_ok());
}

#[test]
fn pending_buffer_is_bounded() {
    let mut a = Doc::new(ReplicaId::new(1));
    let mut later = Vec::new();
    let _first = a.transact().counter("n").add(1);
    for _ in 0..3 {
        let mut tx = a.transact();
        tx.counter("n").add(1).unwrap();
        later.push(tx.commit().unwrap());
    }
    let mut b = Doc::with_options(
        ReplicaId::new(2),
        DocOptions {
            max_pending: 2,
            ..DocOptions::default()
        },
    );
    assert_eq!(b.apply(&later[0]).unwrap(), ApplyOutcome::Pending);
    assert_eq!(b.apply(&later[1]).unwrap(), ApplyOutcome::Pending);
    // Full: the oldest waiting delta is dropped to make room.
    assert_eq!(b.apply(&later[2]).unwrap(), ApplyOutcome::Pending);
    let stats = b.pending_stats();
    assert_eq!((stats.deltas, stats.evicted), (2, 1));
    // Catch-up fills the gap and applies what waited.
    let _ = b.apply(&a.encode_since(&b.version()).unwrap()).unwrap();
    assert_eq!(b.pending_len(), 0);
    assert_eq!(a.snapshot(), b.snapshot());
}

#[test]
fn pending_buffer_is_bounded_in_bytes() {
    let mut a = Doc::new(ReplicaId::new(1));
    let _first = a.transact().lww("x").set_at("0", 1);
    let mut later = Vec::new();
    for i in 0..20 {
        let mut tx = a.transact();
        tx.lww("x").set_at("y".repeat(1000), i).unwrap();
        later.push(tx.commit().unwrap());
    }
    let mut b = Doc::with_options(
        ReplicaId::new(2),
        DocOptions {
            max_pending_bytes: 5_000,
            ..DocOptions::default()
        },
    );
    for d in &later {
        assert_eq!(b.apply(d).unwrap(), ApplyOutcome::Pending);
    }
    let stats = b.pending_stats();
    assert!(stats.bytes <= 5_000, "{stats:?}");
    assert!(stats.deltas >= 3 && stats.evicted >= 15, "{stats:?}");
}

#[test]
fn values_and_snapshots_are_independent_of_delivery_order() {
    let mut docs: Vec<Doc> = (1..=3).map(|i| Doc::new(ReplicaId::new(i))).collect();
    let mut deltas = Vec::new();
    for (i, d) in docs.iter_mut().enumerate() {
        let mut tx = d.transact();
        tx.map("shared").rw_set("s").insert(i as i64).unwrap();
        tx.map("shared").mv("title").set(format!("t{i}")).unwrap();
        deltas.push(tx.commit().unwrap());
    }
    for (i, d) in docs.iter_mut().enumerate() {
        for j in (0..3).rev() {
            if i != j {
                let _ = d.apply(&deltas[j]).unwrap();
                let _ = d.apply(&deltas[j]).unwrap();
            }
        }
    }
    let snap = docs[0].snapshot();
    assert!(docs.iter().all(|d| d.snapshot() == snap));
    let value = docs[0].to_value();
    match &value["shared"] {
        DocValue::Map(m) => assert_eq!(
            m["title"],
            DocValue::Values(vec!["t0".into(), "t1".into(), "t2".into()])
        ),
        other => panic!("{other:?}"),
    }
    assert!(VersionVector::from_entries([(ReplicaId::new(1), 2)]) <= docs[0].version());
}

/// Regression (found by the long simulation): a catch-up group that joins a
/// logged group with a later delta may carry a superseded counter dot of
/// the same replica; it must be accepted and must not double count.
#[test]
fn catch_up_groups_with_superseded_counter_dots_are_accepted() {
    let id = ReplicaId::new;
    let (mut a, mut b, mut e) = (Doc::new(id(1)), Doc::new(id(2)), Doc::new(id(3)));
    let (mut x, mut y, mut p) = (Doc::new(id(4)), Doc::new(id(5)), Doc::new(id(6)));
    let d1 = {
        let mut tx = a.transact();
        tx.counter("c").add(1).unwrap();
        tx.commit().unwrap()
    };
    let e1 = {
        let mut tx = e.transact();
        tx.lww("e").set_at("x", 1).unwrap();
        tx.commit().unwrap()
    };
    let _ = y.apply(&d1).unwrap();
    let _ = y.apply(&e1).unwrap();
    let g1 = y.encode_since(&x.version()).unwrap();
    let _ = x.apply(&g1).unwrap(); // X logs one group holding A's first counter dot
    let _ = b.apply(&d1).unwrap();
    let r = {
        let mut tx = b.transact();
        assert!(tx.root().remove("c").unwrap());
        tx.commit().unwrap()
    };
    let _ = a.apply(&r).unwrap();
    let d2 = {
        let mut tx = a.transact();
        tx.counter("c").add(5).unwrap();
        tx.commit().unwrap()
    };
    let _ = x.apply(&r).unwrap();
    let _ = x.apply(&d2).unwrap();
    let _ = p.apply(&d1).unwrap();
    let _ = p.apply(&r).unwrap();
    let catch_up = x.encode_since(&p.version()).unwrap();
    assert_eq!(p.apply(&catch_up).unwrap(), ApplyOutcome::Applied);
    assert_eq!(p.root().counter("c"), Some(5));
    assert_eq!(p.snapshot(), x.snapshot());
}

/// Issue #12, hole 1: a clone kept the replica id and wrote as a second
/// replica under it, reusing dots. A clone is now a read-only copy.
#[test]
fn clones_are_read_only_and_forks_write() {
    let mut a = Doc::new(ReplicaId::new(1));
    a.transact().counter("n").add(1).unwrap();
    let mut copy = a.clone();
    assert!(copy.is_read_only());
    assert_eq!(
        copy.transact().counter("n").add(1),
        Err(DocError::ReadOnly(ReplicaId::new(1)))
    );
    assert_eq!(
        copy.transact().text("t").insert(0, "x"),
        Err(DocError::ReadOnly(ReplicaId::new(1)))
    );
    // It still receives and reads.
    let d = {
        let mut tx = a.transact();
        tx.counter("n").add(5).unwrap();
        tx.commit().unwrap()
    };
    let _ = copy.apply(&d).unwrap();
    assert_eq!(copy.root().counter("n"), Some(6));
    assert_eq!(copy.snapshot(), a.snapshot());
    let mut writer = copy.fork(ReplicaId::new(2));
    assert!(!writer.is_read_only());
    writer.transact().counter("n").add(1).unwrap();
    assert_eq!(writer.root().counter("n"), Some(7));
}

/// Issue #12, hole 4: a replica restarted from a save older than its last
/// published edit reused those dots and was cut off forever. Loading a
/// save as the replica that wrote it is refused unless the caller says the
/// save is complete.
#[test]
fn a_save_does_not_load_as_its_own_writer_without_resume() {
    let me = ReplicaId::new(7);
    let mut a = Doc::new(me);
    a.transact().counter("n").add(1).unwrap();
    let save = a.snapshot();
    assert_eq!(
        Doc::load(me, &save).err(),
        Some(DocError::ReplicaIdInUse(me))
    );
    let fresh = Doc::load(ReplicaId::new(8), &save).unwrap();
    assert_eq!(fresh.root().counter("n"), Some(1));
    let resumed = Doc::load_with(me, &save, converge_core::LoadOptions::resume()).unwrap();
    assert_eq!(resumed.replica(), me);
    assert_eq!(resumed.snapshot(), save);
    // The danger resume guards against: edits published after the save.
    let published = {
        let mut tx = a.transact();
        tx.counter("n").add(1).unwrap();
        tx.commit().unwrap()
    };
    let mut stale = Doc::load_with(me, &save, converge_core::LoadOptions::resume()).unwrap();
    stale.transact().counter("n").add(10).unwrap(); // reuses the published dot
    let before = stale.snapshot();
    assert_eq!(
        stale.apply(&published),
        Err(DocError::ConflictingDot(converge_core::Dot::new(me, 2)))
    );
    assert_eq!(stale.snapshot(), before, "a refused delta changes nothing");
}

/// Issue #13: setting a key that holds a text to a counter used to replace
/// the text silently. Kinds change only through a removal.
#[test]
fn kinds_never_change_silently() {
    use converge_core::Kind;
    let mut a = Doc::new(ReplicaId::new(1));
    a.transact().text("k").insert(0, "notes").unwrap();
    assert_eq!(
        a.transact().counter("k").add(1),
        Err(DocError::KindMismatch {
            found: Kind::Text,
            wanted: Kind::Counter
        })
    );
    assert_eq!(
        a.transact().map("k").lww("x").set_at(1, 1),
        Err(DocError::KindMismatch {
            found: Kind::Text,
            wanted: Kind::Map
        })
    );
    assert_eq!(a.get_text("k").get(&a), "notes");
    let mut b = a.fork(ReplicaId::new(2));
    // Remove, then write: one transaction, one delta.
    let delta = {
        let mut tx = a.transact();
        assert!(tx.root().remove("k").unwrap());
        tx.counter("k").add(1).unwrap();
        tx.commit().unwrap()
    };
    assert_eq!(a.root().counter("k"), Some(1));
    // Meanwhile b typed into the text: both kinds are kept (a conflict),
    // and a write of either kind present resolves it.
    b.transact().text("k").push_str("!").unwrap();
    let _ = b.apply(&delta).unwrap();
    assert_eq!(b.root().kinds("k"), vec![Kind::Counter, Kind::Text]);
    b.transact().text("k").push_str("?").unwrap();
    assert_eq!(b.root().kinds("k"), vec![Kind::Text]);
}

/// Issue #13: a document has a plain JSON form (like Automerge's and
/// Loro's `toJSON`), and versions travel over an application's channels.
#[test]
fn documents_speak_json_and_versions_speak_serde() {
    let mut a = Doc::new(ReplicaId::new(1));
    {
        let mut tx = a.transact();
        tx.text("title").insert(0, "Trip").unwrap();
        tx.counter("budget").add(450).unwrap();
        tx.map("meta").lww("done").set_at(false, 1).unwrap();
        tx.map("meta").aw_set("tags").insert("travel").unwrap();
        tx.map("meta").mv("owner").set("ana").unwrap();
        let mut todos = tx.list("todos");
        todos.push("passport").unwrap();
        todos
            .push_map()
            .unwrap()
            .lww("what")
            .set_at("tickets", 1)
            .unwrap();
        todos.push_text().unwrap().push_str("pack").unwrap();
    }
    let json = a.to_json();
    let expected = serde_json::json!({
        "budget": 450,
        "meta": { "done": false, "owner": ["ana"], "tags": ["travel"] },
        "title": "Trip",
        "todos": ["passport", { "what": "tickets" }, "pack"],
    });
    assert_eq!(json, expected);
    // The read views serialize the same way, without copying.
    assert_eq!(
        serde_json::to_value(a.root().list("todos").unwrap()).unwrap(),
        expected["todos"]
    );
    assert_eq!(serde_json::to_value(a.to_value()).unwrap(), expected);

    let v = a.version();
    let bytes = postcard::to_allocvec(&v).unwrap();
    assert!(bytes.len() <= 1 + 10 + 10, "{} bytes", bytes.len());
    let back: converge_core::VersionVector = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(back, v);
    let text = serde_json::to_string(&v).unwrap();
    assert_eq!(
        text,
        format!("[[{},{}]]", ReplicaId::new(1).get(), v.total())
    );
    let back: converge_core::VersionVector = serde_json::from_str(&text).unwrap();
    assert_eq!(back, v);
}

/// Issue #13: last-writer-wins registers need no invented timestamps: the
/// document's hybrid logical clock stamps writes after the wall clock and
/// after what the register holds; explicit timestamps stay possible.
#[test]
fn lww_writes_are_stamped_by_the_documents_clock() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    let now = Arc::new(AtomicU64::new(1_000));
    let mut a = Doc::new(ReplicaId::new(1));
    let clock = now.clone();
    a.set_clock(move || clock.load(Ordering::Relaxed));
    let t1 = a.transact().lww("x").set("one").unwrap();
    assert_eq!(t1, 1_000);
    // The wall clock stands still or goes back: the clock still advances.
    let t2 = a.transact().lww("x").set("two").unwrap();
    assert_eq!(t2, 1_001);
    now.store(10, Ordering::Relaxed);
    let t3 = a.transact().lww("x").set("three").unwrap();
    assert!(t3 > t2);
    // A write beats what its register holds, even from a far-ahead clock.
    let mut b = a.fork(ReplicaId::new(2));
    b.transact().lww("y").set_at("future", 1 << 40).unwrap();
    let t = b.transact().lww("y").set("now").unwrap();
    assert!(t > 1 << 40);
    assert_eq!(b.root().lww("y"), Some(&converge_core::Value::from("now")));
    // Concurrent writes: the later wall time wins on every replica.
    let mut c = a.fork(ReplicaId::new(3));
    c.set_clock(|| 5_000);
    let mut d = a.fork(ReplicaId::new(4));
    d.set_clock(|| 4_000);
    let dc = {
        let mut tx = c.transact();
        tx.lww("z").set("later").unwrap();
        tx.commit().unwrap()
    };
    let dd = {
        let mut tx = d.transact();
        tx.lww("z").set("earlier").unwrap();
        tx.commit().unwrap()
    };
    c.apply(&dd).unwrap();
    d.apply(&dc).unwrap();
    assert_eq!(
        c.root().lww("z"),
        Some(&converge_core::Value::from("later"))
    );
    assert_eq!(c.snapshot(), d.snapshot());
}

/// A catch-up group absorbs history entries in order. When an early entry
/// removes list items (here: the list is replaced by a text) and a later
/// entry repeats some of those items beside new ones, the group must not
/// carry the removed items again: a replica that holds them would keep
/// them. Found by the long seeded scenarios (seed 7547 of an older
/// generator).
#[test]
fn catch_up_group_does_not_resurrect_items_an_earlier_entry_removed() {
    let mut c = Doc::new(ReplicaId::new(0xC3));
    let mut zero = Doc::new(ReplicaId::new(0x10));
    // The late replica has seen something, so that it gets a group of
    // history entries rather than a snapshot.
    zero.transact().counter("n").add(1).unwrap();
    let mut late = Doc::new(ReplicaId::new(0xD4));
    let _ = late
        .apply(&zero.encode_since(&late.version()).unwrap())
        .unwrap();
    let start = c.version();
    c.transact().list("u").push("a").unwrap();
    let first = c.encode_since(&start).unwrap();
    let _ = zero.apply(&first).unwrap();
    let _ = late.apply(&first).unwrap();
    // `zero` replaces the list, having seen "a" only.
    {
        let mut tx = zero.transact();
        assert!(tx.root().remove("u").unwrap());
        tx.text("u").push_str("hi").unwrap();
    }
    // `c` goes on typing into its list and sends its whole state, which
    // repeats "a" in one run with "b".
    c.transact().list("u").push("b").unwrap();
    let whole = c.encode_since(&VersionVector::new()).unwrap();
    let _ = zero.apply(&whole).unwrap();
    // The late replica catches up from `zero` alone: it must learn that
    // "a" is gone (the group's entries: the replacement, then `whole`).
    let group = zero.encode_since(&late.version()).unwrap();
    let _ = late.apply(&group).unwrap();
    assert_eq!(late.version(), zero.version());
    assert_eq!(late.to_value(), zero.to_value());
    assert_eq!(late.snapshot(), zero.snapshot());
}

/// Merging a whole state: a sequence its sender never saw stays as it is
/// (the merge skips it: no pass over its items), and one the sender saw
/// and removed goes, while what the sender never saw of it stays. Ends in
/// an equality of the full states.
#[test]
fn whole_states_remove_only_what_their_sender_saw() {
    let mut a = Doc::new(ReplicaId::new(0xA1));
    let mut b = Doc::new(ReplicaId::new(0xB2));
    let mut c = Doc::new(ReplicaId::new(0xC3));
    a.transact().text("mine").insert(0, "a's text").unwrap();
    b.transact().text("shared").insert(0, "b's text").unwrap();
    c.apply(&b.snapshot()).unwrap();
    // c removes what it saw of "shared"; a adds to it concurrently.
    a.apply(&b.snapshot()).unwrap();
    a.transact().text("shared").insert(0, "a: ").unwrap();
    c.transact().root().remove("shared").unwrap();
    c.transact().list("c's list").push(1).unwrap();
    // c's whole state, merged into a: "mine" is untouched (c never saw
    // a's replica), "shared" keeps only a's concurrent insert.
    a.apply(&c.snapshot()).unwrap();
    let root = a.root();
    assert_eq!(root.text("mine").unwrap().to_string(), "a's text");
    assert_eq!(root.text("shared").unwrap().to_string(), "a: ");
    c.apply(&a.snapshot()).unwrap();
    assert_eq!(a.snapshot(), c.snapshot());
}
