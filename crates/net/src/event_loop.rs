//! The one task that owns the swarm, the store and every document's sync
//! state. Handles talk to it through a bounded channel; it only moves
//! bytes between libp2p and `converge_sync::SyncState` (no protocol logic
//! here).

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use converge_core::{Doc, DocEvent, Transaction};
use converge_store::{DocId, Store};
use converge_sync::{Effect, SyncState};
use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, TopicHash};
use libp2p::swarm::SwarmEvent;
use libp2p::{identify, mdns, request_response, Multiaddr, PeerId, Swarm};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::behaviour::direct_batch_bytes;
use crate::behaviour::{Behaviour, BehaviourEvent};
use crate::codec::{self, DirectRequest};
use crate::config::Config;
use crate::error::NetError;
use crate::metrics::{Channel, Direction, NodeMetrics};
use crate::presence::{Announce, Presence, PresenceEvent, MAX_PRESENCE_BYTES};
use crate::status::{NodeStats, PeerStatus, SyncStatus};

/// Changes of one document, as its handles receive them.
pub(crate) type Changes = LazyBroadcast<Arc<DocEvent>>;
/// Presence changes of one document.
pub(crate) type PresenceChanges = LazyBroadcast<PresenceEvent>;

/// A broadcast channel made on its first subscriber: a channel holds its
/// capacity in slots from the start (256 slots, about 14 KB), which for
/// 10,000 open documents, two channels each, was over half a gigabyte.
/// Until someone subscribes, sending drops the value (as a channel without
/// receivers does).
pub(crate) struct LazyBroadcast<T> {
    sender: Arc<std::sync::OnceLock<broadcast::Sender<T>>>,
    capacity: usize,
}

impl<T> std::fmt::Debug for LazyBroadcast<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyBroadcast")
            .field("subscribed", &self.sender.get().is_some())
            .finish()
    }
}

impl<T> Clone for LazyBroadcast<T> {
    fn clone(&self) -> Self {
        LazyBroadcast {
            sender: self.sender.clone(),
            capacity: self.capacity,
        }
    }
}

impl<T: Clone> LazyBroadcast<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        LazyBroadcast {
            sender: Arc::new(std::sync::OnceLock::new()),
            capacity: capacity.max(1),
        }
    }

    /// Sends to the subscribers, if any.
    pub(crate) fn send(&self, value: T) {
        if let Some(tx) = self.sender.get() {
            let _ = tx.send(value);
        }
    }

    /// A receiver of everything sent from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<T> {
        self.sender
            .get_or_init(|| broadcast::channel(self.capacity).0)
            .subscribe()
    }
}
/// The peers present on a document, with their values.
pub(crate) type Present = Vec<(PeerId, Vec<u8>)>;

