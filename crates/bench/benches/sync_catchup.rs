//! Bytes and round trips of the sync protocol (`converge-sync`), measured
//! on a deterministic, lossless, hop-based network, and compared with the
//! Yjs protocol (state vector + diff, via `yrs`).
//!
//! Not a timing benchmark: it prints markdown tables of bytes, messages and
//! hops. Three parts:
//!
//! 1. **Catch-up**: a peer missing K deltas (one typical transaction each:
//!    a set insert of a short string plus a counter add) on a document with
//!    history and several known replicas. Every message both sides send,
//!    from the summaries on, is counted and checked against the bound
//!    `1.1 × Σ delta bytes + 64 × replicas known`.
//! 2. **Partition healing**: five replicas split 2|3, 1,000 edits per side,
//!    then healed; hops (and round trips) until all five snapshots are
//!    byte-identical.
//! 3. **yrs**: the catch-up of part 1 with the Yjs protocol.
//!
//! Run with `cargo bench -p converge-bench --bench sync_catchup`; see
//! `docs/benchmarks-sync.md`.

use std::collections::BTreeMap;

use converge_core::{ApplyOutcome, Doc, ReplicaId};
use converge_sync::{Config, Effect, Message};
use converge_testkit::{Delivered, HopNet as Net};
use yrs::types::ToJson;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Map, ReadTxn, StateVector, Transact, Update};

/// Replica ids: random-looking 64-bit values, as users are told to draw
/// them (so each takes 9–10 bytes as a varint in a version vector).
const IDS: [u64; 5] = [
    0x9E37_79B9_7F4A_7C15,
    0xC2B2_AE3D_27D4_EB4F,
    0x1656_67B1_9E37_79F9,
    0x85EB_CA77_C2B2_AE63,
    0x27D4_EB2F_1656_67C5,
];

/// Transactions each replica makes before the measured ones (the
/// document's history, known to everyone).
const HISTORY_PER_REPLICA: usize = 50;

/// The sizes of the catch-up.
const KS: [usize; 4] = [1, 10, 100, 1000];

/// Index of the peer that falls behind in the catch-up scenario.
const BEHIND: usize = 1;

/// Index of the peer that serves the catch-up.
const AHEAD: usize = 0;

// ---------------------------------------------------------------------------
// The hop-based network is `converge_testkit::HopNet`.

/// Whether the snapshots of `members` are byte-identical.
fn converged_among(net: &Net, members: &[usize]) -> bool {
    let s = net.nodes[members[0]].doc().snapshot();
    members.iter().all(|&i| net.nodes[i].doc().snapshot() == s)
}

/// Bytes of every delivered message.
fn bytes(net: &Net) -> usize {
    net.delivered.iter().map(|d| d.len).sum()
}

/// A message's type and the document bytes it carries.
fn describe(m: &Message) -> (&'static str, usize) {
    match m {
        Message::Summary { .. } => ("Summary", 0),
        Message::Delta { delta } => ("Delta", delta.len()),
        Message::Request { .. } => ("Request", 0),
        Message::Chunk { data, .. } => ("Chunk", data.len()),
        Message::ChunkAck { .. } => ("ChunkAck", 0),
        Message::Resume { .. } => ("Resume", 0),
        Message::TransferGone { .. } => ("TransferGone", 0),
        Message::Ack { .. } => ("Ack", 0),
        _ => ("other", 0),
    }
}

/// Message types in the order the tables show them.
const KINDS: [&str; 9] = [
    "Summary",
    "Request",
    "Chunk",
    "ChunkAck",
    "Ack",
    "Delta",
    "Resume",
    "TransferGone",
    "other",
];

/// (count, bytes) per message type.
fn by_kind(delivered: &[Delivered]) -> BTreeMap<&'static str, (usize, usize)> {
    let mut m = BTreeMap::new();
    for d in delivered {
        let e = m.entry(describe(&d.message).0).or_insert((0, 0));
        e.0 += 1;
        e.1 += d.len;
    }
    m
}

// ---------------------------------------------------------------------------
// The workload.

/// What one transaction does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Workload {
    /// The typical edit: a short string into a set, one added to a counter.
    SetAndCounter,
    /// The set insert alone (no counter: isolates Yjs's tombstones).
    SetOnly,
}

