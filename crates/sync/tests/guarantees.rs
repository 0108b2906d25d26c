//! Each guarantee of the sync protocol, tested on its own.

use converge_core::{Doc, ReplicaId, Value};
use converge_sync::{Config, Effect, Message, SessionError, SyncNode};
use converge_testkit::HopNet as Net;

fn edits(doc: &mut Doc, n: usize, tag: &str) {
    for i in 0..n {
        let mut tx = doc.transact();
        tx.map(tag).counter("n").add(1).unwrap();
        tx.map(tag).aw_set("s").insert(i as i64).unwrap();
    }
}

fn diverged_pair(n: usize) -> (Doc, Doc) {
    let mut a = Doc::new(ReplicaId::new(0xAAAA_0001));
    let mut b = a.fork(ReplicaId::new(0xBBBB_0002));
    edits(&mut a, n, "a");
    edits(&mut b, n, "b");
    (a, b)
}

#[test]
fn partitioned_peers_converge_with_one_transfer_each_way() {
    let (a, b) = diverged_pair(300);
    let mut net = Net::new(vec![a, b], &Config::default());
    net.tick_all(); // both send their summary
    net.hop(); // summaries arrive; each asks for what it lacks
    net.hop(); // the requests arrive; each sends what the other lacks
    net.hop(); // the data arrives
    assert!(net.converged(), "not converged after three hops");
    while !net.queue.is_empty() {
        net.hop(); // acknowledgements
    }
    let count = |f: fn(&Message) -> bool| net.delivered.iter().filter(|d| f(&d.message)).count();
    assert_eq!(
        count(|m| matches!(m, Message::Chunk { .. })),
        2,
        "one chunk each way, no duplicate transfer"
    );
    assert_eq!(count(|m| matches!(m, Message::Request { .. })), 2);
    assert_eq!(
        net.delivered.len(),
        8,
        "2 summaries, 2 requests, 2 chunks, 2 acks"
    );
}

/// Issue 15's split figure: five nodes split 2|3, 1,000 edits per side,
/// healed by the left nodes greeting every right node. Each node pulls the
/// other side's edits once, from one peer, however many greet it: five
/// transfers (each side's push used to make twelve), converged within two
/// round trips.
#[test]
fn a_healed_split_takes_two_round_trips_and_one_transfer_per_node() {
    let base = Doc::new(ReplicaId::new(0x5000));
    let docs: Vec<Doc> = (1..=5u64)
        .map(|i| base.fork(ReplicaId::new(0x5000 + i)))
        .collect();
    let mut net = Net::new(docs, &Config::default());
    net.sides = Some(vec![0, 0, 1, 1, 1]);
    for i in 0..1_000usize {
        let node = if i % 2 == 0 { i % 4 / 2 } else { 2 + i % 3 };
        let (_, out) = net.nodes[node].edit(|tx| {
            tx.map("m").counter("n").add(1).unwrap();
            tx.map("m").aw_set("s").insert(i as i64).unwrap();
        });
        net.route(node, out);
    }
    net.settle();
    assert!(net.nodes[0].doc().snapshot() == net.nodes[1].doc().snapshot());
    assert!(net.nodes[2].doc().snapshot() == net.nodes[4].doc().snapshot());
    net.delivered.clear();
    net.sides = None;
    net.now = 10_000;
    let (left, right) = ([0usize, 1], [2usize, 3, 4]);
    for l in left {
        for r in right {
            net.connect(l, r);
        }
    }
    let mut hops = 0;
    while !net.converged() {
        assert!(net.hop() > 0, "stalled before converging");
        hops += 1;
    }
    net.settle();
    assert!(hops <= 4, "{hops} hops (two round trips are four)");
    let transfers: Vec<(usize, usize)> = net
        .delivered
        .iter()
        .filter(|d| matches!(d.message, Message::Chunk { offset: 0, .. }))
        .map(|d| (d.from, d.to))
        .collect();
    assert_eq!(transfers.len(), 5, "one per node: {transfers:?}");
    let mut receivers: Vec<usize> = transfers.iter().map(|t| t.1).collect();
    receivers.sort();
    assert_eq!(receivers, vec![0, 1, 2, 3, 4]);
}

