//! `converge demo`: real peers, real partitions, real convergence, on one
//! machine. The conductor (this process) starts each peer as a separate
//! process of the same binary with its own redb store, connected over TCP
//! on 127.0.0.1 only, and drives them through four phases: editing
//! together, partitioned into two groups, with one peer killed (SIGKILL)
//! and restarted from its store, and healed. It exits 0 only if every
//! peer's snapshot is byte-identical at the end.

mod peer;
mod procs;
mod protocol;
mod screen;
mod workload;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde::Serialize;

pub(crate) use peer::{identity_in, run as run_peer, PeerArgs};
use procs::PeerProc;
use protocol::{Command, Event, Status};
use screen::{kib, Screen};

/// The settings of `converge demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct DemoArgs {
    /// How many peers to start, each a separate process (2 to 16).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(2..=16))]
    peers: u16,
    /// Edits made in each of the three editing phases (together,
    /// partitioned, with a peer down), spread over the peers.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    edits: u32,
    /// Seed of the edits (the same seed makes the same edits; timing still
    /// interleaves them differently).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Keep the peers' folders (stores, identities, logs) and say where.
    #[arg(long)]
    keep: bool,
    /// Print a machine-readable summary on stdout (progress goes to
    /// stderr).
    #[arg(long)]
    json: bool,
    /// Where to put the peers' folders (default: a new temporary folder).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// How long the peers have to converge after each phase.
const CONVERGE_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Serialize)]
struct PeerSummary {
    name: String,
    peer_id: String,
    edits: u64,
    bytes_in: u64,
    bytes_out: u64,
    digest: String,
}

#[derive(Serialize)]
struct Summary {
    converged: bool,
    peers: Vec<PeerSummary>,
    edits: u64,
    operations: u64,
    heal_to_converged_ms: u64,
    bytes_sent: u64,
    snapshot_bytes: usize,
    seconds: f64,
    data_dir: Option<String>,
    document: serde_json::Value,
}

struct Demo {
    procs: Vec<PeerProc>,
    names: Vec<String>,
    screen: Screen,
    /// Edits of each peer's processes that were killed (their counters
    /// died with them).
    edits_before_restart: Vec<u64>,
}

impl Demo {
    async fn statuses(&mut self) -> Result<Vec<Status>> {
        let mut out = Vec::with_capacity(self.procs.len());
        for p in &mut self.procs {
            out.push(p.status().await?);
        }
        Ok(out)
    }

