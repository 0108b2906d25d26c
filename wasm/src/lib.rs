//! # converge-wasm
//!
//! converge for JavaScript: wasm-bindgen classes over `converge-core`
//! (the document and its containers) and `converge-sync` (the sync
//! protocol, for tabs and peers). Newtypes and conversions only: every
//! CRDT rule lives in the core. Errors become JavaScript `Error`s in one
//! place (`js.rs`).
//!
//! Built into an npm package by `wasm/build.sh`; the JavaScript API is
//! documented in `wasm/README.md` and `wasm/pkg/index.d.ts`.

mod containers;
mod doc;
mod js;
mod sync;

pub use containers::{Cursor, DocCounter, DocList, DocMap, DocMultiValue, DocSet, DocText};
pub use doc::Doc;
pub use sync::SyncPeer;

use wasm_bindgen::prelude::*;

/// The module's allocator: talc instead of std's dlmalloc (smaller and no
/// slower; see wasm/README.md for what it changed).
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** A plain value: what registers, list items and set members hold. Integers
 * beyond Number.MAX_SAFE_INTEGER come back as bigints. */
export type Value = null | boolean | number | bigint | string | Uint8Array;
/** Plain data, as `toJSON()` returns it. */
export type Plain = Value | Plain[] | { [key: string]: Plain };
/** What a replica has seen: replica id (16 hexadecimal digits) → counter. */
export type Version = Record<string, number>;
/** Which neighbour a cursor holds on to. */
export type Side = "left" | "right";
/** The kinds of containers. */
export type ContainerType =
  | "map" | "set" | "removeWinsSet" | "counter" | "multiValue" | "register" | "list" | "text";
/** Where a change happened: map keys and list indices from the root. */
export type Path = (string | number)[];
/** One step of a text change, applied in order from the start (as Quill
 * and Yjs deltas): positions count UTF-16 code units. */
export type TextStep = { retain: number } | { insert: string } | { delete: number };
/** One step of a list change; an inserted nested container shows as
 * `{ type }` (read it through the list). */
export type ListStep =
  | { retain: number }
  | { insert: (Value | { type: ContainerType })[] }
  | { delete: number };
/** One change of a document event. */
export type Change =
  | { path: Path; kind: "inserted" | "removed"; type: ContainerType }
  | { path: Path; kind: "replaced"; from: ContainerType; to: ContainerType }
  | { path: Path; kind: "counter"; old: number; new: number }
  | { path: Path; kind: "register"; old: Value[]; new: Value[] }
  | { path: Path; kind: "setInserted" | "setRemoved"; value: Value }
  | { path: Path; kind: "text"; steps: TextStep[] }
  | { path: Path; kind: "list"; steps: ListStep[] };
/** What `Doc.subscribe` callbacks receive after each change. */
export interface DocEvent {
  origin: "local" | "remote";
  changes: Change[];
}
/** What `Doc.apply` did with an update. */
export type ApplyOutcome = "applied" | "pending" | "duplicate";
/** Options of a `SyncPeer` (milliseconds; docs/sync-protocol.md). */
export interface SyncOptions {
  summaryIntervalMs?: number;
  retransmitMs?: number;
  gossipGraceMs?: number;
  publishBatchMs?: number;
  maxMessageBytes?: number;
}
/** A message to send, or a peer to stop listening to. */
export type SyncEffect =
  | { type: "gossip"; bytes: Uint8Array }
  | { type: "send"; to: string; bytes: Uint8Array }
  | { type: "cutOff"; peer: string; reason: string };
/** A map entry or list item: a value, a nested container, or the values
 * of a multi-value register. */
export type Item = Value | Value[] | DocMap | DocList | DocText | DocCounter | DocSet;
"#;
