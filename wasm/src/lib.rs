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

pub use containers::{Cursor, DocCounter, DocList, DocMap, DocMultiValue, DocSet, DocText};
pub use doc::Doc;