/// What a handle asks of the node.
pub(crate) enum Command {
    Open {
        id: DocId,
        reply: oneshot::Sender<Result<(Changes, PresenceChanges), NetError>>,
    },
    SetPresence {
        id: DocId,
        value: Option<Vec<u8>>,
        reply: oneshot::Sender<Result<(), NetError>>,
    },
    GetPresence {
        id: DocId,
        reply: oneshot::Sender<Result<Present, NetError>>,
    },
    Edit {
        id: DocId,
        f: Box<dyn FnOnce(&mut Transaction<'_>) + Send>,
        reply: oneshot::Sender<Result<(), NetError>>,
    },
    Apply {
        id: DocId,
        bytes: Vec<u8>,
        reply: oneshot::Sender<Result<converge_core::ApplyOutcome, NetError>>,
    },
    Read {
        id: DocId,
        f: Box<dyn FnOnce(&Doc) + Send>,
        reply: oneshot::Sender<Result<(), NetError>>,
    },
    Status {
        id: DocId,
        reply: oneshot::Sender<Result<SyncStatus, NetError>>,
    },
    Close {
        id: DocId,
        reply: oneshot::Sender<Result<(), NetError>>,
    },
    Dial {
        addr: Multiaddr,
        reply: oneshot::Sender<Result<(), NetError>>,
    },
    Disconnect {
        peer: PeerId,
        reply: oneshot::Sender<bool>,
    },
    Block {
        peer: PeerId,
        block: bool,
        reply: oneshot::Sender<()>,
    },
    ListenAddrs {
        reply: oneshot::Sender<Vec<Multiaddr>>,
    },
    Peers {
        reply: oneshot::Sender<Vec<PeerId>>,
    },
    Stats {
        reply: oneshot::Sender<NodeStats>,
    },
    Shutdown {
        reply: oneshot::Sender<Result<(), NetError>>,
    },
}

/// The gossipsub topic of document `id`: `c1-` and 24 hex digits, the
/// first 96 bits of SHA-256 over `/converge/doc/1/<id>`. The topic does not
/// reveal the document id to peers that do not know it, and costs 27 bytes
/// on every message (gossipsub's `Sha256Topic` sends 44).
pub fn topic_of(id: &str) -> IdentTopic {
    use sha2::{Digest, Sha256};
    use std::fmt::Write;
    let digest = Sha256::digest(format!("/converge/doc/1/{id}"));
    let mut name = String::from("c1-");
    for b in &digest[..12] {
        let _ = write!(name, "{b:02x}");
    }
    IdentTopic::new(name)
}

/// How soon a lost bootstrap peer is dialled again, and the most time
/// between two attempts.
const REDIAL_FIRST: std::time::Duration = std::time::Duration::from_secs(1);
const REDIAL_MAX: std::time::Duration = std::time::Duration::from_secs(30);

/// A bootstrap peer the node keeps connected.
struct Bootstrap {
    addr: Multiaddr,
    /// Its peer id, from the address's `/p2p/` or learnt on connecting.
    peer: Option<PeerId>,
    next_attempt: Instant,
    backoff: std::time::Duration,
}

/// The peer id at the end of `addr` (`.../p2p/<id>`), if any.
fn peer_in(addr: &Multiaddr) -> Option<PeerId> {
    match addr.iter().last() {
        Some(libp2p::multiaddr::Protocol::P2p(peer)) => Some(peer),
        _ => None,
    }
}

/// Whether `addr` goes through a relay.
fn is_circuit(addr: &Multiaddr) -> bool {
    addr.iter()
        .any(|p| matches!(p, libp2p::multiaddr::Protocol::P2pCircuit))
}

/// A document open on the node.
struct OpenDoc {
    topic: IdentTopic,
    sync: SyncState<PeerId>,
    changes: Changes,
    /// Peers subscribed to the document's topic.
    peers: BTreeSet<PeerId>,
    presence: Presence,
    presence_changes: PresenceChanges,
    /// When the document was last edited, read, or received something.
    last_used: Instant,
    /// When its sync timers last ran.
    last_tick: Instant,
}

/// Requests (batches of direct messages) in flight to one peer at most;
/// the rest wait and leave together. Below
/// libp2p request-response's per-connection stream limit
/// (`DIRECT_STREAMS`), which counts both directions.
const MAX_DIRECT_IN_FLIGHT: usize = 16;
/// Direct messages waiting for one peer at most (the oldest go first; the
/// protocol repairs what is lost).
const MAX_DIRECT_QUEUED: usize = 4096;

pub(crate) struct EventLoop {
    swarm: Swarm<Behaviour>,
    store: Option<Store>,
    docs: HashMap<DocId, OpenDoc>,
    topics: HashMap<TopicHash, DocId>,
    commands: mpsc::Receiver<Command>,
    config: Config,
    started: Instant,
    listen_addrs: Vec<Multiaddr>,
    listeners: Vec<libp2p::core::transport::ListenerId>,
    /// Peers cut off for misbehaving, until when.
    banned: HashMap<PeerId, Instant>,
    /// Documents whose local deltas wait in a publish batch
    /// (`SyncState::publish_at`), flushed at their deadline.
    batching: HashSet<DocId>,
    /// Direct messages sent to each peer and not answered yet, and those
    /// waiting for one of them to finish (`MAX_DIRECT_IN_FLIGHT`).
    direct_in_flight: HashMap<PeerId, usize>,
    direct_queue: HashMap<PeerId, VecDeque<DirectRequest>>,
    /// The bootstrap peers, kept connected (see `redial`).
    bootstrap: Vec<Bootstrap>,
    /// Peers the app blocked (until it unblocks them).
    blocked: std::collections::HashSet<PeerId>,
    metrics: NodeMetrics,
}

impl EventLoop {
    pub(crate) fn new(
        swarm: Swarm<Behaviour>,
        listeners: Vec<libp2p::core::transport::ListenerId>,
        store: Store,
        commands: mpsc::Receiver<Command>,
        config: Config,
        metrics: NodeMetrics,
    ) -> EventLoop {
        EventLoop {
            swarm,
            store: Some(store),
            docs: HashMap::new(),
            topics: HashMap::new(),
            commands,
            config,
            started: Instant::now(),
            listen_addrs: Vec::new(),
            listeners,
            banned: HashMap::new(),
            batching: HashSet::new(),
            direct_in_flight: HashMap::new(),
            direct_queue: HashMap::new(),
            blocked: std::collections::HashSet::new(),
            bootstrap: Vec::new(),
            metrics,
        }
    }

