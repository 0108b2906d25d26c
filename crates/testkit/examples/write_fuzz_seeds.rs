//! Writes the seed corpus of the fuzz targets into `fuzz/seeds/<target>/`:
//! valid blobs of every kind, so that libFuzzer starts from inputs that
//! reach deep into the parsers. `cargo run -p converge-testkit --example write_fuzz_seeds`

#![deny(warnings)]

use std::path::PathBuf;

use converge_core::kernel::envelope::HEADER_LEN;
use converge_core::kernel::DotFun;
use converge_core::{AwSet, Doc, OrMap, ReplicaId};
use converge_sync::Message;
use converge_testkit::scenario::random_docs;
use converge_testkit::Rng;

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

fn main() {
    let ([a, b, _], deltas) = random_docs(1, 40);
    write("decode_doc", "snapshot", &a.snapshot());
    write(
        "decode_doc",
        "snapshot_payload",
        &b.snapshot()[HEADER_LEN..],
    );
    write("decode_doc", "delta", &deltas[0]);
    write(
        "decode_doc",
        "delta_payload",
        &deltas[deltas.len() - 1][HEADER_LEN..],
    );
    let group = a
        .encode_since(&converge_core::VersionVector::new())
        .unwrap();
    write("decode_doc", "group", &group);

    let r = ReplicaId::new(5);
    let mut set = AwSet::new();
    let mut map = OrMap::<String, DotFun<u64>>::new();
    for i in 0..5u64 {
        let _ = set.insert(r, format!("e{i}"));
        let _ = map.write_register(r, format!("k{i}"), i);
    }
    // decode_types: the first byte picks the kind (index into its list).
    let mut s = vec![4u8];
    s.extend_from_slice(&set.to_bytes()[HEADER_LEN..]);
    write("decode_types", "aw_set", &s);
    let mut m = vec![6u8];
    m.extend_from_slice(&map.to_bytes()[HEADER_LEN..]);
    write("decode_types", "mv_map", &m);

    // Texts: a document delta and snapshot with a text and a list, and a
    // standalone text (whole and as a delta).
    let mut d = converge_core::Doc::new(ReplicaId::new(9));
    let mut tx = d.transact();
    tx.text("t").insert(0, "héllo wörld").unwrap();
    tx.list("l").push(1).unwrap();
    let first = tx.commit().unwrap();
    let mut tx = d.transact();
    tx.text("t").delete(1, 4).unwrap();
    tx.text("t").insert(0, "😀").unwrap();
    write("decode_doc", "text_delta", &tx.commit().unwrap());
    write("decode_doc", "text_first_delta", &first);
    write("decode_doc", "text_snapshot", &d.snapshot());
    let mut t = converge_core::Text::new(ReplicaId::new(3));
    t.insert(0, "abc def").unwrap();
    let v = t.version();
    t.delete(2, 3).unwrap();
    t.insert(1, "XY").unwrap();
    let mut w = vec![7u8];
    w.extend_from_slice(&t.to_bytes()[HEADER_LEN..]);
    write("decode_types", "text", &w);
    let mut w = vec![7u8];
    w.extend_from_slice(&t.encode_since(&v).unwrap()[HEADER_LEN..]);
    write("decode_types", "text_delta", &w);

    // Format version 2's columns: a list and texts of many runs.
    let mut d = converge_core::Doc::new(ReplicaId::new(11));
    let mut t = converge_core::Text::new(ReplicaId::new(4));
    for i in 0..20 {
        let mut tx = d.transact();
        tx.list("l").insert(0, i).unwrap();
        // Scattered inserts: runs whose origins version 2 infers.
        let at = (i as usize * 7) % (2 * i as usize + 1);
        tx.text("t").insert(at, "ab").unwrap();
        drop(tx);
        t.insert(0, "ab").unwrap();
        t.delete(1, 1).unwrap();
    }
    write("decode_doc", "many_runs_snapshot", &d.snapshot());
    // Format version 4's run-length columns: a text and a list typed
    // backwards.
    let mut d = converge_core::Doc::new(ReplicaId::new(12));
    for i in 0..40 {
        let mut tx = d.transact();
        tx.list("l").insert(0, i).unwrap();
        tx.text("t").insert(0, "ab").unwrap();
    }
    write("decode_doc", "backwards_snapshot", &d.snapshot());
    // Every format version's committed fixtures (today's code writes
    // version 2's columns only where version 4's are no smaller).
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures");
    for v in 1..=converge_core::kernel::envelope::FORMAT_VERSION {
        for kind in ["snapshot", "delta"] {
            let bytes = std::fs::read(fixtures.join(format!("v{v}-{kind}.bin"))).unwrap();
            write("decode_doc", &format!("fixture_v{v}_{kind}"), &bytes);
        }
    }
    // The high bit of decode_types' first byte: version 2's parser.
    let mut w = vec![0x80 | 7u8];
    w.extend_from_slice(&t.to_bytes()[HEADER_LEN..]);
    write("decode_types", "text_many_runs", &w);

    let msgs = [
        Message::Summary {
            version: a.version(),
        },
        Message::Request { have: b.version() },
        Message::Delta {
            delta: deltas[0].clone(),
        },
        Message::Chunk {
            transfer: 1,
            offset: 0,
            total: 40,
            data: group[..40].to_vec(),
        },
        Message::ChunkAck {
            transfer: 1,
            next: 40,
        },
        Message::Ack {
            version: a.version(),
        },
    ];
    for (i, msg) in msgs.iter().enumerate() {
        write("decode_sync", &format!("msg{i}"), &msg.encode());
        write(
            "decode_sync",
            &format!("payload{i}"),
            &msg.encode()[HEADER_LEN..],
        );
    }
    let mut rng = Rng::new(7);
    for target in ["convergence", "sync_peer"] {
        for i in 0..4 {
            let bytes: Vec<u8> = (0..512).map(|_| rng.next_u64() as u8 | 1).collect();
            write(target, &format!("random{i}"), &bytes);
        }
    }
    let _ = Doc::new(r);
    println!("seeds written to fuzz/seeds/");
}
