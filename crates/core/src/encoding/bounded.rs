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

/// A vector that decodes without preallocating.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct BVec<T>(pub Vec<T>);

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
