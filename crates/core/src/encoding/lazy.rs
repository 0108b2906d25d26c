//! Loading a long text without building its tree ([`LazySeq`]).
//!
//! A version-2 text in a snapshot is checked in a few passes over its
//! columns (no run list, no tree, no id index): when the check proves
//! that the full decoder would accept the columns and build a tree from
//! them, the columns and the unpacked text are kept and the tree is
//! built on first use. When it cannot prove that (an origin naming
//! another replica's item, say, which would need the full origin-cycle
//! check), the text is decoded and built at once as before, which also
//! gives the precise error for a bad blob. So what loads lazily is
//! exactly what loads eagerly, and a blob refused eagerly is refused.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::columns::Table;
use super::compact::{covered, CompactRuns, CompactSeq, FlagReader};
use super::compact::{LEFT_INFERRED, RIGHT_INFERRED};
use super::packed::TextColumn;
use super::seq::{
    decode_listing, Bases, Counters, DELETED, LEFT_EXPLICIT, LEFT_MASK, LEFT_PREV, RIGHT_EXPLICIT,
    RIGHT_MASK, RIGHT_NEXT,
};
use crate::context::CausalContext;
use crate::error::DecodeError;
use crate::seq::content::{Content, TextBuf};
use crate::seq::lazy::{LazySeq, Listing};
use crate::seq::{Seq, MAX_ITEMS};

/// A checked text's columns, and what decoding them needs.
#[derive(Clone)]
struct TextListing {
    runs: CompactRuns,
    table: Table,
    bases: Bases,
}

impl TextListing {
    /// Checked columns with a table of only the replicas their runs name
    /// (kept per text until it is built: a blob's whole table, copied
    /// into each of many small texts, would hold memory its size times
    /// theirs). Every origin is in its run's replica (`check`).
    /// `named` is [`named_replicas`] of `runs`.
    fn own(mut runs: CompactRuns, table: &Table, bases: &Bases, named: &[u64]) -> TextListing {
        let mut ids = Vec::with_capacity(named.len());
        let mut ctr = Counters::new();
        let mut origin = Counters::new();
        for &old in named {
            // Indexes from a `u32` column.
            ids.extend(table.replica(old as u32));
            ctr.push(bases.ctr[old as usize]);
            origin.push(bases.origin[old as usize]);
        }
        let local = |rep: u32| {
            let at = named.binary_search(&u64::from(rep));
            at.map_or(u32::MAX, |i| i as u32)
        };
        for (rep, _) in runs.reps.0.iter_mut() {
            *rep = local(*rep);
        }
        // Entries naming no origin may name any index (nothing reads it).
        for (rep, _) in runs.origin_reps.0.iter_mut() {
            *rep = local(*rep);
        }
        TextListing {
            runs,
            table: Table::from_ids(ids),
            bases: Bases {
                ends: ctr.clone(),
                ctr,
                origin,
            },
        }
    }
}

impl Listing<TextBuf> for TextListing {
    fn build(&self, content: &TextBuf) -> Seq<TextBuf> {
        let built = self.runs.clone().into_listing().and_then(|w| {
            let mut bases = self.bases.clone();
            decode_listing(&self.table, None, &mut bases, w, Ok(content.clone()))?.into_seq()
        });
        match built {
            Ok(seq) => seq,
            // `check` proved this cannot happen; the fuzz targets build
            // every text they load to hold it to that.
            Err(e) => panic!("a text checked when it was loaded failed to build: {e}"),
        }
    }

    fn boxed_clone(&self) -> Box<dyn Listing<TextBuf>> {
        Box::new(self.clone())
    }

    fn replicas(&self) -> &[crate::ReplicaId] {
        self.table.ids()
    }
}

