//! The public handles: [`Node`] (the whole peer) and [`DocHandle`] (one
//! document). Both are cheap to clone; they send commands to the event
//! loop over a bounded channel and wait for its reply.

use std::sync::Arc;

use converge_core::{Doc, DocEvent, Transaction};
use converge_store::{DocId, Store};
use libp2p::{identity, Multiaddr, PeerId};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::behaviour::build_swarm;
use crate::config::Config;
use crate::error::NetError;
use crate::event_loop::{Changes, Command, EventLoop, PresenceChanges};
use crate::metrics::NodeMetrics;
use crate::presence::PresenceEvent;
use crate::status::{NodeStats, SyncStatus};
use prometheus_client::registry::Registry;

/// A peer: a store of documents, a libp2p swarm, and one task that drives
/// both (what automerge-repo calls a Repo).
///
/// ```
/// use converge_net::{Config, Node};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), converge_net::NetError> {
/// let node = Node::start(Config::listening("/ip4/127.0.0.1/tcp/0".parse().unwrap())).await?;
/// let notes = node.open("notes").await?;
/// notes.edit(|tx| tx.text("body").push_str("hello").unwrap()).await?;
/// let text = notes.read(|doc| doc.root().text("body").map(|t| t.to_string())).await?;
/// assert_eq!(text.as_deref(), Some("hello"));
/// node.shutdown().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Node {
    commands: mpsc::Sender<Command>,
    peer_id: PeerId,
    registry: Arc<Registry>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("peer_id", &self.peer_id)
            .finish()
    }
}

async fn ask<T>(
    commands: &mpsc::Sender<Command>,
    make: impl FnOnce(oneshot::Sender<T>) -> Command,
) -> Result<T, NetError> {
    let (tx, rx) = oneshot::channel();
    commands
        .send(make(tx))
        .await
        .map_err(|_| NetError::Closed)?;
    rx.await.map_err(|_| NetError::Closed)
}

impl Node {
    /// Starts a node with a new identity: opens its store, listens,
    /// dials the bootstrap peers and spawns its task on the current tokio
    /// runtime.
    pub async fn start(config: Config) -> Result<Node, NetError> {
        Node::start_with_identity(identity::Keypair::generate_ed25519(), config).await
    }

    /// [`Node::start`] with a given identity (a node that keeps its peer id
    /// across restarts).
    pub async fn start_with_identity(
        key: identity::Keypair,
        config: Config,
    ) -> Result<Node, NetError> {
        let store = match &config.store {
            Some(path) => Store::open_with(path, config.store_options.clone())?,
            None => Store::with_backend(
                Box::new(converge_store::MemoryBackend::new()),
                config.store_options.clone(),
            )?,
        };
        let peer_id = key.public().to_peer_id();
        let mut registry = Registry::default();
        let mut swarm = build_swarm(key, &config, &mut registry).await?;
        let metrics = NodeMetrics::new(&mut registry);
        let mut listeners = Vec::new();
        for addr in &config.listen {
            let id = swarm
                .listen_on(addr.clone())
                .map_err(|e| NetError::Address {
                    addr: addr.to_string(),
                    detail: format!("cannot listen: {e:?}"),
                })?;
            listeners.push(id);
        }
        for addr in &config.bootstrap {
            swarm.dial(addr.clone()).map_err(|e| NetError::Address {
                addr: addr.to_string(),
                detail: format!("cannot dial: {e}"),
            })?;
        }
        let (tx, rx) = mpsc::channel(config.channel_capacity.max(1));
        let bootstrap = config.bootstrap.clone();
        let mut event_loop = EventLoop::new(swarm, listeners, store, rx, config, metrics);
        event_loop.keep_connected(&bootstrap);
        tokio::spawn(event_loop.run());
        Ok(Node {
            commands: tx,
            peer_id,
            registry: Arc::new(registry),
        })
    }

    /// This node's peer id.
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// The addresses the node listens on (those known so far: listening
    /// starts as the node starts, an address appears a moment later).
    pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, NetError> {
        ask(&self.commands, |reply| Command::ListenAddrs { reply }).await
    }

    /// Dials a peer.
    pub async fn dial(&self, addr: Multiaddr) -> Result<(), NetError> {
        ask(&self.commands, |reply| Command::Dial { addr, reply }).await?
    }

    /// Closes every connection to `peer` (it may dial again). Returns
    /// whether it was connected.
    pub async fn disconnect(&self, peer: PeerId) -> Result<bool, NetError> {
        ask(&self.commands, |reply| Command::Disconnect { peer, reply }).await
    }

    /// Refuses every connection with `peer` until [`Node::unblock_peer`]:
    /// those open are closed, new ones (dialled or accepted) are denied.
    /// How an app, or `converge demo`, partitions peers.
    pub async fn block_peer(&self, peer: PeerId) -> Result<(), NetError> {
        ask(&self.commands, |reply| Command::Block {
            peer,
            block: true,
            reply,
        })
        .await
    }

    /// Lets `peer` connect again (a ban for misbehaving still holds until
    /// it ends). The peers do not reconnect by themselves: dial one.
    pub async fn unblock_peer(&self, peer: PeerId) -> Result<(), NetError> {
        ask(&self.commands, |reply| Command::Block {
            peer,
            block: false,
            reply,
        })
        .await
    }

    /// Counters of the node: documents open and loaded, peers, bytes.
    pub async fn stats(&self) -> Result<NodeStats, NetError> {
        ask(&self.commands, |reply| Command::Stats { reply }).await
    }

