#!/usr/bin/env bash
# wasm/build.sh: build the converge npm package into wasm/pkg/.
#
#   1. converge-wasm for wasm32-unknown-unknown, profile `wasm` (opt-level z,
#      LTO, one codegen unit, panic=abort): rustup's wasm32 target when it
#      is there or `rustup target add` works, else Debian's rustc-web
#      (GUIDE.md's recipe, through scripts/setup-wasm.sh);
#   2. wasm-bindgen --target web, with wasm-bindgen-cli at exactly the
#      version Cargo.lock pins (cargo-installed when missing);
#   3. wasm-opt -O3 -Oz from npm's binaryen (Debian's binaryen 108 corrupts
#      wasm-bindgen's output);
#   4. the package: the generated glue, the optimized .wasm, index.js (loads
#      the module in Node and in browsers, no bundler), the JavaScript
#      layers in wasm/js/ and package.json;
#   5. prints the sizes (raw and gzip -9).
#
# Environment: CARGO_TARGET_DIR (shared with the rest of the workspace),
# CONVERGE_WASM_MODE=rustup|debian (see scripts/setup-wasm.sh),
# CONVERGE_WASM_NAMES=1 (keep the function names in a copy of the module,
# $CARGO_TARGET_DIR/converge-wasm-bindgen/converge_wasm_bg.names.wasm, for
# twiggy, and print wasm/size-by-part.py's report of where the gzipped bytes
# go; the package's module is stripped as always).
set -euo pipefail
names="${CONVERGE_WASM_NAMES:-0}"
if [[ "$names" == 1 ]]; then
  export CARGO_PROFILE_WASM_STRIP=none
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"
# shellcheck source=scripts/setup-wasm.sh
source scripts/setup-wasm.sh

say() { printf 'wasm/build.sh: %s\n' "$*"; }

target_dir="${CARGO_TARGET_DIR:-$root/target}"
out="$here/pkg"
work="$target_dir/converge-wasm-bindgen"

# --- 0. tools from npm (wasm-opt, and the test tools) ----------------------
if [[ ! -x "$here/node_modules/.bin/wasm-opt" ]]; then
  say "installing the npm tools (binaryen's wasm-opt, typescript, playwright-core) into wasm/node_modules"
  (cd "$here" && npm ci --no-audit --no-fund)
fi

# --- 1. the wasm32 build ---------------------------------------------------
# The standard library is rebuilt with the package (-Zbuild-std, through
# RUSTC_BOOTSTRAP: the documented way to size-optimize std, see wasm/README.md)
# so that (a) a panic is an immediate trap with no formatting machinery
# behind it (`-Cpanic=immediate-abort`, no location strings) and (b) std's
# `optimize_for_size` feature replaces the eleven monomorphized copies of
# the stable/unstable sorts with small ones: 231 -> 197 KB gzipped. It needs
# the library sources (rustup's `rust-src` component, or Debian's
# rust-web-src); without them the build falls back to the prebuilt std and
# says so (the package is then ~35 KB larger, built without the flags
# below, and the size test allows 240 KB for it).
#
# LLVM's inline threshold 10 (with opt-level "z", Cargo.toml's wasm
# profile): 0.3 KB smaller than without it, and loads ~8% faster.
# `--cfg converge_size` compiles a load's two hot loops for speed
# (`#[optimize(speed)]`, unstable: hence here, with RUSTC_BOOTSTRAP).
# wasm/README.md ("How the module is compiled now") has the measurements.
std_build=rebuilt
size_flags="-Zlocation-detail=none -Zfmt-debug=none -Zunstable-options -Cpanic=immediate-abort -Cllvm-args=-inline-threshold=10 --cfg converge_size"
build_std=(-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size)
converge_wasm_setup
wasm_file=""
case "$CONVERGE_WASM_MODE" in
  rustup)
    sysroot="$(rustc --print sysroot)"
    if [[ ! -d "$sysroot/lib/rustlib/src/rust/library" ]]; then
      say "installing rustup's rust-src component (std is rebuilt for size)"
      rustup component add rust-src >/dev/null 2>&1 || true
    fi
    if [[ -d "$sysroot/lib/rustlib/src/rust/library" ]]; then
      pkg_target="$target_dir/wasm-pkg"
      RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$size_flags" \
        cargo build -p converge-wasm --target wasm32-unknown-unknown --profile wasm \
        "${build_std[@]}" --target-dir "$pkg_target"
      wasm_file="$pkg_target/wasm32-unknown-unknown/wasm/converge_wasm.wasm"
    else
      say "WARNING: no rust-src component: building against the prebuilt std (about 35 KB larger gzipped)"
      std_build=prebuilt
      cargo build -p converge-wasm --target wasm32-unknown-unknown --profile wasm
      wasm_file="$target_dir/wasm32-unknown-unknown/wasm/converge_wasm.wasm"
    fi
    ;;
  debian)
    deb_target="$target_dir/wasm-pkg-debian"
    PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
      CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld \
      CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$size_flags" \
      "$CONVERGE_WASM_CARGO" build -p converge-wasm --target wasm32-unknown-unknown \
      --profile wasm "${build_std[@]}" --target-dir "$deb_target"
    wasm_file="$deb_target/wasm32-unknown-unknown/wasm/converge_wasm.wasm"
    ;;
