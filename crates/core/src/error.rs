//! Errors of the core: each says what was wrong with the input.

use crate::encoding::BlobKind;
use crate::id::ReplicaId;

/// Why bytes could not be decoded. Decoding never panics and never changes
/// any state: a rejected blob leaves everything as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input is shorter than its header or its declared length.
    #[error("truncated input: shorter than the header or the declared payload length")]
    Truncated,
    /// The input does not start with the magic bytes `CNVG`.
    #[error("not a converge blob: the magic bytes `CNVG` are missing")]
    BadMagic,
    /// The format version is not one this build reads.
    #[error("unsupported format version {0}: this build reads version 1; upgrade converge")]
    UnsupportedVersion(u8),
    /// The header names an unknown blob kind.
    #[error("unknown blob kind {0}")]
    UnknownKind(u8),
    /// The blob holds another kind than the one asked for.
    #[error("expected a {expected:?} blob, found a {found:?} blob")]
    WrongKind {
        /// The kind the caller asked for.
        expected: BlobKind,
        /// The kind in the header.
        found: BlobKind,
    },
    /// Bytes follow the declared payload.
    #[error("trailing bytes after the payload")]
    TrailingBytes,
    /// The payload does not match its checksum (corrupted in storage or transit).
    #[error("checksum mismatch: the blob was corrupted in storage or transit")]
    ChecksumMismatch,
    /// The payload is not valid postcard for this kind.
    #[error("malformed payload")]
    Malformed,
    /// The payload decoded but breaks an invariant of the format.
    #[error("invalid payload: {0}")]
    Invalid(&'static str),
}

/// Why a document refused an operation or an input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocError {
    /// The bytes could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A remote delta claims mutations of this document's own replica that
    /// this replica never made (two replicas share one id, or the peer lies).
    #[error("the input claims mutations of this replica ({0}) that it never made: replica ids must be unique")]
    ForeignDotsOfOwnReplica(ReplicaId),
    /// Too many deltas wait for their causal dependencies.
    #[error("the buffer of deltas waiting for their dependencies is full ({0} deltas); sync the missing history first")]
    PendingFull(usize),
    /// The path nests maps deeper than the limit.
    #[error("maps nest deeper than {0} levels")]
    TooDeep(usize),
    /// A text or list position is past the end.
    #[error("position {pos} is out of bounds: the sequence has {len} items")]
    OutOfBounds {
        /// The position asked for.
        pos: usize,
        /// The length in the unit asked for.
        len: usize,
    },
    /// A UTF-16 or UTF-8 position falls inside a character.
    #[error("position {0} is inside a character; use a character boundary")]
    NotCharBoundary(usize),
    /// A delta was made for a version this replica has not reached.
    #[error("the delta needs edits this replica has not seen; ask for the changes since this replica's version")]
    MissingHistory,
    /// A sequence would exceed its size limit (2^31 items, or 2^32 edits by one replica).
    #[error("the sequence would exceed its size limit")]
    TooLarge,
    /// A list item does not hold a container of this kind (it holds a
    /// plain value or another kind of container, or it was deleted).
    #[error("the list item does not hold a {0:?}; read its kind with `ListRef::item`")]
    NotAContainer(crate::Kind),
}
