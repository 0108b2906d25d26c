// The demo page in real Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; never a browser download): tabs converge through a
// BroadcastChannel, presence comes and goes, offline edits merge when the
// tab comes back, and a reload restores the document from IndexedDB.
// A failing test leaves a screenshot in wasm/test-results/.
// Run by scripts/test.sh after wasm/build.sh: `node --test wasm/test-browser/`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve } from "../demo/serve.mjs";
import { launch, withPages as pagesOf, converged } from "./harness.mjs";

let server;
let browser;
let base;

before(async () => {
  server = await serve(0);
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** `n` pages of one browser context on a fresh document. */
function withPages(name, n, body) {
  const docId = `${name}-${Date.now()}`;
  const urls = Array.from({ length: n }, (_, i) => `${base}/demo/?doc=${docId}&name=user${i}`);
  return pagesOf(browser, name, urls, body);
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
