//! converge against crdts 7.3, side by side in one criterion group per
//! workload so that the ratio can be read off a single run:
//!
//! - `aw_set_merge`: merge two add-wins sets of 50,000 `u64` members each,
//!   half overlapping (`AwSet<u64>` vs `crdts::Orswot<u64, u64>`);
//! - `mv_map_merge`: merge two maps of 20,000 multi-value registers each,
//!   half overlapping (`OrMap<u64, DotFun<u64>>` vs
//!   `crdts::Map<u64, MVReg<u64, u64>, u64>`);
//! - `pn_counter_increments`: one million increments by one replica
//!   (`PnCounter::add` vs `PNCounter::inc` + `apply`).
//!
//! Snapshot sizes (converge `to_bytes()` vs postcard of the crdts value) are
//! computed once before the timings and printed as a table; criterion does
//! not measure bytes. After the timings, a summary of the medians and the
//! crdts/converge ratios is printed from criterion's own estimates.
//!
//! Run with `cargo bench -p converge-bench --bench crdts_compare`; add
//! `-- --quick` for a faster, less precise run, or `-- --test` to only check
//! that every benchmark runs once.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use converge_bench::report::{criterion_dir, fmt_ns, median_ns, save_beside_results};
use converge_bench::{
    crdts_counter, crdts_maps, crdts_sets, ours_counter, ours_maps, ours_sets, size_table,
    snapshot_sizes, COUNTER_INCREMENTS, MAP_LEN, REPLICA_A, REPLICA_B, SET_LEN,
};
use crdts::CvRDT;
use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, SamplingMode};

/// The benchmark groups, in the order they run; each has a `converge` and a
/// `crdts` function.
const GROUPS: [&str; 3] = ["aw_set_merge", "mv_map_merge", "pn_counter_increments"];

/// Short measurements and few samples, so that the whole bench takes about a
/// minute (each iteration is milliseconds long, so ten samples are enough
/// for stable medians).
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(10)
}

/// Times `merge(a.clone(), b.clone())` as `group/name`. Both inputs are
/// cloned in the untimed setup; the routine merges B into A by value and
/// returns the result, which criterion drops untimed.
fn bench_merge<T: Clone>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    (a, b): &(T, T),
    merge: fn(T, T) -> T,
) {
    g.bench_function(name, |bencher| {
        bencher.iter_batched(
            || (a.clone(), b.clone()),
            |(a, b)| merge(a, b),
            BatchSize::LargeInput,
        )
    });
}

fn aw_set_merge(c: &mut Criterion) {
    let ours = ours_sets(SET_LEN, REPLICA_A, REPLICA_B);
    let theirs = crdts_sets(SET_LEN, REPLICA_A, REPLICA_B);
    let mut g = c.benchmark_group("aw_set_merge");
    g.sampling_mode(SamplingMode::Flat);
    bench_merge(&mut g, "converge", &ours, |mut a, b| {
        a.join_owned(b);
        a
    });
    bench_merge(&mut g, "crdts", &theirs, |mut a, b| {
        a.merge(b);
        a
    });
    g.finish();
}

fn mv_map_merge(c: &mut Criterion) {
    let ours = ours_maps(MAP_LEN, REPLICA_A, REPLICA_B);
    let theirs = crdts_maps(MAP_LEN, REPLICA_A, REPLICA_B);
    let mut g = c.benchmark_group("mv_map_merge");
    g.sampling_mode(SamplingMode::Flat);
    bench_merge(&mut g, "converge", &ours, |mut a, b| {
        a.join_owned(b);
        a
    });
    bench_merge(&mut g, "crdts", &theirs, |mut a, b| {
        a.merge(b);
        a
    });
    g.finish();
}

fn pn_counter_increments(c: &mut Criterion) {
    let mut g = c.benchmark_group("pn_counter_increments");
    g.sampling_mode(SamplingMode::Flat);
    // One iteration = a fresh counter incremented a million times.
    g.bench_function("converge", |b| {
        b.iter(|| ours_counter(REPLICA_A, COUNTER_INCREMENTS))
    });
    g.bench_function("crdts", |b| {
        b.iter(|| crdts_counter(REPLICA_A, COUNTER_INCREMENTS))
    });
    g.finish();
}

fn print_sizes() {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Snapshot sizes, replica ids {REPLICA_A:#018x} and {REPLICA_B:#018x}:\n"
    );
    out.push_str(&size_table(&snapshot_sizes(REPLICA_A, REPLICA_B)));
    let _ = writeln!(
        out,
        "\nFor comparison, the same states with small replica ids 1 and 2:\n"
    );
    out.push_str(&size_table(&snapshot_sizes(1, 2)));
    println!("\n{out}");
    save_beside_results("crdts_compare_sizes.md", &out);
}

fn print_summary(since: SystemTime) {
    let Some(dir) = criterion_dir() else { return };
    let mut out =
        String::from("| benchmark | converge (median) | crdts (median) | crdts / converge |\n");
    out.push_str("|---|---:|---:|---:|\n");
    let mut any = false;
    for group in GROUPS {
        let ours = median_ns(&dir, group, "converge", since);
        let theirs = median_ns(&dir, group, "crdts", since);
        if let (Some(o), Some(t)) = (ours, theirs) {
            any = true;
            let _ = writeln!(
                out,
                "| {group} | {} | {} | {:.2}x |",
                fmt_ns(o),
                fmt_ns(t),
                t / o
            );
        }
    }
    if any {
        println!("\nSummary of this run (criterion medians):\n\n{out}");
    }
}

fn main() {
    let started = SystemTime::now();
    let mut c = config().configure_from_args();
    print_sizes();
    aw_set_merge(&mut c);
    mv_map_merge(&mut c);
    pn_counter_increments(&mut c);
    c.final_summary();
    print_summary(started);
}
