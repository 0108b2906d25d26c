// Browser pages and native `converge node` processes on one libp2p network
// (js-libp2p in the page, WebSocket to the node): two browser contexts
// (separate storage, no BroadcastChannel between them) converge through
// the node, edit offline and converge when back, see each other's
// presence come and go; and the CLI's edits reach the page and the page's
// reach `converge doc show`. The node serves the demo itself (--serve).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { promisify } from "node:util";
import { launch, withPages, converged, sleep } from "./harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const BIN = process.env.CONVERGE_BIN ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, "target"), "debug/converge");
const run = promisify(execFile);

let node;
let data;
let base;
let browser;

/** Starts `converge node` serving the demo; resolves when it is ready. */
function startNode(dir, docs) {
  const args = ["node", "--data", dir, "--listen", "/ip4/127.0.0.1/tcp/0/ws", "--listen", "/ip4/127.0.0.1/tcp/0",
    "--serve", path.join(root, "wasm"), "--http", "127.0.0.1:0", ...docs.flatMap((d) => ["--doc", d])];
  const child = spawn(BIN, args, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.on("exit", (code) => reject(new Error(`converge node exited (${code}):\n${out}`)));
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const http = out.match(/serving .* at (http:\/\/[0-9.:]+)\//);
      if (http && out.includes("control socket")) resolve({ child, base: http[1] });
    });
  });
}

const cli = async (...args) => (await run(BIN, ["doc", ...args, "--data", data])).stdout;
/** The node's snapshot of `doc`, hex (as the pages' snapshotHex). */
async function nodeSnapshot(doc) {
  const file = path.join(data, `${doc}.export`);
  await cli("export", doc, file);
  const { readFileSync } = await import("node:fs");
  return readFileSync(file).toString("hex");
}

const docs = ["contexts", "offline", "presence", "cli", "large"].map((d) => `${d}-${Date.now()}`);

before(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} not found: build it with cargo build -p converge-cli (or set CONVERGE_BIN)`);
  data = mkdtempSync(path.join(tmpdir(), "converge-browser-"));
  ({ child: node, base } = await startNode(data, docs));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  node?.kill("SIGTERM");
  await sleep(200);
  rmSync(data, { recursive: true, force: true });
});

const url = (doc, name) => `${base}/demo/?doc=${doc}&name=${name}`;
const joined = (page) => page.waitForFunction(() => window.demo.shared?.peers.length > 0, null, { timeout: 15000 });

test("two browser contexts converge through a native converge node", async () => {
  const doc = docs[0];
  await withPages(browser, "contexts", [url(doc, "ann"), url(doc, "bob")], async ([a, b]) => {
    await Promise.all([joined(a), joined(b)]);
    assert.equal(await a.evaluate(() => window.demo.tabs.peers.length), 0, "separate contexts share no tab channel");
    await a.fill("#todo-title", "via the node");
    await a.click("#add-todo button");
    await b.locator("#todos li", { hasText: "via the node" }).waitFor({ timeout: 15000 });
    await b.click("#notes");
    await b.keyboard.type("typed in b");
    await a.waitForFunction(() => document.getElementById("notes").value === "typed in b", null, { timeout: 15000 });
    await converged([a, b], 15000, async () => [await nodeSnapshot(doc)]);
  }, { separate: true });
});

test("both contexts edit offline and converge when reconnected", async () => {
  const doc = docs[1];
  await withPages(browser, "offline", [url(doc, "ann"), url(doc, "bob")], async ([a, b]) => {
    await Promise.all([joined(a), joined(b)]);
    for (const p of [a, b]) {
      await p.click("#online");
      await p.locator("#status[data-state=offline]").waitFor();
    }
    await a.fill("#todo-title", "offline in a");
    await a.click("#add-todo button");
    await b.fill("#todo-title", "offline in b");
    await b.click("#add-todo button");
    await b.click("#increment");
    await sleep(300);
    assert.equal(await a.locator("#todos li", { hasText: "offline in b" }).count(), 0, "an offline edit leaked");
    for (const p of [a, b]) await p.click("#online");
    await a.locator("#todos li", { hasText: "offline in b" }).waitFor({ timeout: 15000 });
    await b.locator("#todos li", { hasText: "offline in a" }).waitFor({ timeout: 15000 });
    await converged([a, b], 15000, async () => [await nodeSnapshot(doc)]);
  }, { separate: true });
});

test("presence through the node appears and disappears", async () => {
  const doc = docs[2];
  await withPages(browser, "presence", [url(doc, "ann"), url(doc, "bob")], async ([a, b]) => {
    await Promise.all([joined(a), joined(b)]);
    await a.locator('#people li[data-name="bob"]').waitFor({ timeout: 15000 });
    await b.locator('#people li[data-name="ann"]').waitFor({ timeout: 15000 });
    await b.click("#online"); // leaves: its presence is cleared
    // At once when the goodbye arrives; at the latest when bob's presence
    // expires (15 s without news), on a machine too busy to send it.
    await a.locator('#people li[data-name="bob"]').waitFor({ state: "detached", timeout: 25000 });
  }, { separate: true });
});

test("the CLI's edits reach the page and the page's reach `converge doc show`", async () => {
  const doc = docs[3];
  await withPages(browser, "cli", [url(doc, "ann")], async ([a]) => {
    await joined(a);
    await cli("edit", doc, "insert", "notes", "0", "from the terminal ");
    await a.waitForFunction(() => document.getElementById("notes").value.includes("from the terminal"), null, { timeout: 15000 });
    await a.fill("#todo-title", "from the page");
    await a.click("#add-todo button");
    const until = Date.now() + 15000;
    let shown = "";
    while (Date.now() < until) {
      shown = await cli("show", doc);
      if (shown.includes("from the page")) break;
      await sleep(100);
    }
    assert.match(shown, /from the page/);
    await converged([a], 15000, async () => [await nodeSnapshot(doc)]);
  });
});

test("a large document made offline in the page reaches the node (catch-up in several requests)", async () => {
  const doc = docs[4];
  await withPages(browser, "large", [url(doc, "ann")], async ([a]) => {
    await joined(a);
    await a.click("#online");
    await a.locator("#status[data-state=offline]").waitFor();
    // About 600 KB of text: more than one request's worth of catch-up.
    await a.evaluate(() => {
      const t = window.demo.doc.getText("notes");
      const line = "a line of notes written while offline, long enough to add up quickly. ";
      window.demo.doc.transact(() => {
        for (let i = 0; i < 8500; i++) t.push(line);
      });
    });
    await a.click("#online");
    await converged([a], 30000, async () => [await nodeSnapshot(doc)]);
  });
});
