//! What a store keeps about each document beside its data.

use converge_core::{ReplicaId, VersionVector};
use serde::{Deserialize, Serialize};

/// The layout version of a document's metadata record.
const META_VERSION: u8 = 1;

/// What a store knows about a document without loading it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocMeta {
    /// The replica id this device edits the document as: drawn once, when
    /// the document is created or first stored here, and kept.
    pub replica: ReplicaId,
    /// The sequence number the next log entry gets.
    pub next_seq: u64,
    /// Entries in the log (deltas since the snapshot).
    pub log_entries: u64,
    /// Bytes in the log.
    pub log_bytes: u64,
    /// Bytes of the snapshot (0: none yet).
    pub snapshot_bytes: u64,
    /// The document's version after the last write.
    pub version: VersionVector,
    /// How many times the log was folded into a new snapshot.
    pub compactions: u64,
}

impl DocMeta {
    pub(crate) fn new(replica: ReplicaId) -> DocMeta {
        DocMeta {
            replica,
            next_seq: 1,
            log_entries: 0,
            log_bytes: 0,
            snapshot_bytes: 0,
            version: VersionVector::new(),
            compactions: 0,
        }
    }

    /// Layout byte, postcard body, then an FNV-1a checksum of both
    /// (little-endian `u64`), so that a damaged record is refused rather
    /// than read as other counters.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = vec![META_VERSION];
        out.extend(postcard::to_allocvec(self).expect("metadata serializes"));
        let sum = fnv1a(&out);
        out.extend(sum.to_le_bytes());
        out
    }

    /// Decodes a record; `Err` says what is wrong.
    pub(crate) fn decode(bytes: &[u8]) -> Result<DocMeta, String> {
        let Some(split) = bytes.len().checked_sub(8) else {
            return Err("metadata record too short".into());
        };
        let (bytes, sum) = bytes.split_at(split);
        if fnv1a(bytes).to_le_bytes() != sum {
            return Err("metadata checksum mismatch".into());
        }
        match bytes.split_first() {
            None => Err("empty metadata record".into()),
            Some((&META_VERSION, rest)) => {
                let (meta, tail): (DocMeta, _) =
                    postcard::take_from_bytes(rest).map_err(|e| format!("metadata: {e}"))?;
                if !tail.is_empty() {
                    return Err("trailing bytes after the metadata".into());
                }
                if meta.next_seq == 0 || meta.log_entries > meta.next_seq {
                    return Err("inconsistent log counters".into());
                }
                Ok(meta)
            }
            Some((v, _)) => Err(format!(
                "metadata layout {v} is newer than this build reads"
            )),
        }
    }
}

/// 64-bit FNV-1a.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let mut m = DocMeta::new(ReplicaId::new(42));
        m.version = VersionVector::from_entries([(ReplicaId::new(42), 7)]);
        let bytes = m.encode();
        assert_eq!(DocMeta::decode(&bytes).unwrap(), m);
        assert!(DocMeta::decode(&[]).is_err());
        assert!(DocMeta::decode(&[9, 1, 2]).is_err());
        for n in 0..bytes.len() {
            assert!(DocMeta::decode(&bytes[..n]).is_err());
        }
        for i in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x10;
            assert!(DocMeta::decode(&flipped).is_err(), "byte {i}");
        }
    }
}
