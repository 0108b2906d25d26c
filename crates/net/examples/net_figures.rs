//! The figures of docs/benchmarks-net.md: real libp2p swarms in one
//! process (memory transport, noise, yamux, gossipsub, request-response),
//! each node with its own store.
//!
//! ```text
//! cargo run --release -p converge-net --example net_figures            # everything
//! cargo run --release -p converge-net --example net_figures -- spread 10 20 50
//! cargo run --release -p converge-net --example net_figures -- catchup
//! cargo run --release -p converge-net --example net_figures -- split
//! cargo run --release -p converge-net --example net_figures -- sustained [NODES RATE SECONDS [typing|counters]]
//! cargo run --release -p converge-net --example net_figures -- docs [N]
//! ```
//!
//! - `spread N...`: N nodes (each dials up to 4 earlier ones), 1,000
//!   one-character insertions spread over them concurrently; time until
//!   every snapshot is byte-identical, bytes on the wire (every libp2p
//!   stream, both directions: sync, gossipsub control, identify, ping) and
//!   amplification against the ideal (every delta delivered once to every
//!   other node).
//! - `catchup`: a node stops, its peer makes 10,000 edits (the first 10,000
//!   of automerge-paper when the traces are there, else random typing), the
//!   node restarts from its store and reconnects: time and bytes.
//! - `split`: 5 nodes split 2|3, 1,000 edits on each side, healed: time,
//!   bytes and catch-up transfers.
//! - `sustained`: 10 nodes each typing 200 keystrokes a second for 60 s
//!   (by default): delivery latency from an edit to every other node
//!   (p50, p99, max) and the process's resident memory over time. Each
//!   edit types a character and counts up the node's counter; `counters`
//!   only counts, so the documents stay the same size and what memory
//!   grows is the network stack's.
//! - `docs N` (not in `all`): a node with a redb store holds N documents
//!   (10,000 by default), a second node opens them all and catches up;
//!   time, bytes, memory, and the documents leaving memory when idle.
//!
//! `NET_FIGURES_MESH=D` sets `Config::mesh_degree`, `NET_FIGURES_GRACE=MS`
//! the sync protocol's `gossip_grace_ms`, `NET_FIGURES_SUMMARY_MS=MS` its
//! `summary_interval_ms` and `NET_FIGURES_BATCH_MS=MS` its
//! `publish_batch_ms`, to compare settings.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use converge_core::{ChangeKind, PathSeg, Transaction};

use converge_net::{identity, Config, DocHandle, Multiaddr, Node, NodeStats};
use converge_testkit::Rng;

const DOC: &str = "bench";

fn memory_addr() -> Multiaddr {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = 7_000_000 + u64::from(std::process::id()) * 1_000 + NEXT.fetch_add(1, Ordering::SeqCst);
    format!("/memory/{n}").parse().expect("a memory address")
}

fn config(addr: &Multiaddr) -> Config {
    let mut c = Config::listening(addr.clone());
    if let Some(d) = std::env::var("NET_FIGURES_MESH")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        c.mesh_degree = d;
    }
    if let Some(g) = std::env::var("NET_FIGURES_GRACE")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        c.sync.gossip_grace_ms = g;
    }
    if let Some(ms) = std::env::var("NET_FIGURES_SUMMARY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        c.sync.summary_interval_ms = ms;
    }
    if let Some(ms) = std::env::var("NET_FIGURES_BATCH_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        c.sync.publish_batch_ms = ms;
    }
    c.heartbeat = Duration::from_millis(200);
    c.tick = Duration::from_millis(50);
    c
}

#[derive(Clone)]
struct Peer {
    key: identity::Keypair,
    config: Config,
    node: Node,
    doc: DocHandle,
}

async fn start(key: identity::Keypair, config: Config) -> Peer {
    let node = Node::start_with_identity(key.clone(), config.clone())
        .await
        .expect("node starts");
    let doc = node.open(DOC).await.expect("document opens");
    Peer {
        key,
        config,
        node,
        doc,
    }
}

