//! The Ethernet frame check sequence: CRC-32 (IEEE 802.3 clause 3.2.9).
//!
//! Polynomial 0x04C11DB7 processed LSB first (the reflected form 0xEDB88320), initial
//! value all ones, result complemented, and sent least significant byte first. This is
//! the CRC that every MAC, switch, tshark and Wireshark check, which is why seqfab's
//! frames carry it rather than a cheaper code.
//!
//! The gateware computes the same function as a parallel XOR network derived from
//! [`crc32`] by linearity (see `gateware::fabric::crc`), so this bytewise reference is
//! the single definition. The derivation itself, [`fcs_columns`] and [`fcs_of_zeros`],
//! is here too, for every XOR network that needs it (the card's `Fcs32`).

use crate::frame::FCS_COVERED_BYTES;
use std::sync::OnceLock;

/// Bits of a seqfab frame covered by the FCS (bytes 0..60, byte 0 in bits 7:0).
pub const FCS_COVERED_BITS: usize = FCS_COVERED_BYTES * 8;

const POLY_REFLECTED: u32 = 0xEDB8_8320;

const fn make_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                POLY_REFLECTED ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

static TABLE: [u32; 256] = make_table();

/// CRC-32 of `bytes` as the Ethernet FCS is computed (over destination MAC to end of
/// payload). Append the result with `to_le_bytes()`.
pub fn crc32(bytes: &[u8]) -> u32 {
    !crc32_update(!0u32, bytes)
}

/// The CRC register after `bytes`, starting from `state`, without the preset or the final
/// complement: `crc32(m) == !crc32_update(!0, m)`. The step a byte-serial CRC takes per
/// byte (the host bridge's decoder and encoder, `gateware::bridge::crc`); it is linear in
/// `(state, byte)` over GF(2), which is what lets the gateware derive its XOR network from
/// it.
pub fn crc32_update(state: u32, bytes: &[u8]) -> u32 {
    bytes.iter().fold(state, |c, &b| {
        TABLE[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8)
    })
}

/// `crc32` of the [`FCS_COVERED_BYTES`] zero bytes: the constant of the affine map.
pub fn fcs_of_zeros() -> u32 {
    crc32(&[0u8; FCS_COVERED_BYTES])
}

/// The FCS matrix: column `i` of the linear part of the FCS over a seqfab frame,
/// `crc32(e_i) ^ crc32(0)` for the message whose only set bit is bit `i` (byte `i / 8`,
/// bit `i % 8`, as the MAC beat carries it). For a fixed length the CRC is affine over
/// GF(2) (the preset and final complement are constants, the division step is linear),
/// so `crc32(m) = fcs_of_zeros() ^ XOR of the columns of m's set bits`.
/// [`FCS_COVERED_BITS`] columns, computed once.
pub fn fcs_columns() -> &'static [u32] {
    static COLUMNS: OnceLock<Vec<u32>> = OnceLock::new();
    COLUMNS.get_or_init(|| {
        let zero = fcs_of_zeros();
        (0..FCS_COVERED_BITS)
            .map(|i| {
                let mut e = [0u8; FCS_COVERED_BYTES];
                e[i / 8] = 1 << (i % 8);
                crc32(&e) ^ zero
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn the_matrix_reproduces_crc32() {
        // The linearity argument itself, on random messages and every single bit.
        let columns = fcs_columns();
        assert_eq!(columns.len(), FCS_COVERED_BITS);
        let by_matrix = |m: &[u8; FCS_COVERED_BYTES]| {
            (0..FCS_COVERED_BITS)
                .filter(|&i| m[i / 8] >> (i % 8) & 1 == 1)
                .fold(fcs_of_zeros(), |c, i| c ^ columns[i])
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for _ in 0..2000 {
            let mut m = [0u8; FCS_COVERED_BYTES];
            rng.fill(&mut m[..]);
            assert_eq!(by_matrix(&m), crc32(&m));
        }
        assert_eq!(
            by_matrix(&[0xFF; FCS_COVERED_BYTES]),
            crc32(&[0xFF; FCS_COVERED_BYTES])
        );
    }

    #[test]
    fn check_value_of_the_standard() {
        // The CRC-32/ISO-HDLC check value from the CRC catalogue: crc("123456789").
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn residue_over_frame_and_fcs_is_the_magic_constant() {
        // IEEE 802.3: the CRC over data followed by its FCS leaves the fixed residue
        // 0xDEBB20E3 (complemented form of 0xC704DD7B), which receivers may check.
        let data: Vec<u8> = (0u8..60).collect();
        let mut all = data.clone();
        all.extend_from_slice(&crc32(&data).to_le_bytes());
        assert_eq!(crc32(&all), 0x2144_DF1C);
    }
}
