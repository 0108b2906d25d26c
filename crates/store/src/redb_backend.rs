//! The default backend: one redb file (pure Rust, ACID, crash-safe).
//!
//! Tables: `meta` (store-wide records: the format version), `docs` (doc id
//! → metadata record), `snapshots` ((doc id, chunk number) → 16 KiB pieces
//! of the snapshot) and `log` ((doc id, sequence number) → delta). See
//! `docs/storage.md`.

use std::path::Path;

use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};

use crate::backend::{Backend, DocRecord, Op};
use crate::doc_id::DocId;
use crate::error::StoreError;

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const DOCS: TableDefinition<&str, &[u8]> = TableDefinition::new("docs");
const SNAPSHOTS: TableDefinition<(&str, u32), &[u8]> = TableDefinition::new("snapshots");

/// Snapshots are stored in pieces of this many bytes: redb keeps a large
/// value in a leaf of a power of two of 4 KiB pages, with its key and a
/// small header; pieces a little under 4 pages fill such leaves (a 16 KiB
/// piece would take 8 pages).
const CHUNK: usize = (16 << 10) - 256;
const LOG: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("log");

/// The database's page cache (redb's default is 1 GiB).
const CACHE_BYTES: usize = 64 << 20;

/// The key of the format version in the `meta` table.
const FORMAT_KEY: &str = "format";

/// A [`Backend`] on one redb file. The file is locked while open: a second
/// process (or a second `RedbBackend` here) gets [`StoreError::InUse`].
pub struct RedbBackend {
    db: Database,
    location: String,
    path: std::path::PathBuf,
}

