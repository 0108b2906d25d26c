//! The node's side of the control socket (see `crate::control`).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, Context, Result};
use converge_net::{DocHandle, Node};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixListener;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::control::{from_hex, to_hex, Reply, Request};

type Docs = Arc<Mutex<HashMap<String, DocHandle>>>;

/// Listens on `path` (replacing a socket file a stopped node left).
pub(super) async fn start(
    path: &Path,
    node: Node,
    handles: Vec<DocHandle>,
) -> Result<JoinHandle<()>> {
    if path.exists() {
        std::fs::remove_file(path)
            .with_context(|| format!("removing the stale socket {}", path.display()))?;
    }
    let listener = UnixListener::bind(path)
        .with_context(|| format!("creating the control socket {}", path.display()))?;
    let docs: Docs = Arc::new(Mutex::new(
        handles
            .into_iter()
            .map(|h| (h.id().to_string(), h))
            .collect(),
    ));
    Ok(tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (node, docs) = (node.clone(), docs.clone());
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let request: Request = match serde_json::from_str(&line) {
                        Ok(r) => r,
                        Err(e) => {
                            let _ = send(&mut write, &error(anyhow!("bad request: {e}"))).await;
                            continue;
                        }
                    };
                    if let Request::Watch { doc } = request {
                        let _ = watch(&docs, &doc, &mut write).await;
                        return;
                    }
                    let reply = handle(&node, &docs, request).await.unwrap_or_else(error);
                    if send(&mut write, &reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    }))
}

fn error(e: anyhow::Error) -> Reply {
    Reply {
        error: Some(format!("{e:#}")),
        ..Reply::default()
    }
}

async fn send(write: &mut tokio::net::unix::OwnedWriteHalf, reply: &Reply) -> Result<()> {
    let mut line = serde_json::to_string(reply).expect("plain data");
    line.push('\n');
    write.write_all(line.as_bytes()).await?;
    Ok(())
}

async fn served(docs: &Docs, id: &str) -> Result<DocHandle> {
    docs.lock().await.get(id).cloned().ok_or_else(|| {
        anyhow!("this node does not serve a document {id:?}: create it with `converge doc new {id}`, or start the node with --doc {id}")
    })
}

async fn handle(node: &Node, docs: &Docs, request: Request) -> Result<Reply> {
    Ok(match request {
        Request::Open { doc } => {
            let handle = node.open(&doc).await?;
            docs.lock().await.insert(doc, handle.clone());
            Reply {
                json: Some(handle.read(|d| d.to_json()).await?),
                ..Reply::default()
            }
        }
        Request::Show { doc } => Reply {
            json: Some(served(docs, &doc).await?.read(|d| d.to_json()).await?),
            ..Reply::default()
        },
        Request::Edit { doc, edit } => {
            let handle = served(docs, &doc).await?;
            handle
                .edit(move |tx| crate::edit::apply(tx, &edit))
                .await??;
            Reply {
                json: Some(handle.read(|d| d.to_json()).await?),
                ..Reply::default()
            }
        }
        Request::Export { doc } => Reply {
            hex: Some(to_hex(
                &served(docs, &doc).await?.read(|d| d.snapshot()).await?,
            )),
            ..Reply::default()
        },
        Request::Import { doc, hex } => {
            let bytes = from_hex(&hex)?;
            let handle = node.open(&doc).await?;
            docs.lock().await.insert(doc, handle.clone());
            let outcome = handle.apply(bytes).await?;
            Reply {
                outcome: Some(format!("{outcome:?}")),
                ..Reply::default()
            }
        }
        Request::List => Reply {
            docs: Some(docs.lock().await.keys().cloned().collect()),
            ..Reply::default()
        },
        Request::Watch { .. } => unreachable!("handled by the connection"),
    })
}

/// Sends the document, then again after every change, until the client
/// goes away.
async fn watch(docs: &Docs, id: &str, write: &mut tokio::net::unix::OwnedWriteHalf) -> Result<()> {
    let handle = match served(docs, id).await {
        Ok(h) => h,
        Err(e) => return send(write, &error(e)).await,
    };
    let mut changes = handle.changes();
    loop {
        let json = handle.read(|d| d.to_json()).await?;
        send(
            write,
            &Reply {
                json: Some(json),
                ..Reply::default()
            },
        )
        .await?;
        // Wait for a change; several at once show once.
        match changes.recv().await {
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(()),
        }
        while changes.try_recv().is_ok() {}
    }
}