/// The text a snapshot's version-2 columns hold (`c` has no deleted id
/// runs: the caller refuses those): its tree is built on first use when
/// [`check`] proves the columns build, else here, as the full decoder
/// does (with its errors).
pub(super) fn whole_text(
    c: CompactSeq<TextColumn>,
    table: &Table,
    ctx: &CausalContext,
    bases: &mut Bases,
) -> Result<LazySeq<TextBuf>, DecodeError> {
    let CompactSeq { runs, content, .. } = c;
    let content = TextBuf(content.into_string()?);
    // The replicas the runs name: the check and the kept listing both work
    // on these.
    let named = named_replicas(&runs);
    if let Some(total) = check(&runs, content.items(), table, ctx, bases, &named) {
        let listing = TextListing::own(runs, table, bases, &named);
        return Ok(LazySeq::deferred(Box::new(listing), content, total));
    }
    let w = runs.into_listing()?;
    let parts = decode_listing(table, Some(ctx), bases, w, Ok(content))?;
    Ok(parts.into_seq()?.into())
}

/// Per replica: where its next run's counter is counted from, the span
/// its runs cover so far (`lo`: the lowest first counter), how many runs.
#[derive(Clone, Copy)]
struct Replica {
    end: u64,
    lo: u64,
    hi: u64,
    runs: u64,
}

