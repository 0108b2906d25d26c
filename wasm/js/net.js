// A browser (or Node.js) peer on converge's libp2p network: js-libp2p with
// the WebSocket transport, noise and yamux, speaking the protocols of the
// native `converge node` (crates/net): a gossipsub topic per document for
// fresh updates, summaries and presence, and `/converge/sync/2` streams
// for direct sync messages. The sync protocol itself is converge-sync's,
// run by a SyncDriver, as between tabs.
//
// Built by wasm/build.sh into pkg/net.js (esbuild, one file, no bundler
// needed by the user): `import { Network } from "converge/net"`.
import { createLibp2p } from "libp2p";
import { webSockets } from "@libp2p/websockets";
import { all as allAddresses } from "@libp2p/websockets/filters";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { gossipsub } from "@chainsafe/libp2p-gossipsub";
import { identify } from "@libp2p/identify";
import { multiaddr } from "@multiformats/multiaddr";
import { sha256 } from "@noble/hashes/sha256";
import { SyncDriver } from "./driver.js";
import { PresenceBoard } from "./presence.js";

/** The protocol of direct sync messages (batches; crates/net/src/codec.rs). */
export const SYNC_PROTOCOL = "/converge/sync/2";
/** The largest sync message, as the native node's default. */
const MAX_MESSAGE_BYTES = 64 * 1024;
/** The largest batch of direct messages accepted in one stream. */
const MAX_BATCH_BYTES = Math.max(MAX_MESSAGE_BYTES + 512, 256 << 10);
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const PRESENCE_MAGIC = encoder.encode("CNVP");
/** How long others keep this peer's presence without news. */
const PRESENCE_TTL_MS = 15000;

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** The gossipsub topic of document `id` (as `converge_net::topic_of`). */
export function topicOf(id) {
  return "c1-" + hex(sha256(encoder.encode(`/converge/doc/1/${id}`)).subarray(0, 12));
}

/** Gossipsub message ids as the native node computes them: 16 bytes of
 * SHA-256 over the author's peer id, the sequence number (little-endian)
 * and the data. */
function messageId(msg) {
  if (msg.type !== "signed") return sha256(msg.data).subarray(0, 16);
  const from = msg.from.toMultihash().bytes;
  const seq = new Uint8Array(8);
  new DataView(seq.buffer).setBigUint64(0, BigInt(msg.sequenceNumber), true);
  const h = sha256.create();
  h.update(from);
  h.update(seq);
  h.update(msg.data);
  return h.digest().subarray(0, 16);
}

/** Encodes a batch of direct messages: u8 id length, id, u32 LE length,
 * message; repeated. */