    /// Keeps `addrs` connected: dialled again when their connection is
    /// lost, with a backoff.
    pub(crate) fn keep_connected(&mut self, addrs: &[Multiaddr]) {
        let now = Instant::now();
        self.bootstrap = addrs
            .iter()
            .map(|addr| Bootstrap {
                addr: addr.clone(),
                peer: peer_in(addr),
                next_attempt: now + REDIAL_FIRST,
                backoff: REDIAL_FIRST,
            })
            .collect();
    }

    /// Dials the bootstrap peers that are not connected, when due.
    fn redial(&mut self) {
        let now = Instant::now();
        for b in &mut self.bootstrap {
            let connected = b.peer.is_some_and(|p| self.swarm.is_connected(&p));
            if connected {
                b.backoff = REDIAL_FIRST;
                b.next_attempt = now + REDIAL_FIRST;
                continue;
            }
            let refused = b
                .peer
                .is_some_and(|p| self.blocked.contains(&p) || self.banned.contains_key(&p));
            if refused || now < b.next_attempt {
                continue;
            }
            tracing::debug!(addr = %b.addr, "dialling a bootstrap peer again");
            if let Err(e) = self.swarm.dial(b.addr.clone()) {
                tracing::debug!(addr = %b.addr, error = %e, "could not dial");
            }
            b.next_attempt = now + b.backoff;
            b.backoff = (b.backoff * 2).min(REDIAL_MAX);
        }
    }

    fn store(&mut self) -> &mut Store {
        self.store
            .as_mut()
            .expect("the store is open until shutdown")
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    pub(crate) async fn run(mut self) {
        let mut ticker = tokio::time::interval(self.config.tick);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            let flush_at = self.flush_deadline();
            tokio::select! {
                // Local work first.
                biased;
                command = self.commands.recv() => match command {
                    Some(Command::Shutdown { reply }) => {
                        let result = self.shutdown();
                        // The swarm goes (its listeners released) before
                        // the caller hears back: a restart may reuse them.
                        drop(self);
                        let _ = reply.send(result);
                        return;
                    }
                    Some(command) => self.command(command),
                    None => {
                        // Every handle is gone.
                        let _ = self.shutdown();
                        return;
                    }
                },
                event = self.swarm.select_next_some() => self.swarm_event(event),
                _ = ticker.tick() => self.tick(),
                _ = sleep_until_ms(self.started, flush_at), if flush_at.is_some() => {
                    self.flush_batches();
                }
            }
        }
    }

    /// The earliest deadline of a publish batch.
    fn flush_deadline(&self) -> Option<u64> {
        self.batching
            .iter()
            .filter_map(|id| self.docs.get(id)?.sync.publish_deadline())
            .min()
    }

    /// Gossips the publish batches whose window ended.
    fn flush_batches(&mut self) {
        let now = self.now_ms();
        let ids: Vec<DocId> = self.batching.iter().cloned().collect();
        for id in ids {
            match self.docs.get(&id).and_then(|o| o.sync.publish_deadline()) {
                // Flushed by a tick, or the document is gone.
                None => {
                    self.batching.remove(&id);
                    continue;
                }
                Some(d) if d > now => continue,
                Some(_) => {}
            }
            self.batching.remove(&id);
            self.with_sync_as(&id, false, |sync, doc| sync.flush(doc, now));
        }
    }

    /// Sends a direct message, or queues it while `MAX_DIRECT_IN_FLIGHT`
    /// requests to the peer are unanswered; queued messages leave together,
    /// in batches, when one is answered. libp2p's request-response drops
    /// streams beyond its per-connection limit: a thousand documents
    /// greeting at once lost most of their messages to retransmission.
    fn send_direct(&mut self, to: PeerId, request: DirectRequest) {
        let queue = self.direct_queue.entry(to).or_default();
        if queue.len() >= MAX_DIRECT_QUEUED {
            // The protocol repairs what is lost (retransmission, summaries).
            queue.pop_front();
        }
        queue.push_back(request);
        self.send_queued(to);
    }

    /// Sends what waits for `peer`, in batches, while requests are free.
    fn send_queued(&mut self, peer: PeerId) {
        let limit = direct_batch_bytes(self.config.sync.max_message_bytes);
        loop {
            let in_flight = self.direct_in_flight.entry(peer).or_default();
            if *in_flight >= MAX_DIRECT_IN_FLIGHT {
                return;
            }
            let Some(queue) = self.direct_queue.get_mut(&peer) else {
                return;
            };
            let mut batch = Vec::new();
            let mut bytes = 0;
            while let Some(next) = queue.front() {
                let len = codec::framed_len(next);
                if !batch.is_empty() && bytes + len > limit {
                    break;
                }
                bytes += len;
                batch.push(queue.pop_front().expect("peeked"));
            }
            if queue.is_empty() {
                self.direct_queue.remove(&peer);
            }
            if batch.is_empty() {
                return;
            }
            *self.direct_in_flight.entry(peer).or_default() += 1;
            self.swarm.behaviour_mut().direct.send_request(&peer, batch);
        }
    }

