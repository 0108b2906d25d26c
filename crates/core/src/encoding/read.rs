//! Reading postcard payloads without serde: documents, standalone texts,
//! sync messages and cursors.
//!
//! serde's derived `Deserialize` impls go through a visitor per type and a
//! call per field, and pull postcard's deserializer and serde's error
//! formatting into the WebAssembly module. [`Decode`] reads the same bytes
//! with one small function per wire type, and accepts exactly what
//! postcard 1.x accepts (`docs/encoding.md` §2): varints of at most 5
//! (`u32`) or 10 (`u64`) bytes whose last byte fits the type, lengths as
//! postcard reads a `usize`, `bool` and `Option` tags of 0 or 1, UTF-8
//! strings. Any violation is [`DecodeError::Malformed`], as postcard's
//! errors are. The wire types keep serde's derives for writing (and, in
//! tests, for reading: the tests compare both readers on damaged
//! payloads).

use alloc::string::String;
use alloc::vec::Vec;

use super::bounded::BVec;
use crate::error::DecodeError;

type Result<T> = core::result::Result<T, DecodeError>;

/// The unread rest of a payload, read the way postcard 1.x reads it.
pub struct Reader<'a> {
    rest: &'a [u8],
}

/// `Malformed`, the one error of this module.
const BAD: DecodeError = DecodeError::Malformed;

impl<'a> Reader<'a> {
    /// A reader at the start of `payload`.
    pub fn new(payload: &'a [u8]) -> Self {
        Reader { rest: payload }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// One raw byte (a `u8`).
    #[inline]
    pub fn byte(&mut self) -> Result<u8> {
        let (&b, rest) = self.rest.split_first().ok_or(BAD)?;
        self.rest = rest;
        Ok(b)
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.rest.len() {
            return Err(BAD);
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(head)
    }

    /// A varint of at most `max` bytes whose last byte is at most `last`
    /// (postcard's `try_take_varint_*`).
    ///
    /// Natively the readers are inlined into each column's loop (a
    /// snapshot's columns are most of a load's decoding); the size build
    /// (`cfg(converge_size)`, WebAssembly) leaves that to the compiler.
    #[cfg_attr(not(converge_size), inline(always))]
    #[cfg_attr(converge_size, inline)]
    #[allow(clippy::arithmetic_side_effects)] // `i` is below 10
    fn varint(&mut self, max: u32, last: u8) -> Result<u64> {
        // Most values of a column fit one byte.
        if let Some((&b, rest)) = self.rest.split_first() {
            if b < 0x80 {
                self.rest = rest;
                return Ok(u64::from(b));
            }
        }
        let mut out = 0u64;
        for i in 0..max {
            let b = self.byte()?;
            out |= u64::from(b & 0x7F) << (7 * i);
            if b & 0x80 == 0 {
                if i + 1 == max && b > last {
                    return Err(BAD);
                }
                return Ok(out);
            }
        }
        Err(BAD)
    }

    /// A varint `u32`.
    #[cfg_attr(not(converge_size), inline(always))]
    #[cfg_attr(converge_size, inline)]
    pub fn u32(&mut self) -> Result<u32> {
        // Five bytes: 28 bits, then 4 in the last byte.
        self.varint(5, 0x0F).map(|v| v as u32)
    }

    /// A varint `u64`.
    #[cfg_attr(not(converge_size), inline(always))]
    #[cfg_attr(converge_size, inline)]
    pub fn u64(&mut self) -> Result<u64> {
        // Ten bytes: 63 bits, then 1 in the last byte.
        self.varint(10, 0x01)
    }

    /// A zigzag coded `i64`.
    #[cfg_attr(not(converge_size), inline(always))]
    #[cfg_attr(converge_size, inline)]
    pub fn i64(&mut self) -> Result<i64> {
        let v = self.u64()?;
        Ok(((v >> 1) as i64) ^ ((v & 1) as i64).wrapping_neg())
    }

    /// A length prefix, read as postcard reads a `usize` on this target.
    pub fn length(&mut self) -> Result<usize> {
        #[cfg(target_pointer_width = "64")]
        return self.u64().map(|v| v as usize);
        #[cfg(not(target_pointer_width = "64"))]
        return self.u32().map(|v| v as usize);
    }

    /// A `bool`: one byte, 0 or 1.
    pub fn bool(&mut self) -> Result<bool> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(BAD),
        }
    }

