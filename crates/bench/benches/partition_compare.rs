//! Three replicas split 1|2, 1,000 one-character insertions into one text
//! while apart, then healed: the bytes and round trips each library's sync
//! protocol needs until the three are identical, side by side, on the same
//! hop-by-hop in-process transport.
//!
//! - **converge**: `converge-sync` (`SyncNode`s on `converge_testkit::HopNet`,
//!   gossip inside the side while apart, greetings at the heal);
//! - **automerge 0.12**: its sync protocol (`generate_sync_message` /
//!   `receive_sync_message`), one `sync::State` per ordered pair, fresh
//!   states for the pairs that reconnect;
//! - **yrs 0.28**: the Yjs protocol (y-protocols' sync steps: both ends of a
//!   new connection send their state vector and answer the other's with
//!   `encode_diff_v1`; v2 reported too), updates broadcast inside the side.
//!
//! Not a timing benchmark: it prints a markdown table. Run with
//! `cargo bench -p converge-bench --bench partition_compare`; see
//! `docs/benchmarks-net.md`.

use automerge::sync::{Message as AmMessage, State as AmState, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};
use converge_core::{Doc, ReplicaId};
use converge_sync::{Config, Message};
use converge_testkit::{HopNet, Rng};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{GetString, ReadTxn, StateVector, Text, Transact, Update};

/// The two sides while apart: node 0 alone, nodes 1 and 2 together.
const SIDES: [u8; 3] = [0, 1, 1];
const EDITS: usize = 1_000;

/// One edit: the node that makes it, where (a fraction of its text's
/// length), and the character.
#[derive(Clone, Copy)]
struct Edit {
    node: usize,
    at: u64,
    ch: char,
}

/// The same edits for every library: half on node 0, a quarter on each of
/// nodes 1 and 2, interleaved.
fn edits() -> Vec<Edit> {
    let mut rng = Rng::new(0x5EED);
    (0..EDITS)
        .map(|i| Edit {
            node: match i % 4 {
                0 | 2 => 0,
                1 => 1,
                _ => 2,
            },
            at: rng.next_u64(),
            ch: char::from(b'a' + (rng.below(26) as u8)),
        })
        .collect()
}

fn position(e: &Edit, len: usize) -> usize {
    (e.at % (len as u64 + 1)) as usize
}

/// What one library needed to heal.
struct Heal {
    name: &'static str,
    hops_to_converge: usize,
    bytes_to_converge: usize,
    messages_to_converge: usize,
    hops_to_quiet: usize,
    bytes_to_quiet: usize,
    messages_to_quiet: usize,
    /// Bytes of the edits one side made, as the library encodes them on
    /// their own (the sum of the per-edit updates).
    side_updates: [usize; 2],
}

// --- converge ---------------------------------------------------------------

fn converge_heal() -> Heal {
    let ids = [
        0x9E37_79B9_7F4A_7C15u64,
        0xC2B2_AE3D_27D4_EB4F,
        0x1656_67B1_9E37_79F9,
    ];
    let docs = ids.iter().map(|&id| Doc::new(ReplicaId::new(id))).collect();
    let mut net = HopNet::new(docs, &Config::default());
    net.sides = Some(SIDES.to_vec());
    let mut side_updates = [0, 0];
    for e in edits() {
        net.now += 5;
        let len = net.nodes[e.node]
            .doc()
            .root()
            .text("t")
            .map_or(0, |t| t.len());
        let at = position(&e, len);
        let (_, out) = net.nodes[e.node].edit(|tx| {
            tx.text("t").insert(at, &e.ch.to_string()).unwrap();
        });
        for effect in &out {
            if let converge_sync::Effect::Gossip(b) = effect {
                if let Ok(Message::Delta { delta }) = Message::decode(b) {
                    side_updates[usize::from(SIDES[e.node])] += delta.len();
                }
            }
        }
        net.route(e.node, out);
        net.settle();
    }
    assert!(net.nodes[1].doc().snapshot() == net.nodes[2].doc().snapshot());
    net.sides = None;
    net.delivered.clear();
    net.now += 2_000;
    net.connect(0, 1);
    net.connect(0, 2);
    let (mut hops, mut at_converge) = (0, None);
    while !net.queue.is_empty() {
        net.hop();
        hops += 1;
        if at_converge.is_none() && net.converged() {
            at_converge = Some((hops, net.delivered.clone()));
        }
        assert!(hops < 50, "converge: no quiet after 50 hops");
    }
    let (hops_to_converge, delivered) = at_converge.expect("converge converged");
    Heal {
        name: "converge",
        hops_to_converge,
        bytes_to_converge: delivered.iter().map(|d| d.len).sum(),
        messages_to_converge: delivered.len(),
        hops_to_quiet: hops,
        bytes_to_quiet: net.delivered.iter().map(|d| d.len).sum(),
        messages_to_quiet: net.delivered.len(),
        side_updates,
    }
}

