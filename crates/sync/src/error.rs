//! Why a peer was cut off.

use converge_core::{DecodeError, DocError};

/// Why a session ended. The document is never affected by what the peer
/// sent before it was cut off: bad input is rejected before it is applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The peer sent bytes that are not a valid message.
    #[error("peer sent a malformed message: {0}")]
    Garbage(DecodeError),
    /// The peer sent a delta or catch-up that the document refused.
    #[error("peer sent data the document refused: {0}")]
    Refused(DocError),
    /// The peer sent more messages than `Config::max_messages_per_sec`.
    #[error("peer exceeded its message rate")]
    Flooding,
    /// The peer sent a message or a transfer larger than the configured limits.
    #[error("peer exceeded the size limits ({0} bytes)")]
    Oversized(u64),
}
