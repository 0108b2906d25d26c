//! `converge`: the peer-to-peer demo, and (next) a sync node and
//! inspection tools. Run `converge --help`.

mod demo;

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
    /// One peer of the demo (started by `converge demo`).
    #[command(hide = true, name = "peer-process")]
    DemoPeer(demo::PeerArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Commands::Demo(args) => demo::run(args).await,
        Commands::DemoPeer(args) => {
            tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
                .with_writer(std::io::stderr)
                .init();
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
