#!/usr/bin/env bash
# scripts/setup-wasm.sh: make a `wasm32-unknown-unknown` build of converge-core
# possible, and use it as the proof that converge-core is really `no_std`.
#
# Usage
#   scripts/setup-wasm.sh              pick (and if needed install) a toolchain path,
#                                      print which one and the environment it uses
#   scripts/setup-wasm.sh build-core   ... then build converge-core for wasm32 with
#                                      only `core` + `alloc` available (the no_std proof)
#   scripts/setup-wasm.sh check-deps   dependency check of converge-core (cargo tree);
#                                      an optional package name checks another crate
#   scripts/setup-wasm.sh check        check-deps + build-core
#   source scripts/setup-wasm.sh       only defines the converge_* functions below
#                                      (scripts/test.sh does this)
#
# Environment knobs
#   CONVERGE_WASM_MODE=rustup|debian   force a path instead of choosing automatically
#   CONVERGE_WASM_TARGET_DIR=DIR       cargo target dir for the wasm build
#                                      (default: ${CARGO_TARGET_DIR:-target}/wasm-core-<mode>)
#
# The two paths, in order of preference
#
#   rustup  `rustup target list --installed` has wasm32-unknown-unknown, or
#           `rustup target add wasm32-unknown-unknown` works (it needs the network;
#           when it fails we fall back quietly). The target's precompiled sysroot
#           contains `std`, so a plain `cargo build --target wasm32-unknown-unknown`
#           would NOT prove anything about no_std. Instead we build against a
#           restricted sysroot holding only libcore, liballoc and
#           libcompiler_builtins copied from that target (`RUSTFLAGS=--sysroot=...`).
#           With `--target` given, RUSTFLAGS only reach target crates, so build
#           scripts and proc macros (serde_derive, thiserror-impl) still use the
#           host's std. Any target crate that needs std fails with
#           "error[E0463]: can't find crate for `std`". Works on stable.
#
#   debian  Debian 12's `rustc-web cargo-web rust-web-src lld` packages: rustc 1.96
#           at /usr/bin/rustc with the wasm32 backend, the library sources in
#           /usr/lib/rustlib/src and `wasm-ld`. They are apt-installed when missing,
#           only when running as root. Then the recipe from GUIDE.md section 5, but
#           with `-Zbuild-std=core,alloc` (NOT std): std is never built, so it is
#           the same proof:
#             PATH=/usr/bin:$PATH RUSTC_BOOTSTRAP=1 \
#             CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld \
#               cargo build --release --target wasm32-unknown-unknown \
#                 -Zbuild-std=core,alloc -p converge-core
#           Debian's cargo (1.96 here) is newer than rustup's stable (1.95) and reads
#           the workspace and its version-4 Cargo.lock fine (verified). Should a
#           future Debian cargo be unable to read the workspace or lock file, we use
#           rustup's real cargo binary with RUSTC=/usr/bin/rustc instead; that
#           combination was also verified to work with -Zbuild-std=core,alloc.
#           Note: rustc-web Conflicts with Debian's plain `rustc` package.
#
# Both paths only compile an rlib; nothing is linked, so no panic handler or
# allocator is needed. wasm-ld is still configured for the debian path so the
# same environment also links cdylibs (see GUIDE.md section 5).

CONVERGE_WASM_TARGET=wasm32-unknown-unknown
CONVERGE_WASM_DEB_PACKAGES=(rustc-web cargo-web rust-web-src lld)
CONVERGE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

_cw_say() { printf 'setup-wasm: %s\n' "$*"; }
_cw_err() { printf 'setup-wasm: error: %s\n' "$*" >&2; }
# Print a command (with its env assignments) and run it.
_cw_run() {
  printf '+'
  printf ' %q' "$@"
  printf '\n'
  "$@"
}

_cw_rustup_has_target() {
  command -v rustup >/dev/null 2>&1 &&
    (cd "$CONVERGE_ROOT" && rustup target list --installed 2>/dev/null) | grep -x "$CONVERGE_WASM_TARGET" >/dev/null
}