#[test]
fn drops_duplicates_and_reordering_are_repaired() {
    let (a, b) = diverged_pair(50);
    let c = Doc::new(ReplicaId::new(0xCCCC_0003));
    let mut net = Net::new(
        vec![a, b, c],
        &Config {
            summary_interval_ms: 100,
            retransmit_ms: 200,
            ..Config::default()
        },
    );
    let mut dropped = 0;
    for round in 0..60u64 {
        net.now = round * 50;
        net.tick_all();
        // Reverse (reorder), duplicate every third and drop every fourth message.
        net.queue.reverse();
        let dups: Vec<_> = net.queue.iter().step_by(3).cloned().collect();
        net.queue.extend(dups);
        let before = net.queue.len();
        let mut i = 0;
        net.queue.retain(|_| {
            i += 1;
            i % 4 != 0
        });
        dropped += before - net.queue.len();
        net.hop();
        if round > 10 && net.converged() {
            break;
        }
    }
    assert!(dropped > 0);
    assert!(net.converged());
}

#[test]
fn a_delta_waits_for_its_cause_and_the_cause_is_fetched() {
    let mut net = Net::new(
        vec![Doc::new(ReplicaId::new(1)), Doc::new(ReplicaId::new(2))],
        &Config::default(),
    );
    let (_, first) = net.nodes[0].edit(|tx| tx.aw_set("s").insert("cause").unwrap());
    let (_, second) = net.nodes[0].edit(|tx| {
        tx.aw_set("s").remove("cause").unwrap();
        tx.aw_set("s").insert("effect").unwrap();
    });
    drop(first); // the first gossip is lost
    net.route(0, second);
    net.hop(); // B holds "effect"
    assert_eq!(net.nodes[1].doc().pending_len(), 1);
    assert!(
        net.nodes[1].doc().root().aw_set("s").is_none(),
        "no effect before its cause"
    );
    // The cause may still come by gossip: B waits a grace period, then
    // asks A for what it lacks.
    net.tick_all();
    assert!(
        !net.queue
            .iter()
            .any(|q| matches!(Message::decode(&q.2), Ok(Message::Request { .. }))),
        "no request within the grace period"
    );
    net.now += Config::default().gossip_grace_ms;
    net.tick_all();
    assert!(
        net.delivered
            .iter()
            .any(|d| matches!(d.message, Message::Request { .. }))
            || !net.queue.is_empty()
    );
    while !net.queue.is_empty() {
        net.hop();
    }
    assert!(net.converged());
    let s: Vec<&Value> = net.nodes[1]
        .doc()
        .root()
        .aw_set("s")
        .unwrap()
        .iter()
        .collect();
    assert_eq!(s, vec![&Value::from("effect")]);
}

#[test]
fn acknowledged_data_is_not_resent_and_idle_traffic_does_not_grow() {
    let summary_bytes = |edits_n: usize| {
        let (a, b) = diverged_pair(edits_n);
        let mut net = Net::new(
            vec![a, b],
            &Config {
                summary_interval_ms: 100,
                ..Config::default()
            },
        );
        for t in 0..5 {
            net.now = t * 100;
            net.tick_all();
            while !net.queue.is_empty() {
                net.hop();
            }
        }
        assert!(net.converged());
        let idle_from = net.delivered.len();
        for t in 5..50 {
            net.now = t * 100;
            net.tick_all();
            while !net.queue.is_empty() {
                net.hop();
            }
        }
        let idle = &net.delivered[idle_from..];
        assert!(
            idle.iter()
                .all(|d| matches!(d.message, Message::Summary { .. })),
            "idle peers sent more than summaries"
        );
        // Once each has said it has everything, an idle peer's summaries
        // thin out: 8 intervals after the last one, then 16 (45 intervals
        // hold two per node).
        assert!(idle.len() <= 4, "{} idle summaries", idle.len());
        for t in 50..2_000 {
            net.now = t * 100;
            net.tick_all();
            while !net.queue.is_empty() {
                net.hop();
            }
        }
        // Then one every 64 intervals: 5 to 2,000 holds those after 8, 16
        // and 32 intervals and 30 more, 33 per node.
        let idle = net.delivered.len() - idle_from;
        assert!((60..=70).contains(&idle), "{idle} idle summaries");
        net.delivered
            .iter()
            .filter(|d| matches!(d.message, Message::Summary { .. }))
            .map(|d| d.len)
            .max()
            .unwrap()
    };
    // Two replicas: a summary is the header plus two (id, counter) pairs.
    // Only the counters' varints widen as the document grows.
    let (small, large) = (summary_bytes(10), summary_bytes(2_000));
    assert!(large <= 14 + 2 + 2 * (10 + 3), "summary of {large} bytes");
    assert!(
        large - small <= 2 * 2,
        "summaries grew from {small} to {large} bytes"
    );
}

