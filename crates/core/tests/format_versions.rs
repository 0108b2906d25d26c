//! Documents written by earlier format versions stay readable: committed
//! fixtures (made by the code of their version, never regenerated) load,
//! and equal the same edits made today.
//!
//! `CONVERGE_WRITE_FIXTURES=1 cargo test -p converge-core --test
//! format_versions` writes the fixtures of the *current* version only; the
//! ones of earlier versions are kept as they were written.

use converge_core::{Doc, ReplicaId, Text, VersionVector};

/// Two replicas' edits: a long text (longer than the 1 KiB from which
/// version 2 packs text), a list, a counter, nested maps and a register,
/// with deletions and concurrent inserts so that the text has tombstones
/// and runs by both replicas.
fn edited() -> Doc {
    let mut a = Doc::new(ReplicaId::new(0xA1));
    let mut b = a.fork(ReplicaId::new(0xB2));
    let para =
        "The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. ";
    for i in 0..30 {
        let mut tx = a.transact();
        tx.text("notes").push_str(para).unwrap();
        if i % 3 == 0 {
            tx.text("notes").delete(i * 10, 4).unwrap();
        }
        drop(tx);
    }
    a.transact()
        .list("todos")
        .push("write the fixture")
        .unwrap();
    a.transact().counter("seen").add(7).unwrap();
    a.transact()
        .map("settings")
        .lww("theme")
        .set_at("dark", 3)
        .unwrap();
    let v = a.encode_since(&b.version()).unwrap();
    b.apply(&v).unwrap();
    b.transact().text("notes").insert(5, "élan ").unwrap();
    a.transact().text("notes").insert(5, "über ").unwrap();
    b.transact().list("todos").push("check it loads").unwrap();
    let v = b.encode_since(&a.version()).unwrap();
    a.apply(&v).unwrap();
    a
}

/// [`edited`] and what version 4 codes tighter: a text and a list typed
/// backwards (every insert at the start), whose runs repeat one counter
/// step, one length and one flag.
fn edited_backwards() -> Doc {
    let mut d = edited();
    for i in 0..100 {
        let mut tx = d.transact();
        tx.text("backwards")
            .insert(0, "zyx".get(i % 3..i % 3 + 1).unwrap())
            .unwrap();
        if i < 40 {
            tx.list("stack").insert(0, i as i64).unwrap();
        }
    }
    d
}

/// What the fixtures of `version` were written from.
fn edited_for(version: u8) -> Doc {
    if version >= 4 {
        edited_backwards()
    } else {
        edited()
    }
}

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn write_current_fixtures_when_asked() {
    if std::env::var_os("CONVERGE_WRITE_FIXTURES").is_none() {
        return;
    }
    let v = converge_core::kernel::envelope::FORMAT_VERSION;
    let doc = edited_for(v);
    let delta = doc.encode_since(&VersionVector::new()).unwrap();
    for (kind, bytes) in [("snapshot", doc.snapshot()), ("delta", delta)] {
        let path = fixture(&format!("v{v}-{kind}.bin"));
        // A version's fixtures are written once, by that version's code.
        if path.exists() {
            eprintln!("{} exists: kept as written", path.display());
        } else {
            std::fs::write(path, bytes).unwrap();
        }
    }
}

#[test]
fn documents_of_every_version_load_and_equal_todays() {
    let newest = converge_core::kernel::envelope::FORMAT_VERSION;
    for (v, kind) in (1..=newest).flat_map(|v| [(v, "snapshot"), (v, "delta")]) {
        let today = edited_for(v);
        let name = &format!("v{v}-{kind}.bin");
        let bytes = std::fs::read(fixture(name)).unwrap();
        // Stamped with the oldest version that reads it: version 2's code
        // writes the delta (short runs, text too repetitive to pack) as
        // version 1, its snapshot as version 2; version 3's code writes the
        // same snapshot, and a delta whose deleted runs stand for their
        // deletions (version 3); version 4's code writes both with
        // run-length coded columns.
        let stamp = match (v, kind) {
            (2, "delta") => 1,
            (3, "snapshot") => 2,
            _ => v,
        };
        assert_eq!(bytes[4], stamp, "{name} is a version-{stamp} blob");
        let loaded = if kind == "snapshot" {
            Doc::load(ReplicaId::new(0xC3), &bytes).unwrap()
        } else {
            let mut d = Doc::new(ReplicaId::new(0xC3));
            d.apply(&bytes).unwrap();
            d
        };
        assert_eq!(loaded.version(), today.version(), "{name}");
        assert_eq!(loaded.to_value(), today.to_value(), "{name}");
        // The full state: re-encoded, it is today's snapshot byte for byte.
        assert_eq!(loaded.snapshot(), today.snapshot(), "{name}");
    }
}

#[test]
fn text_of_a_kilobyte_or_more_is_packed_and_stamped_version_2() {
    let doc = edited();
    let snapshot = doc.snapshot();
    assert_eq!(snapshot[4], 2, "a snapshot with packed text is version 2");
    let v1 = std::fs::read(fixture("v1-snapshot.bin")).unwrap();
    assert!(
        snapshot.len() * 2 < v1.len(),
        "packed: {} bytes, plain: {} bytes",
        snapshot.len(),
        v1.len()
    );
    // Short text stays plain, so the blob stays readable by version 1.
    let mut small = Doc::new(ReplicaId::new(1));
    small.transact().text("t").push_str("short").unwrap();
    assert_eq!(small.snapshot()[4], 1);
    let delta = small.encode_since(&VersionVector::new()).unwrap();
    assert_eq!(delta[4], 1);
}

