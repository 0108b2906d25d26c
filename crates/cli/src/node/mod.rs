//! `converge node`: an always-on peer, the way y-websocket or an
//! automerge-repo sync server runs, but peer to peer: a redb store of
//! documents served over libp2p (TCP, QUIC, WebSocket), optional relay,
//! Prometheus metrics and LAN discovery, a control socket for
//! `converge doc`.

mod control_server;
mod http;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use converge_net::{Config, Multiaddr, Node};
use serde::Deserialize;

use crate::demo::identity_in;

/// The settings of `converge node`.
#[derive(Debug, Default, clap::Args)]
pub(crate) struct NodeArgs {
    /// The node's folder: its store (store.redb), identity (identity.key)
    /// and control socket. Created when absent.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Addresses to listen on (repeatable): TCP `/ip4/0.0.0.0/tcp/4001`,
    /// QUIC `/ip4/0.0.0.0/udp/4001/quic-v1`, WebSocket for browsers
    /// `/ip4/0.0.0.0/tcp/4002/ws`. Default: `/ip4/127.0.0.1/tcp/4001`
    /// (this machine only).
    #[arg(long, value_name = "MULTIADDR")]
    listen: Vec<String>,
    /// Peers to dial at start, and again whenever the connection is lost
    /// (repeatable), e.g.
    /// `/ip4/192.0.2.7/tcp/4001/p2p/12D3KooW...`.
    #[arg(long = "peer", value_name = "MULTIADDR")]
    peers: Vec<String>,
    /// Documents to serve (repeatable), besides every document already in
    /// the store; created when absent.
    #[arg(long = "doc", value_name = "ID")]
    docs: Vec<String>,
    /// Act as a circuit relay (v2) for peers behind NAT.
    #[arg(long)]
    relay: bool,
    /// Serve Prometheus metrics at http://ADDR/metrics, e.g.
    /// `127.0.0.1:9090`.
    #[arg(long, value_name = "ADDR")]
    metrics: Option<SocketAddr>,
    /// Serve the files of DIR over HTTP (at --http), and at
    /// `/converge.json` the addresses a browser page dials to join this
    /// node (its WebSocket listeners). `--serve wasm` serves the browser
    /// demo at /demo/ (build it first: wasm/build.sh).
    #[arg(long, value_name = "DIR")]
    serve: Option<PathBuf>,
    /// Where --serve listens (default 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR", requires = "serve")]
    http: Option<SocketAddr>,
    /// Discover peers on the local network with mDNS (off by default: it
    /// multicasts to the whole LAN).
    #[arg(long)]
    mdns: bool,
    /// Read settings from a TOML file (keys: data, listen, peers, docs,
    /// serve, http, relay, metrics, mdns); flags given on the command line
    /// win.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// The TOML file's settings.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    data: Option<PathBuf>,
    #[serde(default)]
    listen: Vec<String>,
    #[serde(default)]
    peers: Vec<String>,
    #[serde(default)]
    docs: Vec<String>,
    #[serde(default)]
    relay: bool,
    metrics: Option<SocketAddr>,
    serve: Option<PathBuf>,
    http: Option<SocketAddr>,
    #[serde(default)]
    mdns: bool,
}