_cw_try_rustup_add() {
  command -v rustup >/dev/null 2>&1 || return 1
  _cw_say "trying: rustup target add $CONVERGE_WASM_TARGET"
  local log rc=0
  log="$(mktemp)"
  if command -v timeout >/dev/null 2>&1; then
    (cd "$CONVERGE_ROOT" && timeout 180 rustup target add "$CONVERGE_WASM_TARGET") >"$log" 2>&1 || rc=$?
  else
    (cd "$CONVERGE_ROOT" && rustup target add "$CONVERGE_WASM_TARGET") >"$log" 2>&1 || rc=$?
  fi
  if [[ $rc -ne 0 ]]; then
    _cw_say "rustup target add failed (exit $rc; no network?): $(tail -n 1 "$log")"
  fi
  rm -f "$log"
  [[ $rc -eq 0 ]]
}

_cw_deb_missing_packages() {
  local p missing=()
  for p in "${CONVERGE_WASM_DEB_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'install ok installed' >/dev/null; then
      missing+=("$p")
    fi
  done
  echo "${missing[*]:-}"
}

_cw_setup_debian() {
  local missing
  if ! command -v dpkg-query >/dev/null 2>&1; then
    _cw_err "not a Debian system and no rustup wasm32 target: cannot set up a wasm32 toolchain"
    return 1
  fi
  missing="$(_cw_deb_missing_packages)"
  if [[ -n "$missing" ]]; then
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
      _cw_say "installing Debian packages: $missing"
      _cw_run apt-get update
      # shellcheck disable=SC2086 # word splitting of the package list is intended
      _cw_run env DEBIAN_FRONTEND=noninteractive apt-get install -y $missing </dev/null
    else
      _cw_err "missing Debian packages: $missing"
      _cw_err "run as root: apt-get update && apt-get install -y ${CONVERGE_WASM_DEB_PACKAGES[*]}"
      _cw_err "(or set CONVERGE_SKIP_WASM=1 to skip the wasm32 build)"
      return 1
    fi
  else
    _cw_say "Debian packages already installed: ${CONVERGE_WASM_DEB_PACKAGES[*]}"
  fi
  if ! /usr/bin/rustc --print target-list | grep -x "$CONVERGE_WASM_TARGET" >/dev/null; then
    _cw_err "/usr/bin/rustc does not support $CONVERGE_WASM_TARGET"
    return 1
  fi
  if [[ ! -d /usr/lib/rustlib/src/rust/library/core ]]; then
    _cw_err "/usr/lib/rustlib/src/rust/library missing (package rust-web-src)"
    return 1
  fi
  if ! command -v wasm-ld >/dev/null 2>&1 && [[ ! -x /usr/bin/wasm-ld ]]; then
    _cw_err "wasm-ld missing (package lld)"
    return 1
  fi

  # Which cargo drives Debian's rustc: Debian's own if it can read this workspace
  # and its Cargo.lock (lock file `version = N`), else rustup's real cargo binary.
  local lockv
  lockv="$(sed -n 's/^version = \([0-9]*\)$/\1/p' "$CONVERGE_ROOT/Cargo.lock" 2>/dev/null | head -n 1)"
  _cw_say "Debian toolchain: $(/usr/bin/rustc --version); $(/usr/bin/cargo --version 2>/dev/null || echo 'no /usr/bin/cargo'); Cargo.lock version ${lockv:-?}"
  if [[ -x /usr/bin/cargo ]] &&
    (cd "$CONVERGE_ROOT" && PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc /usr/bin/cargo metadata --format-version 1 >/dev/null 2>&1); then
    CONVERGE_WASM_CARGO=/usr/bin/cargo
  elif command -v rustup >/dev/null 2>&1 && CONVERGE_WASM_CARGO="$(cd "$CONVERGE_ROOT" && rustup which cargo 2>/dev/null)"; then
    _cw_say "Debian's cargo cannot read this workspace/Cargo.lock; using rustup's cargo ($CONVERGE_WASM_CARGO) with RUSTC=/usr/bin/rustc"
  else
    _cw_err "neither Debian's cargo nor rustup's cargo can read this workspace"
    return 1
  fi
}

