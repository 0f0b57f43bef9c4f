//! The state mirror: 32 bytes in host memory at `MIRROR_ADDR`, kept up to date by DMA.
//!
//! The primary mirrors its counter and the secondary its stored value (DESIGN.md 1,
//! "Storage") so the management process can read them from host memory when the card
//! itself is gone. The secondary issues the mirror write of a range before that range's
//! RSP leaves the card (I3). Writes are coalesced: the card writes the newest values
//! whenever they changed and the DMA port is free; each field only grows within an epoch.
//!
//! | bytes  | field |
//! |--------|-------|
//! | 0..8   | counter (next number the primary will issue) |
//! | 8..16  | stored (end of the highest range the secondary stored) |
//! | 16..24 | limit |
//! | 24..28 | epoch |
//! | 28..32 | sequence: counts mirror writes, so a reader sees progress |

pub const MIRROR_BYTES: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Mirror {
    pub counter: u64,
    pub stored: u64,
    pub limit: u64,
    pub epoch: u32,
    pub sequence: u32,
}

/// Bit offsets of the fields in the 256-bit DMA beat.
pub mod bit {
    pub const COUNTER: usize = 0;
    pub const STORED: usize = 64;
    pub const LIMIT: usize = 128;
    pub const EPOCH: usize = 192;
    pub const SEQUENCE: usize = 224;
}

impl Mirror {
    pub fn decode(b: &[u8; MIRROR_BYTES]) -> Self {
        let le64 = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
        let le32 = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
        Mirror {
            counter: le64(0),
            stored: le64(8),
            limit: le64(16),
            epoch: le32(24),
            sequence: le32(28),
        }
    }

    pub fn encode(&self) -> [u8; MIRROR_BYTES] {
        let mut b = [0u8; MIRROR_BYTES];
        b[0..8].copy_from_slice(&self.counter.to_le_bytes());
        b[8..16].copy_from_slice(&self.stored.to_le_bytes());
        b[16..24].copy_from_slice(&self.limit.to_le_bytes());
        b[24..28].copy_from_slice(&self.epoch.to_le_bytes());
        b[28..32].copy_from_slice(&self.sequence.to_le_bytes());
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_offsets() {
        let m = Mirror {
            counter: 10,
            stored: 9,
            limit: 1 << 40,
            epoch: 2,
            sequence: 77,
        };
        let b = m.encode();
        assert_eq!(Mirror::decode(&b), m);
        assert_eq!(b[bit::STORED / 8], 9);
        assert_eq!(b[bit::SEQUENCE / 8], 77);
    }
}
