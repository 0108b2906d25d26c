//! Quick, low-noise timing of the two merges (minimum of many runs), for
//! optimizing: `cargo run --release -p converge-bench --example merge_timing`.

#![deny(warnings)]

use std::time::Instant;

use converge_bench::{
    crdts_maps, crdts_sets, ours_maps, ours_sets, MAP_LEN, REPLICA_A, REPLICA_B, SET_LEN,
};
use crdts::CvRDT;

fn min_time<T: Clone>(a: &T, b: &T, runs: usize, mut merge: impl FnMut(T, T) -> T) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..runs {
        let (x, y) = (a.clone(), b.clone());
        let t = Instant::now();
        let r = merge(x, y);
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
        drop(r);
    }
    best
}

fn main() {
    let runs = 30;
    if std::env::args().nth(1).as_deref() == Some("ours-set") {
        // For profiling: our set merge only.
        let (a, b) = ours_sets(SET_LEN, REPLICA_A, REPLICA_B);
        let mut total = 0.0;
        for _ in 0..200 {
            let (mut x, y) = (a.clone(), b.clone());
            let t = Instant::now();
            x.join_owned(y);
            total += t.elapsed().as_secs_f64() * 1e3;
            drop(x);
        }
        println!("mean {:.2} ms", total / 200.0);
        return;
    }
    let (a, b) = ours_sets(SET_LEN, REPLICA_A, REPLICA_B);
    let ours = min_time(&a, &b, runs, |mut x, y| {
        x.join_owned(y);
        x
    });
    let (a, b) = crdts_sets(SET_LEN, REPLICA_A, REPLICA_B);
    let theirs = min_time(&a, &b, runs, |mut x, y| {
        x.merge(y);
        x
    });
    println!(
        "aw_set_merge: converge {ours:.2} ms, crdts {theirs:.2} ms, ratio {:.1}x",
        theirs / ours
    );
    let (a, b) = ours_maps(MAP_LEN, REPLICA_A, REPLICA_B);
    let ours = min_time(&a, &b, runs, |mut x, y| {
        x.join_owned(y);
        x
    });
    let (a, b) = crdts_maps(MAP_LEN, REPLICA_A, REPLICA_B);
    let theirs = min_time(&a, &b, runs, |mut x, y| {
        x.merge(y);
        x
    });
    println!(
        "mv_map_merge: converge {ours:.2} ms, crdts {theirs:.2} ms, ratio {:.1}x",
        theirs / ours
    );
}