/// Whether the full decoder accepts `runs` as a snapshot's sequence
/// (with `items` visible items of content, no deleted id runs) and
/// builds a tree of them: `Some(total items)` when this proves it, `None`
/// when it cannot tell. It proves each condition the full decoder checks
/// (`CompactRuns::expand`, `decode_parts`, `Parts::into_seq`,
/// `Seq::from_listing`, `Tree::bulk`), and stricter ones where that is
/// cheaper: every origin names an earlier item of the run's own replica
/// (then no origin cycle is possible), and each replica's counters span
/// at most 64 per run (then one bitmap finds overlaps and origins).
/// `globals` is [`named_replicas`] of `runs`.
#[inline(never)] // one copy: the wasm package's size
fn check(
    runs: &CompactRuns,
    items: usize,
    table: &Table,
    ctx: &CausalContext,
    bases: &Bases,
    globals: &[u64],
) -> Option<u32> {
    let (lens, ctrs) = (&runs.lens.0, &runs.ctrs.0);
    let n = lens.len();
    // Replica indexes leave the top bit of `slots` free (below).
    if n == 0 || ctrs.len() != n || bases.ctr.len() != table.len() || table.len() > RIGHT_LOW {
        return None;
    }
    // The flag dictionary: known bits only, at most 4 bits an index.
    let values = &runs.flag_values;
    if values.len() > 16 || values.iter().any(|f| f & !0x1F != 0) {
        return None;
    }
    let mut flags = FlagReader::<16>::new(&runs.flag_bits, values, n)?;
    // The explicit origins, each naming an item of its run's replica.
    let backs_n = runs.origin_backs.0.len();
    if covered(&runs.origin_reps.0) != Some(backs_n) || covered(&runs.reps.0) != Some(n) {
        return None;
    }
    // Per replica the runs name (not per replica of the blob's table: a
    // document's many texts each check against the whole table), by
    // their index in `globals`.
    let mut reps: Vec<Replica> = Vec::with_capacity(globals.len());
    for &g in globals {
        reps.push(Replica {
            end: *bases.ctr.get(g as usize)?,
            lo: u64::MAX,
            hi: 0,
            runs: 0,
        });
    }
    // Per run: its first counter, and its replica with `RIGHT_LOW` set
    // when its right origin is inferred (read by the pass from the end).
    let mut firsts: Vec<u32> = Vec::with_capacity(n);
    let mut slots: Vec<u32> = Vec::with_capacity(n);
    // The runs that name an origin (their indexes), once for each origin
    // they name: the origins are checked after the bitmap is built.
    // Written without a branch: a slot past the origins takes the excess.
    let mut named: Vec<u32> = alloc::vec![0; backs_n.saturating_add(1)];
    let mut k = 0usize;
    let (mut total, mut vis) = (0u64, 0u64);
    let (mut next_pending, mut next_rep, mut next_below) = (false, 0u32, 0u64);
    // The run before: its replica (none yet) and where it ends.
    let (mut prev_rep, mut prev_end) = (u32::MAX, 0u64);
    let mut right_inferred = false;
    let mut bad = false;
    let mut columns = lens.iter().zip(ctrs);
    let mut local_reps: Vec<(u32, u32)> = Vec::with_capacity(runs.reps.0.len());
    for &(global, count) in &runs.reps.0 {
        let at = globals.binary_search(&u64::from(global)).ok()?;
        local_reps.push((at as u32, count));
    }
    for &(rep, count) in &local_reps {
        // The replica's state in locals for the loop (written back after).
        let mut slot = *reps.get(rep as usize)?;
        for _ in 0..count {
            let (&len, &step) = columns.next()?;
            // A flag index outside the dictionary is refused (below).
            let (f, known) = flags.next_raw();
            bad |= !known;
            let len = u64::from(len);
            let ctr = i64::try_from(slot.end).ok()?.checked_add(step)?;
            let ctr = u64::try_from(ctr).ok().filter(|c| *c >= 1)?;
            let end = ctr.checked_add(len)?;
            if len == 0 || end > u64::from(u32::MAX) {
                return None;
            }
            // Branch-free where the flags vary from run to run (their
            // modes are as good as random: branches on them mispredict).
            // A right origin in the previous run's next run: this one's
            // first item, below the previous run.
            bad |= next_pending & ((next_rep != rep) | (ctr >= next_below));
            let (left, right) = (f & LEFT_MASK, f & RIGHT_MASK);
            let prev_ok = (prev_rep == rep) & (prev_end <= ctr);
            // Some earlier run of this replica starts lower: its last item
            // is the origin (it ends below this run, or the bitmap below
            // finds the overlap).
            let inferred_ok = slot.lo < ctr;
            bad |= ((left == LEFT_PREV) & !prev_ok) | ((left == LEFT_INFERRED) & !inferred_ok);
            let run = firsts.len() as u32;
            named[k.min(backs_n)] = run;
            k = k.wrapping_add(usize::from(left == LEFT_EXPLICIT));
            named[k.min(backs_n)] = run;
            k = k.wrapping_add(usize::from(right == RIGHT_EXPLICIT));
            next_pending = right == RIGHT_NEXT;
            (next_rep, next_below) = (rep, ctr);
            (prev_rep, prev_end) = (rep, end);
            let inferred = right == RIGHT_INFERRED;
            right_inferred |= inferred;
            // At most 2^32 runs of at most 2^32 items: no overflow.
            total = total.wrapping_add(len);
            vis = vis.wrapping_add(len.wrapping_mul(u64::from(f & DELETED == 0)));
            slot.end = end;
            slot.lo = slot.lo.min(ctr);
            slot.hi = slot.hi.max(end);
            slot.runs = slot.runs.wrapping_add(1);
            firsts.push(ctr as u32);
            slots.push(rep | if inferred { RIGHT_LOW as u32 } else { 0 });
        }
        reps[rep as usize] = slot;
    }
    if bad || next_pending || k != backs_n {
        return None;
    }
    if total > u64::from(MAX_ITEMS) || vis != items as u64 {
        return None;
    }
    // Every item in the context: each replica's whole span is (stricter
    // than each run, and one lookup a replica).
    for (&g, r) in globals.iter().zip(&reps).filter(|(_, r)| r.runs > 0) {
        let replica = table.replica(g as u32).ok()?;
        if !ctx.contains_range(replica, r.lo, r.hi.wrapping_sub(1)) {
            return None;
        }
    }
    // No two runs share an item (a bitmap of each replica's counters),
    // and an inferred right origin has a run after it of its replica that
    // starts lower (equal would overlap): one pass from the end.
    let mut bits: Vec<Vec<u64>> = Vec::with_capacity(reps.len());
    for r in &reps {
        let span = r.hi.saturating_sub(r.lo);
        if span > r.runs.saturating_mul(64) {
            return None;
        }
        // A word more than the span: a run's mask may reach into it
        // (empty), so `claim` needs no branch on where the run ends.
        let words = (span.div_ceil(64) as usize).saturating_add(1);
        bits.push(alloc::vec![0u64; words]);
    }
    let mut lowest_after = alloc::vec![u32::MAX; if right_inferred { reps.len() } else { 0 }];
    let runs_back = firsts.iter().zip(&slots).zip(lens).rev();
    for ((&first, &slot), &len) in runs_back {
        let rep = (slot & !(RIGHT_LOW as u32)) as usize;
        let from = u64::from(first).wrapping_sub(reps[rep].lo);
        bad |= !claim(&mut bits[rep], from as usize, len as usize);
        if let Some(low) = lowest_after.get_mut(rep) {
            bad |= (slot & RIGHT_LOW as u32 != 0) & (*low >= first);
            *low = (*low).min(first);
        }
    }
    if bad {
        return None;
    }
    // Each origin: an item of its run's replica, earlier than the run,
    // that some run holds.
    let mut at = 0usize;
    for &(r, count) in &runs.origin_reps.0 {
        let end = at.checked_add(count as usize)?;
        let backs = runs.origin_backs.0.get(at..end)?;
        for (&run, &back) in named.get(at..end)?.iter().zip(backs) {
            let (first, slot) = (*firsts.get(run as usize)?, *slots.get(run as usize)?);
            let (ctr, rep) = (u64::from(first), slot & !(RIGHT_LOW as u32));
            let back = u64::try_from(back).ok().filter(|b| *b >= 1 && *b < ctr)?;
            let bit = ctr.wrapping_sub(back).checked_sub(reps[rep as usize].lo)? as usize;
            let word = bits[rep as usize].get(bit / 64)?;
            bad |= (Some(&u64::from(r)) != globals.get(rep as usize))
                | (word & (1 << (bit % 64)) == 0);
        }
        at = end;
    }
    if bad {
        return None;
    }
    u32::try_from(total).ok()
}

