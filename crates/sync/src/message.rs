//! Protocol messages and their encoding (envelope kind 3; see
//! `docs/sync-protocol.md`).

use alloc::vec::Vec;
use serde::Serialize;

use converge_core::kernel::envelope::{open as open_blob, seal};
use converge_core::kernel::wire::{read_payload, BVec, Decode, Reader};
use converge_core::{BlobKind, DecodeError, ReplicaId, VersionVector};

/// Framing bytes a chunk adds around its data, at most: the envelope header
/// plus the variant tag, three varints and the data length.
pub const CHUNK_OVERHEAD: usize = converge_core::kernel::envelope::HEADER_LEN + 1 + 3 * 10 + 5;

/// Which transport a message is meant for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// Broadcast to every peer of the document's topic; may drop,
    /// duplicate and reorder.
    Gossip,
    /// Point to point (request/response); may still be interrupted.
    Direct,
}

/// A message of the sync protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Message {
    /// Gossip: the sender's version vector. Sent periodically; it is also
    /// how peers discover what they lack.
    Summary {
        /// What the sender has.
        version: VersionVector,
    },
    /// Gossip: a fresh delta (an encoded document delta).
    Delta {
        /// The delta blob.
        delta: Vec<u8>,
    },
    /// Direct: "send me what I lack".
    Request {
        /// What the requester has.
        have: VersionVector,
    },
    /// Direct: one chunk of a catch-up blob (a delta group or a snapshot).
    Chunk {
        /// The transfer's id (unique per sender).
        transfer: u64,
        /// The offset of `data` in the blob.
        offset: u64,
        /// The blob's total length.
        total: u64,
        /// The bytes.
        data: Vec<u8>,
    },
    /// Direct: the receiver has the transfer's bytes before `next`.
    ChunkAck {
        /// The transfer's id.
        transfer: u64,
        /// The first byte not yet received.
        next: u64,
    },
    /// Direct: continue a transfer from `offset` (after an interruption).
    Resume {
        /// The transfer's id.
        transfer: u64,
        /// The first byte not yet received.
        offset: u64,
    },
    /// Direct: the sender no longer has that transfer; ask again.
    TransferGone {
        /// The transfer's id.
        transfer: u64,
    },
    /// Direct: the sender has applied everything up to `version`.
    Ack {
        /// What the sender has now.
        version: VersionVector,
    },
    /// Gossip: several fresh deltas of the sender, in the order it made
    /// them (local edits made faster than `Config::publish_batch_ms`
    /// travel together: one envelope, one signature).
    Deltas {
        /// The delta blobs (at least two).
        deltas: Vec<Vec<u8>>,
    },
}

impl Message {
    /// The channel the message is meant for.
    pub fn channel(&self) -> Channel {
        match self {
            Message::Summary { .. } | Message::Delta { .. } | Message::Deltas { .. } => {
                Channel::Gossip
            }
            _ => Channel::Direct,
        }
    }

    /// Encodes the message (envelope + postcard payload).
    pub fn encode(&self) -> Vec<u8> {
        let wire = match self {
            Message::Summary { version } => Wire::Summary(vv_to_wire(version)),
            Message::Delta { delta } => Wire::Delta(delta.clone()),
            Message::Request { have } => Wire::Request(vv_to_wire(have)),
            Message::Chunk {
                transfer,
                offset,
                total,
                data,
            } => Wire::Chunk(*transfer, *offset, *total, data.clone()),
            Message::ChunkAck { transfer, next } => Wire::ChunkAck(*transfer, *next),
            Message::Resume { transfer, offset } => Wire::Resume(*transfer, *offset),
            Message::TransferGone { transfer } => Wire::TransferGone(*transfer),
            Message::Ack { version } => Wire::Ack(vv_to_wire(version)),
            Message::Deltas { deltas } => {
                Wire::Deltas(BVec(deltas.iter().cloned().map(WireBlob).collect()))
            }
        };
        seal(
            BlobKind::SyncMessage,
            &postcard::to_allocvec(&wire).expect("encoding into a Vec cannot fail"),
        )
    }

    /// Decodes a message; every malformed input is an error.
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        let payload = open_blob(bytes, BlobKind::SyncMessage)?;
        let wire: Wire = read_payload(payload)?;
        Ok(match wire {
            Wire::Summary(v) => Message::Summary {
                version: vv_from_wire(v)?,
            },
            Wire::Delta(delta) => Message::Delta { delta },
            Wire::Request(v) => Message::Request {
                have: vv_from_wire(v)?,
            },
            Wire::Chunk(transfer, offset, total, data) => {
                let end = offset.checked_add(data.len() as u64);
                if end.is_none_or(|e| e > total) || data.is_empty() {
                    return Err(DecodeError::Invalid(
                        converge_core::Invalid::ChunkOutsideTransfer,
                    ));
                }
                Message::Chunk {
                    transfer,
                    offset,
                    total,
                    data,
                }
            }
            Wire::ChunkAck(transfer, next) => Message::ChunkAck { transfer, next },
            Wire::Resume(transfer, offset) => Message::Resume { transfer, offset },
            Wire::TransferGone(transfer) => Message::TransferGone { transfer },
            Wire::Ack(v) => Message::Ack {
                version: vv_from_wire(v)?,
            },
            Wire::Deltas(blobs) => {
                let deltas: Vec<Vec<u8>> = blobs.0.into_iter().map(|b| b.0).collect();
                if deltas.len() < 2 || deltas.iter().any(Vec::is_empty) {
                    return Err(DecodeError::Malformed);
                }
                Message::Deltas { deltas }
            }
        })
    }
}

