// What other peers show (a name, a caret): last value per peer, dropped
// when the peer says goodbye or is not heard from within its time-to-live.
// Shared by TabSync and the network; never stored in the document.
export class PresenceBoard {
  constructor() {
    /** @type {Map<string, { value: unknown, until: number, seq: bigint }>} */
    this.entries = new Map();
    this.listeners = new Set();
  }

  /** The values by peer id. */
  get values() {
    return new Map([...this.entries].map(([peer, e]) => [peer, e.value]));
  }

  /** Sets `peer`'s value for `ttlMs`, unless `seq` is older than what is
   * known (`null` or `undefined` removes it). */
  set(peer, value, ttlMs, seq = 0n) {
    const old = this.entries.get(peer);
    if (old !== undefined && seq !== 0n && old.seq >= seq) return;
    if (value === null || value === undefined) return this.remove(peer);
    this.entries.set(peer, { value, until: Date.now() + ttlMs, seq });
    this.#changed();
  }

  remove(peer) {
    if (this.entries.delete(peer)) this.#changed();
  }

  /** Drops the peers whose time-to-live has passed. */
  expire() {
    const now = Date.now();
    let changed = false;
    for (const [peer, e] of this.entries) {
      if (e.until < now) changed = this.entries.delete(peer) || changed;
    }
    if (changed) this.#changed();
  }

  /** Calls `callback(values)` on every change; returns the unsubscriber. */
  onChange(callback) {
    this.listeners.add(callback);
    return () => this.listeners.delete(callback);
  }

  #changed() {
    const values = this.values;
    for (const f of this.listeners) f(values);
  }
}
