//! CRC-32C (Castagnoli), the checksum of every blob.
//!
//! With the `std` feature the `crc32c` crate computes it, with the
//! processor's CRC-32C instruction where it has one (SSE 4.2 on x86-64,
//! about 20 times the speed of the tables below). Without `std` (the
//! `no_std` core, WebAssembly) the table-driven [`software`] code does;
//! both give the same checksums (tested).

/// The reflected Castagnoli polynomial.
const POLY: u32 = 0x82F6_3B78;

/// Inputs shorter than this are checked a byte at a time ([`byte_step`]);
/// longer ones build the slicing-by-8 tables first (about 2,000 simple
/// steps, which pay for themselves from roughly a kilobyte on: a typical
/// delta or sync message stays on the byte path). The big tables are
/// built per call instead of stored: as static data they were 8 KB of
/// incompressible bytes, 3% of the WebAssembly module gzipped.
const TABLE_MIN_LEN: usize = 1024;

/// The CRC register `crc` after shifting `bits` bits out.
#[allow(clippy::arithmetic_side_effects)] // `bit < bits`
const fn shift_out(mut crc: u32, bits: u32) -> u32 {
    let mut bit = 0;
    while bit < bits {
        crc = if crc & 1 != 0 {
            (crc >> 1) ^ POLY
        } else {
            crc >> 1
        };
        bit += 1;
    }
    crc
}

/// `table[i]`: the register `i` after shifting `bits` bits out.
#[allow(clippy::arithmetic_side_effects)] // `i < N`
const fn table<const N: usize>(bits: u32) -> [u32; N] {
    let mut table = [0u32; N];
    let mut i = 0;
    while i < N {
        table[i] = shift_out(i as u32, bits);
        i += 1;
    }
    table
}

/// `NIBBLES[n]`: the register `n` after shifting its four bits out.
const NIBBLES: [u32; 16] = table(4);

/// `BYTES[b]`: the register `b` after shifting its eight bits out. Outside
/// WebAssembly only: one lookup a byte in 1 KB of table (the checksums
/// of small deltas took 8% of a concurrent replay a nibble at a time, 5%
/// a byte at a time); in WebAssembly the module's size wins.
#[cfg(not(target_family = "wasm"))]
const BYTES: [u32; 256] = table(8);

/// Four bits of input folded into the register (the input already
/// xored in).
#[cfg_attr(not(any(test, target_family = "wasm")), allow(dead_code))]
fn nibble_step(crc: u32) -> u32 {
    (crc >> 4) ^ NIBBLES[(crc & 0xf) as usize]
}

/// The register after the input byte `b`.
fn byte_step(crc: u32, b: u8) -> u32 {
    #[cfg(not(target_family = "wasm"))]
    return BYTES[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    #[cfg(target_family = "wasm")]
    return nibble_step(nibble_step(crc ^ u32::from(b)));
}

/// Slicing-by-8 tables: `tables[k][b]` is the CRC of byte `b` followed by
/// `k` zero bytes, so eight input bytes are folded per step.
fn make_tables() -> [[u32; 256]; 8] {
    // Opaque to the optimizer, so that it builds the tables here instead
    // of storing them in the binary.
    let zero = core::hint::black_box(0u32);
    let mut base = [0u32; 256];
    for (b, entry) in base.iter_mut().enumerate() {
        *entry = byte_step(zero, b as u8);
    }
    let mut tables = [[0u32; 256]; 8];
    let mut prev = base;
    for table in tables.iter_mut() {
        *table = prev;
        for entry in prev.iter_mut() {
            *entry = (*entry >> 8) ^ base[(*entry & 0xff) as usize];
        }
    }
    tables
}

/// The CRC-32C of `bytes`.
#[cfg(feature = "std")]
pub(crate) fn crc32c(bytes: &[u8]) -> u32 {
    ::crc32c::crc32c(bytes)
}

/// The CRC-32C of `bytes`.
#[cfg(not(feature = "std"))]
pub(crate) fn crc32c(bytes: &[u8]) -> u32 {
    software(bytes)
}

/// The CRC-32C of `bytes`, from tables (what builds without `std` use).
#[cfg_attr(feature = "std", allow(dead_code))] // tested against the crate
fn software(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    if bytes.len() < TABLE_MIN_LEN {
        for &b in bytes {
            crc = byte_step(crc, b);
        }
        return !crc;
    }
    let t = &make_tables();
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let lo = u32::from_le_bytes([c[0], c[1], c[2], c[3]]) ^ crc;
        let hi = u32::from_le_bytes([c[4], c[5], c[6], c[7]]);
        crc = t[7][(lo & 0xff) as usize]
            ^ t[6][((lo >> 8) & 0xff) as usize]
            ^ t[5][((lo >> 16) & 0xff) as usize]
            ^ t[4][(lo >> 24) as usize]
            ^ t[3][(hi & 0xff) as usize]
            ^ t[2][((hi >> 8) & 0xff) as usize]
            ^ t[1][((hi >> 16) & 0xff) as usize]
            ^ t[0][(hi >> 24) as usize];
    }
    for &b in chunks.remainder() {
        crc = t[0][((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_vector() {
        // The standard check value of CRC-32C.
        assert_eq!(super::crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(super::software(b"123456789"), 0xE306_9283);
    }

    /// The checksum a build with `std` computes (the `crc32c` crate) is
    /// the one builds without it compute, at every length and alignment.
    #[test]
    fn both_ways_agree() {
        let data: alloc::vec::Vec<u8> = (0..5000u32).map(|i| (i * 131 + i / 7) as u8).collect();
        for start in 0..9 {
            for len in (0..2100).step_by(37).chain([4000, 4991 - start]) {
                let bytes = &data[start..start + len];
                assert_eq!(
                    super::crc32c(bytes),
                    super::software(bytes),
                    "{start} {len}"
                );
            }
        }
    }

    /// Bit by bit, as the polynomial defines it.
    fn make_table(poly: u32) -> [u32; 256] {
        let mut table = [0u32; 256];
        for (i, entry) in table.iter_mut().enumerate() {
            let mut crc = i as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ poly
                } else {
                    crc >> 1
                };
            }
            *entry = crc;
        }
        table
    }

    #[cfg(not(target_family = "wasm"))]
    #[test]
    fn the_byte_table_is_the_polynomials() {
        assert_eq!(super::BYTES, make_table(super::POLY));
    }

    /// WebAssembly's two nibble steps fold a byte as the table does.
    #[cfg(not(target_family = "wasm"))]
    #[test]
    fn nibble_steps_match_the_byte_table() {
        let mut crc = 0x1234_5678u32;
        for b in 0..=255u8 {
            for reg in [0, !0, crc] {
                let by_nibbles = super::nibble_step(super::nibble_step(reg ^ u32::from(b)));
                assert_eq!(by_nibbles, super::byte_step(reg, b), "{reg:x} {b}");
            }
            crc = crc.rotate_left(5) ^ u32::from(b);
        }
    }

    #[test]
    fn slicing_matches_bytewise() {
        let table = make_table(super::POLY);
        let data: alloc::vec::Vec<u8> = (0..1100u32).map(|i| (i * 31 + 7) as u8).collect();
        for len in [
            0, 1, 7, 8, 9, 63, 64, 65, 255, 256, 257, 999, 1023, 1024, 1025, 1100,
        ] {
            let mut crc = !0u32;
            for &b in &data[..len] {
                crc = table[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
            }
            assert_eq!(super::software(&data[..len]), !crc, "length {len}");
        }
    }
}
