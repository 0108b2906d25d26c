import type { Doc, SyncOptions } from "./converge_wasm.js";

/**
 * Keeps `doc` in sync with the same document in other tabs of this origin
 * over a BroadcastChannel named `channel`, with converge's sync protocol
 * (a tab that opens late or wakes up catches up from the others).
 */
export class TabSync {
  constructor(doc: Doc, options?: { channel?: string; sync?: SyncOptions });
  /** This tab's id (its document's replica id). */
  readonly id: string;
  /** The other tabs in sync with this one. */
  readonly peers: string[];
  /** Sets what this tab shows the others (any structured-clonable value;
   * `null` hides it). Not stored in the document; refreshed every 2 s and
   * dropped by the others 6 s after this tab goes away. */
  setPresence(state: unknown): void;
  /** The other tabs' presence states, by tab id. */
  readonly others: Map<string, unknown>;
  /** Calls `callback(others)` when another tab's presence changes. */
  onPresence(callback: (others: Map<string, unknown>) => void): () => void;
  /** Leaves: the other tabs forget this one. Runs on `pagehide` too. */
  close(): void;
}
