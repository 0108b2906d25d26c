//! A lossless network that delivers in *hops*: every message queued before
//! a hop is delivered in that hop, in queue order; replies wait for the
//! next hop. A round trip is two hops. Used to count round trips and bytes.

use converge_core::Doc;
use converge_sync::{Config, Effect, Message, SyncNode};

/// One delivered message.
#[derive(Clone, Debug)]
pub struct Delivered {
    /// Sender.
    pub from: usize,
    /// Receiver.
    pub to: usize,
    /// The decoded message.
    pub message: Message,
    /// Its encoded length in bytes (envelope included).
    pub len: usize,
}

/// Sync nodes on a hop-by-hop network.
pub struct HopNet {
    /// The nodes, by index.
    pub nodes: Vec<SyncNode<usize>>,
    /// Messages waiting for the next hop: (from, to, bytes).
    pub queue: Vec<(usize, usize, Vec<u8>)>,
    /// The clock passed to the nodes, in ms.
    pub now: u64,
    /// The side of each node while partitioned; messages between sides are
    /// lost. `None`: everyone is connected.
    pub sides: Option<Vec<u8>>,
    /// Every delivered message, in order.
    pub delivered: Vec<Delivered>,
}

impl HopNet {
    /// Nodes around `docs`, all with `config`.
    pub fn new(docs: Vec<Doc>, config: &Config) -> HopNet {
        HopNet {
            nodes: docs
                .into_iter()
                .map(|d| SyncNode::new(d, config.clone()))
                .collect(),
            queue: Vec::new(),
            now: 0,
            sides: None,
            delivered: Vec::new(),
        }
    }

    fn linked(&self, a: usize, b: usize) -> bool {
        self.sides.as_ref().is_none_or(|s| s[a] == s[b])
    }

    /// Queues a node's effects. Honest nodes never cut each other off.
    pub fn route(&mut self, from: usize, effects: Vec<Effect<usize>>) {
        for e in effects {
            match e {
                Effect::Gossip(b) => {
                    for to in 0..self.nodes.len() {
                        if to != from && self.linked(from, to) {
                            self.queue.push((from, to, b.clone()));
                        }
                    }
                }
                Effect::Send { to, bytes } => {
                    if self.linked(from, to) {
                        self.queue.push((from, to, bytes));
                    }
                }
                Effect::CutOff { peer, reason } => panic!("{from} cut off {peer}: {reason}"),
            }
        }
    }

    /// Nodes `a` and `b` (re)connect: each starts a session with the other
    /// and greets it with its summary (`add_peer`), as a transport does.
    pub fn connect(&mut self, a: usize, b: usize) {
        let out = self.nodes[a].add_peer(b, self.now);
        self.route(a, out);
        let out = self.nodes[b].add_peer(a, self.now);
        self.route(b, out);
    }

    /// Runs every node's timers at `now`.
    pub fn tick_all(&mut self) {
        for i in 0..self.nodes.len() {
            let out = self.nodes[i].tick(self.now);
            self.route(i, out);
        }
    }

    /// Delivers everything queued; returns how many messages.
    pub fn hop(&mut self) -> usize {
        let batch = std::mem::take(&mut self.queue);
        let n = batch.len();
        for (from, to, bytes) in batch {
            let message = Message::decode(&bytes).expect("nodes send valid messages");
            self.delivered.push(Delivered {
                from,
                to,
                message,
                len: bytes.len(),
            });
            let out = self.nodes[to].receive(from, &bytes, self.now);
            self.route(to, out);
        }
        n
    }

    /// Hops until nothing is queued; returns how many hops.
    pub fn settle(&mut self) -> usize {
        let mut hops = 0;
        while !self.queue.is_empty() {
            self.hop();
            hops += 1;
        }
        hops
    }

    /// Whether every node's snapshot is byte-identical.
    pub fn converged(&self) -> bool {
        let s = self.nodes[0].doc().snapshot();
        self.nodes.iter().all(|n| n.doc().snapshot() == s)
    }
}
