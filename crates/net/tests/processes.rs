//! Two real OS processes sync over TCP and over QUIC on 127.0.0.1, each
//! with a redb store in a temporary folder. The peer process is this test
//! binary started again with `CONVERGE_NET_PEER` set (the `peer` test).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use converge_net::{Config, Multiaddr, Node};

const EDITS: i64 = 100;

/// The peer: listens or dials as told, makes `EDITS` edits, then reports
/// its state every 100 ms until killed.
#[test]
#[ignore = "started by the tests below"]
fn peer() {
    let Ok(name) = std::env::var("CONVERGE_NET_PEER") else {
        return;
    };
    let listen: Multiaddr = std::env::var("CONVERGE_NET_LISTEN")
        .unwrap()
        .parse()
        .unwrap();
    let dial = std::env::var("CONVERGE_NET_DIAL").ok();
    let store = std::env::var("CONVERGE_NET_STORE").unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let mut config = Config::listening(listen);
        config.store = Some(store.into());
        config.heartbeat = Duration::from_millis(100);
        config.sync.summary_interval_ms = 200;
        if let Some(addr) = dial {
            config.bootstrap = vec![addr.parse().unwrap()];
        }
        let node = Node::start(config).await.unwrap();
        let doc = node.open("shared").await.unwrap();
        // Announce the address with the peer id, for the other side.
        loop {
            let addrs = node.listen_addrs().await.unwrap();
            if let Some(a) = addrs.first() {
                println!("listening {a}/p2p/{}", node.peer_id());
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Edits up to the target, counting those a previous run of this
        // peer already stored (a restarted peer goes on where it was).
        let target: i64 = std::env::var("CONVERGE_NET_EDITS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(EDITS);
        let pad = "x".repeat(
            std::env::var("CONVERGE_NET_PAD")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
        );
        let mine = format!("by_{name}");
        let key = mine.clone();
        let done = doc
            .read(move |d| d.root().counter(&key).unwrap_or(0))
            .await
            .unwrap();
        for i in done..target {
            let tag = format!("{name}{i}{pad}");
            let mine = mine.clone();
            doc.edit(move |tx| {
                tx.list("items").push(tag.as_str()).unwrap();
                tx.counter("total").add(1).unwrap();
                tx.counter(&mine).add(1).unwrap();
            })
            .await
            .unwrap();
        }
        loop {
            let (total, digest) = doc
                .read(|d| {
                    let snap = d.snapshot();
                    let digest = snap.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
                        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
                    });
                    (d.root().counter("total").unwrap_or(0), digest)
                })
                .await
                .unwrap();
            println!("state {total} {digest:016x}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
}

struct Peer {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(name: &str, listen: &str, dial: Option<&str>, store: &std::path::Path) -> Peer {
    spawn_with(name, listen, dial, store, &[])
}

fn spawn_with(
    name: &str,
    listen: &str,
    dial: Option<&str>,
    store: &std::path::Path,
    env: &[(&str, &str)],
) -> Peer {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.envs(env.iter().copied());
    cmd.args([
        "peer",
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("CONVERGE_NET_PEER", name)
    .env("CONVERGE_NET_LISTEN", listen)
    .env("CONVERGE_NET_STORE", store)
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    if let Some(d) = dial {
        cmd.env("CONVERGE_NET_DIAL", d);
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Peer { child, lines: rx }
}

/// The next line containing `word`, from where it appears.
fn next_line(peer: &Peer, word: &str, deadline: Instant) -> String {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = peer
            .lines
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no `{word}` line in time"));
        if let Some(i) = line.find(word) {
            return line[i..].to_string();
        }
    }
}

fn two_processes_converge(listen: &str) {
    let dir = tempfile::tempdir().unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    let a = spawn("a", listen, None, &dir.path().join("a.redb"));
    let addr = next_line(&a, "listening ", deadline)["listening ".len()..].to_string();
    assert!(addr.contains("127.0.0.1"), "{addr}");
    let b = spawn("b", listen, Some(&addr), &dir.path().join("b.redb"));
    loop {
        let sa = next_line(&a, "state ", deadline);
        let sb = next_line(&b, "state ", deadline);
        if sa == sb && sa.starts_with(&format!("state {} ", 2 * EDITS)) {
            eprintln!("{listen}: both peers at `{sa}`");
            return;
        }
    }
}

#[test]
fn two_processes_converge_over_tcp() {
    two_processes_converge("/ip4/127.0.0.1/tcp/0");
}

#[test]
fn two_processes_converge_over_quic() {
    two_processes_converge("/ip4/127.0.0.1/udp/0/quic-v1");
}

#[test]
fn two_processes_converge_over_websocket() {
    two_processes_converge("/ip4/127.0.0.1/tcp/0/ws");
}

/// Three processes edit; one is killed with SIGKILL while it catches up
/// and restarted from its store; all three converge.
#[test]
fn a_peer_killed_mid_transfer_restarts_from_its_store() {
    let dir = tempfile::tempdir().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let tcp = "/ip4/127.0.0.1/tcp/0";
    let big = [("CONVERGE_NET_EDITS", "1000"), ("CONVERGE_NET_PAD", "200")];
    let a = spawn_with("a", tcp, None, &dir.path().join("a.redb"), &big);
    let addr = next_line(&a, "listening ", deadline)["listening ".len()..].to_string();
    let b = spawn_with("b", tcp, Some(&addr), &dir.path().join("b.redb"), &big);
    // Wait until a and b agree on their 2,000 edits.
    loop {
        let sa = next_line(&a, "state ", deadline);
        let sb = next_line(&b, "state ", deadline);
        if sa == sb && sa.starts_with("state 2000 ") {
            break;
        }
    }
    // c joins, catches up about 440 KB, and is killed early in it.
    let c_store = dir.path().join("c.redb");
    let small = [("CONVERGE_NET_EDITS", "100")];
    let c = spawn_with("c", tcp, Some(&addr), &c_store, &small);
    next_line(&c, "listening ", deadline);
    std::thread::sleep(Duration::from_millis(30));
    drop(c); // SIGKILL
    let c = spawn_with("c", tcp, Some(&addr), &c_store, &small);
    loop {
        let sa = next_line(&a, "state ", deadline);
        let sb = next_line(&b, "state ", deadline);
        let sc = next_line(&c, "state ", deadline);
        if sa == sb && sb == sc && sa.starts_with("state 2100 ") {
            eprintln!("three peers at `{sa}` after a kill -9 mid-transfer");
            return;
        }
    }
}
