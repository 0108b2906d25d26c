//! Prometheus metrics of a node: libp2p's own (bandwidth per protocol,
//! connections, gossipsub, identify, ping, relay, DCUtR) and converge's
//! (documents, peers, sync bytes by channel and direction, deltas
//! published). [`Node::metrics`](crate::Node::metrics) renders them in the
//! OpenMetrics text format that Prometheus scrapes.

use libp2p::metrics::{Metrics as Libp2pMetrics, Recorder};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use crate::status::NodeStats;

/// How sync bytes travelled.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub(crate) enum Channel {
    /// Published to (or received from) a document's gossipsub topic.
    Gossip,
    /// Sent point to point by request-response.
    Direct,
}

/// Which way.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub(crate) enum Direction {
    In,
    Out,
}

// Label values in lower case, as Prometheus names go.
impl EncodeLabelValue for Channel {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        use std::fmt::Write;
        encoder.write_str(match self {
            Channel::Gossip => "gossip",
            Channel::Direct => "direct",
        })
    }
}

impl EncodeLabelValue for Direction {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        use std::fmt::Write;
        encoder.write_str(match self {
            Direction::In => "in",
            Direction::Out => "out",
        })
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SyncLabels {
    channel: Channel,
    direction: Direction,
}

/// The metrics one event loop updates.
pub(crate) struct NodeMetrics {
    libp2p: Libp2pMetrics,
    sync_bytes: Family<SyncLabels, Counter>,
    sync_messages: Family<SyncLabels, Counter>,
    deltas_published: Counter,
    delta_bytes_published: Counter,
    peers_cut_off: Counter,
    catchups_started: Counter,
    open_docs: Gauge,
    loaded_docs: Gauge,
    connected_peers: Gauge,
    banned_peers: Gauge,
}

impl NodeMetrics {
    /// Registers every metric in `registry` (libp2p's under `libp2p_`,
    /// converge's under `converge_`).
    pub(crate) fn new(registry: &mut Registry) -> NodeMetrics {
        let libp2p = Libp2pMetrics::new(registry);
        let r = registry.sub_registry_with_prefix("converge");
        let m = NodeMetrics {
            libp2p,
            sync_bytes: Family::default(),
            sync_messages: Family::default(),
            deltas_published: Counter::default(),
            delta_bytes_published: Counter::default(),
            peers_cut_off: Counter::default(),
            catchups_started: Counter::default(),
            open_docs: Gauge::default(),
            loaded_docs: Gauge::default(),
            connected_peers: Gauge::default(),
            banned_peers: Gauge::default(),
        };
        // Every series exists from the start (at 0), so that a scrape sees
        // them before the first message.
        for channel in [Channel::Gossip, Channel::Direct] {
            for direction in [Direction::In, Direction::Out] {
                let labels = SyncLabels { channel, direction };
                m.sync_bytes.get_or_create(&labels).inc_by(0);
                m.sync_messages.get_or_create(&labels).inc_by(0);
            }
        }
        r.register_with_unit(
            "sync",
            "Sync protocol bytes by channel (gossip, direct) and direction",
            Unit::Bytes,
            m.sync_bytes.clone(),
        );
        r.register(
            "sync_messages",
            "Sync protocol messages by channel and direction",
            m.sync_messages.clone(),
        );
        r.register(
            "deltas_published",
            "Local transactions published to peers",
            m.deltas_published.clone(),
        );
        r.register_with_unit(
            "deltas_published",
            "Encoded size of the local transactions published",
            Unit::Bytes,
            m.delta_bytes_published.clone(),
        );
        r.register(
            "peers_cut_off",
            "Peers disconnected and banned for garbage, oversized or flooding messages",
            m.peers_cut_off.clone(),
        );
        r.register(
            "catchups_started",
            "Catch-up transfers this node started (a resumed or retransmitted one counts once)",
            m.catchups_started.clone(),
        );
        r.register("open_docs", "Documents open (synced)", m.open_docs.clone());
        r.register(
            "loaded_docs",
            "Documents loaded in memory",
            m.loaded_docs.clone(),
        );
        r.register(
            "connected_peers",
            "Peers connected now",
            m.connected_peers.clone(),
        );
        r.register(
            "banned_peers",
            "Peers refused now for misbehaving",
            m.banned_peers.clone(),
        );
        m
    }

    /// Records a libp2p event (swarm or behaviour) in libp2p's metrics.
    pub(crate) fn record<E>(&self, event: &E)
    where
        Libp2pMetrics: Recorder<E>,
    {
        self.libp2p.record(event);
    }

    /// Counts one sync message of `bytes` bytes.
    pub(crate) fn sync(&self, channel: Channel, direction: Direction, bytes: usize) {
        let labels = SyncLabels { channel, direction };
        self.sync_bytes.get_or_create(&labels).inc_by(bytes as u64);
        self.sync_messages.get_or_create(&labels).inc();
    }

    /// Counts a published local transaction of `bytes` bytes.
    pub(crate) fn published(&self, bytes: usize) {
        self.deltas_published.inc();
        self.delta_bytes_published.inc_by(bytes as u64);
    }

    /// Counts catch-up transfers started towards peers.
    pub(crate) fn catchups_started(&self, n: u64) {
        self.catchups_started.inc_by(n);
    }

    /// Catch-up transfers started since the node started.
    pub(crate) fn catchups_total(&self) -> u64 {
        self.catchups_started.get()
    }

    /// Counts a peer cut off.
    pub(crate) fn cut_off(&self) {
        self.peers_cut_off.inc();
    }

    /// Sets the gauges from the node's counters.
    pub(crate) fn set_gauges(&self, stats: &NodeStats) {
        let gauge = |g: &Gauge, n: usize| {
            g.set(i64::try_from(n).unwrap_or(i64::MAX));
        };
        gauge(&self.open_docs, stats.open_docs);
        gauge(&self.loaded_docs, stats.loaded_docs);
        gauge(&self.connected_peers, stats.connected_peers);
        gauge(&self.banned_peers, stats.banned_peers);
    }

    /// Sync bytes received and sent since the node started, all channels,
    /// documents and peers (the per-peer counters of [`NodeStats`] end with
    /// their sessions).
    pub(crate) fn sync_totals(&self) -> (u64, u64) {
        let total = |direction| {
            [Channel::Gossip, Channel::Direct]
                .into_iter()
                .map(|channel| {
                    self.sync_bytes
                        .get_or_create(&SyncLabels { channel, direction })
                        .get()
                })
                .sum()
        };
        (total(Direction::In), total(Direction::Out))
    }

    /// Deltas published so far: (count, bytes).
    pub(crate) fn published_totals(&self) -> (u64, u64) {
        (
            self.deltas_published.get(),
            self.delta_bytes_published.get(),
        )
    }
}
