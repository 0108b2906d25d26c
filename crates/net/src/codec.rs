//! The request-response codec: direct sync messages of one document.
//!
//! A request is `u8` id length, the document id, then the sync message;
//! the response is empty (an acknowledgement of delivery: the sync protocol
//! keeps its own acknowledgements). Both are read with a size limit, so a
//! peer cannot make this node allocate more than it sends and the limit.

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::request_response;
use libp2p::StreamProtocol;

/// The protocol name of direct sync messages.
pub const SYNC_PROTOCOL: StreamProtocol = StreamProtocol::new("/converge/sync/1");

/// A direct message for one document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectRequest {
    /// The document's id.
    pub doc: String,
    /// The encoded sync message.
    pub bytes: Vec<u8>,
}

/// Length-prefixed framing with limits.
#[derive(Clone, Debug)]
pub(crate) struct SyncCodec {
    /// The largest request accepted (id and message).
    pub(crate) max_request_bytes: usize,
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

/// Encodes a request (exposed for tests of the framing).
pub fn encode_request(req: &DirectRequest) -> io::Result<Vec<u8>> {
    let id = req.doc.as_bytes();
    let n = u8::try_from(id.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "document id too long"))?;
    let mut out = Vec::with_capacity(1 + id.len() + req.bytes.len());
    out.push(n);
    out.extend_from_slice(id);
    out.extend_from_slice(&req.bytes);
    Ok(out)
}

/// Decodes a request; `Err` for malformed input.
pub fn decode_request(bytes: &[u8]) -> io::Result<DirectRequest> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    let (&n, rest) = bytes.split_first().ok_or_else(|| bad("empty request"))?;
    let n = usize::from(n);
    if rest.len() < n {
        return Err(bad("truncated document id"));
    }
    let (id, msg) = rest.split_at(n);
    let doc = std::str::from_utf8(id)
        .map_err(|_| bad("document id is not UTF-8"))?
        .to_string();
    Ok(DirectRequest {
        doc,
        bytes: msg.to_vec(),
    })
}

impl request_response::Codec for SyncCodec {
    type Protocol = StreamProtocol;
    type Request = DirectRequest;
    type Response = ();

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<DirectRequest>
    where
        T: AsyncRead + Unpin + Send,
    {
        let bytes = read_limited(io, self.max_request_bytes).await?;
        decode_request(&bytes)
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
        req: DirectRequest,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_framed(io, &encode_request(&req)?).await
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
    fn requests_round_trip_and_garbage_is_refused() {
        let req = DirectRequest {
            doc: "notes".into(),
            bytes: vec![1, 2, 3],
        };
        assert_eq!(decode_request(&encode_request(&req).unwrap()).unwrap(), req);
        assert!(decode_request(&[]).is_err());
        assert!(decode_request(&[9, b'a']).is_err());
        assert!(decode_request(&[2, 0xff, 0xfe]).is_err());
    }
}
