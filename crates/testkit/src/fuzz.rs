//! The logic of every fuzz target, so that cargo-fuzz targets stay a few
//! lines and stable tests replay the same code.
//!
//! - [`run_convergence`]: action sequences over 2–8 replicas of a document
//!   on the simulated network (edits of every container kind, faults,
//!   partitions, crashes). Ends byte-identical and equal to the model.
//! - [`decode_doc`], [`decode_types`], [`decode_sync`]: arbitrary bytes into
//!   every decoder, raw and wrapped in a valid envelope.
//! - [`run_sync_peer`]: a hostile peer sends arbitrary messages to a node
//!   while two honest replicas keep editing; they still converge.

use arbitrary::Arbitrary;
use converge_core::kernel::envelope::{seal, seal_as};
use converge_core::kernel::DotFun;
use converge_core::{
    AwSet, BlobKind, Doc, GCounter, LoadOptions, LwwRegister, MvRegister, OrMap, PnCounter,
    ReplicaId, RwSet, Text, VersionVector,
};
use converge_sync::{Config, Message, SyncNode};

use crate::sim::{Sim, SimConfig};

/// One step of a convergence run.
#[derive(Arbitrary, Debug, Clone)]
pub enum Action {
    /// A random edit (chosen by `seed`) on a replica.
    Edit {
        /// Which replica (modulo the count).
        replica: u8,
        /// Chooses the path, kind and operation.
        seed: u64,
    },
    /// Time passes: messages are delivered and timers run.
    Advance {
        /// Milliseconds, times 4.
        ms: u8,
    },
    /// The network splits in two.
    Split,
    /// Every partition heals.
    Heal,
    /// A replica crashes and restarts from its last saved snapshot.
    Crash {
        /// Which replica (modulo the count).
        replica: u8,
    },
    /// A replica restarts from its last save under a fresh replica id.
    RestartFresh {
        /// Which replica (modulo the count).
        replica: u8,
    },
    /// A replica's document is cloned: the clone refuses to write, and
    /// reads and receives like the original.
    Clone {
        /// Which replica (modulo the count).
        replica: u8,
    },
    /// A hostile peer resumes a replica's old save under that replica's
    /// id and publishes an edit, reusing dots the replica already
    /// published with other content: honest nodes must refuse it.
    ReuseDots {
        /// Whose id is reused (modulo the count).
        replica: u8,
        /// Chooses the forged edit.
        seed: u64,
    },
    /// New fault rates.
    Faults {
        /// Percent of messages dropped (modulo 60).
        drop_pct: u8,
        /// Percent of messages duplicated (modulo 60).
        dup_pct: u8,
    },
}

/// A whole convergence run.
#[derive(Arbitrary, Debug, Clone)]
pub struct ConvergenceCase {
    /// Seeds latency, drops and partition membership.
    pub seed: u64,
    /// Number of replicas, 2 + (this modulo 7).
    pub replicas: u8,
    /// The steps (at most 256 are run).
    pub actions: Vec<Action>,
}

/// Runs a convergence case; panics on divergence or a broken invariant.
pub fn run_convergence(case: &ConvergenceCase) {
    let n = 2 + usize::from(case.replicas % 7);
    let mut cfg = SimConfig::new(case.seed, n);
    cfg.drop_pct = 0;
    cfg.dup_pct = 0;
    let mut sim = Sim::new(cfg);
    for action in case.actions.iter().take(256) {
        match *action {
            Action::Edit { replica, seed } => sim.edit_with(usize::from(replica) % n, seed),
            Action::Advance { ms } => sim.advance(u64::from(ms) * 4),
            Action::Split => sim.split(),
            Action::Heal => sim.heal(),
            Action::Crash { replica } => sim.crash(usize::from(replica) % n),
            Action::RestartFresh { replica } => sim.restart_fresh(usize::from(replica) % n),
            Action::Clone { replica } => check_clone(&sim, usize::from(replica) % n),
            Action::ReuseDots { replica, seed } => {
                reuse_dots(&mut sim, usize::from(replica) % n, seed)
            }
            Action::Faults { drop_pct, dup_pct } => {
                sim.set_faults(u64::from(drop_pct % 60), u64::from(dup_pct % 60))
            }
        }
        sim.check_invariants();
        sim.check_snapshots();
    }
    sim.finish();
}

