//! The replicated state of a document: the dot store (what is live) and
//! the causal context (every mutation seen), joined by one join.

use super::model::observe::Recorder;
use super::model::{join_map, path, MapStore, Node, Slot, MAX_DEPTH};
use crate::store::{DotStore, JoinMode};
use crate::types::Causal;

/// A document's replicated state.
pub(crate) type State = Causal<MapStore>;

/// Joins `body` (a delta, or a whole state when `full`) into `state`,
/// reporting visible changes to `rec`. This is the only way anything
/// enters a state: local transactions, remote deltas, catch-up groups
/// and snapshots alike.
pub(crate) fn join(state: &mut State, body: State, full: bool, rec: Option<&mut Recorder>) {
    let mode = if full {
        JoinMode::STATE
    } else {
        JoinMode::DELTA
    };
    match rec {
        Some(rec) => join_map(
            &mut state.store,
            &state.ctx,
            body.store,
            &body.ctx,
            mode,
            rec,
        ),
        None => state.store.join(&state.ctx, body.store, &body.ctx, mode),
    }
    state.ctx.join(&body.ctx);
}

/// Checks every invariant of a state; panics on violation.
pub(crate) fn check_invariants(state: &State) {
    assert!(state.ctx.is_compact(), "document context has gaps");
    state.store.check_invariants(&state.ctx);
    check_map(&state.store, 1);
}

fn check_map(map: &MapStore, depth: usize) {
    assert!(depth <= MAX_DEPTH, "maps nest too deep");
    assert!(!map.is_scan(), "scan marker in a state");
    for (_, slot) in map.iter() {
        check_slot(slot, depth);
    }
}

fn check_slot(slot: &Slot, depth: usize) {
    assert!(!slot.scan, "scan marker in a state");
    assert!(!slot.nodes.is_empty(), "empty slot in a state");
    for n in &slot.nodes {
        assert!(!n.is_bottom(), "empty container in a state");
        match n {
            Node::Map(m) => check_map(m, depth + 1),
            Node::AwSet(s) => assert!(!s.is_scan()),
            Node::RwSet(s) => assert!(!s.is_scan()),
            Node::List(l) => {
                assert!(!l.children.is_scan(), "scan marker in a state");
                for (d, child) in l.children.iter() {
                    let kind = path::item_kind(l, *d).expect("child of a visible container item");
                    assert!(child.nodes.iter().all(|c| c.kind() == kind));
                    check_slot(child, depth + 1);
                }
            }
            _ => {}
        }
    }
}
