//! An ordered map kept as a list of sorted chunks of entries.
//!
//! Entries live in contiguous runs of at most [`chunk_cap`] entries (about
//! 4 KiB each), so walking the map, and merging two maps entry by entry, is
//! a pass over contiguous memory; a lookup is a binary search over the
//! chunks' last keys, then one inside the chunk. It replaces the standard
//! library's `BTreeMap` where whole-map merges dominate (the dot stores)
//! and where code size matters (one small generic instead of the B-tree's
//! node machinery per key and value type, in the WebAssembly package).
//!
//! Invariants: no chunk is empty; keys strictly increase across the whole
//! list; no chunk's capacity exceeds its cap unless the allocator rounded
//! up; `len` is the sum of the chunks' lengths.

use alloc::vec::Vec;
use core::borrow::Borrow;
use core::fmt;
use core::hash::{Hash, Hasher};

/// Bytes a chunk holds at most (tests use small chunks so every path that
/// splits, merges and repacks chunks runs often).
const CHUNK_BYTES: usize = if cfg!(test) { 96 } else { 4096 };

/// Entries a chunk holds at most.
const fn chunk_cap<K, V>() -> usize {
    let size = core::mem::size_of::<(K, V)>();
    let n = match CHUNK_BYTES.checked_div(size) {
        Some(n) => n,
        None => CHUNK_BYTES,
    };
    if n < 4 {
        4
    } else {
        n
    }
}

/// An ordered map of sorted chunks (see the module documentation).
#[derive(Clone)]
pub(crate) struct SortedMap<K, V> {
    chunks: Vec<Vec<(K, V)>>,
    len: usize,
}

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V> SortedMap<K, V> {
    /// An empty map (usable in constants; allocates nothing).
    pub(crate) const fn new() -> Self {
        SortedMap {
            chunks: Vec::new(),
            len: 0,
        }
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether the map has no entry.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The entries in key order.
    pub(crate) fn iter(&self) -> Iter<'_, K, V> {
        Iter {
            front: [].iter(),
            chunks: self.chunks.iter(),
            back: [].iter(),
            left: self.len,
        }
    }

    /// The entries in key order, values mutably.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> + '_ {
        self.chunks
            .iter_mut()
            .flat_map(|c| c.iter_mut().map(|(k, v)| (&*k, v)))
    }

    /// The values in key order.
    pub(crate) fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// Keeps the entries for which `keep` holds, in key order.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        for chunk in &mut self.chunks {
            chunk.retain_mut(|(k, v)| keep(k, v));
        }
        self.chunks.retain(|c| !c.is_empty());
        self.len = self.chunks.iter().map(Vec::len).sum();
        // Less than half full on average: pack the survivors densely so a
        // map that shrank does not keep its old chunks' memory.
        let cap = chunk_cap::<K, V>();
        if self.chunks.len() > 1
            && self.len.saturating_mul(2) < self.chunks.len().saturating_mul(cap)
        {
            let old = core::mem::take(self);
            let mut out = Builder::new(old.len);
            for (k, v) in old {
                out.push(k, v);
            }
            *self = out.finish();
        }
    }
}