/// A clone of replica `i` refuses writes, and otherwise is the replica.
fn check_clone(sim: &Sim, i: usize) {
    let original = sim.nodes[i].doc();
    let mut copy = original.clone();
    assert!(copy.is_read_only());
    let refused = copy.transact().counter("clone").add(1);
    assert!(
        matches!(refused, Err(converge_core::DocError::ReadOnly(_))),
        "a clone wrote: {refused:?}"
    );
    assert!(copy.snapshot() == original.snapshot());
}

/// A forger writes as replica `i` from a state older than what `i`
/// published (its empty start, or its last save), so its edit may reuse
/// dots `i` already used for other content. Every replica, probed through
/// a copy, either refuses it without changing (the dots it can check) or
/// accepts it and still holds a state whose snapshot loads.
fn reuse_dots(sim: &mut Sim, i: usize, seed: u64) {
    use converge_core::LoadOptions;
    let id = sim.nodes[i].doc().replica();
    let mut forger = if seed % 2 == 0 {
        Doc::new(id)
    } else {
        match Doc::load_with(id, sim.saved(i), LoadOptions::resume()) {
            Ok(d) => d,
            Err(_) => return,
        }
    };
    let mut rng = crate::rng::Rng::new(seed);
    let mut model = crate::model::DocModel::default();
    let forged = {
        let mut tx = forger.transact();
        crate::scenario::random_op(&mut rng, &mut tx, &mut model);
        tx.commit()
    };
    let Some(forged) = forged else { return };
    for node in &sim.nodes {
        let doc = node.doc();
        let before = doc.snapshot();
        let mut probe = doc.clone();
        match probe.apply(&forged) {
            Ok(_) => {
                let snap = probe.snapshot();
                Doc::load(ReplicaId::new(u64::MAX - 1), &snap)
                    .expect("whatever apply accepts, load accepts");
            }
            Err(_) => assert!(
                probe.snapshot() == before,
                "a refused delta changed the document"
            ),
        }
    }
}

/// A small document with every container kind, built once per process.
fn sample_doc() -> Doc {
    thread_local! {
        static SAMPLE: Doc = build_sample_doc();
    }
    SAMPLE.with(Doc::clone)
}

fn build_sample_doc() -> Doc {
    let mut d = Doc::new(ReplicaId::new(0x1234_5678_9ABC));
    let mut tx = d.transact();
    tx.map("m").aw_set("s").insert("x").expect("shallow");
    tx.map("m").rw_set("r").remove(4).expect("shallow");
    tx.map("m")
        .map("deep")
        .counter("c")
        .add(-4)
        .expect("shallow");
    tx.lww("l").set_at(1.5, 9).expect("shallow");
    tx.mv("v").set(vec![1u8, 2, 3]).expect("shallow");
    tx.text("t").insert(0, "héllo wörld 😀").expect("in bounds");
    tx.map("m")
        .list("li")
        .insert_all(0, vec![1.into(), "two".into()])
        .expect("in bounds");
    let mut todos = tx.list("todos");
    let mut item = todos.insert_map(0).expect("in bounds");
    item.lww("title").set_at("milk", 3).expect("shallow");
    item.list("tags").push("shop").expect("in bounds");
    todos
        .insert_text(1)
        .expect("in bounds")
        .insert(0, "note")
        .expect("in bounds");
    todos
        .insert_counter(2)
        .expect("in bounds")
        .add(3)
        .expect("shallow");
    drop(tx);
    let mut tx = d.transact();
    tx.text("t").delete(2, 3).expect("in bounds");
    tx.text("t").insert(0, ">").expect("in bounds");
    drop(tx);
    d
}