/// The replica indexes a text's runs name, sorted, each once (a text's
/// runs name a few of a document's replicas: what is kept per replica
/// while checking or building it is kept for these only).
fn named_replicas(runs: &CompactRuns) -> Vec<u64> {
    // As `u64`s: their sort is in the package already (`seq::Ends`).
    let mut named: Vec<u64> = runs.reps.0.iter().map(|&(r, _)| u64::from(r)).collect();
    named.sort_unstable();
    named.dedup();
    named
}

/// The top bit of a run's replica in `check`'s pass from the end: its
/// right origin is inferred.
const RIGHT_LOW: usize = 1 << 31;

/// Sets bits `from .. from + len` (`len >= 1`), or returns `false` if one
/// was set already (it sets them all the same). A run of at most 64 items
/// (nearly all) is two masks on two words, without a branch: the caller's
/// bitmap has a word more than its span.
#[inline(always)]
#[allow(clippy::arithmetic_side_effects)] // `1 <= len <= 64`, `b < 64`
fn claim(bits: &mut [u64], from: usize, len: usize) -> bool {
    let (w, b) = (from / 64, from % 64);
    if len > 64 {
        return claim_words(bits, from, from.saturating_add(len));
    }
    let m = ((1u128 << len) - 1) << b;
    let Some([x, y]) = bits.get_mut(w..w.saturating_add(2)) else {
        return false;
    };
    let (lo, hi) = (m as u64, (m >> 64) as u64);
    let free = (*x & lo) | (*y & hi) == 0;
    (*x, *y) = (*x | lo, *y | hi);
    free
}

/// Sets bits `from .. to`, or returns `false` if one was set already.
#[allow(clippy::arithmetic_side_effects)] // `at < to`, both in `bits`' range or refused
#[inline(never)]
fn claim_words(bits: &mut [u64], from: usize, to: usize) -> bool {
    let mut at = from;
    while at < to {
        let (w, b) = (at / 64, at % 64);
        let k = (64 - b).min(to - at);
        let m = if k == 64 {
            u64::MAX
        } else {
            ((1u64 << k) - 1) << b
        };
        let Some(word) = bits.get_mut(w) else {
            return false;
        };
        if *word & m != 0 {
            return false;
        }
        *word |= m;
        at += k;
    }
    true
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)] // test inputs
mod tests {
    use super::*;
    use crate::encoding::columns::from_payload;
    use crate::encoding::compact::text_from_v2;
    use crate::encoding::envelope::{open_versioned, seal_value_as, BlobKind};
    use crate::encoding::seq::{decode_parts, WireText};
    use crate::seq::content::Unit;
    use crate::{Doc, ReplicaId, Text};
    use alloc::string::{String, ToString};

