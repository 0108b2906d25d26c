//! Text and list basics: typing, merging, units, cursors.

use converge_core::{Doc, ReplicaId, Side, Unit};

fn text(d: &Doc) -> String {
    d.root()
        .text("t")
        .map(|t| t.to_string())
        .unwrap_or_default()
}

#[test]
fn typing_and_merging() {
    let mut a = Doc::new(ReplicaId::new(1));
    let mut tx = a.transact();
    tx.text("t").insert(0, "hello world").unwrap();
    let d0 = tx.commit().unwrap();
    let mut b = Doc::new(ReplicaId::new(2));
    let _ = b.apply(&d0).unwrap();
    assert_eq!(text(&b), "hello world");

    let mut tx = a.transact();
    tx.text("t").insert(5, " dear").unwrap();
    let da = tx.commit().unwrap();
    let mut tx = b.transact();
    tx.text("t").insert(5, " big").unwrap();
    tx.text("t").delete(0, 1).unwrap();
    tx.text("t").insert(0, "H").unwrap();
    let db = tx.commit().unwrap();
    let _ = a.apply(&db).unwrap();
    let _ = b.apply(&da).unwrap();
    assert_eq!(text(&a), text(&b));
    assert_eq!(a.snapshot(), b.snapshot());
    let t = text(&a);
    assert!(
        t == "Hello dear big world" || t == "Hello big dear world",
        "{t}"
    );
    let c = Doc::load(ReplicaId::new(3), &a.snapshot()).unwrap();
    assert_eq!(text(&c), t);
    assert_eq!(c.snapshot(), a.snapshot());
}

#[test]
fn utf16_positions_and_cursors() {
    let mut a = Doc::new(ReplicaId::new(1));
    let mut tx = a.transact();
    tx.text("t").insert(0, "a😀b").unwrap();
    tx.text("t").insert_in(Unit::Utf16, 3, "X").unwrap();
    assert!(tx.text("t").insert_in(Unit::Utf16, 2, "Y").is_err());
    drop(tx);
    assert_eq!(text(&a), "a😀Xb");
    let t = a.root().text("t").unwrap();
    assert_eq!(t.len_in(Unit::Utf16), 5);
    assert_eq!(t.len_in(Unit::Utf8), 7);
    let cur = t.cursor(3, Side::Right);
    let mut tx = a.transact();
    tx.text("t").insert(0, "zz").unwrap();
    drop(tx);
    assert_eq!(a.root().text("t").unwrap().resolve(&cur), Some(5));
}

#[test]
fn lists() {
    let mut a = Doc::new(ReplicaId::new(1));
    let mut tx = a.transact();
    tx.list("l").push(1).unwrap();
    tx.list("l").push("two").unwrap();
    tx.list("l").insert(0, 0).unwrap();
    tx.list("l").delete(1, 1).unwrap();
    drop(tx);
    let l = a.root().list("l").unwrap();
    assert_eq!(l.len(), 2);
    assert_eq!(l.get(1), Some(&converge_core::Value::from("two")));
    let b = Doc::load(ReplicaId::new(2), &a.snapshot()).unwrap();
    assert_eq!(b.to_value(), a.to_value());
}

#[test]
fn standalone_text_syncs_by_deltas_and_states() {
    use converge_core::Text;
    let mut a = Text::new(ReplicaId::new(1));
    a.insert(0, "hello").unwrap();
    let mut b = Text::new(ReplicaId::new(2));
    b.apply(&a.to_bytes()).unwrap();
    let va = a.version();
    let vb = b.version();
    a.insert(5, " world").unwrap();
    a.delete(0, 1).unwrap();
    b.insert(0, ">> ").unwrap();
    b.delete(4, 2).unwrap();
    let to_b = a.encode_since(&vb).unwrap();
    let to_a = b.encode_since(&va).unwrap();
    a.apply(&to_a).unwrap();
    b.apply(&to_b).unwrap();
    assert_eq!(a.to_string(), b.to_string());
    assert_eq!(a, b);
    assert_eq!(a.to_bytes(), b.to_bytes());
    assert_eq!(a.to_string(), ">> lo world");
    let c = Text::from_bytes(ReplicaId::new(3), &a.to_bytes()).unwrap();
    assert_eq!(c, a);
    c.check_invariants();
    // A delta for a version this replica has not reached is refused.
    let mut d = Text::new(ReplicaId::new(4));
    assert!(d.apply(&to_b).is_err());
    let mut m = Text::new(ReplicaId::new(5));
    m.merge(&a);
    assert_eq!(m, a);
}

/// Applies one change's steps to a mirror of the text, as an editor would.
fn apply_steps(mirror: &mut Vec<char>, steps: &[converge_core::TextStep]) {
    use converge_core::TextStep;
    let mut at = 0;
    for s in steps {
        match s {
            TextStep::Retain(n) => at += n,
            TextStep::Insert(t) => {
                let chars: Vec<char> = t.chars().collect();
                let n = chars.len();
                mirror.splice(at..at, chars);
                at += n;
            }
            TextStep::Delete(n) => {
                mirror.drain(at..at + n);
            }
        }
    }
}

#[test]
fn change_events_rebuild_the_text_in_an_editor_mirror() {
    use converge_core::ChangeKind;
    use std::sync::{Arc, Mutex};
    let mut a = Doc::new(ReplicaId::new(1));
    let mut b = Doc::new(ReplicaId::new(2));
    let mirror = Arc::new(Mutex::new(Vec::<char>::new()));
    let m = mirror.clone();
    b.subscribe(move |ev| {
        for c in &ev.changes {
            if let ChangeKind::Text(steps) = &c.kind {
                apply_steps(&mut m.lock().unwrap(), steps);
            }
        }
    });
    let mut seed = 7u64;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for round in 0..200 {
        // a edits and b receives; b edits locally too.
        let doc = if round % 3 == 0 { &mut b } else { &mut a };
        let len = doc.root().text("t").map_or(0, |t| t.len());
        let mut tx = doc.transact();
        for _ in 0..1 + next(3) {
            let len_now = tx.text("t").len();
            if len_now > 0 && next(3) == 0 {
                let p = next(len_now);
                let n = 1 + next((len_now - p).min(3));
                tx.text("t").delete(p, n).unwrap();
            } else {
                let p = next(len_now + 1);
                tx.text("t")
                    .insert(p, ["x", "yz", "é", "😀"][next(4)])
                    .unwrap();
            }
        }
        let bytes = tx.commit().unwrap();
        let _ = len;
        if round % 3 != 0 {
            let _ = b.apply(&bytes).unwrap();
        } else {
            let _ = a.apply(&bytes).unwrap();
        }
        let text: String = mirror.lock().unwrap().iter().collect();
        assert_eq!(text, b.get_text("t").get(&b), "round {round}");
    }
    assert_eq!(a.snapshot(), b.snapshot());
}
