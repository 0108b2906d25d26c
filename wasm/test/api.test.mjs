// The JavaScript API under Node.js: every container, the event shapes,
// sync between documents, snapshots, cursors, UTF-16 positions and errors.
// Run by scripts/test.sh (after wasm/build.sh) as `node --test wasm/test/`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Doc, Cursor } from "../pkg/index.js";

/** Two documents that send each other every local update. */
function pair() {
  const a = new Doc("a1");
  const b = new Doc("b2");
  a.subscribeLocalUpdates((u) => b.apply(u));
  b.subscribeLocalUpdates((u) => a.apply(u));
  return [a, b];
}

/** One exchange of what each of two documents lacks. */
function exchange(a, b) {
  const toA = b.encodeSince(a.version());
  const toB = a.encodeSince(b.version());
  if (toA) a.apply(toA);
  if (toB) b.apply(toB);
}

/** Full-state equality: same JSON and byte-identical snapshots. */
function assertConverged(a, b) {
  assert.deepEqual(a.toJSON(), b.toJSON());
  assert.deepEqual(a.snapshot(), b.snapshot());
}

test("replica ids: given, random, and refused when not hexadecimal", () => {
  assert.equal(new Doc("ab").replicaId, "00000000000000ab");
  const r = new Doc().replicaId;
  assert.match(r, /^[0-9a-f]{16}$/);
  assert.notEqual(r, new Doc().replicaId);
  assert.throws(() => new Doc("xyz"), /replica id "xyz": not hexadecimal/);
  assert.throws(() => new Doc("12345678901234567"), /1 to 16 hexadecimal digits/);
});

test("text: UTF-16 positions, splice, slice, length, and convergence", () => {
  const [a, b] = pair();
  const t = a.getText("notes");
  t.insert(0, "héllo 😀 world");
  assert.equal(t.length, "héllo 😀 world".length);
  t.delete(6, 2); // the emoji is two UTF-16 code units
  assert.equal(t.toString(), "héllo  world");
  t.splice(0, 5, "HELLO");
  t.push("!");
  assert.equal(b.getText("notes").toString(), "HELLO  world!");
  assert.equal(t.slice(7), "world!");
  assert.equal(t.slice(0, 5), "HELLO");
  assert.equal(JSON.stringify({ t }), '{"t":"HELLO  world!"}');
  assert.throws(() => t.insert(99, "x"), /out of bounds/i);
  assertConverged(a, b);
});

test("concurrent typing at one place does not interleave", () => {
  const a = new Doc("a1");
  const b = new Doc("b2");
  a.getText("t").insert(0, "hello");
  b.getText("t").insert(0, "world");
  b.apply(a.encodeSince(b.version()));
  a.apply(b.encodeSince(a.version()));
  const s = a.getText("t").toString();
  assert.ok(s === "helloworld" || s === "worldhello", s);
  assertConverged(a, b);
});

test("maps: values of every type, nested containers, delete, keys", () => {
  const [a, b] = pair();
  const m = a.getMap("settings");
  m.set("theme", "dark");
  m.set("size", 12);
  m.set("ratio", 0.5);
  m.set("on", true);
  m.set("nothing", null);
  m.set("big", 2n ** 60n);
  m.set("bytes", new Uint8Array([1, 2, 3]));
  m.getMap("inner").set("x", 1);
  m.getText("bio").insert(0, "hi");
  m.getCounter("visits").increment(3);
  const bm = b.getMap("settings");
  assert.equal(bm.get("theme"), "dark");
  assert.equal(bm.get("size"), 12);
  assert.equal(bm.get("ratio"), 0.5);
  assert.equal(bm.get("on"), true);
  assert.equal(bm.get("nothing"), null);
  assert.equal(bm.get("big"), 2n ** 60n);
  assert.deepEqual(bm.get("bytes"), new Uint8Array([1, 2, 3]));
  assert.equal(bm.get("inner").get("x"), 1);
  assert.equal(bm.get("bio").toString(), "hi");
  assert.equal(bm.get("visits").value, 3);
  assert.equal(bm.get("absent"), undefined);
  assert.ok(bm.has("theme"));
  assert.deepEqual(bm.keys(), ["big", "bio", "bytes", "inner", "nothing", "on", "ratio", "size", "theme", "visits"]);
  assert.equal(bm.size, 10);
  assert.equal(m.delete("theme"), true);
  assert.equal(m.delete("theme"), false);
  assert.equal(bm.has("theme"), false);
  assert.throws(() => m.set("o", { a: 1 }), /unsupported value/);
  assert.throws(() => m.set("big", 2n ** 64n), /64 signed bits/);
  assertConverged(a, b);
});

