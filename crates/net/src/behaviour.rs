//! The libp2p behaviours of a node, and how its swarm is built.

use std::time::Duration;

use libp2p::core::transport::MemoryTransport;
use libp2p::core::upgrade;
use libp2p::core::Transport;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::swarm::NetworkBehaviour;
use libp2p::{
    allow_block_list, autonat, dcutr, gossipsub, identify, identity, mdns, noise, ping, relay,
    request_response, tcp, yamux, Swarm, SwarmBuilder,
};

use crate::codec::{SyncCodec, SYNC_PROTOCOL};
use crate::config::Config;
use crate::error::NetError;

/// What a node runs on every connection.
#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    /// Peers refused: banned for misbehaving, or blocked by the app.
    pub(crate) blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    /// Fresh deltas and summaries, a topic per document.
    pub(crate) gossipsub: gossipsub::Behaviour,
    /// Direct sync messages (catch-up, acknowledgements).
    pub(crate) direct: request_response::Behaviour<SyncCodec>,
    pub(crate) identify: identify::Behaviour,
    pub(crate) ping: ping::Behaviour,
    /// Reaching peers behind NAT through a relay ...
    pub(crate) relay_client: relay::client::Behaviour,
    /// ... and upgrading to a direct connection by hole punching.
    pub(crate) dcutr: dcutr::Behaviour,
    /// Finding out whether this node is reachable.
    pub(crate) autonat: autonat::Behaviour,
    /// Serving as a relay for others (off unless configured).
    pub(crate) relay_server: Toggle<relay::Behaviour>,
    /// LAN discovery by multicast DNS (off unless configured: it
    /// multicasts to the local network).
    pub(crate) mdns: Toggle<mdns::tokio::Behaviour>,
}

/// A message's gossipsub id: 16 bytes of SHA-256 over its author,
/// sequence number and data.
fn message_id(message: &gossipsub::Message) -> gossipsub::MessageId {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    if let Some(source) = &message.source {
        h.update(source.to_bytes());
    }
    if let Some(seq) = message.sequence_number {
        h.update(seq.to_le_bytes());
    }
    h.update(&message.data);
    gossipsub::MessageId::new(&h.finalize()[..16])
}

/// The protocol version identify announces.
const IDENTIFY_PROTOCOL: &str = "/converge/1";

/// Request-response streams one connection may have open, both directions
/// together (libp2p's default is 100; yamux allows 512). Each side keeps
/// at most `MAX_DIRECT_IN_FLIGHT` of its own in flight.
pub(crate) const DIRECT_STREAMS: usize = 256;

/// The largest batch of direct messages in one request: 256 KiB, or one
/// message of the largest size with its framing.
pub(crate) fn direct_batch_bytes(max_message_bytes: usize) -> usize {
    (max_message_bytes + 512).max(256 << 10)
}

