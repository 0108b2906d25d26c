//! Document ids: the names a store keeps documents under.

use core::fmt;

use crate::error::StoreError;

/// The most bytes a document id may have.
pub const MAX_DOC_ID_LEN: usize = 128;

/// The id of a document in a store: 1 to 128 bytes of printable ASCII
/// without spaces (a UUID, a slug, a hash in hex). Apps choose it; the
/// libp2p layer shares it between peers.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocId(String);

impl DocId {
    /// Checks and wraps `id`.
    pub fn new(id: impl Into<String>) -> Result<DocId, StoreError> {
        let id = id.into();
        let reason = if id.is_empty() {
            Some("it is empty")
        } else if id.len() > MAX_DOC_ID_LEN {
            Some("it is longer than 128 bytes")
        } else if !id.bytes().all(|b| b.is_ascii_graphic()) {
            Some("only printable ASCII without spaces is allowed")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(StoreError::InvalidDocId { id, reason }),
            None => Ok(DocId(id)),
        }
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl core::str::FromStr for DocId {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<DocId, StoreError> {
        DocId::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        assert!(DocId::new("notes-2026").is_ok());
        assert!(DocId::new("").is_err());
        assert!(DocId::new("a b").is_err());
        assert!(DocId::new("é").is_err());
        assert!(DocId::new("x".repeat(129)).is_err());
        assert!(DocId::new("x".repeat(128)).is_ok());
    }
}