    /// A request to `peer` was answered or failed: what waits goes.
    fn direct_done(&mut self, peer: PeerId) {
        if let Some(n) = self.direct_in_flight.get_mut(&peer) {
            *n = n.saturating_sub(1);
        }
        self.send_queued(peer);
    }

    fn shutdown(&mut self) -> Result<(), NetError> {
        // Listeners are released now (the in-memory transport keeps a
        // port taken until its listener is removed, not when dropped).
        for id in std::mem::take(&mut self.listeners) {
            self.swarm.remove_listener(id);
        }
        match self.store.take() {
            Some(store) => store.close().map_err(NetError::from),
            None => Ok(()),
        }
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Open { id, reply } => {
                let _ = reply.send(self.open(id));
            }
            Command::Edit { id, f, reply } => {
                let result = self.edit(&id, f);
                let _ = reply.send(result);
            }
            Command::Apply { id, bytes, reply } => {
                let result = if self.docs.contains_key(&id) {
                    self.touch(&id)
                        .and_then(|()| self.store().apply(&id, &bytes).map_err(NetError::from))
                } else {
                    Err(NetError::NotOpen(id.to_string()))
                };
                if result.is_ok() {
                    self.emit_events(&id);
                }
                let _ = reply.send(result);
            }
            Command::Read { id, f, reply } => {
                let result = if self.docs.contains_key(&id) {
                    let _ = self.touch(&id);
                    self.store().doc(&id).map(f).map_err(NetError::from)
                } else {
                    Err(NetError::NotOpen(id.to_string()))
                };
                let _ = reply.send(result);
            }
            Command::Status { id, reply } => {
                let _ = reply.send(self.status(&id));
            }
            Command::Close { id, reply } => {
                let result = match self.docs.remove(&id) {
                    Some(open) => {
                        self.topics.remove(&open.topic.hash());
                        self.swarm
                            .behaviour_mut()
                            .gossipsub
                            .unsubscribe(&open.topic);
                        self.store().evict(&id).map(|_| ()).map_err(NetError::from)
                    }
                    None => Err(NetError::NotOpen(id.to_string())),
                };
                let _ = reply.send(result);
            }
            Command::Dial { addr, reply } => {
                let result = self
                    .swarm
                    .dial(addr.clone())
                    .map_err(|e| NetError::Address {
                        addr: addr.to_string(),
                        detail: e.to_string(),
                    });
                let _ = reply.send(result);
            }
            Command::Disconnect { peer, reply } => {
                let _ = reply.send(self.swarm.disconnect_peer_id(peer).is_ok());
            }
            Command::Block { peer, block, reply } => {
                let list = &mut self.swarm.behaviour_mut().blocked;
                if block {
                    self.blocked.insert(peer);
                    list.block_peer(peer);
                } else {
                    self.blocked.remove(&peer);
                    if !self.banned.contains_key(&peer) {
                        list.unblock_peer(peer);
                    }
                }
                let _ = reply.send(());
            }
            Command::ListenAddrs { reply } => {
                let _ = reply.send(self.listen_addrs.clone());
            }
            Command::Stats { reply } => {
                let _ = reply.send(self.stats());
            }
            Command::Peers { reply } => {
                let _ = reply.send(self.swarm.connected_peers().copied().collect());
            }
            Command::SetPresence { id, value, reply } => {
                let _ = reply.send(self.set_presence(&id, value));
            }
            Command::GetPresence { id, reply } => {
                let result = self
                    .docs
                    .get(&id)
                    .map(|o| o.presence.snapshot())
                    .ok_or_else(|| NetError::NotOpen(id.to_string()));
                let _ = reply.send(result);
            }
            Command::Shutdown { .. } => unreachable!("handled by the loop"),
        }
    }

