//! What can go wrong with a store, said so that the reader knows what to do.

use converge_core::DocError;

use crate::doc_id::DocId;

/// An error of a store. Every variant names the store's location (its
/// file, or `memory`) and, where it applies, the document.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Another process (or another `Store` in this one) has the file open.
    #[error("store {location} is in use by another process: close the other program using it, or open another file")]
    InUse {
        /// The store's file.
        location: String,
    },
    /// The store was written by a newer version of converge.
    #[error("store {location} has format version {found}; this build reads up to {supported}: upgrade converge to open it")]
    NewerFormat {
        /// The store's file.
        location: String,
        /// The version the file carries.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// The file is not a store, or is damaged beyond what the database
    /// repairs by itself.
    #[error("store {location} is damaged ({detail}): restore it from a backup, or move it aside and let peers sync the documents back")]
    Damaged {
        /// The store's file.
        location: String,
        /// What is wrong.
        detail: String,
    },
    /// A document's saved data does not decode or validate. The other
    /// documents of the store are still readable.
    #[error("document {doc:?} in store {location} is damaged ({part}: {detail}): remove it with `Store::remove` and let peers sync it back")]
    DamagedDoc {
        /// The store's file.
        location: String,
        /// The document.
        doc: DocId,
        /// Which part: `metadata`, `snapshot`, `log entry N`.
        part: String,
        /// What the decoder said.
        detail: String,
    },
    /// Reading or writing the file failed (disk full, permissions, I/O).
    #[error("store {location}: {detail}")]
    Io {
        /// The store's file.
        location: String,
        /// What the database reported.
        detail: String,
    },
    /// No document with this id in the store.
    #[error("no document {doc:?} in store {location}: create it first")]
    UnknownDoc {
        /// The store.
        location: String,
        /// The document.
        doc: DocId,
    },
    /// A document with this id already exists.
    #[error("document {doc:?} already exists in store {location}")]
    DocExists {
        /// The store.
        location: String,
        /// The document.
        doc: DocId,
    },
    /// A document id that is empty, too long, or not printable.
    #[error("invalid document id {id:?}: {reason}")]
    InvalidDocId {
        /// The id given.
        id: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The document refused the operation (a remote delta that does not
    /// validate, say). Nothing was written.
    #[error(transparent)]
    Doc(#[from] DocError),
}
