//! Errors of the network layer.

use converge_store::StoreError;

/// An error of a [`Node`](crate::Node) or a [`DocHandle`](crate::DocHandle).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// The store refused (see its message for what to do).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A transport could not be set up.
    #[error("transport: {0}")]
    Transport(String),
    /// A setting is invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// An address could not be listened on or dialled.
    #[error("address {addr}: {detail}")]
    Address {
        /// The address.
        addr: String,
        /// What went wrong.
        detail: String,
    },
    /// The node has shut down (or its task ended): nothing more can be
    /// done through this handle.
    #[error("the node has shut down")]
    Closed,
    /// The document is not open on this node.
    #[error("document {0:?} is not open on this node: open it first")]
    NotOpen(String),
}