    /// A byte string: its length, then the bytes.
    pub fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.length()?;
        self.take(n)
    }

    /// A UTF-8 string: its length, then the bytes.
    pub fn str(&mut self) -> Result<&'a str> {
        core::str::from_utf8(self.bytes()?).map_err(|_| BAD)
    }

    /// An enum's variant index.
    pub fn variant(&mut self) -> Result<u32> {
        self.u32()
    }

    /// Room to reserve for `n` elements of `T` before reading them.
    fn room<T>(&self, n: usize) -> usize {
        match core::mem::size_of::<T>() <= 16 {
            true => n.min(self.rest.len()),
            false => 0,
        }
    }

    /// Reads a sequence: its length, then each element with `f`.
    /// Elements of at most 16 bytes are preallocated up to the bytes left
    /// (each takes at least one); larger ones grow as they are read, so
    /// memory stays proportional to the input.
    #[inline]
    pub fn seq<T>(&mut self, mut f: impl FnMut(&mut Self) -> Result<T>) -> Result<Vec<T>> {
        let n = self.length()?;
        let mut out = Vec::with_capacity(self.room::<T>(n));
        for _ in 0..n {
            out.push(f(self)?);
        }
        Ok(out)
    }
}

/// A wire type read straight from a payload.
pub trait Decode: Sized {
    /// Reads one value; any malformed input is [`DecodeError::Malformed`].
    fn decode(r: &mut Reader<'_>) -> Result<Self>;
}

/// `T` from a whole payload: bytes left over are `TrailingBytes`.
pub fn read_payload<T: Decode>(payload: &[u8]) -> Result<T> {
    let mut r = Reader::new(payload);
    let value = T::decode(&mut r)?;
    match r.remaining() {
        0 => Ok(value),
        _ => Err(DecodeError::TrailingBytes),
    }
}

/// `Decode` for a primitive through its `Reader` method.
macro_rules! primitive {
    ($($t:ty => $read:ident),* $(,)?) => {$(
        impl Decode for $t {
            #[cfg_attr(not(converge_size), inline(always))]
            #[cfg_attr(converge_size, inline)]
            fn decode(r: &mut Reader<'_>) -> Result<Self> {
                r.$read()
            }
        }
    )*};
}

primitive!(u8 => byte, u32 => u32, u64 => u64, i64 => i64, bool => bool);

impl Decode for String {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        r.str().map(String::from)
    }
}

impl<A: Decode, B: Decode> Decode for (A, B) {
    #[cfg_attr(not(converge_size), inline(always))]
    #[cfg_attr(converge_size, inline)]
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok((A::decode(r)?, B::decode(r)?))
    }
}

impl<A: Decode, B: Decode, C: Decode> Decode for (A, B, C) {
    #[cfg_attr(not(converge_size), inline(always))]
    #[cfg_attr(converge_size, inline)]
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        Ok((A::decode(r)?, B::decode(r)?, C::decode(r)?))
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        match r.byte()? {
            0 => Ok(None),
            1 => T::decode(r).map(Some),
            _ => Err(BAD),
        }
    }
}

impl<T: Decode> Decode for BVec<T> {
    /// In the size build this loop alone is compiled for speed: it is a
    /// load's column decoding.
    #[cfg_attr(converge_size, optimize(speed))]
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        r.seq(T::decode).map(BVec)
    }
}