impl std::fmt::Debug for RedbBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbBackend")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl RedbBackend {
    /// Opens the store file at `path`, creating it (but not its folder)
    /// when absent.
    pub fn open(path: impl AsRef<Path>) -> Result<RedbBackend, StoreError> {
        let path = path.as_ref();
        let location = path.display().to_string();
        let db = guard(&location, || {
            Database::builder()
                .set_cache_size(CACHE_BYTES)
                .create(path)
                .map_err(|e| open_error(&location, e))
        })?;
        let backend = RedbBackend {
            db,
            location,
            path: path.to_path_buf(),
        };
        // Create the tables, so that readers never meet a missing one.
        guard(&backend.location, || {
            let tx = backend.begin_write(true)?;
            {
                let err = |e: redb::TableError| backend.error(e.into());
                tx.open_table(META).map_err(err)?;
                tx.open_table(DOCS).map_err(err)?;
                tx.open_table(SNAPSHOTS).map_err(err)?;
                tx.open_table(LOG).map_err(err)?;
            }
            tx.commit().map_err(|e| backend.error(e.into()))
        })?;
        Ok(backend)
    }

    fn begin_write(&self, durable: bool) -> Result<redb::WriteTransaction, StoreError> {
        let mut tx = self.db.begin_write().map_err(|e| self.error(e.into()))?;
        let level = if durable {
            Durability::Immediate
        } else {
            Durability::None
        };
        tx.set_durability(level)
            .map_err(|e| self.error(redb::Error::from(e)))?;
        Ok(tx)
    }

    fn begin_read(&self) -> Result<redb::ReadTransaction, StoreError> {
        self.db.begin_read().map_err(|e| self.error(e.into()))
    }

    fn raw_format(&self) -> Result<Option<u32>, StoreError> {
        let tx = self.begin_read()?;
        let table = tx.open_table(META).map_err(|e| self.error(e.into()))?;
        let Some(v) = table.get(FORMAT_KEY).map_err(|e| self.error(e.into()))? else {
            return Ok(None);
        };
        let bytes: [u8; 4] = v.value().try_into().map_err(|_| StoreError::Damaged {
            location: self.location.clone(),
            detail: "the format record is not 4 bytes".into(),
        })?;
        Ok(Some(u32::from_le_bytes(bytes)))
    }

    fn raw_set_format(&mut self, version: u32) -> Result<(), StoreError> {
        let tx = self.begin_write(true)?;
        {
            let mut table = tx.open_table(META).map_err(|e| self.error(e.into()))?;
            table
                .insert(FORMAT_KEY, version.to_le_bytes().as_slice())
                .map_err(|e| self.error(e.into()))?;
        }
        tx.commit().map_err(|e| self.error(e.into()))
    }

    fn raw_list(&self) -> Result<Vec<(DocId, Vec<u8>)>, StoreError> {
        let tx = self.begin_read()?;
        let table = tx.open_table(DOCS).map_err(|e| self.error(e.into()))?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(|e| self.error(e.into()))? {
            let (k, v) = entry.map_err(|e| self.error(e.into()))?;
            let id = DocId::new(k.value()).map_err(|_| StoreError::Damaged {
                location: self.location.clone(),
                detail: format!("a document id is not valid: {:?}", k.value()),
            })?;
            out.push((id, v.value().to_vec()));
        }
        Ok(out)
    }

    fn raw_read(&self, doc: &DocId) -> Result<Option<DocRecord>, StoreError> {
        let tx = self.begin_read()?;
        let err = |e: redb::StorageError| self.error(e.into());
        let docs = tx.open_table(DOCS).map_err(|e| self.error(e.into()))?;
        let Some(meta) = docs.get(doc.as_str()).map_err(err)? else {
            return Ok(None);
        };
        let snapshots = tx.open_table(SNAPSHOTS).map_err(|e| self.error(e.into()))?;
        let mut snapshot: Option<Vec<u8>> = None;
        for (i, entry) in snapshots
            .range((doc.as_str(), 0)..=(doc.as_str(), u32::MAX))
            .map_err(err)?
            .enumerate()
        {
            let (k, v) = entry.map_err(err)?;
            if k.value().1 as usize != i {
                return Err(StoreError::Damaged {
                    location: self.location.clone(),
                    detail: format!("a piece of the snapshot of {doc:?} is missing"),
                });
            }
            snapshot
                .get_or_insert_with(Vec::new)
                .extend_from_slice(v.value());
        }
        let log_table = tx.open_table(LOG).map_err(|e| self.error(e.into()))?;
        let mut log = Vec::new();
        for entry in log_table
            .range((doc.as_str(), 0)..=(doc.as_str(), u64::MAX))
            .map_err(err)?
        {
            let (k, v) = entry.map_err(err)?;
            log.push((k.value().1, v.value().to_vec()));
        }
        Ok(Some(DocRecord {
            meta: meta.value().to_vec(),
            snapshot,
            log,
        }))
    }

    fn raw_write(&mut self, ops: &[Op<'_>], durable: bool) -> Result<(), StoreError> {
        let tx = self.begin_write(durable)?;
        {
            let err = |e: redb::StorageError| self.error(e.into());
            let terr = |e: redb::TableError| self.error(e.into());
            let mut docs = tx.open_table(DOCS).map_err(terr)?;
            let mut snapshots = tx.open_table(SNAPSHOTS).map_err(terr)?;
            let mut log = tx.open_table(LOG).map_err(terr)?;
            for op in ops {
                match *op {
                    Op::PutMeta { doc, meta } => {
                        docs.insert(doc.as_str(), meta).map_err(err)?;
                    }
                    Op::Append { doc, seq, delta } => {
                        log.insert((doc.as_str(), seq), delta).map_err(err)?;
                    }
                    Op::PutSnapshot { doc, snapshot } => {
                        snapshots
                            .retain_in((doc.as_str(), 0)..=(doc.as_str(), u32::MAX), |_, _| false)
                            .map_err(err)?;
                        for (i, piece) in snapshot.chunks(CHUNK).enumerate() {
                            let i = u32::try_from(i).expect("snapshots are far below 64 TiB");
                            snapshots.insert((doc.as_str(), i), piece).map_err(err)?;
                        }
                    }
                    Op::TrimLog { doc, through } => {
                        log.retain_in((doc.as_str(), 0)..=(doc.as_str(), through), |_, _| false)
                            .map_err(err)?;
                    }
                    Op::Remove { doc } => {
                        docs.remove(doc.as_str()).map_err(err)?;
                        snapshots
                            .retain_in((doc.as_str(), 0)..=(doc.as_str(), u32::MAX), |_, _| false)
                            .map_err(err)?;
                        log.retain_in((doc.as_str(), 0)..=(doc.as_str(), u64::MAX), |_, _| false)
                            .map_err(err)?;
                    }
                }
            }
        }
        tx.commit().map_err(|e| self.error(e.into()))
    }

    fn raw_sync(&mut self) -> Result<(), StoreError> {
        // An empty durable commit persists every non-durable one before it.
        let tx = self.begin_write(true)?;
        tx.commit().map_err(|e| self.error(e.into()))
    }

    fn raw_reclaim(&mut self) -> Result<bool, StoreError> {
        // redb's compaction moves live pages down and truncates the file.
        let mut any = false;
        loop {
            match self.db.compact() {
                Ok(true) => any = true,
                Ok(false) => return Ok(any),
                Err(e) => return Err(self.error(e.into())),
            }
        }
    }

    fn error(&self, e: redb::Error) -> StoreError {
        classify(&self.location, e)
    }
}

