//! The edits `converge doc edit` makes, the same whether it opens a store
//! itself or asks a running node (`converge node`'s control socket).

use anyhow::{bail, Result};
use converge_core::{Transaction, Value};
use serde::{Deserialize, Serialize};

/// One edit of a document's root map.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, clap::Subcommand)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Edit {
    /// Set KEY to a value (a last-writer-wins register): a JSON scalar
    /// (`"text"`, `42`, `1.5`, `true`, `null`); anything that does not parse
    /// as JSON is taken as a string.
    Set { key: String, value: String },
    /// Insert TEXT at character POS of the text KEY (created when absent).
    Insert {
        key: String,
        pos: usize,
        text: String,
    },
    /// Add N to the counter KEY (negative to subtract).
    Add {
        key: String,
        #[arg(allow_negative_numbers = true)]
        by: i64,
    },
    /// Remove KEY from the root map.
    Remove { key: String },
}

/// A command-line value as a document value.
fn value(text: &str) -> Result<Value> {
    Ok(match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Null) => Value::Null,
        Ok(serde_json::Value::Bool(b)) => Value::Bool(b),
        Ok(serde_json::Value::Number(n)) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Ok(serde_json::Value::String(s)) => Value::Str(s),
        Ok(serde_json::Value::Array(_) | serde_json::Value::Object(_)) => {
            bail!(
            "{text} is a JSON {}: `set` takes one value (a string, a number, true, false or null)",
            if text.trim_start().starts_with('[') { "array" } else { "object" }
        )
        }
        Err(_) => Value::Str(text.to_string()),
    })
}

/// Makes `edit` in `tx`.
pub(crate) fn apply(tx: &mut Transaction<'_>, edit: &Edit) -> Result<()> {
    match edit {
        Edit::Set { key, value: v } => {
            tx.lww(key).set(value(v)?)?;
        }
        Edit::Insert { key, pos, text } => {
            let mut t = tx.text(key);
            let len = t.len();
            if *pos > len {
                bail!("position {pos} is past the end of text {key:?} ({len} characters)");
            }
            t.insert(*pos, text)?;
        }
        Edit::Add { key, by } => tx.counter(key).add(*by)?,
        Edit::Remove { key } => {
            if !tx.root().remove(key)? {
                bail!("the document has no key {key:?}");
            }
        }
    }
    Ok(())
}
