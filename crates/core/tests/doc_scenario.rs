//! Multi-replica document scenarios against the reference model.

use converge_core::{Doc, ReplicaId};
use converge_testkit::{random_docs, run_doc_scenario, Rng, ScenarioConfig};
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

fn merged(a: &Doc, b: &Doc) -> Doc {
    let mut c = a.clone();
    let _ = c.merge(b).unwrap();
    c.check_invariants();
    c
}

quickcheck! {
    fn doc_join_laws(seed: u64) -> bool {
        let ([a, b, c], deltas) = random_docs(seed, 60);
        assert_eq!(merged(&a, &b).snapshot(), merged(&b, &a).snapshot(), "merge not commutative");
        assert_eq!(merged(&merged(&a, &b), &c).snapshot(), merged(&a, &merged(&b, &c)).snapshot(), "merge not associative");
        assert_eq!(merged(&a, &a).snapshot(), a.snapshot(), "merge not idempotent");
        // Applying every delta, in a shuffled order with duplicates, equals
        // merging every state.
        let all = merged(&merged(&a, &b), &c);
        let mut order: Vec<&Vec<u8>> = deltas.iter().chain(deltas.iter().take(5)).collect();
        Rng::new(seed).shuffle(&mut order);
        let mut fresh = Doc::new(ReplicaId::new(42));
        for d in order {
            let _ = fresh.apply(d).unwrap();
        }
        assert_eq!(fresh.pending_len(), 0);
        assert_eq!(fresh.snapshot(), all.snapshot(), "deltas differ from states");
        // decode(encode(x)) == x
        let loaded = Doc::load(ReplicaId::new(43), &all.snapshot()).unwrap();
        assert_eq!(loaded.to_value(), all.to_value());
        assert_eq!(loaded.snapshot(), all.snapshot());
        true
    }

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
