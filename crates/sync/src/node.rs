//! The sync node: one document, one session per peer, no I/O.

use alloc::vec::Vec;
use core::fmt::Debug;

use converge_core::{ApplyOutcome, Doc, Transaction, VersionVector};

use crate::config::Config;
use crate::error::SessionError;
use crate::message::Message;
use crate::session::{Inbound, Outbound, Session, SessionStats};
use crate::sessions::Sessions;

/// How often the wait between idle summaries doubles: from 8 to 64
/// summary intervals (see `SyncState::tick`).
const IDLE_SUMMARY_MAX_DOUBLINGS: u32 = 3;

/// Peers a summary interval serves; beyond, the interval grows in
/// proportion (see `SyncState::summary_interval`).
const SUMMARY_PEERS: usize = 20;

/// Framing of a `Deltas` message around its blobs, at most: the envelope
/// header, the variant tag and the count.
const BATCH_OVERHEAD: usize = converge_core::kernel::envelope::HEADER_LEN + 1 + 10;
/// Framing of one blob in a `Deltas` message, at most (its length).
const BLOB_FRAMING: usize = 5;

/// What the caller must do after feeding the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect<P> {
    /// Publish to every peer of the document's topic (gossip).
    Gossip(Vec<u8>),
    /// Send to one peer (request/response).
    Send {
        /// The peer.
        to: P,
        /// The encoded message.
        bytes: Vec<u8>,
    },
    /// Stop talking to this peer: it misbehaved. Its later messages are
    /// ignored until [`SyncNode::add_peer`] is called for it again.
    CutOff {
        /// The peer.
        peer: P,
        /// Why.
        reason: SessionError,
    },
}

/// The protocol state of one document for each of its peers, kept beside
/// the document (as automerge's `sync::State` is): every call takes the
/// document, so the application and a network driver can share one
/// document without copying it.
///
/// It takes bytes and the current time in, and returns [`Effect`]s; it never
/// touches a network or a clock, so it runs the same in a simulation, in a
/// libp2p node and in a browser. [`SyncNode`] bundles it with its document.
pub struct SyncState<P> {
    config: Config,
    sessions: Sessions<P>,
    next_transfer: u64,
    /// When the last summary was gossiped, and what it said.
    last_summary: Option<(u64, VersionVector)>,
    /// Summaries gossiped in a row while every peer was believed to have
    /// it all (each one doubles the wait for the next, up to
    /// `IDLE_SUMMARY_MAX_DOUBLINGS`).
    idle_summaries: u32,
    /// Causes that pending deltas wait for, and since when.
    pending_wait: Option<(u64, VersionVector)>,
    /// What this node had at least `gossip_grace_ms` ago (what its peers
    /// should have by now), and the sample that replaces it next.
    settled: Option<VersionVector>,
    sample: Option<(u64, VersionVector)>,
    /// Whether the message being handled came by gossip.
    via_gossip: bool,
    /// Local deltas waiting for the end of the batch window, their bytes,
    /// and when the last gossip of local deltas went out.
    outbox: Vec<Vec<u8>>,
    outbox_bytes: usize,
    last_publish_ms: Option<u64>,
    /// Catch-up transfers started, over every session this state had.
    transfers_started: u64,
    gossip_bytes_out: u64,
}

impl<P: Debug> Debug for SyncState<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SyncState")
            .field("sessions", &self.sessions)
            .finish()
    }
}

