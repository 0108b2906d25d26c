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
