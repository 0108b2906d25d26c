#![no_main]
//! A hostile peer cannot crash a node, grow its memory without bound, or
//! stop two honest replicas from converging.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|case: converge_testkit::fuzz::SyncPeerCase| {
    converge_testkit::fuzz::run_sync_peer(&case);
});