#[test]
fn unknown_versions_are_refused_by_name() {
    let mut bytes = edited().snapshot();
    for v in [0u8, 5, 255] {
        bytes[4] = v;
        assert_eq!(
            Doc::load(ReplicaId::new(9), &bytes).unwrap_err(),
            converge_core::DecodeError::UnsupportedVersion(v).into()
        );
    }
}

#[test]
fn standalone_texts_pack_too_and_read_both_versions() {
    let para = "Standalone texts pack their content like documents do. ";
    let mut a = Text::new(ReplicaId::new(1));
    for i in 0..40 {
        a.insert(a.len(), para).unwrap();
        a.insert(i, "x").unwrap();
    }
    a.delete(10, 30).unwrap();
    let packed = a.to_bytes();
    assert_eq!(packed[4], 2);
    let b = Text::from_bytes(ReplicaId::new(2), &packed).unwrap();
    assert_eq!(b.to_string(), a.to_string());
    assert_eq!(b.to_bytes(), packed);
    // A delta of the whole text packs; a keystroke's does not.
    let all = a.encode_since(&VersionVector::new()).unwrap();
    assert_eq!(all[4], 2);
    let mut c = Text::new(ReplicaId::new(3));
    c.apply(&all).unwrap();
    assert_eq!(c.to_string(), a.to_string());
    let before = a.version();
    a.insert(0, "!").unwrap();
    let key = a.encode_since(&before).unwrap();
    assert_eq!(key[4], 1);
    c.apply(&key).unwrap();
    assert_eq!(c.to_bytes(), a.to_bytes());
    // Short texts stay version 1.
    let mut short = Text::new(ReplicaId::new(4));
    short.insert(0, "short").unwrap();
    assert_eq!(short.to_bytes()[4], 1);
    assert_eq!(
        Text::from_bytes(ReplicaId::new(5), &short.to_bytes())
            .unwrap()
            .to_string(),
        "short"
    );
}

#[test]
fn lists_and_texts_of_many_runs_use_version_2_columns_and_round_trip() {
    // Under 1 KiB of text (not packed) but many runs: prepends and
    // alternating deletions make a run each, with explicit origins.
    let mut a = Doc::new(ReplicaId::new(7));
    let mut b = a.fork(ReplicaId::new(8));
    for i in 0..40 {
        let mut tx = a.transact();
        tx.list("items").insert(0, i).unwrap();
        tx.text("t").insert(0, "ab").unwrap();
        if i % 2 == 1 {
            tx.text("t").delete(1, 1).unwrap();
            tx.list("items").delete(1, 1).unwrap();
        }
        drop(tx);
        let mut tx = b.transact();
        tx.list("items").push(100 + i).unwrap();
        drop(tx);
    }
    a.apply(&b.encode_since(&a.version()).unwrap()).unwrap();
    let snapshot = a.snapshot();
    assert_eq!(snapshot[4], 2, "many runs: version 2's columns");
    let loaded = Doc::load(ReplicaId::new(9), &snapshot).unwrap();
    assert_eq!(loaded.to_value(), a.to_value());
    assert_eq!(loaded.version(), a.version());
    assert_eq!(loaded.snapshot(), snapshot);
    let all = a.encode_since(&VersionVector::new()).unwrap();
    // The catch-up lists the deleted items as deleted runs without
    // repeating their deletions: version 3.
    assert_eq!(all[4], 3);
    let mut c = Doc::new(ReplicaId::new(10));
    c.apply(&all).unwrap();
    assert_eq!(c.snapshot(), snapshot);
    // One more keystroke's delta stays readable by version 1.
    let before = a.version();
    a.transact().text("t").insert(0, "z").unwrap();
    let key = a.encode_since(&before).unwrap();
    assert_eq!(key[4], 1);
    c.apply(&key).unwrap();
    assert_eq!(c.snapshot(), a.snapshot());
}

#[test]
fn text_and_lists_typed_backwards_use_version_4_columns_and_round_trip() {
    let mut d = Doc::new(ReplicaId::new(7));
    for i in 0..6000 {
        let mut tx = d.transact();
        tx.text("t").insert(0, ["a", "b", "c"][i % 3]).unwrap();
        if i < 2000 {
            tx.list("l").insert(0, true).unwrap();
        }
    }
    let snapshot = d.snapshot();
    assert_eq!(snapshot[4], 4, "run-length columns are version 4");
    // The characters and items (three bytes each) themselves, and about a
    // hundred bytes besides (version 2: two bytes and a bit more a run).
    assert!(
        snapshot.len() < 6000 + 3 * 2000 + 120,
        "{} bytes",
        snapshot.len()
    );
    let loaded = Doc::load(ReplicaId::new(8), &snapshot).unwrap();
    assert_eq!(loaded.to_value(), d.to_value());
    assert_eq!(loaded.snapshot(), snapshot);
    // A replica that has none of it catches up with the same coding.
    let all = d.encode_since(&VersionVector::new()).unwrap();
    assert_eq!(all[4], 4);
    let mut fresh = Doc::new(ReplicaId::new(9));
    fresh.apply(&all).unwrap();
    assert_eq!(fresh.snapshot(), snapshot);
    // Deleted, the text has runs but no content: version 2's columns.
    d.transact().text("t").delete(0, 6000).unwrap();
    d.transact().list("l").delete(0, 2000).unwrap();
    let deleted = d.snapshot();
    assert_eq!(deleted[4], 2, "no run-length columns without content");
    let loaded = Doc::load(ReplicaId::new(8), &deleted).unwrap();
    assert_eq!(loaded.snapshot(), deleted);
}
