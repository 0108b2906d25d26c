//! A simulated network for the sync protocol: N replicas (2–50), seeded
//! and deterministic, with random latency (so reordering), drops,
//! duplicates, partitions that split and heal, and replicas that crash and
//! restart from their last saved snapshot. Every run ends with all
//! replicas byte-identical and equal to the reference model.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use converge_core::{Doc, LoadOptions, ReplicaId};
use converge_sync::{Config, Effect, SyncNode};

use crate::model::DocModel;
use crate::rng::Rng;
use crate::scenario::{assert_converged, random_op, replica_id};

/// Parameters of a simulation.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The seed: the same seed replays the same run.
    pub seed: u64,
    /// Number of replicas.
    pub replicas: usize,
    /// Simulated steps of 10 ms with edits, faults and partitions.
    pub steps: usize,
    /// Percent of steps with an edit on a random replica.
    pub edit_pct: u64,
    /// Percent of messages dropped.
    pub drop_pct: u64,
    /// Percent of messages delivered twice.
    pub dup_pct: u64,
    /// Latency range in ms (uniform).
    pub latency_ms: (u64, u64),
    /// Per-step percent chance that the network splits or heals.
    pub partition_pct: u64,
    /// Per-step percent chance (×0.1) that a replica crashes and restarts.
    pub crash_permille: u64,
    /// How replicas save: `true`, every edit is saved before it is
    /// published (commit-before-publish storage) and a restarted replica
    /// resumes its own id; `false`, replicas save at random moments
    /// (`save_pct` per step) and a restarted replica takes a fresh id, as
    /// `Doc::load` requires.
    pub durable: bool,
    /// With `durable` off: per-step percent chance that a random replica
    /// saves.
    pub save_pct: u64,
    /// The protocol configuration of every node.
    pub protocol: Config,
}

impl SimConfig {
    /// A hostile but fair default for `replicas` nodes.
    pub fn new(seed: u64, replicas: usize) -> Self {
        SimConfig {
            seed,
            replicas,
            steps: 300,
            edit_pct: 40,
            drop_pct: 10,
            dup_pct: 5,
            latency_ms: (1, 60),
            partition_pct: 2,
            crash_permille: 5,
            durable: true,
            save_pct: 10,
            protocol: Config {
                summary_interval_ms: 200,
                retransmit_ms: 300,
                request_interval_ms: 100,
                max_message_bytes: 2048,
                window_bytes: 8192,
                ..Config::default()
            },
        }
    }
}

/// What happened in a run.
#[derive(Clone, Debug, Default)]
pub struct SimReport {
    /// Edits made.
    pub edits: usize,
    /// Messages delivered.
    pub delivered: u64,
    /// Bytes delivered.
    pub bytes: u64,
    /// Messages dropped.
    pub dropped: u64,
    /// Messages duplicated.
    pub duplicated: u64,
    /// Crashes and restarts.
    pub crashes: u64,
    /// Partition splits.
    pub splits: u64,
    /// Simulated time from the final heal to convergence, in ms.
    pub settle_ms: u64,
    /// Hostile peers cut off by honest nodes.
    pub cut_offs: u64,
}

struct InFlight {
    at: u64,
    seq: u64,
    from: usize,
    to: usize,
    bytes: Vec<u8>,
}

impl PartialEq for InFlight {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for InFlight {}
impl PartialOrd for InFlight {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for InFlight {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(o.at, o.seq))
    }
}

/// The simulated world.
pub struct Sim {
    cfg: SimConfig,
    rng: Rng,
    /// The nodes, indexed by replica number.
    pub nodes: Vec<SyncNode<usize>>,
    saved: Vec<Vec<u8>>,
    group: Vec<u8>,
    queue: BinaryHeap<Reverse<InFlight>>,
    seq: u64,
    /// Simulated time in ms.
    pub now: u64,
    /// The reference model of every edit.
    pub model: DocModel,
    /// Counters.
    pub report: SimReport,
    faults: bool,
    /// Restarts of each replica (a restart without durable saves takes a
    /// fresh replica id).
    incarnations: Vec<u64>,
}

