//! The payload of document deltas and snapshots (see `docs/encoding.md`).
//!
//! The tree is flattened in pre-order into a list of slots, each naming
//! its parent slot by index, so that decoding is a loop, not a recursion:
//! hostile nesting cannot exhaust the stack.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;
use smallvec::SmallVec;

use super::bounded::BVec;
use super::columns::{
    decode_dot_fun, dot_in_context, strictly_sorted, Table, TableBuilder, WireContext, WireDot,
    WireDotSets, WireIds, WireVersion,
};
use super::compact::{list_columns, text_columns, text_from_v2, Columns, CompactSeq};
use super::envelope::{open, seal_value_as, BlobKind, FIRST_VERSION};
use super::packed::TextColumn;
use super::read::{read_payload, Decode, Reader};
use super::rle::{shorter, Chosen, RleSeq};
use super::seq::{decode_seq, encode_seq, seq_replicas, Bases, ReplicaList, WireItem, WireSeq};
use crate::context::CausalContext;
use crate::doc::delta::Delta;
use crate::doc::model::path::{self, Seg};
use crate::doc::model::{deletes_by_flag, MapStore, Node, Slot, Stamped, MAX_DEPTH};
use crate::error::DecodeError;
use crate::store::{DotFun, DotMap, DotStore};
use crate::types::counter::CounterPart;
use crate::types::{Causal, RwEntry};
use crate::value::Value;
use crate::vv::VersionVector;

type Result<T> = core::result::Result<T, DecodeError>;

#[derive(Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
struct WireDoc {
    replicas: WireIds,
    context: WireContext,
    deps: WireVersion,
    slots: BVec<WireSlot>,
}

#[derive(Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
struct WireSlot {
    /// 0 for the root map, `i + 1` for a node of slot `i`: its map for a
    /// key, its list for an item.
    parent: u32,
    key: WireKey,
    scan: bool,
    nodes: BVec<WireNode>,
}

/// Where a slot hangs in its parent.
#[derive(Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
enum WireKey {
    /// Under a key of a map.
    Key(String),
    /// Held by an item of a list.
    Item(WireDot),
}

/// One node; the variant index is the [`Kind`] code.
#[derive(Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
enum WireNode {
    Map {
        scan: bool,
    },
    AwSet {
        scan: bool,
        elems: BVec<Value>,
        dots: WireDotSets,
    },
    RwSet {
        scan: bool,
        elems: BVec<Value>,
        adds: WireDotSets,
        removes: WireDotSets,
    },
    Counter(BVec<(WireDot, u64, u64)>),
    MvRegister(BVec<(WireDot, Value)>),
    LwwRegister(BVec<(WireDot, u64, Value)>),
    List(WireSeq<BVec<WireItem>>),
    Text(WireSeq<String>),
    /// A text in format version 2's columns (`compact.rs`): many runs, or
    /// packed content. This, `List2`, `Text4` and `List4` are the variants
    /// whose index is not a kind code.
    Text2(CompactSeq<TextColumn>),
    /// A list in format version 2's columns.
    List2(CompactSeq<BVec<WireItem>>),
    /// A text in format version 4's columns (`rle.rs`): version 2's with
    /// repeating columns run-length coded.
    Text4(RleSeq<TextColumn>),
    /// A list in format version 4's columns.
    List4(RleSeq<BVec<WireItem>>),
}

impl Decode for WireDoc {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(WireDoc {
            replicas: Decode::decode(r)?,
            context: Decode::decode(r)?,
            deps: Decode::decode(r)?,
            slots: Decode::decode(r)?,
        })
    }
}

impl Decode for WireSlot {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(WireSlot {
            parent: r.u32()?,
            key: match r.variant()? {
                0 => WireKey::Key(String::decode(r)?),
                1 => WireKey::Item(WireDot::decode(r)?),
                _ => return Err(DecodeError::Malformed),
            },
            scan: r.bool()?,
            nodes: Decode::decode(r)?,
        })
    }
}

