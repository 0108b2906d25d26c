//! quickcheck `Arbitrary` for every standalone type: a `LawCase<T>` is
//! three replica states built by random mutations and random merges, plus
//! every delta the mutators returned.

use converge_core::kernel::DotFun;
use converge_core::{
    AwSet, GCounter, Lattice, LwwRegister, MvRegister, OrMap, PnCounter, ReplicaId, RwSet, Text,
};
use quickcheck::{Arbitrary, Gen};

use crate::laws::LawCase;
use crate::rng::Rng;

/// The replica ids generated states use: one random-looking, one small,
/// one at the top of the range (to exercise every varint width).
pub const REPLICAS: [ReplicaId; 3] = [
    ReplicaId::new(0x9E37_79B9_7F4A_7C15),
    ReplicaId::new(7),
    ReplicaId::new(u64::MAX),
];

/// Three replicas apply `steps` random mutations (`op`) and sometimes join
/// one another's state.
pub fn build_case<T: Lattice>(
    seed: u64,
    steps: usize,
    empty: T,
    mut op: impl FnMut(&mut Rng, &mut T, ReplicaId) -> T,
) -> LawCase<T> {
    let mut rng = Rng::new(seed);
    let mut states = [empty.clone(), empty.clone(), empty];
    let mut deltas = Vec::new();
    for _ in 0..steps {
        let i = rng.below(3);
        if rng.chance(15) {
            let other = states[rng.below(3)].clone();
            states[i].join(&other);
        } else {
            deltas.push(op(&mut rng, &mut states[i], REPLICAS[i]));
        }
        states[i].check_invariants();
    }
    LawCase { states, deltas }
}

fn steps(g: &mut Gen) -> usize {
    usize::arbitrary(g) % (g.size() + 1) + 1
}

macro_rules! arbitrary_case {
    ($t:ty, $empty:expr, $op:expr) => {
        impl Arbitrary for LawCase<$t> {
            fn arbitrary(g: &mut Gen) -> Self {
                let n = steps(g);
                build_case(u64::arbitrary(g), n, $empty, $op)
            }
        }
    };
}

arbitrary_case!(GCounter, GCounter::new(), |rng, c, r| c
    .increment(r, rng.below(5) as u64));
arbitrary_case!(PnCounter, PnCounter::new(), |rng, c, r| c
    .add(r, rng.below(11) as i64 - 5));
arbitrary_case!(LwwRegister<u32>, LwwRegister::new(), |rng, reg, r| reg.set(
    r,
    rng.below(8) as u64,
    rng.below(4) as u32
));
arbitrary_case!(MvRegister<u32>, MvRegister::new(), |rng, reg, r| reg
    .set(r, rng.below(50) as u32));
arbitrary_case!(AwSet<u16>, AwSet::new(), |rng, s, r| {
    let e = rng.below(6) as u16;
    if rng.chance(60) {
        s.insert(r, e)
    } else {
        s.remove(r, e)
    }
});
arbitrary_case!(RwSet<String>, RwSet::new(), |rng, s, r| {
    let e = format!("e{}", rng.below(6));
    if rng.chance(60) {
        s.insert(r, e)
    } else {
        s.remove(r, e)
    }
});
arbitrary_case!(OrMap<u8, DotFun<u32>>, OrMap::new(), |rng, m, r| {
    let k = rng.below(5) as u8;
    if rng.chance(75) {
        m.write_register(r, k, rng.below(9) as u32)
    } else {
        m.remove(r, k)
    }
});

// Texts: each replica's state is forked to its own id on its first edit;
// an edit's "delta" is the whole state after it (a state is a delta of
// itself), so joining every delta must still equal joining every state.
arbitrary_case!(Text, Text::new(ReplicaId::new(1)), |rng, t, r| {
    if t.replica() != r {
        *t = t.fork(r);
    }
    let len = t.len();
    if len > 0 && rng.chance(35) {
        let pos = rng.below(len);
        let n = 1 + rng.below((len - pos).min(3));
        t.delete(pos, n).expect("in bounds");
    } else {
        let s: String = (0..1 + rng.below(3))
            .map(|_| *rng.pick(&['a', 'b', 'c', 'é', '😀']))
            .collect();
        t.insert(rng.below(len + 1), &s).expect("in bounds");
    }
    t.clone()
});
