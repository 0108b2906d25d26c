//! # converge-store
//!
//! Durable local storage for converge documents: many documents per store,
//! each kept as its latest snapshot plus a log of the deltas since, on a
//! [redb](https://docs.rs/redb) file by default.
//!
//! - **Commit before publish.** A local transaction is on disk before its
//!   delta is offered to the network ([`Store::take_outbox`]), so a replica
//!   never reuses a dot after a crash. [`CommitMode::Batched`] shares one
//!   fsync between the transactions of a short window.
//! - **Compaction.** When a log outgrows a share of its snapshot, a new
//!   snapshot replaces snapshot and log in one atomic transaction.
//! - **Lazy loading.** Opening a store reads nothing but its format
//!   version; a document is read on first use and can be evicted.
//! - **Checked input.** Everything read back goes through the decoders
//!   that check network input; a damaged store or document gives an error
//!   that says what to do.
//!
//! The [`Backend`] trait is the seam under it all: [`RedbBackend`] and
//! [`MemoryBackend`] implement it, and so could SQLite or a key-value
//! service. See `docs/storage.md` for the layout and the recovery
//! procedure.

#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod backend;
mod doc_id;
mod error;
mod memory;
mod meta;
mod redb_backend;
mod store;

pub use backend::{Backend, DocRecord, Op};
pub use doc_id::{DocId, MAX_DOC_ID_LEN};
pub use error::StoreError;
pub use memory::MemoryBackend;
pub use meta::DocMeta;
pub use redb_backend::RedbBackend;
pub use store::{CommitMode, DocInfo, Store, StoreOptions, FORMAT_VERSION};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