/// A node restarts from an older save; its greeting is lost, and a
/// message of its previous life arrives late, so its peer believes it
/// still has what it lost. Its idle summary corrects that, and the peer
/// sends the rest (found by the convergence fuzzer: both waited forever).
#[test]
fn a_stale_belief_about_a_restarted_peer_is_corrected() {
    let config = Config {
        summary_interval_ms: 100,
        ..Config::default()
    };
    let (a, b) = diverged_pair(20);
    let old_a = a.version();
    let empty = Doc::new(ReplicaId::new(0xAAAA_0003));
    let mut net = Net::new(vec![a, b], &config);
    for t in 0..10 {
        net.now = t * 100;
        net.tick_all();
        net.settle();
    }
    assert!(net.converged());
    // Node 0 restarts with nothing under a fresh id; both greetings and
    // its first summary are lost.
    net.nodes[0] = SyncNode::new(empty, config.clone());
    let _ = net.nodes[0].add_peer(1, net.now);
    let _ = net.nodes[1].add_peer(0, net.now);
    net.now += 100;
    let _ = net.nodes[0].tick(net.now);
    // A summary of its previous life arrives late.
    let mut stale = old_a.clone();
    stale.join(&net.nodes[1].doc().version());
    let out = net.nodes[1].receive(0, &Message::Summary { version: stale }.encode(), net.now);
    net.route(1, out);
    net.settle();
    for t in 0..200 {
        if net.converged() {
            // Node 0's first idle summary (8 intervals) corrects node 1's
            // belief; node 1's own summary then shows node 0 what it
            // lacks, and node 0 asks for it. (This network hands gossip
            // over like a direct message; over gossip, node 0 would wait
            // `gossip_grace_ms` before asking, or node 1 would push after
            // twice that: 8 + 10 + 20 intervals at the most.)
            assert!(t <= 38, "converged after {t} intervals");
            return;
        }
        net.now += 100;
        net.tick_all();
        net.settle();
    }
    panic!("never converged");
}

/// A driver that unloads idle documents asks `is_busy` first: a catch-up
/// under way keeps both sides busy until it is acknowledged.
#[test]
fn a_catch_up_under_way_keeps_both_nodes_busy() {
    let (a, b) = diverged_pair(50);
    let mut net = Net::new(vec![a, b], &Config::default());
    net.tick_all();
    net.hop(); // the summaries arrive; each asks for what it lacks
    net.hop(); // the requests arrive; each sends a transfer
    assert!(net.nodes[0].sync().is_busy() && net.nodes[1].sync().is_busy());
    net.settle();
    assert!(net.converged());
    for t in 1..10 {
        net.now = t * 1_000;
        net.tick_all();
        net.settle();
    }
    assert!(!net.nodes[0].sync().is_busy() && !net.nodes[1].sync().is_busy());
}