/// A standalone text with a deletion, and the other replica's edits.
fn sample_text() -> Text {
    let mut a = Text::new(ReplicaId::new(7));
    a.insert(0, "abc déf").expect("in bounds");
    let mut b = Text::new(ReplicaId::new(8));
    b.merge(&a);
    b.insert(3, "XY").expect("in bounds");
    a.delete(1, 2).expect("in bounds");
    a.merge(&b);
    a
}

/// Bytes into the document decoders: raw, and as the payload of a valid
/// delta and snapshot envelope. A rejected blob must leave the document
/// unchanged.
pub fn decode_doc(data: &[u8]) {
    let mut doc = sample_doc();
    for blob in [
        data.to_vec(),
        seal(BlobKind::DocDelta, data),
        seal(BlobKind::DocSnapshot, data),
    ] {
        let before = doc.snapshot();
        match doc.apply(&blob) {
            Ok(_) => {
                doc.check_invariants();
                // Whatever apply accepts, load accepts.
                let snap = doc.snapshot();
                // (Resuming: the blob may hold dots of any replica, 10's too.)
                let reloaded = Doc::load_with(ReplicaId::new(10), &snap, LoadOptions::resume())
                    .expect("an applied state loads");
                assert!(reloaded.snapshot() == snap, "an applied state round-trips");
            }
            Err(_) => assert_eq!(
                doc.snapshot(),
                before,
                "a rejected blob changed the document"
            ),
        }
        if let Ok(loaded) = Doc::load(ReplicaId::new(9), &blob) {
            loaded.check_invariants();
            let again =
                Doc::load(ReplicaId::new(9), &loaded.snapshot()).expect("re-encoding loads");
            assert_eq!(again.snapshot(), loaded.snapshot());
        }
    }
}

/// Bytes into the decoders of the standalone types.
pub fn decode_types(data: &[u8]) {
    use converge_core::Lattice;
    let kinds = BlobKind::STANDALONE;
    // The first byte: the kind (low seven bits, an index into the list),
    // and the format version (the high bit: version 2's parsers).
    let first = data.first().copied().unwrap_or(0);
    let kind = kinds[usize::from(first & 0x7F) % kinds.len()];
    let version = if first & 0x80 != 0 { 2 } else { 1 };
    let blob = seal_as(version, kind, data.get(1..).unwrap_or_default());
    if let Ok(x) = GCounter::from_bytes(&blob) {
        x.check_invariants();
    }
    if let Ok(x) = PnCounter::from_bytes(&blob) {
        x.check_invariants();
    }
    let _ = LwwRegister::<String>::from_bytes(&blob);
    if let Ok(x) = MvRegister::<u64>::from_bytes(&blob) {
        x.check_invariants();
    }
    if let Ok(x) = AwSet::<String>::from_bytes(&blob) {
        x.check_invariants();
        assert_eq!(
            AwSet::<String>::from_bytes(&x.to_bytes()).expect("round trip"),
            x
        );
    }
    if let Ok(x) = RwSet::<u32>::from_bytes(&blob) {
        x.check_invariants();
    }
    if let Ok(x) = Text::from_bytes(ReplicaId::new(1), &blob) {
        x.check_invariants();
        let again = Text::from_bytes(ReplicaId::new(1), &x.to_bytes()).expect("round trip");
        assert!(again == x, "text round trip");
    }
    let mut t = sample_text();
    let before = t.to_bytes();
    match t.apply(&blob) {
        Ok(()) => t.check_invariants(),
        Err(_) => assert!(t.to_bytes() == before, "a rejected blob changed the text"),
    }
    if let Ok(x) = OrMap::<String, DotFun<u64>>::from_bytes(&blob) {
        x.check_invariants();
        assert_eq!(
            OrMap::<String, DotFun<u64>>::from_bytes(&x.to_bytes()).expect("round trip"),
            x
        );
    }
}