/// Grows `chunk` for one more entry without its capacity passing `cap`.
fn reserve_one<T>(chunk: &mut Vec<T>, cap: usize) {
    if chunk.len() == chunk.capacity() {
        let more = chunk
            .capacity()
            .clamp(1, cap.saturating_sub(chunk.capacity()).max(1));
        chunk.reserve_exact(more);
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    /// The chunk that holds `key` if an entry does, else the chunk where it
    /// belongs: the first whose last key is not below `key`, or the last
    /// chunk. `None` only when the map is empty.
    fn chunk_of<Q>(&self, key: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let last = self.chunks.len().checked_sub(1)?;
        let i = self
            .chunks
            .partition_point(|c| c.last().is_some_and(|(k, _)| k.borrow() < key));
        Some(i.min(last))
    }

    /// The chunk and position of `key`'s entry.
    fn find<Q>(&self, key: &Q) -> Option<(usize, usize)>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let c = self.chunk_of(key)?;
        let i = self.chunks[c]
            .binary_search_by(|(k, _)| k.borrow().cmp(key))
            .ok()?;
        Some((c, i))
    }

    /// The value under `key`.
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let (c, i) = self.find(key)?;
        Some(&self.chunks[c][i].1)
    }

    /// The value under `key`, mutably.
    pub(crate) fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let (c, i) = self.find(key)?;
        Some(&mut self.chunks[c][i].1)
    }

    /// Whether an entry has `key`.
    #[cfg(test)]
    pub(crate) fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).is_some()
    }

    /// The entry with the greatest key not above `key`.
    pub(crate) fn floor<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let c = self.chunk_of(key)?;
        let chunk = &self.chunks[c];
        let p = chunk.partition_point(|(k, _)| k.borrow() <= key);
        let (k, v) = match p.checked_sub(1) {
            Some(i) => &chunk[i],
            None => self.chunks[..c].last()?.last()?,
        };
        Some((k, v))
    }

    /// The entry with the greatest key.
    pub(crate) fn last(&self) -> Option<(&K, &V)> {
        let (k, v) = self.chunks.last()?.last()?;
        Some((k, v))
    }

    /// Inserts `value` under `key`, returning the value it replaces.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        let cap = chunk_cap::<K, V>();
        let Some(c) = self.chunk_of(&key) else {
            self.chunks.push(alloc::vec![(key, value)]);
            self.len = 1;
            return None;
        };
        let at = match self.chunks[c].binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(i) => return Some(core::mem::replace(&mut self.chunks[c][i].1, value)),
            Err(i) => i,
        };
        self.len += 1;
        let last = c + 1 == self.chunks.len();
        let chunk = &mut self.chunks[c];
        if chunk.len() < cap {
            reserve_one(chunk, cap);
            chunk.insert(at, (key, value));
            return None;
        }
        // Full. Keys arriving in order (or in reverse) start a new chunk at
        // that end, so such maps keep full chunks; elsewhere the chunk
        // splits in half.
        if (at == chunk.len() && last) || (at == 0 && c == 0) {
            let mut fresh = Vec::with_capacity(cap);
            fresh.push((key, value));
            self.chunks.insert(if at == 0 { 0 } else { c + 1 }, fresh);
            return None;
        }
        let half = chunk.len() / 2;
        let mut tail = Vec::with_capacity(cap);
        tail.extend(chunk.drain(half..));
        if at <= half {
            chunk.insert(at, (key, value));
        } else {
            tail.insert(at - half, (key, value));
        }
        self.chunks.insert(c + 1, tail);
        None
    }

    /// Removes and returns the value under `key`.
    pub(crate) fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let (c, i) = self.find(key)?;
        let (_, value) = self.chunks[c].remove(i);
        self.len -= 1;
        self.shrunk(c);
        Some(value)
    }

    /// After chunk `c` lost entries: drops it when empty, or moves it into
    /// a neighbour with room once it is a quarter full.
    fn shrunk(&mut self, c: usize) {
        let cap = chunk_cap::<K, V>();
        let n = self.chunks[c].len();
        if n == 0 {
            self.chunks.remove(c);
            return;
        }
        if n > cap / 4 {
            return;
        }
        let fits = |j: usize| self.chunks.get(j).is_some_and(|o| o.len() + n <= cap);
        let lo = if fits(c + 1) {
            c
        } else if c > 0 && fits(c - 1) {
            c - 1
        } else {
            return;
        };
        let moved = self.chunks.remove(lo + 1);
        let into = &mut self.chunks[lo];
        into.reserve_exact(moved.len());
        into.extend(moved);
    }

    /// The entries with keys from `lo` on, in key order.
    pub(crate) fn iter_from<Q>(&self, lo: &Q) -> Iter<'_, K, V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let Some(c) = self.chunk_of(lo) else {
            return self.iter();
        };
        let chunk = &self.chunks[c];
        let i = chunk.partition_point(|(k, _)| k.borrow() < lo);
        let rest = &self.chunks[c + 1..];
        Iter {
            front: chunk[i..].iter(),
            chunks: rest.iter(),
            back: [].iter(),
            left: chunk.len() - i + rest.iter().map(Vec::len).sum::<usize>(),
        }
    }
}

/// Builds a map from entries pushed in strictly increasing key order.
pub(crate) struct Builder<K, V> {
    chunks: Vec<Vec<(K, V)>>,
    /// The chunk being filled, sized by the hint.
    current: Vec<(K, V)>,
    len: usize,
    /// How many entries may still come (sizes the next chunk).
    hint: usize,
}

impl<K, V> Builder<K, V> {
    /// A builder expecting about `hint` entries.
    pub(crate) fn new(hint: usize) -> Self {
        Builder {
            chunks: Vec::with_capacity(hint.div_ceil(chunk_cap::<K, V>())),
            current: Vec::with_capacity(hint.min(chunk_cap::<K, V>())),
            len: 0,
            hint,
        }
    }

    /// Appends an entry; its key must be above every key pushed before
    /// (the callers merge sorted maps, so it is).
    #[inline]
    pub(crate) fn push(&mut self, key: K, value: V) {
        let cap = chunk_cap::<K, V>();
        if self.current.len() == self.current.capacity() {
            self.next_chunk(cap);
        }
        self.current.push((key, value));
        self.len += 1;
        self.hint = self.hint.saturating_sub(1);
    }

