//! The envelope every blob starts with: magic, version, kind, length, checksum.

use alloc::vec::Vec;

use super::crc::crc32c;
use crate::error::DecodeError;

/// The four magic bytes at the start of every blob.
pub const MAGIC: [u8; 4] = *b"CNVG";
/// The newest format version this build reads and writes. It reads every
/// version from 1 on, and stamps each blob with the oldest version that can
/// read it (version 2 added tighter columns for long texts and lists; a
/// blob without them is version 1, so older peers keep reading it; in
/// version 3 a deleted run in a delta deletes the items it names also where
/// the reader holds them, which lets catch-up groups leave out the deleted
/// id runs those runs repeat; version 4 run-length codes the repeating
/// columns of long texts and lists).
pub const FORMAT_VERSION: u8 = 4;
/// The oldest format version this build reads.
pub(crate) const FIRST_VERSION: u8 = 1;
/// Size of the envelope header in bytes.
pub const HEADER_LEN: usize = 14;
/// The largest payload accepted (and written): 1 GiB.
pub(crate) const MAX_PAYLOAD_LEN: usize = 1 << 30;

/// What a blob holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlobKind {
    /// A document delta (a transaction, or a group of them).
    DocDelta,
    /// A whole document.
    DocSnapshot,
    /// A message of the sync protocol (`converge-sync`).
    SyncMessage,
    /// A standalone [`GCounter`](crate::GCounter).
    GCounter,
    /// A standalone [`PnCounter`](crate::PnCounter).
    PnCounter,
    /// A standalone [`LwwRegister`](crate::LwwRegister).
    LwwRegister,
    /// A standalone [`MvRegister`](crate::MvRegister).
    MvRegister,
    /// A standalone [`AwSet`](crate::AwSet).
    AwSet,
    /// A standalone [`RwSet`](crate::RwSet).
    RwSet,
    /// A standalone [`OrMap`](crate::OrMap) of multi-value registers.
    MvMap,
    /// A standalone [`Text`](crate::Text): a whole state or the part
    /// another replica lacks.
    Text,
}

impl BlobKind {
    /// The kind's byte in the header.
    pub const fn code(self) -> u8 {
        match self {
            BlobKind::DocDelta => 1,
            BlobKind::DocSnapshot => 2,
            BlobKind::SyncMessage => 3,
            BlobKind::GCounter => 16,
            BlobKind::PnCounter => 17,
            BlobKind::LwwRegister => 18,
            BlobKind::MvRegister => 19,
            BlobKind::AwSet => 20,
            BlobKind::RwSet => 21,
            BlobKind::MvMap => 22,
            BlobKind::Text => 23,
        }
    }

    /// Every kind.
    pub const ALL: [BlobKind; 11] = [
        BlobKind::DocDelta,
        BlobKind::DocSnapshot,
        BlobKind::SyncMessage,
        BlobKind::GCounter,
        BlobKind::PnCounter,
        BlobKind::LwwRegister,
        BlobKind::MvRegister,
        BlobKind::AwSet,
        BlobKind::RwSet,
        BlobKind::MvMap,
        BlobKind::Text,
    ];

    /// The standalone types' kinds (every kind after the document family).
    pub const STANDALONE: &'static [BlobKind] = BlobKind::ALL.as_slice().split_at(3).1;

    /// The kind with header byte `code`.
    pub fn from_code(code: u8) -> Option<BlobKind> {
        BlobKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// Wraps a payload in a valid envelope (header and checksum), stamped with
/// format version 1: the payloads every version reads alike (sync
/// messages, and any payload that uses nothing version 2 added), so peers
/// of every version read the blob. Tools and fuzzers use it to reach the
/// payload parser with arbitrary payloads.
pub fn seal(kind: BlobKind, payload: &[u8]) -> Vec<u8> {
    seal_as(FIRST_VERSION, kind, payload)
}

/// [`seal`] stamped with format `version` (for tools and fuzzers that reach
/// the parsers of a given version; a version this build does not read
/// makes a blob every reader refuses).
#[allow(clippy::arithmetic_side_effects)] // the length is checked first
pub fn seal_as(version: u8, kind: BlobKind, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() <= MAX_PAYLOAD_LEN, "payload over 1 GiB");
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&MAGIC);
    out.push(version);
    out.push(kind.code());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32c(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Serializes `value` with postcard straight after a header, then fills
/// the header in: one allocation per blob.
pub(crate) fn seal_value<T: serde::Serialize>(kind: BlobKind, value: &T) -> Vec<u8> {
    seal_value_as(FIRST_VERSION, kind, value)
}

/// [`seal_value`] stamped with format `version` (the oldest that reads
/// what `value` uses).
#[allow(clippy::arithmetic_side_effects)] // the buffer starts with the header
pub(crate) fn seal_value_as<T: serde::Serialize>(
    version: u8,
    kind: BlobKind,
    value: &T,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.resize(HEADER_LEN, 0);
    let mut out =
        postcard::to_extend(value, out).expect("postcard encoding into a Vec cannot fail");
    let len = out.len() - HEADER_LEN;
    assert!(len <= MAX_PAYLOAD_LEN, "payload over 1 GiB");
    let crc = crc32c(&out[HEADER_LEN..]);
    out[0..4].copy_from_slice(&MAGIC);
    out[4] = version;
    out[5] = kind.code();
    out[6..10].copy_from_slice(&(len as u32).to_le_bytes());
    out[10..14].copy_from_slice(&crc.to_le_bytes());
    out
}

/// Reads the kind of a blob after checking its envelope.
pub fn peek_kind(bytes: &[u8]) -> Result<BlobKind, DecodeError> {
    open_any(bytes).map(|(k, _)| k)
}

/// Checks the envelope and returns the kind and the payload.
pub(crate) fn open_any(bytes: &[u8]) -> Result<(BlobKind, &[u8]), DecodeError> {
    if bytes.len() < HEADER_LEN {
        return Err(DecodeError::Truncated);
    }
    if bytes[0..4] != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    if !(FIRST_VERSION..=FORMAT_VERSION).contains(&bytes[4]) {
        return Err(DecodeError::UnsupportedVersion(bytes[4]));
    }
    let kind = BlobKind::from_code(bytes[5]).ok_or(DecodeError::UnknownKind(bytes[5]))?;
    let len = u32::from_le_bytes(bytes[6..10].try_into().expect("4 bytes")) as usize;
    let crc = u32::from_le_bytes(bytes[10..14].try_into().expect("4 bytes"));
    let payload = &bytes[HEADER_LEN..];
    if payload.len() < len {
        return Err(DecodeError::Truncated);
    }
    if payload.len() > len {
        return Err(DecodeError::TrailingBytes);
    }
    if crc32c(payload) != crc {
        return Err(DecodeError::ChecksumMismatch);
    }
    Ok((kind, payload))
}

/// Checks the envelope, requires the `expected` kind, and returns the
/// payload (for layers that define their own payloads, like the sync
/// protocol).
pub fn open(bytes: &[u8], expected: BlobKind) -> Result<&[u8], DecodeError> {
    open_versioned(bytes, expected).map(|(_, payload)| payload)
}

/// [`open`], also returning the blob's format version (checked to be one
/// this build reads).
pub(crate) fn open_versioned(bytes: &[u8], expected: BlobKind) -> Result<(u8, &[u8]), DecodeError> {
    let (kind, payload) = open_any(bytes)?;
    if kind != expected {
        return Err(DecodeError::WrongKind {
            expected,
            found: kind,
        });
    }
    Ok((bytes[4], payload))
}
