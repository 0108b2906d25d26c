// Loading a snapshot: converge against loro-crdt, interleaved round by
// round in one process (a separate run of each drifts with the machine).
// Each round loads automerge-paper's snapshot and reads its text with
// both (in alternating order, after 20 rounds of warm-up); medians are
// printed with their ratio.
//
//   wasm/build.sh && cd wasm/bench && npm ci && node load.mjs [rounds]
import path from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import * as converge from "../pkg/index.js";
import { LoroDoc } from "loro-crdt";

const here = path.dirname(fileURLToPath(import.meta.url));
const tracesDir = process.env.CONVERGE_TRACES ?? path.resolve(here, "../../../shared/data/editing-traces");
const rounds = Number(process.argv[2] ?? 300);
const file = path.join(tracesDir, "automerge-paper.json.gz");
if (!existsSync(file)) {
  console.error(`load.mjs: ${file} not found: set CONVERGE_TRACES to the editing-traces folder`);
  process.exit(1);
}
const trace = JSON.parse(gunzipSync(readFileSync(file)).toString("utf8"));
const patches = trace.txns.flatMap((t) => t.patches);

function type(text) {
  for (const [pos, del, ins] of patches) {
    if (del > 0) text.delete(pos, del);
    if (ins !== "") text.insert(pos, ins);
  }
}
const doc = new converge.Doc("1");
type(doc.getText("text"));
const ours = doc.snapshot();
const loro = new LoroDoc();
type(loro.getText("text"));
loro.commit();
const theirs = loro.export({ mode: "snapshot" });

// Each load returns what it allocated, freed after the timer stops (both
// libraries hold their documents in WebAssembly memory: left to the
// garbage collector, the heaps grow and memory.grow lands in the timings).
const loads = {
  converge: () => {
    const doc = converge.Doc.load(ours, "2");
    const text = doc.getText("text");
    return [text.toString(), () => (text.free(), doc.free())];
  },
  "loro-crdt": () => {
    const doc = LoroDoc.fromSnapshot(theirs);
    const text = doc.getText("text");
    return [text.toString(), () => (text.free(), doc.free())];
  },
};
const names = Object.keys(loads);
for (const name of names) {
  const [text, free] = loads[name]();
  free();
  if (text !== trace.endContent) throw new Error(`${name}: the loaded text differs from the trace's`);
}
const warmup = 20;
const times = Object.fromEntries(names.map((n) => [n, []]));
for (let i = 0; i < warmup + rounds; i++) {
  // Alternate which library goes first, so that neither always follows
  // the other's garbage.
  for (const name of i % 2 === 0 ? names : names.slice().reverse()) {
    const start = performance.now();
    const [, free] = loads[name]();
    const ms = performance.now() - start;
    free();
    if (i >= warmup) times[name].push(ms);
  }
}
const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
const [c, l] = [median(times.converge), median(times["loro-crdt"])];
console.log(
  `automerge-paper, ${rounds} interleaved loads + reads (medians): converge ${c.toFixed(3)} ms, ` +
    `loro-crdt ${l.toFixed(3)} ms: ${(c / l).toFixed(2)}x (goal < 1x)`,
);
