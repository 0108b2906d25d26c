//! quickcheck: every standalone type is a join-semilattice, deltas join
//! like states, and encoding round-trips.

use converge_core::kernel::DotFun;
use converge_core::{
    AwSet, GCounter, Lattice, LwwRegister, MvRegister, OrMap, PnCounter, ReplicaId, RwSet, Text,
};
use converge_testkit::{check_laws, LawCase};
use quickcheck::quickcheck;

const REPLICAS: [ReplicaId; 3] = converge_testkit::arbitrary::REPLICAS;

quickcheck! {
    fn text_laws(case: LawCase<Text>) -> bool {
        check_laws(&case, Text::new(ReplicaId::new(1)), |x| {
            Text::from_bytes(ReplicaId::new(2), &x.to_bytes()).unwrap()
        });
        true
    }

    fn gcounter_laws(case: LawCase<GCounter>) -> bool {
        check_laws(&case, GCounter::new(), |x| GCounter::from_bytes(&x.to_bytes()).unwrap());
        true
    }

    fn pn_counter_laws(case: LawCase<PnCounter>) -> bool {
        check_laws(&case, PnCounter::new(), |x| PnCounter::from_bytes(&x.to_bytes()).unwrap());
        true
    }

    fn lww_register_laws(case: LawCase<LwwRegister<u32>>) -> bool {
        check_laws(&case, LwwRegister::new(), |x| LwwRegister::from_bytes(&x.to_bytes()).unwrap());
        true
    }

    fn mv_register_laws(case: LawCase<MvRegister<u32>>) -> bool {
        check_laws(&case, MvRegister::new(), |x| MvRegister::from_bytes(&x.to_bytes()).unwrap());
        true
    }

    fn aw_set_laws(case: LawCase<AwSet<u16>>) -> bool {
        check_laws(&case, AwSet::new(), |x| AwSet::from_bytes(&x.to_bytes()).unwrap());
        true
    }

    fn rw_set_laws(case: LawCase<RwSet<String>>) -> bool {
        check_laws(&case, RwSet::new(), |x| RwSet::from_bytes(&x.to_bytes()).unwrap());
        true
    }

    fn mv_map_laws(case: LawCase<OrMap<u8, DotFun<u32>>>) -> bool {
        check_laws(&case, OrMap::new(), |x| OrMap::from_bytes(&x.to_bytes()).unwrap());
        true
    }
}

#[test]
fn add_wins_over_concurrent_remove() {
    let (a, b) = (REPLICAS[0], REPLICAS[1]);
    let mut x = AwSet::new();
    let _ = x.insert(a, 1);
    let mut y = x.clone();
    let _ = x.remove(a, 1);
    let _ = y.insert(b, 1);
    x.join(&y);
    assert!(x.contains(&1));
}

#[test]
fn remove_wins_over_concurrent_add() {
    let (a, b) = (REPLICAS[0], REPLICAS[1]);
    let mut x = RwSet::new();
    let _ = x.insert(a, 1);
    let mut y = x.clone();
    let _ = x.remove(a, 1);
    let _ = y.insert(b, 1);
    x.join(&y);
    assert!(!x.contains(&1));
    // A later add that saw the remove brings it back.
    let _ = x.insert(b, 1);
    assert!(x.contains(&1));
}

#[test]
fn mv_register_keeps_concurrent_values() {
    let (a, b) = (REPLICAS[0], REPLICAS[1]);
    let mut x = MvRegister::new();
    let mut y = MvRegister::new();
    let _ = x.set(a, "left");
    let _ = y.set(b, "right");
    x.join(&y);
    assert_eq!(x.values().len(), 2);
    let _ = x.set(a, "merged");
    assert_eq!(x.values(), vec![&"merged"]);
}

#[test]
fn lww_ties_break_by_replica() {
    let mut x = LwwRegister::new();
    let mut y = LwwRegister::new();
    let _ = x.set(ReplicaId::new(1), 5, "low");
    let _ = y.set(ReplicaId::new(2), 5, "high");
    let mut xy = x.clone();
    xy.join(&y);
    y.join(&x);
    assert_eq!(xy.get(), Some(&"high"));
    assert_eq!(y, xy);
}

#[test]
fn gcounter_delta_since_is_exact() {
    let mut c = GCounter::new();
    let _ = c.increment(REPLICAS[0], 3);
    let old = c.clone();
    let _ = c.increment(REPLICAS[1], 4);
    let delta = c.delta_since(&old);
    assert_eq!(delta.totals().count(), 1);
    let mut caught_up = old;
    caught_up.join(&delta);
    assert_eq!(caught_up, c);
}