test("lists: values, nested containers, set, delete, cursors", () => {
  const [a, b] = pair();
  const l = a.getList("todos");
  l.push("one");
  l.push("three");
  l.insert(1, "two");
  const item = l.pushMap();
  item.set("title", "nested");
  l.pushText().insert(0, "text item");
  l.pushCounter().increment();
  l.pushList().push(1);
  assert.equal(l.length, 7);
  assert.deepEqual(b.getList("todos").toJSON(), ["one", "two", "three", { title: "nested" }, "text item", 1, [1]]);
  assert.equal(b.getList("todos").get(3).get("title"), "nested");
  assert.equal(b.getList("todos").get(4).toString(), "text item");
  assert.equal(b.getList("todos").get(99), undefined);
  const c = l.cursor(2); // on "three"
  b.getList("todos").insert(0, "zero");
  assert.equal(l.resolve(c), 3);
  l.set(0, "ZERO");
  l.delete(1, 2);
  assert.deepEqual(l.toJSON().slice(0, 2), ["ZERO", "three"]);
  assert.throws(() => l.delete(50), /out of bounds/i);
  assertConverged(a, b);
});

test("counters, sets and multi-value registers", () => {
  const [a, b] = pair();
  const c = a.getCounter("likes");
  c.increment();
  c.increment(5);
  c.decrement(2);
  assert.equal(b.getCounter("likes").value, 4);
  assert.throws(() => c.increment(1.5), /safe integer/);
  const s = a.getSet("tags");
  s.add("x");
  s.add("y");
  s.delete("x");
  assert.deepEqual(b.getSet("tags").values(), ["y"]);
  assert.equal(b.getSet("tags").has("y"), true);
  assert.equal(b.getSet("tags").size, 1);
  const rw = a.root.getRemoveWinsSet("blocked");
  rw.add(7);
  assert.deepEqual(b.root.getRemoveWinsSet("blocked").values(), [7]);
  const mv = a.root.getMultiValue("title");
  mv.set("draft");
  assert.deepEqual(b.root.getMultiValue("title").values(), ["draft"]);
  // The document's accessors name the root map's containers.
  assert.deepEqual(b.getRemoveWinsSet("blocked").values(), [7]);
  assert.deepEqual(b.getMultiValue("title").values(), ["draft"]);
  b.getMultiValue("title").set("final");
  b.getRemoveWinsSet("blocked").delete(7);
  assert.deepEqual(a.root.getMultiValue("title").values(), ["final"]);
  assert.deepEqual(a.root.getRemoveWinsSet("blocked").values(), []);
  assertConverged(a, b);
});

test("add-wins and multi-value semantics under concurrency", () => {
  const a = new Doc("a1");
  a.getSet("s").add("v");
  const b = a.fork("b2");
  a.getSet("s").delete("v");
  b.getSet("s").add("v");
  a.root.getMultiValue("m").set(1);
  b.root.getMultiValue("m").set(2);
  a.apply(b.encodeSince(a.version()));
  b.apply(a.encodeSince(b.version()));
  assert.deepEqual(a.getSet("s").values(), ["v"]);
  assert.deepEqual(a.root.getMultiValue("m").values().sort(), [1, 2]);
  assertConverged(a, b);
});

test("events: local and remote, UTF-16 text steps, one per transaction", () => {
  const [a, b] = pair();
  const seenA = [];
  const seenB = [];
  const offA = a.subscribe((e) => seenA.push(e));
  b.subscribe((e) => seenB.push(e));
  a.getText("t").insert(0, "a😀b");
  a.getText("t").delete(1, 2);
  a.transact(() => {
    a.getCounter("c").increment(2);
    a.getMap("m").set("k", "v");
    a.getList("l").push("x");
    a.getSet("s").add(1);
  });
  assert.equal(seenA.length, 3);
  assert.equal(seenA[0].origin, "local");
  assert.equal(seenB[0].origin, "remote");
  assert.deepEqual(seenB[1], {
    origin: "remote",
    changes: [{ path: ["t"], kind: "text", steps: [{ retain: 1 }, { delete: 2 }] }],
  });
  const kinds = seenA[2].changes.map((c) => c.kind);
  for (const k of ["counter", "register", "list", "setInserted"]) assert.ok(kinds.includes(k), k);
  const counter = seenA[2].changes.find((c) => c.kind === "counter");
  assert.deepEqual(counter, { path: ["c"], kind: "counter", old: 0, new: 2 });
  const list = seenB[2].changes.find((c) => c.kind === "list");
  assert.deepEqual(list.steps, [{ insert: ["x"] }]);
  // Every replica's text events, applied to a plain string, give its text.
  let mirror = "";
  for (const e of seenB) {
    for (const c of e.changes) {
      if (c.kind !== "text") continue;
      let at = 0;
      for (const s of c.steps) {
        if ("retain" in s) at += s.retain;
        else if ("insert" in s) {
          mirror = mirror.slice(0, at) + s.insert + mirror.slice(at);
          at += s.insert.length;
        } else mirror = mirror.slice(0, at) + mirror.slice(at + s.delete);
      }
    }
  }
  assert.equal(mirror, b.getText("t").toString());
  offA();
  offA(); // a second call is harmless
  a.getCounter("c").increment();
  assert.equal(seenA.length, 3);
});