// --- automerge ----------------------------------------------------------------

struct AmNet {
    docs: Vec<AutoCommit>,
    /// `states[i][j]`: what node i knows of its sync with node j.
    states: Vec<Vec<AmState>>,
    text: automerge::ObjId,
}

impl AmNet {
    fn linked(sides: Option<&[u8; 3]>, i: usize, j: usize) -> bool {
        i != j && sides.is_none_or(|s| s[i] == s[j])
    }

    /// One hop: every linked node generates a message for every linked
    /// peer, then all of them are delivered. Returns (messages, bytes).
    fn hop(&mut self, sides: Option<&[u8; 3]>) -> (usize, usize) {
        let mut queue = Vec::new();
        for i in 0..3 {
            for j in 0..3 {
                if !Self::linked(sides, i, j) {
                    continue;
                }
                let (doc, state) = (&mut self.docs[i], &mut self.states[i][j]);
                if let Some(m) = doc.sync().generate_sync_message(state) {
                    queue.push((i, j, m.encode()));
                }
            }
        }
        let n = queue.len();
        let bytes = queue.iter().map(|q| q.2.len()).sum();
        for (from, to, bytes) in queue {
            let m = AmMessage::decode(&bytes).expect("decodes");
            let (doc, state) = (&mut self.docs[to], &mut self.states[to][from]);
            doc.sync().receive_sync_message(state, m).expect("applies");
        }
        (n, bytes)
    }

    fn settle(&mut self, sides: Option<&[u8; 3]>) {
        for _ in 0..50 {
            if self.hop(sides).0 == 0 {
                return;
            }
        }
        panic!("automerge: no quiet after 50 hops");
    }

    fn converged(&mut self) -> bool {
        let heads = self.docs[0].get_heads();
        let text = self.docs[0].text(&self.text).unwrap();
        (1..3).all(|i| {
            self.docs[i].get_heads() == heads && self.docs[i].text(&self.text).unwrap() == text
        })
    }
}

fn automerge_heal() -> Heal {
    let mut base = AutoCommit::new();
    base.set_actor(automerge::ActorId::from(vec![0u8]));
    let text = base.put_object(ROOT, "t", ObjType::Text).unwrap();
    let saved = base.save();
    let docs = (0..3u8)
        .map(|i| {
            let mut d = AutoCommit::load(&saved).unwrap();
            d.set_actor(automerge::ActorId::from(vec![i + 1]));
            d
        })
        .collect();
    let states = (0..3)
        .map(|_| (0..3).map(|_| AmState::new()).collect())
        .collect();
    let mut net = AmNet { docs, states, text };
    let mut side_updates = [0, 0];
    for e in edits() {
        let doc = &mut net.docs[e.node];
        let len = doc.length(&net.text);
        let at = position(&e, len);
        doc.splice_text(&net.text, at, 0, &e.ch.to_string())
            .unwrap();
        side_updates[usize::from(SIDES[e.node])] += doc.save_incremental().len();
        net.settle(Some(&SIDES));
    }
    // The connections across come back: fresh sync states, as after a
    // reconnection.
    for (i, j) in [(0, 1), (1, 0), (0, 2), (2, 0)] {
        net.states[i][j] = AmState::new();
    }
    let (mut hops, mut bytes, mut messages) = (0, 0, 0);
    let mut at_converge = None;
    loop {
        let (n, b) = net.hop(None);
        if n == 0 {
            break;
        }
        hops += 1;
        bytes += b;
        messages += n;
        if at_converge.is_none() && net.converged() {
            at_converge = Some((hops, bytes, messages));
        }
        assert!(hops < 50, "automerge: no quiet after 50 hops");
    }
    let (hops_to_converge, bytes_to_converge, messages_to_converge) =
        at_converge.expect("automerge converged");
    Heal {
        name: "automerge 0.12 (sync protocol)",
        hops_to_converge,
        bytes_to_converge,
        messages_to_converge,
        hops_to_quiet: hops,
        bytes_to_quiet: bytes,
        messages_to_quiet: messages,
        side_updates,
    }
}