    fn lcg(x: &mut u64) -> u64 {
        *x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *x >> 33
    }

    /// A text typed by one replica: `edits` inserts and deletes at
    /// random places (many runs), some characters outside ASCII.
    fn typed(seed: u64, edits: usize) -> Text {
        let mut x = seed;
        let mut t = Text::new(ReplicaId::new(7));
        for _ in 0..edits {
            let len = t.len();
            let pos = lcg(&mut x) as usize % (len + 1);
            if len > 0 && lcg(&mut x) % 4 == 0 {
                let n = 1 + lcg(&mut x) as usize % 3;
                t.delete(pos.min(len - 1), n.min(len - pos.min(len - 1)))
                    .unwrap();
            } else {
                let s = ["a", "bc", "é", "日本", "🙂", "xyz"][lcg(&mut x) as usize % 6];
                t.insert(pos, s).unwrap();
            }
        }
        t
    }

    #[test]
    fn a_long_text_loads_without_its_tree_and_builds_it_on_first_use() {
        for seed in 0..8 {
            let t = typed(seed, 400);
            let loaded = Text::from_bytes(ReplicaId::new(7), &t.to_bytes()).unwrap();
            assert!(!loaded.seq.is_built(), "seed {seed}: built at load");
            // Whole-text reads come from the content column.
            assert_eq!(loaded.to_string(), t.to_string());
            assert_eq!(loaded.len(), t.len());
            for unit in [Unit::Char, Unit::Utf16, Unit::Utf8] {
                assert_eq!(loaded.view().len_in(unit), t.view().len_in(unit));
            }
            assert!(!loaded.seq.is_built());
            // A copy stays lazy; a comparison builds through `&`.
            let copy = loaded.clone();
            assert!(loaded == t, "seed {seed}: the built state differs");
            assert!(loaded.seq.is_built());
            assert!(!copy.seq.is_built());
            loaded.check_invariants();
            // An edit builds it too (through `&mut`), and works.
            let mut edited = copy;
            let mut expected = t.clone();
            edited.insert(3, "!").unwrap();
            expected.insert(3, "!").unwrap();
            assert!(edited.seq.is_built());
            assert_eq!(edited.to_string(), expected.to_string());
        }
    }

    #[test]
    fn a_document_text_loads_lazily_and_merges_after() {
        let t = typed(3, 300).to_string();
        // The text's writer is the second replica of the blob's table.
        let mut a = Doc::new(ReplicaId::new(5));
        let mut c = Doc::new(ReplicaId::new(2));
        c.transact().counter("n").add(1).unwrap();
        a.apply(&c.snapshot()).unwrap();
        a.transact().text("notes").insert(0, &t).unwrap();
        for i in 0..60 {
            let len = a.root().text("notes").unwrap().len();
            a.transact()
                .text("notes")
                .insert((i * 37) % len, "+")
                .unwrap();
        }
        let snap = a.snapshot();
        let mut b = Doc::load(ReplicaId::new(3), &snap).unwrap();
        assert_eq!(
            b.root().text("notes").unwrap().to_string(),
            a.root().text("notes").unwrap().to_string()
        );
        b.check_invariants();
        b.transact().text("notes").insert(0, "b").unwrap();
        a.apply(&b.encode_since(&a.version()).unwrap()).unwrap();
        assert_eq!(a.snapshot(), b.snapshot());
    }

