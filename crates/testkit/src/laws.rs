//! Join-semilattice laws, checked on states that random operations and
//! random merges produced.

use std::fmt::Debug;

use converge_core::Lattice;

/// Three states of one type and the deltas that built them, for law checks.
#[derive(Clone, Debug)]
pub struct LawCase<T> {
    /// Three replica states.
    pub states: [T; 3],
    /// Every delta any mutator returned, in the order made.
    pub deltas: Vec<T>,
}

/// Checks, for three states `a`, `b`, `c` of a lattice:
/// commutativity, associativity, idempotence, that joins keep invariants,
/// that joining every delta into the empty state equals joining every
/// state, and that `roundtrip` (encode then decode) is the identity.
pub fn check_laws<T, F>(case: &LawCase<T>, empty: T, roundtrip: F)
where
    T: Lattice + PartialEq + Debug,
    F: Fn(&T) -> T,
{
    let [a, b, c] = &case.states;
    let join = |x: &T, y: &T| {
        let mut z = x.clone();
        z.join(y);
        z.check_invariants();
        z
    };
    assert_eq!(join(a, b), join(b, a), "join is not commutative");
    assert_eq!(
        join(&join(a, b), c),
        join(a, &join(b, c)),
        "join is not associative"
    );
    assert_eq!(join(a, a), *a, "join is not idempotent");
    assert_eq!(
        join(&join(a, b), b),
        join(a, b),
        "re-joining changed the state"
    );
    let mut from_deltas = empty.clone();
    for d in &case.deltas {
        from_deltas.join(d);
    }
    let all_states = join(&join(a, b), c);
    assert_eq!(
        from_deltas, all_states,
        "joining all deltas differs from joining all states"
    );
    for x in [a, b, c, &all_states] {
        assert_eq!(&roundtrip(x), x, "decode(encode(x)) != x");
    }
}
