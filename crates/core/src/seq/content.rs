//! What the visible items of a sequence hold: characters of a text or
//! values of a list. Deleted items hold nothing.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Debug;

/// How positions in a text are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Unicode scalar values (Rust `char`s). The native unit.
    Char,
    /// UTF-16 code units (JavaScript string indices, most editors).
    Utf16,
    /// UTF-8 bytes (Rust `str` indices).
    Utf8,
}

/// Sizes of some content in the secondary units.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct Weight {
    pub(crate) u16: u32,
    pub(crate) u8: u32,
}

/// The content of consecutive visible items.
pub(crate) trait Content: Clone + Default + PartialEq + Debug {
    /// Number of items.
    fn items(&self) -> usize;
    /// Size in secondary units.
    fn weight(&self) -> Weight;
    /// Inserts `other` before item `at`. `dense`: every item is one unit
    /// wide (an ASCII text), so item and unit positions coincide.
    fn insert(&mut self, at: usize, other: &Self, dense: bool);
    /// Removes items `at .. at + n`, returning their weight.
    fn discard(&mut self, at: usize, n: usize, dense: bool) -> Weight;
    /// Splits off items `at ..`.
    fn split_off(&mut self, at: usize) -> Self;
    /// Appends `other`.
    fn append(&mut self, other: &Self) {
        self.insert(self.items(), other, false);
    }
    /// Cuts into consecutive pieces of `lens` items.
    fn cut(&self, lens: &[usize]) -> Vec<Self>;
    /// Whether item `i` of `self` equals item `j` of `other`.
    fn same_item(&self, i: usize, other: &Self, j: usize) -> bool;
    /// The item index at or after `pos` units (for text units).
    fn item_at_unit(&self, pos: usize, unit: Unit) -> usize;
    /// Units before item `at`.
    fn unit_at_item(&self, at: usize, unit: Unit) -> usize;
}

/// Characters of a text.
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub(crate) struct TextBuf(pub(crate) String);

fn byte_of(s: &str, item: usize) -> usize {
    if item == 0 {
        return 0;
    }
    // ASCII prefixes (most text) map characters to bytes one to one.
    if item <= s.len() && s.as_bytes()[..item].is_ascii() {
        return item;
    }
    match s.char_indices().nth(item) {
        Some((b, _)) => b,
        None => s.len(),
    }
}

impl TextBuf {
    pub(crate) fn chars(&self) -> usize {
        if self.0.is_ascii() {
            self.0.len()
        } else {
            self.0.chars().count()
        }
    }
}

impl Content for TextBuf {
    fn items(&self) -> usize {
        self.chars()
    }

    fn weight(&self) -> Weight {
        if self.0.is_ascii() {
            return Weight {
                u16: self.0.len() as u32,
                u8: self.0.len() as u32,
            };
        }
        // Every char is one UTF-16 unit but those of four UTF-8 bytes
        // (lead byte 0xF0 or above), which are two: counted bytewise.
        let four_byte = self.0.bytes().filter(|&b| b >= 0xF0).count();
        Weight {
            u16: (self.chars() + four_byte) as u32,
            u8: self.0.len() as u32,
        }
    }

    fn insert(&mut self, at: usize, other: &Self, dense: bool) {
        let b = if dense { at } else { byte_of(&self.0, at) };
        self.0.insert_str(b, &other.0);
    }

    fn discard(&mut self, at: usize, n: usize, dense: bool) -> Weight {
        let (b, e) = if dense {
            (at, at + n)
        } else {
            let b = byte_of(&self.0, at);
            (b, b + byte_of(&self.0[b..], n))
        };
        let w = Weight {
            u16: self.0[b..e].chars().map(char::len_utf16).sum::<usize>() as u32,
            u8: (e - b) as u32,
        };
        self.0.replace_range(b..e, "");
        w
    }

    fn split_off(&mut self, at: usize) -> Self {
        let b = byte_of(&self.0, at);
        TextBuf(self.0.split_off(b))
    }

    fn append(&mut self, other: &Self) {
        self.0.push_str(&other.0);
    }

    fn same_item(&self, i: usize, other: &Self, j: usize) -> bool {
        let a = self.0.chars().nth(i);
        a.is_some() && a == other.0.chars().nth(j)
    }

    fn cut(&self, lens: &[usize]) -> Vec<Self> {
        let mut out = Vec::with_capacity(lens.len());
        if self.0.is_ascii() {
            // One byte a character: cut by bytes, without a scan.
            let mut start = 0usize;
            for &n in lens {
                let end = start.saturating_add(n).min(self.0.len());
                out.push(TextBuf(String::from(&self.0[start..end])));
                start = end;
            }
            return out;
        }
        let mut it = self.0.char_indices();
        let mut start = 0;
        for &n in lens {
            let end = if n == 0 {
                start
            } else {
                it.nth(n - 1);
                it.clone().next().map_or(self.0.len(), |(b, _)| b)
            };
            out.push(TextBuf(String::from(&self.0[start..end])));
            start = end;
        }
        out
    }

    fn item_at_unit(&self, pos: usize, unit: Unit) -> usize {
        let mut acc = 0;
        for (i, c) in self.0.chars().enumerate() {
            if acc >= pos {
                return i;
            }
            acc += match unit {
                Unit::Char => 1,
                Unit::Utf16 => c.len_utf16(),
                Unit::Utf8 => c.len_utf8(),
            };
        }
        self.chars()
    }

    fn unit_at_item(&self, at: usize, unit: Unit) -> usize {
        self.0
            .chars()
            .take(at)
            .map(|c| match unit {
                Unit::Char => 1,
                Unit::Utf16 => c.len_utf16(),
                Unit::Utf8 => c.len_utf8(),
            })
            .sum()
    }
}

/// Values of a list.
#[derive(Clone, PartialEq, Debug)]
pub(crate) struct ListBuf<V>(pub(crate) Vec<V>);

impl<V> Default for ListBuf<V> {
    fn default() -> Self {
        ListBuf(Vec::new())
    }
}

impl<V: Clone + PartialEq + Debug> Content for ListBuf<V> {
    fn items(&self) -> usize {
        self.0.len()
    }

    fn weight(&self) -> Weight {
        Weight::default()
    }

    fn insert(&mut self, at: usize, other: &Self, _dense: bool) {
        let tail = self.0.split_off(at);
        self.0.extend_from_slice(&other.0);
        self.0.extend(tail);
    }

    fn discard(&mut self, at: usize, n: usize, _dense: bool) -> Weight {
        self.0.drain(at..at + n);
        Weight::default()
    }

    fn split_off(&mut self, at: usize) -> Self {
        ListBuf(self.0.split_off(at))
    }

    fn same_item(&self, i: usize, other: &Self, j: usize) -> bool {
        let a = self.0.get(i);
        a.is_some() && a == other.0.get(j)
    }

    fn cut(&self, lens: &[usize]) -> Vec<Self> {
        let mut out = Vec::with_capacity(lens.len());
        let mut start = 0;
        for &n in lens {
            out.push(ListBuf(self.0[start..start + n].to_vec()));
            start += n;
        }
        out
    }

    fn item_at_unit(&self, pos: usize, _unit: Unit) -> usize {
        pos.min(self.0.len())
    }

    fn unit_at_item(&self, at: usize, _unit: Unit) -> usize {
        at
    }
}