impl Decode for WireNode {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok(match r.variant()? {
            0 => WireNode::Map { scan: r.bool()? },
            1 => WireNode::AwSet {
                scan: r.bool()?,
                elems: Decode::decode(r)?,
                dots: Decode::decode(r)?,
            },
            2 => WireNode::RwSet {
                scan: r.bool()?,
                elems: Decode::decode(r)?,
                adds: Decode::decode(r)?,
                removes: Decode::decode(r)?,
            },
            3 => WireNode::Counter(Decode::decode(r)?),
            4 => WireNode::MvRegister(Decode::decode(r)?),
            5 => WireNode::LwwRegister(Decode::decode(r)?),
            6 => WireNode::List(Decode::decode(r)?),
            7 => WireNode::Text(Decode::decode(r)?),
            8 => WireNode::Text2(Decode::decode(r)?),
            9 => WireNode::List2(Decode::decode(r)?),
            10 => WireNode::Text4(Decode::decode(r)?),
            11 => WireNode::List4(Decode::decode(r)?),
            _ => return Err(DecodeError::Malformed),
        })
    }
}

/// Encodes a delta (with its dependencies) or a snapshot (`deps == None`).
pub(crate) fn encode_doc(body: &Causal<MapStore>, deps: Option<&VersionVector>) -> Vec<u8> {
    let kind = if deps.is_some() {
        BlobKind::DocDelta
    } else {
        BlobKind::DocSnapshot
    };
    let mut extra: ReplicaList = deps
        .into_iter()
        .flat_map(|d| d.iter().map(|e| e.0))
        .collect();
    seq_replicas_of(&body.store, &mut extra);
    let table = TableBuilder::new(&body.ctx, extra);
    let mut bases = Bases::new(table.replicas(), &body.ctx, deps);
    let mut slots = BVec::default();
    flatten(&table, &mut bases, &body.store, 0, &mut slots);
    let wire = WireDoc {
        replicas: table.ids(),
        context: table.context(&body.ctx),
        deps: deps.map(|d| table.version_vector(d)).unwrap_or_default(),
        slots,
    };
    // Stamped with the oldest version that reads it: version-1 readers
    // keep reading documents whose sequences are short (deltas, mostly);
    // a delta whose deleted runs stand for their deletions needs version 3,
    // run-length coded columns version 4.
    let nodes = || wire.slots.0.iter().flat_map(|s| s.nodes.0.iter());
    let version = if nodes().any(|n| matches!(n, WireNode::Text4(_) | WireNode::List4(_))) {
        4
    } else if deps.is_some() && deletes_by_flag(&body.store) {
        3
    } else if nodes().any(|n| matches!(n, WireNode::Text2(_) | WireNode::List2(_))) {
        2
    } else {
        FIRST_VERSION
    };
    seal_value_as(version, kind, &wire)
}

/// Replicas named by sequence origins and list items holding containers
/// (they need not be in a delta's context).
fn seq_replicas_of(map: &MapStore, out: &mut ReplicaList) {
    for (_, slot) in map.iter() {
        seq_replicas_of_slot(slot, out);
    }
}

fn seq_replicas_of_slot(slot: &Slot, out: &mut ReplicaList) {
    for node in &slot.nodes {
        match node {
            Node::Map(m) => seq_replicas_of(m, out),
            Node::List(l) => {
                seq_replicas(l, out);
                for (d, child) in l.children.iter() {
                    out.push(d.replica);
                    seq_replicas_of_slot(child, out);
                }
            }
            Node::Text(t) => seq_replicas(t, out),
            _ => {}
        }
    }
}

fn flatten(
    table: &TableBuilder,
    bases: &mut Bases,
    map: &MapStore,
    parent: u32,
    out: &mut BVec<WireSlot>,
) {
    for (key, slot) in map.iter() {
        flatten_slot(table, bases, WireKey::Key(key.clone()), slot, parent, out);
    }
}

