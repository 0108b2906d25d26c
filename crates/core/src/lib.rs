//! # converge-core
//!
//! Delta-state CRDTs that merge deterministically, a causal core (replica
//! ids, dots, version vectors, causal contexts), the [`Doc`] API and the
//! versioned wire format. `no_std` with `alloc`; no clock, no randomness,
//! no I/O: time and ids come in as arguments.
//!
//! Two replicas that edit concurrently and exchange deltas end equal:
//!
//! ```
//! use converge_core::{Doc, ReplicaId};
//!
//! let mut a = Doc::new(ReplicaId::new(0xA));
//! let mut b = a.fork(ReplicaId::new(0xB));
//!
//! let mut tx = a.transact();
//! tx.map("settings").lww("theme").set("dark")?;
//! let da = tx.commit().unwrap();
//!
//! let mut tx = b.transact();
//! tx.map("settings").aw_set("plugins").insert("spell-check")?;
//! let db = tx.commit().unwrap();
//!
//! let _ = a.apply(&db)?;
//! let _ = b.apply(&da)?;
//! assert_eq!(a.snapshot(), b.snapshot()); // byte-identical
//! # Ok::<(), converge_core::DocError>(())
//! ```
//!
//! The standalone types ([`GCounter`], [`PnCounter`], [`LwwRegister`],
//! [`MvRegister`], [`AwSet`], [`RwSet`], [`OrMap`]) are usable on their own;
//! each mutator returns a delta that is itself a state of the type. [`Text`]
//! is the document's text CRDT on its own: replicas join whole states or
//! exchange [`Text::encode_since`] blobs.

#![no_std]
// `converge_size`: the size-built WebAssembly module (wasm/build.sh, opt-level
// "z") compiles the few loops a load spends its time in for speed.
#![cfg_attr(converge_size, feature(optimize_attribute))]
#![doc(test(attr(deny(warnings))))]
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod context;
mod doc;
mod encoding;
mod error;
mod id;
mod inline;
mod seq;
mod sorted_map;
mod store;
mod types;
mod value;
mod vv;

pub use context::CausalContext;
pub use doc::delta::Delta;
pub use doc::edit::borrowed::{
    AwSetMut, Borrowable, CounterMut, ListMut, LwwMut, MapMut, MvMut, RwSetMut, TextMut,
};
pub use doc::edit::handles::{
    AwSetHandle, CounterHandle, ListHandle, LwwHandle, MapHandle, MvHandle, RwSetHandle, TextHandle,
};
pub use doc::edit::Transaction;
pub use doc::events::{Change, ChangeKind, DocEvent, ListStep, Origin, SeqStep, TextStep};
pub use doc::history::{History, HistoryStats, MemoryHistory};
pub use doc::model::item::ListItem;
pub use doc::model::path::{ContainerId, PathSeg};
pub use doc::model::{Kind, MAX_DEPTH};
pub use doc::observers::SubscriptionId;
pub use doc::pending::PendingStats;
pub use doc::view::{Cursor, DocValue, ListRef, MapRef, SetRef, Side, TextRef, ValueRef};
pub use doc::{ApplyOutcome, Doc, DocOptions, LoadOptions, Restore};
pub use encoding::BlobKind;
pub use error::{DecodeError, DocError, Invalid};
pub use id::{Dot, DotRange, ReplicaId};
pub use seq::content::Unit;
pub use types::{AwSet, GCounter, Lattice, LwwRegister, MvRegister, OrMap, PnCounter, RwSet, Text};
pub use value::Value;

#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
pub use vv::VersionVector;

/// Building blocks for advanced users, below the [`Doc`]: the dot stores
/// and the join of the delta-state framework (what [`OrMap`] values are
/// made of), and the wire envelope every converge blob starts with (for
/// layers that define their own payloads, like the sync protocol).
/// Applications normally need none of it.
pub mod kernel {
    pub use crate::sorted_map::Iter as DotMapIter;
    pub use crate::store::{DotFun, DotMap, DotSet, DotStore, JoinMode};
    pub use crate::types::counter::{CounterPart, CounterStore};
    pub use crate::types::{Causal, RwEntry};

    /// The envelope: magic bytes, format version, blob kind, length and
    /// checksum before every payload (`docs/encoding.md`, section 1).
    pub mod envelope {
        pub use crate::encoding::{
            open, peek_kind, seal, seal_as, BlobKind, FORMAT_VERSION, HEADER_LEN, MAGIC,
        };
    }

    /// Helpers for layers that define their own wire payloads: serde
    /// helpers to write them (sequences and byte strings), and a postcard
    /// reader ([`wire::Reader`], [`wire::Decode`]) to read them without
    /// serde and without allocating ahead of the input.
    pub mod wire {
        pub use crate::encoding::bounded::{bytes, BVec};
        pub use crate::encoding::read::{read_payload, Decode, Reader};
    }
}
