//! # converge-net
//!
//! Peer-to-peer sync of converge documents over libp2p, the only crate
//! that touches the network. A [`Node`] holds a store of documents
//! (`converge-store`) and a libp2p swarm, and drives one
//! `converge_sync::SyncState` per open document: it only moves bytes.
//!
//! - Fresh deltas and summaries go by **gossipsub**, a topic per document
//!   whose name is hashed on the wire (it does not reveal the document id).
//! - Direct messages (catch-up in chunks, acknowledgements) go by
//!   **request-response** (`/converge/sync/2`); repair never republishes.
//! - As soon as a peer subscribes to a document's topic the two exchange
//!   summaries, so a peer that comes back repairs without waiting for an
//!   edit.
//! - **identify**, **ping**, **circuit relay v2** (client; server when
//!   configured), **DCUtR** and **AutoNAT** are part of every node.
//!   Transports: TCP and WebSocket (noise + yamux), QUIC, and the
//!   in-memory transport for tests. Discovery is by explicit addresses;
//!   mDNS is opt-in (`Config::mdns`): it multicasts to the local network.
//! - Metrics for Prometheus: [`Node::metrics`]. Peers can be blocked
//!   ([`Node::block_peer`]); misbehaving ones are banned for a while.
//! - One task owns the swarm and the store; [`Node`] and [`DocHandle`] talk
//!   to it over bounded channels with oneshot replies; change streams are
//!   bounded (a slow subscriber gets a lag notice).

#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod behaviour;
mod codec;
mod config;
mod error;
mod event_loop;
mod metrics;
mod node;
mod presence;
mod status;

pub use codec::{decode_requests, encode_requests, DirectRequest, SYNC_PROTOCOL};
pub use config::Config;
pub use error::NetError;
pub use event_loop::topic_of;
pub use libp2p::{identity, multiaddr, Multiaddr, PeerId};
pub use node::{DocHandle, Node};
pub use presence::{PresenceEvent, MAX_PRESENCE_BYTES};
pub use status::{NodeStats, PeerStatus, Relation, SyncStatus};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