    /// A text's runs are checked and built against the replicas they
    /// name, wherever those sit in the blob's table (a document of many
    /// writers: not a record per replica of the whole table for each
    /// text). The same runs, renumbered as the sixth of eight replicas,
    /// check to the same total and build the same sequence.
    #[test]
    fn a_text_checks_against_a_larger_table() {
        let t = typed(5, 300);
        let bytes = t.to_bytes();
        let (_, payload) = open_versioned(&bytes, BlobKind::Text).unwrap();
        let w: WireText<CompactSeq<TextColumn>> = from_payload(payload).unwrap();
        let table = Table::decode(&w.replicas).unwrap();
        let ctx = table.context(&w.context).unwrap();
        let bases = Bases::new(table.replicas(), &ctx, None);
        let content = TextBuf(w.seq.content.into_string().unwrap());
        let runs = w.seq.runs;
        let total = check(
            &runs,
            content.items(),
            &table,
            &ctx,
            &bases,
            &named_replicas(&runs),
        )
        .expect("checks");
        let writer = table.replica(0).unwrap();
        let ids: Vec<ReplicaId> = (0..8u64)
            .map(|i| match i {
                5 => writer,
                _ => ReplicaId::new(1000 + i),
            })
            .collect();
        let big = Table::from_ids(ids);
        let big_bases = Bases::new(big.replicas(), &ctx, None);
        let mut moved = runs.clone();
        for (rep, _) in moved
            .reps
            .0
            .iter_mut()
            .chain(moved.origin_reps.0.iter_mut())
        {
            *rep = 5;
        }
        let checked = check(
            &moved,
            content.items(),
            &big,
            &ctx,
            &big_bases,
            &named_replicas(&moved),
        );
        assert_eq!(checked, Some(total));
        let built = TextListing::own(moved.clone(), &big, &big_bases, &named_replicas(&moved))
            .build(&content);
        assert!(built == *t.seq);
        // An entry of no runs changes nothing in the table's range, and is
        // refused outside it (as before).
        let mut idle = moved.clone();
        idle.reps.0.insert(0, (2, 0));
        let checked = check(
            &idle,
            content.items(),
            &big,
            &ctx,
            &big_bases,
            &named_replicas(&idle),
        );
        assert_eq!(checked, Some(total));
        idle.reps.0[0].0 = 8;
        assert_eq!(
            check(
                &idle,
                content.items(),
                &big,
                &ctx,
                &big_bases,
                &named_replicas(&idle)
            ),
            None
        );
        // Refused when its runs name a replica outside the table.
        moved.reps.0[0].0 = 8;
        assert_eq!(
            check(
                &moved,
                content.items(),
                &big,
                &ctx,
                &big_bases,
                &named_replicas(&moved)
            ),
            None
        );
    }

    /// A document of many writers, a long text and a list each: loads,
    /// equals what was saved, and takes edits after.
    #[test]
    fn many_writers_each_with_a_text_load() {
        let mut all = Doc::new(ReplicaId::new(1000));
        for w in 0..40u64 {
            let mut d = Doc::new(ReplicaId::new(w * 7919 + 3));
            let mut tx = d.transact();
            for i in 0..20 {
                tx.text(&alloc::format!("t{w}"))
                    .insert(0, &alloc::format!("w{i} "))
                    .unwrap();
                tx.list(&alloc::format!("l{w}")).insert(0, i).unwrap();
            }
            drop(tx);
            all.apply(&d.snapshot()).unwrap();
        }
        let snap = all.snapshot();
        let mut loaded = Doc::load(ReplicaId::new(2000), &snap).unwrap();
        loaded.check_invariants();
        assert_eq!(loaded.snapshot(), snap);
        loaded.transact().text("t7").insert(0, "x").unwrap();
        all.apply(&loaded.encode_since(&all.version()).unwrap())
            .unwrap();
        assert_eq!(all.snapshot(), loaded.snapshot());
    }

