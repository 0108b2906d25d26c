//! Replays every committed fuzz input (`fuzz/seeds/<target>/` and
//! `fuzz/regressions/<target>/`) through the target's logic on stable.
//! A crash found by cargo-fuzz becomes a file in `fuzz/regressions/` and
//! stays a test forever.

use std::path::{Path, PathBuf};

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

fn replay(target: &str, run: impl Fn(&Path, &[u8])) -> usize {
    let all = inputs(target);
    for (path, data) in &all {
        eprintln!("replaying {}", path.display());
        run(path, data);
    }
    all.len()
}

fn structured<T: for<'a> Arbitrary<'a>>(path: &Path, data: &[u8], run: impl Fn(&T)) {
    // libfuzzer-sys builds structured inputs with `arbitrary_take_rest`.
    match T::arbitrary_take_rest(Unstructured::new(data)) {
        Ok(case) => run(&case),
        // A regression that no longer decodes tests nothing: rewrite it.
        Err(e) => assert!(
            !path.components().any(|c| c.as_os_str() == "regressions"),
            "{} no longer decodes ({e}): it tests nothing",
            path.display()
        ),
    }
}

#[test]
fn replay_committed_inputs() {
    let mut n = 0;
    n += replay("decode_doc", |_, d| decode_doc(d));
    n += replay("decode_types", |_, d| decode_types(d));
    n += replay("decode_sync", |_, d| decode_sync(d));
    n += replay("convergence", |p, d| {
        structured::<ConvergenceCase>(p, d, run_convergence)
    });
    n += replay("sync_peer", |p, d| {
        structured::<SyncPeerCase>(p, d, run_sync_peer)
    });
    assert!(n > 0, "no committed fuzz inputs found");
}
