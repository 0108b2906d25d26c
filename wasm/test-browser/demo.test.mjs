// The demo page in real Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; never a browser download): tabs converge through a
// BroadcastChannel, presence comes and goes, offline edits merge when the
// tab comes back, and a reload restores the document from IndexedDB.
// A failing test leaves a screenshot in wasm/test-results/.
// Run by scripts/test.sh after wasm/build.sh: `node --test wasm/test-browser/`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { chromium } from "playwright-core";
import { serve } from "../demo/serve.mjs";

const CHROMIUM = process.env.CONVERGE_CHROMIUM ?? "/usr/bin/chromium";
const results = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../test-results");
let server;
let browser;
let base;

before(async () => {
  server = await serve(0);
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-quic"],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** Runs `body` with fresh pages of one browser context on document
 * `docId`; screenshots every page when it fails. */
async function withPages(name, n, body) {
  const context = await browser.newContext();
  const docId = `${name}-${Date.now()}`;
  const pages = [];
  const errors = [];
  const open = async (i) => {
    const page = await context.newPage();
    page.on("pageerror", (e) => errors.push(`page ${i}: ${e.message}`));
    await page.goto(`${base}/demo/?doc=${docId}&name=user${i}`);
    await page.waitForFunction(() => window.demo !== undefined);
    pages[i] = page;
    return page;
  };
  for (let i = 0; i < n; i++) await open(i);
  try {
    await body(pages, open);
    assert.deepEqual(errors, [], "the pages threw");
  } catch (e) {
    mkdirSync(results, { recursive: true });
    for (const [i, p] of pages.entries()) {
      if (p && !p.isClosed()) await p.screenshot({ path: path.join(results, `${name}-page${i}.png`), fullPage: true });
    }
    console.log(`screenshots in ${results}`);
    throw e;
  } finally {
    await context.close();
  }
}

const snapshotHex = (page) =>
  page.evaluate(() => Array.from(window.demo.doc.snapshot(), (b) => b.toString(16).padStart(2, "0")).join(""));

/** Waits until the pages hold byte-identical documents. */
async function converged(pages, ms = 10000) {
  const until = Date.now() + ms;
  for (;;) {
    const snaps = await Promise.all(pages.map(snapshotHex));
    if (snaps.every((s) => s === snaps[0])) return;
    if (Date.now() > until) {
      const json = await Promise.all(pages.map((p) => p.evaluate(() => JSON.stringify(window.demo.doc.toJSON()))));
      assert.fail(`pages did not converge in ${ms} ms:\n${json.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("two tabs of one origin converge through BroadcastChannel", async () => {
  await withPages("tabs", 2, async ([p1, p2]) => {
    await p1.fill("#todo-title", "buy milk");
    await p1.click("#add-todo button");
    await p2.locator("#todos li", { hasText: "buy milk" }).waitFor();
    await p2.click("#notes");
    await p2.keyboard.type("hello from two");
    await p1.waitForFunction(() => document.getElementById("notes").value === "hello from two");
    await p1.click("#increment");
    await p1.click("#increment");
    await p2.waitForFunction(() => document.getElementById("count").textContent === "3");
    await converged([p1, p2]);
    await p1.waitForFunction(() => document.getElementById("status").dataset.state === "synced");
  });
});

test("presence appears and disappears", async () => {
  await withPages("presence", 2, async ([p1, p2]) => {
    await p2.locator('#people li[data-name="user0"]').waitFor();
    await p1.locator('#people li[data-name="user1"]').waitFor();
    await p1.close({ runBeforeUnload: true });
    await p2.locator('#people li[data-name="user0"]').waitFor({ state: "detached", timeout: 10000 });
  });
});

test("edits made offline on both sides merge when the tab comes back", async () => {
  await withPages("offline", 2, async ([p1, p2]) => {
    await p1.click("#online");
    await p1.locator("#status[data-state=offline]").waitFor();
    await p1.fill("#todo-title", "offline todo");
    await p1.click("#add-todo button");
    await p2.fill("#todo-title", "online todo");
    await p2.click("#add-todo button");
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await p2.locator("#todos li", { hasText: "offline todo" }).count(), 0, "offline edit leaked");
    await p1.click("#online");
    await p1.locator("#todos li", { hasText: "online todo" }).waitFor();
    await p2.locator("#todos li", { hasText: "offline todo" }).waitFor();
    await converged([p1, p2]);
  });
});

test("a reload restores the document from IndexedDB with nothing lost", async () => {
  await withPages("reload", 1, async ([p1]) => {
    await p1.fill("#todo-title", "survive the reload");
    await p1.click("#add-todo button");
    await p1.click("#notes");
    await p1.keyboard.type("persisted notes ✓ 😀");
    await p1.evaluate(() => window.demo.store.flush());
    const before = await p1.evaluate(() => JSON.stringify(window.demo.doc.toJSON()));
    await p1.reload();
    await p1.waitForFunction(() => window.demo !== undefined);
    const afterReload = await p1.evaluate(() => JSON.stringify(window.demo.doc.toJSON()));
    assert.equal(afterReload, before);
    assert.equal(await p1.inputValue("#notes"), "persisted notes ✓ 😀");
    // 250 more edits go through a compaction and survive another reload.
    await p1.evaluate(() => {
      for (let i = 0; i < 250; i++) window.demo.doc.getCounter("edits seen").increment();
    });
    await p1.evaluate(() => window.demo.store.flush());
    await p1.reload();
    await p1.waitForFunction(() => window.demo !== undefined);
    assert.equal(await p1.evaluate(() => window.demo.doc.getCounter("edits seen").value), 251);
  });
});

if (!existsSync(CHROMIUM)) console.log(`note: ${CHROMIUM} not found`);
