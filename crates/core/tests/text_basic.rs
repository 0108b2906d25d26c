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