    #[cold]
    fn next_chunk(&mut self, cap: usize) {
        if self.current.len() < cap {
            // The hint fell short: grow this chunk (up to the cap).
            reserve_one(&mut self.current, cap);
            return;
        }
        let fresh = Vec::with_capacity(self.hint.clamp(1, cap));
        self.chunks
            .push(core::mem::replace(&mut self.current, fresh));
    }

    /// The map built.
    pub(crate) fn finish(mut self) -> SortedMap<K, V> {
        if !self.current.is_empty() {
            self.chunks.push(self.current);
        }
        SortedMap {
            chunks: self.chunks,
            len: self.len,
        }
    }
}

/// Iterator over the entries of a `DotMap` (`DotMap::iter`), in key order
/// (both ends).
pub struct Iter<'a, K, V> {
    front: core::slice::Iter<'a, (K, V)>,
    chunks: core::slice::Iter<'a, Vec<(K, V)>>,
    back: core::slice::Iter<'a, (K, V)>,
    left: usize,
}

impl<K, V> Clone for Iter<'_, K, V> {
    fn clone(&self) -> Self {
        Iter {
            front: self.front.clone(),
            chunks: self.chunks.clone(),
            back: self.back.clone(),
            left: self.left,
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for Iter<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((k, v)) = self.front.next() {
                self.left -= 1;
                return Some((k, v));
            }
            match self.chunks.next() {
                Some(chunk) => self.front = chunk.iter(),
                None => {
                    let (k, v) = self.back.next()?;
                    self.left -= 1;
                    return Some((k, v));
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<K, V> DoubleEndedIterator for Iter<'_, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((k, v)) = self.back.next_back() {
                self.left -= 1;
                return Some((k, v));
            }
            match self.chunks.next_back() {
                Some(chunk) => self.back = chunk.iter(),
                None => {
                    let (k, v) = self.front.next_back()?;
                    self.left -= 1;
                    return Some((k, v));
                }
            }
        }
    }
}

impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}
impl<K, V> core::iter::FusedIterator for Iter<'_, K, V> {}

impl<'a, K, V> IntoIterator for &'a SortedMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Iter<'a, K, V> {
        self.iter()
    }
}

/// Owning iterator over a [`SortedMap`]'s entries, in key order; frees each
/// chunk once it is passed.
pub(crate) struct IntoIter<K, V> {
    chunk: alloc::vec::IntoIter<(K, V)>,
    chunks: alloc::vec::IntoIter<Vec<(K, V)>>,
    left: usize,
}

impl<K, V> Iterator for IntoIter<K, V> {
    type Item = (K, V);

