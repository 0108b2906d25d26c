//! Hostile bytes: decoders return errors, never panic, never allocate out
//! of proportion to the input, and a rejected blob leaves state unchanged.

use converge_core::{
    seal, AwSet, BlobKind, DecodeError, Doc, DotFun, GCounter, LwwRegister, MvRegister, OrMap,
    PnCounter, ReplicaId, RwSet, HEADER_LEN,
};
use converge_testkit::alloc::{peak_bytes, reset_peak, CountingAlloc};
use converge_testkit::Rng;
use quickcheck::quickcheck;

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

fn sample_doc() -> Doc {
    let mut d = Doc::new(ReplicaId::new(0x1234_5678_9ABC));
    let mut tx = d.transact();
    tx.map("m").aw_set("s").insert("x").unwrap();
    tx.map("m").rw_set("r").insert(3).unwrap();
    tx.map("m").rw_set("r").remove(4).unwrap();
    tx.map("m").map("deep").counter("c").add(-4).unwrap();
    tx.lww("l").set(1.5, 9).unwrap();
    tx.mv("v").set(vec![1u8, 2, 3]).unwrap();
    drop(tx);
    d.transact().map("m").remove("s").unwrap();
    d
}

/// Every decoder on the same bytes; none may panic.
fn decode_everything(bytes: &[u8]) {
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

fn valid_blobs() -> Vec<Vec<u8>> {
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
    ]
}

quickcheck! {
    fn arbitrary_bytes_never_panic(bytes: Vec<u8>) -> bool {
        decode_everything(&bytes);
        true
    }

    fn arbitrary_payloads_in_valid_envelopes_never_panic(payload: Vec<u8>, kind: u8) -> bool {
        let kinds = [BlobKind::DocDelta, BlobKind::DocSnapshot, BlobKind::AwSet, BlobKind::MvMap, BlobKind::RwSet];
        decode_everything(&seal(kinds[usize::from(kind) % kinds.len()], &payload));
        true
    }

    fn mutated_valid_blobs_are_rejected_or_accepted_cleanly(seed: u64) -> bool {
        let mut rng = Rng::new(seed);
        for blob in valid_blobs() {
            let kind = converge_core::peek_kind(&blob).unwrap();
            let mut payload = blob[HEADER_LEN..].to_vec();
            for _ in 0..1 + rng.below(4) {
                match rng.below(3) {
                    0 if !payload.is_empty() => { let i = rng.below(payload.len()); payload[i] ^= 1 << rng.below(8); }
                    1 if !payload.is_empty() => { let i = rng.below(payload.len()); payload[i] = rng.next_u64() as u8; }
                    _ => { let i = rng.below(payload.len() + 1); payload.truncate(i); }
                }
            }
            // Resealed, so the checksum passes and the parser sees the damage.
            decode_everything(&seal(kind, &payload));
            // Not resealed: the checksum must catch it.
            let mut raw = blob.clone();
            let i = HEADER_LEN + rng.below(blob.len() - HEADER_LEN);
            raw[i] ^= 0x40;
            assert!(Doc::load(ReplicaId::new(5), &raw).is_err() || kind != BlobKind::DocSnapshot);
        }
        true
    }
}

#[test]
fn envelope_errors_say_what_is_wrong() {
    let snap = sample_doc().snapshot();
    assert_eq!(
        Doc::load(ReplicaId::new(5), &snap[..5]).unwrap_err(),
        DecodeError::Truncated.into()
    );
    let mut bad = snap.clone();
    bad[0] = b'X';
    assert_eq!(
        Doc::load(ReplicaId::new(5), &bad).unwrap_err(),
        DecodeError::BadMagic.into()
    );
    let mut bad = snap.clone();
    bad[4] = 9;
    assert_eq!(
        Doc::load(ReplicaId::new(5), &bad).unwrap_err(),
        DecodeError::UnsupportedVersion(9).into()
    );
    let mut bad = snap.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert_eq!(
        Doc::load(ReplicaId::new(5), &bad).unwrap_err(),
        DecodeError::ChecksumMismatch.into()
    );
    let mut long = snap.clone();
    long.push(0);
    assert_eq!(
        Doc::load(ReplicaId::new(5), &long).unwrap_err(),
        DecodeError::TrailingBytes.into()
    );
    let set = AwSet::<u8>::new().to_bytes();
    assert!(matches!(
        Doc::load(ReplicaId::new(5), &set).unwrap_err(),
        converge_core::DocError::Decode(DecodeError::WrongKind { .. })
    ));
}

#[test]
fn deep_nesting_in_a_blob_is_rejected_without_recursion() {
    // A hand-built payload: 100,000 slots each the child of the previous.
    // Slot layout: parent (varint), key (len + bytes), scan (bool), nodes
    // (len + [variant 0 = Map, scan false]).
    let n: u32 = 100_000;
    let mut p = vec![0u8, 0, 0]; // no replicas, empty context, no deps
    let mut len = Vec::new();
    postcard_varint(&mut len, n as u64);
    p.extend_from_slice(&len);
    for i in 0..n {
        postcard_varint(&mut p, u64::from(i));
        p.extend_from_slice(&[1, b'k', 0, 1, 0, 0]);
    }
    let blob = seal(BlobKind::DocDelta, &p);
    let err = Doc::new(ReplicaId::new(1)).apply(&blob).unwrap_err();
    assert_eq!(err, DecodeError::Invalid("maps nest too deep").into());
}

fn postcard_varint(out: &mut Vec<u8>, mut v: u64) {
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

#[test]
fn decoding_allocates_in_proportion_to_the_input() {
    // Length prefixes that promise far more than the input holds.
    let mut payloads = Vec::new();
    for claim in [u32::MAX as u64, 1 << 20, 50_000] {
        let mut p = Vec::new();
        postcard_varint(&mut p, claim); // replica table length
        p.extend_from_slice(&[1, 2, 3]);
        payloads.push(p);
        let mut p = vec![0u8, 0, 0];
        postcard_varint(&mut p, claim); // slot count
        p.extend_from_slice(&[0, 1, b'k', 0]);
        postcard_varint(&mut p, claim); // node count
        payloads.push(p);
    }
    for p in payloads {
        for kind in [
            BlobKind::DocDelta,
            BlobKind::DocSnapshot,
            BlobKind::AwSet,
            BlobKind::MvMap,
        ] {
            let blob = seal(kind, &p);
            let base = reset_peak();
            decode_everything(&blob);
            let peak = peak_bytes() - base;
            // The sample document and its snapshot are built inside; allow
            // for them plus a small multiple of the input.
            assert!(
                peak < 64 * 1024 + 64 * blob.len(),
                "peak {peak} bytes for a {}-byte input",
                blob.len()
            );
        }
    }
}