impl Workload {
    fn name(self) -> &'static str {
        match self {
            Workload::SetAndCounter => "set + counter",
            Workload::SetOnly => "set only",
        }
    }
}

fn edit(doc: &mut Doc, work: Workload, tag: String) -> Vec<u8> {
    let mut tx = doc.transact();
    tx.aw_set("tags").insert(tag).unwrap();
    if work == Workload::SetAndCounter {
        tx.counter("edits").add(1).unwrap();
    }
    tx.commit().expect("the edit changes the document")
}

fn tag(replica: usize, i: usize) -> String {
    format!("tag-{replica}-{i:05}")
}

/// Who writes the K measured transactions.
#[derive(Clone, Copy)]
enum Writers {
    /// The serving peer itself.
    One,
    /// Every replica but the one behind, in turn; the serving peer received
    /// their deltas.
    AllButBehind,
}

impl Writers {
    fn name(self) -> &'static str {
        match self {
            Writers::One => "1 writer",
            Writers::AllButBehind => "R−1 writers",
        }
    }

    fn writer(self, replicas: usize, i: usize) -> usize {
        match self {
            Writers::One => AHEAD,
            Writers::AllButBehind => {
                let others: Vec<usize> = (0..replicas).filter(|&r| r != BEHIND).collect();
                others[i % others.len()]
            }
        }
    }
}

/// `replicas` documents that made [`HISTORY_PER_REPLICA`] transactions each,
/// in turn, and have all seen everything.
fn history(replicas: usize, work: Workload) -> Vec<Doc> {
    let mut docs: Vec<Doc> = IDS[..replicas]
        .iter()
        .map(|&id| Doc::new(ReplicaId::new(id)))
        .collect();
    for i in 0..HISTORY_PER_REPLICA {
        for w in 0..replicas {
            let delta = edit(&mut docs[w], work, tag(w, i));
            for (o, doc) in docs.iter_mut().enumerate() {
                if o != w {
                    assert_eq!(doc.apply(&delta).unwrap(), ApplyOutcome::Applied);
                }
            }
        }
    }
    docs
}

// ---------------------------------------------------------------------------
// Part 1: catch-up.

struct CatchUp {
    replicas: usize,
    k: usize,
    writers: Writers,
    work: Workload,
    /// Σ of the K deltas' encoded sizes (what `commit` returned).
    delta_bytes: usize,
    /// Every message of the catch-up, both directions.
    total: usize,
    /// Chunk data only.
    payload: usize,
    /// The two summaries that start the exchange.
    summaries: usize,
    /// Hops until nothing was queued.
    hops: usize,
    /// Hops until both snapshots were byte-identical.
    converged_after: usize,
    messages: usize,
    kinds: BTreeMap<&'static str, (usize, usize)>,
}

impl CatchUp {
    fn bound(&self) -> f64 {
        1.1 * self.delta_bytes as f64 + 64.0 * self.replicas as f64
    }
}

fn converge_catch_up(replicas: usize, k: usize, writers: Writers, work: Workload) -> CatchUp {
    let mut docs = history(replicas, work);
    let mut delta_bytes = 0;
    for i in 0..k {
        let w = writers.writer(replicas, i);
        let delta = edit(&mut docs[w], work, tag(w, HISTORY_PER_REPLICA + i));
        delta_bytes += delta.len();
        if w != AHEAD {
            assert_eq!(docs[AHEAD].apply(&delta).unwrap(), ApplyOutcome::Applied);
        }
    }
    let pair = vec![docs[AHEAD].clone(), docs[BEHIND].clone()];
    assert_eq!(pair[0].version().iter().count(), replicas);
    let mut net = Net::new(pair, &Config::default());
    net.tick_all(); // both gossip their summary
    let (mut hops, mut converged_after) = (0, None);
    while !net.queue.is_empty() {
        net.hop();
        hops += 1;
        if converged_after.is_none() && converged_among(&net, &[0, 1]) {
            converged_after = Some(hops);
        }
        assert!(hops < 100, "the catch-up does not settle");
    }
    let converged_after = converged_after.expect("catch-up did not converge");
    let kinds = by_kind(&net.delivered);
    CatchUp {
        replicas,
        k,
        writers,
        work,
        delta_bytes,
        total: bytes(&net),
        payload: net.delivered.iter().map(|d| describe(&d.message).1).sum(),
        summaries: kinds.get("Summary").map_or(0, |e| e.1),
        hops,
        converged_after,
        messages: net.delivered.len(),
        kinds,
    }
}

