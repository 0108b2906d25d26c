// What the browser tests share: Debian's Chromium through playwright-core,
// pages that screenshot themselves when a test fails, and a convergence
// check on full snapshots.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CONVERGE_CHROMIUM ?? "/usr/bin/chromium";
const results = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../test-results");

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-quic"],
  });
}

/**
 * Runs `body(pages)` with `n` demo pages at `url(i)`, each in the browser
 * context `contextOf(i)` chooses (pages of one context share storage and a
 * BroadcastChannel). Fails on any uncaught page error; screenshots every
 * page into wasm/test-results/ when the body fails.
 */
export async function withPages(browser, name, urls, body, { separate = false } = {}) {
  const contexts = [];
  const context = async (i) => {
    const k = separate ? i : 0;
    contexts[k] ??= await browser.newContext();
    return contexts[k];
  };
  const pages = [];
  const errors = [];
  try {
    for (const [i, url] of urls.entries()) {
      const page = await (await context(i)).newPage();
      page.on("pageerror", (e) => errors.push(`page ${i}: ${e.message}`));
      await page.goto(url);
      await page.waitForFunction(() => window.demo !== undefined);
      pages.push(page);
    }
    await body(pages);
    assert.deepEqual(errors, [], "the pages threw");
  } catch (e) {
    mkdirSync(results, { recursive: true });
    for (const [i, p] of pages.entries()) {
      if (!p.isClosed()) await p.screenshot({ path: path.join(results, `${name}-page${i}.png`), fullPage: true });
    }
    console.log(`screenshots in ${results}`);
    throw e;
  } finally {
    for (const c of contexts) await c?.close();
  }
}

export const snapshotHex = (page) =>
  page.evaluate(() => Array.from(window.demo.doc.snapshot(), (b) => b.toString(16).padStart(2, "0")).join(""));

/** Waits until the pages (and `more()` snapshots, hex) are byte-identical. */
export async function converged(pages, ms = 15000, more = async () => []) {
  const until = Date.now() + ms;
  for (;;) {
    const snaps = [...(await Promise.all(pages.map(snapshotHex))), ...(await more())];
    if (snaps.every((s) => s === snaps[0])) return;
    if (Date.now() > until) {
      const json = await Promise.all(pages.map((p) => p.evaluate(() => JSON.stringify(window.demo.doc.toJSON()))));
      assert.fail(`no convergence in ${ms} ms:\n${json.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
