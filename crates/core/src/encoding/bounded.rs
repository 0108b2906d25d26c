//! Sequence decoding that never allocates ahead of the input.
//!
//! serde's default `Vec` decoding preallocates from the length prefix (up to
//! 1 MiB). A hostile 10-byte blob could make every nested vector reserve
//! that much. `BVec` grows only as elements are actually decoded, and each
//! element consumes at least one input byte, so memory stays proportional to
//! the input.

use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;
use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[cfg(not(target_family = "wasm"))]
use crate::inline::Inline;

/// A vector that decodes without preallocating.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BVec<T>(pub Vec<T>);

impl<T> Default for BVec<T> {
    fn default() -> Self {
        BVec(Vec::new())
    }
}

impl<T: Serialize> Serialize for BVec<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for BVec<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = BVec<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }
            #[cfg_attr(converge_size, optimize(speed))]
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element()? {
                    out.push(item);
                }
                Ok(BVec(out))
            }
        }
        d.deserialize_seq(V(PhantomData))
    }
}

impl<T> From<Vec<T>> for BVec<T> {
    fn from(v: Vec<T>) -> Self {
        BVec(v)
    }
}

/// A [`BVec`] whose first `N` elements live inline outside WebAssembly
/// ([`crate::inline::Inline`]): the short columns of a keystroke's delta
/// (its replica table, context, dependencies and one run) then cost no
/// allocation to encode or to decode. Same wire form as a `Vec`.
#[cfg(not(target_family = "wasm"))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IVec<T, const N: usize>(pub(crate) Inline<[T; N]>);

#[cfg(not(target_family = "wasm"))]
impl<T, const N: usize> IVec<T, N> {
    /// Room for `n` elements (allocated only beyond `N` outside
    /// WebAssembly).
    pub(crate) fn with_capacity(n: usize) -> Self {
        IVec(Inline::<[T; N]>::with_capacity(n))
    }

    /// The elements in a `Vec` (no copy once they have spilled to the heap).
    pub(crate) fn into_vec(self) -> Vec<T> {
        self.0.into_vec()
    }
}

#[cfg(not(target_family = "wasm"))]
impl<T, const N: usize> Default for IVec<T, N> {
    fn default() -> Self {
        IVec(Inline::<[T; N]>::new())
    }
}

#[cfg(not(target_family = "wasm"))]
impl<T, const N: usize> From<Vec<T>> for IVec<T, N> {
    fn from(v: Vec<T>) -> Self {
        IVec(v.into())
    }
}

#[cfg(not(target_family = "wasm"))]
impl<T, const N: usize> FromIterator<T> for IVec<T, N> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        IVec(iter.into_iter().collect())
    }
}

#[cfg(not(target_family = "wasm"))]
impl<T: Serialize, const N: usize> Serialize for IVec<T, N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0[..].serialize(s)
    }
}

#[cfg(not(target_family = "wasm"))]
impl<'de, T: Deserialize<'de>, const N: usize> Deserialize<'de> for IVec<T, N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T, const N: usize>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for V<T, N> {
            type Value = IVec<T, N>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Inline::<[T; N]>::new();
                while let Some(item) = seq.next_element()? {
                    out.push(item);
                }
                Ok(IVec(out))
            }
        }
        d.deserialize_seq(V::<T, N>(PhantomData))
    }
}

/// In WebAssembly, a [`BVec`]: the inline vectors' code cost more of the
/// module's size than their allocations cost time there.
#[cfg(target_family = "wasm")]
pub(crate) type IVec<T, const N: usize> = BVec<T>;

impl<T> BVec<T> {
    /// The elements in a `Vec` (as `IVec::into_vec` does).
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }

    /// Room for `n` elements (as `IVec::with_capacity` gives).
    pub fn with_capacity(n: usize) -> Self {
        BVec(Vec::with_capacity(n))
    }
}

impl<T> FromIterator<T> for BVec<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        BVec(iter.into_iter().collect())
    }
}

/// A serde `with` module for byte vectors: postcard writes them as a length
/// and the raw bytes, and reads them only after checking the length against
/// the input.
pub mod bytes {
    use alloc::vec::Vec;
    use core::fmt;
    use serde::de::Visitor;
    use serde::{Deserializer, Serializer};

    /// Writes the bytes as a length and the raw bytes.
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    /// Reads bytes written by [`serialize`].
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
        }
        d.deserialize_byte_buf(V)
    }
}