    /// A whole state merged into a document leaves a lazily loaded text
    /// unbuilt when its sender saw none of the text's writers (a peer's
    /// snapshot of other keys must not build every text of a large
    /// document); one that saw them builds it and deletes what it saw.
    #[test]
    fn an_unrelated_whole_state_leaves_a_loaded_text_unbuilt() {
        use crate::doc::model::seq_node::SeqNode;
        use crate::store::JoinMode;
        let t = typed(4, 300);
        let loaded = Text::from_bytes(ReplicaId::new(9), &t.to_bytes()).unwrap();
        assert!(!loaded.seq.is_built());
        assert_eq!(loaded.seq.replicas(), [ReplicaId::new(7)]);
        let mut node = SeqNode {
            seq: loaded.seq.clone(),
            ..Default::default()
        };
        let mut unrelated = CausalContext::new();
        unrelated.insert_range(ReplicaId::new(8), 1, 40);
        node.join(
            &loaded.ctx,
            SeqNode::default(),
            &unrelated,
            JoinMode::STATE,
            None,
        );
        assert!(
            !node.seq.is_built(),
            "built for a sender that saw none of it"
        );
        assert_eq!(
            node.seq.unbuilt_content().map(|c| c.0.len()),
            Some(t.to_string().len())
        );
        // A sender that saw every item and holds none of them deletes all.
        node.join(
            &loaded.ctx,
            SeqNode::default(),
            &loaded.ctx,
            JoinMode::STATE,
            None,
        );
        assert!(node.seq.is_built());
        assert_eq!(node.seq.len(), 0);
    }

    #[test]
    fn texts_with_origins_in_other_replicas_load_at_once() {
        let mut a = typed(1, 200);
        let mut b = a.fork(ReplicaId::new(9));
        for i in 0..40 {
            a.insert((i * 7) % a.len(), "a").unwrap();
            b.insert((i * 5) % b.len(), "b").unwrap();
        }
        a.merge(&b);
        let loaded = Text::from_bytes(ReplicaId::new(1), &a.to_bytes()).unwrap();
        assert!(loaded.seq.is_built());
        assert!(loaded == a);
    }

    /// The full decoder, as it ran before lazy loading.
    fn eager(bytes: &[u8]) -> Result<Seq<TextBuf>, DecodeError> {
        let (_, payload) = open_versioned(bytes, BlobKind::Text)?;
        let w: WireText<CompactSeq<TextColumn>> = from_payload(payload)?;
        let table = Table::decode(&w.replicas)?;
        let ctx = table.context(&w.context)?;
        let mut bases = Bases::new(table.replicas(), &ctx, None);
        let parts = decode_parts::<TextBuf>(&table, &ctx, &mut bases, text_from_v2(w.seq)?)?;
        if !parts.dels.is_empty() {
            return Err(DecodeError::Invalid(
                crate::error::Invalid::DeletedRunsInWholeText,
            ));
        }
        parts.into_seq()
    }

    fn mutate(w: &mut WireText<CompactSeq<TextColumn>>, x: &mut u64) {
        let r = &mut w.seq.runs;
        let n = r.lens.0.len();
        let i = lcg(x) as usize % n;
        let small = (lcg(x) % 7) as i64 - 3;
        match lcg(x) % 10 {
            0 => r.ctrs.0[i] = r.ctrs.0[i].wrapping_add(small),
            1 => r.lens.0[i] = r.lens.0[i].wrapping_add(small as u32),
            2 => {
                if !r.flag_bits.is_empty() {
                    let b = lcg(x) as usize % (r.flag_bits.len() * 8);
                    r.flag_bits[b / 8] ^= 1 << (b % 8);
                }
            }
            3 => {
                let k = lcg(x) as usize % r.flag_values.len();
                r.flag_values[k] = (lcg(x) % 32) as u8;
            }
            4 => {
                let at = i % r.origin_backs.0.len().max(1);
                if let Some(b) = r.origin_backs.0.get_mut(at) {
                    *b = b.wrapping_add(small);
                } else {
                    r.origin_reps.0.push((0, 1));
                    r.origin_backs.0.push(1 + (lcg(x) % 50) as i64);
                }
            }
            5 => {
                let k = lcg(x) as usize % r.reps.0.len();
                r.reps.0[k].1 = r.reps.0[k].1.wrapping_add(small as u32);
            }
            6 => {
                let k = lcg(x) as usize % r.reps.0.len();
                r.reps.0[k].0 ^= 1;
            }
            // An entry for no origin, naming any replica index (found by
            // fuzzing: the per-text table must not index by it).
            9 => r.origin_reps.0.push(((lcg(x) % 1000) as u32, 0)),
            7 => {
                if let TextColumn::Plain(s) = &mut w.seq.content {
                    if lcg(x) % 2 == 0 {
                        s.pop();
                    } else {
                        s.push('q');
                    }
                }
            }
            _ => {
                // Swap two runs' lengths and counters (overlaps, gaps).
                let j = lcg(x) as usize % n;
                r.ctrs.0.swap(i, j);
                r.lens.0.swap(i, j);
            }
        }
    }

