//! Seeded scenarios on in-process swarms (memory transport): 2, 5 and 20
//! nodes make random edits of every container type while peers are
//! disconnected, reconnected, and stopped and restarted from their redb
//! stores; every run ends with byte-identical snapshots.
//!
//! Long mode: `CONVERGE_NET_SEEDS=50 cargo test --release -p converge-net --test scenarios`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use converge_net::{identity, Config, DocHandle, Multiaddr, Node};
use converge_testkit::model::DocModel;
use converge_testkit::scenario::random_op;
use converge_testkit::Rng;

fn memory_addr() -> Multiaddr {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n =
        5_000_000 + u64::from(std::process::id()) * 10_000 + NEXT.fetch_add(1, Ordering::SeqCst);
    format!("/memory/{n}").parse().unwrap()
}

struct Peer {
    key: identity::Keypair,
    config: Config,
    addr: Multiaddr,
    live: Option<(Node, DocHandle)>,
}

async fn start(peer: &mut Peer) {
    let node = Node::start_with_identity(peer.key.clone(), peer.config.clone())
        .await
        .unwrap();
    let doc = node.open("scenario").await.unwrap();
    peer.live = Some((node, doc));
}

async fn snapshots(peers: &[Peer]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for p in peers {
        let (_, doc) = p.live.as_ref().unwrap();
        out.push(doc.read(|d| d.snapshot()).await.unwrap());
    }
    out
}

async fn scenario(seed: u64, n: usize, steps: usize) {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(seed);
    let mut peers: Vec<Peer> = (0..n)
        .map(|i| {
            let addr = memory_addr();
            let mut config = Config::listening(addr.clone());
            config.store = Some(dir.path().join(format!("peer{i}.redb")));
            config.heartbeat = Duration::from_millis(100);
            config.tick = Duration::from_millis(50);
            config.sync.summary_interval_ms = 300;
            Peer {
                key: identity::Keypair::generate_ed25519(),
                config,
                addr,
                live: None,
            }
        })
        .collect();
    let hub = peers[0].addr.clone();
    for (i, p) in peers.iter_mut().enumerate() {
        if i > 0 {
            p.config.bootstrap = vec![hub.clone()];
        }
    }
    for p in peers.iter_mut() {
        start(p).await;
    }
    let (mut edits, mut cuts, mut restarts) = (0, 0, 0);
    for _ in 0..steps {
        let i = rng.below(n);
        match rng.below(100) {
            0..=79 => {
                let (_, doc) = peers[i].live.as_ref().unwrap();
                let op_seed = rng.next_u64();
                doc.edit(move |tx| {
                    let mut rng = Rng::new(op_seed);
                    random_op(&mut rng, tx, &mut DocModel::default());
                })
                .await
                .unwrap();
                edits += 1;
            }
            80..=89 => {
                // Cut node i off from everyone it is connected to.
                let (node, _) = peers[i].live.as_ref().unwrap();
                for other in node.connected_peers().await.unwrap() {
                    node.disconnect(other).await.unwrap();
                }
                cuts += 1;
            }
            90..=95 => {
                let j = rng.below(n);
                if i != j {
                    let (node, _) = peers[i].live.as_ref().unwrap();
                    let _ = node.dial(peers[j].addr.clone()).await;
                }
            }
            _ => {
                if i != 0 {
                    let (node, _) = peers[i].live.take().unwrap();
                    node.shutdown().await.unwrap();
                    // The memory listener is gone once the swarm is.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    start(&mut peers[i]).await;
                    restarts += 1;
                }
            }
        }
        if rng.chance(20) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    // Heal: everyone dials the hub.
    for p in &peers[1..] {
        let (node, _) = p.live.as_ref().unwrap();
        let _ = node.dial(hub.clone()).await;
    }
    let start = Instant::now();
    loop {
        let snaps = snapshots(&peers).await;
        if snaps.iter().all(|s| *s == snaps[0]) {
            break;
        }
        if start.elapsed() >= Duration::from_secs(60) {
            for (i, p) in peers.iter().enumerate() {
                let (node, doc) = p.live.as_ref().unwrap();
                eprintln!(
                    "peer {i} {}: {:?}\n  connected {:?}",
                    node.peer_id(),
                    doc.status().await.unwrap(),
                    node.connected_peers().await.unwrap()
                );
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "seed {seed}, {n} nodes: no convergence 60 s after healing \
             ({edits} edits, {cuts} cuts, {restarts} restarts)"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for p in &peers {
        let (node, doc) = p.live.as_ref().unwrap();
        doc.read(|d| d.check_invariants()).await.unwrap();
        node.shutdown().await.unwrap();
    }
}

fn seeds(default: u64) -> u64 {
    std::env::var("CONVERGE_NET_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes() {
    for seed in 0..seeds(3) {
        scenario(seed, 2, 150).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_nodes() {
    for seed in 0..seeds(2) {
        scenario(100 + seed, 5, 200).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_nodes() {
    for seed in 0..seeds(1) {
        scenario(200 + seed, 20, 300).await;
    }
}
