//! Approximate heap bytes of deltas, for the history's accounting: a walk
//! of the tree with fixed per-entry costs (allocator overhead and B-tree
//! node slack included on average), not an exact measure.

use super::item::SeqEdits;
use super::seq_node::SeqDelta;
use super::{MapStore, Node, Slot};
use crate::seq::content::Content;
use crate::value::Value;

/// Bytes per map entry beyond its key and content (B-tree node share).
const MAP_ENTRY: usize = 96;
/// Bytes per dot entry of a register, set or counter.
const DOT_ENTRY: usize = 24;
/// Bytes per loose run or deleted range of a sequence delta.
const RUN: usize = 48;

/// The approximate heap bytes of a map of a document tree.
pub(crate) fn map(m: &MapStore) -> usize {
    m.iter()
        .map(|(k, slot)| MAP_ENTRY + k.len() + slot_bytes(slot))
        .sum()
}

fn slot_bytes(slot: &Slot) -> usize {
    slot.nodes.iter().map(node).sum()
}

fn value(v: &Value) -> usize {
    match v {
        Value::Str(s) => s.len(),
        Value::Bytes(b) => b.len(),
        _ => 0,
    }
}

fn node(n: &Node) -> usize {
    match n {
        Node::Map(m) => map(m),
        Node::AwSet(s) => s
            .iter()
            .map(|(v, d)| MAP_ENTRY + value(v) + DOT_ENTRY * d.len())
            .sum(),
        Node::RwSet(s) => s
            .iter()
            .map(|(v, e)| MAP_ENTRY + value(v) + DOT_ENTRY * (e.adds.len() + e.removes.len()))
            .sum(),
        Node::Counter(c) => DOT_ENTRY * c.len(),
        Node::Mv(r) => r.iter().map(|(_, v)| DOT_ENTRY + value(v)).sum(),
        Node::Lww(r) => r.iter().map(|(_, v)| DOT_ENTRY + 8 + value(&v.value)).sum(),
        Node::List(l) => {
            let children: usize = l
                .children
                .iter()
                .map(|(_, s)| MAP_ENTRY + slot_bytes(s))
                .sum();
            RUN + runs(&l.loose, |c| c.items() * 40)
                + RUN * l.dels.len()
                + children
                + l.seq.structure_bytes()
        }
        Node::Text(t) => {
            RUN + runs(&t.loose, |c| c.0.len()) + RUN * t.dels.len() + t.seq.structure_bytes()
        }
    }
}

fn runs<C>(loose: &[crate::seq::Loose<C>], content: impl Fn(&C) -> usize) -> usize {
    loose
        .iter()
        .map(|r| RUN + r.content.as_ref().map_or(0, &content))
        .sum()
}

fn delta<C>(d: &SeqDelta<C>, content: impl Fn(&C) -> usize) -> usize {
    RUN + runs(&d.loose, content) + RUN * d.dels.len()
}

/// The approximate heap bytes of a sequence's edits.
pub(crate) fn edits(e: &SeqEdits) -> usize {
    match e {
        SeqEdits::Text(d) => delta(d, |c| c.0.len()),
        SeqEdits::List(d) => delta(d, |c| c.items() * 40),
    }
}
