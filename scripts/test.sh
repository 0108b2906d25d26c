#!/usr/bin/env bash
# scripts/test.sh: the converge test command. Run from anywhere; works on the
# whole workspace. Three tiers:
#
#   scripts/test.sh           the default (the README's command): format,
#                             clippy, every unit/integration/doc test, rustdoc,
#                             the no_std dependency check, the JavaScript
#                             package (wasm/build.sh, Node.js tests, tsc) and
#                             its browser tests in Debian's Chromium (with a
#                             real converge node), and a short run of every
#                             fuzz target when a nightly toolchain is
#                             there. The benchmark crate, which builds yrs,
#                             loro, automerge and diamond-types, is left to
#                             --full. About 10-15 minutes on a fresh 2-core
#                             machine, build included.
#   scripts/test.sh --quick   for iterating: format, then the tests of core,
#                             sync and testkit (no clippy, rustdoc or fuzzing).
#                             A few minutes once built.
#   scripts/test.sh --full    what CI runs (.ci/run): the default tier plus the
#                             benchmark crate (clippy and tests), the
#                             wasm32 no_std build, longer fuzzing and the long
#                             seeded tiers.
#
# Before it installs anything (cargo-fuzz from crates.io; for --full, a wasm32
# toolchain, possibly Debian packages), it says what and why. It never asks a
# question. Each step runs even if an earlier one failed; the exit status is
# non-zero if any failed. The last line is
# `test.sh: N passed, M failed[, K skipped]`.
#
# Environment knobs
#   CONVERGE_FAIL_FAST=1    stop at the first failing step
#   CONVERGE_SKIP_FUZZ=1    skip fuzzing; CONVERGE_FUZZ_SECONDS=N per target
#                           (default 15, or 120 with --full)
#   CONVERGE_SKIP_WASM=1    skip the JavaScript package and the wasm32 step of --full
#   CONVERGE_TRACES=DIR     the full editing traces (default
#                           ../shared/data/editing-traces); without them the
#                           full-trace tests skip and the committed excerpts run
#   CONVERGE_WASM_MODE, CONVERGE_WASM_TARGET_DIR: see scripts/setup-wasm.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/setup-wasm.sh
source scripts/setup-wasm.sh

tier=default
for arg in "$@"; do
  case "$arg" in
    --quick) tier=quick ;;
    --full) tier=full ;;
    -h | --help)
      sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "test.sh: unknown argument '$arg' (use --quick, --full or nothing; --help explains)" >&2
      exit 2
      ;;
  esac
done

# A one-off build needs no incremental caches (they doubled the disk used);
# --quick keeps them for iterating.
if [[ "$tier" != quick ]]; then
  export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
fi

step_names=()
step_results=()
step_times=()
n_pass=0
n_fail=0
n_skip=0
step_index=0
script_start=$(date +%s)
case "$tier" in
  quick) step_total=2 ;;
  default) step_total=8 ;;
  full) step_total=11 ;;
esac

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
  printf '\n===== summary: %s tier (%ss) =====\n' "$tier" "$total"
  for i in "${!step_names[@]}"; do
    printf '  %-14s %-6s %s\n' "${step_names[$i]}" "${step_times[$i]}" "${step_results[$i]}"
  done
  if [[ $n_skip -gt 0 ]]; then
    printf 'test.sh: %d passed, %d failed, %d skipped\n' "$n_pass" "$n_fail" "$n_skip"
  else
    printf 'test.sh: %d passed, %d failed\n' "$n_pass" "$n_fail"
  fi
}

echo "test.sh: $tier tier; $(cargo --version), $(rustc --version)"
echo "test.sh: CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-<default: ./target>}"

# What will be installed, said once before anything runs.
nightly=0
if cargo +nightly --version >/dev/null 2>&1; then nightly=1; fi
fuzz_wanted=0
if [[ "$tier" != quick && "${CONVERGE_SKIP_FUZZ:-0}" != 1 && $nightly == 1 ]]; then fuzz_wanted=1; fi
installs=()
if [[ $fuzz_wanted == 1 ]] && ! command -v cargo-fuzz >/dev/null 2>&1; then
  installs+=("cargo-fuzz (crates.io, 'cargo install cargo-fuzz', about a minute): runs the fuzz targets")