fn behaviour(
    key: &identity::Keypair,
    relay_client: relay::client::Behaviour,
    config: &Config,
) -> Result<Behaviour, NetError> {
    let peer_id = key.public().to_peer_id();
    let d = config.mesh_degree.max(1);
    let gossip_config = gossipsub::ConfigBuilder::default()
        .mesh_n(d)
        .mesh_n_low(d.saturating_sub(1).max(1))
        .mesh_n_high(d + 1)
        .mesh_outbound_min(d / 2)
        // No lazy gossip (IHAVE/IWANT): it repairs lost messages, which
        // the sync protocol's summaries and catch-up already do, and it
        // cost as many bytes as the deltas themselves.
        .gossip_lazy(0)
        .gossip_factor(0.0)
        // A node's own deltas go to its mesh like everyone else's, not to
        // every subscribed peer (which multiplied them on busy nodes).
        .flood_publish(false)
        // Ids of 16 bytes instead of the author's peer id and sequence
        // number (46): the gossip that advertises recent message ids to
        // peers outside the mesh (IHAVE) cost as much as the deltas.
        .message_id_fn(message_id)
        .heartbeat_interval(config.heartbeat)
        .heartbeat_initial_delay(config.heartbeat)
        .validation_mode(gossipsub::ValidationMode::Strict)
        .max_transmit_size(config.sync.max_message_bytes + 1024)
        .build()
        .map_err(|e| NetError::Config(format!("gossipsub: {e}")))?;
    // gossipsub's default filter ignores a peer's subscriptions beyond 100
    // topics: with a topic per document, that would silently stop syncing
    // the 101st shared document. Bounded, far higher.
    let filter = gossipsub::MaxCountSubscriptionFilter {
        filter: gossipsub::AllowAllSubscriptionFilter {},
        max_subscribed_topics: config.max_docs_per_peer,
        max_subscriptions_per_request: config.max_docs_per_peer,
    };
    let gossipsub = gossipsub::Behaviour::new_with_subscription_filter(
        gossipsub::MessageAuthenticity::Signed(key.clone()),
        gossip_config,
        filter,
    )
    .map_err(|e| NetError::Config(format!("gossipsub: {e}")))?;
    let direct = request_response::Behaviour::with_codec(
        SyncCodec {
            max_request_bytes: direct_batch_bytes(config.sync.max_message_bytes),
            max_message_bytes: config.sync.max_message_bytes,
        },
        [(SYNC_PROTOCOL, request_response::ProtocolSupport::Full)],
        request_response::Config::default()
            .with_request_timeout(Duration::from_secs(30))
            .with_max_concurrent_streams(DIRECT_STREAMS),
    );
    let identify = identify::Behaviour::new(identify::Config::new(
        IDENTIFY_PROTOCOL.into(),
        key.public(),
    ));
    let ping = ping::Behaviour::new(ping::Config::new());
    let relay_server = config
        .relay_server
        .then(|| relay::Behaviour::new(peer_id, relay::Config::default()));
    let mdns = if config.mdns {
        Some(
            mdns::tokio::Behaviour::new(mdns::Config::default(), peer_id)
                .map_err(|e| NetError::Transport(format!("mDNS: {e}")))?,
        )
    } else {
        None
    };
    Ok(Behaviour {
        blocked: allow_block_list::Behaviour::default(),
        gossipsub,
        direct,
        identify,
        ping,
        relay_client,
        dcutr: dcutr::Behaviour::new(peer_id),
        autonat: autonat::Behaviour::new(peer_id, autonat::Config::default()),
        relay_server: relay_server.into(),
        mdns: mdns.into(),
    })
}

/// Builds the swarm: TCP, QUIC, WebSocket (over TCP) and the in-memory
/// transport, each with noise and yamux where needed, DNS resolution, and
/// the relay client transport; bytes per protocol are counted in
/// `registry` (`libp2p_bandwidth_bytes_total`).
pub(crate) async fn build_swarm(
    key: identity::Keypair,
    config: &Config,
    registry: &mut prometheus_client::registry::Registry,
) -> Result<Swarm<Behaviour>, NetError> {
    let cfg = config.clone();
    let err = |what: &str, e: &dyn std::fmt::Display| NetError::Transport(format!("{what}: {e}"));
    let swarm = SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| err("tcp", &e))?
        .with_quic()
        .with_other_transport(|key| {
            Ok(MemoryTransport::default()
                .upgrade(upgrade::Version::V1)
                .authenticate(noise::Config::new(key)?)
                .multiplex(yamux::Config::default()))
        })
        .map_err(|e| err("memory transport", &e))?
        .with_dns()
        .map_err(|e| err("dns", &e))?
        .with_websocket(noise::Config::new, yamux::Config::default)
        .await
        .map_err(|e| err("websocket", &e))?
        .with_relay_client(noise::Config::new, yamux::Config::default)
        .map_err(|e| err("relay client", &e))?
        .with_bandwidth_metrics(registry)
        .with_behaviour(|key, relay_client| {
            behaviour(key, relay_client, &cfg).map_err(|e| Box::new(e) as Box<_>)
        })
        .map_err(|e| err("behaviour", &e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(config.idle_timeout))
        .build();
    Ok(swarm)
}