/// The wire form; the variant index is the message type.
#[derive(Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
enum Wire {
    Summary(WireVv),
    Delta(#[serde(with = "converge_core::kernel::wire::bytes")] Vec<u8>),
    Request(WireVv),
    Chunk(
        u64,
        u64,
        u64,
        #[serde(with = "converge_core::kernel::wire::bytes")] Vec<u8>,
    ),
    ChunkAck(u64, u64),
    Resume(u64, u64),
    TransferGone(u64),
    Ack(WireVv),
    Deltas(BVec<WireBlob>),
}

/// One blob of a list, length-prefixed.
#[derive(Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
struct WireBlob(#[serde(with = "converge_core::kernel::wire::bytes")] Vec<u8>);

/// A version vector on the wire: (replica id, counter) pairs, strictly
/// increasing by replica, counters ≥ 1. Decoded preallocating at most one
/// pair per input byte left.
#[derive(Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
struct WireVv(BVec<(u64, u64)>);

/// Read by hand (`converge_core::kernel::wire::Reader`), as postcard
/// reads the serde form above: no serde decoding code in the WebAssembly
/// module.
impl Decode for Wire {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let vv = |r: &mut Reader<'_>| BVec::decode(r).map(WireVv);
        let bytes = |r: &mut Reader<'_>| r.bytes().map(<[u8]>::to_vec);
        Ok(match r.variant()? {
            0 => Wire::Summary(vv(r)?),
            1 => Wire::Delta(bytes(r)?),
            2 => Wire::Request(vv(r)?),
            3 => Wire::Chunk(r.u64()?, r.u64()?, r.u64()?, bytes(r)?),
            4 => Wire::ChunkAck(r.u64()?, r.u64()?),
            5 => Wire::Resume(r.u64()?, r.u64()?),
            6 => Wire::TransferGone(r.u64()?),
            7 => Wire::Ack(vv(r)?),
            8 => Wire::Deltas(BVec(r.seq(|r| bytes(r).map(WireBlob))?)),
            _ => return Err(DecodeError::Malformed),
        })
    }
}

fn vv_to_wire(vv: &VersionVector) -> WireVv {
    WireVv(BVec(vv.iter().map(|(r, c)| (r.get(), c)).collect()))
}

fn vv_from_wire(w: WireVv) -> Result<VersionVector, DecodeError> {
    let pairs = w.0 .0;
    if !pairs.windows(2).all(|p| p[0].0 < p[1].0) || pairs.iter().any(|e| e.1 == 0) {
        return Err(DecodeError::Invalid(
            converge_core::Invalid::VersionVectorNotCanonical,
        ));
    }
    Ok(pairs
        .into_iter()
        .map(|(r, c)| (ReplicaId::new(r), c))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// One message of each type.
    fn messages() -> Vec<Message> {
        let vv: VersionVector = [(ReplicaId::new(3), 9), (ReplicaId::new(u64::MAX), 300)]
            .into_iter()
            .collect();
        vec![
            Message::Summary {
                version: vv.clone(),
            },
            Message::Delta {
                delta: vec![1, 2, 3],
            },
            Message::Request { have: vv.clone() },
            Message::Chunk {
                transfer: 7,
                offset: 128,
                total: 1 << 40,
                data: vec![9; 200],
            },
            Message::ChunkAck {
                transfer: 7,
                next: 328,
            },
            Message::Resume {
                transfer: 7,
                offset: 64,
            },
            Message::TransferGone { transfer: 7 },
            Message::Ack { version: vv },
            Message::Deltas {
                deltas: vec![vec![4], vec![5, 6]],
            },
        ]
    }

    /// The hand-written reader of `Wire` accepts exactly what postcard
    /// accepted through serde's derive, with the same values, on every
    /// message type whole and damaged.
    #[test]
    fn the_reader_agrees_with_postcard() {
        let mut rng = converge_testkit::rng::Rng::new(18);
        for m in messages() {
            let blob = m.encode();
            assert_eq!(Message::decode(&blob).unwrap(), m);
            let payload = &blob[converge_core::kernel::envelope::HEADER_LEN..];
            for round in 0..400 {
                let p = match round {
                    0 => payload.to_vec(),
                    _ => rng.damage(payload),
                };
                let ours = read_payload::<Wire>(&p).map(|w| postcard::to_allocvec(&w).unwrap());
                let theirs = match postcard::take_from_bytes::<Wire>(&p) {
                    Ok((w, [])) => Ok(postcard::to_allocvec(&w).unwrap()),
                    Ok(_) => Err(DecodeError::TrailingBytes),
                    Err(_) => Err(DecodeError::Malformed),
                };
                assert_eq!(ours, theirs, "payload {p:02x?}");
            }
        }
    }
}
