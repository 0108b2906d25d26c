//! Two replicas edit a shared document offline, exchange deltas, and end
//! byte-identical. Run with `cargo run -p converge-core --example two_replicas`.

#![deny(warnings)]

use converge_core::{Doc, DocError, ReplicaId};

fn main() -> Result<(), DocError> {
    // Every replica needs its own id; real apps draw it at random.
    let mut laptop = Doc::new(ReplicaId::new(0x3f2a_91c4_5be0_7d11));
    let mut phone = laptop.fork(ReplicaId::new(0x8c41_0e5f_a2d7_3b96));

    // Offline edits on both sides.
    let mut tx = laptop.transact();
    tx.map("trip")
        .lww("title")
        .set_at("Lisbon", 1_700_000_000_000)?;
    tx.map("trip").aw_set("packing").insert("passport")?;
    tx.commit();

    let mut tx = phone.transact();
    tx.map("trip").aw_set("packing").insert("charger")?;
    tx.map("trip").counter("budget_eur").add(450)?;
    tx.commit();

    // Back online: each sends what the other lacks (one round trip).
    let for_phone = laptop
        .encode_since(&phone.version())
        .expect("laptop has news");
    let for_laptop = phone
        .encode_since(&laptop.version())
        .expect("phone has news");
    println!(
        "laptop -> phone: {} bytes, phone -> laptop: {} bytes",
        for_phone.len(),
        for_laptop.len()
    );
    let _ = phone.apply(&for_phone)?;
    let _ = laptop.apply(&for_laptop)?;

    assert_eq!(laptop.snapshot(), phone.snapshot());
    println!("{:#?}", laptop.to_value());
    Ok(())
}
