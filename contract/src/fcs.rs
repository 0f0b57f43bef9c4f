//! The Ethernet frame check sequence: CRC-32 (IEEE 802.3 clause 3.2.9).
//!
//! Polynomial 0x04C11DB7 processed LSB first (the reflected form 0xEDB88320), initial
//! value all ones, result complemented, and sent least significant byte first. This is
//! the CRC that every MAC, switch, tshark and Wireshark check, which is why seqfab's
//! frames carry it rather than a cheaper code.
//!
//! The gateware computes the same function as a parallel XOR network derived from
//! [`crc32`] by linearity (see `gateware::fabric::crc`), so this bytewise reference is
//! the single definition.

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
    !bytes.iter().fold(!0u32, |c, &b| {
        TABLE[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
