//! Ephemeral presence: who is online on a document and what they show
//! (a cursor, a selection, a name). Last-writer-wins per peer with a
//! time-to-live, carried on the document's topic, never stored.
//!
//! Wire form: `CNVP`, a layout byte (1), the sender's sequence number and
//! time-to-live in milliseconds (little-endian `u64` and `u32`), then the
//! value. Sync messages start with `CNVG`, so the two never mix.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libp2p::PeerId;

/// The largest presence value (bytes).
pub const MAX_PRESENCE_BYTES: usize = 4 << 10;

const MAGIC: &[u8; 4] = b"CNVP";
const LAYOUT: u8 = 1;
const HEADER: usize = 4 + 1 + 8 + 4;

/// A change of a peer's presence on a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresenceEvent {
    /// The peer.
    pub peer: PeerId,
    /// Its new value; `None` when it left (disconnected, cleared its
    /// presence, or was not heard from within its time-to-live).
    pub value: Option<Vec<u8>>,
}

/// A presence message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Announce {
    pub(crate) seq: u64,
    pub(crate) ttl_ms: u32,
    /// Empty: the peer cleared its presence.
    pub(crate) value: Vec<u8>,
}

impl Announce {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER + self.value.len());
        out.extend_from_slice(MAGIC);
        out.push(LAYOUT);
        out.extend_from_slice(&self.seq.to_le_bytes());
        out.extend_from_slice(&self.ttl_ms.to_le_bytes());
        out.extend_from_slice(&self.value);
        out
    }

    /// Whether `bytes` are a presence message (rather than a sync one).
    pub(crate) fn is_presence(bytes: &[u8]) -> bool {
        bytes.starts_with(MAGIC)
    }

    pub(crate) fn decode(bytes: &[u8]) -> Option<Announce> {
        if bytes.len() < HEADER || bytes.len() > HEADER + MAX_PRESENCE_BYTES {
            return None;
        }
        if !bytes.starts_with(MAGIC) || bytes[4] != LAYOUT {
            return None;
        }
        let seq = u64::from_le_bytes(bytes[5..13].try_into().ok()?);
        let ttl_ms = u32::from_le_bytes(bytes[13..17].try_into().ok()?);
        Some(Announce {
            seq,
            ttl_ms,
            value: bytes[HEADER..].to_vec(),
        })
    }
}

struct Seen {
    seq: u64,
    value: Vec<u8>,
    expires: Instant,
}

/// The presence of the peers of one document, and this node's own.
#[derive(Default)]
pub(crate) struct Presence {
    peers: HashMap<PeerId, Seen>,
    /// This node's value and the sequence number of its last message.
    mine: Option<Vec<u8>>,
    seq: u64,
    last_sent: Option<Instant>,
}

impl Presence {
    /// Sets this node's value (`None` clears it); returns the message to
    /// gossip.
    pub(crate) fn set(&mut self, value: Option<Vec<u8>>, ttl: Duration, now: Instant) -> Vec<u8> {
        self.mine = value;
        self.announce(ttl, now)
    }

    fn announce(&mut self, ttl: Duration, now: Instant) -> Vec<u8> {
        self.seq += 1;
        self.last_sent = Some(now);
        Announce {
            seq: self.seq,
            ttl_ms: u32::try_from(ttl.as_millis()).unwrap_or(u32::MAX),
            value: self.mine.clone().unwrap_or_default(),
        }
        .encode()
    }

    /// The message that keeps this node's presence alive, when due (every
    /// third of the time-to-live).
    pub(crate) fn refresh(&mut self, ttl: Duration, now: Instant) -> Option<Vec<u8>> {
        self.mine.as_ref()?;
        let due = self.last_sent.is_none_or(|t| now >= t + ttl / 3);
        due.then(|| self.announce(ttl, now))
    }

    /// Takes a message from `peer`; returns the change, if any.
    pub(crate) fn receive(
        &mut self,
        peer: PeerId,
        msg: Announce,
        now: Instant,
    ) -> Option<PresenceEvent> {
        let ttl = Duration::from_millis(u64::from(msg.ttl_ms)).min(Duration::from_secs(600));
        if self.peers.get(&peer).is_some_and(|s| s.seq >= msg.seq) {
            return None;
        }
        if msg.value.is_empty() {
            return self
                .peers
                .remove(&peer)
                .map(|_| PresenceEvent { peer, value: None });
        }
        let changed = self.peers.get(&peer).is_none_or(|s| s.value != msg.value);
        self.peers.insert(
            peer,
            Seen {
                seq: msg.seq,
                value: msg.value.clone(),
                expires: now + ttl,
            },
        );
        changed.then_some(PresenceEvent {
            peer,
            value: Some(msg.value),
        })
    }

    /// Forgets `peer` (it left).
    pub(crate) fn remove(&mut self, peer: &PeerId) -> Option<PresenceEvent> {
        self.peers.remove(peer).map(|_| PresenceEvent {
            peer: *peer,
            value: None,
        })
    }

    /// Forgets peers not heard from within their time-to-live.
    pub(crate) fn expire(&mut self, now: Instant) -> Vec<PresenceEvent> {
        let gone: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|(_, s)| now >= s.expires)
            .map(|(p, _)| *p)
            .collect();
        gone.iter().filter_map(|p| self.remove(p)).collect()
    }

    /// The peers present now and their values.
    pub(crate) fn snapshot(&self) -> Vec<(PeerId, Vec<u8>)> {
        let mut out: Vec<_> = self
            .peers
            .iter()
            .map(|(p, s)| (*p, s.value.clone()))
            .collect();
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_writer_wins_and_expiry() {
        let peer = PeerId::random();
        let now = Instant::now();
        let mut p = Presence::default();
        let msg = |seq, v: &[u8]| Announce {
            seq,
            ttl_ms: 1000,
            value: v.to_vec(),
        };
        assert!(p.receive(peer, msg(2, b"x"), now).is_some());
        assert!(
            p.receive(peer, msg(1, b"old"), now).is_none(),
            "older loses"
        );
        assert!(p.receive(peer, msg(3, b"x"), now).is_none(), "same value");
        assert_eq!(p.snapshot(), vec![(peer, b"x".to_vec())]);
        assert!(p.expire(now + Duration::from_millis(500)).is_empty());
        let gone = p.expire(now + Duration::from_millis(1000));
        assert_eq!(gone, vec![PresenceEvent { peer, value: None }]);
        assert!(Announce::decode(&msg(7, b"abc").encode()) == Some(msg(7, b"abc")));
        assert!(Announce::decode(b"CNVP").is_none());
        assert!(Announce::decode(&[0; 40]).is_none());
    }
}
