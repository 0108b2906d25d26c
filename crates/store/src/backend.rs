//! The storage seam: the few operations a store needs from a database.
//!
//! [`RedbBackend`](crate::RedbBackend) is the default and
//! [`MemoryBackend`](crate::MemoryBackend) serves tests; an app could put a
//! store on SQLite or a key-value service by implementing [`Backend`],
//! without touching core or sync. Records are opaque bytes: the store
//! encodes and validates them (every blob read back goes through the same
//! decoders as network input), the backend only keeps them.

use crate::doc_id::DocId;
use crate::error::StoreError;

/// Everything stored for one document, read in one consistent view.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocRecord {
    /// The encoded [`DocMeta`](crate::DocMeta).
    pub meta: Vec<u8>,
    /// The latest snapshot, if one was written.
    pub snapshot: Option<Vec<u8>>,
    /// The log since that snapshot: (sequence number, delta), ascending.
    pub log: Vec<(u64, Vec<u8>)>,
}

/// One change of a [`Backend::write`] batch.
#[derive(Clone, Copy, Debug)]
pub enum Op<'a> {
    /// Sets a document's metadata record (creating the document).
    PutMeta {
        /// The document.
        doc: &'a DocId,
        /// The encoded metadata.
        meta: &'a [u8],
    },
    /// Adds a delta to a document's log under a new sequence number.
    Append {
        /// The document.
        doc: &'a DocId,
        /// Its sequence number (greater than every earlier one).
        seq: u64,
        /// The encoded delta.
        delta: &'a [u8],
    },
    /// Replaces a document's snapshot.
    PutSnapshot {
        /// The document.
        doc: &'a DocId,
        /// The encoded snapshot.
        snapshot: &'a [u8],
    },
    /// Deletes a document's log entries numbered `through` and below.
    TrimLog {
        /// The document.
        doc: &'a DocId,
        /// The last sequence number deleted.
        through: u64,
    },
    /// Deletes a document: metadata, snapshot and log.
    Remove {
        /// The document.
        doc: &'a DocId,
    },
}

/// A database under a store.
///
/// The contract:
/// - [`Backend::write`] applies its batch atomically: after a crash a
///   reader sees all of it or none of it, and readers never see part of it.
/// - With `durable` set, the batch (and every batch before it) is on disk
///   when `write` returns. Without it, the batch may be lost in a crash
///   until a later durable write or [`Backend::sync`], but never out of
///   order: a batch survives only if every earlier batch does.
/// - Reads see every batch written before, durable or not.
pub trait Backend: Send {
    /// Where the store lives, for messages: a file path, or `memory`.
    fn location(&self) -> &str;

    /// The format version the store carries (`None`: a new, empty store).
    fn format(&self) -> Result<Option<u32>, StoreError>;

    /// Records the format version (durably).
    fn set_format(&mut self, version: u32) -> Result<(), StoreError>;

    /// Every document's id and metadata record, without reading any
    /// snapshot or log.
    fn list(&self) -> Result<Vec<(DocId, Vec<u8>)>, StoreError>;

    /// Everything stored for `doc`, in one consistent view; `None` when
    /// there is no such document.
    fn read(&self, doc: &DocId) -> Result<Option<DocRecord>, StoreError>;

    /// Applies `ops` atomically, durably when `durable` is set.
    fn write(&mut self, ops: &[Op<'_>], durable: bool) -> Result<(), StoreError>;

    /// Makes every earlier write durable.
    fn sync(&mut self) -> Result<(), StoreError>;

    /// Bytes the store occupies on disk, if it has a file.
    fn disk_bytes(&self) -> Option<u64> {
        None
    }

    /// Gives space freed by earlier writes back to the file system (may
    /// be slow: the store calls it once enough was freed). Returns whether
    /// anything was done.
    fn reclaim(&mut self) -> Result<bool, StoreError> {
        Ok(false)
    }
}