/// Bytes into the sync message decoder and into a node.
pub fn decode_sync(data: &[u8]) {
    let mut node = SyncNode::new(sample_doc(), Config::default());
    let before = node.doc().snapshot();
    for blob in [data.to_vec(), seal(BlobKind::SyncMessage, data)] {
        if let Ok(m) = Message::decode(&blob) {
            assert_eq!(Message::decode(&m.encode()).expect("round trip"), m);
        }
        let _ = node.receive(7u8, &blob, 0);
        let _ = node.tick(10);
    }
    // Whatever it accepted came from a valid message; the document is still sound.
    node.doc().check_invariants();
    if node.doc().version() == sample_doc().version() {
        assert_eq!(node.doc().snapshot(), before);
    }
}

/// What a hostile peer sends.
#[derive(Arbitrary, Debug, Clone)]
pub enum HostileMessage {
    /// Raw bytes.
    Raw(Vec<u8>),
    /// A valid envelope around arbitrary payload bytes.
    Sealed(Vec<u8>),
    /// A summary claiming any version.
    Summary(Vec<(u8, u16)>),
    /// A request claiming any version.
    Request(Vec<(u8, u16)>),
    /// A chunk of any transfer.
    Chunk {
        /// Transfer id.
        transfer: u8,
        /// Offset.
        offset: u16,
        /// Claimed total.
        total: u32,
        /// Bytes.
        data: Vec<u8>,
    },
    /// An acknowledgement of any transfer.
    ChunkAck {
        /// Transfer id.
        transfer: u8,
        /// Next offset.
        next: u32,
    },
    /// A resume request.
    Resume {
        /// Transfer id.
        transfer: u8,
        /// Offset.
        offset: u32,
    },
    /// A delta made of arbitrary bytes.
    Delta(Vec<u8>),
    /// An ack claiming any version.
    Ack(Vec<(u8, u16)>),
}

fn vv(pairs: &[(u8, u16)]) -> VersionVector {
    VersionVector::from_entries(pairs.iter().map(|&(r, c)| {
        (
            crate::scenario::replica_id(usize::from(r % 4)),
            u64::from(c),
        )
    }))
}

impl HostileMessage {
    /// The bytes on the wire.
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            HostileMessage::Raw(b) => b.clone(),
            HostileMessage::Sealed(b) => seal(BlobKind::SyncMessage, b),
            HostileMessage::Summary(p) => Message::Summary { version: vv(p) }.encode(),
            HostileMessage::Request(p) => Message::Request { have: vv(p) }.encode(),
            HostileMessage::Chunk {
                transfer,
                offset,
                total,
                data,
            } => Message::Chunk {
                transfer: u64::from(*transfer),
                offset: u64::from(*offset),
                total: u64::from(*total),
                data: data.clone(),
            }
            .encode(),
            HostileMessage::ChunkAck { transfer, next } => Message::ChunkAck {
                transfer: u64::from(*transfer),
                next: u64::from(*next),
            }
            .encode(),
            HostileMessage::Resume { transfer, offset } => Message::Resume {
                transfer: u64::from(*transfer),
                offset: u64::from(*offset),
            }
            .encode(),
            HostileMessage::Delta(b) => Message::Delta { delta: b.clone() }.encode(),
            HostileMessage::Ack(p) => Message::Ack { version: vv(p) }.encode(),
        }
    }
}

/// A hostile peer's run.
#[derive(Arbitrary, Debug, Clone)]
pub struct SyncPeerCase {
    /// Seeds the honest replicas' edits and the network.
    pub seed: u64,
    /// (message, target replica, honest edit seed) steps; at most 256 run.
    pub steps: Vec<(HostileMessage, bool, Option<u64>)>,
}

/// Runs a hostile peer against two honest replicas; they must converge.
pub fn run_sync_peer(case: &SyncPeerCase) {
    let mut cfg = SimConfig::new(case.seed, 2);
    cfg.drop_pct = 0;
    cfg.dup_pct = 0;
    let mut sim = Sim::new(cfg);
    const HOSTILE: usize = 99;
    for (msg, to_second, edit) in case.steps.iter().take(256) {
        if let Some(seed) = edit {
            sim.edit_with(usize::from(*to_second), *seed);
        }
        sim.inject(HOSTILE, usize::from(*to_second), &msg.bytes());
        sim.advance(20);
        sim.check_invariants();
        sim.check_snapshots();
    }
    sim.finish();
}
