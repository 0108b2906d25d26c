//! # converge-sync
//!
//! The sync protocol of converge as a deterministic state machine: bytes
//! and the current time go in, messages to send come out ([`Effect`]). No
//! I/O, no clock, no randomness, so it is tested on a simulated network and
//! driven unchanged by the libp2p layer.
//!
//! - Fresh deltas are *gossiped* (a transport that may drop, duplicate and
//!   reorder, with a message-size cap).
//! - Every node gossips a *summary* (its version vector) periodically; a
//!   peer that sees a summary lacking something sends it *directly*, in
//!   chunks with acknowledgements, resumable after an interruption.
//! - A delta whose causes are missing is held by the document and the node
//!   asks the sender for what is missing.
//!
//! See `docs/sync-protocol.md` for the messages and the guarantees.

#![no_std]
#![doc(test(attr(deny(warnings))))]
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

extern crate alloc;

mod config;
mod error;
mod message;
mod node;
mod session;
mod sessions;

pub use config::Config;
pub use error::SessionError;
pub use message::{Channel, Message, CHUNK_OVERHEAD};
pub use node::{Effect, SyncNode, SyncState};
pub use session::SessionStats;