# Choose the toolchain path; sets and exports CONVERGE_WASM_MODE
# (and CONVERGE_WASM_CARGO for the debian path). Prints what it does.
converge_wasm_setup() {
  local forced="${CONVERGE_WASM_MODE:-}"
  case "$forced" in
    "" | auto)
      if _cw_rustup_has_target; then
        _cw_say "path: rustup (target $CONVERGE_WASM_TARGET already installed)"
        CONVERGE_WASM_MODE=rustup
      elif _cw_try_rustup_add; then
        _cw_say "path: rustup (target $CONVERGE_WASM_TARGET installed by rustup target add)"
        CONVERGE_WASM_MODE=rustup
      else
        _cw_say "path: debian (rustc-web + -Zbuild-std=core,alloc)"
        CONVERGE_WASM_MODE=debian
      fi
      ;;
    rustup)
      if _cw_rustup_has_target || _cw_try_rustup_add; then
        _cw_say "path: rustup (forced by CONVERGE_WASM_MODE)"
      else
        _cw_err "CONVERGE_WASM_MODE=rustup but the rustup target $CONVERGE_WASM_TARGET is unavailable"
        return 1
      fi
      ;;
    debian)
      _cw_say "path: debian (forced by CONVERGE_WASM_MODE)"
      ;;
    *)
      _cw_err "CONVERGE_WASM_MODE must be rustup, debian or auto (got '$forced')"
      return 1
      ;;
  esac
  export CONVERGE_WASM_MODE
  if [[ "$CONVERGE_WASM_MODE" == debian ]]; then
    _cw_setup_debian || return 1
    export CONVERGE_WASM_CARGO
  fi
}

_cw_target_dir() {
  echo "${CONVERGE_WASM_TARGET_DIR:-${CARGO_TARGET_DIR:-$CONVERGE_ROOT/target}/wasm-core-$CONVERGE_WASM_MODE}"
}

# Print the environment/commands a wasm32 build uses on the chosen path.
converge_wasm_print_env() {
  local tdir
  tdir="$(_cw_target_dir)"
  echo "CONVERGE_WASM_MODE=$CONVERGE_WASM_MODE"
  if [[ "$CONVERGE_WASM_MODE" == debian ]]; then
    echo "# no_std build of converge-core (from the repo root):"
    echo "PATH=/usr/bin:\$PATH RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \\"
    echo "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld CARGO_TARGET_DIR=$tdir \\"
    echo "  $CONVERGE_WASM_CARGO build --release --target $CONVERGE_WASM_TARGET -Zbuild-std=core,alloc -p converge-core"
    echo "# (a cdylib that needs std: -Zbuild-std=std,panic_abort instead)"
  else
    echo "# any wasm32 build: cargo build --target $CONVERGE_WASM_TARGET"
    echo "# no_std build of converge-core: scripts/setup-wasm.sh build-core"
    echo "#   (RUSTFLAGS=--sysroot=$tdir/nostd-sysroot, a sysroot with only core/alloc/compiler_builtins)"
  fi
}

# Build converge-core for wasm32-unknown-unknown with only core + alloc
# available. Extra arguments go to cargo. Requires converge_wasm_setup first.
converge_wasm_build_core() {
  if [[ -z "${CONVERGE_WASM_MODE:-}" || "${CONVERGE_WASM_MODE}" == auto ]]; then
    converge_wasm_setup || return 1
  fi
  local tdir rlib
  tdir="$(_cw_target_dir)"
  rlib="$tdir/$CONVERGE_WASM_TARGET/release/libconverge_core.rlib"
  if [[ "$CONVERGE_WASM_MODE" == debian ]]; then
    if [[ -z "${CONVERGE_WASM_CARGO:-}" ]]; then _cw_setup_debian || return 1; fi
    (cd "$CONVERGE_ROOT" &&
      _cw_run env -u RUSTUP_TOOLCHAIN -u CARGO_ENCODED_RUSTFLAGS \
        PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \
        CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld CARGO_TARGET_DIR="$tdir" \
        "$CONVERGE_WASM_CARGO" build --release --target "$CONVERGE_WASM_TARGET" \
        -Zbuild-std=core,alloc -p converge-core "$@") || return 1
  else
    # Restricted sysroot: only core, alloc and compiler_builtins of the target.
    local sysroot_src sr libdir
    sysroot_src="$(cd "$CONVERGE_ROOT" && rustc --print sysroot)/lib/rustlib/$CONVERGE_WASM_TARGET/lib"
    sr="$tdir/nostd-sysroot"
    libdir="$sr/lib/rustlib/$CONVERGE_WASM_TARGET/lib"
    rm -rf "$sr"
    mkdir -p "$libdir"
    # Copy .rlib AND .rmeta: recent rustc ships rlibs with only a metadata stub
    # ("only metadata stub found for `rlib` dependency `core`" otherwise).
    if ! cp "$sysroot_src"/libcore-* "$sysroot_src"/liballoc-* \
      "$sysroot_src"/libcompiler_builtins-* "$libdir"/; then
      _cw_err "could not copy core/alloc/compiler_builtins from $sysroot_src"
      return 1
    fi
    _cw_say "restricted sysroot $sr: $(cd "$libdir" && echo *)"
    (cd "$CONVERGE_ROOT" &&
      _cw_run env -u CARGO_ENCODED_RUSTFLAGS -u CARGO_BUILD_RUSTFLAGS \
        RUSTFLAGS="--sysroot=$sr" CARGO_TARGET_DIR="$tdir" \
        cargo build --release --target "$CONVERGE_WASM_TARGET" -p converge-core "$@") || return 1
  fi
  if [[ ! -f "$rlib" ]]; then
    _cw_err "build reported success but $rlib is missing"
    return 1
  fi
  _cw_say "OK: converge-core builds for $CONVERGE_WASM_TARGET with only core+alloc ($CONVERGE_WASM_MODE path): $rlib ($(wc -c <"$rlib") bytes)"
}

