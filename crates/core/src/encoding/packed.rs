//! Packed text (format version 2): a text column of 1 KiB or more travels
//! LZ4-compressed (block format) when that saves at least an eighth of it.
//!
//! Text content is most of a text document's snapshot (105 of 182 KB on
//! the automerge-paper trace) and compresses about 2.4×; LZ4 decompresses
//! at memory speed, so loading does not pay for the smaller document.
//! Short columns (a keystroke's delta) stay plain: LZ4 gains nothing there.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use serde::Serialize;

use super::bytes;
use super::read::{Decode, Reader};
use crate::error::{DecodeError, Invalid};

/// Columns shorter than this (in bytes) are never packed.
pub(crate) const PACK_MIN_LEN: usize = 1024;

/// The most a packed column may expand: LZ4 itself goes to 255×, but a
/// reader allocates the stated length before decompressing, and decoders
/// allocate at most a small multiple of their input (`tests/alloc_bound.rs`
/// holds them to 64×, all of a decode's allocations together). Loading
/// holds the text twice for a moment (the column, and the tree's leaves
/// cut from it), so 16× here is at most 32× the block. Text that packs
/// tighter than this stays plain.
const MAX_EXPANSION: usize = 16;

/// A text column, LZ4-compressed.
#[derive(Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub(crate) struct PackedText {
    /// The text's length in bytes (UTF-8).
    len: u32,
    /// The LZ4 block.
    #[serde(with = "bytes")]
    lz4: Vec<u8>,
}

/// A text column in format version 2: plain, or packed when that pays.
#[derive(Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub(crate) enum TextColumn {
    Plain(String),
    Packed(PackedText),
}

impl Decode for TextColumn {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.variant()? {
            0 => String::decode(r).map(TextColumn::Plain),
            1 => Ok(TextColumn::Packed(PackedText {
                len: r.u32()?,
                lz4: r.bytes()?.to_vec(),
            })),
            _ => Err(DecodeError::Malformed),
        }
    }
}

impl TextColumn {
    /// The bytes the column's content takes in a blob.
    pub(crate) fn stored_len(&self) -> usize {
        match self {
            TextColumn::Plain(s) => s.len(),
            TextColumn::Packed(p) => p.lz4.len(),
        }
    }

    /// The text, unpacked and checked.
    pub(crate) fn into_string(self) -> Result<String, DecodeError> {
        match self {
            TextColumn::Plain(s) => Ok(s),
            TextColumn::Packed(p) => unpack(p),
        }
    }
}

/// `text` packed, when it is long enough, packing saves an eighth, and the
/// block expands at most [`MAX_EXPANSION`] times.
#[allow(clippy::arithmetic_side_effects)] // in-memory lengths, under 1 GiB
pub(crate) fn pack(text: &str) -> Option<PackedText> {
    if text.len() < PACK_MIN_LEN {
        return None;
    }
    let lz4 = lz4_flex::block::compress(text.as_bytes());
    let pays = lz4.len() <= text.len() - text.len() / 8;
    let readable = text.len() <= lz4.len().saturating_mul(MAX_EXPANSION);
    (pays && readable).then_some(PackedText {
        len: text.len() as u32,
        lz4,
    })
}

/// The text `packed` holds. The stated length is checked against what the
/// compressed bytes can hold before anything is allocated, so a hostile
/// blob cannot make a reader allocate more than 16 times its own size for
/// the column (32 times with the leaves loading cuts from it).
#[cfg_attr(converge_size, optimize(speed))]
pub(crate) fn unpack(packed: PackedText) -> Result<String, DecodeError> {
    let len = packed.len as usize;
    if len < PACK_MIN_LEN || len > packed.lz4.len().saturating_mul(MAX_EXPANSION) {
        return Err(DecodeError::Invalid(Invalid::PackedTextLength));
    }
    let mut out = vec![0u8; len];
    match lz4_flex::block::decompress_into(&packed.lz4, &mut out) {
        Ok(n) if n == len => {}
        _ => return Err(DecodeError::Invalid(Invalid::PackedTextCorrupt)),
    }
    String::from_utf8(out).map_err(|_| DecodeError::Invalid(Invalid::PackedTextNotUtf8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_long_repetitive_text_and_unpacks_it() {
        let text: String = (0..200u32)
            .map(|i| alloc::format!("to pack or not {i}, "))
            .collect();
        let packed = pack(&text).expect("repetitive text packs");
        assert!(packed.lz4.len() < text.len() / 2);
        assert_eq!(unpack(packed).unwrap(), text);
    }

    #[test]
    fn short_incompressible_or_too_repetitive_text_stays_plain() {
        assert!(pack(&"a".repeat(PACK_MIN_LEN - 1)).is_none());
        // Packs over 16×: a reader would refuse it.
        let flat = "a".repeat(100_000);
        assert!(lz4_flex::block::compress(flat.as_bytes()).len() * 16 < flat.len());
        assert!(pack(&flat).is_none());
        // A byte sequence without repeats (every 3-byte window distinct).
        let noise: String = (0u32..2000)
            .map(|i| char::from_u32(0x4E00 + (i * 7919) % 20000).unwrap())
            .collect();
        assert!(pack(&noise).is_none());
    }

    #[test]
    fn bad_packed_text_is_refused() {
        let words: String = (0..300u32)
            .map(|i| alloc::format!("the brown fox {i} "))
            .collect();
        let good = pack(&words).unwrap();
        let lie = PackedText {
            len: u32::MAX,
            lz4: good.lz4.clone(),
        };
        assert_eq!(
            unpack(lie).unwrap_err(),
            DecodeError::Invalid(Invalid::PackedTextLength)
        );
        let short = PackedText {
            len: good.len + 1,
            lz4: good.lz4.clone(),
        };
        assert_eq!(
            unpack(short).unwrap_err(),
            DecodeError::Invalid(Invalid::PackedTextCorrupt)
        );
        let truncated = PackedText {
            len: good.len,
            lz4: good.lz4[..good.lz4.len() / 2].to_vec(),
        };
        assert_eq!(
            unpack(truncated).unwrap_err(),
            DecodeError::Invalid(Invalid::PackedTextCorrupt)
        );
        let mut bytes = words.into_bytes();
        bytes[500] = 0xFF;
        let not_utf8 = PackedText {
            len: bytes.len() as u32,
            lz4: lz4_flex::block::compress(&bytes),
        };
        assert_eq!(
            unpack(not_utf8).unwrap_err(),
            DecodeError::Invalid(Invalid::PackedTextNotUtf8)
        );
    }
}
