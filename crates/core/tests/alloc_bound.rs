//! Decoder memory is bounded by the input. Alone in its test binary so that
//! no other test's allocations disturb the counting allocator.

use converge_core::kernel::envelope::seal;
use converge_core::BlobKind;
use converge_testkit::alloc::{peak_bytes, reset_peak, CountingAlloc};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

mod common;
use common::{decode_everything, postcard_varint};

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