/// Writes `slot` and then, in pre-order, what its map and list hold.
#[allow(clippy::arithmetic_side_effects)] // encodes in-memory state (trusted)
fn flatten_slot(
    table: &TableBuilder,
    bases: &mut Bases,
    key: WireKey,
    slot: &Slot,
    parent: u32,
    out: &mut BVec<WireSlot>,
) {
    {
        let index = out.0.len();
        let mut nodes = BVec::with_capacity(slot.nodes.len());
        let mut child = None;
        let mut items = None;
        for node in &slot.nodes {
            nodes.0.push(match node {
                Node::Map(m) => {
                    child = Some(m);
                    WireNode::Map { scan: m.is_scan() }
                }
                Node::AwSet(s) => WireNode::AwSet {
                    scan: s.is_scan(),
                    elems: BVec(s.iter().map(|(k, _)| k.clone()).collect()),
                    dots: WireDotSets::encode(table, s.iter().map(|(_, d)| d)),
                },
                Node::RwSet(s) => WireNode::RwSet {
                    scan: s.is_scan(),
                    elems: BVec(s.iter().map(|(k, _)| k.clone()).collect()),
                    adds: WireDotSets::encode(table, s.iter().map(|(_, e)| &e.adds)),
                    removes: WireDotSets::encode(table, s.iter().map(|(_, e)| &e.removes)),
                },
                Node::Counter(c) => WireNode::Counter(BVec(
                    c.iter()
                        .map(|(d, p)| (table.dot(d), p.inc, p.dec))
                        .collect(),
                )),
                Node::Mv(m) => WireNode::MvRegister(BVec(
                    m.iter().map(|(d, v)| (table.dot(d), v.clone())).collect(),
                )),
                Node::Lww(l) => WireNode::LwwRegister(BVec(
                    l.iter()
                        .map(|(d, s)| (table.dot(d), s.ts, s.value.clone()))
                        .collect(),
                )),
                Node::List(l) => {
                    items = Some(&l.children);
                    match list_columns(encode_seq(table, bases, l)) {
                        Columns::V1(w) => WireNode::List(w),
                        // Every item takes a byte at least.
                        Columns::V2(c) => {
                            let items = c.content.0.len();
                            match shorter(c, items) {
                                Chosen::V4(r) => WireNode::List4(r),
                                Chosen::V2(c) => WireNode::List2(c),
                            }
                        }
                    }
                }
                Node::Text(t) => match text_columns(encode_seq(table, bases, t)) {
                    Columns::V1(w) => WireNode::Text(w),
                    Columns::V2(c) => {
                        let bytes = c.content.stored_len();
                        match shorter(c, bytes) {
                            Chosen::V4(r) => WireNode::Text4(r),
                            Chosen::V2(c) => WireNode::Text2(c),
                        }
                    }
                },
            });
        }
        out.0.push(WireSlot {
            parent,
            key,
            scan: slot.scan,
            nodes,
        });
        if let Some(m) = child {
            flatten(table, bases, m, index as u32 + 1, out);
        }
        if let Some(children) = items {
            for (d, c) in children.iter() {
                let key = WireKey::Item(table.dot(*d));
                flatten_slot(table, bases, key, c, index as u32 + 1, out);
            }
        }
    }
}

/// Decodes a delta (`kind == DocDelta`) or a snapshot (`kind == DocSnapshot`).
///
/// Everything is validated before anything is built into a document:
/// canonical order, dots inside the context, nesting depth, and for
/// snapshots that no removal marker is present and the context is a version
/// vector.
pub(crate) fn decode_doc(bytes: &[u8], kind: BlobKind) -> Result<Delta> {
    decode_doc_payload(open(bytes, kind)?, kind)
}

/// Refuses a blob whose sequences claim more runs in all than it has
/// bytes, counting those of every version (run-length coded ones could
/// otherwise add a run a byte to version 2's half a run a byte): what they
/// expand to stays in proportion to the input. A writer's blobs always
/// pass: it run-length codes a sequence only when its content has a byte
/// a run, and other runs take two bytes of columns at least.
fn runs_within(wire: &WireDoc, mut budget: usize) -> Result<()> {
    for node in wire.slots.0.iter().flat_map(|s| s.nodes.0.iter()) {
        let claimed = match node {
            WireNode::Text4(r) => r.claimed()?,
            WireNode::List4(r) => r.claimed()?,
            WireNode::Text(w) => w.lens.0.len(),
            WireNode::List(w) => w.lens.0.len(),
            WireNode::Text2(c) => c.runs.lens.0.len(),
            WireNode::List2(c) => c.runs.lens.0.len(),
            _ => continue,
        };
        budget = budget
            .checked_sub(claimed)
            .ok_or(DecodeError::Invalid(crate::error::Invalid::TooManyRuns))?;
    }
    Ok(())
}