export function encodeBatch(items) {
  const parts = items.map(({ doc, bytes }) => [encoder.encode(doc), bytes]);
  const size = parts.reduce((n, [id, b]) => n + 1 + id.length + 4 + b.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const [id, b] of parts) {
    if (id.length > 255) throw new Error("a document id is at most 255 bytes");
    out[at++] = id.length;
    out.set(id, at);
    at += id.length;
    view.setUint32(at, b.length, true);
    at += 4;
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** Decodes a batch; throws on anything malformed. */
export function decodeBatch(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const items = [];
  let at = 0;
  while (at < bytes.length) {
    const n = bytes[at++];
    if (at + n + 4 > bytes.length) throw new Error("truncated document id or length");
    const doc = decoder.decode(bytes.subarray(at, at + n));
    at += n;
    const len = view.getUint32(at, true);
    at += 4;
    if (len > MAX_MESSAGE_BYTES) throw new Error("a message over the size limit");
    if (at + len > bytes.length) throw new Error("truncated message");
    items.push({ doc, bytes: bytes.slice(at, at + len) });
    at += len;
  }
  if (items.length === 0) throw new Error("empty request");
  return items;
}

/** Reads a whole stream (at most `max` bytes after the 4-byte length). */
async function readFramed(stream, max) {
  const chunks = [];
  let size = 0;
  for await (const chunk of stream.source) {
    const bytes = chunk.subarray();
    size += bytes.length;
    if (size > max + 4) throw new Error("a message over the size limit");
    chunks.push(bytes);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  if (size < 4) throw new Error("truncated frame");
  const len = new DataView(all.buffer).getUint32(0, true);
  if (len !== size - 4) throw new Error("frame length mismatch");
  return all.subarray(4);
}

function framed(bytes) {
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length, true);
  out.set(bytes, 4);
  return out;
}

function presenceMessage(seq, value) {
  const out = new Uint8Array(17 + value.length);
  out.set(PRESENCE_MAGIC, 0);
  out[4] = 1;
  const view = new DataView(out.buffer);
  view.setBigUint64(5, BigInt(seq), true);
  view.setUint32(13, PRESENCE_TTL_MS, true);
  out.set(value, 17);
  return out;
}

/** Whether `data` is a presence message (any layout: sync messages start
 * with `CNVG`, so the magic alone tells them apart, as on native nodes). */
function isPresence(data) {
  return data.length >= 4 && PRESENCE_MAGIC.every((b, i) => data[i] === b);
}

/**
 * A peer on converge's libp2p network. `Network.start({ peers })` dials
 * the given native nodes (`/ip4/…/tcp/…/ws/p2p/…`) and keeps redialling
 * them; `open(doc, id)` syncs a document with every peer that serves it.
 */
export class Network {
  constructor(node, peers) {
    this.node = node;
    this.bootstrap = peers;
    /** @type {Map<string, NetworkDoc>} */
    this.docs = new Map();
    this.queues = new Map();
    this.stopped = false;
    this.listeners = new Set();
    const pubsub = node.services.pubsub;
    pubsub.addEventListener("message", (ev) => this.#gossip(ev.detail));
    pubsub.addEventListener("subscription-change", (ev) => this.#subscriptions(ev.detail));
    node.addEventListener("peer:disconnect", (ev) => {
      const peer = ev.detail.toString();
      for (const d of this.docs.values()) d.gone(peer);
      this.#changed();
    });
    node.addEventListener("peer:connect", () => this.#changed());
    this.redial = setInterval(() => this.#dialAll(), 2000);
  }

  /**
   * Starts a peer and dials `peers` (multiaddrs of native nodes' WebSocket
   * listeners, with `/p2p/<peer id>`).
   * @param {{ peers?: string[] }} [options]
   */
  static async start({ peers = [] } = {}) {
    const node = await createLibp2p({
      transports: [webSockets({ filter: allAddresses })],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      // Native nodes on this machine or the LAN are the point: dial them.
      connectionGater: { denyDialMultiaddr: async () => false },
      services: {
        identify: identify({ protocolPrefix: "ipfs" }),
        pubsub: gossipsub({
          allowPublishToZeroTopicPeers: true,
          msgIdFn: messageId,
          fallbackToFloodsub: false,
          emitSelf: false,
          heartbeatInterval: 700,
          // Lost messages are repaired by converge's summaries, as on the
          // native nodes (gossip_lazy 0).
          Dlazy: 0,
          gossipFactor: 0,
          maxInboundDataLength: MAX_MESSAGE_BYTES + 1024,
        }),
      },
    });
    const net = new Network(node, peers.map((p) => multiaddr(p)));
    await node.handle(SYNC_PROTOCOL, (data) => net.#direct(data), { maxInboundStreams: 256, maxOutboundStreams: 256 });
    await net.#dialAll();
    return net;
  }

  /** This peer's id. */
  get peerId() {
    return this.node.peerId.toString();
  }

  /** The peers connected now. */
  get connected() {
    return this.node.getPeers().map((p) => p.toString());
  }

  /** Calls `callback()` when peers connect or leave. */
  onChange(callback) {
    this.listeners.add(callback);
    return () => this.listeners.delete(callback);
  }

  #changed() {
    for (const f of this.listeners) f();
  }

  async #dialAll() {
    if (this.stopped) return;
    const connected = new Set(this.connected);
    await Promise.all(
      this.bootstrap.map(async (addr) => {
        const id = addr.getPeerId();
        if (id !== null && connected.has(id)) return;
        try {
          await this.node.dial(addr, { signal: AbortSignal.timeout(5000) });
        } catch {
          // Retried on the next round: the node may be starting or away.
        }
      }),
    );
  }

  /**
   * Syncs `doc` as document `id` with every peer that serves it, and
   * carries presence. Returns the document's handle on the network.
   */
  open(doc, id, options = {}) {
    if (this.docs.has(id)) throw new Error(`document ${id} is already open on this network`);
    const d = new NetworkDoc(this, doc, id, options);
    this.docs.set(id, d);
    this.node.services.pubsub.subscribe(d.topic);
    // Peers already subscribed are greeted now; later ones when their
    // subscription arrives.
    for (const peer of this.node.services.pubsub.getSubscribers(d.topic)) d.driver.join(peer.toString());
    return d;
  }

  #gossip(msg) {
    const d = [...this.docs.values()].find((x) => x.topic === msg.topic);
    if (d === undefined || msg.type !== "signed") return;
    const from = msg.from.toString();
    if (isPresence(msg.data)) d.presenceFrom(from, msg.data);
    else d.driver.gossip(from, msg.data);
  }

  #subscriptions({ peerId, subscriptions }) {
    const peer = peerId.toString();
    for (const { topic, subscribe } of subscriptions) {
      const d = [...this.docs.values()].find((x) => x.topic === topic);
      if (d === undefined) continue;
      if (subscribe) d.driver.join(peer);
      else d.gone(peer);
    }
  }

  async #direct({ stream, connection }) {
    const from = connection.remotePeer.toString();
    try {
      const batch = decodeBatch(await readFramed(stream, MAX_BATCH_BYTES));
      await stream.sink([framed(new Uint8Array(0))]);
      for (const { doc, bytes } of batch) this.docs.get(doc)?.driver.direct(from, bytes);
    } catch (e) {
      stream.abort(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** Queues a direct message to `peer`; a microtask later the queue
   * leaves as one batch on one stream. */
  send(peer, doc, bytes) {
    let q = this.queues.get(peer);
    if (q === undefined) {
      q = [];
      this.queues.set(peer, q);
      queueMicrotask(() => this.#flush(peer));
    }
    q.push({ doc, bytes });
  }

  async #flush(peer) {
    const items = this.queues.get(peer) ?? [];
    this.queues.delete(peer);
    const target = this.node.getPeers().find((p) => p.toString() === peer);
    if (target === undefined || items.length === 0) return;
    // A node refuses a request over its batch limit: a window of catch-up
    // chunks (about five of 64 KiB) goes as several requests.
    const batches = [[]];
    let size = 0;
    for (const item of items) {
      const framedLen = 1 + encoder.encode(item.doc).length + 4 + item.bytes.length;
      if (size + framedLen > MAX_BATCH_BYTES && batches.at(-1).length > 0) {
        batches.push([]);
        size = 0;
      }
      batches.at(-1).push(item);
      size += framedLen;
    }
    await Promise.all(
      batches.map(async (batch) => {
        try {
          const stream = await this.node.dialProtocol(target, SYNC_PROTOCOL, { signal: AbortSignal.timeout(10000) });
          await stream.sink([framed(encodeBatch(batch))]);
          await readFramed(stream, 0);
        } catch {
          // The sync protocol resends what is not acknowledged.
        }
      }),
    );
  }

  /** Leaves every document and stops the peer. */
  async stop() {
    this.stopped = true;
    clearInterval(this.redial);
    const byes = [...this.docs.values()].map((d) => d.close());
    // Goodbyes (presence cleared) leave before the connections close.
    await Promise.race([Promise.all(byes), new Promise((r) => setTimeout(r, 3000))]);
    await this.node.stop();
  }
}

/** A document shared on the network: its sync driver and presence. */
class NetworkDoc {
  constructor(net, doc, id, options) {
    this.net = net;
    this.doc = doc;
    this.id = id;
    this.topic = topicOf(id);
    this.driver = new SyncDriver(
      doc,
      (m) => {
        if (m.kind === "gossip") this.#publish(m.bytes);
        else this.net.send(m.to, id, m.bytes);
      },
      options.sync ?? {},
    );
    this.others = new PresenceBoard();
    this.seq = 0n;
    this.mine = undefined;
    this.timer = setInterval(() => this.#presenceTick(), PRESENCE_TTL_MS / 3);
  }

  #publish(bytes) {
    return this.net.node.services.pubsub.publish(this.topic, bytes).catch(() => {
      // No peer yet, or a duplicate: summaries repair what did not go.
    });
  }

  /** The peers syncing this document. */
  get peers() {
    return this.driver.peers;
  }

  /** The version `peer` is known to have, or `undefined`. */
  peerVersion(peer) {
    return this.driver.peer.peerVersion(peer);
  }

  /**
   * Shows `value` (JSON-serializable; `null` hides it) to the other peers
   * of this document, native ones included (as UTF-8 JSON bytes).
   */
  setPresence(value) {
    this.mine = value;
    this.#announce();
  }

  #announce() {
    const bytes = this.mine === null || this.mine === undefined ? new Uint8Array(0) : encoder.encode(JSON.stringify(this.mine));
    this.seq += 1n;
    return this.#publish(presenceMessage(this.seq, bytes));
  }

  /** The other peers' presence values, by peer id. */
  get presence() {
    return this.others.values;
  }

  /** Calls `callback(presence)` when another peer's presence changes. */
  onPresence(callback) {
    return this.others.onChange(callback);
  }

  presenceFrom(peer, data) {
    // A layout this version does not know (or a short message): ignored.
    if (data.length < 17 || data[4] !== 1) return;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const seq = view.getBigUint64(5, true);
    const ttl = view.getUint32(13, true);
    const body = data.subarray(17);
    let value = null; // empty: the peer cleared its presence
    if (body.length > 0) {
      try {
        value = JSON.parse(decoder.decode(body));
      } catch {
        value = body.slice();
      }
    }
    this.others.set(peer, value, ttl, seq);
  }

  gone(peer) {
    this.driver.leave(peer);
    this.others.remove(peer);
  }

  #presenceTick() {
    if (this.mine !== undefined && this.mine !== null) this.#announce();
    this.others.expire();
  }

  /** Stops syncing this document and hides this peer's presence;
   * resolves when the goodbye has been handed to the network. */
  close() {
    if (this.driver.closed) return Promise.resolve();
    let bye = Promise.resolve();
    if (this.mine !== undefined && this.mine !== null) {
      this.mine = null;
      bye = this.#announce();
    }
    clearInterval(this.timer);
    this.driver.close();
    this.net.docs.delete(this.id);
    return bye.then(() => {
      // Reopened meanwhile: the topic is the new document's.
      if (!this.net.docs.has(this.id)) this.net.node.services.pubsub.unsubscribe(this.topic);
    });
  }
}
