// converge's npm package against yjs, loro-crdt and @automerge/automerge,
// side by side in one Node.js process, on a real editing trace: every edit
// through each library's JavaScript API, one transaction per edit; then the
// encoded document's size and the time to load it (and read the text).
//
//   cd wasm && ./build.sh && cd bench && npm ci && node trace.mjs [TRACE] [RUNS]
//
// TRACE defaults to automerge-paper in $CONVERGE_TRACES or
// ../shared/data/editing-traces (beside the repository); RUNS (default 3)
// repetitions of each replay (loads: five times as many, at least 10);
// medians are reported.
import { readFileSync, existsSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import path from "node:path";
import * as converge from "../pkg/index.js";
import * as Y from "yjs";
import { LoroDoc } from "loro-crdt";
import * as A from "@automerge/automerge";

const here = path.dirname(fileURLToPath(import.meta.url));
const tracesDir = process.env.CONVERGE_TRACES ?? path.resolve(here, "../../../shared/data/editing-traces");
const traceName = process.argv[2] ?? "automerge-paper";
const runs = Number(process.argv[3] ?? 3);
const file = path.join(tracesDir, `${traceName}.json.gz`);
if (!existsSync(file)) {
  console.error(`trace.mjs: ${file} not found: set CONVERGE_TRACES to the editing-traces folder`);
  process.exit(1);
}
const trace = JSON.parse(gunzipSync(readFileSync(file)).toString("utf8"));
const patches = trace.txns.flatMap((t) => t.patches);
// The traces count positions in Unicode scalar values; every library here
// takes UTF-16 positions, equal on these (BMP-only) traces.
if ([...trace.endContent].length !== trace.endContent.length) {
  console.error("trace.mjs: this trace has characters beyond the BMP; positions would need converting");
  process.exit(1);
}

/** Every edit of the trace into `text` (`delete(pos, n)` and
 * `insert(pos, s)`), then `commit()` after each when given. */
function type(text, commit = null) {
  for (const [pos, del, ins] of patches) {
    if (del > 0) text.delete(pos, del);
    if (ins !== "") text.insert(pos, ins);
    if (commit !== null) commit();
  }
}

const libraries = {
  converge: {
    replay() {
      const doc = new converge.Doc("1");
      type(doc.getText("text"));
      return doc;
    },
    text: (doc) => doc.getText("text").toString(),
    encode: (doc) => doc.snapshot(),
    load: (bytes) => {
      const doc = converge.Doc.load(bytes, "2");
      const text = doc.getText("text");
      return [text.toString(), () => (text.free(), doc.free())];
    },
    free: (doc) => doc.free(),
  },
  yjs: {
    replay() {
      const doc = new Y.Doc();
      type(doc.getText("text"));
      return doc;
    },
    text: (doc) => doc.getText("text").toString(),
    encode: (doc) => Y.encodeStateAsUpdate(doc),
    load: (bytes) => {
      const doc = new Y.Doc();
      Y.applyUpdate(doc, bytes);
      return [doc.getText("text").toString(), () => doc.destroy()];
    },
    free: (doc) => doc.destroy(),
  },
  "yjs (v2 encoding)": {
    replay: null,
    encode: (doc) => Y.encodeStateAsUpdateV2(doc),
    load: (bytes) => {
      const doc = new Y.Doc();
      Y.applyUpdateV2(doc, bytes);
      return [doc.getText("text").toString(), () => doc.destroy()];
    },
  },
  "loro-crdt": {
    replay() {
      const doc = new LoroDoc();
      type(doc.getText("text"), () => doc.commit());
      return doc;
    },
    text: (doc) => doc.getText("text").toString(),
    encode: (doc) => doc.export({ mode: "snapshot" }),
    load: (bytes) => {
      const doc = LoroDoc.fromSnapshot(bytes);
      const text = doc.getText("text");
      return [text.toString(), () => (text.free(), doc.free())];
    },
    free: (doc) => doc.free(),
  },
  "@automerge/automerge": {
    replay() {
      let doc = A.from({ text: "" });
      for (const [pos, del, ins] of patches) {
        doc = A.change(doc, (d) => A.splice(d, ["text"], pos, del, ins));
      }
      return doc;
    },
    text: (doc) => doc.text,
    encode: (doc) => A.save(doc),
    load: (bytes) => {
      const doc = A.load(bytes);
      return [doc.text, () => A.free(doc)];
    },
    free: (doc) => A.free(doc),
  },
};

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function time(f) {
  const t0 = process.hrtime.bigint();
  const r = f();
  return [Number(process.hrtime.bigint() - t0) / 1e6, r];
}

console.log(
  `trace ${traceName}: ${patches.length} edits, final text ${trace.endContent.length} chars; ` +
    `Node.js ${process.version}; median of ${runs} replays and ${Math.max(10, runs * 5)} loads`,
);
const rows = [];
let yjsDoc = null;
for (const [name, lib] of Object.entries(libraries)) {
  let doc;
  let applyMs = NaN;
  if (lib.replay) {
    const times = [];
    for (let i = 0; i < runs; i++) {
      if (doc && lib.free && name !== "yjs") lib.free(doc);
      const [ms, d] = time(() => lib.replay());
      times.push(ms);
      doc = d;
    }
    applyMs = median(times);
    if (lib.text(doc) !== trace.endContent) throw new Error(`${name}: the replayed text differs from the trace's`);
    if (name === "yjs") yjsDoc = doc;
  } else {
    doc = yjsDoc;
  }
  const bytes = lib.encode(doc);
  // Loads are quick: more of them, so that the median is past the JIT's
  // warm-up for every library alike. Each loaded document is freed after
  // its timer stops (left to the garbage collector, the WebAssembly heaps
  // grow and memory.grow lands in the timings).
  const loads = [];
  for (let i = 0; i < Math.max(10, runs * 5); i++) {
    const [ms, [text, free]] = time(() => lib.load(bytes));
    free();
    if (text !== trace.endContent) throw new Error(`${name}: the loaded text differs from the trace's`);
    loads.push(ms);
  }
  rows.push({ name, applyMs, bytes: bytes.length, loadMs: median(loads) });
}

const by = Object.fromEntries(rows.map((r) => [r.name, r]));
const c = by.converge;
const fmt = (x, d = 1) => (Number.isNaN(x) ? "—" : x.toFixed(d));
console.log("\n| library | apply, ms | per edit, µs | encoded, bytes | load + read, ms |");
console.log("|---|---:|---:|---:|---:|");
for (const r of rows) {
  console.log(
    `| ${r.name} | ${fmt(r.applyMs)} | ${fmt((r.applyMs * 1000) / patches.length, 2)} | ${r.bytes} | ${fmt(r.loadMs, 2)} |`,
  );
}
const loro = by["loro-crdt"];
console.log(
  `\nconverge ÷ loro-crdt: apply ${fmt(c.applyMs / loro.applyMs, 2)}× (goal ≤ 0.5×), ` +
    `load ${fmt(c.loadMs / loro.loadMs, 2)}× (goal < 1×)`,
);
console.log(
  `converge ÷ yjs: encoded ${fmt(c.bytes / by.yjs.bytes, 2)}× v1, ${fmt(c.bytes / by["yjs (v2 encoding)"].bytes, 2)}× v2 (goal < 1× of yjs)`,
);