#[test]
fn large_catch_ups_are_chunked_and_resume_after_an_interruption() {
    let mut a = Doc::new(ReplicaId::new(7));
    let mut tx = a.transact();
    for i in 0..3_000 {
        tx.aw_set("big")
            .insert(format!("{i:08} some text that does not compress away"))
            .unwrap();
    }
    drop(tx);
    let blob_len = a.snapshot().len();
    let config = Config {
        max_message_bytes: 4096,
        window_bytes: 8 * 1024,
        retransmit_ms: 1_000,
        ..Config::default()
    };
    let mut net = Net::new(vec![a, Doc::new(ReplicaId::new(8))], &config);
    net.tick_all();
    let mut delivered_chunks = 0;
    // Deliver until about half the data has arrived, then cut the link.
    while delivered_chunks * 4000 < blob_len / 2 {
        net.hop();
        delivered_chunks = net
            .delivered
            .iter()
            .filter(|d| matches!(d.message, Message::Chunk { .. }))
            .count();
    }
    net.queue.clear(); // interruption: everything in flight is lost
    net.now += 5_000;
    net.tick_all(); // B notices the stalled transfer and asks to resume
    for _ in 0..200 {
        if net.queue.is_empty() {
            break;
        }
        net.hop();
    }
    assert!(net.converged());
    let sent: usize = net
        .delivered
        .iter()
        .filter_map(|d| match &d.message {
            Message::Chunk { data, .. } => Some(data.len()),
            _ => None,
        })
        .sum();
    let stats = net.nodes[0].stats(&1).unwrap();
    assert_eq!(stats.transfers_started, 1, "the transfer was not restarted");
    assert!(stats.transfers_resumed >= 1);
    assert!(blob_len > 100_000);
    assert!(
        sent < blob_len + 8 * 1024 + 4096,
        "sent {sent} bytes for a {blob_len}-byte blob"
    );
    assert!(net.delivered.iter().all(|d| d.len <= 4096));
}

#[test]
fn hostile_peers_are_cut_off_and_the_document_is_untouched() {
    let mut node = SyncNode::new(Doc::new(ReplicaId::new(1)), Config::default());
    let _ = node.edit(|tx| tx.counter("n").add(1).unwrap());
    let before = node.doc().snapshot();
    let garbage = node.receive(66, b"definitely not a message", 0);
    assert!(matches!(
        &garbage[..],
        [Effect::CutOff {
            peer: 66,
            reason: SessionError::Garbage(_)
        }]
    ));
    assert!(
        node.receive(
            66,
            &Message::Summary {
                version: Default::default()
            }
            .encode(),
            1
        )
        .is_empty(),
        "ignored after cut-off"
    );
    // A valid envelope around a delta that lies about our own replica.
    let mut liar = Doc::new(ReplicaId::new(1));
    let mut tx = liar.transact();
    tx.counter("n").add(1000).unwrap();
    tx.counter("n").add(1000).unwrap();
    let lie = Message::Delta {
        delta: tx.commit().unwrap(),
    }
    .encode();
    let out = node.receive(67, &lie, 2);
    assert!(matches!(
        &out[..],
        [Effect::CutOff {
            peer: 67,
            reason: SessionError::Refused(_)
        }]
    ));
    // A flood.
    let summary = Message::Summary {
        version: Default::default(),
    }
    .encode();
    let mut cut = false;
    for _ in 0..10_000 {
        if node.receive(68, &summary, 3).iter().any(|e| {
            matches!(
                e,
                Effect::CutOff {
                    reason: SessionError::Flooding,
                    ..
                }
            )
        }) {
            cut = true;
            break;
        }
    }
    assert!(cut, "a flood was not cut off");
    // A transfer larger than allowed.
    let huge = Message::Chunk {
        transfer: 1,
        offset: 0,
        total: u64::MAX / 2,
        data: vec![0; 10],
    }
    .encode();
    let out = node.receive(69, &huge, 4);
    assert!(matches!(
        &out[..],
        [Effect::CutOff {
            peer: 69,
            reason: SessionError::Oversized(_)
        }]
    ));
    assert_eq!(node.doc().snapshot(), before);
    // An honest peer still converges with the node.
    let mut net = Net::new(
        vec![node.into_doc(), Doc::new(ReplicaId::new(2))],
        &Config::default(),
    );
    net.tick_all();
    while !net.queue.is_empty() {
        net.hop();
    }
    assert!(net.converged());
}

