// Documents kept in IndexedDB: every change is written as an update (what
// the document gained since the last write, local or remote), and from time
// to time the updates are compacted into one snapshot. Tabs of one origin
// share the database safely: a compaction folds in exactly the records it
// read, in one IndexedDB transaction, so a record another tab writes
// meanwhile survives it.
import { Doc } from "./converge_wasm.js";

const STORE = "records";
const BY_DOC = "by-doc";

/** Wraps an IDBRequest in a promise. */
function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Resolves when `tx` commits. */
function committed(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
  });
}

export class IndexedDbStore {
  /** @param {IDBDatabase} db */
  constructor(db) {
    this.db = db;
    /** @type {Set<PersistedDoc>} */
    this.open = new Set();
  }

  /**
   * Opens (or creates) the database `name`.
   * @param {string} [name]
   */
  static async open(name = "converge") {
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => {
      const store = request.result.createObjectStore(STORE, { autoIncrement: true });
      store.createIndex(BY_DOC, "doc");
    };
    return new IndexedDbStore(await done(request));
  }

  /**
   * The document `docId` as stored (empty when new), kept in the database
   * from now on: every local edit and every applied remote update is
   * written within the same task.
   * @param {string} docId
   * @param {{ replica?: string, compactEvery?: number }} [options]
   *   `replica`: this editor's id (random by default; never share one
   *   between tabs); `compactEvery`: updates between two compactions (100).
   * @returns {Promise<import("./converge_wasm.js").Doc>}
   */
  async load(docId, { replica, compactEvery = 100 } = {}) {
    const tx = this.db.transaction(STORE, "readonly");
    const rows = await done(tx.objectStore(STORE).index(BY_DOC).getAll(docId));
    const doc = new Doc(replica);
    for (const row of rows) doc.apply(row.bytes);
    this.open.add(new PersistedDoc(this, docId, doc, compactEvery));
    return doc;
  }

  /** Waits until everything written so far is in the database. */
  async flush() {
    await Promise.all([...this.open].map((p) => p.flush()));
  }

  /** Writes what waits, stops persisting, and closes the database. */
  async close() {
    await this.flush();
    for (const p of this.open) p.stop();
    this.open.clear();
    this.db.close();
  }

  /** Deletes the database `name` (every document in it). */
  static async destroy(name = "converge") {
    await done(indexedDB.deleteDatabase(name));
  }
}

/** One document being written to the database. */
class PersistedDoc {
  constructor(store, docId, doc, compactEvery) {
    this.store = store;
    this.docId = docId;
    this.doc = doc;
    this.compactEvery = compactEvery;
    this.saved = doc.version();
    this.written = 0;
    this.scheduled = false;
    this.writing = Promise.resolve();
    this.error = undefined;
    const schedule = () => this.#schedule();
    this.offLocal = doc.subscribeLocalUpdates(schedule);
    this.offChanges = doc.subscribe(schedule);
  }

  #schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    // After the current task's edits, before the page can go away.
    queueMicrotask(() => {
      this.scheduled = false;
      this.writing = this.writing
        .then(() => this.#write())
        .catch((e) => {
          // Kept for flush() to report; later writes still try.
          this.error = e;
        });
    });
  }

  async #write() {
    const bytes = this.doc.encodeSince(this.saved);
    if (bytes === undefined) return;
    const version = this.doc.version();
    const tx = this.store.db.transaction(STORE, "readwrite");
    tx.objectStore(STORE).add({ doc: this.docId, bytes });
    await committed(tx);
    // Only once it is stored: after a failed write the next one carries
    // this delta again.
    this.saved = version;
    if (++this.written >= this.compactEvery) {
      this.written = 0;
      await this.#compact();
    }
  }

  /** Replaces the records of this document with one snapshot. */
  async #compact() {
    const tx = this.store.db.transaction(STORE, "readwrite");
    const store = tx.objectStore(STORE);
    const index = store.index(BY_DOC);
    const [keys, rows] = await Promise.all([done(index.getAllKeys(this.docId)), done(index.getAll(this.docId))]);
    // Another tab's records may hold what this one has not seen yet: fold
    // them in before they go.
    for (const row of rows) this.doc.apply(row.bytes);
    const version = this.doc.version();
    store.add({ doc: this.docId, bytes: this.doc.snapshot() });
    for (const key of keys) store.delete(key);
    await committed(tx);
    this.saved = version;
  }

  /** Waits for the writes of every edit made so far; throws the last
   * write error, if any. */
  async flush() {
    await null; // the write of this task's edits is queued in a microtask
    await this.writing;
    if (this.error !== undefined) {
      const e = this.error;
      this.error = undefined;
      throw e;
    }
  }

  stop() {
    this.offLocal();
    this.offChanges();
  }
}
