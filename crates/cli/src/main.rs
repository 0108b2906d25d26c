//! `converge`: the peer-to-peer demo, and (next) a sync node and
//! inspection tools. Run `converge --help`.

mod control;
mod demo;
mod doc;
mod edit;
mod inspect;
mod node;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// converge: CRDT documents that merge deterministically, synced peer to
/// peer over libp2p.
#[derive(Debug, Parser)]
#[command(
    name = "converge",
    version,
    about = "converge: CRDT documents that merge deterministically, synced peer to peer over libp2p",
    long_about = None
)]
#[command(
    after_help = "Start with the demo:\n  converge demo\n  converge demo --peers 6 --edits 1000 --keep"
)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Debug, Subcommand)]
enum Commands {
    /// Start peers as separate processes on this machine, edit a shared
    /// todo list, notes and counter concurrently, partition them, kill one
    /// and restart it from its store, heal, and check that every peer ends
    /// byte-identical.
    #[command(
        after_help = "Examples:\n  converge demo\n  converge demo --peers 6 --edits 1000 --seed 7\n  converge demo --json | jq .converged\n\nThe peers listen on 127.0.0.1 only and never multicast. The exit status is 0 only if every peer's snapshot is byte-identical at the end."
    )]
    Demo(demo::DemoArgs),
    /// Run an always-on peer: serve a folder's documents over libp2p
    /// (TCP, QUIC, WebSocket) until Ctrl-C.
    #[command(
        after_help = "Examples:\n  converge node --data ./notes-node\n  converge node --data ./n --listen /ip4/0.0.0.0/tcp/4001 --listen /ip4/0.0.0.0/tcp/4002/ws --doc notes\n  converge node --data ./n2 --listen /ip4/127.0.0.1/tcp/4011 --peer /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...\n  converge node --config node.toml --metrics 127.0.0.1:9090\n  converge node --data ./n --doc demo --listen /ip4/127.0.0.1/tcp/4002/ws --serve wasm   (the browser demo at http://127.0.0.1:8080/demo/)\n\nLogs go to stderr; set RUST_LOG (e.g. RUST_LOG=info). mDNS stays off unless --mdns."
    )]
    Node(node::NodeArgs),
    /// Create, show, edit, export and import the documents of a node's
    /// folder (through the running node when there is one).
    #[command(
        after_help = "Examples:\n  converge doc --data ./n new notes\n  converge doc --data ./n edit notes set title '\"Groceries\"'\n  converge doc --data ./n edit notes insert body 0 'milk, eggs'\n  converge doc --data ./n edit notes add visits 1\n  converge doc --data ./n show notes --watch\n  converge doc --data ./n export notes notes.cnvg\n  converge doc --data ./other import notes.cnvg"
    )]
    Doc(doc::DocArgs),
    /// Decode a converge blob (a snapshot, a delta, a sync message) and
    /// say what it holds, or which check it fails and where.
    #[command(
        after_help = "Examples:\n  converge inspect notes.cnvg\n  converge inspect --json notes.cnvg"
    )]
    Inspect(inspect::InspectArgs),
    /// One peer of the demo (started by `converge demo`).
    #[command(hide = true, name = "peer-process")]
    DemoPeer(demo::PeerArgs),
}

/// Logs to stderr, filtered by `RUST_LOG` (warnings by default).
fn logs() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Commands::Demo(args) => demo::run(args).await,
        Commands::Node(args) => {
            logs();
            node::run(args).await
        }
        Commands::Doc(args) => doc::run(args).await,
        Commands::Inspect(args) => inspect::run(args),
        Commands::DemoPeer(args) => {
            logs();
            demo::run_peer(args).await.map(|()| true)
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("converge: {e:#}");
            ExitCode::FAILURE
        }
    }
}