/// Runs a database operation, turning a panic into [`StoreError::Damaged`]:
/// redb may panic on a page altered since it wrote it (it checks page
/// checksums only after a crash, or when asked to at open), where the store
/// must return an error. Needs `panic = "unwind"` (the default).
fn guard<T>(location: &str, f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("a panic");
        Err(StoreError::Damaged {
            location: location.to_string(),
            detail: format!("the database failed on a damaged page: {what}"),
        })
    })
}

fn open_error(location: &str, e: redb::DatabaseError) -> StoreError {
    match e {
        redb::DatabaseError::DatabaseAlreadyOpen | redb::DatabaseError::LockProtocolMismatch => {
            StoreError::InUse {
                location: location.to_string(),
            }
        }
        redb::DatabaseError::UpgradeRequired(v) => StoreError::Damaged {
            location: location.to_string(),
            detail: format!("written by an older database format ({v})"),
        },
        other => classify(location, other.into()),
    }
}

fn classify(location: &str, e: redb::Error) -> StoreError {
    let location = location.to_string();
    match e {
        redb::Error::Corrupted(detail) => StoreError::Damaged { location, detail },
        redb::Error::DatabaseAlreadyOpen => StoreError::InUse { location },
        redb::Error::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
            StoreError::Damaged {
                location,
                detail: io.to_string(),
            }
        }
        redb::Error::TableTypeMismatch { .. } | redb::Error::TableIsMultimap(_) => {
            StoreError::Damaged {
                location,
                detail: format!("not a converge store: {e}"),
            }
        }
        other => StoreError::Io {
            location,
            detail: other.to_string(),
        },
    }
}

impl Backend for RedbBackend {
    fn location(&self) -> &str {
        &self.location
    }

    fn format(&self) -> Result<Option<u32>, StoreError> {
        let location = self.location.clone();
        guard(&location, || self.raw_format())
    }

    fn set_format(&mut self, version: u32) -> Result<(), StoreError> {
        let location = self.location.clone();
        guard(&location, || self.raw_set_format(version))
    }

    fn list(&self) -> Result<Vec<(DocId, Vec<u8>)>, StoreError> {
        let location = self.location.clone();
        guard(&location, || self.raw_list())
    }

    fn read(&self, doc: &DocId) -> Result<Option<DocRecord>, StoreError> {
        let location = self.location.clone();
        guard(&location, || self.raw_read(doc))
    }

    fn write(&mut self, ops: &[Op<'_>], durable: bool) -> Result<(), StoreError> {
        let location = self.location.clone();
        guard(&location, || self.raw_write(ops, durable))
    }

    fn sync(&mut self) -> Result<(), StoreError> {
        let location = self.location.clone();
        guard(&location, || self.raw_sync())
    }

    fn disk_bytes(&self) -> Option<u64> {
        std::fs::metadata(&self.path).ok().map(|m| m.len())
    }

    fn reclaim(&mut self) -> Result<bool, StoreError> {
        let location = self.location.clone();
        guard(&location, || self.raw_reclaim())
    }
}
