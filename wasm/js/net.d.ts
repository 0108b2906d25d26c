import type { Doc, SyncOptions, Version } from "./converge_wasm.js";

/** The protocol of direct sync messages between peers. */
export const SYNC_PROTOCOL: "/converge/sync/2";
/** The gossipsub topic of document `id` (as the native node computes it). */
export function topicOf(id: string): string;
/** Encodes a batch of direct messages as `/converge/sync/2` carries them. */
export function encodeBatch(items: { doc: string; bytes: Uint8Array }[]): Uint8Array;
/** Decodes a batch; throws on anything malformed. */
export function decodeBatch(bytes: Uint8Array): { doc: string; bytes: Uint8Array }[];

/**
 * A peer on converge's libp2p network (js-libp2p: WebSocket, noise, yamux,
 * gossipsub), speaking the protocols of the native `converge node`.
 */
export class Network {
  /** Starts a peer and dials `peers` (`/ip4/…/tcp/…/ws/p2p/…`), redialling
   * them whenever the connection is lost. */
  static start(options?: { peers?: string[] }): Promise<Network>;
  /** This peer's id. */
  readonly peerId: string;
  /** The peers connected now. */
  readonly connected: string[];
  /** Calls `callback()` when peers connect or leave. */
  onChange(callback: () => void): () => void;
  /** Syncs `doc` as document `id` with every peer that serves it. */
  open(doc: Doc, id: string, options?: { sync?: SyncOptions }): NetworkDoc;
  /** Leaves every document and stops the peer. */
  stop(): Promise<void>;
}

/** A document shared on the network. */
export interface NetworkDoc {
  readonly id: string;
  readonly topic: string;
  /** The peers syncing this document. */
  readonly peers: string[];
  /** The version `peer` is known to have. */
  peerVersion(peer: string): Version | undefined;
  /** Shows `value` (JSON-serializable; `null` hides it) to the other peers. */
  setPresence(value: unknown): void;
  /** The other peers' presence values, by peer id. */
  readonly presence: Map<string, unknown>;
  /** Calls `callback(presence)` when another peer's presence changes. */
  onPresence(callback: (presence: Map<string, unknown>) => void): () => void;
  /** Stops syncing this document and hides this peer's presence. */
  close(): Promise<void>;
}
