// Loading a snapshot: converge against loro-crdt, interleaved round by
// round in one process (a separate run of each drifts with the machine).
// Each round loads automerge-paper's snapshot and reads its text with
// converge, then with loro-crdt; medians are printed with their ratio.
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

const loads = {
  converge: () => converge.Doc.load(ours, "2").getText("text").toString(),
  "loro-crdt": () => LoroDoc.fromSnapshot(theirs).getText("text").toString(),
};
for (const [name, load] of Object.entries(loads)) {
  if (load() !== trace.endContent) throw new Error(`${name}: the loaded text differs from the trace's`);
}
const times = { converge: [], "loro-crdt": [] };
for (let i = 0; i < rounds; i++) {
  let start = performance.now();
  converge.Doc.load(ours, "2").getText("text").toString();
  times.converge.push(performance.now() - start);
  start = performance.now();
  LoroDoc.fromSnapshot(theirs).getText("text").toString();
  times["loro-crdt"].push(performance.now() - start);
}
const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
const [c, l] = [median(times.converge), median(times["loro-crdt"])];
console.log(
  `automerge-paper, ${rounds} interleaved loads + reads (medians): converge ${c.toFixed(3)} ms, ` +
    `loro-crdt ${l.toFixed(3)} ms: ${(c / l).toFixed(2)}x (goal < 1x)`,
);