#[test]
fn messages_say_which_channel_they_are_for() {
    use converge_sync::Channel;
    assert_eq!(
        Message::Summary {
            version: Default::default()
        }
        .channel(),
        Channel::Gossip
    );
    assert_eq!(Message::Delta { delta: vec![] }.channel(), Channel::Gossip);
    assert_eq!(
        Message::Request {
            have: Default::default()
        }
        .channel(),
        Channel::Direct
    );
    assert_eq!(
        Message::Ack {
            version: Default::default()
        }
        .channel(),
        Channel::Direct
    );
}

fn requests(effects: &[Effect<usize>]) -> Vec<usize> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send { to, bytes } => {
                matches!(Message::decode(bytes), Ok(Message::Request { .. })).then_some(*to)
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_summary_never_starts_a_push_and_one_peer_is_asked() {
    // A has 20 edits that B and C lack; C's has 20 more of its own.
    let (a, c) = diverged_pair(20);
    let b = Doc::new(ReplicaId::new(0xBBBB_0009));
    let summary = |doc: &Doc| {
        Message::Summary {
            version: doc.version(),
        }
        .encode()
    };
    let config = Config::default();
    let mut na = SyncNode::new(a, config.clone());
    // A summary from a peer that lacks something starts nothing, by gossip
    // (every peer would push the same data) or directly: the peer that
    // lacks asks one peer for it.
    assert!(na.receive_gossip(1, &summary(&b), 0).is_empty());
    assert!(na.receive(2, &summary(&b), 0).is_empty());

    // B greeted directly by A and C asks the first at once, and not the
    // second while the first answers.
    let mut nb = SyncNode::new(b.clone(), config.clone());
    nb.add_peer(1, 0);
    nb.add_peer(3, 0);
    assert_eq!(requests(&nb.receive(1, &summary(na.doc()), 0)), vec![1]);
    assert!(requests(&nb.receive(3, &summary(&c), 0)).is_empty());

    // B hears from A and C by gossip that it lacks their edits: after the
    // grace period it asks one of them, not both.
    let mut nb = SyncNode::new(b, config.clone());
    nb.add_peer(1, 0);
    nb.add_peer(3, 0);
    let a_summary = summary(na.doc());
    let c_summary = summary(&c);
    nb.receive_gossip(1, &a_summary, 0);
    nb.receive_gossip(3, &c_summary, 0);
    assert!(requests(&nb.tick(10)).is_empty(), "within the grace period");
    let asked = requests(&nb.tick(config.gossip_grace_ms + 10));
    assert_eq!(asked.len(), 1, "one catch-up at a time: {asked:?}");
}

fn gossip(effects: &[Effect<usize>]) -> Vec<Message> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Gossip(bytes) => Some(Message::decode(bytes).expect("valid")),
            _ => None,
        })
        .collect()
}

