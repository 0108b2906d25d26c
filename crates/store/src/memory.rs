//! A backend in memory, for tests: the same contract as redb without a
//! file (and without durability: everything is lost with the process).

use std::collections::BTreeMap;

use crate::backend::{Backend, DocRecord, Op};
use crate::doc_id::DocId;
use crate::error::StoreError;

/// A [`Backend`] in memory. Cloning it copies the stored data, which
/// lets a test reopen "the same store" after dropping a `Store`.
#[derive(Clone, Debug, Default)]
pub struct MemoryBackend {
    format: Option<u32>,
    docs: BTreeMap<DocId, DocRecord>,
}

impl MemoryBackend {
    /// An empty store.
    pub fn new() -> MemoryBackend {
        MemoryBackend::default()
    }
}

impl Backend for MemoryBackend {
    fn location(&self) -> &str {
        "memory"
    }

    fn format(&self) -> Result<Option<u32>, StoreError> {
        Ok(self.format)
    }

    fn set_format(&mut self, version: u32) -> Result<(), StoreError> {
        self.format = Some(version);
        Ok(())
    }

    fn list(&self) -> Result<Vec<(DocId, Vec<u8>)>, StoreError> {
        Ok(self
            .docs
            .iter()
            .map(|(id, r)| (id.clone(), r.meta.clone()))
            .collect())
    }

    fn read(&self, doc: &DocId) -> Result<Option<DocRecord>, StoreError> {
        Ok(self.docs.get(doc).cloned())
    }

    fn write(&mut self, ops: &[Op<'_>], _durable: bool) -> Result<(), StoreError> {
        for op in ops {
            match *op {
                Op::PutMeta { doc, meta } => {
                    self.docs.entry(doc.clone()).or_default().meta = meta.to_vec();
                }
                Op::Append { doc, seq, delta } => {
                    let r = self.docs.entry(doc.clone()).or_default();
                    debug_assert!(r.log.last().is_none_or(|(s, _)| *s < seq));
                    r.log.push((seq, delta.to_vec()));
                }
                Op::PutSnapshot { doc, snapshot } => {
                    self.docs.entry(doc.clone()).or_default().snapshot = Some(snapshot.to_vec());
                }
                Op::TrimLog { doc, through } => {
                    if let Some(r) = self.docs.get_mut(doc) {
                        r.log.retain(|(s, _)| *s > through);
                    }
                }
                Op::Remove { doc } => {
                    self.docs.remove(doc);
                }
            }
        }
        Ok(())
    }

    fn sync(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
}