// ---------------------------------------------------------------------------
// Part 2: partition healing.

/// How the clock and the timers run after the heal.
#[derive(Clone, Copy)]
enum HealClock {
    /// The greetings of the new sessions at the heal; then messages are
    /// only delivered.
    TickOnce,
    /// Every node ticks before every hop, the clock advancing this many ms
    /// per hop (1,000 = one summary interval: every node gossips a summary
    /// each hop, and a round trip takes 2 s = `retransmit_ms`).
    TickEveryHop(u64),
}

struct Heal {
    clock: HealClock,
    /// Hop after which all five snapshots were byte-identical.
    hops: usize,
    /// Bytes delivered from the heal to convergence.
    bytes_to_converge: usize,
    /// Bytes delivered from the heal until only summaries (or nothing)
    /// are left.
    bytes_to_quiet: usize,
    hops_to_quiet: usize,
    chunk_payload: usize,
    /// Chunk payload if every node received what it lacked exactly once.
    once_payload: usize,
    /// Catch-up transfers started after the heal (all nodes, all peers).
    transfers: u64,
    /// Σ of the encoded sizes of the deltas each side made while apart.
    side_delta_bytes: [usize; 2],
    /// Per hop from the heal: (count, bytes) per message type.
    per_hop: Vec<BTreeMap<&'static str, (usize, usize)>>,
    /// Bytes delivered inside the sides while they were apart.
    partition_bytes: usize,
}

const SIDE_A: [usize; 2] = [0, 1];
const SIDE_B: [usize; 3] = [2, 3, 4];
const EDITS_PER_SIDE: usize = 1_000;

fn partition_heal(clock: HealClock) -> Heal {
    let config = Config::default();
    let docs: Vec<Doc> = IDS.iter().map(|&id| Doc::new(ReplicaId::new(id))).collect();
    let mut net = Net::new(docs, &config);
    let all: Vec<usize> = (0..5).collect();

    // Shared history: 20 edits per replica, everyone connected.
    for i in 0..20 {
        for w in 0..5 {
            net.now += 10;
            let (_, out) = net.nodes[w].edit(|tx| {
                tx.aw_set("tags").insert(tag(w, i)).unwrap();
                tx.counter("edits").add(1).unwrap();
            });
            net.route(w, out);
            net.settle();
        }
    }
    net.now += 1_000;
    net.tick_all();
    net.settle();
    assert!(converged_among(&net, &all));

    // The partition: 1,000 edits on each side, spread over its replicas,
    // gossiped within the side; a summary round every 100 edits.
    net.sides = Some(vec![0, 0, 1, 1, 1]);
    net.delivered.clear();
    let mut side_delta_bytes = [0, 0];
    for i in 0..EDITS_PER_SIDE {
        net.now += 10;
        for (s, side) in [&SIDE_A[..], &SIDE_B[..]].into_iter().enumerate() {
            let w = side[i % side.len()];
            let (_, out) = net.nodes[w].edit(|tx| {
                tx.aw_set("tags").insert(tag(w, 100 + i)).unwrap();
                tx.counter("edits").add(1).unwrap();
            });
            for e in &out {
                if let Effect::Gossip(b) = e {
                    if let Ok(Message::Delta { delta }) = Message::decode(b) {
                        side_delta_bytes[s] += delta.len();
                    }
                }
            }
            net.route(w, out);
        }
        net.settle();
        if i % 100 == 99 {
            net.now += 1_000;
            net.tick_all();
            net.settle();
        }
    }
    assert!(converged_among(&net, &SIDE_A) && converged_among(&net, &SIDE_B));
    assert!(!converged_among(&net, &all));
    let partition_bytes = bytes(&net);
    // What each node lacks, sent once from one node of the other side.
    let once_payload = (0..5)
        .map(|n| {
            let other = if SIDE_A.contains(&n) {
                SIDE_B[0]
            } else {
                SIDE_A[0]
            };
            let theirs = net.nodes[n].doc().version();
            net.nodes[other]
                .doc()
                .encode_since(&theirs)
                .map_or(0, |b| b.len())
        })
        .sum();

    let transfers_before = transfers_started(&net);

    // The heal: the connections across come back, and each end greets the
    // other with its summary (`add_peer`), as a transport does.
    net.sides = None;
    net.delivered.clear();
    net.now += 1_000;
    for a in SIDE_A {
        for b in SIDE_B {
            net.connect(a, b);
        }
    }
    let mut per_hop = Vec::new();
    let (mut hops, mut converged) = (0, None);
    loop {
        if let (true, HealClock::TickEveryHop(ms)) = (hops > 0, clock) {
            net.now += ms;
            net.tick_all();
        }
        if net.queue.is_empty() {
            break;
        }
        let before = net.delivered.len();
        net.hop();
        hops += 1;
        let this_hop = by_kind(&net.delivered[before..]);
        let only_summaries = this_hop.keys().all(|&k| k == "Summary");
        per_hop.push(this_hop);
        if converged.is_none() && converged_among(&net, &all) {
            converged = Some((hops, bytes(&net)));
        }
        if converged.is_some() && only_summaries {
            // Only periodic summaries are left (TickEveryHop never goes
            // quiet).
            break;
        }
        assert!(hops < 50, "no convergence after 50 hops");
    }
    let (converged_hops, bytes_to_converge) = converged.expect("converged");
    let transfers = transfers_started(&net) - transfers_before;
    let chunk_payload = net
        .delivered
        .iter()
        .filter(|d| matches!(d.message, Message::Chunk { .. }))
        .map(|d| describe(&d.message).1)
        .sum();
    Heal {
        clock,
        hops: converged_hops,
        bytes_to_converge,
        bytes_to_quiet: bytes(&net),
        hops_to_quiet: hops,
        chunk_payload,
        once_payload,
        transfers,
        side_delta_bytes,
        per_hop,
        partition_bytes,
    }
}

