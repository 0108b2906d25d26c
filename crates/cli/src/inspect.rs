//! `converge inspect FILE`: what a converge blob holds (a snapshot, a
//! delta, a sync message, a standalone type), or which check it fails and
//! where.

use std::path::PathBuf;

use anyhow::{Context, Result};
use converge_core::kernel::envelope::{peek_kind, HEADER_LEN};
use converge_core::{ApplyOutcome, BlobKind, DecodeError, Doc, ReplicaId};
use serde_json::{json, Value};

/// The settings of `converge inspect`.
#[derive(Debug, clap::Args)]
pub(crate) struct InspectArgs {
    /// The blob: a snapshot (`converge doc export`), a delta, a sync
    /// message, or a standalone type's encoding.
    file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Where in the blob a failed check looked.
fn location(e: &DecodeError, len: usize) -> String {
    match e {
        DecodeError::BadMagic => "bytes 0-3 (the magic `CNVG`)".into(),
        DecodeError::UnsupportedVersion(_) => "byte 4 (the format version)".into(),
        DecodeError::UnknownKind(_) => "byte 5 (the kind)".into(),
        DecodeError::Truncated if len < HEADER_LEN => {
            format!("the header: {len} bytes of the 14 it needs")
        }
        DecodeError::Truncated | DecodeError::TrailingBytes => {
            "bytes 6-9 (the payload length) against the file's length".into()
        }
        DecodeError::ChecksumMismatch => {
            format!(
                "bytes 10-13 (the CRC-32C) against the payload, bytes 14-{}",
                len.max(15) - 1
            )
        }
        _ => format!("the payload, bytes 14-{}", len.max(15) - 1),
    }
}

/// What `bytes` hold, as JSON.
pub(crate) fn describe(bytes: &[u8]) -> Result<Value, (DecodeError, String)> {
    let fail = |e: DecodeError| {
        let at = location(&e, bytes.len());
        (e, at)
    };
    let kind = peek_kind(bytes).map_err(fail)?;
    let payload = bytes.len() - HEADER_LEN;
    let mut out = json!({
        "kind": format!("{kind:?}"),
        "format_version": bytes[4],
        "bytes": bytes.len(),
        "payload_bytes": payload,
    });
    match kind {
        BlobKind::DocSnapshot => {
            let doc = Doc::load(ReplicaId::new(1), bytes).map_err(|e| match e {
                converge_core::DocError::Decode(d) => fail(d),
                other => (DecodeError::Malformed, other.to_string()),
            })?;
            let version = doc.version();
            out["replicas"] = json!(version.iter().count());
            out["operations"] = json!(version.iter().map(|(_, n)| n).sum::<u64>());
            out["version"] = version
                .iter()
                .map(|(r, n)| (format!("{r}"), json!(n)))
                .collect::<serde_json::Map<_, _>>()
                .into();
            out["containers"] = containers(&doc.to_json());
        }
        BlobKind::DocDelta => {
            let mut doc = Doc::new(ReplicaId::new(1));
            match doc.apply(bytes) {
                Ok(ApplyOutcome::Pending) => {
                    out["self_contained"] = json!(false);
                    out["waits_for"] = json!(format!("{:?}", doc.missing()));
                }
                Ok(_) => {
                    let version = doc.version();
                    out["self_contained"] = json!(true);
                    out["operations"] = json!(version.iter().map(|(_, n)| n).sum::<u64>());
                    out["containers"] = containers(&doc.to_json());
                }
                Err(converge_core::DocError::Decode(d)) => return Err(fail(d)),
                Err(other) => return Err((DecodeError::Malformed, other.to_string())),
            }
        }
        BlobKind::SyncMessage => {
            let msg = converge_sync::Message::decode(bytes).map_err(fail)?;
            let text = format!("{msg:?}");
            let short: String = text.chars().take(400).collect();
            out["message"] = json!(if text.len() > short.len() {
                format!("{short}...")
            } else {
                short
            });
        }
        _ => {}
    }
    Ok(out)
}

/// The root's entries: their type and size.
fn containers(doc: &Value) -> Value {
    let Some(map) = doc.as_object() else {
        return json!({});
    };
    map.iter()
        .map(|(k, v)| {
            let what = match v {
                Value::Array(a) => format!("array of {}", a.len()),
                Value::Object(o) => format!("map of {}", o.len()),
                Value::String(s) => format!("text of {} characters", s.chars().count()),
                Value::Number(n) => format!("number {n}"),
                Value::Bool(b) => format!("boolean {b}"),
                Value::Null => "null".into(),
            };
            (k.clone(), json!(what))
        })
        .collect()
}

/// Runs `converge inspect`.
pub(crate) fn run(args: InspectArgs) -> Result<bool> {
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    match describe(&bytes) {
        Ok(info) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&info).expect("plain data")
                );
            } else if let Some(map) = info.as_object() {
                println!("{}", args.file.display());
                for (k, v) in map {
                    match v {
                        Value::Object(inner) => {
                            println!("  {k}:");
                            for (ik, iv) in inner {
                                println!(
                                    "    {ik}: {}",
                                    iv.as_str().map_or(iv.to_string(), str::to_string)
                                );
                            }
                        }
                        _ => println!(
                            "  {k}: {}",
                            v.as_str().map_or(v.to_string(), str::to_string)
                        ),
                    }
                }
            }
            Ok(true)
        }
        Err((e, at)) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({
                        "valid": false,
                        "error": e.to_string(),
                        "where": at,
                    }))
                    .expect("plain data")
                );
            } else {
                eprintln!(
                    "converge inspect: {} is not a valid converge blob: {e} (at {at})",
                    args.file.display()
                );
            }
            Ok(false)
        }
    }
}
