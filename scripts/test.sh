#!/usr/bin/env bash
# scripts/test.sh: the converge test command. Run from anywhere; works on the
# whole workspace.
#
# Steps (each one is run even if an earlier one failed; the script exits
# non-zero if any step failed):
#   fmt      cargo fmt --all --check
#   clippy   cargo clippy --workspace --all-targets -- -D warnings
#   test     cargo test --workspace            (unit, integration and doc tests)
#   doc      RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps
#            (broken intra-doc links are errors)
#   no-std-deps  converge-core's dependency tree has no tokio/libp2p/getrandom/...
#                and no std features (scripts/setup-wasm.sh check-deps)
#   fuzz     every cargo-fuzz target for 60 s (needs the nightly toolchain;
#            skipped, and said so, without it)
#   wasm32   converge-core builds for wasm32-unknown-unknown with only core+alloc
#            available: the no_std proof (scripts/setup-wasm.sh build-core).
#            Sets up the toolchain first; as root it may apt-get install
#            Debian's rustc-web/cargo-web/rust-web-src/lld.
#
# Environment knobs
#   CONVERGE_SKIP_WASM=1    skip the wasm32 step (reported as skipped)
#   CONVERGE_FAIL_FAST=1    stop at the first failing step
#   CONVERGE_SKIP_FUZZ=1    skip the fuzz step; CONVERGE_FUZZ_SECONDS=N per target (default 60)
#   CONVERGE_WASM_MODE, CONVERGE_WASM_TARGET_DIR: see scripts/setup-wasm.sh
#
# The last line is `test.sh: N passed, M failed[, K skipped]`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/setup-wasm.sh
source scripts/setup-wasm.sh

step_names=()
step_results=()
step_times=()
n_pass=0
n_fail=0
n_skip=0
step_total=7
step_index=0
script_start=$(date +%s)

# Run one step: a name, a description, then the command (run in a subshell with
# errexit active, so a failure inside a shell function also fails the step).
step() {
  local name="$1" desc="$2" start rc
  shift 2
  step_index=$((step_index + 1))
  printf '\n===== [%d/%d] %s: %s =====\n' "$step_index" "$step_total" "$name" "$desc"
  start=$(date +%s)
  set +e
  (
    set -euo pipefail
    "$@"
  )
  rc=$?
  set -e
  local secs=$(($(date +%s) - start))
  step_names+=("$name")
  step_times+=("${secs}s")
  if [[ $rc -eq 0 ]]; then
    step_results+=("PASS")
    n_pass=$((n_pass + 1))
    printf -- '----- %s: PASS (%ss)\n' "$name" "$secs"
  else
    step_results+=("FAIL (exit $rc)")
    n_fail=$((n_fail + 1))
    printf -- '----- %s: FAIL (exit %d, %ss)\n' "$name" "$rc" "$secs"
    if [[ "${CONVERGE_FAIL_FAST:-0}" == 1 ]]; then
      summary
      exit 1
    fi
  fi
}

skip() {
  local name="$1" why="$2"
  step_index=$((step_index + 1))
  printf '\n===== [%d/%d] %s: SKIPPED (%s) =====\n' "$step_index" "$step_total" "$name" "$why"
  step_names+=("$name")
  step_results+=("SKIPPED ($why)")
  step_times+=("-")
  n_skip=$((n_skip + 1))
}

summary() {
  local i total=$(($(date +%s) - script_start))
  printf '\n===== summary (%ss) =====\n' "$total"
  for i in "${!step_names[@]}"; do
    printf '  %-12s %-6s %s\n' "${step_names[$i]}" "${step_times[$i]}" "${step_results[$i]}"
  done
  if [[ $n_skip -gt 0 ]]; then
    printf 'test.sh: %d passed, %d failed, %d skipped\n' "$n_pass" "$n_fail" "$n_skip"
  else
    printf 'test.sh: %d passed, %d failed\n' "$n_pass" "$n_fail"
  fi
}

echo "test.sh: $(cargo --version), $(rustc --version)"
echo "test.sh: CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-<default: ./target>}"

step fmt "cargo fmt --all --check" \
  cargo fmt --all --check

step clippy "cargo clippy --workspace --all-targets -- -D warnings" \
  cargo clippy --workspace --all-targets -- -D warnings

step test "cargo test --workspace (unit, integration, doc tests)" \
  cargo test --workspace

step doc "RUSTDOCFLAGS='-D warnings' cargo doc --workspace --no-deps" \
  env RUSTDOCFLAGS="-D warnings ${RUSTDOCFLAGS:-}" cargo doc --workspace --no-deps

nostd_deps() {
  converge_nostd_dep_check converge-core
  converge_nostd_dep_check converge-sync
}
step no-std-deps "converge-core and converge-sync dependency trees: no tokio/libp2p/getrandom/..., no std features" \
  nostd_deps

wasm_step() {
  converge_wasm_setup
  converge_wasm_build_core
}
if [[ "${CONVERGE_SKIP_WASM:-0}" == 1 ]]; then
  skip wasm32 "CONVERGE_SKIP_WASM=1"
else
  step wasm32 "converge-core for wasm32-unknown-unknown with only core+alloc (no_std proof)" \
    wasm_step
fi

# Fuzzing: every cargo-fuzz target for CONVERGE_FUZZ_SECONDS (default 60)
# when a nightly toolchain is present. Crashes fail the step; libFuzzer
# leaves the input in fuzz/artifacts/<target>/ (turn it into a regression:
# docs/testing.md).
fuzz_step() {
  if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz from crates.io"
    cargo install cargo-fuzz
  fi
  local secs="${CONVERGE_FUZZ_SECONDS:-60}" t total=0 runs
  (cd fuzz && cargo +nightly fuzz build -O -a -s none)
  for t in $(cd fuzz && cargo +nightly fuzz list); do
    mkdir -p "fuzz/corpus/$t"
    echo "fuzz: $t for ${secs}s"
    (cd fuzz && cargo +nightly fuzz run -O -a -s none "$t" "corpus/$t" "seeds/$t" -- \
      -max_total_time="$secs" -rss_limit_mb=2048 -timeout=30 2>&1) | tee "/tmp/converge-fuzz-$t.log" |
      grep -E '^(Done|==|SUMMARY)|panicked|ERROR' || true
    if ! grep -q '^Done ' "/tmp/converge-fuzz-$t.log"; then
      echo "fuzz: $t did not finish cleanly; see /tmp/converge-fuzz-$t.log"
      return 1
    fi
    runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "/tmp/converge-fuzz-$t.log")
    total=$((total + runs))
  done
  echo "fuzz: $total executions in total, no crash"
}
if [[ "${CONVERGE_SKIP_FUZZ:-0}" == 1 ]]; then
  skip fuzz "CONVERGE_SKIP_FUZZ=1"
elif ! cargo +nightly --version >/dev/null 2>&1; then
  skip fuzz "no nightly toolchain, so no cargo-fuzz: fuzzing skipped"
else
  step fuzz "cargo-fuzz targets, ${CONVERGE_FUZZ_SECONDS:-60}s each" fuzz_step
fi

summary
[[ $n_fail -eq 0 ]]
