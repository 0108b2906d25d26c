/**
 * converge: delta-state CRDT documents that merge deterministically.
 *
 * ```ts
 * import { Doc } from "converge";
 * const a = new Doc(), b = new Doc();
 * a.subscribeLocalUpdates((u) => b.apply(u));
 * a.getText("notes").insert(0, "hello");
 * b.getText("notes").toString(); // "hello"
 * ```
 */
export * from "./converge_wasm.js";
export * from "./driver.js";
export * from "./tabs.js";
export * from "./storage.js";