// --- yrs ----------------------------------------------------------------------

fn yrs_heal(v2: bool) -> Heal {
    let docs: Vec<yrs::Doc> = (0..3u64).map(|i| yrs::Doc::with_client_id(i + 1)).collect();
    let texts: Vec<yrs::TextRef> = docs.iter().map(|d| d.get_or_insert_text("t")).collect();
    let apply = |doc: &yrs::Doc, update: &[u8]| {
        let u = if v2 {
            Update::decode_v2(update)
        } else {
            Update::decode_v1(update)
        };
        doc.transact_mut().apply_update(u.unwrap()).unwrap();
    };
    let mut side_updates = [0, 0];
    for e in edits() {
        let update = {
            let mut txn = docs[e.node].transact_mut();
            let len = texts[e.node].len(&txn) as usize;
            let at = position(&e, len);
            texts[e.node].insert(&mut txn, at as u32, &e.ch.to_string());
            if v2 {
                txn.encode_update_v2()
            } else {
                txn.encode_update_v1()
            }
        };
        side_updates[usize::from(SIDES[e.node])] += update.len();
        // Broadcast inside the side.
        for (j, doc) in docs.iter().enumerate() {
            if j != e.node && SIDES[j] == SIDES[e.node] {
                apply(doc, &update);
            }
        }
    }
    // The heal: on each new connection both ends send their state vector
    // (hop 1) and answer the other's with what it lacks (hop 2).
    let pairs = [(0usize, 1usize), (1, 0), (0, 2), (2, 0)];
    let svs: Vec<(usize, usize, Vec<u8>)> = pairs
        .iter()
        .map(|&(i, j)| (i, j, docs[i].transact().state_vector().encode_v1()))
        .collect();
    let mut bytes = svs.iter().map(|s| s.2.len()).sum::<usize>();
    let diffs: Vec<(usize, Vec<u8>)> = svs
        .iter()
        .map(|(from, to, sv)| {
            let sv = StateVector::decode_v1(sv).unwrap();
            let txn = docs[*to].transact();
            let diff = if v2 {
                txn.encode_diff_v2(&sv)
            } else {
                txn.encode_diff_v1(&sv)
            };
            (*from, diff)
        })
        .collect();
    bytes += diffs.iter().map(|d| d.1.len()).sum::<usize>();
    for (to, diff) in &diffs {
        apply(&docs[*to], diff);
    }
    let text0 = texts[0].get_string(&docs[0].transact());
    let sv0 = docs[0].transact().state_vector();
    for i in 1..3 {
        assert_eq!(texts[i].get_string(&docs[i].transact()), text0);
        assert_eq!(docs[i].transact().state_vector(), sv0);
    }
    Heal {
        name: if v2 {
            "yrs 0.28 (state vectors + diff, v2)"
        } else {
            "yrs 0.28 (state vectors + diff, v1)"
        },
        hops_to_converge: 2,
        bytes_to_converge: bytes,
        messages_to_converge: 8,
        hops_to_quiet: 2,
        bytes_to_quiet: bytes,
        messages_to_quiet: 8,
        side_updates,
    }
}

fn main() {
    let rows = [
        converge_heal(),
        automerge_heal(),
        yrs_heal(false),
        yrs_heal(true),
    ];
    println!("# Partition and heal, side by side: 3 replicas split 1|2, {EDITS} edits\n");
    println!(
        "| protocol | hops to identical | round trips | messages | bytes | hops until quiet | messages | bytes | side 1 / side 2 edits as single updates |"
    );
    println!("|---|--:|--:|--:|--:|--:|--:|--:|--:|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} / {} |",
            r.name,
            r.hops_to_converge,
            r.hops_to_converge.div_ceil(2),
            r.messages_to_converge,
            r.bytes_to_converge,
            r.hops_to_quiet,
            r.messages_to_quiet,
            r.bytes_to_quiet,
            r.side_updates[0],
            r.side_updates[1],
        );
    }
}