esac

# --- 2. wasm-bindgen at the version Cargo.lock pins ------------------------
want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
have="$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)"
if [[ "$have" != "$want" ]]; then
  say "installing wasm-bindgen-cli $want (found '${have:-none}'; about 2 minutes)"
  cargo install wasm-bindgen-cli --version "$want"
fi
rm -rf "$work"
mkdir -p "$work"
keep_debug=()
[[ "$names" == 1 ]] && keep_debug=(--keep-debug)
wasm-bindgen --target web "${keep_debug[@]}" --out-dir "$work" --out-name converge_wasm "$wasm_file"

# --- 3. wasm-opt -------------------------------------------------------------
# -O3 first, then -Oz: the speed pass inlines and simplifies what the size
# pass then shrinks further (3 KB gzipped less than -Oz alone, measured
# with wasm-opt 123; -Oz --converge saves half of that).
wasm_opt=("$here/node_modules/.bin/wasm-opt" -O3 -Oz --enable-bulk-memory
  --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals
  --enable-reference-types --enable-multivalue)
"${wasm_opt[@]}" "$work/converge_wasm_bg.wasm" -o "$work/converge_wasm_bg.opt.wasm"
if [[ "$names" == 1 ]]; then
  "${wasm_opt[@]}" --debuginfo "$work/converge_wasm_bg.wasm" -o "$work/converge_wasm_bg.names.wasm"
fi

# --- 4. the package ---------------------------------------------------------
rm -rf "$out"
mkdir -p "$out"
cp "$work/converge_wasm.d.ts" "$out/"
cp "$work/converge_wasm_bg.opt.wasm" "$out/converge_wasm_bg.wasm"
cp "$here"/js/*.d.ts "$out/"
# The JavaScript is minified, one file for one file (no bundling, imports
# unchanged): whitespace and syntax only, so every identifier keeps its
# name in stack traces and the console (renaming them too saves 0.1 KB).
# The generated glue's doc comments stay in the .d.ts files, where editors
# read them. 14.9 -> 8.4 KB gzipped.
minify() {
  "$here/node_modules/.bin/esbuild" "$1" --minify-whitespace --minify-syntax --format=esm \
    --log-level=warning --outfile="$out/$(basename "$1")"
}
minify "$work/converge_wasm.js"
for f in "$here"/js/*.js; do
  [[ "$(basename "$f")" == net.js ]] || minify "$f"
done
# The networked part: js-libp2p and its protocols in one ES module that
# imports the package's own driver and presence board (one copy of each).
"$here/node_modules/.bin/esbuild" "$here/js/net.js" --bundle --minify --format=esm \
  --platform=browser --external:./driver.js --external:./presence.js --log-level=warning --outfile="$out/net.js"
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
sed "s/@VERSION@/$version/" "$here/js/package.json" >"$out/package.json"
cp "$here/README.md" "$out/README.md"
# How std was built (the size test's ceiling depends on it).
printf '{ "std": "%s" }\n' "$std_build" >"$out/build-info.json"

# --- 5. sizes ------------------------------------------------------------------
raw=$(wc -c <"$out/converge_wasm_bg.wasm")
gz=$(gzip -9 -c "$out/converge_wasm_bg.wasm" | wc -c)
js=$(for f in "$out"/*.js; do [[ "$(basename "$f")" == net.js ]] || cat "$f"; done | gzip -9 -c | wc -c)
net=$(gzip -9 -c "$out/net.js" | wc -c)
say "built $out"
say "core package: converge_wasm_bg.wasm $raw bytes, $gz gzipped, JavaScript $js gzipped: $((gz + js)) gzipped in all"
say "networked bundle: + net.js (js-libp2p) $net gzipped: $((gz + js + net)) gzipped in all"
if [[ "$names" == 1 ]]; then
  say "function names kept in $work/converge_wasm_bg.names.wasm (twiggy top/paths on it); where the gzipped code goes:"
  python3 "$here/size-by-part.py" "$work/converge_wasm_bg.names.wasm"
fi
