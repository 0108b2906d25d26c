//! CRC-32C (Castagnoli), the checksum of every blob.

/// The reflected Castagnoli polynomial.
const POLY: u32 = 0x82F6_3B78;

/// Inputs shorter than this are checked a nibble at a time (two lookups a
/// byte in the 64-byte [`NIBBLES`] table); longer ones build the
/// slicing-by-8 tables first (about 4,000 simple steps, which pay for
/// themselves from roughly a kilobyte on: a typical delta or sync message
/// stays on the nibble path). The big tables are built per call instead of
/// stored: as static data they were 8 KB of incompressible bytes, 3% of
/// the WebAssembly module gzipped.
const TABLE_MIN_LEN: usize = 1024;

/// `NIBBLES[n]`: the CRC register after shifting the four bits of `n`
/// out (computed at compile time).
const NIBBLES: [u32; 16] = {
    let mut table = [0u32; 16];
    let mut n = 0;
    while n < 16 {
        let mut crc = n as u32;
        let mut bit = 0;
        while bit < 4 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[n] = crc;
        n += 1;
    }
    table
};

#[allow(clippy::arithmetic_side_effects)] // bounded loops
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

/// Slicing-by-8 tables: `tables[k][b]` is the CRC of byte `b` followed by
/// `k` zero bytes, so eight input bytes are folded per step.
fn make_tables() -> [[u32; 256]; 8] {
    // Opaque to the optimizer, so that it builds the tables here instead
    // of storing them in the binary.
    let base = make_table(core::hint::black_box(POLY));
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
pub(crate) fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    if bytes.len() < TABLE_MIN_LEN {
        for &b in bytes {
            crc ^= u32::from(b);
            crc = (crc >> 4) ^ NIBBLES[(crc & 0xf) as usize];
            crc = (crc >> 4) ^ NIBBLES[(crc & 0xf) as usize];
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
    }

    #[test]
    fn slicing_matches_bytewise() {
        let table = super::make_table(super::POLY);
        let data: alloc::vec::Vec<u8> = (0..1100u32).map(|i| (i * 31 + 7) as u8).collect();
        for len in [
            0, 1, 7, 8, 9, 63, 64, 65, 255, 256, 257, 999, 1023, 1024, 1025, 1100,
        ] {
            let mut crc = !0u32;
            for &b in &data[..len] {
                crc = table[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
            }
            assert_eq!(super::crc32c(&data[..len]), !crc, "length {len}");
        }
    }
}