test("transact: one local update; nested calls; an exception keeps earlier edits", () => {
  const a = new Doc("a1");
  const b = new Doc("b2");
  const updates = [];
  a.subscribeLocalUpdates((u) => updates.push(u));
  const r = a.transact(() => {
    a.getText("t").insert(0, "x");
    a.transact(() => a.getText("t").insert(1, "y"));
    return 42;
  });
  assert.equal(r, 42);
  assert.equal(updates.length, 1);
  assert.throws(() => a.transact(() => {
    a.getText("t").insert(2, "z");
    throw new Error("boom");
  }), /boom/);
  assert.equal(updates.length, 2);
  for (const u of updates) b.apply(u);
  assert.equal(b.getText("t").toString(), "xyz");
});

test("snapshot, load, encodeSince and out-of-order updates", () => {
  const a = new Doc("a1");
  const updates = [];
  a.subscribeLocalUpdates((u) => updates.push(u));
  for (let i = 0; i < 20; i++) a.getText("t").insert(i, String(i % 10));
  const b = new Doc("b2");
  // Reversed: all but the last wait for their causes, then apply at once.
  const outcomes = updates.slice().reverse().map((u) => b.apply(u));
  assert.equal(outcomes[0], "pending");
  assert.equal(outcomes.at(-1), "applied");
  assert.equal(b.pendingCount, 0);
  assert.equal(b.apply(updates[3]), "duplicate");
  assertConverged(a, b);
  assert.equal(a.encodeSince(b.version()), undefined);
  const c = Doc.load(a.snapshot(), "c3");
  assert.equal(c.getText("t").toString(), a.getText("t").toString());
  c.getText("t").insert(0, "!");
  a.apply(c.encodeSince(a.version()));
  assert.equal(a.getText("t").toString()[0], "!");
  assert.deepEqual(Object.keys(a.version()).sort(), ["00000000000000a1", "00000000000000c3"]);
  const all = a.encodeSince();
  const d = new Doc();
  d.apply(all);
  assertConverged(a, d);
});

test("bad bytes are refused with a clear error and change nothing", () => {
  const a = new Doc("a1");
  a.getText("t").insert(0, "keep");
  const before = a.snapshot();
  assert.throws(() => a.apply(new Uint8Array([1, 2, 3])), /truncated input/);
  const snap = a.snapshot();
  snap[snap.length - 1] ^= 0xff;
  assert.throws(() => a.apply(snap), /checksum|malformed|invalid/);
  assert.throws(() => Doc.load(new Uint8Array(40)), /magic bytes|truncated/);
  assert.deepEqual(a.snapshot(), before);
  assert.throws(() => a.encodeSince({ zz: 1 }), /replica id/);
  assert.throws(() => a.encodeSince({ a1: -1 }), /non-negative integer/);
});

test("text cursors survive edits and encode", () => {
  const a = new Doc("a1");
  const t = a.getText("t");
  t.insert(0, "hello world");
  const c = t.cursor(6); // before "w"
  const left = t.cursor(5, "left"); // after "o"
  t.insert(0, "😀 ");
  assert.equal(t.resolve(c), 9);
  assert.equal(t.resolve(left), 8);
  const again = Cursor.decode(c.encode());
  assert.equal(t.resolve(again), 9);
  assert.throws(() => t.cursor(0, "up"), /cursor side "up"/);
  assert.throws(() => Cursor.decode(new Uint8Array([9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9])), /not an encoded cursor/);
});

test("an event callback may edit the document; a reentrant read is refused", () => {
  const a = new Doc("a1");
  let depth = 0;
  a.subscribe(() => {
    if (depth++ === 0) a.getCounter("c").increment();
  });
  a.getCounter("c").increment();
  assert.equal(a.getCounter("c").value, 2);
});

