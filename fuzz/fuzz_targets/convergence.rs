#![no_main]
//! Arbitrary edits, faults, partitions and crashes on 2–8 replicas end
//! byte-identical and equal to the reference model.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|case: converge_testkit::fuzz::ConvergenceCase| {
    converge_testkit::fuzz::run_convergence(&case);
});
