//! The doorbell word: one 64-bit MMIO write to a queue's doorbell page is one request.
//!
//! | bits  | field | |
//! |-------|-------|---|
//! | 23:0  | count | numbers asked for, 1..=[`MAX_COUNT`] |
//! | 31:24 | reserved | must be zero |
//! | 47:32 | tag   | the host's cookie, returned in the completion |
//! | 63:48 | reserved | must be zero |
//!
//! A single write keeps the fast path to one posted PCIe TLP (no read, no lock). A word
//! that breaks these rules is dropped by the card and counted in `STAT_DROP_DOORBELL`;
//! [`Doorbell::encode`] refuses to build one, so only broken software can send it.

use crate::limits::MAX_COUNT;

/// A request as the host writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Doorbell {
    pub count: u32,
    pub tag: u16,
}

/// Bits that must be zero in a doorbell word.
pub const RESERVED_MASK: u64 = 0xFFFF_0000_FF00_0000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DoorbellError {
    #[error("count {0} is outside 1..={MAX_COUNT}")]
    Count(u32),
    #[error("reserved doorbell bits set: {0:#018x}")]
    Reserved(u64),
}

impl Doorbell {
    #[inline]
    pub fn encode(self) -> Result<u64, DoorbellError> {
        if self.count == 0 || self.count > MAX_COUNT {
            return Err(DoorbellError::Count(self.count));
        }
        Ok(self.count as u64 | (self.tag as u64) << 32)
    }

    /// Decodes a word exactly as the card judges it.
    #[inline]
    pub fn decode(word: u64) -> Result<Self, DoorbellError> {
        if word & RESERVED_MASK != 0 {
            return Err(DoorbellError::Reserved(word & RESERVED_MASK));
        }
        let count = (word & 0xFF_FFFF) as u32;
        if count == 0 {
            return Err(DoorbellError::Count(0));
        }
        Ok(Doorbell {
            count,
            tag: (word >> 32) as u16,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let d = Doorbell {
            count: MAX_COUNT,
            tag: 0xBEEF,
        };
        assert_eq!(Doorbell::decode(d.encode().unwrap()), Ok(d));
        assert_eq!(
            Doorbell { count: 0, tag: 1 }.encode(),
            Err(DoorbellError::Count(0))
        );
        assert_eq!(
            Doorbell {
                count: MAX_COUNT + 1,
                tag: 1
            }
            .encode(),
            Err(DoorbellError::Count(MAX_COUNT + 1))
        );
        assert_eq!(
            Doorbell::decode(1 << 63 | 1),
            Err(DoorbellError::Reserved(1 << 63))
        );
        assert_eq!(
            Doorbell::decode(1 << 24 | 1),
            Err(DoorbellError::Reserved(1 << 24))
        );
        assert_eq!(Doorbell::decode(0), Err(DoorbellError::Count(0)));
    }
}