test("a large transaction delivers every change in one event", () => {
  const a = new Doc("a1");
  const events = [];
  a.subscribe((e) => events.push(e));
  a.transact(() => {
    const l = a.getList("l");
    for (let i = 0; i < 3000; i++) l.push(i);
  });
  assert.equal(events.length, 1);
  const inserted = events[0].changes
    .filter((c) => c.kind === "list")
    .flatMap((c) => c.steps.filter((s) => "insert" in s).flatMap((s) => s.insert));
  assert.deepEqual(inserted, Array.from({ length: 3000 }, (_, i) => i));
});

test("toJSON: the plain shape of every container kind, nested, keys sorted", () => {
  const a = new Doc("a1");
  const m = a.getMap("m");
  m.set("reg", "x");
  m.getSet("tags").add("b");
  m.getSet("tags").add("a");
  m.getRemoveWinsSet("rw").add(2);
  m.getMultiValue("mv").set(5);
  m.getCounter("n").increment(4);
  m.getText("t").insert(0, "hé😀");
  const l = m.getList("l");
  l.push(1);
  l.pushMap().set("k", "v");
  l.pushText().insert(0, "in");
  l.pushList().pushCounter().increment(2);
  m.getMap("empty");
  const json = a.toJSON();
  assert.deepEqual(json, {
    m: { l: [1, { k: "v" }, "in", [2]], mv: [5], n: 4, reg: "x", rw: [2], t: "hé😀", tags: ["a", "b"] },
  });
  assert.deepEqual(Object.keys(json.m), ["l", "mv", "n", "reg", "rw", "t", "tags"]);
  assert.deepEqual(m.toJSON(), json.m);
  assert.deepEqual(l.toJSON(), json.m.l);
  assert.deepEqual(a.getMap("absent").toJSON(), {});
  assert.deepEqual(a.getList("absent").toJSON(), []);
});

test("map keys like __proto__ are own properties in toJSON, never prototypes", () => {
  const a = new Doc("a1");
  a.getMap("__proto__").set("polluted", 1);
  a.getMap("m").set("__proto__", "x");
  const json = a.toJSON();
  assert.equal(Object.getPrototypeOf(json), Object.prototype);
  assert.ok(Object.hasOwn(json, "__proto__"));
  assert.deepEqual(json["__proto__"], { polluted: 1 });
  assert.equal(json.polluted, undefined);
  assert.equal(Object.getPrototypeOf(json.m), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(json.m, "__proto__").value, "x");
  assert.equal({}.polluted, undefined);
});


/** wasm/README.md's snippet: text steps (an event's, or an editor's
 * Quill-style delta) applied to a text as one edit. */
function applySteps(doc, text, steps) {
  doc.transact(() => {
    let at = 0;
    for (const s of steps) {
      if ("retain" in s) at += s.retain;
      else if ("insert" in s) (text.insert(at, s.insert), (at += s.insert.length));
      else text.delete(at, s.delete);
    }
  });
}

test("text steps replayed into another document keep its text equal, through concurrent edits", () => {
  const [a, b] = [new Doc("a2"), new Doc("b3")];
  const copyDoc = new Doc("c4");
  const copy = copyDoc.getText("t");
  let copyEvents = 0;
  copyDoc.subscribe(() => copyEvents++);
  let textEvents = 0;
  a.subscribe((e) => {
    for (const c of e.changes) {
      if (c.kind !== "text") continue;
      textEvents++;
      applySteps(copyDoc, copy, c.steps);
    }
  });
  let seed = 7;
  const rnd = (n) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
  const pieces = ["x", "yz", "😀", "é", " word "];
  for (let round = 0; round < 60; round++) {
    for (const d of [a, b]) {
      const text = d.getText("t");
      // Whole characters only: UTF-16 offsets of code point boundaries.
      const chars = [...text.toString()];
      const cut = (i) => chars.slice(0, i).join("").length;
      const i = rnd(chars.length + 1);
      if (i < chars.length && rnd(3) === 0) {
        const end = Math.min(chars.length, i + 1 + rnd(3));
        text.delete(cut(i), cut(end) - cut(i));
      } else {
        text.insert(cut(i), pieces[rnd(pieces.length)]);
      }
    }
    if (round % 5 === 4) exchange(a, b);
  }
  exchange(a, b);
  assertConverged(a, b);
  assert.equal(copy.toString(), a.getText("t").toString());
  assert.equal(copyEvents, textEvents, "each replayed event is one edit of the copy");
  assert.ok(textEvents > 60);
});
