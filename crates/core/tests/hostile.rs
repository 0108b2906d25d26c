//! Hostile bytes: decoders return errors, never panic, never allocate out
//! of proportion to the input, and a rejected blob leaves state unchanged.

use converge_core::kernel::envelope::{seal, HEADER_LEN};
use converge_core::{AwSet, BlobKind, DecodeError, Doc, ReplicaId};
use converge_testkit::Rng;

mod common;
use common::{decode_everything, postcard_varint, sample_doc, valid_blobs};
use quickcheck::quickcheck;

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
            let kind = converge_core::kernel::envelope::peek_kind(&blob).unwrap();
            let mut payload = blob[HEADER_LEN..].to_vec();
            for _ in 0..1 + rng.below(4) {
                match rng.below(3) {
                    0 if !payload.is_empty() => { let i = rng.below(payload.len()); payload[i] ^= 1 << rng.below(8); }
                    1 if !payload.is_empty() => { let i = rng.below(payload.len()); payload[i] = rng.next_u64() as u8; }
                    _ => { let i = rng.below(payload.len() + 1); payload.truncate(i); }
                }
            }
            // Resealed (with its version), so the checksum passes and the
            // parser sees the damage.
            decode_everything(&converge_core::kernel::envelope::seal_as(blob[4], kind, &payload));
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
    // Slot layout: parent (varint), key (variant 0 = map key, len +
    // bytes), scan (bool), nodes (len + [variant 0 = Map, scan false]).
    let n: u32 = 100_000;
    let mut p = vec![0u8, 0, 0]; // no replicas, empty context, no deps
    let mut len = Vec::new();
    postcard_varint(&mut len, n as u64);
    p.extend_from_slice(&len);
    for i in 0..n {
        postcard_varint(&mut p, u64::from(i));
        p.extend_from_slice(&[0, 1, b'k', 0, 1, 0, 0]);
    }
    let blob = seal(BlobKind::DocDelta, &p);
    let err = Doc::new(ReplicaId::new(1)).apply(&blob).unwrap_err();
    assert_eq!(
        err,
        DecodeError::Invalid(converge_core::Invalid::TooDeep).into()
    );
}
