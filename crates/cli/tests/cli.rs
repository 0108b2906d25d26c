//! The `converge` binary, run as a user runs it: the demo end to end (real
//! processes, TCP on 127.0.0.1, redb stores), and snapshots of its help and
//! error messages (`CONVERGE_UPDATE_SNAPSHOTS=1` rewrites them after a
//! deliberate change).

use std::path::Path;
use std::process::{Command, Output};

mod common;

fn converge(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_converge"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("the converge binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// Compares `actual` with the committed snapshot `name`.
fn snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("CONVERGE_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}: run with CONVERGE_UPDATE_SNAPSHOTS=1 to write it",
            path.display()
        )
    });
    assert_eq!(
        actual, expected,
        "{name} changed: if on purpose, rerun with CONVERGE_UPDATE_SNAPSHOTS=1"
    );
}

#[test]
fn the_demo_converges_and_says_so_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = converge(&[
        "demo",
        "--peers",
        "3",
        "--edits",
        "60",
        "--seed",
        "5",
        "--json",
        "--keep",
        "--dir",
        dir.path().to_str().unwrap(),
    ]);
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        text(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_str(&stdout).expect("a JSON summary");
    assert_eq!(summary["converged"], true);
    let peers = summary["peers"].as_array().unwrap();
    assert_eq!(peers.len(), 3);
    let digest = peers[0]["digest"].as_str().unwrap();
    assert_eq!(digest.len(), 64, "a SHA-256 in hex");
    for p in peers {
        assert_eq!(p["digest"], digest, "every snapshot identical");
        assert!(p["peer_id"].as_str().unwrap().starts_with("12D3Koo"));
        assert!(p["bytes_in"].as_u64().unwrap() > 0);
    }
    // Three editing phases of 60 edits each.
    assert_eq!(summary["edits"], 180);
    assert!(summary["operations"].as_u64().unwrap() >= 180);
    assert!(summary["document"]["todos"].is_array());
    // --keep: the peers' stores stay, each with its identity and log.
    for name in ["peer-1", "peer-2", "peer-3"] {
        for file in ["store.redb", "identity.key", "peer.log"] {
            assert!(dir.path().join(name).join(file).exists(), "{name}/{file}");
        }
    }
}

