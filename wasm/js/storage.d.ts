import type { Doc } from "./converge_wasm.js";

/**
 * Documents kept in IndexedDB: each change is written as an update within
 * the task that made it, and updates are compacted into a snapshot every
 * `compactEvery` writes. Tabs may share one database.
 */
export class IndexedDbStore {
  /** Opens (or creates) the database `name` (default "converge"). */
  static open(name?: string): Promise<IndexedDbStore>;
  /** Deletes the database `name` and every document in it. */
  static destroy(name?: string): Promise<void>;
  /**
   * The document `docId` as stored (empty when new), written to the
   * database from now on. `replica` is random by default: never give two
   * tabs the same one.
   */
  load(docId: string, options?: { replica?: string; compactEvery?: number }): Promise<Doc>;
  /** Waits until every edit made so far is in the database. */
  flush(): Promise<void>;
  /** Writes what waits, stops persisting and closes the database. */
  close(): Promise<void>;
}
