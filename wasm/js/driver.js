// Runs a SyncPeer over a message transport: the part every transport
// shares (effects out, timers, the publish batch). A transport gives
// `post(message)`, where message is `{ kind: "gossip", bytes }` for every
// peer or `{ kind: "send", to, bytes }` for one, and calls `gossip(from,
// bytes)` / `direct(from, bytes)` / `join(peer)` / `leave(peer)` as
// messages and peers come and go.
import { SyncPeer } from "./converge_wasm.js";

/** How long a peer that misbehaved is not listened to. */
const BAN_MS = 60_000;

export class SyncDriver {
  /**
   * @param {import("./converge_wasm.js").Doc} doc
   * @param {(message: object) => void} post
   * @param {import("./converge_wasm.js").SyncOptions} [options]
   */
  constructor(doc, post, options = {}) {
    this.doc = doc;
    this.post = post;
    this.peer = new SyncPeer(doc, options);
    this.flushTimer = null;
    this.closed = false;
    /** Peers cut off for misbehaving, until when. */
    this.banned = new Map();
    this.unsubscribe = doc.subscribeLocalUpdates((u) => this.run(this.peer.publish(u, Date.now())));
    this.tickTimer = setInterval(() => this.run(this.peer.tick(Date.now())), 100);
  }

  /** The peers with a session. */
  get peers() {
    return this.peer.peers;
  }

  /** Whether `peer` is cut off now. */
  isBanned(peer) {
    const until = this.banned.get(peer);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.banned.delete(peer);
    return false;
  }

  join(peer) {
    if (!this.closed && !this.isBanned(peer)) this.run(this.peer.addPeer(peer, Date.now()));
  }

  leave(peer) {
    if (!this.closed) this.peer.removePeer(peer);
  }

  gossip(from, bytes) {
    if (this.closed || this.isBanned(from)) return;
    if (!this.peer.peers.includes(from)) this.join(from);
    this.run(this.peer.receiveGossip(from, bytes, Date.now()));
  }

  direct(from, bytes) {
    if (this.closed || this.isBanned(from)) return;
    if (!this.peer.peers.includes(from)) this.join(from);
    this.run(this.peer.receive(from, bytes, Date.now()));
  }

  /** Sends what the protocol asked for and arms the publish batch timer. */
  run(effects) {
    if (this.closed) return;
    for (const e of effects) {
      if (e.type === "gossip") this.post({ kind: "gossip", bytes: e.bytes });
      else if (e.type === "send") this.post({ kind: "send", to: e.to, bytes: e.bytes });
      else if (e.type === "cutOff") {
        // Not listened to for a while (a fresh session would let it
        // straight back in).
        console.warn(`converge: stopped syncing with ${e.peer} for ${BAN_MS / 1000} s: ${e.reason}`);
        this.banned.set(e.peer, Date.now() + BAN_MS);
        this.peer.removePeer(e.peer);
      }
    }
    const deadline = this.peer.publishDeadline;
    if (deadline !== undefined && this.flushTimer === null) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        this.run(this.peer.flush(Date.now()));
      }, Math.max(0, deadline - Date.now()));
    }
  }

  /** Sends what waits and stops. */
  close() {
    if (this.closed) return;
    this.run(this.peer.flush(Date.now()));
    this.closed = true;
    this.unsubscribe();
    clearInterval(this.tickTimer);
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.peer.free();
  }
}
