//! The wire format: an envelope, then a postcard payload (`docs/encoding.md`).

pub(crate) mod bounded;
pub(crate) mod columns;
mod crc;
pub(crate) mod doc;
mod envelope;
pub(crate) mod seq;
pub(crate) mod types;

pub(crate) use bounded::bytes;
pub use envelope::{open, peek_kind, seal, BlobKind, FORMAT_VERSION, HEADER_LEN, MAGIC};
