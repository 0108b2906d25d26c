//! Real libp2p swarms on the in-memory transport, in one process: nodes
//! converge, a partition heals, a late peer catches up, changes stream.
//! Every scenario ends with byte-identical snapshots.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use converge_net::{Config, DocHandle, Multiaddr, Node, Relation};

/// A fresh `/memory/N` address (the in-memory transport is process-wide).
fn memory_addr() -> Multiaddr {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = 1_000_000 + u64::from(std::process::id()) * 1000 + NEXT.fetch_add(1, Ordering::SeqCst);
    format!("/memory/{n}").parse().unwrap()
}

fn config(bootstrap: &[Multiaddr]) -> (Config, Multiaddr) {
    let addr = memory_addr();
    let mut c = Config::listening(addr.clone());
    c.bootstrap = bootstrap.to_vec();
    c.heartbeat = Duration::from_millis(100);
    c.tick = Duration::from_millis(50);
    c.sync.summary_interval_ms = 200;
    (c, addr)
}

async fn snapshot(doc: &DocHandle) -> Vec<u8> {
    doc.read(|d| d.snapshot()).await.unwrap()
}

/// Waits until neither node holds a document in memory while B stays
/// connected to A; panics after `limit`.
async fn all_unloaded(a: &Node, b: &Node, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let (sa, sb) = (a.stats().await.unwrap(), b.stats().await.unwrap());
        assert_eq!(sb.connected_peers, 1);
        if sa.loaded_docs == 0 && sb.loaded_docs == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still loaded: {} on A, {} on B",
            sa.loaded_docs,
            sb.loaded_docs
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until every handle has the same snapshot; panics after 30 s.
async fn converged(docs: &[&DocHandle]) -> Vec<u8> {
    let start = Instant::now();
    loop {
        let first = snapshot(docs[0]).await;
        let mut same = true;
        for d in &docs[1..] {
            same &= snapshot(d).await == first;
        }
        if same {
            return first;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no convergence in 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_converge() {
    let (ca, a_addr) = config(&[]);
    let a = Node::start(ca).await.unwrap();
    let b = Node::start(config(std::slice::from_ref(&a_addr)).0)
        .await
        .unwrap();
    let c = Node::start(config(std::slice::from_ref(&a_addr)).0)
        .await
        .unwrap();
    let (da, db, dc) = (
        a.open("notes").await.unwrap(),
        b.open("notes").await.unwrap(),
        c.open("notes").await.unwrap(),
    );
    da.edit(|tx| tx.text("body").push_str("hello from a. ").unwrap())
        .await
        .unwrap();
    db.edit(|tx| tx.counter("visits").add(2).unwrap())
        .await
        .unwrap();
    for i in 0..20 {
        dc.edit(move |tx| tx.list("items").push(i).unwrap())
            .await
            .unwrap();
    }
    let snap = converged(&[&da, &db, &dc]).await;
    assert!(!snap.is_empty());
    let (text, visits, items) = dc
        .read(|d| {
            let r = d.root();
            (
                r.text("body").unwrap().to_string(),
                r.counter("visits"),
                r.list("items").unwrap().len(),
            )
        })
        .await
        .unwrap();
    assert_eq!(
        (text.as_str(), visits, items),
        ("hello from a. ", Some(2), 20)
    );
    for n in [&a, &b, &c] {
        n.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_heals_and_a_late_peer_catches_up() {
    let (ca, a_addr) = config(&[]);
    let a = Node::start(ca).await.unwrap();
    let b = Node::start(config(std::slice::from_ref(&a_addr)).0)
        .await
        .unwrap();
    let (da, db) = (
        a.open("board").await.unwrap(),
        b.open("board").await.unwrap(),
    );
    da.edit(|tx| tx.text("t").push_str("base ").unwrap())
        .await
        .unwrap();
    converged(&[&da, &db]).await;

    // Partition: both sides edit offline.
    b.disconnect(a.peer_id()).await.unwrap();
    a.disconnect(b.peer_id()).await.unwrap();
    for i in 0..50 {
        da.edit(move |tx| tx.counter("a").add(i).unwrap())
            .await
            .unwrap();
        db.edit(move |tx| tx.counter("b").add(i).unwrap())
            .await
            .unwrap();
    }
    assert_ne!(snapshot(&da).await, snapshot(&db).await);

    // Heal: one dial; summaries are exchanged as soon as the topic is
    // subscribed again.
    b.dial(a_addr.clone()).await.unwrap();
    let healed = converged(&[&da, &db]).await;

    // A peer that was never there catches up from one of them.
    let c = Node::start(config(std::slice::from_ref(&a_addr)).0)
        .await
        .unwrap();
    let dc = c.open("board").await.unwrap();
    assert_eq!(converged(&[&da, &db, &dc]).await, healed);
    let sum = dc
        .read(|d| (d.root().counter("a"), d.root().counter("b")))
        .await
        .unwrap();
    assert_eq!(sum, (Some(1225), Some(1225)));

    // The status says so.
    let start = Instant::now();
    loop {
        let status = da.status().await.unwrap();
        if status.in_sync() && status.peers.len() == 2 {
            assert!(status.peers.iter().all(|p| p.relation == Relation::InSync));
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{status:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for n in [&a, &b, &c] {
        n.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_changes_are_streamed() {
    let (ca, a_addr) = config(&[]);
    let a = Node::start(ca).await.unwrap();
    let b = Node::start(config(std::slice::from_ref(&a_addr)).0)
        .await
        .unwrap();
    let (da, db) = (a.open("feed").await.unwrap(), b.open("feed").await.unwrap());
    let mut changes = db.changes();
    da.edit(|tx| tx.counter("n").add(1).unwrap()).await.unwrap();
    let event = tokio::time::timeout(Duration::from_secs(30), changes.recv())
        .await
        .expect("a change within 30 s")
        .unwrap();
    assert_eq!(event.origin, converge_core::Origin::Remote);
    assert!(!event.changes.is_empty());
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_flows_both_ways_and_leaves_with_the_peer() {
    let (ca, a_addr) = config(&[]);
    let a = Node::start(ca).await.unwrap();
    let b = Node::start(config(std::slice::from_ref(&a_addr)).0)
        .await
        .unwrap();
    let (da, db) = (a.open("room").await.unwrap(), b.open("room").await.unwrap());
    let mut seen_by_a = da.presence_events();
    // Wait until the two see each other on the topic.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        db.set_presence(br#"{"name":"bob","cursor":3}"#.to_vec())
            .await
            .unwrap();
        da.set_presence(br#"{"name":"ada"}"#.to_vec())
            .await
            .unwrap();
        let (pa, pb) = (da.presence().await.unwrap(), db.presence().await.unwrap());
        if pa.len() == 1 && pb.len() == 1 {
            assert_eq!(
                pa[0],
                (b.peer_id(), br#"{"name":"bob","cursor":3}"#.to_vec())
            );
            assert_eq!(pb[0], (a.peer_id(), br#"{"name":"ada"}"#.to_vec()));
            break;
        }
        assert!(Instant::now() < deadline, "presence never arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let first = seen_by_a.recv().await.unwrap();
    assert_eq!(first.peer, b.peer_id());
    // Presence is not part of the document.
    let snap = da.read(|d| d.to_value().is_empty()).await.unwrap();
    assert!(snap, "presence never reaches the document");
    // Bob leaves: Ada sees him go.
    b.shutdown().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let e = tokio::time::timeout_at(deadline.into(), seen_by_a.recv())
            .await
            .expect("a leave event")
            .unwrap();
        if e.peer == b.peer_id() && e.value.is_none() {
            break;
        }
    }
    assert!(da.presence().await.unwrap().is_empty());
    a.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_documents_leave_memory_and_come_back() {
    let (mut ca, _) = config(&[]);
    ca.idle_evict = Duration::from_millis(200);
    let a = Node::start(ca).await.unwrap();
    let mut docs = Vec::new();
    for i in 0..1000 {
        let d = a.open(&format!("doc-{i}")).await.unwrap();
        d.edit(move |tx| tx.counter("n").add(i).unwrap())
            .await
            .unwrap();
        docs.push(d);
    }
    let stats = a.stats().await.unwrap();
    assert_eq!(stats.open_docs, 1000);
    let deadline = Instant::now() + Duration::from_secs(30);
    while a.stats().await.unwrap().loaded_docs > 0 {
        assert!(Instant::now() < deadline, "idle documents stay loaded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Read back on use, with its change stream still working.
    let mut changes = docs[500].changes();
    let n = docs[500].read(|d| d.root().counter("n")).await.unwrap();
    assert_eq!(n, Some(500));
    docs[500]
        .edit(|tx| tx.counter("n").add(1).unwrap())
        .await
        .unwrap();
    assert!(changes.recv().await.is_ok());
    assert_eq!(a.stats().await.unwrap().loaded_docs, 1);
    a.shutdown().await.unwrap();
}

/// gossipsub ignores a peer's subscriptions beyond 100 topics by default;
/// with a topic per document, the node raises that bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_than_a_hundred_shared_documents_all_sync() {
    let (ca, a_addr) = config(&[]);
    let a = Node::start(ca).await.unwrap();
    let b = Node::start(config(std::slice::from_ref(&a_addr)).0)
        .await
        .unwrap();
    let mut pairs = Vec::new();
    for i in 0..150 {
        let name = format!("shared-{i}");
        let (da, db) = (a.open(&name).await.unwrap(), b.open(&name).await.unwrap());
        da.edit(move |tx| tx.counter("n").add(i).unwrap())
            .await
            .unwrap();
        pairs.push((da, db));
    }
    for (i, (da, db)) in pairs.iter().enumerate() {
        converged(&[da, db]).await;
        assert_eq!(
            db.read(|d| d.root().counter("n")).await.unwrap(),
            Some(i as i64)
        );
    }
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

/// 400 documents made on A; B opens them all at once. Their greetings,
/// requests and catch-ups share a few request-response streams in batches
/// (libp2p drops streams beyond its per-connection limit, which cost
/// seconds of retransmissions), each document is caught up about once, and
/// idle documents leave memory on both nodes although they stay connected
/// (the sync timers used to count as use and kept every shared document
/// loaded).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_documents_catch_up_once_and_leave_memory_while_connected() {
    const DOCS: usize = 400;
    let (mut ca, a_addr) = config(&[]);
    ca.idle_evict = Duration::from_millis(500);
    let a = Node::start(ca).await.unwrap();
    let mut a_docs = Vec::new();
    for i in 0..DOCS {
        let d = a.open(&format!("many-{i}")).await.unwrap();
        d.edit(move |tx| tx.counter("n").add(i as i64).unwrap())
            .await
            .unwrap();
        a_docs.push(d);
    }
    let (mut cb, _) = config(std::slice::from_ref(&a_addr));
    cb.idle_evict = Duration::from_millis(500);
    let b = Node::start(cb).await.unwrap();
    let mut b_docs = Vec::new();
    for i in 0..DOCS {
        b_docs.push(b.open(&format!("many-{i}")).await.unwrap());
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut behind = 0;
        for (da, db) in a_docs.iter().zip(&b_docs) {
            let va = da.read(|d| d.version()).await.unwrap();
            behind += usize::from(db.read(|d| d.version()).await.unwrap() != va);
        }
        if behind == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{behind} documents behind");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let started = a.stats().await.unwrap().catchups_started;
    assert!(
        started >= DOCS as u64 && started <= 2 * DOCS as u64,
        "{started} catch-ups for {DOCS} documents"
    );
    all_unloaded(&a, &b, Duration::from_secs(30)).await;
    let n = b_docs[DOCS - 1]
        .read(|d| d.root().counter("n"))
        .await
        .unwrap();
    assert_eq!(n, Some(DOCS as i64 - 1));
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

/// Idle summaries never stop (they thin out to one every 64 summary
/// intervals), so they must not count as use: here they come every 1.6 s
/// and a document leaves memory after 2.5 s unused, on both nodes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_summaries_do_not_keep_a_shared_document_loaded() {
    let (mut ca, a_addr) = config(&[]);
    ca.sync.summary_interval_ms = 25;
    ca.idle_evict = Duration::from_millis(2_500);
    let a = Node::start(ca).await.unwrap();
    let (mut cb, _) = config(std::slice::from_ref(&a_addr));
    cb.sync.summary_interval_ms = 25;
    cb.idle_evict = Duration::from_millis(2_500);
    let b = Node::start(cb).await.unwrap();
    let (da, db) = (a.open("idle").await.unwrap(), b.open("idle").await.unwrap());
    da.edit(|tx| tx.counter("n").add(1).unwrap()).await.unwrap();
    converged(&[&da, &db]).await;
    all_unloaded(&a, &b, Duration::from_secs(20)).await;
    assert_eq!(db.read(|d| d.root().counter("n")).await.unwrap(), Some(1));
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

/// The sample of `name` (with labels, as rendered) in `metrics`.
fn sample(metrics: &str, name: &str) -> Option<u64> {
    metrics
        .lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_crossed_the_wire() {
    let (ca, a_addr) = config(&[]);
    let a = Node::start(ca).await.unwrap();
    let b = Node::start(config(std::slice::from_ref(&a_addr)).0)
        .await
        .unwrap();
    let (da, db) = (a.open("m").await.unwrap(), b.open("m").await.unwrap());
    // Wait for the session, then publish five transactions.
    let start = Instant::now();
    while da.status().await.unwrap().peers.is_empty() {
        assert!(start.elapsed() < Duration::from_secs(30), "no peer");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for i in 0..5 {
        da.edit(move |tx| tx.counter("n").add(i).unwrap())
            .await
            .unwrap();
    }
    converged(&[&da, &db]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    a.stats().await.unwrap(); // the gauges follow the node's ticks
    let (ma, mb) = (a.metrics(), b.metrics());
    assert_eq!(sample(&ma, "converge_deltas_published_total"), Some(5));
    let published = sample(&ma, "converge_deltas_published_bytes_total").unwrap();
    let stats = a.stats().await.unwrap();
    assert_eq!(stats.deltas_published, 5);
    assert_eq!(stats.delta_bytes_published, published);
    let gossip_in = r#"converge_sync_bytes_total{channel="gossip",direction="in"}"#;
    assert!(
        sample(&mb, gossip_in).unwrap() > published,
        "b received the deltas (framed) and summaries:\n{mb}"
    );
    let wire = r#"libp2p_bandwidth_bytes_total{protocols="/memory",direction="Outbound"}"#;
    assert!(sample(&ma, wire).unwrap() > published, "{ma}");
    assert_eq!(sample(&ma, "converge_open_docs"), Some(1));
    assert_eq!(sample(&ma, "converge_connected_peers"), Some(1));
    assert!(ma.contains("libp2p_gossipsub_messages_total"), "{ma}");
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_peer_is_cut_off_until_unblocked() {
    let (ca, a_addr) = config(&[]);
    let a = Node::start(ca).await.unwrap();
    let b = Node::start(config(std::slice::from_ref(&a_addr)).0)
        .await
        .unwrap();
    let (da, db) = (a.open("p").await.unwrap(), b.open("p").await.unwrap());
    da.edit(|tx| tx.counter("n").add(1).unwrap()).await.unwrap();
    converged(&[&da, &db]).await;

    a.block_peer(b.peer_id()).await.unwrap();
    let start = Instant::now();
    while !a.connected_peers().await.unwrap().is_empty() {
        assert!(start.elapsed() < Duration::from_secs(10), "still connected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // B dials again: refused while blocked, and nothing crosses.
    b.dial(a_addr.clone()).await.unwrap();
    db.edit(|tx| tx.counter("n").add(10).unwrap())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(a.connected_peers().await.unwrap().is_empty());
    let n = |d: &converge_core::Doc| d.root().counter("n");
    assert_eq!(da.read(n).await.unwrap(), Some(1));

    a.unblock_peer(b.peer_id()).await.unwrap();
    b.dial(a_addr).await.unwrap();
    converged(&[&da, &db]).await;
    assert_eq!(da.read(n).await.unwrap(), Some(11));
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_bootstrap_peer_is_dialled_again() {
    let (ca, a_addr) = config(&[]);
    let a = Node::start(ca).await.unwrap();
    let b = Node::start(config(std::slice::from_ref(&a_addr)).0)
        .await
        .unwrap();
    let (da, db) = (a.open("r").await.unwrap(), b.open("r").await.unwrap());
    da.edit(|tx| tx.counter("n").add(1).unwrap()).await.unwrap();
    converged(&[&da, &db]).await;
    // A drops the connection; B, whose bootstrap peer A is, dials again.
    assert!(a.disconnect(b.peer_id()).await.unwrap());
    let start = Instant::now();
    while a.connected_peers().await.unwrap().is_empty()
        || start.elapsed() < Duration::from_millis(100)
    {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "B did not come back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    db.edit(|tx| tx.counter("n").add(10).unwrap())
        .await
        .unwrap();
    converged(&[&da, &db]).await;
    assert_eq!(da.read(|d| d.root().counter("n")).await.unwrap(), Some(11));
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}
