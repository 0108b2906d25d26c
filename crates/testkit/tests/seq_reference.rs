//! The sequence CRDT against its naive reference (2–5 replicas, random
//! concurrent edits, random delivery order, duplicates).

use converge_testkit::seq_model::run_seq_scenario;
use quickcheck::{QuickCheck, TestResult};

#[test]
fn text_matches_reference() {
    fn prop(seed: u64, replicas: u8) -> TestResult {
        let replicas = 2 + (replicas % 4) as usize;
        run_seq_scenario(seed, replicas, 120);
        TestResult::passed()
    }
    QuickCheck::new()
        .tests(150)
        .quickcheck(prop as fn(u64, u8) -> TestResult);
}

#[test]
#[ignore = "long mode: CONVERGE_LONG_SEEDS seeds of 400 steps"]
fn text_matches_reference_long() {
    let seeds: u64 = std::env::var("CONVERGE_LONG_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    for seed in 0..seeds {
        run_seq_scenario(seed, 2 + (seed % 4) as usize, 400);
    }
}

/// Replicas that concurrently type runs at one position (one transaction
/// per keystroke, forwards or backwards) see each run contiguous after
/// merging: FugueMax never interleaves them.
#[test]
fn concurrent_runs_never_interleave() {
    use converge_core::{Doc, ReplicaId};
    use converge_testkit::Rng;

    fn prop(seed: u64) -> TestResult {
        let mut rng = Rng::new(seed);
        let mut base = Doc::new(ReplicaId::new(1));
        let base_len = rng.below(12);
        if base_len > 0 {
            let mut tx = base.transact();
            tx.text("t").insert(0, &"-".repeat(base_len)).unwrap();
        }
        let pos = rng.below(base_len + 1);
        let n = 2 + rng.below(3);
        let mut docs: Vec<Doc> = (0..n)
            .map(|i| base.fork(ReplicaId::new(rng.next_u64() | 2 | i as u64)))
            .collect();
        let mut runs = Vec::new();
        let mut deltas = Vec::new();
        for (i, d) in docs.iter_mut().enumerate() {
            let ch = (b'a' + i as u8) as char;
            let k = 2 + rng.below(6);
            let backwards = rng.chance(30);
            for j in 0..k {
                let mut tx = d.transact();
                let at = if backwards { pos } else { pos + j };
                tx.text("t").insert(at, &ch.to_string()).unwrap();
                deltas.push(tx.commit().unwrap());
            }
            runs.push(ch.to_string().repeat(k));
        }
        for d in docs.iter_mut() {
            rng.shuffle(&mut deltas);
            for b in &deltas {
                let _ = d.apply(b).unwrap();
            }
        }
        let text = docs[0].root().text("t").unwrap().to_string();
        for d in &docs {
            assert_eq!(d.snapshot(), docs[0].snapshot());
        }
        for r in &runs {
            assert!(
                text.contains(r.as_str()),
                "seed {seed}: {r} interleaved in {text}"
            );
        }
        TestResult::passed()
    }
    QuickCheck::new()
        .tests(300)
        .quickcheck(prop as fn(u64) -> TestResult);
}
