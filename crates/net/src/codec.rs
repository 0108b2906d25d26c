//! The request-response codec: direct sync messages, several per stream.
//!
//! A request is a batch of one or more messages, each `u8` id length, the
//! document id, `u32` (little-endian) message length, the sync message; the
//! response is empty (an acknowledgement of delivery: the sync protocol
//! keeps its own acknowledgements). Both are read with a size limit, so a
//! peer cannot make this node allocate more than it sends and the limit.
//! Batching matters when many documents sync at once: every request costs
//! a stream, and libp2p refuses streams beyond a per-connection limit.

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::request_response;
use libp2p::StreamProtocol;

/// The protocol name of direct sync messages (version 2: batches; version
/// 1 carried one message per stream).
pub const SYNC_PROTOCOL: StreamProtocol = StreamProtocol::new("/converge/sync/2");

/// One direct sync message: the document it is about and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectRequest {
    /// The document's id.
    pub doc: String,
    /// The encoded sync message.
    pub bytes: Vec<u8>,
}

/// Bytes one message adds around its sync message in a batch.
pub(crate) fn framed_len(req: &DirectRequest) -> usize {
    1 + req.doc.len() + 4 + req.bytes.len()
}

#[derive(Clone, Debug)]
pub(crate) struct SyncCodec {
    /// The largest batch accepted.
    pub(crate) max_request_bytes: usize,
    /// The largest sync message accepted inside a batch.
    pub(crate) max_message_bytes: usize,
}

async fn read_limited<T: AsyncRead + Unpin + Send>(io: &mut T, max: usize) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    io.read_exact(&mut len).await?;
    let len = u32::from_le_bytes(len) as usize;
    if len > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a message of {len} bytes is over the limit of {max}"),
        ));
    }
    let mut buf = vec![0u8; len];
    io.read_exact(&mut buf).await?;
    Ok(buf)
}

async fn write_framed<T: AsyncWrite + Unpin + Send>(io: &mut T, bytes: &[u8]) -> io::Result<()> {
    let len = u32::try_from(bytes.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "message too large"))?;
    io.write_all(&len.to_le_bytes()).await?;
    io.write_all(bytes).await?;
    io.close().await
}

/// Encodes a batch of direct messages.
pub fn encode_requests(reqs: &[DirectRequest]) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(reqs.iter().map(framed_len).sum());
    for req in reqs {
        let id = req.doc.as_bytes();
        let n = u8::try_from(id.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "document id too long"))?;
        let len = u32::try_from(req.bytes.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "message too large"))?;
        out.push(n);
        out.extend_from_slice(id);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&req.bytes);
    }
    Ok(out)
}

/// Decodes a batch of direct messages (at least one, each at most
/// `max_message_bytes`).
pub fn decode_requests(bytes: &[u8], max_message_bytes: usize) -> io::Result<Vec<DirectRequest>> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    let mut rest = bytes;
    let mut out = Vec::new();
    while let Some((&n, after)) = rest.split_first() {
        let n = usize::from(n);
        if after.len() < n + 4 {
            return Err(bad("truncated document id or length"));
        }
        let (id, after) = after.split_at(n);
        let (len, after) = after.split_at(4);
        let len = u32::from_le_bytes(len.try_into().expect("four bytes")) as usize;
        if len > max_message_bytes {
            return Err(bad("a message over the size limit"));
        }
        if after.len() < len {
            return Err(bad("truncated message"));
        }
        let (msg, after) = after.split_at(len);
        let doc = std::str::from_utf8(id)
            .map_err(|_| bad("document id is not UTF-8"))?
            .to_string();
        out.push(DirectRequest {
            doc,
            bytes: msg.to_vec(),
        });
        rest = after;
    }
    if out.is_empty() {
        return Err(bad("empty request"));
    }
    Ok(out)
}

impl request_response::Codec for SyncCodec {
    type Protocol = StreamProtocol;
    type Request = Vec<DirectRequest>;
    type Response = ();

    async fn read_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Vec<DirectRequest>>
    where
        T: AsyncRead + Unpin + Send,
    {
        let bytes = read_limited(io, self.max_request_bytes).await?;
        decode_requests(&bytes, self.max_message_bytes)
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<()>
    where
        T: AsyncRead + Unpin + Send,
    {
        let bytes = read_limited(io, 0).await?;
        debug_assert!(bytes.is_empty());
        Ok(())
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        reqs: Vec<DirectRequest>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_framed(io, &encode_requests(&reqs)?).await
    }

    async fn write_response<T>(&mut self, _: &StreamProtocol, io: &mut T, _: ()) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_framed(io, &[]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_round_trip_and_garbage_is_refused() {
        let reqs = vec![
            DirectRequest {
                doc: "notes".into(),
                bytes: vec![1, 2, 3],
            },
            DirectRequest {
                doc: "todo".into(),
                bytes: vec![],
            },
        ];
        let bytes = encode_requests(&reqs).unwrap();
        assert_eq!(bytes.len(), reqs.iter().map(framed_len).sum::<usize>());
        assert_eq!(decode_requests(&bytes, 16).unwrap(), reqs);
        assert!(
            decode_requests(&bytes, 2).is_err(),
            "over the message limit"
        );
        assert!(decode_requests(&[], 16).is_err());
        assert!(decode_requests(&[9, b'a'], 16).is_err());
        assert!(decode_requests(&[2, 0xff, 0xfe, 0, 0, 0, 0], 16).is_err());
        assert!(
            decode_requests(&[1, b'a', 5, 0, 0, 0, 1], 16).is_err(),
            "truncated message"
        );
    }
}
