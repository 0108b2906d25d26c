// The sync protocol from JavaScript: SyncDriver over an in-memory lossy
// transport, and TabSync over Node's BroadcastChannel (the same class
// browsers have). Every scenario ends with full-state equality.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Doc, SyncDriver, TabSync } from "../pkg/index.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until every doc has the same snapshot (or fails after `ms`). */
async function converged(docs, ms = 8000) {
  const until = Date.now() + ms;
  for (;;) {
    const snaps = docs.map((d) => Buffer.from(d.snapshot()).toString("hex"));
    if (snaps.every((s) => s === snaps[0])) return;
    if (Date.now() > until) {
      assert.fail(`not converged after ${ms} ms: ${docs.map((d) => JSON.stringify(d.toJSON())).join(" | ")}`);
    }
    await sleep(20);
  }
}

/** A network of SyncDrivers that drops `loss` of the gossip messages. */
function network(docs, loss, seed = 1) {
  let x = seed;
  const random = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const drivers = new Map();
  for (const doc of docs) {
    const id = doc.replicaId;
    const post = (m) => {
      for (const [other, d] of drivers) {
        if (other === id) continue;
        if (m.kind === "gossip") {
          if (random() >= loss) setTimeout(() => d.gossip(id, m.bytes), 1 + random() * 10);
        } else if (m.to === other) {
          setTimeout(() => d.direct(id, m.bytes), 1 + random() * 10);
        }
      }
    };
    drivers.set(id, new SyncDriver(doc, post, { summaryIntervalMs: 100, gossipGraceMs: 50, retransmitMs: 200 }));
  }
  for (const [id, d] of drivers) for (const other of drivers.keys()) if (other !== id) d.join(other);
  return drivers;
}

test("three replicas converge through SyncDrivers when a third of the gossip is lost", async () => {
  const docs = ["a1", "b2", "c3"].map((r) => new Doc(r));
  const drivers = network(docs, 0.33);
  for (let i = 0; i < 60; i++) {
    const d = docs[i % 3];
    d.getText("t").insert(0, String(i % 10));
    d.getCounter("n").increment();
    if (i % 7 === 0) await sleep(5);
  }
  await converged(docs);
  assert.equal(docs[0].getCounter("n").value, 60);
  assert.equal(docs[1].getText("t").length, 60);
  for (const d of drivers.values()) d.close();
});

test("tabs converge over a BroadcastChannel, and a late tab catches up", async () => {
  const a = new Doc("a1");
  const b = new Doc("b2");
  const ta = new TabSync(a, { channel: "converge-test-tabs" });
  const tb = new TabSync(b, { channel: "converge-test-tabs" });
  a.getText("notes").insert(0, "from a");
  b.getList("todos").push("from b");
  await converged([a, b]);
  assert.deepEqual(ta.peers, ["00000000000000b2"]);
  // Edits made before the third tab opens reach it by catch-up.
  for (let i = 0; i < 50; i++) a.getCounter("c").increment();
  const c = new Doc("c3");
  const tc = new TabSync(c, { channel: "converge-test-tabs" });
  await converged([a, b, c]);
  assert.equal(c.getCounter("c").value, 50);
  assert.equal(c.getText("notes").toString(), "from a");
  tc.close();
  await sleep(50);
  assert.deepEqual(ta.peers, ["00000000000000b2"]);
  ta.close();
  tb.close();
});

test("a peer that sends garbage is cut off and stays ignored", () => {
  const doc = new Doc("a1");
  const sent = [];
  const warn = console.warn;
  console.warn = () => {};
  const d = new SyncDriver(doc, (m) => sent.push(m));
  try {
    d.direct("evil", new Uint8Array([0x43, 0x4e, 0x56, 0x47, 9, 9, 9, 9, 9, 9, 9, 9]));
    assert.deepEqual(d.peers, [], "cut off");
    assert.ok(d.isBanned("evil"));
    const before = sent.length;
    d.gossip("evil", new Uint8Array([1, 2, 3]));
    d.join("evil");
    assert.deepEqual(d.peers, [], "not let back in");
    assert.equal(sent.length, before, "nothing sent to a banned peer");
    d.join("friend");
    assert.deepEqual(d.peers, ["friend"]);
  } finally {
    console.warn = warn;
    d.close();
  }
});
