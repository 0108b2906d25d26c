//! Deltas as a document holds them: a small state (what one transaction,
//! or a run of them, changed) and the version it was made at.

use alloc::vec::Vec;

use super::model::MapStore;
use crate::encoding::doc::{decode_doc, encode_doc};
use crate::encoding::BlobKind;
use crate::error::DecodeError;
use crate::id::DotRange;

/// The ranges of dots a delta adds (usually one: its author's).
pub(crate) type Covers = crate::inline::Inline<[DotRange; 1]>;
use crate::store::{DotStore, JoinMode};
use crate::types::Causal;
use crate::vv::VersionVector;

/// A delta: what some transactions changed, as a small document state
/// (joined into a replica by the same join as everything else), with the
/// version it depends on. Its wire form is a `DocDelta` blob
/// ([`Delta::encode`], [`Delta::decode`]).
#[derive(Clone, Debug)]
pub struct Delta {
    pub(crate) deps: VersionVector,
    pub(crate) body: Causal<MapStore>,
}

impl Delta {
    /// What the delta depends on: the version of its author when it was
    /// made (a replica applies it once it has all of that).
    pub fn deps(&self) -> &VersionVector {
        &self.deps
    }

    /// The dots the delta introduces beyond its dependencies.
    pub fn covers(&self) -> Vec<DotRange> {
        self.body.ctx.ranges_beyond(&self.deps)
    }

    /// [`Delta::covers`], inline for a delta of one writer (the history
    /// asks it of every delta it records).
    pub(crate) fn covers_inline(&self) -> Covers {
        self.body.ctx.ranges_beyond_in(&self.deps)
    }

    /// The delta's encoding: a `DocDelta` blob.
    pub fn encode(&self) -> Vec<u8> {
        encode_doc(&self.body, Some(&self.deps))
    }

    /// Decodes and validates a `DocDelta` blob.
    pub fn decode(bytes: &[u8]) -> Result<Delta, DecodeError> {
        decode_doc(bytes, BlobKind::DocDelta)
    }

    /// Joins the later delta `next` into this one: the result has the
    /// effect of both, in order (a delta group).
    pub(crate) fn absorb(&mut self, next: Delta) {
        self.body.store.join(
            &self.body.ctx,
            next.body.store,
            &next.body.ctx,
            JoinMode::GROUP,
        );
        self.body.ctx.join(&next.body.ctx);
    }
}
