//! The control socket of a running `converge node`: `<data>/control.sock`,
//! a Unix socket where `converge doc` asks the node to show, edit, export
//! or import a document while the node holds the store. One JSON request
//! per line, one JSON reply per line (`watch` keeps replying, a line per
//! change).

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::unix::OwnedReadHalf;
use tokio::net::UnixStream;

use crate::edit::Edit;

/// Where a node on data folder `data` listens for control requests.
pub(crate) fn socket_path(data: &Path) -> PathBuf {
    data.join("control.sock")
}

/// A request to a node.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum Request {
    /// Open (and serve) a document, creating it when absent.
    Open {
        doc: String,
    },
    Show {
        doc: String,
    },
    Edit {
        doc: String,
        edit: Edit,
    },
    Export {
        doc: String,
    },
    Import {
        doc: String,
        hex: String,
    },
    /// The document now, then again after each change.
    Watch {
        doc: String,
    },
    /// The documents the node serves.
    List,
}

/// A node's reply.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Reply {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) json: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) hex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) docs: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) outcome: Option<String>,
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn from_hex(text: &str) -> Result<Vec<u8>> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        bail!("odd number of hex digits");
    }
    bytes
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| match (digit(pair[0]), digit(pair[1])) {
            (Some(h), Some(l)) => Ok(h << 4 | l),
            _ => Err(anyhow!("not hex at digit {}", 2 * i)),
        })
        .collect()
}

/// A connection to a running node.
pub(crate) struct Client {
    lines: Lines<BufReader<OwnedReadHalf>>,
    write: tokio::net::unix::OwnedWriteHalf,
}

impl Client {
    /// Connects to the node on `data`, or `None` when no node runs there.
    pub(crate) async fn connect(data: &Path) -> Result<Option<Client>> {
        let path = socket_path(data);
        if !path.exists() {
            return Ok(None);
        }
        match UnixStream::connect(&path).await {
            Ok(stream) => {
                let (read, write) = stream.into_split();
                Ok(Some(Client {
                    lines: BufReader::new(read).lines(),
                    write,
                }))
            }
            // A socket file left by a node that did not stop cleanly.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Ok(None),
            Err(e) => Err(e).with_context(|| format!("connecting to {}", path.display())),
        }
    }

    /// Sends a request and waits for the first reply.
    pub(crate) async fn ask(&mut self, request: &Request) -> Result<Reply> {
        let mut line = serde_json::to_string(request).expect("plain data");
        line.push('\n');
        self.write.write_all(line.as_bytes()).await?;
        self.next().await
    }

    /// The next reply (`watch` sends several).
    pub(crate) async fn next(&mut self) -> Result<Reply> {
        let line = self
            .lines
            .next_line()
            .await?
            .ok_or_else(|| anyhow!("the node closed the connection"))?;
        let reply: Reply = serde_json::from_str(&line).context("a reply from the node")?;
        match reply.error {
            Some(e) => bail!("{e}"),
            None => Ok(reply),
        }
    }
}
