//! Multi-replica document scenarios against the reference model.

use converge_testkit::{run_doc_scenario, ScenarioConfig};
use quickcheck::quickcheck;

#[test]
fn seeded_scenarios_converge() {
    let (mut ops, mut pending, mut catch_ups) = (0, 0, 0);
    for seed in 0..200u64 {
        let cfg = ScenarioConfig {
            seed,
            replicas: 2 + (seed % 4) as usize,
            steps: 120,
        };
        let r = run_doc_scenario(&cfg);
        ops += r.ops;
        pending += r.pending;
        catch_ups += r.catch_ups;
    }
    // The runs must really exercise out-of-order delivery and catch-up.
    assert!(ops > 10_000, "{ops} ops");
    assert!(pending > 100, "{pending} pending deltas");
    assert!(catch_ups > 1_000, "{catch_ups} catch-ups");
}

quickcheck! {
    fn random_scenarios_converge(seed: u64, replicas: u8) -> bool {
        let cfg = ScenarioConfig { seed, replicas: 2 + usize::from(replicas % 4), steps: 80 };
        run_doc_scenario(&cfg);
        true
    }
}

/// Long mode: `CONVERGE_LONG_SEEDS=100000 cargo test --release -p converge-core --test doc_scenario long -- --ignored`
#[test]
#[ignore = "long mode; run explicitly"]
fn long_seeded_scenarios() {
    let n: u64 = std::env::var("CONVERGE_LONG_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    for seed in 0..n {
        let cfg = ScenarioConfig {
            seed: seed ^ 0xABCD_0000,
            replicas: 2 + (seed % 4) as usize,
            steps: 200,
        };
        run_doc_scenario(&cfg);
    }
}