# Dependency check: converge-core's normal dependency tree (all targets) must not
# contain tokio, libp2p or crates that imply std/OS access (getrandom, rand, mio,
# socket2, ...), and no crate built for wasm32 from it may have a std feature on.
# Uses the ordinary (rustup) cargo; nothing is compiled.
converge_nostd_dep_check() {
  local pkg="${1:-converge-core}" tree names feats bad_names bad_feats rc=0
  # Crates that must never be reachable from converge-core.
  local deny='^(tokio|tokio-[a-z0-9_-]+|libp2p|libp2p-[a-z0-9_-]+|getrandom|rand|rand_core|rand_chacha|mio|socket2|async-std|async-io|futures|futures-[a-z0-9_-]+|std|web-sys|js-sys|wasm-bindgen)$'
  tree="$(cd "$CONVERGE_ROOT" && cargo tree -p "$pkg" -e normal --target all)" || return 1
  printf '%s\n' "$tree"
  names="$(cd "$CONVERGE_ROOT" && cargo tree -p "$pkg" -e normal --target all --prefix none -f '{p}' | awk '{print $1}' | sort -u)" || return 1
  bad_names="$(printf '%s\n' "$names" | grep -E "$deny" || true)"
  if [[ -n "$bad_names" ]]; then
    _cw_err "$pkg depends on forbidden crates: $(echo $bad_names)"
    rc=1
  fi
  # Features as resolved for `-p converge-core` alone on wasm32, proc macros
  # excluded (they run on the host and may use std).
  feats="$(cd "$CONVERGE_ROOT" && cargo tree -p "$pkg" -e normal,no-proc-macro \
    --target "$CONVERGE_WASM_TARGET" --prefix none --no-dedupe -f '{p} [{f}]' | sort -u)" || return 1
  bad_feats="$(printf '%s\n' "$feats" | grep -E '[[,](std|use-std|use_std)[],]' || true)"
  if [[ -n "$bad_feats" ]]; then
    _cw_err "std features enabled in $pkg's dependency tree:"
    printf '  %s\n' "$bad_feats" >&2
    rc=1
  fi
  if [[ $rc -eq 0 ]]; then
    _cw_say "OK: $(printf '%s\n' "$names" | wc -l) crates in $pkg's tree; none forbidden, no std features on wasm32"
  fi
  return $rc
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  case "${1:-setup}" in
    setup)
      converge_wasm_setup
      converge_wasm_print_env
      ;;
    build-core)
      shift
      converge_wasm_setup
      converge_wasm_build_core "$@"
      ;;
    check-deps)
      shift
      converge_nostd_dep_check "$@"
      ;;
    check)
      converge_nostd_dep_check
      converge_wasm_setup
      converge_wasm_build_core
      ;;
    -h | --help | help)
      sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'
      ;;
    *)
      _cw_err "unknown command '$1' (setup | build-core | check-deps | check)"
      exit 2
      ;;
  esac
fi