fi
if [[ "${CONVERGE_SKIP_WASM:-0}" != 1 ]]; then
  installs+=("npm packages into wasm/node_modules (binaryen's wasm-opt, typescript, playwright-core; 'npm ci') and wasm-bindgen-cli at Cargo.lock's version ('cargo install', about 2 minutes) when missing, and a wasm32-unknown-unknown toolchain if missing (rustup target, else Debian's rustc-web cargo-web rust-web-src lld with apt-get as root); Debian's chromium for the browser tests (apt-get, as root) when missing: the JavaScript package")
fi
if [[ "$tier" == full && "${CONVERGE_SKIP_WASM:-0}" != 1 ]]; then
  installs+=("a wasm32-unknown-unknown toolchain if missing (rustup target, else Debian's rustc-web cargo-web rust-web-src lld with apt-get as root): the no_std proof of converge-core")
fi
if [[ ${#installs[@]} -gt 0 ]]; then
  echo "test.sh: this run may install:"
  for i in "${installs[@]}"; do echo "  - $i"; done
fi

# The full editing traces, or the committed excerpts.
traces_dir="${CONVERGE_TRACES:-$(cd .. && pwd)/shared/data/editing-traces}"
if [[ -f "$traces_dir/automerge-paper.json.gz" && -f "$traces_dir/friendsforever.json.gz" ]]; then
  echo "test.sh: editing traces found at $traces_dir: the full-trace tests run"
else
  echo "test.sh: skipped: editing traces not found at $traces_dir; the full-trace tests skip and the committed excerpts run (see README, 'Tests')"
fi

# Every manifest declares the Rust version it needs (cargo refuses older
# toolchains with a clear message).
rust_versions() {
  local missing=0 m
  for m in crates/*/Cargo.toml fuzz/Cargo.toml; do
    if ! grep -q '^rust-version' "$m"; then
      echo "rust-version missing in $m"
      missing=1
    fi
  done
  grep -q '^rust-version = ' Cargo.toml || {
    echo "rust-version missing in the workspace Cargo.toml"
    missing=1
  }
  [[ $missing == 0 ]] && echo "every manifest declares rust-version ($(sed -n 's/^rust-version = //p' Cargo.toml))"
  [[ $missing == 0 ]]
}

# Fuzzing: every cargo-fuzz target for CONVERGE_FUZZ_SECONDS, optimized with
# debug assertions and overflow checks on (-O -a). Crashes fail the step;
# libFuzzer leaves the input in fuzz/artifacts/<target>/ (turn it into a
# regression: docs/testing.md).
fuzz_step() {
  local secs="$1" t total=0 runs
  if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz from crates.io"
    cargo install cargo-fuzz
  fi
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

run_fuzz() {
  local secs="$1"
  if [[ "${CONVERGE_SKIP_FUZZ:-0}" == 1 ]]; then
    skip fuzz "CONVERGE_SKIP_FUZZ=1"
  elif [[ $nightly == 0 ]]; then
    skip fuzz "no nightly toolchain, so no cargo-fuzz: fuzzing skipped"
  else
    step fuzz "every cargo-fuzz target, ${secs}s each, with debug assertions (-O -a)" fuzz_step "$secs"
  fi
}

core_packages=(-p converge-core -p converge-sync -p converge-testkit)

if [[ "$tier" == quick ]]; then
  step fmt "cargo fmt --all --check" cargo fmt --all --check
  step test "cargo test (core, sync, testkit)" cargo test "${core_packages[@]}"
  summary
  [[ $n_fail -eq 0 ]]
  exit
fi

step fmt "cargo fmt --all --check" cargo fmt --all --check

if [[ "$tier" == full ]]; then
  step clippy "cargo clippy --workspace --all-targets -- -D warnings" \
    cargo clippy --workspace --all-targets -- -D warnings
  step test "cargo test --workspace (unit, integration, doc tests)" \
    cargo test --workspace
else
  step clippy "cargo clippy (all crates but the benchmarks) --all-targets -- -D warnings" \
    cargo clippy --workspace --exclude converge-bench --all-targets -- -D warnings
  step test "cargo test (all crates but the benchmarks: unit, integration, doc tests)" \
    cargo test --workspace --exclude converge-bench
fi

docs_and_deps() {
  rust_versions
  env RUSTDOCFLAGS="-D warnings ${RUSTDOCFLAGS:-}" cargo doc --workspace --no-deps --exclude converge-bench
  converge_nostd_dep_check converge-core
  converge_nostd_dep_check converge-sync
}
step docs-deps "rustdoc with -D warnings, rust-version declared, no std/tokio/libp2p under core and sync" \
  docs_and_deps

# The npm package: built by wasm/build.sh (wasm32 toolchain, wasm-bindgen-cli
# at the lock file's version, npm's binaryen), then its API tests under
# Node.js, its size ceiling and its TypeScript declarations (tsc --strict).
wasm_package() {
  wasm/build.sh
  node --test wasm/test/
  wasm/node_modules/.bin/tsc -p wasm/test/tsconfig.json
  echo "wasm: tsc --strict accepts the declarations"
}
if [[ "${CONVERGE_SKIP_WASM:-0}" == 1 ]]; then
  skip wasm-pkg "CONVERGE_SKIP_WASM=1"
elif ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  skip wasm-pkg "Node.js and npm not found: the JavaScript package is not built or tested (install nodejs and npm)"
else
  step wasm-pkg "the npm package (wasm/build.sh), its Node.js API tests, size ceiling and TypeScript declarations" \
    wasm_package
  # The demo page in Debian's Chromium (playwright-core drives it; no
  # browser download): tabs, presence, offline, IndexedDB; and pages on the
  # libp2p network with a real `converge node` process (the test-profile
  # binary `cargo test` built, so building it again is a no-op).
  chromium="${CONVERGE_CHROMIUM:-/usr/bin/chromium}"
  if [[ ! -x "$chromium" && "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing Debian's chromium for the browser tests (apt-get install chromium)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium </dev/null) ||
      echo "test.sh: could not install chromium"
  fi
  browser_tests() {
    cargo build -q -p converge-cli --profile test
    CONVERGE_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/converge" node --test wasm/test-browser/
  }
  if [[ -x "$chromium" ]]; then
    step browser "the demo in headless Chromium: tabs, presence, offline edits, IndexedDB reload; pages and the CLI through a converge node" \
      browser_tests
  else
    skip browser "$chromium not found (as root: apt-get install chromium): the browser tests did not run"
  fi
fi

if [[ "$tier" == full ]]; then
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
  long_tiers() {
    CONVERGE_LONG_SEEDS=3000 cargo test --release -p converge-core --test doc_scenario long -- --ignored
    CONVERGE_LONG_SEEDS=1500 cargo test --release -p converge-sync --test simulated_network long_mode -- --ignored
    CONVERGE_LONG_SEEDS=600 cargo test --release -p converge-testkit --test seq_reference long -- --ignored
    CONVERGE_MIRROR_SEEDS=600 cargo test --release -p converge-core --test events_mirror
    CONVERGE_CRASH_ITERS=200 cargo test --release -p converge-store --test crash
    # Optimized dependencies already (test profile): no second libp2p build.
    CONVERGE_NET_SEEDS=10 cargo test -p converge-net --test scenarios
  }
  step long "long seeded tiers: scenarios, simulated network, sequences, events, kill -9 of a store writer, libp2p swarms" long_tiers
  run_fuzz "${CONVERGE_FUZZ_SECONDS:-90}"
  step bench-build "the benchmarks build (cargo bench --no-run)" \
    cargo bench -p converge-bench --no-run
  step examples "the examples run (two replicas; a README snippet)" \
    cargo run -q -p converge-core --example two_replicas
else
  run_fuzz "${CONVERGE_FUZZ_SECONDS:-15}"
  skip full-only "wasm32, long tiers, benchmarks: scripts/test.sh --full"
fi

summary
[[ $n_fail -eq 0 ]]