    #[test]
    fn lazy_and_eager_loading_agree_on_damaged_columns() {
        let mut two = typed(5, 150);
        let other = two.fork(ReplicaId::new(3));
        let mut other = other;
        other.insert(2, "zz").unwrap();
        two.insert(0, "yy").unwrap();
        two.merge(&other);
        let mut x = 99u64;
        let mut lazy_oks = 0;
        for (k, base) in [typed(11, 200), typed(12, 60), two].iter().enumerate() {
            let bytes = base.to_bytes();
            let (version, payload) = open_versioned(&bytes, BlobKind::Text).unwrap();
            assert_eq!(version, 2);
            for round in 0..4000 {
                let mut w: WireText<CompactSeq<TextColumn>> = from_payload(payload).unwrap();
                for _ in 0..1 + lcg(&mut x) % 2 {
                    mutate(&mut w, &mut x);
                }
                let blob = seal_value_as(2, BlobKind::Text, &w);
                let expected = eager(&blob);
                let got = Text::from_bytes(ReplicaId::new(7), &blob);
                match (got, expected) {
                    (Ok(t), Ok(seq)) => {
                        lazy_oks += usize::from(!t.seq.is_built());
                        let want: String = seq.leaf_contents().map(|c| c.0.as_str()).collect();
                        assert_eq!(t.to_string(), want, "text {k} round {round}");
                        assert!(*t.seq == seq, "text {k} round {round}: states differ");
                        t.check_invariants();
                    }
                    (Err(_), Err(_)) => {}
                    (got, expected) => panic!(
                        "text {k} round {round}: lazy {:?}, eager {:?}",
                        got.map(|t| t.to_string()),
                        expected.map(|s| s.len())
                    ),
                }
            }
        }
        // The damage leaves some blobs valid (and lazy).
        assert!(lazy_oks > 50, "only {lazy_oks} lazy loads");
    }

    #[test]
    fn claim_finds_overlaps() {
        let mut bits = alloc::vec![0u64; 3];
        assert!(claim_words(&mut bits, 0, 64));
        assert!(claim_words(&mut bits, 64, 130));
        assert!(!claim_words(&mut bits, 129, 131));
        assert!(claim_words(&mut bits, 130, 192));
        assert!(!claim_words(&mut bits, 150, 151));
        assert!(!claim_words(&mut bits, 191, 193));
        // The same through the two-word path (from, length), on a bitmap
        // with the spare word `check` gives it.
        let mut bits = alloc::vec![0u64; 4];
        assert!(claim(&mut bits, 0, 64));
        assert!(claim(&mut bits, 64, 66));
        assert!(!claim(&mut bits, 129 - 64, 1));
        assert!(claim(&mut bits, 130, 62));
        assert!(!claim(&mut bits, 150, 1));
        assert!(!claim(&mut bits, 191, 2));
        assert!(!claim(&mut bits, 192, 1));
        assert!(!claim(&mut bits, 66, 64));
        assert!(!claim(&mut bits, 129, 1));
        let mut bits = alloc::vec![0u64; 3];
        assert!(claim(&mut bits, 60, 10));
        assert!(!claim(&mut bits, 69, 1));
        assert!(claim(&mut bits, 70, 1));
        assert!(claim(&mut bits, 50, 10));
        assert!(!claim(&mut bits, 49, 2));
        assert!(!claim(&mut bits, 130, 64), "past the bitmap");
        let _ = ToString::to_string(&1);
    }
}
