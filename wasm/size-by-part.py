#!/usr/bin/env python3
"""Where the WebAssembly module's gzipped bytes go, by part of the code.

    CONVERGE_WASM_NAMES=1 wasm/build.sh      # also runs this script

or by hand on a module that kept its function names (wasm-bindgen
--keep-debug, then wasm-opt with --debuginfo):

    python3 wasm/size-by-part.py MODULE.wasm

twiggy reports each function's bytes before compression. This script also
says what a part is worth *after* gzip: the code section's function bodies
are compressed (zlib level 9) with and without the part's functions, and the
difference is the part's share. Code that repeats code elsewhere (a generic
function's second instance, a wrapper inlined into many exports) compresses
well, so its share is far below its raw size: the report shows both.

Measured against real builds (wasm/README.md): removing the sync layer's
exports took 10.7 KB off the gzipped module; this script estimates its
functions at 9.2 KB.
"""

import re
import sys
import zlib

# Parts, in the order they are reported: a name and the regular expression
# that a function's owner matches: the path its (demangled, hash-free) name
# starts with, so that `<alloc::vec::Vec<converge_core::Run>>::push` is the
# standard library's and `<converge_core::Doc as Clone>::clone` the core's.
# A function counts in the first part that matches.
PARTS = [
    ("wasm-bindgen export shims (with the bodies inlined into them)", r"shim"),
    ("converge-wasm (the bindings)", r"^converge_wasm::"),
    ("converge-sync (the sync protocol)", r"^converge_sync::"),
    ("core: encoding (documents, deltas, columns)", r"^converge_core::encoding::"),
    ("core: document model (joins)", r"^converge_core::doc::model::"),
    ("core: edits (transactions)", r"^converge_core::doc::edit::"),
    ("core: document (events, history, apply, views)", r"^converge_core::doc::"),
    ("core: sequences (Seq, tree)", r"^converge_core::seq::"),
    ("core: SortedMap", r"^converge_core::sorted_map::"),
    ("core: dot stores (sets, maps, registers)", r"^converge_core::(store|types)::"),
    ("core: the rest (ids, contexts, values, errors)", r"^converge_core::"),
    ("std: alloc (Vec, String, ... of every element type)", r"^alloc::"),
    ("std: core (iterators, fmt, drop glue, ...)", r"^core::"),
    ("smallvec", r"^smallvec::"),
    ("lz4_flex", r"^lz4_flex::"),
    ("postcard / serde (encoding)", r"^(postcard|serde)"),
    ("talc (allocator)", r"^talc::"),
    ("js-sys / wasm-bindgen runtime", r"^(js_sys|wasm_bindgen)::|__wbindgen|__wbg"),
]


def owner(name):
    """The path a function name starts with: `<A as B>::f` and `<A>::f` are
    A's, `&A`, `[A]` and `mut A` are A's."""
    if "shim" in name:
        return name
    return re.sub(r"^(?:[<&\[(]|mut |dyn )+", "", name)


def leb128(b, i):
    result = shift = 0
    while True:
        x = b[i]
        i += 1
        result |= (x & 0x7F) << shift
        shift += 7
        if x < 0x80:
            return result, i


def skip_name(b, i):
    n, i = leb128(b, i)
    return i + n


def functions(path):
    """Function bodies of the code section and their names (None if the
    module has no name section)."""
    b = open(path, "rb").read()
    if b[:4] != b"\0asm":
        sys.exit(f"{path}: not a WebAssembly module")
    i = 8
    sections = {}
    custom = []
    while i < len(b):
        sid = b[i]
        size, i = leb128(b, i + 1)
        sections.setdefault(sid, (i, i + size))
        if sid == 0:
            n, j = leb128(b, i)
            custom.append((b[j : j + n].decode(), j + n, i + size))
        i += size
    imported = 0
    if 2 in sections:
        count, j = leb128(b, sections[2][0])
        for _ in range(count):
            j = skip_name(b, skip_name(b, j))
            kind = b[j]
            j += 1
            if kind == 0:  # function
                _, j = leb128(b, j)
                imported += 1
            elif kind == 1:  # table
                j += 1
                flags = b[j]
                _, j = leb128(b, j + 1)
                if flags & 1:
                    _, j = leb128(b, j)
            elif kind == 2:  # memory
                flags = b[j]
                _, j = leb128(b, j + 1)
                if flags & 1:
                    _, j = leb128(b, j)
            elif kind == 3:  # global
                j += 2
            else:
                sys.exit(f"{path}: unknown import kind {kind}")
    count, j = leb128(b, sections[10][0])
    bodies = []
    for _ in range(count):
        n, j = leb128(b, j)
        bodies.append(b[j : j + n])
        j += n
    names = {}
    for name, start, end in custom:
        if name != "name":
            continue
        j = start
        while j < end:
            sub = b[j]
            n, j = leb128(b, j + 1)
            if sub == 1:  # function names
                k = j
                count, k = leb128(b, k)
                for _ in range(count):
                    idx, k = leb128(b, k)
                    n2, k = leb128(b, k)
                    names[idx] = b[k : k + n2].decode("utf8", "replace")
                    k += n2
            j += n
    if not names:
        return bodies, None
    hashes = re.compile(r"\[[0-9a-f]{16}\]")
    return bodies, [hashes.sub("", names.get(imported + i, "?")) for i in range(len(bodies))]


def gz(chunks):
    return len(zlib.compress(b"".join(chunks), 9))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    bodies, names = functions(sys.argv[1])
    if names is None:
        sys.exit(f"{sys.argv[1]}: no function names (build with CONVERGE_WASM_NAMES=1)")
    whole = gz(bodies)
    print(f"code: {len(bodies)} functions, {sum(map(len, bodies)):,} bytes, {whole:,} gzipped")
    taken = set()
    rows = []
    for label, pattern in PARTS:
        rx = re.compile(pattern)
        part = {i for i, n in enumerate(names) if i not in taken and rx.search(owner(n))}
        taken |= part
        raw = sum(len(bodies[i]) for i in part)
        share = whole - gz(b for i, b in enumerate(bodies) if i not in part)
        rows.append((label, len(part), raw, share))
    rest = [i for i in range(len(bodies)) if i not in taken]
    rows.append(
        (
            "other",
            len(rest),
            sum(len(bodies[i]) for i in rest),
            whole - gz(b for i, b in enumerate(bodies) if i in taken),
        )
    )
    print(f"{'part':<62} {'functions':>9} {'raw':>9} {'gzip share':>11}")
    for label, n, raw, share in rows:
        print(f"{label:<62} {n:>9} {raw:>9,} {share:>11,}")
    print("(a part's gzip share: the gzipped code with it minus without it; shares do not add up to the whole)")


if __name__ == "__main__":
    main()
