//! What the demo's conductor and its peer processes say to each other: one
//! JSON object per line, commands on the peer's stdin, events on its
//! stdout.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A command from the conductor to a peer.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub(crate) enum Command {
    /// Dial these addresses.
    Dial { addrs: Vec<String> },
    /// Refuse (or accept again) these peers.
    Block { peers: Vec<String>, block: bool },
    /// Make `n` edits, each its own transaction, from `seed`.
    Edit { n: usize, seed: u64 },
    /// Report where the peer stands.
    Status,
    /// Report the final document.
    Final,
    /// Flush the store and exit.
    Quit,
}

/// An event from a peer to the conductor.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(crate) enum Event {
    /// The peer is up.
    Ready {
        peer_id: String,
        addrs: Vec<String>,
        /// Whether it found an earlier store (a restart).
        restarted: bool,
    },
    /// The edits asked for are made.
    Edited { n: usize },
    /// Where the peer stands.
    Status(Status),
    /// The final document.
    Final {
        status: Status,
        json: serde_json::Value,
        snapshot_bytes: usize,
    },
    /// A command failed.
    Error { message: String },
}

/// A peer's state, as the conductor shows it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Status {
    /// Peers connected now.
    pub(crate) connected: usize,
    /// The document's version: operations per replica.
    pub(crate) version: BTreeMap<String, u64>,
    /// Remote deltas waiting for their causes.
    pub(crate) pending: usize,
    /// Edits this process made.
    pub(crate) edits: u64,
    /// Sync bytes received and sent since this process started.
    pub(crate) bytes_in: u64,
    pub(crate) bytes_out: u64,
    /// SHA-256 of the document's snapshot, hex.
    pub(crate) digest: String,
}

impl Status {
    /// Operations in the document.
    pub(crate) fn ops(&self) -> u64 {
        self.version.values().sum()
    }
}