/// [`decode_doc`] of a payload whose envelope (kind, length, checksum) the
/// caller has already checked: one pass of the checksum per blob.
pub(crate) fn decode_doc_payload(payload: &[u8], kind: BlobKind) -> Result<Delta> {
    let wire: WireDoc = read_payload(payload)?;
    runs_within(&wire, payload.len())?;
    let is_delta = kind == BlobKind::DocDelta;
    let table = Table::decode(&wire.replicas)?;
    let ctx = table.context(&wire.context)?;
    let deps = table.version_vector(&wire.deps)?;
    let mut bases = Bases::new(table.replicas(), &ctx, is_delta.then_some(&deps));
    if !is_delta && !ctx.is_compact() {
        return Err(DecodeError::Invalid(
            crate::error::Invalid::SnapshotContextGaps,
        ));
    }
    let slots = wire.slots.0;
    // Depth and parent checks, in order (parents precede children): per
    // slot, its depth and whether it has a map and a list node.
    let mut seen: Vec<(u8, bool, bool)> = Vec::with_capacity(slots.len());
    for (i, s) in slots.iter().enumerate() {
        let d = match (s.parent, &s.key) {
            (0, WireKey::Key(_)) => 1,
            (0, WireKey::Item(_)) => {
                return Err(DecodeError::Invalid(crate::error::Invalid::RootHoldsItem))
            }
            (p, key) => {
                let p = (p as usize)
                    .checked_sub(1)
                    .ok_or(DecodeError::Invalid(crate::error::Invalid::SlotParent))?;
                let fits = match key {
                    WireKey::Key(_) => p < i && seen[p].1,
                    WireKey::Item(_) => p < i && seen[p].2,
                };
                if !fits {
                    return Err(DecodeError::Invalid(crate::error::Invalid::SlotParent));
                }
                seen[p]
                    .0
                    .checked_add(1)
                    .ok_or(DecodeError::Invalid(crate::error::Invalid::TooDeep))?
            }
        };
        if usize::from(d) > MAX_DEPTH {
            return Err(DecodeError::Invalid(crate::error::Invalid::TooDeep));
        }
        let has_map = matches!(s.nodes.0.first(), Some(WireNode::Map { .. }));
        let has_list = s.nodes.0.iter().any(|n| {
            matches!(
                n,
                WireNode::List(_) | WireNode::List2(_) | WireNode::List4(_)
            )
        });
        seen.push((d, has_map, has_list));
    }
    // Build bottom-up: children come after their parent, so walking
    // backwards finishes every child before its parent.
    let mut built: Vec<Option<(u32, Seg, Slot)>> = Vec::with_capacity(slots.len());
    for s in slots {
        let slot = decode_slot(&table, &ctx, &mut bases, s.scan, s.nodes, is_delta)?;
        let key = match s.key {
            WireKey::Key(k) => Seg::Key(k),
            WireKey::Item(w) => {
                let d = table.dot(w)?;
                // A delta's author knew the item: it is in the delta or in
                // its dependencies (so a receiver has it when it applies
                // the delta, and no delivery order can drop the container).
                if is_delta && !ctx.contains(d) && !deps.contains(d) {
                    return Err(DecodeError::Invalid(
                        crate::error::Invalid::ItemOutsideHistory,
                    ));
                }
                Seg::Item(d)
            }
        };
        built.push(Some((s.parent, key, slot)));
    }
    let mut root = MapStore::default();
    for i in (0..built.len()).rev() {
        let (parent, key, slot) = built[i].take().expect("each slot is taken once");
        // Children are attached by now, so emptiness can be judged.
        if !is_delta && (slot.nodes.is_empty() || slot.nodes.iter().any(Node::is_bottom)) {
            return Err(DecodeError::Invalid(
                crate::error::Invalid::EmptyContainerInSnapshot,
            ));
        }
        if parent == 0 {
            let Seg::Key(key) = key else {
                unreachable!("checked: root slots have keys")
            };
            attach(&mut root, key, slot)?;
            continue;
        }
        let entry = built[(parent as usize).saturating_sub(1)]
            .as_mut()
            .expect("parents are taken after their children");
        match key {
            Seg::Key(key) => match entry.2.nodes.first_mut() {
                Some(Node::Map(m)) => attach(m, key, slot)?,
                _ => unreachable!("parent checked to be a map"),
            },
            Seg::Item(d) => {
                let list = entry.2.nodes.iter_mut().find_map(|n| match n {
                    Node::List(l) => Some(l),
                    _ => None,
                });
                let list = list.expect("parent checked to hold a list");
                // A snapshot holds containers only for visible items that
                // hold containers of that kind; a delta's are sorted out
                // when it is joined.
                if !is_delta {
                    let kind = path::item_kind(list, d);
                    if slot.nodes.iter().any(|n| Some(n.kind()) != kind) {
                        return Err(DecodeError::Invalid(
                            crate::error::Invalid::ItemContainerKind,
                        ));
                    }
                }
                attach(&mut list.children, d, slot)?;
            }
        }
    }
    let body = Causal { store: root, ctx };
    #[cfg(any(test, feature = "slow-checks"))]
    body.store.check_invariants(&body.ctx);
    Ok(Delta { deps, body })
}