    fn open(&mut self, id: DocId) -> Result<(Changes, PresenceChanges), NetError> {
        if let Some(open) = self.docs.get(&id) {
            return Ok((open.changes.clone(), open.presence_changes.clone()));
        }
        let now = self.now_ms();
        let store = self.store();
        store.open_or_create(&id)?;
        store.sync_with(&id, |doc| doc.queue_events(4096))?;
        let topic = topic_of(id.as_str());
        self.swarm
            .behaviour_mut()
            .gossipsub
            .subscribe(&topic)
            .map_err(|e| NetError::Config(format!("subscribing to the document's topic: {e}")))?;
        let hash = topic.hash();
        self.topics.insert(hash.clone(), id.clone());
        let changes = LazyBroadcast::new(self.config.channel_capacity);
        let presence_changes = LazyBroadcast::new(self.config.channel_capacity);
        let mut open = OpenDoc {
            topic,
            sync: SyncState::new(self.config.sync.clone()),
            changes: changes.clone(),
            peers: BTreeSet::new(),
            presence: Presence::default(),
            presence_changes: presence_changes.clone(),
            last_used: Instant::now(),
            last_tick: Instant::now(),
        };
        // Peers already subscribed: greet them now.
        let subscribed: Vec<PeerId> = self
            .swarm
            .behaviour()
            .gossipsub
            .all_peers()
            .filter(|(_, topics)| topics.contains(&&hash))
            .map(|(p, _)| *p)
            .collect();
        let mut effects = Vec::new();
        for peer in subscribed {
            open.peers.insert(peer);
            let out = self
                .store()
                .sync_with(&id, |doc| open.sync.add_peer(doc, peer, now))?;
            effects.extend(out);
        }
        self.docs.insert(id.clone(), open);
        self.apply_effects(&id, effects);
        Ok((changes, presence_changes))
    }

    fn set_presence(&mut self, id: &DocId, value: Option<Vec<u8>>) -> Result<(), NetError> {
        if value
            .as_ref()
            .is_some_and(|v| v.is_empty() || v.len() > MAX_PRESENCE_BYTES)
        {
            return Err(NetError::Config(format!(
                "a presence value has 1 to {MAX_PRESENCE_BYTES} bytes"
            )));
        }
        let ttl = self.config.presence_ttl;
        let open = self
            .docs
            .get_mut(id)
            .ok_or_else(|| NetError::NotOpen(id.to_string()))?;
        let msg = open.presence.set(value, ttl, Instant::now());
        let topic = open.topic.hash();
        if let Err(e) = self.swarm.behaviour_mut().gossipsub.publish(topic, msg) {
            tracing::debug!(doc = %id, error = %e, "presence not sent");
        }
        Ok(())
    }

    fn presence_changed(&self, id: &DocId, events: impl IntoIterator<Item = PresenceEvent>) {
        if let Some(open) = self.docs.get(id) {
            for e in events {
                open.presence_changes.send(e);
            }
        }
    }

    /// Loads document `id` back if it was evicted (idle), with its event
    /// queue, and marks it used.
    fn touch(&mut self, id: &DocId) -> Result<(), NetError> {
        if let Some(open) = self.docs.get_mut(id) {
            open.last_used = Instant::now();
        }
        self.load(id)
    }

    /// Loads document `id` back if it was evicted, with its event queue,
    /// without marking it used (its timers run on it).
    fn load(&mut self, id: &DocId) -> Result<(), NetError> {
        let store = self.store.as_mut().ok_or(NetError::Closed)?;
        if !store.is_loaded(id) {
            store.sync_with(id, |doc| doc.queue_events(4096))?;
        }
        Ok(())
    }

