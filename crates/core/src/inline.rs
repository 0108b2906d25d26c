//! Short vectors on hot paths: inline outside WebAssembly, plain inside.
//!
//! A delta of a few writers needs only a few replica ids, counters and
//! version-vector entries. Outside WebAssembly they live inline (a
//! `SmallVec` of the array type's length), so the keystroke path
//! allocates less (65 → 53 allocations a remote keystroke with the three
//! users of this alias). In the WebAssembly module the inline vectors'
//! code cost 1.2 KB gzipped, so there they are plain vectors.

/// A vector of `A`'s element type, inline up to `A`'s length outside
/// WebAssembly.
#[cfg(not(target_family = "wasm"))]
pub(crate) type Inline<A> = smallvec::SmallVec<A>;
/// A vector of `A`'s element type (a plain `Vec` in WebAssembly).
#[cfg(target_family = "wasm")]
pub(crate) type Inline<A> = alloc::vec::Vec<<A as smallvec::Array>::Item>;
