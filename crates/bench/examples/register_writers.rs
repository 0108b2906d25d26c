//! Many writers of one key (issue #18): 1,540 replicas concurrently set one
//! map key to a 5,000-character string each, then every update is merged
//! into one document. Prints the merged document's size for converge (a
//! last-writer-wins register and a multi-value register) and yrs (a map
//! entry; v1 and v2 encodings).
//!
//! `cargo run --release -p converge-bench --example register_writers`

#![deny(warnings)]

use converge_core::{Doc, ReplicaId};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Map, ReadTxn, StateVector, Transact, Update};

const WRITERS: u64 = 1_540;
const LEN: usize = 5_000;

/// Writer `i`'s value: 5,000 characters of its own.
fn value(i: u64) -> String {
    let word = format!("writer {i} was here; ");
    word.repeat(LEN / word.len() + 1)[..LEN].to_string()
}

/// The merged document of every writer's update; `mv` picks the register.
fn converge_merged(mv: bool) -> Doc {
    let mut merged = Doc::new(ReplicaId::new(u64::MAX));
    for i in 0..WRITERS {
        let mut d = Doc::new(ReplicaId::new(i + 1));
        let mut tx = d.transact();
        if mv {
            tx.map("m").mv("k").set(value(i)).expect("sets");
        } else {
            tx.map("m").lww("k").set_at(value(i), i).expect("sets");
        }
        let update = tx.commit().expect("an update");
        merged.apply(&update).expect("applies");
    }
    merged
}

fn yrs_merged() -> yrs::Doc {
    let merged = yrs::Doc::with_client_id(u64::from(u32::MAX));
    for i in 0..WRITERS {
        let d = yrs::Doc::with_client_id(i + 1);
        let map = d.get_or_insert_map("m");
        let mut txn = d.transact_mut();
        map.insert(&mut txn, "k", value(i));
        let update = txn.encode_update_v1();
        drop(txn);
        let mut mtxn = merged.transact_mut();
        mtxn.apply_update(Update::decode_v1(&update).expect("decodes"))
            .expect("applies");
    }
    merged
}

fn main() {
    println!("{WRITERS} writers concurrently set one key to {LEN} characters each, merged:\n");
    println!("| library | merged document, bytes | ÷ yrs v1 |");
    println!("|---|---:|---:|");
    let y = yrs_merged();
    let txn = y.transact();
    let v1 = txn.encode_state_as_update_v1(&StateVector::default()).len();
    let v2 = Update::decode_v1(&txn.encode_state_as_update_v1(&StateVector::default()))
        .expect("decodes")
        .encode_v2()
        .len();
    let lww = converge_merged(false).snapshot().len();
    let mv = converge_merged(true).snapshot().len();
    let row = |name: &str, n: usize| println!("| {name} | {n} | {:.2}x |", n as f64 / v1 as f64);
    row("converge, last-writer-wins register", lww);
    row("converge, multi-value register", mv);
    row("yrs 0.28, map entry (v1)", v1);
    row("yrs 0.28, map entry (v2)", v2);
}