#[test]
fn local_deltas_made_in_quick_succession_travel_together() {
    let config = Config::default();
    let batch = config.publish_batch_ms;
    let mut writer = Doc::new(ReplicaId::new(1));
    let mut sync = converge_sync::SyncState::<usize>::new(config.clone());
    let keystroke = |doc: &mut Doc, c: &str| {
        let mut tx = doc.transact();
        let len = tx.text("t").len();
        tx.text("t").insert(len, c).unwrap();
        tx.commit().unwrap()
    };
    // The first keystroke after a quiet moment goes at once.
    let d = keystroke(&mut writer, "a");
    let sent = gossip(&sync.publish_at(&writer, d, 0));
    assert!(matches!(&sent[..], [Message::Delta { .. }]));
    // The next ones, within the window, wait for its end.
    for (at, c) in [(5, "b"), (9, "c"), (14, "d")] {
        let d = keystroke(&mut writer, c);
        assert!(sync.publish_at(&writer, d, at).is_empty());
    }
    assert_eq!(sync.publish_deadline(), Some(batch));
    let batched = gossip(&sync.flush(&writer, batch));
    let [Message::Deltas { deltas }] = &batched[..] else {
        panic!("one message with the three deltas: {batched:?}");
    };
    assert_eq!(deltas.len(), 3);
    assert_eq!(sync.publish_deadline(), None);
    // A reader gets all four keystrokes from the two messages.
    let mut reader = SyncNode::new(Doc::new(ReplicaId::new(2)), config.clone());
    for m in sent.iter().chain(&batched) {
        assert!(reader.receive_gossip(1, &m.encode(), batch).is_empty());
    }
    assert!(reader.doc().snapshot() == writer.snapshot());
    assert_eq!(reader.doc().root().text("t").unwrap().to_string(), "abcd");
    // `tick` flushes a batch whose window ended, and after a quiet moment
    // a keystroke goes at once again.
    let d = keystroke(&mut writer, "e");
    assert!(sync.publish_at(&writer, d, batch + 1).is_empty());
    let ticked = gossip(&sync.tick(&mut writer, 2 * batch + 1));
    assert!(matches!(ticked.first(), Some(Message::Delta { .. })));
    let d = keystroke(&mut writer, "f");
    let at_once = gossip(&sync.publish_at(&writer, d, 10 * batch));
    assert!(matches!(&at_once[..], [Message::Delta { .. }]));

    // A batch never outgrows one message: with 400-byte messages, a burst
    // of keystrokes leaves in several messages, each within the limit.
    let small = Config {
        max_message_bytes: 400,
        ..Config::default()
    };
    let mut sync = converge_sync::SyncState::<usize>::new(small);
    let mut doc = Doc::new(ReplicaId::new(3));
    let mut messages = Vec::new();
    for i in 0..40u64 {
        let d = keystroke(&mut doc, "x");
        messages.extend(sync.publish_at(&doc, d, i));
    }
    messages.extend(sync.flush(&doc, 40));
    assert!(messages.len() > 2, "{} messages", messages.len());
    let mut reader = SyncNode::new(Doc::new(ReplicaId::new(4)), Config::default());
    for e in &messages {
        let Effect::Gossip(bytes) = e else {
            panic!("gossip only")
        };
        assert!(bytes.len() <= 400, "{} bytes", bytes.len());
        reader.receive_gossip(3, bytes, 50);
    }
    assert!(reader.doc().snapshot() == doc.snapshot());

    // A delta too big to share a message, made within the window, goes on
    // its own (here announced by a summary: it is too big for gossip); the
    // small ones before it leave first, and none is lost.
    let d = keystroke(&mut doc, "y");
    let mut burst = sync.publish_at(&doc, d, 1_000);
    let big = keystroke(&mut doc, &"z".repeat(600));
    burst.extend(sync.publish_at(&doc, big, 1_001));
    let sent = gossip(&burst);
    assert!(
        matches!(&sent[..], [Message::Delta { .. }, Message::Summary { .. }]),
        "{sent:?}"
    );
    assert_eq!(sync.publish_deadline(), None);
    for e in &burst {
        let Effect::Gossip(bytes) = e else {
            panic!("gossip only")
        };
        assert!(bytes.len() <= 400, "{} bytes", bytes.len());
    }
}

#[test]
fn a_batch_message_holds_at_least_two_deltas() {
    let one = Message::Deltas {
        deltas: vec![vec![1, 2, 3]],
    }
    .encode();
    assert!(Message::decode(&one).is_err());
    let empty_blob = Message::Deltas {
        deltas: vec![vec![1], vec![]],
    }
    .encode();
    assert!(Message::decode(&empty_blob).is_err());
    let two = Message::Deltas {
        deltas: vec![vec![1], vec![2]],
    };
    assert_eq!(Message::decode(&two.encode()).unwrap(), two);
    assert_eq!(two.channel(), converge_sync::Channel::Gossip);
}

/// Sync messages read alike in every format version, so they are stamped
/// version 1: a peer that reads only version 1 keeps syncing with this
/// one (a review found them stamped with the newest version).
#[test]
fn sync_messages_are_stamped_with_the_oldest_format_version() {
    let mut d = Doc::new(ReplicaId::new(1));
    d.transact().text("t").insert(0, "hi").unwrap();
    let msgs = [
        Message::Summary {
            version: d.version(),
        },
        Message::Request { have: d.version() },
        Message::Ack {
            version: d.version(),
        },
    ];
    for m in msgs {
        let bytes = m.encode();
        assert_eq!(bytes[4], 1, "{m:?}");
        assert!(Message::decode(&bytes).is_ok());
    }
}
