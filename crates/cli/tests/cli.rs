//! The `converge` binary, run as a user runs it: the demo end to end (real
//! processes, TCP on 127.0.0.1, redb stores), and snapshots of its help and
//! error messages (`CONVERGE_UPDATE_SNAPSHOTS=1` rewrites them after a
//! deliberate change).

use std::path::Path;
use std::process::{Command, Output};

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
    let out = converge(&["demo", "--help"]);
    assert!(out.status.success());
    snapshot("demo-help.txt", &text(&out.stdout));
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