    #[inline]
    fn next(&mut self) -> Option<(K, V)> {
        loop {
            if let Some(entry) = self.chunk.next() {
                self.left -= 1;
                return Some(entry);
            }
            self.chunk = self.chunks.next()?.into_iter();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<K, V> ExactSizeIterator for IntoIter<K, V> {}

impl<K, V> IntoIter<K, V> {
    /// The next entry's key, without taking the entry.
    #[inline]
    pub(crate) fn peek_key(&mut self) -> Option<&K> {
        while self.chunk.as_slice().is_empty() {
            self.chunk = self.chunks.next()?.into_iter();
        }
        self.chunk.as_slice().first().map(|(k, _)| k)
    }
}

impl<K, V> IntoIterator for SortedMap<K, V> {
    type Item = (K, V);
    type IntoIter = IntoIter<K, V>;

    fn into_iter(self) -> IntoIter<K, V> {
        IntoIter {
            chunk: Vec::new().into_iter(),
            chunks: self.chunks.into_iter(),
            left: self.len,
        }
    }
}

impl<K: PartialEq, V: PartialEq> PartialEq for SortedMap<K, V> {
    /// Equal entries, however they are chunked.
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<K: Eq, V: Eq> Eq for SortedMap<K, V> {}

impl<K: Hash, V: Hash> Hash for SortedMap<K, V> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.len);
        for (k, v) in self {
            k.hash(state);
            v.hash(state);
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for SortedMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;
    use quickcheck::{quickcheck, Arbitrary, Gen};

    /// One operation on both the map and its model.
    #[derive(Clone, Debug)]
    enum Op {
        Insert(u16, u32),
        Remove(u16),
        Retain(u16),
        Ascending(u16, u16),
        Descending(u16, u16),
    }

    impl Arbitrary for Op {
        fn arbitrary(g: &mut Gen) -> Self {
            // Keys from a small range so removes and replaces hit.
            let key = |g: &mut Gen| u16::arbitrary(g) % 512;
            match u8::arbitrary(g) % 10 {
                0..=4 => Op::Insert(key(g), u32::arbitrary(g)),
                5..=7 => Op::Remove(key(g)),
                8 => Op::Retain(u16::arbitrary(g) % 7 + 1),
                _ if bool::arbitrary(g) => Op::Ascending(key(g), u16::arbitrary(g) % 200),
                _ => Op::Descending(key(g), u16::arbitrary(g) % 200),
            }
        }
    }

    /// Checks the invariants and that the map reads as the model does.
    fn agrees(map: &SortedMap<u16, u32>, model: &BTreeMap<u16, u32>) -> bool {
        let cap = chunk_cap::<u16, u32>();
        let chunks_ok = map.chunks.iter().all(|c| !c.is_empty() && c.len() <= cap);
        let sorted = map.iter().zip(map.iter().skip(1)).all(|(a, b)| a.0 < b.0);
        let backwards: Vec<_> = map.iter().rev().collect();
        chunks_ok
            && sorted
            && map.len() == model.len()
            && map.iter().len() == model.len()
            && map.iter().eq(model.iter())
            && backwards.into_iter().eq(model.iter().rev())
            && (0..520u16).all(|k| map.get(&k) == model.get(&k))
            && (0..520u16)
                .step_by(37)
                .all(|k| map.iter_from(&k).eq(model.range(k..)))
            && (0..520u16).all(|k| map.floor(&k) == model.range(..=k).next_back())
            && (0..520u16).all(|k| map.contains_key(&k) == model.contains_key(&k))
            && map.last() == model.last_key_value()
    }

    quickcheck! {
        fn behaves_like_btreemap(ops: Vec<Op>) -> bool {
            let mut map = SortedMap::new();
            let mut model = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(k, v) => {
                        if map.insert(k, v) != model.insert(k, v) {
                            return false;
                        }
                    }
                    Op::Remove(k) => {
                        if map.remove(&k) != model.remove(&k) {
                            return false;
                        }
                    }
                    Op::Retain(m) => {
                        map.retain(|k, v| { *v = v.wrapping_add(1); k % m != 0 });
                        model.retain(|k, v| { *v = v.wrapping_add(1); k % m != 0 });
                    }
                    Op::Ascending(from, n) => {
                        for k in from..from.saturating_add(n) {
                            map.insert(k, u32::from(k));
                            model.insert(k, u32::from(k));
                        }
                    }
                    Op::Descending(from, n) => {
                        for k in (from.saturating_sub(n)..from).rev() {
                            map.insert(k, u32::from(k));
                            model.insert(k, u32::from(k));
                        }
                    }
                }
            }
            let mid = map.iter().len() / 2;
            let mut two_ends = map.iter();
            let front: Vec<_> = two_ends.by_ref().take(mid).collect();
            let back: Vec<_> = two_ends.rev().collect();
            let owned: Vec<_> = map.clone().into_iter().collect();
            agrees(&map, &model)
                && front.len() + back.len() == model.len()
                && owned.into_iter().eq(model.into_iter())
        }
    }

    #[test]
    fn equality_and_hash_ignore_chunking() {
        /// FNV-1a, enough to compare two hashes.
        struct Fnv(u64);
        impl Hasher for Fnv {
            fn finish(&self) -> u64 {
                self.0
            }
            fn write(&mut self, bytes: &[u8]) {
                for b in bytes {
                    self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
                }
            }
        }
        let hash_one = |m: &SortedMap<u16, u32>| {
            let mut h = Fnv(0xcbf2_9ce4_8422_2325);
            m.hash(&mut h);
            h.finish()
        };
        let mut built = Builder::new(3);
        let mut inserted = SortedMap::new();
        for k in 0..100u16 {
            built.push(k, u32::from(k));
        }
        for k in (0..100u16).step_by(2).rev().chain((1..100).step_by(2)) {
            inserted.insert(k, u32::from(k));
        }
        let built = built.finish();
        assert_ne!(built.chunks.len(), inserted.chunks.len());
        assert_eq!(built, inserted);
        assert_eq!(hash_one(&built), hash_one(&inserted));
    }

    #[test]
    fn sequential_inserts_fill_chunks() {
        let cap = chunk_cap::<u16, u32>();
        let mut up = SortedMap::new();
        let mut down = SortedMap::new();
        for k in 0..1000u16 {
            up.insert(k, 0u32);
            down.insert(999 - k, 0u32);
        }
        let full = 1000usize.div_ceil(cap);
        assert_eq!(up.chunks.len(), full);
        assert_eq!(down.chunks.len(), full);
    }

    #[test]
    fn removal_merges_sparse_chunks() {
        let mut map = SortedMap::new();
        for k in 0..1000u16 {
            map.insert(k, 0u32);
        }
        for k in 0..1000u16 {
            if k % 10 != 0 {
                map.remove(&k);
            }
        }
        let cap = chunk_cap::<u16, u32>();
        assert_eq!(map.len(), 100);
        assert!(
            map.chunks.len() <= 2 * 100usize.div_ceil(cap) + 1,
            "{}",
            map.chunks.len()
        );
    }
}
