//! Protocol limits and timers.

/// Limits and timers of a sync node. All times are milliseconds of the
/// caller's clock (`now` arguments); the protocol never reads a clock.
#[derive(Clone, Debug)]
pub struct Config {
    /// The largest message the transport carries (gossipsub's default
    /// `max_transmit_size` is 64 KiB). Fresh deltas larger than this are
    /// not gossiped (peers fetch them after the next summary); catch-up data
    /// is split into chunks that fit.
    pub max_message_bytes: usize,
    /// How often a summary (this node's version vector) is gossiped while
    /// the document changes; eight times less often while it does not and
    /// some peer is not known to have all of it. With more than 20 peers,
    /// one interval more per 20 peers (a summary reaches every peer).
    pub summary_interval_ms: u64,
    /// How long to wait for an acknowledgement before resending data, and
    /// before asking a stalled transfer to resume.
    pub retransmit_ms: u64,
    /// How long an idle transfer is kept so that it can resume.
    pub transfer_ttl_ms: u64,
    /// Bytes of a transfer sent ahead of the receiver's acknowledgements.
    pub window_bytes: usize,
    /// The largest catch-up (delta group or snapshot) accepted from a peer.
    pub max_transfer_bytes: u64,
    /// Messages accepted from one peer per second (bursts up to the same
    /// number); more is flooding and cuts the peer off.
    pub max_messages_per_sec: u32,
    /// Minimum time between two catch-up requests to one peer.
    pub request_interval_ms: u64,
    /// How long fresh edits are given to arrive by gossip before the
    /// direct channel repairs them: a node pushes a peer only what it had
    /// this long ago (what is fresher is still travelling), and asks only
    /// for what a peer had this long ago, or for the causes a pending delta
    /// has waited for this long. Without it, every summary crossing a burst
    /// of edits started a catch-up transfer duplicating the gossip.
    pub gossip_grace_ms: u64,
    /// Local deltas made within this many ms of the last one gossiped wait
    /// for the end of the window and go out together in one message
    /// (`SyncState::publish_at`); the first delta after a quiet moment goes
    /// at once. Each gossip message costs an envelope and a signature per
    /// copy, so fast typing pays one per batch instead of one per
    /// keystroke. 0 sends every delta at once.
    pub publish_batch_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_message_bytes: 64 * 1024,
            summary_interval_ms: 1_000,
            retransmit_ms: 2_000,
            transfer_ttl_ms: 60_000,
            window_bytes: 256 * 1024,
            max_transfer_bytes: 256 << 20,
            max_messages_per_sec: 2_000,
            request_interval_ms: 500,
            gossip_grace_ms: 1_000,
            publish_batch_ms: 50,
        }
    }
}

impl Config {
    /// Payload bytes per chunk: the message size less the framing.
    pub(crate) fn chunk_bytes(&self) -> usize {
        self.max_message_bytes
            .saturating_sub(crate::message::CHUNK_OVERHEAD)
            .max(1)
    }
}