fn attach<K: Ord>(map: &mut DotMap<K, Slot>, key: K, slot: Slot) -> Result<()> {
    if map.get(&key).is_some() {
        return Err(DecodeError::Invalid(crate::error::Invalid::DuplicateKey));
    }
    map.insert(key, slot);
    Ok(())
}

fn decode_slot(
    table: &Table,
    ctx: &CausalContext,
    bases: &mut Bases,
    scan: bool,
    wire: BVec<WireNode>,
    is_delta: bool,
) -> Result<Slot> {
    if scan && !is_delta {
        return Err(DecodeError::Invalid(
            crate::error::Invalid::RemovalMarkerInSnapshot,
        ));
    }
    let mut nodes: SmallVec<[Node; 1]> = SmallVec::new();
    for w in wire.0 {
        let node = decode_node(table, ctx, bases, w, is_delta)?;
        if nodes.last().is_some_and(|l: &Node| l.kind() >= node.kind()) {
            return Err(DecodeError::Invalid(
                crate::error::Invalid::SlotKindsUnsorted,
            ));
        }
        nodes.push(node);
    }
    Ok(Slot { nodes, scan })
}

fn decode_node(
    table: &Table,
    ctx: &CausalContext,
    bases: &mut Bases,
    w: WireNode,
    is_delta: bool,
) -> Result<Node> {
    let check_scan = |scan: bool| {
        if scan && !is_delta {
            Err(DecodeError::Invalid(
                crate::error::Invalid::RemovalMarkerInSnapshot,
            ))
        } else {
            Ok(())
        }
    };
    Ok(match w {
        WireNode::Map { scan } => {
            check_scan(scan)?;
            let mut m = MapStore::default();
            m.set_scan(scan);
            Node::Map(m)
        }
        WireNode::AwSet { scan, elems, dots } => {
            check_scan(scan)?;
            strictly_sorted(&elems.0, crate::error::Invalid::SetElementsUnsorted)?;
            let sets = dots.decode(table, elems.0.len(), is_delta)?;
            let mut m = DotMap::default();
            m.set_scan(scan);
            for (e, s) in elems.0.into_iter().zip(sets) {
                for d in s.iter() {
                    dot_in_context(ctx, d)?;
                }
                m.insert(e, s);
            }
            Node::AwSet(m)
        }
        WireNode::RwSet {
            scan,
            elems,
            adds,
            removes,
        } => {
            check_scan(scan)?;
            strictly_sorted(&elems.0, crate::error::Invalid::SetElementsUnsorted)?;
            let n = elems.0.len();
            let adds = adds.decode(table, n, true)?;
            let removes = removes.decode(table, n, true)?;
            let mut m = DotMap::default();
            m.set_scan(scan);
            for ((e, a), r) in elems.0.into_iter().zip(adds).zip(removes) {
                let entry = RwEntry {
                    adds: a,
                    removes: r,
                };
                if !is_delta && entry.is_bottom() {
                    return Err(DecodeError::Invalid(
                        crate::error::Invalid::EmptySetEntryInSnapshot,
                    ));
                }
                let mut bad = false;
                entry.for_each_dot(&mut |d| bad |= !ctx.contains(d));
                if bad {
                    return Err(DecodeError::Invalid(
                        crate::error::Invalid::DotOutsideContext,
                    ));
                }
                m.insert(e, entry);
            }
            Node::RwSet(m)
        }
        WireNode::Counter(entries) => {
            let entries = entries
                .0
                .into_iter()
                .map(|(d, inc, dec)| (d, (inc, dec)))
                .collect();
            let mut items =
                decode_dot_fun(table, ctx, entries, |(inc, dec)| CounterPart { inc, dec })?;
            // A replica's increments of one counter are causally ordered, so
            // in any state at most one of its dots is live. A snapshot must
            // say so. A delta group may carry an older dot too (a logged
            // delta that another one in the group superseded); the older
            // one is dead wherever the newer one is known, so keep only the
            // newest per replica (dots are sorted by replica, then counter).
            let before = items.len();
            items.dedup_by(|later, earlier| {
                if later.0.replica == earlier.0.replica {
                    *earlier = *later;
                    true
                } else {
                    false
                }
            });
            if !is_delta && items.len() != before {
                return Err(DecodeError::Invalid(crate::error::Invalid::TwoCounterDots));
            }
            Node::Counter(DotFun::from_entries(items))
        }
        WireNode::MvRegister(entries) => Node::Mv(DotFun::from_entries(decode_dot_fun(
            table,
            ctx,
            entries.0,
            |v| v,
        )?)),
        WireNode::LwwRegister(entries) => {
            let entries = entries
                .0
                .into_iter()
                .map(|(d, ts, value)| (d, (ts, value)))
                .collect();
            let items = decode_dot_fun(table, ctx, entries, |(ts, value)| Stamped { ts, value })?;
            Node::Lww(DotFun::from_entries(items))
        }
        WireNode::List(w) => Node::List(Box::new(decode_seq(table, ctx, bases, w, is_delta)?)),
        WireNode::Text(w) => Node::Text(Box::new(decode_seq(table, ctx, bases, w, is_delta)?)),
        // Version 4's columns expand to version 2's (within the budget
        // `runs_within` checked).
        WireNode::Text4(r) => {
            return decode_node(
                table,
                ctx,
                bases,
                WireNode::Text2(r.into_compact()?),
                is_delta,
            )
        }
        WireNode::List4(r) => {
            return decode_node(
                table,
                ctx,
                bases,
                WireNode::List2(r.into_compact()?),
                is_delta,
            )
        }
        // A whole text may load lazily (`super::lazy`).
        WireNode::Text2(c) if !is_delta && c.dels.0.is_empty() => {
            let seq = super::lazy::whole_text(c, table, ctx, bases)?;
            Node::Text(Box::new(crate::doc::model::seq_node::SeqNode {
                seq,
                ..Default::default()
            }))
        }
        WireNode::Text2(c) => {
            let w = text_from_v2(c)?;
            Node::Text(Box::new(decode_seq(table, ctx, bases, w, is_delta)?))
        }
        WireNode::List2(c) => {
            let w = c.into_wire()?;
            Node::List(Box::new(decode_seq(table, ctx, bases, w, is_delta)?))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::envelope::seal_value;
    use super::*;
    use crate::{Doc, Kind, ReplicaId};

    /// The wire codes of the kinds are part of the format: a change here
    /// breaks every stored document. They are not the priority order.
    #[test]
    fn kind_wire_codes_are_pinned() {
        let codes: Vec<(Kind, u8)> = Kind::ALL.iter().map(|k| (*k, k.code())).collect();
        assert_eq!(
            codes,
            [
                (Kind::Map, 0),
                (Kind::AwSet, 1),
                (Kind::RwSet, 2),
                (Kind::Counter, 3),
                (Kind::MvRegister, 4),
                (Kind::LwwRegister, 5),
                (Kind::List, 6),
                (Kind::Text, 7),
            ]
        );
        for k in Kind::ALL {
            assert_eq!(Kind::from_code(k.code()), Some(k));
        }
        assert_eq!(Kind::from_code(8), None);
        // A node's postcard variant index is its kind's code.
        let nodes = [
            (WireNode::Map { scan: false }, Kind::Map),
            (WireNode::Counter(BVec(Vec::new())), Kind::Counter),
            (WireNode::LwwRegister(BVec(Vec::new())), Kind::LwwRegister),
            (WireNode::MvRegister(BVec(Vec::new())), Kind::MvRegister),
        ];
        for (node, kind) in nodes {
            let bytes = postcard::to_allocvec(&node).unwrap();
            assert_eq!(bytes[0], kind.code(), "{kind:?}");
        }
    }

    /// Priority decides which kind is visible under a contested key, and
    /// is how kinds compare.
    #[test]
    fn kind_priority_is_the_comparison_order() {
        let mut sorted = Kind::ALL;
        sorted.sort();
        assert_eq!(sorted, Kind::ALL);
        assert!(Kind::ALL
            .windows(2)
            .all(|w| w[0].priority() < w[1].priority()));
    }

    /// A snapshot of a list holding a value, a map and a text.
    fn snapshot() -> Vec<u8> {
        let mut d = Doc::new(ReplicaId::new(1));
        let mut tx = d.transact();
        let mut l = tx.list("l");
        l.push(1).unwrap();
        l.push_map().unwrap().counter("n").add(1).unwrap();
        l.push_text().unwrap().push_str("t").unwrap();
        drop(tx);
        d.snapshot()
    }

    /// Payloads of every node kind and column version: the committed
    /// fixtures of versions 1 to 4, and snapshots and deltas of a document
    /// holding sets, registers, a counter, nested containers, a packed
    /// text and many-run sequences, written by two replicas.
    #[allow(clippy::arithmetic_side_effects)] // test inputs
    fn payloads() -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = [
            &include_bytes!("../../tests/fixtures/v1-delta.bin")[..],
            include_bytes!("../../tests/fixtures/v1-snapshot.bin"),
            include_bytes!("../../tests/fixtures/v2-delta.bin"),
            include_bytes!("../../tests/fixtures/v2-snapshot.bin"),
            include_bytes!("../../tests/fixtures/v3-delta.bin"),
            include_bytes!("../../tests/fixtures/v3-snapshot.bin"),
            include_bytes!("../../tests/fixtures/v4-delta.bin"),
            include_bytes!("../../tests/fixtures/v4-snapshot.bin"),
        ]
        .iter()
        .map(|b| b.to_vec())
        .collect();
        let mut a = Doc::new(ReplicaId::new(0x1234_5678_9ABC));
        let mut b = a.fork(ReplicaId::new(7));
        let mut blobs = Vec::new();
        let mut tx = a.transact();
        tx.aw_set("tags").insert("red").unwrap();
        tx.aw_set("tags").insert(3).unwrap();
        tx.rw_set("gone").insert(2.5).unwrap();
        tx.rw_set("gone").remove(true).unwrap();
        tx.mv("who")
            .set(Value::Bytes(alloc::vec![1, 2, 3]))
            .unwrap();
        tx.lww("at").set_at(Value::Null, 9).unwrap();
        tx.counter("n").add(-4).unwrap();
        tx.map("m").map("deep").text("t").push_str("héllo").unwrap();
        let mut l = tx.list("l");
        l.push(1).unwrap();
        l.push_map().unwrap().counter("c").add(1).unwrap();
        l.push_list().unwrap().push("x").unwrap();
        l.push_text().unwrap().push_str("in a list").unwrap();
        blobs.push(tx.commit().unwrap());
        for i in 0..60 {
            let mut tx = b.transact();
            tx.text("long")
                .insert(0, "zyxw".get(i % 4..i % 4 + 1).unwrap())
                .unwrap();
            tx.list("stack").insert(0, i as i64).unwrap();
            blobs.push(tx.commit().unwrap());
        }
        let mut tx = b.transact();
        let para = "The quick brown fox jumps over the lazy dog; ".repeat(40);
        tx.text("packed").push_str(&para).unwrap();
        tx.text("long").delete(3, 5).unwrap();
        blobs.push(tx.commit().unwrap());
        for blob in &blobs {
            a.apply(blob).unwrap();
        }
        blobs.push(a.snapshot());
        blobs.push(a.encode_since(&VersionVector::new()).unwrap());
        out.extend(blobs);
        out
    }

    /// The hand-written reader (`read.rs`) accepts exactly what postcard
    /// accepted through serde's derives, and reads the same values: on
    /// real payloads and on thousands of damaged ones.
    #[test]
    fn the_reader_agrees_with_postcard_on_damaged_documents() {
        use crate::encoding::read::tests::agree;
        let mut rng = converge_testkit::rng::Rng::new(18);
        for blob in payloads() {
            let payload = &blob[crate::encoding::HEADER_LEN..];
            agree::<WireDoc>(payload);
            for _ in 0..300 {
                let p = rng.damage(payload);
                agree::<WireDoc>(&p);
            }
        }
    }

    /// Decodes `bytes`, lets `edit` change the wire form, and decodes the
    /// re-sealed result as a snapshot.
    fn tampered(bytes: &[u8], edit: impl FnOnce(&mut WireDoc)) -> Result<Delta> {
        tampered_as(BlobKind::DocSnapshot, bytes, edit)
    }

    fn tampered_as(kind: BlobKind, bytes: &[u8], edit: impl FnOnce(&mut WireDoc)) -> Result<Delta> {
        let payload = open(bytes, kind).unwrap();
        let mut wire: WireDoc = read_payload(payload).unwrap();
        edit(&mut wire);
        decode_doc(&seal_value(kind, &wire), kind)
    }

    #[test]
    fn a_delta_may_name_only_items_its_author_knew() {
        let mut d = Doc::new(ReplicaId::new(1));
        d.transact()
            .list("l")
            .push_map()
            .unwrap()
            .counter("n")
            .add(1)
            .unwrap();
        let delta = {
            let mut tx = d.transact();
            tx.list("l").map(0).unwrap().counter("n").add(1).unwrap();
            tx.commit().unwrap()
        };
        assert!(tampered_as(BlobKind::DocDelta, &delta, |_| {}).is_ok());
        let err = tampered_as(BlobKind::DocDelta, &delta, |w| {
            let first = item_slots(w)[0];
            let WireKey::Item(item) = w.slots.0[first].key else {
                unreachable!()
            };
            w.slots.0[first].key = WireKey::Item(WireDot(item.0, item.1 + 100));
        });
        assert_eq!(invalid(err), crate::error::Invalid::ItemOutsideHistory);
    }

    fn invalid(r: Result<Delta>) -> crate::error::Invalid {
        match r {
            Err(DecodeError::Invalid(why)) => why,
            other => panic!("expected Invalid, got {:?}", other.map(|_| ())),
        }
    }

    fn item_slots(w: &WireDoc) -> Vec<usize> {
        w.slots
            .0
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s.key, WireKey::Item(_)))
            .map(|(i, _)| i)
            .collect()
    }

    #[test]
    fn the_untouched_snapshot_decodes() {
        let w = snapshot();
        assert!(tampered(&w, |_| {}).is_ok());
        let items = tampered(&w, |w| assert_eq!(item_slots(w).len(), 2));
        assert!(items.is_ok());
    }

    #[test]
    fn a_container_must_hang_under_a_visible_container_item_of_its_kind() {
        // Point the map's slot at the item holding the plain value 1.
        let err = tampered(&snapshot(), |w| {
            let first = item_slots(w)[0];
            let text = item_slots(w)[1];
            let WireKey::Item(map_item) = w.slots.0[first].key else {
                unreachable!()
            };
            w.slots.0[first].key = WireKey::Item(WireDot(map_item.0, map_item.1 - 1));
            // and the text's slot at the map's item: wrong kind
            w.slots.0[text].key = WireKey::Item(map_item);
        });
        assert_eq!(invalid(err), crate::error::Invalid::ItemContainerKind);
    }

    #[test]
    fn item_slots_need_a_list_parent_and_unique_items() {
        let err = tampered(&snapshot(), |w| {
            let first = item_slots(w)[0];
            w.slots.0[first].parent = 0;
        });
        assert_eq!(invalid(err), crate::error::Invalid::RootHoldsItem);
        let err = tampered(&snapshot(), |w| {
            // A map key under the list's slot.
            let first = item_slots(w)[0];
            w.slots.0[first].key = WireKey::Key(String::from("k"));
        });
        assert_eq!(invalid(err), crate::error::Invalid::SlotParent);
        let err = tampered(&snapshot(), |w| {
            let [a, b] = item_slots(w)[..] else {
                unreachable!()
            };
            let WireKey::Item(d) = w.slots.0[a].key else {
                unreachable!()
            };
            w.slots.0[b].key = WireKey::Item(d);
            w.slots.0[b].nodes = BVec(alloc::vec![WireNode::Counter(BVec(alloc::vec![]))]);
        });
        assert!(err.is_err());
    }

    #[test]
    fn list_items_name_only_item_container_kinds() {
        for code in [4u8, 5, 1, 8, 200] {
            let err = tampered(&snapshot(), |w| {
                for s in w.slots.0.iter_mut() {
                    for n in s.nodes.0.iter_mut() {
                        if let WireNode::List(l) = n {
                            l.content.0[1] = WireItem::Container(code);
                        }
                    }
                }
            });
            assert!(err.is_err(), "kind code {code} accepted");
        }
    }
}
