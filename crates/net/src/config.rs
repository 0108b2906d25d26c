//! How a node is set up.

use std::path::PathBuf;
use std::time::Duration;

use libp2p::Multiaddr;

/// The settings of a [`Node`](crate::Node).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// Addresses to listen on, e.g. `/ip4/127.0.0.1/tcp/0`,
    /// `/ip4/127.0.0.1/udp/0/quic-v1`, `/ip4/127.0.0.1/tcp/0/ws` (browser
    /// peers) or `/memory/N` (tests). Default: none (the node only dials).
    pub listen: Vec<Multiaddr>,
    /// Peers to dial at start and to dial again whenever the connection is
    /// lost (after 1 s, then backing off to 30 s between attempts). Explicit
    /// bootstrap: no public bootstrap nodes are built in.
    pub bootstrap: Vec<Multiaddr>,
    /// Where documents are stored: a redb file, or `None` for memory
    /// (nothing survives the process).
    pub store: Option<PathBuf>,
    /// Options of the store (commit mode, compaction).
    pub store_options: converge_store::StoreOptions,
    /// The sync protocol's limits and timers.
    pub sync: converge_sync::Config,
    /// How often the node runs the sync timers (summaries, retransmits).
    pub tick: Duration,
    /// Gossipsub's mesh degree: how many peers each node forwards a
    /// document's fresh deltas to (gossipsub's `mesh_n`; the mesh keeps
    /// between one less and one more). Every node receives each
    /// delta about this many times less one, so it trades bytes for
    /// robustness and latency (default 3; gossipsub's own default is 6).
    pub mesh_degree: usize,
    /// Gossipsub's heartbeat (mesh maintenance; the first mesh forms at
    /// the first heartbeat).
    pub heartbeat: Duration,
    /// Connections without traffic are closed after this long.
    pub idle_timeout: Duration,
    /// Serve as a circuit relay (v2) for peers behind NAT. The node's
    /// listen addresses become its external addresses (what reservations
    /// hand out), so listen where peers can reach it.
    pub relay_server: bool,
    /// Discover peers on the local network with mDNS and dial them. Off by
    /// default: it multicasts to the whole LAN.
    pub mdns: bool,
    /// Documents unused this long are unloaded from memory (they stay open
    /// and subscribed, and are read back from the store on their next use).
    /// Neither the sync timers nor a peer's idle summary count as use; a
    /// document with sync work under way (a transfer, a request due,
    /// deltas waiting for their causes) stays loaded.
    pub idle_evict: Duration,
    /// How long a peer's presence lasts without news (it is refreshed
    /// every third of this while set).
    pub presence_ttl: Duration,
    /// The most documents (gossipsub topics) a peer may share with this
    /// node (default 20,000).
    pub max_docs_per_peer: usize,
    /// How long a peer cut off for misbehaving (garbage, oversized or
    /// flooding messages) is refused.
    pub ban_duration: Duration,
    /// Capacity of the command channel from handles to the node, and of
    /// each document's change stream (a slow subscriber gets a lag notice).
    pub channel_capacity: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: Vec::new(),
            bootstrap: Vec::new(),
            store: None,
            store_options: converge_store::StoreOptions::default(),
            sync: converge_sync::Config::default(),
            tick: Duration::from_millis(100),
            heartbeat: Duration::from_millis(500),
            mesh_degree: 3,
            idle_timeout: Duration::from_secs(60),
            relay_server: false,
            mdns: false,
            ban_duration: Duration::from_secs(600),
            max_docs_per_peer: 20_000,
            presence_ttl: Duration::from_secs(30),
            idle_evict: Duration::from_secs(300),
            channel_capacity: 256,
        }
    }
}

impl Config {
    /// A node that listens on `addr`.
    pub fn listening(addr: Multiaddr) -> Config {
        Config {
            listen: vec![addr],
            ..Config::default()
        }
    }
}
