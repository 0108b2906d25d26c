//! Where a document stands with each of its peers.

use converge_core::VersionVector;
use libp2p::PeerId;

/// How this node's copy of a document compares with a peer's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// Both have the same edits.
    InSync,
    /// The peer has edits this node lacks.
    Behind,
    /// This node has edits the peer lacks.
    Ahead,
    /// Each has edits the other lacks.
    Diverged,
    /// The peer has not said what it has yet.
    Unknown,
}

/// One peer of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PeerStatus {
    /// The peer.
    pub peer: PeerId,
    /// How the two copies compare.
    pub relation: Relation,
    /// Operations (dots) this node has and the peer lacks, as far as this
    /// node knows.
    pub they_lack: u64,
    /// Operations the peer has and this node lacks.
    pub we_lack: u64,
    /// Sync bytes received from the peer for this document.
    pub bytes_in: u64,
    /// Sync bytes sent to the peer for this document.
    pub bytes_out: u64,
}

impl PeerStatus {
    pub(crate) fn new(
        peer: PeerId,
        ours: &VersionVector,
        theirs: Option<&VersionVector>,
        bytes_in: u64,
        bytes_out: u64,
    ) -> PeerStatus {
        let (relation, they_lack, we_lack) = match theirs {
            None => (Relation::Unknown, 0, 0),
            Some(theirs) => {
                let they_lack = lacking(ours, theirs);
                let we_lack = lacking(theirs, ours);
                let relation = match (they_lack, we_lack) {
                    (0, 0) => Relation::InSync,
                    (0, _) => Relation::Behind,
                    (_, 0) => Relation::Ahead,
                    _ => Relation::Diverged,
                };
                (relation, they_lack, we_lack)
            }
        };
        PeerStatus {
            peer,
            relation,
            they_lack,
            we_lack,
            bytes_in,
            bytes_out,
        }
    }
}

/// Dots of `a` that `b` lacks.
fn lacking(a: &VersionVector, b: &VersionVector) -> u64 {
    a.iter().map(|(r, n)| n.saturating_sub(b.get(r))).sum()
}

/// A document's sync status on this node.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncStatus {
    /// This node's version of the document.
    pub version: VersionVector,
    /// Remote deltas waiting for their causes.
    pub pending: usize,
    /// The peers subscribed to the document.
    pub peers: Vec<PeerStatus>,
}

impl SyncStatus {
    /// Whether every known peer has exactly this node's edits.
    pub fn in_sync(&self) -> bool {
        self.pending == 0 && self.peers.iter().all(|p| p.relation == Relation::InSync)
    }
}

/// Counters of a whole node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NodeStats {
    /// Documents open (subscribed and synced).
    pub open_docs: usize,
    /// Documents loaded in memory (the others wait in the store).
    pub loaded_docs: usize,
    /// Peers connected now.
    pub connected_peers: usize,
    /// Peers refused for misbehaving.
    pub banned_peers: usize,
    /// Sync bytes received, all documents and peers.
    pub bytes_in: u64,
    /// Sync bytes sent directly, all documents and peers.
    pub bytes_out: u64,
    /// Sync bytes published by gossip (counted once per message).
    pub gossip_bytes_out: u64,
    /// Local transactions published to peers.
    pub deltas_published: u64,
    /// Their encoded size: what an ideal network delivers once to every
    /// other peer.
    pub delta_bytes_published: u64,
    /// Sync bytes received since the node started (gossip and direct,
    /// every document and peer, including peers gone since).
    pub sync_bytes_in_total: u64,
    /// Sync bytes sent since the node started (a gossip message counted
    /// once).
    pub sync_bytes_out_total: u64,
    /// Catch-up transfers this node started sending since it started (a
    /// resumed transfer counts once).
    pub catchups_started: u64,
}
