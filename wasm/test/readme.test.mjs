// The JavaScript examples of README.md and wasm/README.md run as written
// (with "converge" pointing at the built package) and print what their
// comments say.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const pkg = pathToFileURL(new URL("../pkg/index.js", import.meta.url).pathname).href;

for (const readme of ["../../README.md", "../README.md"]) {
  const text = readFileSync(new URL(readme, import.meta.url), "utf8");
  const blocks = [...text.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  test(`the JavaScript examples of ${readme.replace(/^\.\.\//, "wasm/").replace("wasm/../", "")} run`, async () => {
    assert.ok(blocks.length > 0, "no ```js example found");
    for (const code of blocks) {
      const runnable = code.replace(/from "converge"/g, `from "${pkg}"`);
      const logged = [];
      const log = console.log;
      console.log = (...args) => logged.push(args);
      try {
        await import(`data:text/javascript,${encodeURIComponent(runnable)}`);
      } finally {
        console.log = log;
      }
      // `console.log(x); // value` lines: the value printed is the comment's.
      const expected = [...code.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) =>
        Function(`return (${m[1]});`)(),
      );
      assert.deepEqual(logged.map((args) => args[0]), expected);
    }
  });
}