    /// The node's metrics in the OpenMetrics text format (what a
    /// Prometheus server scrapes; `converge node --metrics` serves it):
    /// libp2p's (`libp2p_bandwidth_bytes_total` per protocol and direction,
    /// connections, gossipsub, identify, ping, relay, DCUtR) and converge's
    /// (`converge_sync_bytes_total` per channel and direction,
    /// `converge_deltas_published_total`, documents and peers). Gauges are
    /// refreshed at every tick of the node.
    pub fn metrics(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// The peers connected now.
    pub async fn connected_peers(&self) -> Result<Vec<PeerId>, NetError> {
        ask(&self.commands, |reply| Command::Peers { reply }).await
    }

    /// Opens document `id` (creating it in the store when absent) and
    /// starts syncing it with every peer that has it open.
    pub async fn open(&self, id: &str) -> Result<DocHandle, NetError> {
        let id = DocId::new(id)?;
        let (changes, presence) = ask(&self.commands, |reply| Command::Open {
            id: id.clone(),
            reply,
        })
        .await??;
        Ok(DocHandle {
            id,
            commands: self.commands.clone(),
            changes,
            presence,
        })
    }

    /// Stops the node: closes the store (logs folded into snapshots) and
    /// ends its task. Handles return [`NetError::Closed`] afterwards.
    pub async fn shutdown(&self) -> Result<(), NetError> {
        ask(&self.commands, |reply| Command::Shutdown { reply }).await?
    }
}

/// One open document on a [`Node`]: edit it, read it, watch it, see how it
/// stands with its peers. Cheap to clone; every clone talks to the same
/// document.
#[derive(Clone, Debug)]
pub struct DocHandle {
    id: DocId,
    commands: mpsc::Sender<Command>,
    changes: Changes,
    presence: PresenceChanges,
}

impl DocHandle {
    /// The document's id.
    pub fn id(&self) -> &DocId {
        &self.id
    }

    /// Edits the document in one transaction; returns once the transaction
    /// is durable in the store and handed to the network.
    pub async fn edit<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>) -> R + Send + 'static,
    ) -> Result<R, NetError> {
        let (out_tx, out_rx) = oneshot::channel();
        let f = Box::new(move |tx: &mut Transaction<'_>| {
            let _ = out_tx.send(f(tx));
        });
        let id = self.id.clone();
        ask(&self.commands, |reply| Command::Edit { id, f, reply }).await??;
        out_rx.await.map_err(|_| NetError::Closed)
    }

    /// Joins a snapshot or delta made elsewhere (a file, another store)
    /// into the document (logged in the store, durable at its next flush
    /// and at shutdown); peers get what they lack from it at their next
    /// summary exchange. Bad bytes are refused with an error
    /// and change nothing.
    pub async fn apply(&self, bytes: Vec<u8>) -> Result<converge_core::ApplyOutcome, NetError> {
        let id = self.id.clone();
        ask(&self.commands, |reply| Command::Apply { id, bytes, reply }).await?
    }

    /// Reads the document.
    pub async fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Doc) -> R + Send + 'static,
    ) -> Result<R, NetError> {
        let (out_tx, out_rx) = oneshot::channel();
        let f = Box::new(move |doc: &Doc| {
            let _ = out_tx.send(f(doc));
        });
        let id = self.id.clone();
        ask(&self.commands, |reply| Command::Read { id, f, reply }).await??;
        out_rx.await.map_err(|_| NetError::Closed)
    }

    /// A stream of the document's changes, local and remote, from now on.
    /// The stream is bounded: a subscriber that falls behind receives
    /// `RecvError::Lagged(n)` (n events skipped) and can re-read the
    /// document.
    pub fn changes(&self) -> broadcast::Receiver<Arc<DocEvent>> {
        self.changes.subscribe()
    }

    /// Sets this node's presence on the document (a cursor, a selection,
    /// a name: 1 to 4,096 bytes the app defines, JSON say). Peers see it
    /// until it is cleared, this node leaves, or it is not refreshed within
    /// `Config::presence_ttl` (the node refreshes it by itself). Never
    /// stored.
    pub async fn set_presence(&self, value: impl Into<Vec<u8>>) -> Result<(), NetError> {
        let id = self.id.clone();
        let value = Some(value.into());
        ask(&self.commands, |reply| Command::SetPresence {
            id,
            value,
            reply,
        })
        .await?
    }

    /// Clears this node's presence on the document.
    pub async fn clear_presence(&self) -> Result<(), NetError> {
        let id = self.id.clone();
        ask(&self.commands, |reply| Command::SetPresence {
            id,
            value: None,
            reply,
        })
        .await?
    }

    /// The peers present on the document now, with their values.
    pub async fn presence(&self) -> Result<Vec<(PeerId, Vec<u8>)>, NetError> {
        let id = self.id.clone();
        ask(&self.commands, |reply| Command::GetPresence { id, reply }).await?
    }

    /// A stream of presence changes (bounded, like [`DocHandle::changes`]).
    pub fn presence_events(&self) -> broadcast::Receiver<PresenceEvent> {
        self.presence.subscribe()
    }

    /// How the document stands with each peer.
    pub async fn status(&self) -> Result<SyncStatus, NetError> {
        let id = self.id.clone();
        ask(&self.commands, |reply| Command::Status { id, reply }).await?
    }

    /// Stops syncing the document and unloads it (it stays in the store).
    pub async fn close(self) -> Result<(), NetError> {
        let id = self.id.clone();
        ask(&self.commands, |reply| Command::Close { id, reply }).await?
    }
}
