//! Helpers shared by the hostile-input test binaries.
#![allow(dead_code, unreachable_pub)]

use converge_core::kernel::DotFun;
use converge_core::{
    AwSet, Doc, GCounter, LwwRegister, MvRegister, OrMap, PnCounter, ReplicaId, RwSet,
};

pub fn sample_doc() -> Doc {
    let mut d = Doc::new(ReplicaId::new(0x1234_5678_9ABC));
    let mut tx = d.transact();
    tx.map("m").aw_set("s").insert("x").unwrap();
    tx.map("m").rw_set("r").insert(3).unwrap();
    tx.map("m").rw_set("r").remove(4).unwrap();
    tx.map("m").map("deep").counter("c").add(-4).unwrap();
    tx.lww("l").set_at(1.5, 9).unwrap();
    tx.mv("v").set(vec![1u8, 2, 3]).unwrap();
    drop(tx);
    d.transact().map("m").remove("s").unwrap();
    d
}

/// Every decoder on the same bytes; none may panic.
pub fn decode_everything(bytes: &[u8]) {
    let mut doc = sample_doc();
    let before = doc.snapshot();
    if doc.apply(bytes).is_err() {
        assert_eq!(
            doc.snapshot(),
            before,
            "a rejected blob changed the document"
        );
    }
    doc.check_invariants();
    let _ = Doc::load(ReplicaId::new(5), bytes);
    let _ = GCounter::from_bytes(bytes);
    let _ = PnCounter::from_bytes(bytes);
    let _ = LwwRegister::<String>::from_bytes(bytes);
    let _ = MvRegister::<u64>::from_bytes(bytes);
    let _ = AwSet::<String>::from_bytes(bytes);
    let _ = RwSet::<u32>::from_bytes(bytes);
    let _ = OrMap::<String, DotFun<u64>>::from_bytes(bytes);
}

/// The text of [`packed_doc`]: 3 KB of varied words (packs about 2×).
pub fn packed_text() -> String {
    (0..600u32)
        .map(|i| {
            ["tide ", "ember ", "quill ", "sorrel ", "vast "][(i * 7 % 5) as usize].to_string()
                + &i.to_string()
        })
        .collect()
}

/// A document whose snapshot packs its text (format version 2).
pub fn packed_doc() -> Doc {
    let mut d = Doc::new(ReplicaId::new(0x2468));
    d.transact().text("t").push_str(&packed_text()).unwrap();
    d.transact().text("t").delete(100, 50).unwrap();
    d
}

/// A document whose list and text have many runs: format version 2's
/// columns, with the text not packed.
pub fn many_runs_doc() -> Doc {
    let mut d = Doc::new(ReplicaId::new(0x1357));
    for i in 0..24 {
        let mut tx = d.transact();
        tx.list("l").insert(0, i).unwrap();
        tx.text("t").insert(0, "xy").unwrap();
        if i % 2 == 1 {
            tx.text("t").delete(1, 1).unwrap();
        }
    }
    d
}

pub fn valid_blobs() -> Vec<Vec<u8>> {
    let d = sample_doc();
    let r = ReplicaId::new(77);
    let mut set = AwSet::new();
    let _ = set.insert(r, "a".to_string());
    let mut map = OrMap::<String, DotFun<u64>>::new();
    let _ = map.write_register(r, "k".into(), 1);
    let mut other = Doc::new(ReplicaId::new(3));
    let delta = {
        let mut tx = other.transact();
        tx.map("m").aw_set("s").insert("y").unwrap();
        tx.commit().unwrap()
    };
    vec![
        d.snapshot(),
        d.encode_since(&converge_core::VersionVector::new())
            .unwrap(),
        delta,
        set.to_bytes(),
        map.to_bytes(),
        packed_doc().snapshot(),
        many_runs_doc().snapshot(),
    ]
}

pub fn postcard_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}
