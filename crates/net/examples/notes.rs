//! Two machines (or two terminals) share a note over libp2p.
//!
//! ```sh
//! cargo run -p converge-net --example notes -- /ip4/127.0.0.1/tcp/4001
//! cargo run -p converge-net --example notes -- /ip4/127.0.0.1/tcp/4002 /ip4/127.0.0.1/tcp/4001/p2p/<peer id printed by the first>
//! ```
//!
//! Each appends a line with its peer id every two seconds and prints the
//! note whenever it changes; stop with Ctrl-C. The note is kept in
//! `notes-<port>.redb` in the current folder.

#![deny(warnings)]

use converge_net::{Config, Node};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let listen = args
        .next()
        .unwrap_or_else(|| "/ip4/127.0.0.1/tcp/4001".into());
    let mut config = Config::listening(listen.parse()?);
    config.store = Some(format!("notes-{}.redb", listen.rsplit('/').next().unwrap_or("0")).into());
    config.bootstrap = args.map(|a| a.parse()).collect::<Result<_, _>>()?;
    let node = Node::start(config).await?;
    println!(
        "peer id {} — dial me at {listen}/p2p/{}",
        node.peer_id(),
        node.peer_id()
    );
    let note = node.open("shared-note").await?;
    let mut changes = note.changes();
    let me = node.peer_id().to_string();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let line = format!("hello from {}\n", &me[me.len() - 6..]);
                note.edit(move |tx| tx.text("note").push_str(&line)).await??;
            }
            Ok(_) = changes.recv() => {
                let text = note.read(|d| d.root().text("note").map(|t| t.to_string())).await?;
                println!("--- note ---\n{}", text.unwrap_or_default());
            }
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    node.shutdown().await?;
    Ok(())
}