impl Sim {
    /// A world of connected, empty replicas.
    pub fn new(cfg: SimConfig) -> Self {
        let n = cfg.replicas;
        let nodes: Vec<SyncNode<usize>> = (0..n)
            .map(|i| SyncNode::new(Doc::new(replica_id(i)), cfg.protocol.clone()))
            .collect();
        let saved = nodes.iter().map(|n| n.doc().snapshot()).collect();
        let mut sim = Sim {
            rng: Rng::new(cfg.seed),
            cfg,
            nodes,
            saved,
            group: vec![0; n],
            queue: BinaryHeap::new(),
            seq: 0,
            now: 0,
            model: DocModel::default(),
            report: SimReport::default(),
            faults: true,
            incarnations: vec![0; n],
        };
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    let out = sim.nodes[i].add_peer(j, 0);
                    sim.route(i, out);
                }
            }
        }
        sim
    }

    fn enqueue(&mut self, from: usize, to: usize, bytes: Vec<u8>) {
        if self.faults && self.rng.chance(self.cfg.drop_pct) {
            self.report.dropped += 1;
            return;
        }
        let copies = if self.faults && self.rng.chance(self.cfg.dup_pct) {
            self.report.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            let (lo, hi) = self.cfg.latency_ms;
            let at = self.now + lo + self.rng.below((hi - lo + 1) as usize) as u64;
            self.seq += 1;
            self.queue.push(Reverse(InFlight {
                at,
                seq: self.seq,
                from,
                to,
                bytes: bytes.clone(),
            }));
        }
    }

    /// Delivers a node's effects to the network.
    pub fn route(&mut self, from: usize, effects: Vec<Effect<usize>>) {
        for e in effects {
            match e {
                Effect::Gossip(bytes) => {
                    for to in 0..self.nodes.len() {
                        if to != from {
                            self.enqueue(from, to, bytes.clone());
                        }
                    }
                }
                // Messages to peers outside the world (a hostile injector) vanish.
                Effect::Send { to, bytes } if to < self.nodes.len() => {
                    self.enqueue(from, to, bytes)
                }
                Effect::Send { .. } => {}
                Effect::CutOff { peer, .. } if peer >= self.nodes.len() => {
                    self.report.cut_offs += 1
                }
                Effect::CutOff { peer, reason } => {
                    panic!(
                        "seed {}: honest node {from} cut off {peer}: {reason}",
                        self.cfg.seed
                    )
                }
            }
        }
    }

    /// A random edit on replica `i`, recorded in the model and saved
    /// before it is published (write-ahead, as a real app must).
    pub fn edit(&mut self, i: usize) {
        let seed = self.rng.next_u64();
        self.edit_with(i, seed);
    }

    /// Like [`Sim::edit`], with the operation chosen by `seed`.
    pub fn edit_with(&mut self, i: usize, seed: u64) {
        let mut rng = Rng::new(seed);
        let model = &mut self.model;
        let (_, out) = self.nodes[i].edit(|tx| random_op(&mut rng, tx, model));
        self.report.edits += 1;
        if self.cfg.durable {
            self.saved[i] = self.nodes[i].doc().snapshot();
        }
        self.route(i, out);
    }

    /// Replica `i` saves its state now.
    pub fn save(&mut self, i: usize) {
        self.saved[i] = self.nodes[i].doc().snapshot();
    }

    /// Replica `i` crashes and restarts from its last saved snapshot: as
    /// itself when every edit was saved before it was published, else
    /// under a fresh replica id.
    pub fn crash(&mut self, i: usize) {
        self.report.crashes += 1;
        let id = self.nodes[i].doc().replica();
        let doc = if self.cfg.durable {
            Doc::load_with(id, &self.saved[i], LoadOptions::resume()).expect("own snapshot loads")
        } else {
            self.incarnations[i] += 1;
            // Drawn at random, as an application does on every load.
            let fresh = ReplicaId::new(self.rng.next_u64());
            Doc::load(fresh, &self.saved[i]).expect("a save loads under a fresh id")
        };
        self.nodes[i] = SyncNode::new(doc, self.cfg.protocol.clone());
        for j in 0..self.nodes.len() {
            if i != j {
                let out = self.nodes[j].add_peer(i, self.now);
                self.route(j, out);
                let out = self.nodes[i].add_peer(j, self.now);
                self.route(i, out);
            }
        }
    }

    /// Replica `i` restarts from its last save under a fresh replica id,
    /// the way an application without commit-before-publish storage must
    /// (the save may lack edits it published).
    pub fn restart_fresh(&mut self, i: usize) {
        let durable = self.cfg.durable;
        self.cfg.durable = false;
        self.crash(i);
        self.cfg.durable = durable;
    }

    /// The last save of replica `i`.
    pub fn saved(&self, i: usize) -> &[u8] {
        &self.saved[i]
    }

    /// Checks what every replica's state must allow: its snapshot loads
    /// (whatever `apply` accepted, `load` accepts) and reproduces it, and
    /// replicas with equal versions hold byte-identical snapshots.
    pub fn check_snapshots(&self) {
        let snaps: Vec<Vec<u8>> = self.nodes.iter().map(|n| n.doc().snapshot()).collect();
        for (i, snap) in snaps.iter().enumerate() {
            let loaded = Doc::load(ReplicaId::new(u64::MAX), snap).unwrap_or_else(|e| {
                panic!(
                    "seed {}: replica {i}'s snapshot does not load: {e}",
                    self.cfg.seed
                )
            });
            assert!(
                loaded.snapshot() == *snap,
                "seed {}: replica {i}'s snapshot does not round-trip",
                self.cfg.seed
            );
        }
        for i in 0..snaps.len() {
            for j in i + 1..snaps.len() {
                let (a, b) = (self.nodes[i].doc(), self.nodes[j].doc());
                if a.version() == b.version() && a.pending_len() == 0 && b.pending_len() == 0 {
                    assert!(
                        snaps[i] == snaps[j],
                        "seed {}: replicas {i} and {j} have equal versions and different snapshots",
                        self.cfg.seed
                    );
                }
            }
        }
    }

    /// Advances time by `ms`, delivering due messages and running timers.
    pub fn advance(&mut self, ms: u64) {
        let end = self.now + ms;
        while let Some(Reverse(m)) = self.queue.peek() {
            if m.at > end {
                break;
            }
            let Reverse(m) = self.queue.pop().expect("peeked");
            self.now = self.now.max(m.at);
            if self.group[m.from] != self.group[m.to] {
                self.report.dropped += 1;
                continue;
            }
            self.report.delivered += 1;
            self.report.bytes += m.bytes.len() as u64;
            let out = self.nodes[m.to].receive(m.from, &m.bytes, self.now);
            self.route(m.to, out);
        }
        self.now = end;
        for i in 0..self.nodes.len() {
            let out = self.nodes[i].tick(self.now);
            self.route(i, out);
        }
    }

    /// Delivers `bytes` to replica `to` as if sent by `from`, a peer outside
    /// the world (a hostile one); its replies are dropped.
    pub fn inject(&mut self, from: usize, to: usize, bytes: &[u8]) {
        let out = self.nodes[to].receive(from, bytes, self.now);
        self.route(to, out);
    }

    /// Sets the fault rates (percent of messages dropped and duplicated).
    pub fn set_faults(&mut self, drop_pct: u64, dup_pct: u64) {
        self.cfg.drop_pct = drop_pct;
        self.cfg.dup_pct = dup_pct;
    }

    /// Checks every replica's invariants.
    pub fn check_invariants(&self) {
        for n in &self.nodes {
            n.doc().check_invariants();
        }
    }

    /// Settles and asserts that every replica is byte-identical and equal
    /// to the reference model.
    pub fn finish(mut self) -> SimReport {
        self.report.settle_ms = self.settle(600_000);
        let docs: Vec<Doc> = self.nodes.iter().map(|n| n.doc().clone()).collect();
        assert_converged(&docs, &self.model);
        self.report
    }

    /// Splits the replicas into two random groups.
    pub fn split(&mut self) {
        self.report.splits += 1;
        for g in self.group.iter_mut() {
            *g = u8::from(self.rng.chance(50));
        }
    }

    /// Heals every partition.
    pub fn heal(&mut self) {
        self.group.iter_mut().for_each(|g| *g = 0);
    }

    /// Whether every replica has the same version and nothing pending
    /// that any replica could still supply (without durable saves, a
    /// replica may crash after publishing an edit nobody received: the
    /// edits that depend on it wait forever, everywhere alike).
    pub fn converged(&self) -> bool {
        let v = self.nodes[0].doc().version();
        self.nodes.iter().all(|n| {
            n.doc().version() == v
                && (n.doc().pending_len() == 0 || !v.dominates(&n.doc().missing()))
        })
    }

    /// Heals, stops faults, and runs until convergence (at most
    /// `limit_ms`). Returns the time it took.
    pub fn settle(&mut self, limit_ms: u64) -> u64 {
        self.heal();
        self.faults = false;
        let start = self.now;
        while !self.converged() {
            if self.now - start >= limit_ms {
                for (i, n) in self.nodes.iter().enumerate() {
                    eprintln!("node {i}: {n:#?}");
                }
            }
            assert!(
                self.now - start < limit_ms,
                "seed {}: no convergence within {limit_ms} ms after healing",
                self.cfg.seed
            );
            self.advance(10);
        }
        self.now - start
    }

    /// Runs the configured faulty phase, then settles and checks.
    pub fn run(mut self) -> SimReport {
        let n = self.nodes.len();
        for _ in 0..self.cfg.steps {
            if self.rng.chance(self.cfg.edit_pct) {
                let i = self.rng.below(n);
                self.edit(i);
            }
            if self.rng.chance(self.cfg.partition_pct) {
                if self.group.iter().all(|g| *g == 0) {
                    self.split();
                } else {
                    self.heal();
                }
            }
            if !self.cfg.durable && self.rng.chance(self.cfg.save_pct) {
                let i = self.rng.below(n);
                self.save(i);
            }
            if self.rng.below(1000) < self.cfg.crash_permille as usize {
                let i = self.rng.below(n);
                self.crash(i);
            }
            self.advance(10);
        }
        self.finish()
    }
}

/// Runs one simulation and checks it ends converged.
pub fn run_sim(cfg: SimConfig) -> SimReport {
    Sim::new(cfg).run()
}
