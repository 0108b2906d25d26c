//! Damaged and foreign files give clear errors, never panics; a damaged
//! document leaves the rest of the store readable; a store in use by
//! another process is refused.

use std::path::{Path, PathBuf};
use std::process::Command;

use converge_store::{Backend, DocId, Op, RedbBackend, Store, StoreError};
use converge_testkit::Rng;

fn sample_store(dir: &Path) -> PathBuf {
    let path = dir.join("sample.redb");
    let mut store = Store::open(&path).unwrap();
    for i in 0..5 {
        let id = DocId::new(format!("doc{i}")).unwrap();
        store.create(&id).unwrap();
        for k in 0..50 {
            store
                .edit(&id, |tx| {
                    tx.text("t").push_str(&format!("line {k}\n")).unwrap();
                    tx.counter("c").add(1).unwrap();
                })
                .unwrap();
        }
        if i % 2 == 0 {
            store.compact(&id).unwrap();
        }
    }
    path
}

/// Opens the store and reads every document: `Ok` or a clean error.
fn open_and_read_all(path: &Path) -> Result<usize, StoreError> {
    let mut store = Store::open(path)?;
    let mut ok = 0;
    for info in store.list()? {
        if store.doc(&info.id).is_ok() {
            ok += 1;
        }
    }
    Ok(ok)
}

#[test]
fn a_file_that_is_not_a_store_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "these are my notes, not a database\n".repeat(200)).unwrap();
    let err = Store::open(&path).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, StoreError::Damaged { .. }), "{msg}");
    assert!(
        msg.contains("notes.txt"),
        "the message names the file: {msg}"
    );
}

#[test]
fn a_newer_format_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.redb");
    {
        let mut b = RedbBackend::open(&path).unwrap();
        b.set_format(99).unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerFormat { found: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade converge"));
}

#[test]
fn truncated_and_flipped_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_store(dir.path());
    let original = std::fs::read(&path).unwrap();
    let mut rng = Rng::new(7);
    let (mut refused, mut opened) = (0, 0);
    for round in 0..300 {
        let mut bytes = original.clone();
        if round % 2 == 0 {
            bytes.truncate(rng.below(original.len()));
        } else {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
            }
        }
        let copy = dir.path().join(format!("damaged-{round}.redb"));
        std::fs::write(&copy, &bytes).unwrap();
        match open_and_read_all(&copy) {
            Ok(_) => opened += 1,
            Err(e) => {
                refused += 1;
                let msg = e.to_string();
                assert!(
                    msg.contains("damaged-"),
                    "the message names the file: {msg}"
                );
            }
        }
    }
    eprintln!("{refused} damaged copies refused, {opened} opened");
}

#[test]
fn a_damaged_document_leaves_the_others_readable() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_store(dir.path());
    let bad = DocId::new("doc1").unwrap();
    {
        let mut b = RedbBackend::open(&path).unwrap();
        let record = b.read(&bad).unwrap().unwrap();
        let (seq, mut delta) = record.log[3].clone();
        let n = delta.len();
        delta[n / 2] ^= 0x55;
        b.write(
            &[
                Op::TrimLog {
                    doc: &bad,
                    through: seq,
                },
                Op::Append {
                    doc: &bad,
                    seq,
                    delta: &delta,
                },
            ],
            true,
        )
        .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.list().unwrap().len(), 5);
    let err = store.doc(&bad).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, StoreError::DamagedDoc { .. }), "{msg}");
    assert!(msg.contains("doc1") && msg.contains("log entry"), "{msg}");
    for i in [0, 2, 3, 4] {
        let id = DocId::new(format!("doc{i}")).unwrap();
        assert_eq!(store.doc(&id).unwrap().root().counter("c"), Some(50));
    }
    // The way out the message names: remove it (peers sync it back).
    assert!(store.remove(&bad).unwrap());
    assert_eq!(store.list().unwrap().len(), 4);
}

/// Opens the store named by `CONVERGE_STORE_PROBE` and prints the outcome.
#[test]
#[ignore = "started by a_store_in_use_by_another_process_is_refused"]
fn probe_open() {
    let Ok(path) = std::env::var("CONVERGE_STORE_PROBE") else {
        return;
    };
    match Store::open(&path) {
        Ok(_) => println!("probe: opened"),
        Err(e) => println!("probe: {e}"),
    }
}

/// Runs `probe_open` in another process on `path`; returns its `probe: `
/// line.
fn probe(path: &Path) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "probe_open",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CONVERGE_STORE_PROBE", path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| l.find("probe: ").map(|i| l[i..].to_string()))
        .unwrap_or_else(|| panic!("no probe output: {stdout}"))
}

#[test]
fn a_store_in_use_by_another_process_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.redb");
    let mine = Store::open(&path).unwrap();
    let line = probe(&path);
    assert!(
        line.contains("in use by another process") && line.contains("shared.redb"),
        "{line}"
    );
    drop(mine);
    // Closed here: now the other process may open it.
    assert!(probe(&path).contains("probe: opened"));
}
