//! What a node knows and keeps about one peer.

use alloc::vec::Vec;

use converge_core::VersionVector;

/// A catch-up blob being sent to a peer, chunk by chunk.
#[derive(Debug)]
pub(crate) struct Outbound {
    pub(crate) id: u64,
    pub(crate) blob: Vec<u8>,
    /// Bytes the peer acknowledged.
    pub(crate) acked: u64,
    /// Bytes sent so far (≥ `acked`).
    pub(crate) sent: u64,
    /// The version the peer will have once it applies the blob.
    pub(crate) covers: VersionVector,
    /// The version the blob was computed for: it applies only on top of it.
    pub(crate) base: VersionVector,
    /// When data was last sent (for retransmission).
    pub(crate) last_activity_ms: u64,
    /// When the transfer last made progress (started or acknowledged): an
    /// outbound transfer without progress for `transfer_ttl_ms` is dropped.
    pub(crate) progress_ms: u64,
}

/// A catch-up blob being received from a peer.
#[derive(Debug)]
pub(crate) struct Inbound {
    pub(crate) id: u64,
    pub(crate) total: u64,
    pub(crate) buf: Vec<u8>,
    pub(crate) last_activity_ms: u64,
}

/// Counters a session keeps, for tests, benchmarks and dashboards.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionStats {
    /// Messages received from the peer.
    pub messages_in: u64,
    /// Bytes received from the peer.
    pub bytes_in: u64,
    /// Direct messages sent to the peer.
    pub messages_out: u64,
    /// Bytes of direct messages sent to the peer.
    pub bytes_out: u64,
    /// Catch-up transfers started towards the peer.
    pub transfers_started: u64,
    /// Transfers resumed after an interruption (not restarted).
    pub transfers_resumed: u64,
}

/// The state a node keeps per peer. Its size is bounded: at most one
/// transfer in each direction, each bounded by `Config::max_transfer_bytes`
/// (inbound) or by this node's own document (outbound).
#[derive(Debug, Default)]
pub(crate) struct Session {
    /// The join of everything the peer said it has.
    pub(crate) their_version: VersionVector,
    pub(crate) outbound: Option<Outbound>,
    pub(crate) inbound: Option<Inbound>,
    pub(crate) last_request_ms: Option<u64>,
    /// Since when the peer is known to have something this node lacks,
    /// and what it had then: asked for only if it has not arrived by
    /// gossip within the grace period.
    pub(crate) wanted: Option<(u64, VersionVector)>,
    /// Token bucket against floods: tokens left and when it was refilled.
    pub(crate) tokens: f64,
    pub(crate) refilled_ms: u64,
    pub(crate) cut_off: bool,
    /// Started by `add_peer`: a peer the transport reaches directly (the
    /// others are only heard by gossip, through other peers).
    pub(crate) linked: bool,
    /// Since when the peer, as far as this node knows, lacks something this
    /// node had a grace period ago.
    pub(crate) lagging_since_ms: Option<u64>,
    pub(crate) stats: SessionStats,
}

impl Session {
    pub(crate) fn new(now_ms: u64, burst: u32) -> Self {
        Session {
            tokens: f64::from(burst),
            refilled_ms: now_ms,
            ..Session::default()
        }
    }

    /// Takes one token; false when the peer exceeds its rate.
    pub(crate) fn take_token(&mut self, now_ms: u64, per_sec: u32) -> bool {
        let elapsed = now_ms.saturating_sub(self.refilled_ms) as f64 / 1000.0;
        self.tokens = (self.tokens + elapsed * f64::from(per_sec)).min(f64::from(per_sec));
        self.refilled_ms = now_ms;
        if self.tokens < 1.0 {
            return false;
        }
        self.tokens -= 1.0;
        true
    }
}