/// Catch-up transfers every node has started towards every peer.
fn transfers_started(net: &Net) -> u64 {
    (0..net.nodes.len())
        .flat_map(|n| (0..net.nodes.len()).map(move |p| (n, p)))
        .filter_map(|(n, p)| net.nodes[n].stats(&p))
        .map(|s| s.transfers_started)
        .sum()
}

// ---------------------------------------------------------------------------
// Part 3: yrs.

/// yrs client ids are 53-bit (JavaScript-safe): the same ids, masked.
fn yrs_id(i: usize) -> u64 {
    IDS[i] & ((1 << 53) - 1)
}

/// The same edit in yrs: the set is a map from the string to `true`; the
/// counter is a per-replica entry holding that replica's running count
/// (Yjs has no counter type; this is the usual idiom).
fn yrs_edit(doc: &yrs::Doc, work: Workload, replica: usize, count: u64, tag: String) -> Vec<u8> {
    let tags = doc.get_or_insert_map("tags");
    let edits = doc.get_or_insert_map("edits");
    let mut txn = doc.transact_mut();
    tags.insert(&mut txn, tag, true);
    if work == Workload::SetAndCounter {
        edits.insert(&mut txn, format!("r{replica}"), count as f64);
    }
    txn.encode_update_v1()
}

fn yrs_apply(doc: &yrs::Doc, update: &[u8]) {
    doc.transact_mut()
        .apply_update(Update::decode_v1(update).unwrap())
        .unwrap();
}

/// Bytes y-protocols adds around a sync message: the message type, the
/// sync step and the payload's length, each a varint.
fn y_sync_framing(len: usize) -> usize {
    2 + varint_len(len as u64)
}

fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

struct YrsCatchUp {
    /// Σ of `encode_update_v1` of the K transactions.
    update_bytes: usize,
    /// B's state vector (sync step 1).
    sv: usize,
    /// A's diff for B (sync step 2).
    diff: usize,
    /// Both directions, as y-protocols runs it: each side sends its state
    /// vector and answers the other's with a diff, all framed.
    two_way_framed: usize,
    /// A's diff for a peer that lacks nothing: the delete set alone.
    diff_up_to_date: usize,
}

