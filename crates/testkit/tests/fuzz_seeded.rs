//! The fuzz targets' logic on the stable toolchain, over a fixed range of
//! seeds: random bytes are turned into cases exactly as libFuzzer's would be.

use arbitrary::{Arbitrary, Unstructured};
use converge_testkit::fuzz::{
    decode_doc, decode_sync, decode_types, run_convergence, run_sync_peer, Action, ConvergenceCase,
    HostileMessage, SyncPeerCase,
};
use converge_testkit::Rng;

fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

/// `n` items decoded one after another from random bytes (libFuzzer's
/// own inputs end lists early; seeded runs want long ones).
fn items<T: for<'a> Arbitrary<'a>>(seed: u64, n: usize) -> Vec<T> {
    let data = bytes(seed, n * 64);
    let mut u = Unstructured::new(&data);
    (0..n).map(|_| T::arbitrary(&mut u).unwrap()).collect()
}

#[test]
fn convergence_over_seeds() {
    let mut edits = 0;
    for seed in 0..120 {
        let actions: Vec<Action> = items(seed, 150);
        edits += actions
            .iter()
            .filter(|a| matches!(a, Action::Edit { .. }))
            .count();
        let case = ConvergenceCase {
            seed,
            replicas: seed as u8,
            actions,
        };
        run_convergence(&case);
    }
    assert!(edits > 2_000, "{edits} edits");
}

#[test]
fn sync_peer_over_seeds() {
    for seed in 0..120 {
        let msgs: Vec<HostileMessage> = items(seed ^ 0xFEED, 100);
        let mut rng = Rng::new(seed);
        let steps = msgs
            .into_iter()
            .map(|m| (m, rng.chance(50), rng.chance(30).then(|| rng.next_u64())))
            .collect();
        run_sync_peer(&SyncPeerCase { seed, steps });
    }
}

#[test]
fn decoders_over_seeds() {
    for seed in 0..3000 {
        let data = bytes(seed, (seed % 200) as usize);
        decode_doc(&data);
        decode_types(&data);
        decode_sync(&data);
    }
}

/// Issue #12's holes in one run: a replica's edits, clones that must not
/// write, a forger reusing a replica's dots (refused or harmless, and every
/// state still loads), and restarts from saves under fresh ids.
#[test]
fn clones_forgers_and_stale_restarts_converge() {
    for seed in 0..20u64 {
        let mut actions = Vec::new();
        for k in 0..60u64 {
            let replica = (k % 3) as u8;
            actions.push(Action::Edit {
                replica,
                seed: seed * 1000 + k,
            });
            actions.push(match k % 6 {
                0 => Action::Clone { replica },
                1 => Action::ReuseDots {
                    replica,
                    seed: seed ^ k,
                },
                2 => Action::RestartFresh { replica },
                3 => Action::Split,
                4 => Action::Heal,
                _ => Action::Advance { ms: 50 },
            });
        }
        run_convergence(&ConvergenceCase {
            seed,
            replicas: 1,
            actions,
        });
    }
}
