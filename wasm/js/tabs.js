// Keeps a document in sync with the same document open in other tabs (and
// workers) of one origin, over a BroadcastChannel, with converge's sync
// protocol: fresh updates are broadcast, and a tab that opens late, or was
// asleep, catches up from the others.
import { SyncDriver } from "./driver.js";
import { PresenceBoard } from "./presence.js";

/** How often a tab repeats its presence, and how long others keep it. */
const PRESENCE_REFRESH_MS = 2000;
const PRESENCE_TTL_MS = 6000;

export class TabSync {
  /**
   * @param {import("./converge_wasm.js").Doc} doc
   * @param {{ channel?: string, sync?: import("./converge_wasm.js").SyncOptions }} [options]
   *   `channel` names the document between tabs (default "converge").
   */
  constructor(doc, { channel = "converge", sync = {} } = {}) {
    this.id = doc.replicaId;
    this.channel = new BroadcastChannel(channel);
    this.driver = new SyncDriver(
      doc,
      (m) => this.channel.postMessage({ ...m, from: this.id }),
      { summaryIntervalMs: 500, gossipGraceMs: 100, retransmitMs: 1000, ...sync },
    );
    this.channel.onmessage = (ev) => this.#receive(ev.data);
    this.presence = new PresenceBoard();
    this.myPresence = undefined;
    this.presenceTimer = setInterval(() => this.#presenceTick(), PRESENCE_REFRESH_MS);
    this.onPageHide = () => this.close();
    if (typeof addEventListener === "function") addEventListener("pagehide", this.onPageHide);
    this.channel.postMessage({ kind: "hello", from: this.id });
  }

  /** The other tabs in sync with this one (their replica ids). */
  get peers() {
    return this.driver.peers;
  }

  #receive(m) {
    if (m == null || typeof m.from !== "string" || m.from === this.id) return;
    if (m.to !== undefined && m.to !== this.id) return;
    switch (m.kind) {
      case "hello":
        this.driver.join(m.from);
        if (m.to === undefined) {
          this.channel.postMessage({ kind: "hello", from: this.id, to: m.from });
          if (this.myPresence !== undefined) this.#postPresence();
        }
        break;
      case "bye":
        this.driver.leave(m.from);
        this.presence.remove(m.from);
        break;
      case "presence":
        this.presence.set(m.from, m.state, PRESENCE_TTL_MS);
        break;
      case "gossip":
        this.driver.gossip(m.from, m.bytes);
        break;
      case "send":
        this.driver.direct(m.from, m.bytes);
        break;
    }
  }

  /**
   * Sets what this tab shows the others (a name, a cursor, a colour: any
   * structured-clonable value; `null` hides it). Not stored in the document.
   */
  setPresence(state) {
    this.myPresence = state;
    this.#postPresence();
  }

  /** The other tabs' presence states, by tab id. */
  get others() {
    return this.presence.values;
  }

  /** Calls `callback(others)` whenever another tab's presence changes.
   * Returns a function that ends the subscription. */
  onPresence(callback) {
    return this.presence.onChange(callback);
  }

  #postPresence() {
    if (this.driver.closed) return;
    this.channel.postMessage({ kind: "presence", from: this.id, state: this.myPresence ?? null });
  }

  #presenceTick() {
    if (this.myPresence !== undefined && this.myPresence !== null) this.#postPresence();
    this.presence.expire();
  }

  /** Leaves: the other tabs forget this one. */
  close() {
    if (this.driver.closed) return;
    clearInterval(this.presenceTimer);
    this.driver.close();
    this.channel.postMessage({ kind: "bye", from: this.id });
    this.channel.close();
    if (typeof removeEventListener === "function") removeEventListener("pagehide", this.onPageHide);
  }
}
