// converge: the entry point of the npm package. It loads the WebAssembly
// module once (top-level await), in Node.js from the file beside this one,
// in browsers by fetching it, and re-exports the classes. No bundler step:
// `import { Doc } from "converge"` in Node, or
// `<script type="module">import { Doc } from "./pkg/index.js"</script>`.
import init, { initSync } from "./converge_wasm.js";

const wasmUrl = new URL("./converge_wasm_bg.wasm", import.meta.url);
if (typeof process !== "undefined" && process.versions != null && process.versions.node != null) {
  const { readFile } = await import("node:fs/promises");
  initSync({ module: await readFile(wasmUrl) });
} else {
  await init({ module_or_path: wasmUrl });
}

export * from "./converge_wasm.js";
export { SyncDriver } from "./driver.js";
export { TabSync } from "./tabs.js";
export { IndexedDbStore } from "./storage.js";