    /// Waits until the peers in `which` have identical snapshots, showing
    /// the table; returns how long it took.
    async fn converge(&mut self, which: &[usize], what: &str) -> Result<Duration> {
        let start = Instant::now();
        loop {
            let statuses = self.statuses().await?;
            let group: Vec<&Status> = which.iter().map(|&i| &statuses[i]).collect();
            let same = group
                .windows(2)
                .all(|w| w[0].digest == w[1].digest && w[0].version == w[1].version)
                && group.iter().all(|s| s.pending == 0);
            self.screen.table(&self.names, &statuses, same);
            if same {
                return Ok(start.elapsed());
            }
            if start.elapsed() > CONVERGE_TIMEOUT {
                bail!(
                    "{what}: the peers did not converge within {CONVERGE_TIMEOUT:?}; \
                     rerun with --keep and read the peers' peer.log files"
                );
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Waits until peer `i` has `n` connections.
    async fn connections(&mut self, which: &[usize], n: impl Fn(usize) -> usize) -> Result<()> {
        let start = Instant::now();
        loop {
            let statuses = self.statuses().await?;
            if which.iter().all(|&i| statuses[i].connected == n(i)) {
                return Ok(());
            }
            if start.elapsed() > Duration::from_secs(30) {
                bail!("the peers did not connect within 30 s (is 127.0.0.1 usable here?)");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Has every peer in `which` make its share of `edits`, concurrently.
    async fn edit(&mut self, which: &[usize], edits: u32, seed: u64) -> Result<()> {
        let n = which.len() as u32;
        for (k, &i) in which.iter().enumerate() {
            let share = edits / n + u32::from((k as u32) < edits % n);
            let seed = seed.wrapping_mul(1_000).wrapping_add(i as u64);
            self.procs[i]
                .send(&Command::Edit {
                    n: share as usize,
                    seed,
                })
                .await?;
        }
        for &i in which {
            match self.procs[i].next().await? {
                Event::Edited { .. } => {}
                other => bail!("{} answered {other:?} to edits", self.names[i]),
            }
        }
        Ok(())
    }

    async fn block(&mut self, a: &[usize], b: &[usize], block: bool) -> Result<()> {
        for (from, to) in [(a, b), (b, a)] {
            let ids: Vec<String> = to.iter().map(|&j| self.procs[j].peer_id.clone()).collect();
            for &i in from {
                self.procs[i]
                    .send(&Command::Block {
                        peers: ids.clone(),
                        block,
                    })
                    .await?;
            }
        }
        Ok(())
    }

    async fn dial(&mut self, from: &[usize], to: &[usize]) -> Result<()> {
        for &i in from {
            let addrs: Vec<String> = to
                .iter()
                .filter(|&&j| j != i)
                .flat_map(|&j| self.procs[j].addrs.iter().take(1).cloned())
                .collect();
            self.procs[i].send(&Command::Dial { addrs }).await?;
        }
        Ok(())
    }
}

/// Runs `converge demo`.
pub(crate) async fn run(args: DemoArgs) -> Result<bool> {
    let started = Instant::now();
    let (root, _temp) = match &args.dir {
        Some(dir) => (dir.clone(), None),
        None => {
            let t = tempfile::Builder::new()
                .prefix("converge-demo-")
                .tempdir()
                .context("making a temporary folder")?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    let n = usize::from(args.peers);
    let mut screen = Screen::new(args.json);
    screen.line(&format!(
        "converge demo: {n} peers, each a separate process with its own redb store, \
         syncing over TCP on 127.0.0.1 (seed {})",
        args.seed
    ));
    let names: Vec<String> = (1..=n).map(|i| format!("peer-{i}")).collect();
    let mut procs = Vec::new();
    for name in &names {
        let (p, _) = PeerProc::spawn(name, &root.join(name)).await?;
        screen.line(&format!("  started {name}  {}", p.peer_id));
        procs.push(p);
    }
    let mut demo = Demo {
        procs,
        names,
        screen,
        edits_before_restart: vec![0; n],
    };
    let all: Vec<usize> = (0..n).collect();
    for i in 1..n {
        demo.dial(&[i], &all[..i]).await?;
    }
    demo.connections(&all, |_| n - 1).await?;

    // 1. Everyone together.
    demo.screen.line(&format!(
        "1. together: {} concurrent edits of the todo list, the notes and the counter",
        args.edits
    ));
    demo.edit(&all, args.edits, args.seed).await?;
    let t = demo.converge(&all, "editing together").await?;
    demo.screen.line(&format!(
        "   converged {} ms after the last edit",
        t.as_millis()
    ));

    // 2. Partitioned.
    let (left, right) = all.split_at(n / 2);
    let (left, right) = (left.to_vec(), right.to_vec());
    let group = |g: &[usize], names: &[String]| {
        g.iter()
            .map(|&i| names[i].as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    demo.screen.line(&format!(
        "2. partition: [{}] | [{}] (each side blocks the other); {} edits on both sides",
        group(&left, &demo.names),
        group(&right, &demo.names),
        args.edits
    ));
    demo.block(&left, &right, true).await?;
    let (l, r) = (left.len(), right.len());
    demo.connections(&all, |i| if i < l { l - 1 } else { r - 1 })
        .await?;
    let both: Vec<usize> = all.clone();
    demo.edit(&both, args.edits, args.seed.wrapping_add(1))
        .await?;
    demo.converge(&left, "the left side").await?;
    demo.converge(&right, "the right side").await?;
    demo.screen
        .line("   each side converged on its own; the two sides differ");

    // 3. A peer is killed and restarted from its store.
    let victim = *right.last().expect("the right side has a peer");
    let victim_name = demo.names[victim].clone();
    demo.screen.line(&format!(
        "3. crash: {victim_name} killed with SIGKILL while the others keep editing ({} edits), \
         then restarted from its store",
        args.edits
    ));
    let others: Vec<usize> = all.iter().copied().filter(|&i| i != victim).collect();
    let last = demo.procs[victim].status().await?;
    demo.edits_before_restart[victim] += last.edits;
    let dir = demo.procs[victim].dir.clone();
    demo.procs[victim].kill().await?;
    demo.edit(&others, args.edits, args.seed.wrapping_add(2))
        .await?;
    demo.procs[victim] = PeerProc::spawn(&victim_name, &dir).await?.0;
    demo.screen.line(&format!(
        "   {victim_name} restarted from its store with {} operations",
        demo.procs[victim].status().await?.ops()
    ));
    demo.block(&left, &[victim], true).await?;
    let rest: Vec<usize> = right.iter().copied().filter(|&i| i != victim).collect();
    demo.dial(&[victim], &rest).await?;
    demo.converge(&right, "the right side after the restart")
        .await?;

    // 4. Heal.
    demo.screen.line("4. heal: the two sides connect again");
    demo.block(&left, &right, false).await?;
    let heal = Instant::now();
    demo.dial(&left, &right).await?;
    let healed = demo.converge(&all, "after the heal").await;
    let heal_ms = heal.elapsed().as_millis() as u64;

    // Summary.
    let mut finals = Vec::new();
    for p in &mut demo.procs {
        p.send(&Command::Final).await?;
        match p.next().await? {
            Event::Final {
                status,
                json,
                snapshot_bytes,
            } => finals.push((status, json, snapshot_bytes)),
            other => bail!("{} answered {other:?} to final", p.name),
        }
    }
    let converged = healed.is_ok() && finals.windows(2).all(|w| w[0].0.digest == w[1].0.digest);
    let summary = Summary {
        converged,
        peers: demo
            .procs
            .iter()
            .zip(&finals)
            .zip(&demo.edits_before_restart)
            .map(|((p, (s, _, _)), before)| PeerSummary {
                name: p.name.clone(),
                peer_id: p.peer_id.clone(),
                edits: s.edits + before,
                bytes_in: s.bytes_in,
                bytes_out: s.bytes_out,
                digest: s.digest.clone(),
            })
            .collect(),
        edits: finals.iter().map(|(s, _, _)| s.edits).sum::<u64>()
            + demo.edits_before_restart.iter().sum::<u64>(),
        operations: finals[0].0.ops(),
        heal_to_converged_ms: heal_ms,
        bytes_sent: finals.iter().map(|(s, _, _)| s.bytes_out).sum(),
        snapshot_bytes: finals[0].2,
        seconds: started.elapsed().as_secs_f64(),
        data_dir: args.keep.then(|| root.display().to_string()),
        document: finals[0].1.clone(),
    };
    for p in demo.procs {
        p.quit().await?;
    }
    if let Some(t) = _temp {
        if args.keep {
            let _ = t.keep();
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&summary).expect("plain data")
        );
    } else {
        print_summary(&summary, &healed);
    }
    Ok(converged)
}

fn print_summary(s: &Summary, healed: &Result<Duration>) {
    println!();
    match healed {
        Ok(_) if s.converged => println!(
            "Converged: all {} peers hold byte-identical snapshots (digest {}).",
            s.peers.len(),
            &s.peers[0].digest[..16]
        ),
        Ok(_) => println!("NOT converged: the peers' snapshots differ."),
        Err(e) => println!("NOT converged: {e:#}"),
    }
    println!(
        "  {} edits, {} operations; heal to identical snapshots: {} ms",
        s.edits, s.operations, s.heal_to_converged_ms
    );
    println!(
        "  sync bytes sent, all peers: {}; final snapshot: {}; whole demo: {:.1} s",
        kib(s.bytes_sent),
        kib(s.snapshot_bytes as u64),
        s.seconds
    );
    for p in &s.peers {
        println!(
            "  {:<7} {} edits  in {:>10}  out {:>10}  digest {}",
            p.name,
            p.edits,
            kib(p.bytes_in),
            kib(p.bytes_out),
            &p.digest[..16]
        );
    }
    println!();
    println!("The document:");
    print_document(&s.document);
    if let Some(dir) = &s.data_dir {
        println!();
        println!("The peers' folders are kept in {dir}:");
        println!("  each holds store.redb (the documents), identity.key and peer.log.");
    }
}

fn print_document(doc: &serde_json::Value) {
    let todos = doc.get("todos").and_then(|t| t.as_array());
    let count = todos.map_or(0, Vec::len);
    println!("  todos ({count}):");
    for t in todos.into_iter().flatten().take(12) {
        let done = t.get("done").and_then(|d| d.as_bool()).unwrap_or(false);
        let title = t.get("title").and_then(|d| d.as_str()).unwrap_or("?");
        let tags: Vec<&str> = t
            .get("tags")
            .and_then(|d| d.as_array())
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .collect();
        println!(
            "    [{}] {title}  {}",
            if done { "x" } else { " " },
            tags.join(" ")
        );
    }
    if count > 12 {
        println!("    ... and {} more", count - 12);
    }
    let notes = doc.get("notes").and_then(|n| n.as_str()).unwrap_or("");
    let shown: String = notes.chars().take(240).collect();
    println!("  notes ({} characters):", notes.chars().count());
    println!(
        "    {shown}{}",
        if notes.chars().count() > 240 {
            "..."
        } else {
            ""
        }
    );
    if let Some(c) = doc.get("edits seen") {
        println!("  counter \"edits seen\": {c}");
    }
}
