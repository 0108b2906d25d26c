//! A peer that gossips garbage, oversized and flooding messages on a
//! document's topic is cut off and banned; the honest peers keep syncing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use converge_net::{topic_of, Config, DocHandle, Multiaddr, Node};
use futures::StreamExt;
use libp2p::core::transport::MemoryTransport;
use libp2p::core::{upgrade, Transport};
use libp2p::swarm::NetworkBehaviour;
use libp2p::{gossipsub, identity, noise, yamux, SwarmBuilder};

fn memory_addr() -> Multiaddr {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = 9_000_000 + u64::from(std::process::id()) * 1000 + NEXT.fetch_add(1, Ordering::SeqCst);
    format!("/memory/{n}").parse().unwrap()
}

#[derive(NetworkBehaviour)]
struct Bad {
    gossipsub: gossipsub::Behaviour,
}

async fn snapshot(doc: &DocHandle) -> Vec<u8> {
    doc.read(|d| d.snapshot()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garbage_flooding_peer_is_cut_off_and_the_others_sync() {
    let a_addr = memory_addr();
    let mut ca = Config::listening(a_addr.clone());
    ca.heartbeat = Duration::from_millis(100);
    let a = Node::start(ca).await.unwrap();
    let mut cb = Config::listening(memory_addr());
    cb.bootstrap = vec![a_addr.clone()];
    cb.heartbeat = Duration::from_millis(100);
    let b = Node::start(cb).await.unwrap();
    let (da, db) = (
        a.open("target").await.unwrap(),
        b.open("target").await.unwrap(),
    );

    // The bad peer: a bare gossipsub swarm on the document's topic.
    let key = identity::Keypair::generate_ed25519();
    let bad_id = key.public().to_peer_id();
    let mut bad = SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_other_transport(|key| {
            Ok(MemoryTransport::default()
                .upgrade(upgrade::Version::V1)
                .authenticate(noise::Config::new(key)?)
                .multiplex(yamux::Config::default()))
        })
        .unwrap()
        .with_behaviour(|key| {
            let config = gossipsub::ConfigBuilder::default()
                .heartbeat_interval(Duration::from_millis(100))
                .max_transmit_size(1 << 20)
                .build()
                .unwrap();
            Bad {
                gossipsub: gossipsub::Behaviour::new(
                    gossipsub::MessageAuthenticity::Signed(key.clone()),
                    config,
                )
                .unwrap(),
            }
        })
        .unwrap()
        .build();
    let topic = topic_of("target");
    bad.behaviour_mut().gossipsub.subscribe(&topic).unwrap();
    bad.dial(a_addr.clone()).unwrap();

    let start = Instant::now();
    let mut sent = 0u64;
    let mut k = 0u64;
    let edits = async {
        for i in 0..100i64 {
            da.edit(move |tx| tx.counter("a").add(i).unwrap())
                .await
                .unwrap();
            db.edit(move |tx| tx.counter("b").add(i).unwrap())
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::pin!(edits);
    let mut edits_done = false;
    // Drive the bad swarm while the honest ones edit; it sends garbage,
    // an oversized message and a flood, for 3 s.
    while start.elapsed() < Duration::from_secs(3) || !edits_done {
        tokio::select! {
            _ = &mut edits, if !edits_done => edits_done = true,
            _ = bad.select_next_some() => {}
            _ = tokio::time::sleep(Duration::from_millis(1)) => {
                k += 1;
                // Small garbage first: an oversized message first would
                // only break its gossipsub stream (gossipsub refuses frames
                // over max_transmit_size before converge sees them), and
                // the test is about converge cutting the peer off.
                let payload = match if sent < 50 { 1 } else { k % 3 } {
                    0 => vec![0xAB; 16],
                    1 => format!("garbage {k}").into_bytes(),
                    _ => vec![7; 200 << 10],
                };
                if bad.behaviour_mut().gossipsub.publish(topic.clone(), payload).is_ok() {
                    sent += 1;
                }
            }
        }
        assert!(start.elapsed() < Duration::from_secs(60), "edits stalled");
    }
    assert!(sent > 0, "the bad peer never got to send");

    // The honest peers converge.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if snapshot(&da).await == snapshot(&db).await {
            break;
        }
        assert!(Instant::now() < deadline, "honest peers did not converge");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sums = da
        .read(|d| (d.root().counter("a"), d.root().counter("b")))
        .await
        .unwrap();
    assert_eq!(sums, (Some(4950), Some(4950)));

    // And the bad one is gone.
    let deadline = Instant::now() + Duration::from_secs(10);
    while a.connected_peers().await.unwrap().contains(&bad_id) {
        assert!(
            Instant::now() < deadline,
            "the bad peer is still connected: {:?}",
            a.stats().await.unwrap()
        );
        let _ = tokio::time::timeout(Duration::from_millis(50), bad.select_next_some()).await;
    }
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}