/// Merges the file's settings under the flags.
fn settings(mut args: NodeArgs) -> Result<NodeArgs> {
    let Some(path) = args.config.take() else {
        return Ok(args);
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading the configuration {}", path.display()))?;
    let file: FileSettings = toml::from_str(&text)
        .with_context(|| format!("{} is not a valid configuration", path.display()))?;
    Ok(NodeArgs {
        data: args.data.or(file.data),
        listen: if args.listen.is_empty() {
            file.listen
        } else {
            args.listen
        },
        peers: if args.peers.is_empty() {
            file.peers
        } else {
            args.peers
        },
        docs: if args.docs.is_empty() {
            file.docs
        } else {
            args.docs
        },
        relay: args.relay || file.relay,
        metrics: args.metrics.or(file.metrics),
        serve: args.serve.or(file.serve),
        http: args.http.or(file.http),
        mdns: args.mdns || file.mdns,
        config: None,
    })
}

fn multiaddrs(what: &str, list: &[String]) -> Result<Vec<Multiaddr>> {
    list.iter()
        .map(|a| {
            a.parse::<Multiaddr>().with_context(|| {
                format!(
                    "{what} {a:?} is not a multiaddr; write it like /ip4/127.0.0.1/tcp/4001 \
                     (or /ip4/127.0.0.1/tcp/4001/p2p/<peer id> for a peer)"
                )
            })
        })
        .collect()
}

/// Refuses listen addresses whose port another process holds. libp2p's
/// TCP listener sets SO_REUSEPORT, so a second node on a taken port would
/// start and share the port's connections with the first one.
fn check_ports(addrs: &[Multiaddr]) -> Result<()> {
    use converge_net::multiaddr::Protocol;
    for addr in addrs {
        let mut ip = None;
        for p in addr.iter() {
            match p {
                Protocol::Ip4(a) => ip = Some(std::net::IpAddr::V4(a)),
                Protocol::Ip6(a) => ip = Some(std::net::IpAddr::V6(a)),
                Protocol::Tcp(port) | Protocol::Udp(port) if port != 0 => {
                    let Some(ip) = ip else { break };
                    let taken = if matches!(p, Protocol::Tcp(_)) {
                        std::net::TcpListener::bind((ip, port)).err()
                    } else {
                        std::net::UdpSocket::bind((ip, port)).err()
                    };
                    if let Some(e) = taken {
                        if e.kind() == std::io::ErrorKind::AddrInUse {
                            bail!(
                                "cannot listen on {addr}: port {port} is already in use \
                                 (another converge node?); choose another with --listen"
                            );
                        }
                    }
                    break;
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// The documents in the store at `path` (read before the node opens it).
fn stored_docs(path: &Path) -> Result<Vec<String>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let store = converge_store::Store::open(path).map_err(|e| match e {
        converge_store::StoreError::InUse { .. } => anyhow::anyhow!(
            "the store {} is in use by another process: is a converge node already running \
             on this folder? Stop it, or give this one another --data folder",
            path.display()
        ),
        e => anyhow::Error::new(e).context(format!("opening {}", path.display())),
    })?;
    let ids = store
        .list()?
        .into_iter()
        .map(|d| d.id.to_string())
        .collect();
    store.close()?;
    Ok(ids)
}

/// Runs `converge node` until Ctrl-C or SIGTERM.
pub(crate) async fn run(args: NodeArgs) -> Result<bool> {
    let args = settings(args)?;
    let Some(data) = args.data.clone() else {
        bail!("say where the node keeps its documents: --data DIR (or `data` in --config)");
    };
    std::fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
    let listen = if args.listen.is_empty() {
        vec!["/ip4/127.0.0.1/tcp/4001".to_string()]
    } else {
        args.listen.clone()
    };
    let mut config = Config::default();
    config.listen = multiaddrs("--listen", &listen)?;
    check_ports(&config.listen)?;
    config.bootstrap = multiaddrs("--peer", &args.peers)?;
    config.store = Some(data.join("store.redb"));
    config.relay_server = args.relay;
    config.mdns = args.mdns;
    let mut docs: BTreeSet<String> = stored_docs(&data.join("store.redb"))?.into_iter().collect();
    docs.extend(args.docs.iter().cloned());
    let (key, _) = identity_in(&data)?;
    let node = Node::start_with_identity(key, config).await.map_err(|e| {
        anyhow::Error::new(e).context("starting the node (is the port already in use?)")
    })?;
    let mut handles = Vec::new();
    for id in &docs {
        handles.push(
            node.open(id)
                .await
                .with_context(|| format!("opening {id:?}"))?,
        );
    }
    println!("converge node {}", node.peer_id());
    let mut addrs = Vec::new();
    for _ in 0..200 {
        addrs = node.listen_addrs().await?;
        if addrs.len() >= listen.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    if addrs.is_empty() {
        bail!(
            "the node could not listen on {}: is the port already in use? \
             Choose another with --listen",
            listen.join(", ")
        );
    }
    for a in &addrs {
        println!("  listening on {a}/p2p/{}", node.peer_id());
    }
    println!(
        "  serving {} document{}{}",
        docs.len(),
        if docs.len() == 1 { "" } else { "s" },
        if docs.is_empty() {
            String::new()
        } else {
            format!(": {}", docs.iter().cloned().collect::<Vec<_>>().join(", "))
        }
    );
    if let Some(addr) = args.metrics {
        let bound = http::start_metrics(addr, node.clone()).await?;
        println!("  metrics at http://{bound}/metrics");
    }
    if let Some(dir) = &args.serve {
        let addr = args
            .http
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let bound = http::start_files(addr, dir.clone(), node.clone()).await?;
        println!("  serving {} at http://{bound}/", dir.display());
        if !addrs.iter().any(|a| a.to_string().contains("/ws")) {
            println!(
                "  note: browsers join over WebSocket: add --listen /ip4/127.0.0.1/tcp/4002/ws"
            );
        }
    }
    if args.mdns {
        println!("  mDNS discovery on (multicast to the local network)");
    }
    // The last line of the start: scripts wait for it.
    let socket = crate::control::socket_path(&data);
    let control = control_server::start(&socket, node.clone(), handles).await?;
    println!(
        "  control socket {} (converge doc --data {})",
        socket.display(),
        data.display()
    );
    wait_for_stop().await;
    println!("stopping: flushing the store");
    control.abort();
    let _ = std::fs::remove_file(&socket);
    node.shutdown().await?;
    println!("stopped");
    Ok(true)
}

/// Ctrl-C or SIGTERM.
async fn wait_for_stop() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
