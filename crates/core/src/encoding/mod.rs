//! The wire format: an envelope, then a postcard payload (`docs/encoding.md`).
//!
//! Every number decoded here comes from untrusted input: arithmetic on it
//! is checked (`clippy::arithmetic_side_effects` is denied in this module;
//! the encoders, which see only in-memory state, opt out one by one).
#![deny(clippy::arithmetic_side_effects)]

pub(crate) mod bounded;
pub(crate) mod columns;
mod compact;
mod crc;
pub(crate) mod doc;
mod envelope;
mod lazy;
pub(crate) mod packed;
pub(crate) mod read;
mod rle;
pub(crate) mod seq;
pub(crate) mod types;

pub(crate) use bounded::bytes;
pub(crate) use envelope::open_any;
pub use envelope::{open, peek_kind, seal, seal_as, BlobKind, FORMAT_VERSION, HEADER_LEN, MAGIC};
