//! One peer of the demo: a `converge_net::Node` with its own redb store,
//! listening on 127.0.0.1, driven by the conductor through its stdin.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use converge_net::{identity, Config, DocHandle, Multiaddr, Node, PeerId};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::protocol::{Command, Event, Status};
use super::workload::{self, Rng};

/// The document every peer of the demo edits.
pub(crate) const DOC: &str = "demo";

/// The settings of a peer process (`converge peer-process`).
#[derive(Debug, clap::Args)]
pub(crate) struct PeerArgs {
    /// The peer's folder: its identity and its store.
    #[arg(long)]
    data: PathBuf,
    /// Its name in the demo (peer-1, ...).
    #[arg(long)]
    name: String,
}

/// Loads the peer's identity from `dir`, or makes and saves one: a peer
/// keeps its id across restarts.
pub(crate) fn identity_in(dir: &Path) -> Result<(identity::Keypair, bool)> {
    let path = dir.join("identity.key");
    match std::fs::read(&path) {
        Ok(bytes) => Ok((
            identity::Keypair::from_protobuf_encoding(&bytes)
                .with_context(|| format!("{} is not a libp2p key", path.display()))?,
            true,
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = identity::Keypair::generate_ed25519();
            let bytes = key.to_protobuf_encoding().context("encoding the key")?;
            std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
            Ok((key, false))
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn say(event: &Event) {
    // One line per event; the conductor reads them in order.
    println!(
        "{}",
        serde_json::to_string(event).expect("events are plain data")
    );
}

async fn status(node: &Node, doc: &DocHandle, edits: u64) -> Result<Status> {
    let stats = node.stats().await?;
    let (version, snapshot) = doc.read(|d| (d.version(), d.snapshot())).await?;
    let sync = doc.status().await?;
    Ok(Status {
        connected: stats.connected_peers,
        version: version.iter().map(|(r, n)| (format!("{r}"), n)).collect(),
        pending: sync.pending,
        edits,
        bytes_in: stats.sync_bytes_in_total,
        bytes_out: stats.sync_bytes_out_total,
        digest: hex(&Sha256::digest(&snapshot)),
    })
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs the peer until the conductor says `quit` or closes its stdin.
pub(crate) async fn run(args: PeerArgs) -> Result<()> {
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("creating {}", args.data.display()))?;
    let (key, restarted) = identity_in(&args.data)?;
    let mut config = Config::listening("/ip4/127.0.0.1/tcp/0".parse()?);
    config.store = Some(args.data.join("store.redb"));
    config.heartbeat = Duration::from_millis(200);
    config.tick = Duration::from_millis(50);
    config.sync.summary_interval_ms = 500;
    let node = Node::start_with_identity(key, config).await?;
    let doc = node.open(DOC).await?;
    let mut addrs = Vec::new();
    for _ in 0..100 {
        addrs = node.listen_addrs().await?;
        if !addrs.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    say(&Event::Ready {
        peer_id: node.peer_id().to_string(),
        addrs: addrs.iter().map(ToString::to_string).collect(),
        restarted,
    });
    let mut edits = 0u64;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        let command: Command = match serde_json::from_str(&line) {
            Ok(c) => c,
            Err(e) => {
                say(&Event::Error {
                    message: format!("{}: not a command: {e}", args.name),
                });
                continue;
            }
        };
        if matches!(command, Command::Quit) {
            node.shutdown().await?;
            return Ok(());
        }
        let result: Result<Option<Event>> = async {
            Ok(match command {
                Command::Dial { addrs } => {
                    for a in addrs {
                        let addr: Multiaddr = a.parse()?;
                        node.dial(addr).await?;
                    }
                    None
                }
                Command::Block { peers, block } => {
                    for p in peers {
                        let peer: PeerId = p.parse()?;
                        if block {
                            node.block_peer(peer).await?;
                        } else {
                            node.unblock_peer(peer).await?;
                        }
                    }
                    None
                }
                Command::Edit { n, seed } => {
                    let mut rng = Rng::new(seed);
                    for _ in 0..n {
                        let step = rng.next_u64();
                        let name = args.name.clone();
                        doc.edit(move |tx| workload::edit(tx, &name, &mut Rng::new(step)))
                            .await?;
                        edits += 1;
                        // People type; a little time between edits lets
                        // the others' edits interleave with these.
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    }
                    Some(Event::Edited { n })
                }
                Command::Status => Some(Event::Status(status(&node, &doc, edits).await?)),
                Command::Final => {
                    let status = status(&node, &doc, edits).await?;
                    let (json, snapshot_bytes) =
                        doc.read(|d| (d.to_json(), d.snapshot().len())).await?;
                    Some(Event::Final {
                        status,
                        json,
                        snapshot_bytes,
                    })
                }
                Command::Quit => None,
            })
        }
        .await;
        match result {
            Ok(Some(event)) => say(&event),
            Ok(None) => {}
            Err(e) => say(&Event::Error {
                message: format!("{}: {e:#}", args.name),
            }),
        }
    }
    // The conductor is gone: close the store cleanly.
    node.shutdown().await?;
    Ok(())
}