/// The sum of the samples of `node`'s metrics whose line starts with
/// `prefix` (name and labels).
fn metric(node: &Node, prefix: &str) -> u64 {
    node.metrics()
        .lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// Bytes every libp2p stream of `node` wrote: summed over all nodes, the
/// bytes on the wire.
fn wire_bytes_out(node: &Node) -> u64 {
    metric(
        node,
        "libp2p_bandwidth_bytes_total{protocols=\"/memory\",direction=\"Outbound\"}",
    )
}

/// Sync bytes `node` sent point to point (catch-up, requests, acks).
fn direct_bytes_out(node: &Node) -> u64 {
    metric(
        node,
        "converge_sync_bytes_total{channel=\"direct\",direction=\"out\"}",
    )
}

async fn total_wire(peers: &[Peer]) -> u64 {
    peers.iter().map(|p| wire_bytes_out(&p.node)).sum()
}

async fn total_direct(peers: &[Peer]) -> u64 {
    peers.iter().map(|p| direct_bytes_out(&p.node)).sum()
}

async fn stats(peers: &[Peer]) -> Vec<NodeStats> {
    let mut out = Vec::new();
    for p in peers {
        out.push(p.node.stats().await.expect("stats"));
    }
    out
}

/// Waits until every node's snapshot is byte-identical; returns when.
async fn converge(peers: &[Peer], limit: Duration) -> Result<Instant, String> {
    let start = Instant::now();
    loop {
        let mut versions = Vec::new();
        for p in peers {
            versions.push(p.doc.read(|d| d.version()).await.expect("read"));
        }
        if versions.iter().all(|v| *v == versions[0]) {
            let mut snaps = Vec::new();
            for p in peers {
                snaps.push(p.doc.read(|d| d.snapshot()).await.expect("read"));
            }
            if snaps.iter().all(|s| *s == snaps[0]) {
                return Ok(Instant::now());
            }
        }
        if start.elapsed() > limit {
            return Err(format!("no convergence within {limit:?}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Starts `n` nodes; node i dials up to `links` random earlier nodes.
async fn network(n: usize, links: usize, rng: &mut Rng) -> Vec<Peer> {
    let mut peers: Vec<Peer> = Vec::new();
    for i in 0..n {
        let addr = memory_addr();
        let mut c = config(&addr);
        let mut targets: Vec<usize> = (0..i).collect();
        while targets.len() > links {
            targets.swap_remove(rng.below(targets.len()));
        }
        c.bootstrap = targets
            .iter()
            .map(|&j| peers[j].config.listen[0].clone())
            .collect();
        peers.push(start(identity::Keypair::generate_ed25519(), c).await);
    }
    // Every node sees its peers subscribed, and gossipsub's mesh forms at
    // the next heartbeats.
    for p in &peers {
        let deadline = Instant::now() + Duration::from_secs(30);
        while p.doc.status().await.expect("status").peers.is_empty() {
            assert!(Instant::now() < deadline, "a node found no peer");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    peers
}

/// Types one letter, chosen by `seed`, at a place of the shared text
/// chosen by `seed`.
fn type_letter(tx: &mut Transaction<'_>, seed: u64) {
    let mut rng = Rng::new(seed);
    let mut text = tx.text("notes");
    let pos = rng.below(text.len() + 1);
    let c = char::from(b'a' + rng.below(26) as u8);
    text.insert(pos, c.encode_utf8(&mut [0; 4]))
        .expect("in range");
}

/// One keystroke at a random place of the shared text.
async fn keystroke(doc: &DocHandle, seed: u64) {
    doc.edit(move |tx| type_letter(tx, seed))
        .await
        .expect("edit");
}

/// `edits` keystrokes spread evenly over `peers`, all typing at once.
async fn type_concurrently(peers: &[Peer], edits: usize, rng: &mut Rng) {
    let n = peers.len();
    let mut tasks = Vec::new();
    for (i, p) in peers.iter().enumerate() {
        let doc = p.doc.clone();
        let share = edits / n + usize::from(i < edits % n);
        let seed = rng.next_u64();
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng::new(seed);
            for _ in 0..share {
                keystroke(&doc, rng.next_u64()).await;
            }
        }));
    }
    for t in tasks {
        t.await.expect("editing task");
    }
}

fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

async fn spread(n: usize, edits: usize) {
    let mut rng = Rng::new(n as u64);
    let peers = network(n, 4, &mut rng).await;
    let wire_before = total_wire(&peers).await;
    let direct_before = total_direct(&peers).await;
    let before = stats(&peers).await;
    let start = Instant::now();
    type_concurrently(&peers, edits, &mut rng).await;
    let edited = start.elapsed();
    let done = converge(&peers, Duration::from_secs(120)).await;
    let after = stats(&peers).await;
    let wire = total_wire(&peers).await - wire_before;
    let published: u64 = after
        .iter()
        .zip(&before)
        .map(|(a, b)| a.delta_bytes_published - b.delta_bytes_published)
        .sum();
    let direct = total_direct(&peers).await - direct_before;
    let ideal = published * (n as u64 - 1);
    match done {
        Ok(at) => println!(
            "spread {n:>2} nodes, {edits} edits: edited in {:>6.0} ms, converged {:>6.0} ms after the first edit; \
             wire {} ({:.0} B/edit/node), ideal {} ({:.1} B/delta): amplification {:.2}x; \
             direct (catch-up) {}",
            edited.as_secs_f64() * 1e3,
            (at - start).as_secs_f64() * 1e3,
            kib(wire),
            wire as f64 / edits as f64 / (n as f64 - 1.0),
            kib(ideal),
            published as f64 / edits as f64,
            wire as f64 / ideal.max(1) as f64,
            kib(direct),
        ),
        Err(e) => println!("spread {n} nodes: FAILED: {e}"),
    }
    for p in peers {
        p.node.shutdown().await.expect("shutdown");
    }
}

/// The first `edits` edits of automerge-paper as (pos, del, ins), or random
/// typing when the trace is not there.
fn trace_edits(edits: usize) -> (Vec<(usize, usize, String)>, &'static str) {
    match converge_testkit::traces::load(converge_testkit::traces::AUTOMERGE_PAPER) {
        Ok(trace) => (
            trace
                .txns
                .iter()
                .flat_map(|t| t.patches.iter())
                .take(edits)
                .map(|p| (p.pos, p.del, p.ins.clone()))
                .collect(),
            "automerge-paper",
        ),
        Err(e) => {
            println!("(traces not found: {e}; random typing instead)");
            let mut rng = Rng::new(1);
            let mut len = 0;
            let out = (0..edits)
                .map(|_| {
                    let pos = rng.below(len + 1);
                    len += 1;
                    (pos, 0, "x".to_string())
                })
                .collect();
            (out, "random typing")
        }
    }
}

async fn catchup(edits: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a_addr, b_addr) = (memory_addr(), memory_addr());
    let mut ca = config(&a_addr);
    ca.store = Some(dir.path().join("a.redb"));
    let mut cb = config(&b_addr);
    cb.store = Some(dir.path().join("b.redb"));
    cb.bootstrap = vec![a_addr.clone()];
    let a = start(identity::Keypair::generate_ed25519(), ca).await;
    let b = start(identity::Keypair::generate_ed25519(), cb).await;
    a.doc
        .edit(|tx| tx.text("notes").push_str("start").expect("push"))
        .await
        .expect("edit");
    converge(&[a.clone(), b.clone()], Duration::from_secs(30))
        .await
        .expect("first sync");
    let (b_key, b_config) = (b.key.clone(), b.config.clone());
    b.node.shutdown().await.expect("b stops");
    let (patches, source) = trace_edits(edits);
    let before = a.node.stats().await.expect("stats");
    for (pos, del, ins) in patches {
        a.doc
            .edit(move |tx| {
                let mut text = tx.text("notes");
                // "start" sits before the trace's text.
                text.splice(pos + 5, del, &ins)
                    .expect("trace edit in range");
            })
            .await
            .expect("edit");
    }
    let after = a.node.stats().await.expect("stats");
    let missing = after.delta_bytes_published - before.delta_bytes_published;
    let snapshot = a.doc.read(|d| d.snapshot().len()).await.expect("read");
    let wire_a = wire_bytes_out(&a.node);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    let b = start(b_key, b_config).await;
    let peers = [a, b];
    let done = converge(&peers, Duration::from_secs(120)).await;
    let wire = wire_bytes_out(&peers[0].node) - wire_a + wire_bytes_out(&peers[1].node);
    match done {
        Ok(at) => println!(
            "catch-up of {edits} edits ({source}): {:.0} ms from restart to identical snapshots; \
             wire {} both ways (identify, ping and gossipsub included); \
             the missed deltas {} ({:.2}x, target <= 1.1x + 1 KiB), the snapshot {}",
            (at - started).as_secs_f64() * 1e3,
            kib(wire),
            kib(missing),
            wire as f64 / missing as f64,
            kib(snapshot as u64),
        ),
        Err(e) => println!("catch-up: FAILED: {e}"),
    }
    for p in peers {
        p.node.shutdown().await.expect("shutdown");
    }
}

async fn split(edits_per_side: usize) {
    let mut rng = Rng::new(5);
    // Everyone connected to everyone.
    let peers = network(5, 4, &mut rng).await;
    converge(&peers, Duration::from_secs(30))
        .await
        .expect("start");
    let (left, right) = peers.split_at(2);
    for l in left {
        for r in right {
            l.node
                .disconnect(r.node.peer_id())
                .await
                .expect("disconnect");
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for side in [left, right] {
        type_concurrently(side, edits_per_side, &mut rng).await;
    }
    converge(left, Duration::from_secs(60))
        .await
        .expect("left side");
    converge(right, Duration::from_secs(60))
        .await
        .expect("right side");
    let wire_before = total_wire(&peers).await;
    let direct_before = total_direct(&peers).await;
    let catchups_before: u64 = stats(&peers).await.iter().map(|s| s.catchups_started).sum();
    let started = Instant::now();
    for l in left {
        for r in right {
            let _ = l.node.dial(r.config.listen[0].clone()).await;
        }
    }
    let done = converge(&peers, Duration::from_secs(120)).await;
    let wire = total_wire(&peers).await - wire_before;
    let after = stats(&peers).await;
    let direct = total_direct(&peers).await - direct_before;
    let side_delta: u64 = after.iter().map(|s| s.delta_bytes_published).sum::<u64>() / 2;
    let catchups = after.iter().map(|s| s.catchups_started).sum::<u64>() - catchups_before;
    match done {
        Ok(at) => println!(
            "split 2|3, {edits_per_side} edits per side, healed: identical {:.0} ms after the heal; \
             wire {}, of which direct sync {} in {catchups} catch-up transfers (one side's deltas: {})",
            (at - started).as_secs_f64() * 1e3,
            kib(wire),
            kib(direct),
            kib(side_delta),
        ),
        Err(e) => println!("split: FAILED: {e}"),
    }
    for p in peers {
        p.node.shutdown().await.expect("shutdown");
    }
}

/// The process's resident memory in bytes (Linux), or 0.
fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// Delivery latencies in 0.1 ms buckets up to 100 s: a fixed 4 MB, so the
/// benchmark's own bookkeeping does not show in the memory it measures.
struct Latencies {
    buckets: Vec<u32>,
    count: u64,
    max: Duration,
}

impl Latencies {
    const BUCKET_US: u128 = 100;

    fn new() -> Self {
        Latencies {
            buckets: vec![0; 1_000_000],
            count: 0,
            max: Duration::ZERO,
        }
    }

    fn record(&mut self, d: Duration) {
        let i = (d.as_micros() / Self::BUCKET_US).min(self.buckets.len() as u128 - 1) as usize;
        self.buckets[i] += 1;
        self.count += 1;
        self.max = self.max.max(d);
    }

    fn percentile(&self, p: f64) -> Duration {
        let rank = (self.count as f64 * p).ceil().max(1.0) as u64;
        let mut seen = 0u64;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += u64::from(*n);
            if seen >= rank {
                return Duration::from_micros(((i as u128 + 1) * Self::BUCKET_US) as u64);
            }
        }
        self.max
    }
}

/// Every node types `rate` keystrokes a second for `secs` seconds. Each
/// keystroke also counts up the node's own counter `n<i>`: a receiver's
/// change event for that counter says how many of node i's edits it has,
/// so it stamps each one's delivery without reading the document.
async fn sustained(nodes: usize, rate: u32, secs: u64, typing: bool) {
    let mut rng = Rng::new(0x5157);
    let peers = network(nodes, 4, &mut rng).await;
    let sent: Arc<Vec<Mutex<Vec<Instant>>>> =
        Arc::new((0..nodes).map(|_| Mutex::new(Vec::new())).collect());
    let latencies = Arc::new(Mutex::new(Latencies::new()));
    let stop_watching = Arc::new(AtomicBool::new(false));
    let mut watchers = Vec::new();
    for (j, p) in peers.iter().enumerate() {
        let mut changes = p.doc.changes();
        let (sent, latencies, stop) = (sent.clone(), latencies.clone(), stop_watching.clone());
        watchers.push(tokio::spawn(async move {
            let mut seen = vec![0usize; sent.len()];
            let mut lagged = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let event =
                    match tokio::time::timeout(Duration::from_millis(100), changes.recv()).await {
                        Ok(Ok(e)) => e,
                        Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(n))) => {
                            lagged += n;
                            continue;
                        }
                        Ok(Err(_)) => break,
                        Err(_) => continue,
                    };
                let now = Instant::now();
                for c in &event.changes {
                    let (Some(PathSeg::Key(key)), ChangeKind::Counter { new, .. }) =
                        (c.path.first(), &c.kind)
                    else {
                        continue;
                    };
                    let Some(i) = key.strip_prefix('n').and_then(|n| n.parse::<usize>().ok())
                    else {
                        continue;
                    };
                    if i == j || i >= seen.len() {
                        continue;
                    }
                    let upto = usize::try_from(*new).unwrap_or(0);
                    let stamps = sent[i].lock().expect("stamps");
                    let upto = upto.min(stamps.len());
                    let mut l = latencies.lock().expect("latencies");
                    for stamp in &stamps[seen[i].min(upto)..upto] {
                        l.record(now.saturating_duration_since(*stamp));
                    }
                    seen[i] = seen[i].max(upto);
                }
            }
            lagged
        }));
    }
    let rss_start = resident_bytes();
    let started = Instant::now();
    let stop_editing = Arc::new(AtomicBool::new(false));
    let mut editors = Vec::new();
    for (i, p) in peers.iter().enumerate() {
        let (doc, sent, stop) = (p.doc.clone(), sent.clone(), stop_editing.clone());
        let seed = rng.next_u64();
        editors.push(tokio::spawn(async move {
            let mut rng = Rng::new(seed);
            let mut every = tokio::time::interval(Duration::from_secs(1) / rate);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            let key = format!("n{i}");
            while !stop.load(Ordering::Relaxed) {
                every.tick().await;
                let seed = rng.next_u64();
                let key = key.clone();
                sent[i].lock().expect("stamps").push(Instant::now());
                doc.edit(move |tx| {
                    if typing {
                        type_letter(tx, seed);
                    }
                    tx.counter(&key).add(1).expect("count");
                })
                .await
                .expect("edit");
            }
        }));
    }
    let mut memory = Vec::new();
    for s in 1..=secs {
        tokio::time::sleep_until((started + Duration::from_secs(s)).into()).await;
        if s % 10 == 0 || s == 1 {
            memory.push((s, resident_bytes()));
        }
    }
    stop_editing.store(true, Ordering::Relaxed);
    for e in editors {
        e.await.expect("editor");
    }
    let typed: usize = sent.iter().map(|s| s.lock().expect("stamps").len()).sum();
    let elapsed = started.elapsed();
    let done = converge(&peers, Duration::from_secs(120)).await;
    let settled = started.elapsed();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop_watching.store(true, Ordering::Relaxed);
    let mut lagged = 0;
    for w in watchers {
        lagged += w.await.expect("watcher");
    }
    let expected = typed * (nodes - 1);
    let wire = total_wire(&peers).await;
    let (count, p50, p99, max) = {
        let l = latencies.lock().expect("latencies");
        (l.count, l.percentile(0.5), l.percentile(0.99), l.max)
    };
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "sustained ({}): {nodes} nodes x {rate} edits/s for {secs} s: {typed} edits made in {:.1} s ({:.0}/s); \
         {} of {expected} deliveries stamped ({lagged} events lagged); latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; \
         {}; wire {}",
        if typing { "typing" } else { "counters only" },
        elapsed.as_secs_f64(),
        typed as f64 / elapsed.as_secs_f64(),
        count,
        ms(p50),
        ms(p99),
        ms(max),
        match done {
            Ok(_) => format!("identical {:.1} s after the start", settled.as_secs_f64()),
            Err(e) => format!("FAILED: {e}"),
        },
        kib(wire),
    );
    let series: Vec<String> =
        std::iter::once(format!("start {:.0} MiB", rss_start as f64 / 1048576.0))
            .chain(
                memory
                    .iter()
                    .map(|(s, b)| format!("{s} s {:.0} MiB", *b as f64 / 1048576.0)),
            )
            .collect();
    println!("sustained: resident memory {}", series.join(", "));
    let mut held = (0, 0, 0);
    for p in &peers {
        let (h, snap) = p
            .doc
            .read(|d| (d.history_stats(), d.snapshot().len()))
            .await
            .expect("read");
        held = (held.0 + h.entries, held.1 + h.bytes, held.2 + snap);
    }
    println!(
        "sustained: held by the {nodes} documents: history {} entries, {}; snapshots {}",
        held.0,
        kib(held.1 as u64),
        kib(held.2 as u64)
    );
    for p in peers {
        p.node.shutdown().await.expect("shutdown");
    }
}

/// A node with a redb store holds `n` documents, each edited once; a
/// second node opens the same `n` and catches up with all of them; then
/// both sit idle until their documents leave memory.
async fn many_docs(n: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a_addr, b_addr) = (memory_addr(), memory_addr());
    let mut ca = config(&a_addr);
    ca.store = Some(dir.path().join("a.redb"));
    ca.idle_evict = Duration::from_secs(3);
    ca.max_docs_per_peer = n.max(ca.max_docs_per_peer);
    let mut cb = config(&b_addr);
    cb.store = Some(dir.path().join("b.redb"));
    cb.idle_evict = Duration::from_secs(3);
    cb.max_docs_per_peer = n.max(cb.max_docs_per_peer);
    cb.bootstrap = vec![a_addr.clone()];
    let rss_start = resident_bytes();
    let a = Node::start(ca).await.expect("a starts");
    let started = Instant::now();
    let mut a_docs = Vec::with_capacity(n);
    for i in 0..n {
        let d = a.open(&format!("doc-{i}")).await.expect("open");
        d.edit(move |tx| {
            tx.text("title")
                .push_str(&format!("document {i}"))
                .expect("title");
            tx.counter("n").add(1).expect("count");
        })
        .await
        .expect("edit");
        a_docs.push(d);
    }
    let created = started.elapsed();
    let b = Node::start(cb).await.expect("b starts");
    let started = Instant::now();
    let mut b_docs = Vec::with_capacity(n);
    for i in 0..n {
        b_docs.push(b.open(&format!("doc-{i}")).await.expect("open"));
    }
    let opened = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut behind = n;
    while behind > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        behind = 0;
        for (da, db) in a_docs.iter().zip(&b_docs) {
            let va = da.read(|d| d.version()).await.expect("read");
            let vb = db.read(|d| d.version()).await.expect("read");
            behind += usize::from(va != vb);
        }
    }
    let synced = started.elapsed();
    let rss_synced = resident_bytes();
    let wire = wire_bytes_out(&a) + wire_bytes_out(&b);
    let (sa, sb) = (
        a.stats().await.expect("stats"),
        b.stats().await.expect("stats"),
    );
    // Idle: the documents leave memory (the handles stay open).
    let idle_deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < idle_deadline {
        let (la, lb) = (
            a.stats().await.expect("stats").loaded_docs,
            b.stats().await.expect("stats").loaded_docs,
        );
        if la == 0 && lb == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (ia, ib) = (
        a.stats().await.expect("stats"),
        b.stats().await.expect("stats"),
    );
    let rss_idle = resident_bytes();
    // One document read again: loaded from the store on demand.
    let t = Instant::now();
    let title = b_docs[n / 2]
        .read(|d| d.root().text("title").map(|t| t.to_string()))
        .await
        .expect("read");
    let reload = t.elapsed();
    println!(
        "docs: {n} documents: created and edited on A in {:.1} s; B opened them in {:.1} s and {} \
         {:.1} s after its first open; wire {} ({:.0} B per document); {} and {} catch-ups started (A, B); \
         loaded while syncing {} / {}, after idling {} / {} (of {} open); resident memory {} MiB before, {} MiB synced, {} MiB idle; \
         a read after eviction {:.1} ms ({:?})",
        created.as_secs_f64(),
        opened.as_secs_f64(),
        if behind == 0 { "had all of them".to_string() } else { format!("still lacked {behind}") },
        synced.as_secs_f64(),
        kib(wire),
        wire as f64 / n as f64,
        sa.catchups_started,
        sb.catchups_started,
        sa.loaded_docs,
        sb.loaded_docs,
        ia.loaded_docs,
        ib.loaded_docs,
        ib.open_docs,
        rss_start / 1_048_576,
        rss_synced / 1_048_576,
        rss_idle / 1_048_576,
        reload.as_secs_f64() * 1e3,
        title.unwrap_or_default(),
    );
    a.shutdown().await.expect("shutdown");
    b.shutdown().await.expect("shutdown");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let what = args.first().map(String::as_str).unwrap_or("all");
    let sizes: Vec<usize> = args.iter().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() {
        vec![10, 20, 50]
    } else {
        sizes
    };
    if matches!(what, "spread" | "all") {
        for n in sizes {
            spread(n, 1_000).await;
        }
    }
    if matches!(what, "catchup" | "all") {
        catchup(10_000).await;
    }
    if matches!(what, "split" | "all") {
        split(1_000).await;
    }
    if matches!(what, "sustained" | "all") {
        let arg =
            |i: usize, default: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
        let typing = args.get(4).is_none_or(|w| w != "counters");
        sustained(arg(1, 10) as usize, arg(2, 200) as u32, arg(3, 60), typing).await;
    }
    if what == "docs" {
        many_docs(args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000)).await;
    }
    if !matches!(
        what,
        "spread" | "catchup" | "split" | "sustained" | "docs" | "all"
    ) {
        eprintln!(
            "net_figures: unknown figure '{what}' (spread [N...], catchup, split, sustained [NODES RATE SECONDS [typing|counters]] or all)"
        );
        std::process::exit(2);
    }
}