#[test]
fn the_demo_prints_plain_lines_when_piped() {
    let out = converge(&["demo", "--peers", "2", "--edits", "20"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(!stdout.contains('\x1b'), "no escape codes in a pipe");
    for phase in [
        "1. together",
        "2. partition",
        "3. crash",
        "4. heal",
        "Converged:",
    ] {
        assert!(stdout.contains(phase), "{phase} missing:\n{stdout}");
    }
}

#[test]
fn help_texts_explain_themselves() {
    let out = converge(&["--help"]);
    assert!(out.status.success());
    snapshot("help.txt", &text(&out.stdout));
    for command in ["demo", "node", "doc", "inspect"] {
        let out = converge(&[command, "--help"]);
        assert!(out.status.success());
        snapshot(&format!("{command}-help.txt"), &text(&out.stdout));
    }
}

#[test]
fn bad_arguments_get_clear_errors() {
    let out = converge(&["demo", "--peers", "1"]);
    assert_eq!(out.status.code(), Some(2));
    snapshot("demo-one-peer.txt", &text(&out.stderr));
    let out = converge(&["dmeo"]);
    assert_eq!(out.status.code(), Some(2));
    snapshot("unknown-command.txt", &text(&out.stderr));
}

/// A `converge node` process, stopped with SIGTERM when dropped.
struct NodeProc {
    child: std::process::Child,
    addr: String,
    /// Where it serves Prometheus metrics, when it does.
    metrics: Option<String>,
}

impl NodeProc {
    fn start(data: &Path, extra: &[&str]) -> NodeProc {
        let mut args = vec!["--data", data.to_str().unwrap()];
        args.extend_from_slice(&["--listen", "/ip4/127.0.0.1/tcp/0"]);
        args.extend_from_slice(extra);
        NodeProc::spawn(&args)
    }

    /// `converge node ARGS`, once it has printed where it listens.
    fn spawn(args: &[&str]) -> NodeProc {
        let mut command = Command::new(env!("CARGO_BIN_EXE_converge"));
        command
            .arg("node")
            .args(args)
            .stderr(std::process::Stdio::inherit());
        let started = common::start_node(command);
        NodeProc {
            child: started.child,
            addr: started.addr,
            metrics: started.metrics,
        }
    }

    /// SIGTERM, then the exit status.
    fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let status = self.child.wait().unwrap();
        std::mem::forget(self);
        status
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn doc_json(data: &Path, id: &str) -> serde_json::Value {
    let out = converge(&["doc", "--data", data.to_str().unwrap(), "show", id]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn wait_for(data: &Path, id: &str, check: impl Fn(&serde_json::Value) -> bool) {
    let start = std::time::Instant::now();
    loop {
        let doc = doc_json(data, id);
        if check(&doc) {
            return;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "not synced within 30 s: {doc}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn doc_cmd(data: &Path, args: &[&str]) -> Output {
    let mut all = vec!["doc", "--data", data.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = converge(&all);
    assert!(
        out.status.success(),
        "converge {all:?}: {}",
        text(&out.stderr)
    );
    out
}

#[test]
fn nodes_sync_what_converge_doc_edits_and_keep_it_after_stopping() {
    let (d1, d2, d3) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let one = NodeProc::start(d1.path(), &["--doc", "notes"]);
    let two = NodeProc::start(d2.path(), &["--doc", "notes", "--peer", &one.addr]);

    // Edits go through each node's control socket while it holds its store.
    doc_cmd(
        d1.path(),
        &["edit", "notes", "set", "title", "\"Groceries\""],
    );
    wait_for(d2.path(), "notes", |d| d["title"] == "Groceries");
    doc_cmd(
        d2.path(),
        &["edit", "notes", "insert", "body", "0", "milk, eggs"],
    );
    doc_cmd(d2.path(), &["edit", "notes", "add", "visits", "-2"]);
    wait_for(d1.path(), "notes", |d| {
        d["body"] == "milk, eggs" && d["visits"] == -2
    });

    // `show --watch` follows the live document: a line per change.
    let mut watch = Command::new(env!("CARGO_BIN_EXE_converge"))
        .args([
            "doc",
            "--data",
            d1.path().to_str().unwrap(),
            "show",
            "notes",
            "--watch",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut watched =
        std::io::BufRead::lines(std::io::BufReader::new(watch.stdout.take().unwrap()));
    let first: serde_json::Value = serde_json::from_str(&watched.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["title"], "Groceries");
    doc_cmd(d2.path(), &["edit", "notes", "set", "done", "true"]);
    let seen = watched
        .any(|l| serde_json::from_str::<serde_json::Value>(&l.unwrap()).unwrap()["done"] == true);
    assert!(seen, "the watch saw the remote edit");
    let _ = watch.kill();
    let _ = watch.wait();

    // A bad edit is refused with a clear error, and changes nothing.
    let out = converge(&[
        "doc",
        "--data",
        d1.path().to_str().unwrap(),
        "edit",
        "notes",
        "insert",
        "body",
        "99",
        "x",
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("past the end"),
        "{}",
        text(&out.stderr)
    );
    let out = converge(&["doc", "--data", d1.path().to_str().unwrap(), "show", "nope"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("converge doc new nope"),
        "{}",
        text(&out.stderr)
    );

    // Stopped with SIGTERM, the nodes flush their stores ...
    assert!(one.stop().success());
    assert!(two.stop().success());
    // ... which `converge doc` then opens directly.
    let doc = doc_json(d1.path(), "notes");
    assert_eq!(
        (
            doc["title"].as_str(),
            doc["body"].as_str(),
            doc["visits"].as_i64()
        ),
        (Some("Groceries"), Some("milk, eggs"), Some(-2))
    );

    // Export, inspect, import elsewhere.
    let file = d3.path().join("notes.cnvg");
    doc_cmd(d1.path(), &["export", "notes", file.to_str().unwrap()]);
    let out = converge(&["inspect", "--json", file.to_str().unwrap()]);
    assert!(out.status.success());
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["kind"], "DocSnapshot");
    assert_eq!(info["format_version"], 1);
    assert_eq!(info["replicas"], 2);
    let store3 = d3.path().join("node");
    std::fs::create_dir_all(&store3).unwrap();
    doc_cmd(&store3, &["import", file.to_str().unwrap()]);
    assert_eq!(doc_json(&store3, "notes"), doc);
}

#[test]
fn node_errors_say_what_to_do() {
    let out = converge(&["node", "--data", "/tmp/x", "--listen", "tcp:4001"]);
    assert_eq!(out.status.code(), Some(1));
    snapshot("node-bad-multiaddr.txt", &text(&out.stderr));
    let out = converge(&["node"]);
    assert_eq!(out.status.code(), Some(1));
    snapshot("node-no-data.txt", &text(&out.stderr));
    // A second node on the same folder.
    let d = tempfile::tempdir().unwrap();
    let first = NodeProc::start(d.path(), &[]);
    let out = converge(&[
        "node",
        "--data",
        d.path().to_str().unwrap(),
        "--listen",
        "/ip4/127.0.0.1/tcp/0",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("in use by another process"),
        "{}",
        text(&out.stderr)
    );
    // A port already taken.
    let taken = first.addr.split("/p2p/").next().unwrap().to_string();
    let other = tempfile::tempdir().unwrap();
    let out = converge(&[
        "node",
        "--data",
        other.path().to_str().unwrap(),
        "--listen",
        &taken,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("port") && text(&out.stderr).contains("--listen"),
        "{}",
        text(&out.stderr)
    );
    assert!(first.stop().success());
}

#[test]
fn inspect_reads_every_committed_fuzz_input_without_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut seen = 0;
    for folder in ["seeds", "regressions"] {
        let Ok(targets) = std::fs::read_dir(root.join(folder)) else {
            continue;
        };
        for target in targets {
            for file in std::fs::read_dir(target.unwrap().path()).unwrap() {
                let path = file.unwrap().path();
                let out = converge(&["inspect", path.to_str().unwrap()]);
                let code = out.status.code();
                assert!(
                    code == Some(0) || code == Some(1),
                    "{}: exit {code:?}\n{}",
                    path.display(),
                    text(&out.stderr)
                );
                if code == Some(1) {
                    assert!(text(&out.stderr).contains("(at "), "{}", text(&out.stderr));
                }
                seen += 1;
            }
        }
    }
    assert!(seen >= 20, "only {seen} fuzz inputs found");
}

#[test]
fn inspect_says_which_check_a_damaged_blob_fails() {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("bad.cnvg");
    // A valid envelope with a flipped payload byte.
    let mut blob = b"CNVG\x01\x01\x03\x00\x00\x00\x00\x00\x00\x00abc".to_vec();
    blob[6] = 3;
    std::fs::write(&file, &blob).unwrap();
    let out = converge(&["inspect", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("checksum"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(&file, b"hello").unwrap();
    let out = converge(&["inspect", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    snapshot(
        "inspect-not-a-blob.txt",
        &text(&out.stderr).replace(d.path().to_str().unwrap(), "DIR"),
    );
}

/// `GET path` on `addr`: the whole response.
fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn a_node_reads_its_settings_from_toml_and_serves_metrics() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("node");
    let config = d.path().join("node.toml");
    std::fs::write(
        &config,
        format!(
            "data = {:?}\nlisten = [\"/ip4/127.0.0.1/tcp/0\"]\ndocs = [\"from-config\"]\nmetrics = \"127.0.0.1:0\"\n",
            data.to_str().unwrap()
        ),
    )
    .unwrap();
    let node = NodeProc::spawn(&["--config", config.to_str().unwrap()]);
    let metrics = node
        .metrics
        .clone()
        .expect("the node printed its metrics address");
    doc_cmd(&data, &["edit", "from-config", "add", "n", "1"]);
    // Gauges follow the node's ticks (every 100 ms).
    let start = std::time::Instant::now();
    let mut response = http_get(&metrics, "/metrics");
    while !response.contains("converge_open_docs 1") && start.elapsed().as_secs() < 10 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        response = http_get(&metrics, "/metrics");
    }
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    for metric in [
        "converge_open_docs 1",
        "converge_deltas_published_total 1",
        "converge_sync_bytes_total",
        "libp2p_identify_received_total",
    ] {
        assert!(response.contains(metric), "{metric} missing:\n{response}");
    }
    assert!(http_get(&metrics, "/").starts_with("HTTP/1.1 404"));
    let listed = text(&doc_cmd(&data, &["list"]).stdout);
    assert_eq!(listed.trim(), "from-config");
    assert!(node.stop().success());

    // A bad file is refused with its line.
    std::fs::write(&config, "listen = 4001\n").unwrap();
    let out = converge(&["node", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("is not a valid configuration") && err.contains("line 1"),
        "{err}"
    );
}
