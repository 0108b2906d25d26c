import type { Doc, SyncOptions, SyncPeer } from "./converge_wasm.js";

/** A message a transport carries between two `SyncDriver`s. */
export type TransportMessage =
  | { kind: "gossip"; bytes: Uint8Array }
  | { kind: "send"; to: string; bytes: Uint8Array };

/**
 * Runs a `SyncPeer` over any message transport: it publishes local edits,
 * runs the protocol's timers and hands `post` the messages to carry. The
 * transport calls `join`/`leave` as peers come and go and `gossip`/`direct`
 * with what they send.
 */
export class SyncDriver {
  constructor(doc: Doc, post: (message: TransportMessage) => void, options?: SyncOptions);
  readonly doc: Doc;
  readonly peer: SyncPeer;
  readonly closed: boolean;
  /** The peers with a session. */
  readonly peers: string[];
  /** Whether `peer` is cut off now (it misbehaved; ignored for a minute). */
  isBanned(peer: string): boolean;
  join(peer: string): void;
  leave(peer: string): void;
  gossip(from: string, bytes: Uint8Array): void;
  direct(from: string, bytes: Uint8Array): void;
  /** Sends what waits and stops. */
  close(): void;
}