impl<P: Ord + Clone + Debug> SyncState<P> {
    /// The protocol state of a document with no peer yet.
    pub fn new(config: Config) -> Self {
        SyncState {
            config,
            sessions: Sessions::new(),
            next_transfer: 1,
            last_summary: None,
            idle_summaries: 0,
            pending_wait: None,
            settled: None,
            sample: None,
            via_gossip: false,
            outbox: Vec::new(),
            outbox_bytes: 0,
            last_publish_ms: None,
            transfers_started: 0,
            gossip_bytes_out: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Counters of the session with `peer`.
    pub fn stats(&self, peer: &P) -> Option<&SessionStats> {
        self.sessions.get(peer).map(|s| &s.stats)
    }

    /// Bytes this node has published by gossip.
    pub fn gossip_bytes_out(&self) -> u64 {
        self.gossip_bytes_out
    }

    /// Catch-up transfers this state started (a resumed or retransmitted
    /// one counts once), including those of sessions since removed.
    pub fn transfers_started(&self) -> u64 {
        self.transfers_started
    }

    /// Whether the protocol has work under way for this document: a
    /// transfer either way, a request it means to send, deltas waiting for
    /// their causes, or a peer it may have to push to. A driver that
    /// unloads idle documents keeps these loaded, so their timers run.
    pub fn is_busy(&self) -> bool {
        self.pending_wait.is_some()
            || !self.outbox.is_empty()
            || self.sessions.values().any(|s| {
                s.outbound.is_some()
                    || s.inbound.is_some()
                    || s.wanted.is_some()
                    || s.lagging_since_ms.is_some()
            })
    }

    /// What this node believes `peer` has.
    pub fn peer_version(&self, peer: &P) -> Option<&VersionVector> {
        self.sessions.get(peer).map(|s| &s.their_version)
    }

    /// The effects that publish `delta`, a transaction of `doc` committed
    /// by the caller ([`converge_core::Transaction::commit`]).
    pub fn publish(&mut self, doc: &Doc, delta: Vec<u8>) -> Vec<Effect<P>> {
        let mut out = Vec::new();
        self.publish_delta(doc, delta, &mut out);
        out
    }

    /// Like [`SyncState::publish`], batching local deltas made in quick
    /// succession (`Config::publish_batch_ms`): the first one after a quiet
    /// moment goes at once; later ones wait until the window since the last
    /// gossip ends, then go out together. The caller runs
    /// [`SyncState::flush`] at [`SyncState::publish_deadline`] (`tick` does
    /// too).
    pub fn publish_at(&mut self, doc: &Doc, delta: Vec<u8>, now_ms: u64) -> Vec<Effect<P>> {
        let mut out = Vec::new();
        let batch = self.config.publish_batch_ms;
        let quiet = self.outbox.is_empty()
            && self
                .last_publish_ms
                .is_none_or(|t| now_ms.saturating_sub(t) >= batch);
        if batch == 0 || quiet {
            self.last_publish_ms = Some(now_ms);
            self.publish_delta(doc, delta, &mut out);
            return out;
        }
        // A batch never outgrows one message; a delta too big to share
        // one goes on its own (announced by a summary when it is too big
        // for gossip at all).
        let room = self.config.max_message_bytes.saturating_sub(BATCH_OVERHEAD);
        let framed = delta.len() + BLOB_FRAMING;
        if self.outbox_bytes + framed > room {
            self.flush_into(doc, now_ms, &mut out);
        }
        if framed > room {
            self.last_publish_ms = Some(now_ms);
            self.publish_delta(doc, delta, &mut out);
            return out;
        }
        self.outbox_bytes += framed;
        self.outbox.push(delta);
        out
    }

    /// When the local deltas waiting in the batch must go out (`None`:
    /// nothing waits).
    pub fn publish_deadline(&self) -> Option<u64> {
        (!self.outbox.is_empty()).then(|| {
            self.last_publish_ms
                .unwrap_or(0)
                .saturating_add(self.config.publish_batch_ms)
        })
    }

    /// Gossips the local deltas waiting in the batch now.
    pub fn flush(&mut self, doc: &Doc, now_ms: u64) -> Vec<Effect<P>> {
        let mut out = Vec::new();
        self.flush_into(doc, now_ms, &mut out);
        out
    }

    fn flush_into(&mut self, doc: &Doc, now_ms: u64, out: &mut Vec<Effect<P>>) {
        let mut deltas = core::mem::take(&mut self.outbox);
        self.outbox_bytes = 0;
        if deltas.is_empty() {
            return;
        }
        self.last_publish_ms = Some(now_ms);
        if deltas.len() == 1 {
            let delta = deltas.pop().expect("one");
            self.publish_delta(doc, delta, out);
            return;
        }
        let msg = Message::Deltas { deltas }.encode();
        self.gossip_bytes_out += msg.len() as u64;
        out.push(Effect::Gossip(msg));
    }

    fn publish_delta(&mut self, doc: &Doc, delta: Vec<u8>, out: &mut Vec<Effect<P>>) {
        let msg = Message::Delta { delta }.encode();
        let msg = if msg.len() <= self.config.max_message_bytes {
            msg
        } else {
            // Too big for gossip: announce the new version instead; peers
            // fetch the delta point to point.
            Message::Summary {
                version: doc.version(),
            }
            .encode()
        };
        self.gossip_bytes_out += msg.len() as u64;
        out.push(Effect::Gossip(msg));
    }

    /// Starts (or restarts, after a reconnection) the session with `peer`
    /// and greets it with this node's summary.
    pub fn add_peer(&mut self, doc: &Doc, peer: P, now_ms: u64) -> Vec<Effect<P>> {
        let mut session = Session::new(now_ms, self.config.max_messages_per_sec);
        session.linked = true;
        self.sessions.insert(peer.clone(), session);
        let mut out = Vec::new();
        let hello = Message::Summary {
            version: doc.version(),
        };
        self.send(&peer, &hello, &mut out);
        out
    }

    /// The peers added ([`SyncState::add_peer`]) and not removed, sorted.
    pub fn peers(&self) -> impl Iterator<Item = &P> + '_ {
        self.sessions
            .iter()
            .filter(|(_, s)| s.linked)
            .map(|(p, _)| p)
    }

    /// Forgets `peer` (disconnected for good).
    pub fn remove_peer(&mut self, peer: &P) {
        self.sessions.remove(peer);
    }

    fn session(&mut self, peer: &P, now_ms: u64) -> &mut Session {
        let burst = self.config.max_messages_per_sec;
        self.sessions
            .get_or_insert_with(peer, || Session::new(now_ms, burst))
    }

    fn send(&mut self, to: &P, msg: &Message, out: &mut Vec<Effect<P>>) {
        let bytes = msg.encode();
        if let Some(s) = self.sessions.get_mut(to) {
            s.stats.messages_out += 1;
            s.stats.bytes_out += bytes.len() as u64;
        }
        out.push(Effect::Send {
            to: to.clone(),
            bytes,
        });
    }

    fn cut_off(&mut self, peer: &P, reason: SessionError, out: &mut Vec<Effect<P>>) {
        if let Some(s) = self.sessions.get_mut(peer) {
            s.cut_off = true;
            s.inbound = None;
            s.outbound = None;
        }
        out.push(Effect::CutOff {
            peer: peer.clone(),
            reason,
        });
    }

    /// Handles bytes that `from` published to every peer of the document
    /// (gossip), where a transport tells the two channels apart: a summary
    /// that arrives by gossip reaches every peer at once, so it never
    /// starts a push (every peer would push the same data); the node that
    /// lacks something asks one peer for it (see [`SyncState::tick`]).
    pub fn receive_gossip(
        &mut self,
        doc: &mut Doc,
        from: P,
        bytes: &[u8],
        now_ms: u64,
    ) -> Vec<Effect<P>> {
        self.via_gossip = true;
        let out = self.receive(doc, from, bytes, now_ms);
        self.via_gossip = false;
        out
    }

    /// Handles bytes that arrived from `from` (directly, or by gossip on a
    /// transport that does not tell the two apart).
    pub fn receive(&mut self, doc: &mut Doc, from: P, bytes: &[u8], now_ms: u64) -> Vec<Effect<P>> {
        let mut out = Vec::new();
        let per_sec = self.config.max_messages_per_sec;
        let s = self.session(&from, now_ms);
        if s.cut_off {
            return out;
        }
        s.stats.messages_in += 1;
        s.stats.bytes_in += bytes.len() as u64;
        if !s.take_token(now_ms, per_sec) {
            self.cut_off(&from, SessionError::Flooding, &mut out);
            return out;
        }
        if bytes.len() > self.config.max_message_bytes {
            self.cut_off(&from, SessionError::Oversized(bytes.len() as u64), &mut out);
            return out;
        }
        let msg = match Message::decode(bytes) {
            Ok(m) => m,
            Err(e) => {
                self.cut_off(&from, SessionError::Garbage(e), &mut out);
                return out;
            }
        };
        self.handle(doc, from, msg, now_ms, &mut out);
        out
    }

    fn handle(
        &mut self,
        doc: &mut Doc,
        from: P,
        msg: Message,
        now_ms: u64,
        out: &mut Vec<Effect<P>>,
    ) {
        match msg {
            Message::Summary { version } => {
                let lacking = !doc.version().dominates(&version);
                let busy = self.catching_up(now_ms);
                let s = self.session(&from, now_ms);
                // A summary states what the peer has now. It replaces what
                // was known (not joined): after a crash and restart from a
                // snapshot a peer may have less than it once acknowledged,
                // and a stale belief would keep it from ever being repaired.
                s.their_version = version;
                if !lacking {
                    return;
                }
                // The peer has something this node lacks. A summary that
                // came directly (a new session's greeting, after a partition
                // or a restart) is answered with a request at once, unless
                // another peer is already sending a catch-up: the node pulls
                // each missing range once, from one peer, however many peers
                // greet it. What a gossiped summary announces usually
                // arrives by gossip: it is asked for only if it has not come
                // within the grace period (see `tick`).
                if s.wanted.is_none() {
                    s.wanted = Some((now_ms, s.their_version.clone()));
                }
                if !self.via_gossip && !busy {
                    self.request(doc, &from, now_ms, out);
                }
            }
            Message::Delta { delta } => match doc.apply(&delta) {
                // Its causes are usually a gossip message behind: `tick`
                // asks for them if they have not come within the grace.
                Ok(_) => {}
                Err(e) => self.cut_off(&from, SessionError::Refused(e), out),
            },
            Message::Deltas { deltas } => {
                for delta in deltas {
                    if let Err(e) = doc.apply(&delta) {
                        self.cut_off(&from, SessionError::Refused(e), out);
                        return;
                    }
                }
            }
            Message::Request { have } => {
                let ours = doc.version();
                let retransmit = self.config.retransmit_ms;
                let s = self.session(&from, now_ms);
                s.their_version = have.clone();
                let theirs = have;
                // A transfer in flight that, with what the peer has, covers
                // everything here already answers the request (requests
                // cross pushes after every partition).
                let busy = s.outbound.as_ref().is_some_and(|o| {
                    let mut after = o.covers.clone();
                    after.join(&theirs);
                    now_ms.saturating_sub(o.last_activity_ms) < retransmit
                        && theirs.dominates(&o.base)
                        && after.dominates(&ours)
                });
                if !busy {
                    self.start_transfer(doc, &from, &theirs, now_ms, out);
                }
            }
            Message::Chunk {
                transfer,
                offset,
                total,
                data,
            } => self.on_chunk(doc, &from, transfer, offset, total, data, now_ms, out),
            Message::ChunkAck { transfer, next } => {
                let s = self.session(&from, now_ms);
                let Some(ob) = s.outbound.as_mut().filter(|o| o.id == transfer) else {
                    return;
                };
                let total = ob.blob.len() as u64;
                ob.acked = ob.acked.max(next.min(total));
                ob.sent = ob.sent.max(ob.acked);
                ob.last_activity_ms = now_ms;
                ob.progress_ms = now_ms;
                if ob.acked == total {
                    // Acknowledged in full: the peer applied all of it.
                    let covers = s.outbound.take().expect("matched").covers;
                    s.their_version.join(&covers);
                } else {
                    self.send_window(&from, now_ms, out);
                }
            }
            Message::Resume { transfer, offset } => {
                let s = self.session(&from, now_ms);
                match s.outbound.as_mut().filter(|o| o.id == transfer) {
                    Some(ob) => {
                        ob.acked = offset.min(ob.blob.len() as u64);
                        ob.sent = ob.acked;
                        s.stats.transfers_resumed += 1;
                        self.send_window(&from, now_ms, out);
                    }
                    None => self.send(&from, &Message::TransferGone { transfer }, out),
                }
            }
            Message::TransferGone { transfer } => {
                let s = self.session(&from, now_ms);
                if s.inbound.as_ref().is_some_and(|i| i.id == transfer) {
                    s.inbound = None;
                    s.last_request_ms = None;
                    self.request(doc, &from, now_ms, out);
                }
            }
            Message::Ack { version } => {
                let s = self.session(&from, now_ms);
                s.their_version.join(&version);
                if s.outbound
                    .as_ref()
                    .is_some_and(|o| s.their_version.dominates(&o.covers))
                {
                    s.outbound = None;
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_chunk(
        &mut self,
        doc: &mut Doc,
        from: &P,
        transfer: u64,
        offset: u64,
        total: u64,
        data: Vec<u8>,
        now_ms: u64,
        out: &mut Vec<Effect<P>>,
    ) {
        if total > self.config.max_transfer_bytes {
            self.cut_off(from, SessionError::Oversized(total), out);
            return;
        }
        let s = self.session(from, now_ms);
        let known = s
            .inbound
            .as_ref()
            .is_some_and(|i| i.id == transfer && i.total == total);
        if !known {
            if offset != 0 {
                // A transfer this node lost track of: start it over.
                self.send(
                    from,
                    &Message::Resume {
                        transfer,
                        offset: 0,
                    },
                    out,
                );
                return;
            }
            s.inbound = Some(Inbound {
                id: transfer,
                total,
                buf: Vec::new(),
                last_activity_ms: now_ms,
            });
        }
        let ib = s.inbound.as_mut().expect("just ensured");
        if offset == ib.buf.len() as u64 {
            ib.buf.extend_from_slice(&data);
            ib.last_activity_ms = now_ms;
        }
        let next = ib.buf.len() as u64;
        if next < ib.total {
            self.send(from, &Message::ChunkAck { transfer, next }, out);
            return;
        }
        let blob = self
            .sessions
            .get_mut(from)
            .and_then(|s| s.inbound.take())
            .expect("inbound present")
            .buf;
        match doc.apply(&blob) {
            Ok(outcome) => {
                let version = doc.version();
                if let Some(s) = self.sessions.get_mut(from) {
                    if version.dominates(&s.their_version) {
                        s.wanted = None;
                    }
                }
                // Applied in full, this node has everything the sender had
                // when it started: a `ChunkAck` at the end says so without a
                // version vector. A group that waits for causes gets an
                // `Ack` with what this node has instead.
                let ack = match outcome {
                    ApplyOutcome::Pending => Message::Ack { version },
                    _ => Message::ChunkAck {
                        transfer,
                        next: total,
                    },
                };
                self.send(from, &ack, out);
                if outcome == ApplyOutcome::Pending {
                    self.request(doc, from, now_ms, out);
                }
            }
            Err(e) => self.cut_off(from, SessionError::Refused(e), out),
        }
    }

    /// What this node had at least a grace period ago (everything it had
    /// when first asked counts as old), sampled again every grace period.
    fn settled(&mut self, doc: &Doc, now_ms: u64) -> VersionVector {
        let grace = self.config.gossip_grace_ms;
        match &self.sample {
            None => {
                let v = doc.version();
                self.settled = Some(v.clone());
                self.sample = Some((now_ms, v));
            }
            Some((at, _)) if now_ms.saturating_sub(*at) >= grace => {
                let (_, v) = self.sample.take().expect("matched");
                self.settled = Some(v);
                self.sample = Some((now_ms, doc.version()));
            }
            Some(_) => {}
        }
        self.settled.clone().expect("set above")
    }

    /// Sends `peer` what it lacks, unless a transfer is already under way.
    fn push(&mut self, doc: &mut Doc, peer: &P, now_ms: u64, out: &mut Vec<Effect<P>>) {
        let retransmit = self.config.retransmit_ms;
        let s = self.session(peer, now_ms);
        // Keep a transfer under way if it still applies on top of what the
        // peer has (a peer that restarted may have lost part of its base).
        if s.outbound.as_ref().is_some_and(|o| {
            now_ms.saturating_sub(o.last_activity_ms) < retransmit
                && s.their_version.dominates(&o.base)
        }) {
            return;
        }
        let theirs = s.their_version.clone();
        self.start_transfer(doc, peer, &theirs, now_ms, out);
    }

    fn start_transfer(
        &mut self,
        doc: &mut Doc,
        peer: &P,
        theirs: &VersionVector,
        now_ms: u64,
        out: &mut Vec<Effect<P>>,
    ) {
        let Some(blob) = doc.encode_since(theirs) else {
            return;
        };
        let id = self.next_transfer;
        self.next_transfer += 1;
        let covers = doc.version();
        self.transfers_started += 1;
        let s = self.session(peer, now_ms);
        s.stats.transfers_started += 1;
        s.outbound = Some(Outbound {
            id,
            blob,
            acked: 0,
            sent: 0,
            covers,
            base: theirs.clone(),
            last_activity_ms: now_ms,
            progress_ms: now_ms,
        });
        self.send_window(peer, now_ms, out);
    }

    fn send_window(&mut self, peer: &P, now_ms: u64, out: &mut Vec<Effect<P>>) {
        let chunk = self.config.chunk_bytes() as u64;
        let window = self.config.window_bytes as u64;
        let mut msgs = Vec::new();
        if let Some(ob) = self
            .sessions
            .get_mut(peer)
            .and_then(|s| s.outbound.as_mut())
        {
            let total = ob.blob.len() as u64;
            ob.last_activity_ms = now_ms;
            while ob.sent < total && (ob.sent == ob.acked || ob.sent - ob.acked < window) {
                let end = (ob.sent + chunk).min(total);
                msgs.push(Message::Chunk {
                    transfer: ob.id,
                    offset: ob.sent,
                    total,
                    data: ob.blob[ob.sent as usize..end as usize].to_vec(),
                });
                ob.sent = end;
            }
        }
        for m in msgs {
            self.send(peer, &m, out);
        }
    }

    /// How often a summary goes out while the document changes: every
    /// `summary_interval_ms` with up to `SUMMARY_PEERS` peers, and in
    /// proportion to their number beyond. A summary reaches every peer of
    /// the document, so a fixed interval made their traffic grow with the
    /// square of the peers' number (at 50 nodes, half of all bytes); this
    /// keeps it linear, and lost gossip is repaired that much later.
    fn summary_interval(&self) -> u64 {
        let peers = self.sessions.values().filter(|s| !s.cut_off).count();
        let factor = peers.div_ceil(SUMMARY_PEERS).max(1) as u64;
        self.config.summary_interval_ms.saturating_mul(factor)
    }

    /// One catch-up at a time: while one peer answers a request or sends
    /// a transfer, the others are not asked for the same data.
    fn catching_up(&self, now_ms: u64) -> bool {
        let retransmit = self.config.retransmit_ms;
        self.sessions.values().any(|s| {
            !s.cut_off
                && (s
                    .last_request_ms
                    .is_some_and(|t| now_ms.saturating_sub(t) < retransmit)
                    || s.inbound
                        .as_ref()
                        .is_some_and(|i| now_ms.saturating_sub(i.last_activity_ms) < retransmit))
        })
    }

    fn request(&mut self, doc: &mut Doc, peer: &P, now_ms: u64, out: &mut Vec<Effect<P>>) {
        let interval = self.config.request_interval_ms;
        let retransmit = self.config.retransmit_ms;
        let s = self.session(peer, now_ms);
        let recent = s
            .last_request_ms
            .is_some_and(|t| now_ms.saturating_sub(t) < interval);
        let receiving = s
            .inbound
            .as_ref()
            .is_some_and(|i| now_ms.saturating_sub(i.last_activity_ms) < retransmit);
        if recent || receiving {
            return;
        }
        s.last_request_ms = Some(now_ms);
        let have = doc.version();
        self.send(peer, &Message::Request { have }, out);
    }

    /// Runs the timers: periodic summaries, retransmission and resumption
    /// of transfers, requests for what pending deltas wait for, and
    /// trimming of the delta log to what every peer has.
    pub fn tick(&mut self, doc: &mut Doc, now_ms: u64) -> Vec<Effect<P>> {
        let mut out = Vec::new();
        if self.publish_deadline().is_some_and(|d| d <= now_ms) {
            self.flush_into(doc, now_ms, &mut out);
        }
        // A summary goes to every peer of the document, so its cost grows
        // with the square of their number: it is gossiped every interval
        // while the document changes, and every eighth interval while it
        // does not (to repair a peer that lost the last delta and summary).
        let interval = self.summary_interval();
        let version = doc.version();
        // When every peer has said it has all of this node's version, the
        // slow summary thins out: each one doubles the wait for the next,
        // up to 64 intervals (a node holding 10,000 idle documents gossiped
        // 1,250 summaries a second at every eighth interval). It never
        // stops: what a peer said may be stale. A peer that restarted from
        // an older save, whose greeting was lost and whose old messages
        // arrived late, is believed to have what it lost, and only its own
        // summary corrects that (a convergence fuzz case waited forever).
        let everyone_has = || {
            !self.sessions.is_empty()
                && self
                    .sessions
                    .values()
                    .filter(|s| !s.cut_off)
                    .all(|s| s.their_version.dominates(&version))
        };
        let mut idle = false;
        let due = match &self.last_summary {
            None => true,
            Some((t, said)) => {
                let elapsed = now_ms.saturating_sub(*t);
                let slow = interval.saturating_mul(8);
                if elapsed >= interval && *said != version {
                    true
                } else if elapsed < slow {
                    false
                } else if !everyone_has() {
                    true
                } else {
                    idle = true;
                    let doublings = self.idle_summaries.min(IDLE_SUMMARY_MAX_DOUBLINGS);
                    elapsed >= slow.saturating_mul(1 << doublings)
                }
            }
        };
        if due {
            self.idle_summaries = if idle {
                self.idle_summaries.saturating_add(1)
            } else {
                0
            };
            self.last_summary = Some((now_ms, version.clone()));
            let msg = Message::Summary { version }.encode();
            self.gossip_bytes_out += msg.len() as u64;
            out.push(Effect::Gossip(msg));
        }
        let peers: Vec<P> = self.sessions.keys().cloned().collect();
        let (retransmit, ttl) = (self.config.retransmit_ms, self.config.transfer_ttl_ms);
        for peer in &peers {
            let s = self.sessions.get_mut(peer).expect("listed");
            if s.cut_off {
                continue;
            }
            let mut resend = false;
            if let Some(ob) = &mut s.outbound {
                let idle = now_ms.saturating_sub(ob.last_activity_ms);
                if now_ms.saturating_sub(ob.progress_ms) >= ttl {
                    s.outbound = None;
                } else if idle >= retransmit {
                    ob.sent = ob.acked;
                    resend = true;
                }
            }
            let mut resume = None;
            if let Some(ib) = &mut s.inbound {
                let idle = now_ms.saturating_sub(ib.last_activity_ms);
                if idle >= ttl {
                    s.inbound = None;
                } else if idle >= retransmit {
                    ib.last_activity_ms = now_ms;
                    resume = Some(Message::Resume {
                        transfer: ib.id,
                        offset: ib.buf.len() as u64,
                    });
                }
            }
            if resend {
                self.send_window(peer, now_ms, &mut out);
            }
            if let Some(m) = resume {
                self.send(peer, &m, &mut out);
            }
        }
        self.settled(doc, now_ms);
        let ours = doc.version();
        let grace = self.config.gossip_grace_ms;
        let mut catching_up = self.catching_up(now_ms);
        // A neighbour that has lacked old data for two grace periods gets
        // it pushed: gossip did not bring it (a lost message, or a mesh
        // that left the peer out), and the peer may not know it lacks it.
        let settled = self.settled.clone().expect("sampled above");
        // A peer's summaries come every `summary_interval`: what it has is
        // known that late.
        let patience = grace.max(interval).saturating_mul(2);
        for peer in &peers {
            let s = self.sessions.get_mut(peer).expect("listed");
            if !s.linked || s.cut_off || s.their_version.dominates(&settled) {
                s.lagging_since_ms = None;
                continue;
            }
            let since = *s.lagging_since_ms.get_or_insert(now_ms);
            if now_ms.saturating_sub(since) >= patience {
                s.lagging_since_ms = None;
                self.push(doc, peer, now_ms, &mut out);
            }
        }
        // Ask only peers the transport reaches directly (`add_peer`); a
        // transport that never says which those are lets every peer be asked.
        let any_linked = self.sessions.values().any(|s| s.linked);
        let askable = |s: &Session| !s.cut_off && (s.linked || !any_linked);
        for peer in &peers {
            let s = self.sessions.get_mut(peer).expect("listed");
            let Some((since, wanted)) = &s.wanted else {
                continue;
            };
            if s.cut_off || ours.dominates(&s.their_version) {
                s.wanted = None;
            } else if ours.dominates(wanted) {
                // What the peer had then arrived; watch what it has now.
                s.wanted = Some((now_ms, s.their_version.clone()));
            } else if now_ms.saturating_sub(*since) >= grace && !catching_up && askable(s) {
                s.wanted = Some((now_ms, wanted.clone()));
                self.request(doc, peer, now_ms, &mut out);
                catching_up = true;
            }
        }
        if doc.pending_len() == 0 {
            self.pending_wait = None;
        } else {
            let missing = doc.missing();
            match &self.pending_wait {
                Some((since, waited)) if !ours.dominates(waited) => {
                    if now_ms.saturating_sub(*since) >= grace.min(retransmit) && !catching_up {
                        let best = peers
                            .iter()
                            .filter(|p| askable(&self.sessions[*p]))
                            .find(|p| self.sessions[*p].their_version.dominates(&missing))
                            .or_else(|| peers.iter().find(|p| askable(&self.sessions[*p])))
                            .cloned();
                        if let Some(peer) = best {
                            self.pending_wait = Some((now_ms, waited.clone()));
                            self.request(doc, &peer, now_ms, &mut out);
                        }
                    }
                }
                // New causes to wait for (the old ones arrived).
                _ => self.pending_wait = Some((now_ms, missing)),
            }
        }
        if !self.sessions.is_empty() {
            let mut everyone: Option<VersionVector> = None;
            for s in self.sessions.values().filter(|s| !s.cut_off) {
                everyone = Some(match everyone {
                    None => s.their_version.clone(),
                    Some(v) => v.meet(&s.their_version),
                });
            }
            if let Some(v) = everyone {
                doc.trim_log(&v);
            }
        }
        out
    }
}

/// A document and its [`SyncState`] together: the simplest way to drive
/// one document's sync.
///
/// ```
/// use converge_core::{Doc, ReplicaId};
/// use converge_sync::{Config, Effect, SyncNode};
///
/// let mut a = SyncNode::new(Doc::new(ReplicaId::new(1)), Config::default());
/// let mut b = SyncNode::new(Doc::new(ReplicaId::new(2)), Config::default());
/// a.edit(|tx| tx.counter("clicks").add(3)).0.unwrap();
///
/// // Deliver every effect to the other node until nothing is left.
/// let mut queue: Vec<(bool, Vec<u8>)> = Vec::new(); // (to_b, bytes)
/// let route = |to_b: bool, effects: Vec<Effect<&str>>, q: &mut Vec<(bool, Vec<u8>)>| {
///     for e in effects {
///         match e {
///             Effect::Gossip(bytes) | Effect::Send { bytes, .. } => q.push((to_b, bytes)),
///             Effect::CutOff { .. } => unreachable!(),
///         }
///     }
/// };
/// route(true, a.tick(0), &mut queue);
/// route(false, b.tick(0), &mut queue);
/// while let Some((to_b, bytes)) = queue.pop() {
///     if to_b {
///         let out = b.receive("a", &bytes, 1);
///         route(false, out, &mut queue);
///     } else {
///         let out = a.receive("b", &bytes, 1);
///         route(true, out, &mut queue);
///     }
/// }
/// assert_eq!(a.doc().snapshot(), b.doc().snapshot());
/// ```
pub struct SyncNode<P> {
    doc: Doc,
    sync: SyncState<P>,
}

impl<P: Debug> Debug for SyncNode<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SyncNode")
            .field("version", &self.doc.version())
            .field("pending", &self.doc.pending_len())
            .field("missing", &self.doc.missing())
            .field("sync", &self.sync)
            .finish()
    }
}

impl<P: Ord + Clone + Debug> SyncNode<P> {
    /// A node around `doc`.
    pub fn new(doc: Doc, config: Config) -> Self {
        SyncNode {
            doc,
            sync: SyncState::new(config),
        }
    }

    /// The document.
    pub fn doc(&self) -> &Doc {
        &self.doc
    }

    /// The protocol state.
    pub fn sync(&self) -> &SyncState<P> {
        &self.sync
    }

    /// Gives the document back.
    pub fn into_doc(self) -> Doc {
        self.doc
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        self.sync.config()
    }

    /// Counters of the session with `peer`.
    pub fn stats(&self, peer: &P) -> Option<&SessionStats> {
        self.sync.stats(peer)
    }

    /// Bytes this node has published by gossip.
    pub fn gossip_bytes_out(&self) -> u64 {
        self.sync.gossip_bytes_out()
    }

    /// What this node believes `peer` has.
    pub fn peer_version(&self, peer: &P) -> Option<&VersionVector> {
        self.sync.peer_version(peer)
    }

    /// Edits the document in one transaction and returns the effects that
    /// publish it.
    pub fn edit<R>(&mut self, f: impl FnOnce(&mut Transaction<'_>) -> R) -> (R, Vec<Effect<P>>) {
        let mut tx = self.doc.transact();
        let result = f(&mut tx);
        let out = match tx.commit() {
            Some(delta) => self.sync.publish(&self.doc, delta),
            None => Vec::new(),
        };
        (result, out)
    }

    /// Starts (or restarts, after a reconnection) the session with `peer`
    /// and greets it with this node's summary.
    pub fn add_peer(&mut self, peer: P, now_ms: u64) -> Vec<Effect<P>> {
        self.sync.add_peer(&self.doc, peer, now_ms)
    }

    /// Forgets `peer` (disconnected for good).
    pub fn remove_peer(&mut self, peer: &P) {
        self.sync.remove_peer(peer);
    }

    /// Handles bytes `from` published by gossip
    /// ([`SyncState::receive_gossip`]).
    pub fn receive_gossip(&mut self, from: P, bytes: &[u8], now_ms: u64) -> Vec<Effect<P>> {
        self.sync.receive_gossip(&mut self.doc, from, bytes, now_ms)
    }

    /// Handles bytes that arrived from `from` (by gossip or directly).
    pub fn receive(&mut self, from: P, bytes: &[u8], now_ms: u64) -> Vec<Effect<P>> {
        self.sync.receive(&mut self.doc, from, bytes, now_ms)
    }

    /// Runs the timers (see [`SyncState::tick`]).
    pub fn tick(&mut self, now_ms: u64) -> Vec<Effect<P>> {
        self.sync.tick(&mut self.doc, now_ms)
    }
}