#[cfg(not(target_family = "wasm"))]
impl<T: Decode, const N: usize> Decode for super::bounded::IVec<T, N> {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let n = r.length()?;
        let mut out = Self::with_capacity(r.room::<T>(n));
        for _ in 0..n {
            out.0.push(T::decode(r)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde::de::DeserializeOwned;

    /// Both readers agree on `payload`: the same error class or the same
    /// value (compared by its postcard encoding).
    pub(crate) fn agree<T>(payload: &[u8])
    where
        T: Decode + DeserializeOwned + serde::Serialize,
    {
        let ours = read_payload::<T>(payload);
        let theirs = super::super::columns::from_payload::<T>(payload);
        match (ours, theirs) {
            (Ok(a), Ok(b)) => assert_eq!(
                postcard::to_allocvec(&a).unwrap(),
                postcard::to_allocvec(&b).unwrap(),
                "payload {payload:02x?}"
            ),
            (Err(a), Err(b)) => assert_eq!(a, b, "payload {payload:02x?}"),
            (a, b) => panic!(
                "the readers disagree on {payload:02x?}: ours {:?}, postcard {:?}",
                a.err(),
                b.err()
            ),
        }
    }

    /// Varints at the limits of `u32` and `u64`, and a deterministic
    /// sample of up to 11 bytes, read as every type the payloads use.
    #[test]
    fn varints_are_read_as_postcard_reads_them() {
        let mut edges: Vec<Vec<u8>> = Vec::new();
        for last in [0x00, 0x01, 0x02, 0x0F, 0x10, 0x7F, 0x80] {
            for len in [5, 10, 11] {
                let mut v = alloc::vec![0xFF; len - 1];
                v.push(last);
                edges.push(v.clone());
                v.iter_mut().take(len - 1).for_each(|b| *b = 0x80);
                edges.push(v);
            }
        }
        for payload in &edges {
            agree::<u32>(payload);
            agree::<u64>(payload);
            agree::<i64>(payload);
            agree::<String>(payload);
        }
        let bytes = [0x00, 0x01, 0x02, 0x0F, 0x10, 0x7F, 0x80, 0x81, 0xFF];
        for len in 0..=11usize {
            // A deterministic sample of the 9^len combinations.
            for seed in 0..400u64 {
                let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ len as u64;
                let payload: Vec<u8> = (0..len)
                    .map(|_| {
                        s ^= s << 13;
                        s ^= s >> 7;
                        s ^= s << 17;
                        bytes[(s % bytes.len() as u64) as usize]
                    })
                    .collect();
                agree::<u32>(&payload);
                agree::<u64>(&payload);
                agree::<i64>(&payload);
                agree::<bool>(&payload);
                agree::<String>(&payload);
                agree::<Option<u8>>(&payload);
                agree::<BVec<u8>>(&payload);
                agree::<BVec<(u32, i64)>>(&payload);
            }
        }
    }

    /// Integer columns read as postcard reads them: runs of one-byte
    /// values broken by longer ones at every offset, lengths around
    /// multiples of eight, a count past the values there are, and damaged
    /// copies.
    #[test]
    fn integer_columns_are_read_as_postcard_reads_them() {
        let mut rng = converge_testkit::rng::Rng::new(29);
        for case in 0..400u64 {
            let n = (case % 40) as usize;
            let values: Vec<u64> = (0..n)
                .map(|_| match rng.below(10) {
                    0 => rng.below(1 << 20) as u64,
                    1 => rng.next_u64(),
                    _ => rng.below(128) as u64,
                })
                .collect();
            let small: Vec<u32> = values.iter().map(|&v| v as u32).collect();
            let signed: Vec<i64> = values.iter().map(|&v| v as i64 - 64).collect();
            for bytes in [
                postcard::to_allocvec(&values).unwrap(),
                postcard::to_allocvec(&small).unwrap(),
                postcard::to_allocvec(&signed).unwrap(),
            ] {
                let mut longer = bytes.clone();
                longer[0] = longer[0].wrapping_add(1) & 0x7F;
                for payload in [bytes.clone(), longer, rng.damage(&bytes)] {
                    agree::<BVec<u32>>(&payload);
                    agree::<BVec<u64>>(&payload);
                    agree::<BVec<i64>>(&payload);
                }
            }
        }
    }

    /// Cursors (`wasm`'s `Cursor.decode`) read as postcard reads them,
    /// whole and damaged.
    #[test]
    fn cursors_are_read_as_postcard_reads_them() {
        use crate::{Doc, ReplicaId, Side};
        let mut d = Doc::new(ReplicaId::new(u64::MAX - 3));
        d.transact().text("t").insert(0, "hello").unwrap();
        let t = d.root().text("t").unwrap();
        let mut rng = converge_testkit::rng::Rng::new(17);
        for (pos, side) in [(0, Side::Left), (2, Side::Right), (5, Side::Right)] {
            let bytes = postcard::to_allocvec(&t.cursor(pos, side)).unwrap();
            agree::<crate::Cursor>(&bytes);
            for _ in 0..200 {
                agree::<crate::Cursor>(&rng.damage(&bytes));
            }
        }
    }
}
