// Type-checked by `tsc -p test/tsconfig.json` (strict) in scripts/test.sh:
// the package's declarations describe what an application writes.
import { Doc, DocText, DocMap, Cursor } from "../pkg/index.js";
import type { DocEvent, Change, TextStep, Version, Value, ApplyOutcome, Plain } from "../pkg/index.js";

const a: Doc = new Doc();
const b: Doc = new Doc("b2");
const off: () => void = a.subscribeLocalUpdates((u: Uint8Array) => {
  const r: ApplyOutcome = b.apply(u);
  void r;
});
const text: DocText = a.getText("notes");
text.insert(0, "hello");
const n: number = text.length;
const s: string = text.toString();
const c: Cursor = text.cursor(2, "left");
const c2: Cursor = a.getList("l").cursor(0);
// @ts-expect-error: a cursor's side is "left" or "right"
text.cursor(2, "up");
const at: number | undefined = text.resolve(c);
const m: DocMap = a.getMap("m");
m.set("k", 1n);
const v = m.get("k");
if (typeof v === "bigint") console.log(v + 1n);
a.getList("l").push(null);
a.getCounter("c").increment(2);
a.getSet("s").add("x");
a.getRemoveWinsSet("r").add(1);
const mvs: Value[] = a.getMultiValue("mv").values();
const vals: Value[] = a.getSet("s").values();
const ver: Version = a.version();
const upd: Uint8Array | undefined = b.encodeSince(ver);
const json: { [key: string]: Plain } = a.toJSON();
const mapJson: { [key: string]: Plain } = m.toJSON();
// @ts-expect-error: a map's toJSON() is plain data, not `any`
const notANumber: number = m.toJSON();
const unsub: () => void = a.subscribe((e: DocEvent) => {
  for (const ch of e.changes as Change[]) {
    if (ch.kind === "text") {
      for (const step of ch.steps as TextStep[]) {
        if ("insert" in step) console.log(step.insert.length);
      }
    } else if (ch.kind === "counter") {
      console.log(ch.new - ch.old);
    }
  }
});
const result: number = a.transact(() => 1);
void [off, n, s, at, c2, mvs, vals, upd, json, mapJson, notANumber, unsub, result];
