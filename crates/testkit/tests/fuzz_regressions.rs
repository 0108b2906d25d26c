//! Replays every committed fuzz input (`fuzz/seeds/<target>/` and
//! `fuzz/regressions/<target>/`) through the target's logic on stable.
//! A crash found by cargo-fuzz becomes a file in `fuzz/regressions/` and
//! stays a test forever.

use std::path::PathBuf;

use arbitrary::{Arbitrary, Unstructured};
use converge_testkit::fuzz::{
    decode_doc, decode_sync, decode_types, run_convergence, run_sync_peer, ConvergenceCase,
    SyncPeerCase,
};

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut out = Vec::new();
    for dir in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_file() {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn replay(target: &str, run: impl Fn(&[u8])) -> usize {
    let all = inputs(target);
    for (path, data) in &all {
        eprintln!("replaying {}", path.display());
        run(data);
    }
    all.len()
}

fn structured<T: for<'a> Arbitrary<'a>>(data: &[u8], run: impl Fn(&T)) {
    // libfuzzer-sys builds structured inputs with `arbitrary_take_rest`.
    if let Ok(case) = T::arbitrary_take_rest(Unstructured::new(data)) {
        run(&case);
    }
}

#[test]
fn replay_committed_inputs() {
    let mut n = 0;
    n += replay("decode_doc", decode_doc);
    n += replay("decode_types", decode_types);
    n += replay("decode_sync", decode_sync);
    n += replay("convergence", |d| {
        structured::<ConvergenceCase>(d, run_convergence)
    });
    n += replay("sync_peer", |d| {
        structured::<SyncPeerCase>(d, run_sync_peer)
    });
    assert!(n > 0, "no committed fuzz inputs found");
}
