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
    #[error(
        "unsupported format version {0}: this build reads versions 1 to {newest}; upgrade converge",
        newest = crate::encoding::FORMAT_VERSION
    )]
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
    Invalid(Invalid),
}

/// Which invariant of the format a decoded payload breaks
/// ([`DecodeError::Invalid`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Invalid {
    /// Empty or out-of-range deleted run.
    #[error("empty or out-of-range deleted run")]
    BadDeletedRun,
    /// Chunk outside its transfer.
    #[error("chunk outside its transfer")]
    ChunkOutsideTransfer,
    /// Context range overflows.
    #[error("context range overflows")]
    ContextRangeOverflow,
    /// Context ranges not canonical.
    #[error("context ranges not canonical")]
    ContextRangesNotCanonical,
    /// Context replicas unsorted or empty.
    #[error("context replicas unsorted or empty")]
    ContextReplicasUnsorted,
    /// Counter totals not canonical.
    #[error("counter totals not canonical")]
    CounterTotalsNotCanonical,
    /// Deleted runs in a snapshot.
    #[error("deleted runs in a snapshot")]
    DeletedRunsInSnapshot,
    /// Deleted runs in a whole text.
    #[error("deleted runs in a whole text")]
    DeletedRunsInWholeText,
    /// A delta's new dots must follow its dependencies.
    #[error("a delta's new dots must follow its dependencies")]
    DeltaGap,
    /// Dot columns disagree.
    #[error("dot columns disagree")]
    DotColumnsDisagree,
    /// Dot count column does not match the entries.
    #[error("dot count column does not match the entries")]
    DotCountMismatch,
    /// Dot counter 0.
    #[error("dot counter 0")]
    DotCounterZero,
    /// A live dot is missing from the context.
    #[error("a live dot is missing from the context")]
    DotOutsideContext,
    /// Dot set not strictly sorted.
    #[error("dot set not strictly sorted")]
    DotSetUnsorted,
    /// Dots unsorted.
    #[error("dots unsorted")]
    DotsUnsorted,
    /// Duplicate key in a map or list.
    #[error("duplicate key in a map or list")]
    DuplicateKey,
    /// Empty container in a snapshot.
    #[error("empty container in a snapshot")]
    EmptyContainerInSnapshot,
    /// Empty dot set in a state.
    #[error("empty dot set in a state")]
    EmptyDotSet,
    /// Empty sequence run.
    #[error("empty sequence run")]
    EmptySeqRun,
    /// Empty set entry in a state.
    #[error("empty set entry in a state")]
    EmptySetEntry,
    /// Empty set entry in a snapshot.
    #[error("empty set entry in a snapshot")]
    EmptySetEntryInSnapshot,
    /// First run's left origin is its predecessor.
    #[error("first run's left origin is its predecessor")]
    FirstRunLeftOrigin,
    /// A container held by a list item that is not a visible container of its kind.
    #[error("a container held by a list item that is not a visible container of its kind")]
    ItemContainerKind,
    /// A list item's container names an item outside the delta's history.
    #[error("a list item's container names an item outside the delta's history")]
    ItemOutsideHistory,
    /// Last run's right origin is its successor.
    #[error("last run's right origin is its successor")]
    LastRunRightOrigin,
    /// Missing explicit origin.
    #[error("missing explicit origin")]
    MissingOrigin,
    /// Origin counter out of range.
    #[error("origin counter out of range")]
    OriginCounterRange,
    /// Packed text that does not decompress to its stated length.
    #[error("packed text does not decompress to its stated length")]
    PackedTextCorrupt,
    /// Packed text stating a length its compressed bytes cannot hold.
    #[error("packed text states a length its compressed bytes cannot hold")]
    PackedTextLength,
    /// Packed text that is not UTF-8 once decompressed.
    #[error("packed text is not UTF-8")]
    PackedTextNotUtf8,
    /// A version-2 flag column that does not match the runs or its
    /// dictionary.
    #[error("sequence flag column does not match the runs")]
    SeqFlagColumn,
    /// A version-2 inferred origin that names no run (or whose counters
    /// overflow).
    #[error("an inferred origin names no run")]
    InferredOrigin,
    /// A version-4 run-length column that does not cover the runs.
    #[error("a run-length sequence column does not cover the runs")]
    SeqRunCounts,
    /// Version-4 sequence columns that claim more runs than the blob has
    /// bytes.
    #[error("sequence columns claim more runs than the blob has bytes")]
    TooManyRuns,
    /// A version-2 origin replica column that does not cover the origins.
    #[error("origin replica column does not cover the origins")]
    OriginReplicaColumn,
    /// Removal marker in a snapshot.
    #[error("removal marker in a snapshot")]
    RemovalMarkerInSnapshot,
    /// Replica index out of the table.
    #[error("replica index out of the table")]
    ReplicaIndexRange,
    /// Replica table not strictly sorted.
    #[error("replica table not strictly sorted")]
    ReplicaTableUnsorted,
    /// The root map holds a list item.
    #[error("the root map holds a list item")]
    RootHoldsItem,
    /// Sequence bases do not match the replica table.
    #[error("sequence bases do not match the replica table")]
    SeqBasesMismatch,
    /// Sequence columns differ in length.
    #[error("sequence columns differ in length")]
    SeqColumnsLength,
    /// Sequence content does not match the visible runs.
    #[error("sequence content does not match the visible runs")]
    SeqContentMismatch,
    /// Sequence counter out of range.
    #[error("sequence counter out of range")]
    SeqCounterRange,
    /// A sequence item is missing from the context.
    #[error("a sequence item is missing from the context")]
    SeqItemOutsideContext,
    /// Sequence replica column does not cover the runs.
    #[error("sequence replica column does not cover the runs")]
    SeqReplicaColumn,
    /// Sequence runs overlap or are too long.
    #[error("sequence runs overlap or are too long")]
    SeqRunsOverlap,
    /// Inserted runs name each other as origins.
    #[error("inserted runs name each other as origins")]
    OriginCycle,
    /// Set elements not strictly sorted.
    #[error("set elements not strictly sorted")]
    SetElementsUnsorted,
    /// Map keys not strictly sorted.
    #[error("map keys not strictly sorted")]
    MapKeysUnsorted,
    /// Slot kinds unsorted or repeated.
    #[error("slot kinds unsorted or repeated")]
    SlotKindsUnsorted,
    /// Slot parent is not an earlier map or list.
    #[error("slot parent is not an earlier map or list")]
    SlotParent,
    /// A snapshot's context must be a version vector.
    #[error("a snapshot's context must be a version vector")]
    SnapshotContextGaps,
    /// A whole text's context must be a version vector.
    #[error("a whole text's context must be a version vector")]
    TextContextGaps,
    /// A text delta's dots must follow the receiver's version.
    #[error("a text delta's dots must follow the receiver's version")]
    TextDeltaGap,
    /// Expected a whole text, found a delta.
    #[error("expected a whole text, found a delta")]
    TextDeltaNotWhole,
    /// Containers nest too deep.
    #[error("containers nest too deep")]
    TooDeep,
    /// Two counter dots of one replica.
    #[error("two counter dots of one replica")]
    TwoCounterDots,
    /// Unknown container kind in a list item.
    #[error("unknown container kind in a list item")]
    UnknownItemKind,
    /// Unknown left origin code.
    #[error("unknown left origin code")]
    UnknownLeftOrigin,
    /// Unknown right origin code.
    #[error("unknown right origin code")]
    UnknownRightOrigin,
    /// Unknown sequence flags.
    #[error("unknown sequence flags")]
    UnknownSeqFlags,
    /// Unused explicit origins.
    #[error("unused explicit origins")]
    UnusedOrigins,
    /// Value column does not match the dots.
    #[error("value column does not match the dots")]
    ValueColumnMismatch,
    /// Version vector not canonical.
    #[error("version vector not canonical")]
    VersionVectorNotCanonical,
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
    /// The input uses a dot this replica already holds with other content
    /// (a counter total, a register value, a sequence item): two writers
    /// share one replica id, or the peer lies. Nothing was applied.
    #[error("the input uses {0:?} for other content than this replica holds: two writers share one replica id (a cloned document, a restart from an old save) or the peer is faulty")]
    ConflictingDot(crate::id::Dot),
    /// An inserted text or list item names, as its neighbour, an item this
    /// replica does not have and the input does not bring. Nothing was
    /// applied.
    #[error("the input inserts next to {0:?}, an item this replica does not have: the input is corrupt or its causes are missing")]
    MissingOrigin(crate::id::Dot),
    /// A key holds a container of another kind than the write asks for.
    /// Kinds never change silently: remove the key first (in the same
    /// transaction, if the change must travel as one delta).
    #[error("the key holds a {found:?}, not a {wanted:?}: remove the key first to put a {wanted:?} there")]
    KindMismatch {
        /// The kind the key shows.
        found: crate::Kind,
        /// The kind the write needs.
        wanted: crate::Kind,
    },
    /// A read-only copy of a document (made by `clone`) was asked to write.
    #[error("this document is a read-only copy of replica {0}: clones never write under their original's id; make a writable copy with `fork` and a fresh replica id")]
    ReadOnly(ReplicaId),
    /// A save was loaded as the replica that wrote it without
    /// `LoadOptions::resume`.
    #[error("this save was written by replica {0}: load it with a fresh replica id, or with `LoadOptions::resume` only if the save holds every edit that replica ever published")]
    ReplicaIdInUse(ReplicaId),
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