fn yrs_catch_up(replicas: usize, k: usize, writers: Writers, work: Workload) -> YrsCatchUp {
    let docs: Vec<yrs::Doc> = (0..replicas)
        .map(|i| yrs::Doc::with_client_id(yrs_id(i)))
        .collect();
    let mut counts = vec![0u64; replicas];
    for i in 0..HISTORY_PER_REPLICA {
        for w in 0..replicas {
            counts[w] += 1;
            let u = yrs_edit(&docs[w], work, w, counts[w], tag(w, i));
            for (o, doc) in docs.iter().enumerate() {
                if o != w {
                    yrs_apply(doc, &u);
                }
            }
        }
    }
    let mut update_bytes = 0;
    for i in 0..k {
        let w = writers.writer(replicas, i);
        counts[w] += 1;
        let u = yrs_edit(
            &docs[w],
            work,
            w,
            counts[w],
            tag(w, HISTORY_PER_REPLICA + i),
        );
        update_bytes += u.len();
        if w != AHEAD {
            yrs_apply(&docs[AHEAD], &u);
        }
    }
    let (a, b) = (&docs[AHEAD], &docs[BEHIND]);
    let diff_up_to_date = {
        let txn = a.transact();
        txn.encode_diff_v1(&txn.state_vector()).len()
    };
    let sv_b = b.transact().state_vector().encode_v1();
    let sv_a = a.transact().state_vector().encode_v1();
    let diff_for_b = a
        .transact()
        .encode_diff_v1(&StateVector::decode_v1(&sv_b).unwrap());
    let diff_for_a = b
        .transact()
        .encode_diff_v1(&StateVector::decode_v1(&sv_a).unwrap());
    yrs_apply(b, &diff_for_b);
    yrs_apply(a, &diff_for_a);
    assert_eq!(a.to_json(&a.transact()), b.to_json(&b.transact()));
    let two_way_framed = [&sv_a, &sv_b, &diff_for_a, &diff_for_b]
        .iter()
        .map(|m| m.len() + y_sync_framing(m.len()))
        .sum();
    YrsCatchUp {
        update_bytes,
        sv: sv_b.len(),
        diff: diff_for_b.len(),
        two_way_framed,
        diff_up_to_date,
    }
}

// ---------------------------------------------------------------------------
// Output.

fn yes_no(ok: bool) -> &'static str {
    if ok {
        "yes"
    } else {
        "**no**"
    }
}

fn print_catch_up(rows: &[CatchUp]) {
    println!(
        "| writers | R | K | (a) Σ deltas | chunk payload | overhead | (b) total | (b) − summaries | (c) bound | (b) ≤ (c) | (b) − summaries ≤ (c) | msgs | hops to converge | hops to quiet |"
    );
    println!("|---|--:|--:|--:|--:|--:|--:|--:|--:|:-:|:-:|--:|--:|--:|");
    for r in rows {
        let bound = r.bound();
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.0} | {} | {} | {} | {} | {} |",
            r.writers.name(),
            r.replicas,
            r.k,
            r.delta_bytes,
            r.payload,
            r.total - r.payload,
            r.total,
            r.total - r.summaries,
            bound,
            yes_no(r.total as f64 <= bound),
            yes_no((r.total - r.summaries) as f64 <= bound),
            r.messages,
            r.converged_after,
            r.hops,
        );
    }
    println!();
}

fn print_kinds(rows: &[CatchUp]) {
    let present: Vec<&str> = KINDS
        .iter()
        .copied()
        .filter(|k| rows.iter().any(|r| r.kinds.contains_key(k)))
        .collect();
    print!("| writers | R | K |");
    for k in &present {
        print!(" {k} |");
    }
    println!();
    print!("|---|--:|--:|");
    for _ in &present {
        print!("--:|");
    }
    println!();
    for r in rows {
        print!("| {} | {} | {} |", r.writers.name(), r.replicas, r.k);
        for k in &present {
            match r.kinds.get(k) {
                Some((n, b)) => print!(" {n} × = {b} |"),
                None => print!(" – |"),
            }
        }
        println!();
    }
    println!();
}

