//! Kill -9 at random moments: every edit a writer process reported as
//! committed is there after reopening, the store opens, and the next edit
//! takes a fresh dot. Kills land during commits and compactions alike.
//!
//! The writer is this test binary itself, started again with
//! `CONVERGE_CRASH_WRITER` set (the `writer` test below). Iterations:
//! `CONVERGE_CRASH_ITERS` (default 30; the long tier runs 200).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use converge_store::{DocId, Store, StoreOptions};
use converge_testkit::Rng;

const DOC: &str = "crash";

fn options(batched: bool) -> StoreOptions {
    let mut o = if batched {
        StoreOptions::batched(Duration::from_millis(2))
    } else {
        StoreOptions::default()
    };
    // Small logs: compactions happen every few dozen commits.
    o.compact_min_log_bytes = 1 << 10;
    o
}

/// The writer: edits until killed, reporting each committed edit.
#[test]
#[ignore = "started by kill_9_never_loses_a_committed_edit"]
fn writer() {
    let Ok(path) = std::env::var("CONVERGE_CRASH_WRITER") else {
        return;
    };
    let batched = std::env::var("CONVERGE_CRASH_BATCHED").is_ok();
    let id = DocId::new(DOC).unwrap();
    let mut store = Store::open_with(&path, options(batched)).unwrap();
    store.open_or_create(&id).unwrap();
    let me = store.meta(&id).unwrap().replica;
    let mut n = store.doc(&id).unwrap().root().counter("n").unwrap_or(0);
    let out = std::io::stdout();
    // Edits made, not yet durable: (edit number, dot after it).
    let mut waiting = std::collections::VecDeque::new();
    loop {
        n += 1;
        store
            .edit(&id, |tx| {
                tx.counter("n").add(1).unwrap();
                tx.text("log").push_str(&format!("{n};")).unwrap();
            })
            .unwrap();
        waiting.push_back((n, store.doc(&id).unwrap().version().get(me)));
        // An edit is committed once its delta may be published.
        for _ in store.take_outbox(&id) {
            let (k, dot) = waiting.pop_front().unwrap();
            let mut out = out.lock();
            writeln!(out, "committed {k} {dot}").unwrap();
            out.flush().unwrap();
        }
    }
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the writer, lets it run for `ms`, kills it with SIGKILL and
/// returns the last (edit number, dot counter) it reported.
fn run_writer(path: &Path, ms: u64, batched: bool) -> Option<(i64, u64)> {
    let exe = std::env::current_exe().unwrap();
    let mut command = Command::new(exe);
    if batched {
        command.env("CONVERGE_CRASH_BATCHED", "1");
    }
    let child = command
        .args([
            "writer",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CONVERGE_CRASH_WRITER", path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // The test harness may print its own words before the first.
            if let Some(rest) = line.find("committed ").map(|i| &line[i + 10..]) {
                let mut it = rest.split(' ');
                let n: i64 = it.next().unwrap().parse().unwrap();
                let dot: u64 = it.next().unwrap().parse().unwrap();
                let _ = tx.send((n, dot));
            }
        }
    });
    // Wait for the first report (the process has started), then a while.
    let start = Instant::now();
    let mut last = rx.recv_timeout(Duration::from_secs(60)).ok();
    assert!(
        last.is_some() || start.elapsed() < Duration::from_secs(60),
        "writer never started"
    );
    std::thread::sleep(Duration::from_millis(ms));
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    reader.join().unwrap();
    while let Ok(r) = rx.try_recv() {
        last = Some(r);
    }
    last
}

#[test]
fn kill_9_never_loses_a_committed_edit() {
    let iters: u64 = std::env::var("CONVERGE_CRASH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.redb");
    let id = DocId::new(DOC).unwrap();
    let mut rng = Rng::new(0xC0FFEE);
    let mut reported_total = 0;
    let mut compactions = 0;
    for i in 0..iters {
        let ms = rng.below(120) as u64;
        // Odd iterations commit in batches (one fsync per 2 ms).
        let batched = i % 2 == 1;
        let last = run_writer(&path, ms, batched);
        let mut store = Store::open_with(&path, options(false))
            .unwrap_or_else(|e| panic!("iteration {i}: the store does not open: {e}"));
        let Some((n, dot)) = last else { continue };
        reported_total = n;
        let meta = store.meta(&id).unwrap();
        compactions = meta.compactions;
        let me = meta.replica;
        let doc = store.doc(&id).unwrap();
        doc.check_invariants();
        let have = doc.root().counter("n").unwrap();
        // Every reported edit is there; maybe more (committed, then
        // killed before it was reported: one, or a batch).
        assert!(
            have >= n && (batched || have <= n + 1),
            "iteration {i}: writer reported {n} committed edits, the store has {have}"
        );
        let log = doc.root().text("log").unwrap().to_string();
        let expected: String = (1..=have).map(|k| format!("{k};")).collect();
        assert_eq!(
            log, expected,
            "iteration {i}: the edits are all there, in order"
        );
        let now = doc.version().get(me);
        assert!(
            now >= dot,
            "iteration {i}: dot {dot} was reported, the store is at {now}"
        );
        // The next edit takes a fresh dot, after every one ever reported.
        store
            .edit(&id, |tx| tx.counter("probe").add(1).unwrap())
            .unwrap();
        assert_eq!(store.doc(&id).unwrap().version().get(me), now + 1);
        assert!(now + 1 > dot);
    }
    eprintln!("{iters} kills, {reported_total} edits reported, {compactions} compactions");
    assert!(reported_total > 0, "the writer committed nothing");
    assert!(
        compactions > 0,
        "no compaction happened: kills never hit one"
    );
}
