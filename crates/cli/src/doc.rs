//! `converge doc`: create, show, edit, export and import documents of a
//! node's folder. While a `converge node` runs on the folder it holds the
//! store, so the command asks it through its control socket (and peers see
//! the edit at once); otherwise it opens the store itself.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use converge_store::{DocId, Store, StoreError};

use crate::control::{from_hex, to_hex, Client, Request};
use crate::edit::Edit;

/// The settings of `converge doc`.
#[derive(Debug, clap::Args)]
pub(crate) struct DocArgs {
    /// The node's folder (its store is DIR/store.redb).
    #[arg(long, value_name = "DIR", global = true)]
    data: Option<PathBuf>,
    #[command(subcommand)]
    command: DocCommand,
}

#[derive(Debug, clap::Subcommand)]
enum DocCommand {
    /// Create an empty document.
    New { id: String },
    /// Print a document as JSON.
    Show {
        id: String,
        /// Keep printing it, one line of JSON per change (needs a running
        /// node; stop with Ctrl-C).
        #[arg(long)]
        watch: bool,
    },
    /// Edit a document's root map in one transaction.
    Edit {
        id: String,
        #[command(subcommand)]
        edit: Edit,
    },
    /// Write a document's snapshot to FILE (`converge inspect` reads it).
    Export { id: String, file: PathBuf },
    /// Join a snapshot or delta FILE into a document (created when
    /// absent; default id: the file's name without its extension).
    Import {
        file: PathBuf,
        #[arg(long)]
        id: Option<String>,
    },
    /// List the documents (those a running node serves, or those stored).
    List,
}

fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("plain data")
    );
}

fn open_store(data: &Path) -> Result<Store> {
    let path = data.join("store.redb");
    if !data.exists() {
        bail!(
            "{} does not exist: give the folder of a node (--data DIR)",
            data.display()
        );
    }
    Store::open(&path).map_err(|e| match e {
        StoreError::InUse { .. } => anyhow!(
            "the store {} is in use by another process, and no node answers on its control \
             socket: stop that process, or start `converge node --data {}`",
            path.display(),
            data.display()
        ),
        e => anyhow::Error::new(e).context(format!("opening {}", path.display())),
    })
}

fn doc_id(id: &str) -> Result<DocId> {
    DocId::new(id).with_context(|| format!("{id:?} cannot be a document id"))
}

/// Runs `converge doc`.
pub(crate) async fn run(args: DocArgs) -> Result<bool> {
    let Some(data) = args.data else {
        bail!("say which node's documents: --data DIR");
    };
    if let Some(mut node) = Client::connect(&data).await? {
        return through_node(&mut node, args.command).await;
    }
    let mut store = open_store(&data)?;
    let result = directly(&mut store, args.command);
    store.close().context("closing the store")?;
    result
}

async fn through_node(node: &mut Client, command: DocCommand) -> Result<bool> {
    match command {
        DocCommand::New { id } => {
            node.ask(&Request::Open { doc: id.clone() }).await?;
            println!("created {id} (served by the running node)");
        }
        DocCommand::Show { id, watch } => {
            if watch {
                let mut reply = node.ask(&Request::Watch { doc: id }).await?;
                // One line per version, so that `| jq` or a script can
                // follow it.
                loop {
                    println!("{}", reply.json.take().unwrap_or_default());
                    reply = node.next().await?;
                }
            }
            let reply = node.ask(&Request::Show { doc: id }).await?;
            print_json(&reply.json.unwrap_or_default());
        }
        DocCommand::Edit { id, edit } => {
            let reply = node.ask(&Request::Edit { doc: id, edit }).await?;
            print_json(&reply.json.unwrap_or_default());
        }
        DocCommand::Export { id, file } => {
            let reply = node.ask(&Request::Export { doc: id }).await?;
            let bytes = from_hex(&reply.hex.unwrap_or_default())?;
            std::fs::write(&file, &bytes).with_context(|| format!("writing {}", file.display()))?;
            println!("wrote {} ({} bytes)", file.display(), bytes.len());
        }
        DocCommand::Import { file, id } => {
            let (id, bytes) = import_source(&file, id)?;
            let reply = node
                .ask(&Request::Import {
                    doc: id.clone(),
                    hex: to_hex(&bytes),
                })
                .await?;
            println!(
                "imported {} into {id}: {}",
                file.display(),
                reply.outcome.unwrap_or_default()
            );
        }
        DocCommand::List => {
            for d in node.ask(&Request::List).await?.docs.unwrap_or_default() {
                println!("{d}");
            }
        }
    }
    Ok(true)
}

fn import_source(file: &Path, id: Option<String>) -> Result<(String, Vec<u8>)> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let id = match id {
        Some(id) => id,
        None => file
            .file_stem()
            .and_then(|s| s.to_str())
            .map(str::to_string)
            .ok_or_else(|| anyhow!("name the document: --id ID"))?,
    };
    Ok((id, bytes))
}

fn directly(store: &mut Store, command: DocCommand) -> Result<bool> {
    match command {
        DocCommand::New { id } => {
            store.create(&doc_id(&id)?)?;
            println!("created {id}");
        }
        DocCommand::Show { id, watch } => {
            let doc = store.doc(&doc_id(&id)?)?;
            print_json(&doc.to_json());
            if watch {
                eprintln!(
                    "(no node runs on this folder, so nothing can change the document: \
                     shown once; start `converge node` to watch it live)"
                );
            }
        }
        DocCommand::Edit { id, edit } => {
            let id = doc_id(&id)?;
            store.edit(&id, |tx| crate::edit::apply(tx, &edit))??;
            print_json(&store.doc(&id)?.to_json());
        }
        DocCommand::Export { id, file } => {
            let bytes = store.doc(&doc_id(&id)?)?.snapshot();
            std::fs::write(&file, &bytes).with_context(|| format!("writing {}", file.display()))?;
            println!("wrote {} ({} bytes)", file.display(), bytes.len());
        }
        DocCommand::Import { file, id } => {
            let (id, bytes) = import_source(&file, id)?;
            let doc = doc_id(&id)?;
            if store.contains(&doc)? {
                let outcome = store.apply(&doc, &bytes)?;
                println!("imported {} into {id}: {outcome:?}", file.display());
            } else {
                store.import(&doc, &bytes)?;
                println!("imported {} as {id}", file.display());
            }
        }
        DocCommand::List => {
            for d in store.list()? {
                println!("{}", d.id);
            }
        }
    }
    Ok(true)
}