fn print_heal(h: &Heal) {
    let name = match h.clock {
        HealClock::TickOnce => "greetings at the heal, then deliver only".to_owned(),
        HealClock::TickEveryHop(ms) => {
            format!("tick before every hop, clock +{ms} ms per hop")
        }
    };
    println!("**{name}**\n");
    println!("| metric | value |");
    println!("|---|--:|");
    println!(
        "| deltas made while apart (Σ bytes), side 2 / side 3 | {} / {} |",
        h.side_delta_bytes[0], h.side_delta_bytes[1]
    );
    println!(
        "| bytes delivered during the partition (gossip inside each side) | {} |",
        h.partition_bytes
    );
    println!("| hops from heal to all five byte-identical | {} |", h.hops);
    println!("| round trips (2 hops each) | {} |", h.hops.div_ceil(2));
    println!("| target met (≤ 2 round trips) | {} |", yes_no(h.hops <= 4));
    println!(
        "| bytes from heal to convergence | {} |",
        h.bytes_to_converge
    );
    println!(
        "| bytes from heal until only summaries (or nothing) are left | {} |",
        h.bytes_to_quiet
    );
    println!(
        "| hops until only summaries (or nothing) are left | {} |",
        h.hops_to_quiet
    );
    println!("| chunk payload delivered | {} |", h.chunk_payload);
    println!(
        "| chunk payload if each node got what it lacked once | {} |",
        h.once_payload
    );
    println!(
        "| catch-up transfers started after the heal | {} |",
        h.transfers
    );
    println!();
    let present: Vec<&str> = KINDS
        .iter()
        .copied()
        .filter(|k| h.per_hop.iter().any(|m| m.contains_key(k)))
        .collect();
    print!("| hop |");
    for k in &present {
        print!(" {k} |");
    }
    println!(" bytes |");
    print!("|--:|");
    for _ in &present {
        print!("--:|");
    }
    println!("--:|");
    for (i, m) in h.per_hop.iter().enumerate() {
        let label = if i < h.hops {
            format!("{}", i + 1)
        } else {
            format!("{} (after)", i + 1)
        };
        print!("| {label} |");
        for k in &present {
            match m.get(k) {
                Some((n, b)) => print!(" {n} × = {b} |"),
                None => print!(" – |"),
            }
        }
        println!(" {} |", m.values().map(|e| e.1).sum::<usize>());
    }
    println!();
}

fn main() {
    println!("# Sync catch-up and partition healing (bytes, round trips)\n");
    println!(
        "Replica ids are random-looking 64-bit values; each replica made {HISTORY_PER_REPLICA} \
         transactions of history that every peer has. One transaction = one short string \
         inserted into an add-wins set + 1 added to a counter. Config::default() \
         (64 KiB messages, 256 KiB window).\n"
    );

    println!("## 1. Catch-up: a peer missing K deltas\n");
    let mut rows = Vec::new();
    for writers in [Writers::One, Writers::AllButBehind] {
        for k in KS {
            rows.push(converge_catch_up(4, k, writers, Workload::SetAndCounter));
        }
    }
    for replicas in [3, 5] {
        for k in KS {
            rows.push(converge_catch_up(
                replicas,
                k,
                Writers::One,
                Workload::SetAndCounter,
            ));
        }
    }
    print_catch_up(&rows);
    println!("### Messages by type (count × = bytes)\n");
    print_kinds(&rows[..8]);

    println!("## 2. Partition healing: 5 replicas split 2|3, {EDITS_PER_SIDE} edits per side\n");
    for clock in [
        HealClock::TickOnce,
        HealClock::TickEveryHop(1_000),
        HealClock::TickEveryHop(250),
    ] {
        print_heal(&partition_heal(clock));
    }

    println!("## 3. converge vs yrs 0.28: the catch-up of part 1\n");
    println!(
        "| workload | writers | R | K | converge Σ deltas | yrs Σ updates | converge chunk payload | yrs diff | converge (b) total | yrs SV + diff | ratio converge/yrs | converge (b) − summaries | yrs two-way, framed | yrs diff to an up-to-date peer |"
    );
    println!("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    let set_only: Vec<CatchUp> = KS
        .iter()
        .map(|&k| converge_catch_up(4, k, Writers::One, Workload::SetOnly))
        .collect();
    for r in rows
        .iter()
        .filter(|r| r.replicas == 4)
        .chain(set_only.iter())
    {
        let y = yrs_catch_up(r.replicas, r.k, r.writers, r.work);
        let yrs_total = y.sv + y.diff;
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} | {} | {} | {} |",
            r.work.name(),
            r.writers.name(),
            r.replicas,
            r.k,
            r.delta_bytes,
            y.update_bytes,
            r.payload,
            y.diff,
            r.total,
            yrs_total,
            r.total as f64 / yrs_total as f64,
            r.total - r.summaries,
            y.two_way_framed,
            y.diff_up_to_date,
        );
    }
    println!();
}
