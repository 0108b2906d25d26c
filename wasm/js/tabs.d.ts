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
  /** Leaves: the other tabs forget this one. Runs on `pagehide` too. */
  close(): void;
}