    fn edit(
        &mut self,
        id: &DocId,
        f: Box<dyn FnOnce(&mut Transaction<'_>) + Send>,
    ) -> Result<(), NetError> {
        if !self.docs.contains_key(id) {
            return Err(NetError::NotOpen(id.to_string()));
        }
        self.touch(id)?;
        self.store().edit(id, f)?;
        self.publish_outbox(id);
        self.emit_events(id);
        Ok(())
    }

    /// Publishes the local deltas the store made durable.
    fn publish_outbox(&mut self, id: &DocId) {
        let now = self.now_ms();
        let Some(store) = self.store.as_mut() else {
            return;
        };
        let deltas = store.take_outbox(id);
        if deltas.is_empty() {
            return;
        }
        let Some(open) = self.docs.get_mut(id) else {
            return;
        };
        let Ok(doc) = store.doc(id) else { return };
        let metrics = &self.metrics;
        let effects: Vec<_> = deltas
            .into_iter()
            .flat_map(|d| {
                metrics.published(d.len());
                open.sync.publish_at(doc, d, now)
            })
            .collect();
        if open.sync.publish_deadline().is_some() {
            self.batching.insert(id.clone());
        }
        self.apply_effects(id, effects);
    }

    fn emit_events(&mut self, id: &DocId) {
        let Some(store) = self.store.as_mut() else {
            return;
        };
        let Ok((events, _dropped)) = store.sync_with(id, |doc| doc.take_events()) else {
            return;
        };
        if let Some(open) = self.docs.get(id) {
            for event in events {
                // No subscriber: nobody to tell.
                open.changes.send(Arc::new(event));
            }
        }
    }

    /// Runs the sync protocol on `id` with `f` and carries out its effects.
    fn with_sync(
        &mut self,
        id: &DocId,
        f: impl FnOnce(&mut SyncState<PeerId>, &mut Doc) -> Vec<Effect<PeerId>>,
    ) {
        self.with_sync_as(id, true, f);
    }

    /// [`EventLoop::with_sync`]; `used: false` for the timers, which must
    /// not keep an idle document in memory.
    fn with_sync_as(
        &mut self,
        id: &DocId,
        used: bool,
        f: impl FnOnce(&mut SyncState<PeerId>, &mut Doc) -> Vec<Effect<PeerId>>,
    ) {
        let _span = tracing::debug_span!("doc", doc = %id).entered();
        let loaded = if used { self.touch(id) } else { self.load(id) };
        if let Err(e) = loaded {
            tracing::warn!(doc = %id, error = %e, "the document could not be loaded");
            return;
        }
        let Some(open) = self.docs.get_mut(id) else {
            return;
        };
        let Some(store) = self.store.as_mut() else {
            return;
        };
        let started_before = open.sync.transfers_started();
        let step = store.sync_with(id, |doc| f(&mut open.sync, doc));
        self.metrics
            .catchups_started(open.sync.transfers_started() - started_before);
        match step {
            Ok(effects) => {
                self.apply_effects(id, effects);
                self.emit_events(id);
            }
            Err(e) => tracing::warn!(doc = %id, error = %e, "the store refused a sync step"),
        }
    }

    fn apply_effects(&mut self, id: &DocId, effects: Vec<Effect<PeerId>>) {
        for effect in effects {
            match effect {
                Effect::Gossip(bytes) => {
                    let Some(open) = self.docs.get(id) else {
                        continue;
                    };
                    let topic = open.topic.hash();
                    let len = bytes.len();
                    // No peer yet, or the same bytes again: the summary
                    // exchange repairs whatever gossip does not carry.
                    match self.swarm.behaviour_mut().gossipsub.publish(topic, bytes) {
                        Ok(_) => self.metrics.sync(Channel::Gossip, Direction::Out, len),
                        Err(e) => tracing::debug!(doc = %id, error = %e, "gossip not sent"),
                    }
                }
                Effect::Send { to, bytes } => {
                    self.metrics
                        .sync(Channel::Direct, Direction::Out, bytes.len());
                    let request = DirectRequest {
                        doc: id.to_string(),
                        bytes,
                    };
                    self.send_direct(to, request);
                }
                Effect::CutOff { peer, reason } => {
                    // Garbage, oversized or flooding: the peer is
                    // disconnected and refused for a while.
                    tracing::warn!(doc = %id, %peer, %reason, "peer cut off and banned");
                    self.metrics.cut_off();
                    self.banned
                        .insert(peer, Instant::now() + self.config.ban_duration);
                    // The block list closes its connections and refuses
                    // new ones until the ban ends (see `tick`).
                    self.swarm.behaviour_mut().blocked.block_peer(peer);
                }
            }
        }
    }

    fn tick(&mut self) {
        let now = self.now_ms();
        let ids: Vec<DocId> = self.docs.keys().cloned().collect();
        // An evicted document's timers run every eighth summary interval
        // (its slow summary); they load it, and it leaves again when idle.
        let asleep_every =
            Duration::from_millis(self.config.sync.summary_interval_ms.saturating_mul(8));
        for id in &ids {
            // Timers only matter with peers; a document alone stays asleep.
            let Some(open) = self.docs.get(id) else {
                continue;
            };
            if open.peers.is_empty() {
                continue;
            }
            let loaded = self.store.as_ref().is_some_and(|s| s.is_loaded(id));
            if !loaded && open.last_tick.elapsed() < asleep_every {
                continue;
            }
            if let Some(open) = self.docs.get_mut(id) {
                open.last_tick = Instant::now();
            }
            self.with_sync_as(id, false, |sync, doc| sync.tick(doc, now));
        }
        self.evict_idle();
        self.end_bans();
        self.redial();
        let ttl = self.config.presence_ttl;
        let instant = Instant::now();
        for id in &ids {
            let Some(open) = self.docs.get_mut(id) else {
                continue;
            };
            let gone = open.presence.expire(instant);
            let refresh = open.presence.refresh(ttl, instant);
            let topic = open.topic.hash();
            if let Some(msg) = refresh {
                let _ = self.swarm.behaviour_mut().gossipsub.publish(topic, msg);
            }
            self.presence_changed(id, gone);
        }
        if let Some(store) = self.store.as_mut() {
            if let Err(e) = store.tick() {
                tracing::warn!(error = %e, "the store could not flush");
            }
        }
        for id in &ids {
            self.publish_outbox(id);
        }
        self.metrics.set_gauges(&self.counts());
    }

    /// Lets banned peers back once their ban is over (unless the app
    /// blocked them too).
    fn end_bans(&mut self) {
        let now = Instant::now();
        let over: Vec<PeerId> = self
            .banned
            .iter()
            .filter(|(_, until)| now >= **until)
            .map(|(p, _)| *p)
            .collect();
        for peer in over {
            self.banned.remove(&peer);
            if !self.blocked.contains(&peer) {
                self.swarm.behaviour_mut().blocked.unblock_peer(peer);
            }
        }
    }

    /// The node's counts (documents, peers, bans): cheap, no walk over the
    /// documents; what the metrics' gauges show at every tick.
    fn counts(&self) -> NodeStats {
        NodeStats {
            open_docs: self.docs.len(),
            loaded_docs: self.store.as_ref().map_or(0, Store::loaded_count),
            connected_peers: self.swarm.connected_peers().count(),
            banned_peers: self
                .banned
                .values()
                .filter(|until| Instant::now() < **until)
                .count(),
            ..NodeStats::default()
        }
    }

    fn stats(&self) -> NodeStats {
        let mut stats = self.counts();
        (stats.deltas_published, stats.delta_bytes_published) = self.metrics.published_totals();
        (stats.sync_bytes_in_total, stats.sync_bytes_out_total) = self.metrics.sync_totals();
        stats.catchups_started = self.metrics.catchups_total();
        for open in self.docs.values() {
            stats.gossip_bytes_out += open.sync.gossip_bytes_out();
            for peer in &open.peers {
                if let Some(s) = open.sync.stats(peer) {
                    stats.bytes_in += s.bytes_in;
                    stats.bytes_out += s.bytes_out;
                }
            }
        }
        stats
    }

    /// Unloads documents idle for `Config::idle_evict` (they stay open and
    /// subscribed; the next use reads them back from the store).
    fn evict_idle(&mut self) {
        let Some(store) = self.store.as_mut() else {
            return;
        };
        let idle = self.config.idle_evict;
        for (id, open) in &self.docs {
            if store.is_loaded(id) && open.last_used.elapsed() >= idle {
                // Work under way stays: deltas waiting for their causes
                // live only in memory, and an evicted document's timers
                // run only every eighth summary interval.
                let waiting = store.doc(id).is_ok_and(|d| d.pending_len() > 0);
                if waiting || open.sync.is_busy() {
                    continue;
                }
                if let Err(e) = store.evict(id) {
                    tracing::warn!(doc = %id, error = %e, "could not evict an idle document");
                }
            }
        }
    }

    fn status(&mut self, id: &DocId) -> Result<SyncStatus, NetError> {
        self.touch(id)?;
        let store = self.store.as_mut().ok_or(NetError::Closed)?;
        let open = self
            .docs
            .get(id)
            .ok_or_else(|| NetError::NotOpen(id.to_string()))?;
        let doc = store.doc(id)?;
        let version = doc.version();
        let peers = open
            .peers
            .iter()
            .map(|peer| {
                let stats = open.sync.stats(peer);
                PeerStatus::new(
                    *peer,
                    &version,
                    open.sync.peer_version(peer),
                    stats.map_or(0, |s| s.bytes_in),
                    stats.map_or(0, |s| s.bytes_out),
                )
            })
            .collect();
        Ok(SyncStatus {
            pending: doc.pending_len(),
            version,
            peers,
        })
    }

    fn swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        let now = self.now_ms();
        self.metrics.record(&event);
        if let SwarmEvent::Behaviour(inner) = &event {
            match inner {
                BehaviourEvent::Gossipsub(e) => self.metrics.record(e),
                BehaviourEvent::Identify(e) => self.metrics.record(e),
                BehaviourEvent::Ping(e) => self.metrics.record(e),
                BehaviourEvent::Dcutr(e) => self.metrics.record(e),
                BehaviourEvent::RelayServer(e) => self.metrics.record(e),
                _ => {}
            }
        }
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(%address, "listening");
                if self.config.relay_server && !is_circuit(&address) {
                    // A relay serves (and hands out in reservations) its
                    // external addresses only; AutoNAT never confirms
                    // private ones. An operator who runs a relay says it
                    // is reachable where it listens.
                    self.swarm.add_external_address(address.clone());
                }
                self.listen_addrs.push(address);
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => {
                self.listen_addrs.retain(|a| a != &address);
            }
            SwarmEvent::ConnectionEstablished {
                peer_id, endpoint, ..
            } => {
                // A bootstrap address without /p2p/: learn whose it is.
                let remote = endpoint.get_remote_address();
                for b in &mut self.bootstrap {
                    if b.peer.is_none() && &b.addr == remote {
                        b.peer = Some(peer_id);
                    }
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.direct_in_flight.remove(&peer_id);
                self.direct_queue.remove(&peer_id);
                for open in self.docs.values_mut() {
                    open.peers.remove(&peer_id);
                    open.sync.remove_peer(&peer_id);
                    if let Some(e) = open.presence.remove(&peer_id) {
                        open.presence_changes.send(e);
                    }
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(event)) => match event {
                gossipsub::Event::Message {
                    propagation_source,
                    message,
                    ..
                } => {
                    let Some(id) = self.topics.get(&message.topic).cloned() else {
                        return;
                    };
                    let from = message.source.unwrap_or(propagation_source);
                    let data = message.data;
                    if Announce::is_presence(&data) {
                        let event = Announce::decode(&data).and_then(|msg| {
                            let open = self.docs.get_mut(&id)?;
                            open.presence.receive(from, msg, Instant::now())
                        });
                        self.presence_changed(&id, event);
                        return;
                    }
                    self.metrics
                        .sync(Channel::Gossip, Direction::In, data.len());
                    let _span = tracing::debug_span!("peer", peer = %from).entered();
                    // Gossip that changes nothing, asks for nothing and
                    // shows the peer has exactly this version (its idle
                    // summary) does not count as use: it must not keep an
                    // idle document in memory.
                    let mut changed = false;
                    self.with_sync_as(&id, false, |sync, doc| {
                        let before = (doc.version(), doc.pending_len());
                        let out = sync.receive_gossip(doc, from, &data, now);
                        let agree = sync.peer_version(&from) == Some(&before.0);
                        changed = !out.is_empty()
                            || !agree
                            || (doc.version(), doc.pending_len()) != before;
                        out
                    });
                    if changed {
                        if let Some(open) = self.docs.get_mut(&id) {
                            open.last_used = Instant::now();
                        }
                    }
                }
                gossipsub::Event::Subscribed { peer_id, topic } => {
                    let Some(id) = self.topics.get(&topic).cloned() else {
                        return;
                    };
                    if let Some(open) = self.docs.get_mut(&id) {
                        open.peers.insert(peer_id);
                    }
                    // A peer that comes back repairs at once: summaries
                    // are exchanged as soon as it subscribes.
                    self.with_sync(&id, |sync, doc| sync.add_peer(doc, peer_id, now));
                }
                gossipsub::Event::Unsubscribed { peer_id, topic } => {
                    if let Some(open) = self.topics.get(&topic).and_then(|id| self.docs.get_mut(id))
                    {
                        open.peers.remove(&peer_id);
                        open.sync.remove_peer(&peer_id);
                        if let Some(e) = open.presence.remove(&peer_id) {
                            open.presence_changes.send(e);
                        }
                    }
                }
                _ => {}
            },
            SwarmEvent::Behaviour(BehaviourEvent::Direct(request_response::Event::Message {
                peer,
                message,
                ..
            })) => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => {
                    let _ = self.swarm.behaviour_mut().direct.send_response(channel, ());
                    for item in request {
                        let Ok(id) = DocId::new(item.doc) else {
                            continue;
                        };
                        if self.docs.contains_key(&id) {
                            let bytes = item.bytes;
                            self.metrics
                                .sync(Channel::Direct, Direction::In, bytes.len());
                            let _span = tracing::debug_span!("peer", %peer).entered();
                            self.with_sync(&id, |sync, doc| sync.receive(doc, peer, &bytes, now));
                        }
                    }
                }
                request_response::Message::Response { .. } => self.direct_done(peer),
            },
            SwarmEvent::Behaviour(BehaviourEvent::Direct(
                request_response::Event::OutboundFailure { peer, .. },
            )) => self.direct_done(peer),
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Discovered(found))) => {
                // Opt-in LAN discovery: dial what it finds.
                for (peer, addr) in found {
                    if !self.swarm.is_connected(&peer) {
                        self.swarm.add_peer_address(peer, addr.clone());
                        if let Err(e) = self.swarm.dial(addr) {
                            tracing::debug!(%peer, error = %e, "could not dial a peer found by mDNS");
                        }
                    }
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                // So that direct messages can dial the peer back.
                for addr in info.listen_addrs {
                    self.swarm.add_peer_address(peer_id, addr);
                }
            }
            _ => {}
        }
    }
}

/// Sleeps until `at_ms` after `started` (forever when `None`; the branch
/// that awaits it is disabled then).
async fn sleep_until_ms(started: Instant, at_ms: Option<u64>) {
    match at_ms {
        Some(ms) => tokio::time::sleep_until((started + Duration::from_millis(ms)).into()).await,
        None => std::future::pending().await,
    }
}
