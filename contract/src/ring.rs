//! The completion ring: one per queue, in host memory, written by the card's DMA.
//!
//! An entry is 32 bytes, written by one 256-bit DMA beat (one PCIe TLP), so the host never
//! sees half an entry from the card's side; it still reads the phase bit first and fences
//! (`Acquire`) before the rest (STYLE.md rule 4).
//!
//! | bytes  | field  | |
//! |--------|--------|---|
//! | 0..8   | value  | first number of the range |
//! | 8..12  | count  | numbers in the range (as requested) |
//! | 12..16 | epoch  | epoch of the configuration that issued the range |
//! | 16..24 | reserved | zero |
//! | 24..26 | tag    | the doorbell's tag |
//! | 26     | status | [`Status`] |
//! | 27..31 | reserved | zero |
//! | 31 bit 7 | phase | 1 on the ring's first pass, flipping on every wrap |
//!
//! The phase bit sits in the entry's last byte so a consumer spinning on one cache line
//! sees it flip when the entry lands. The ring starts zeroed by the host; entry `i` of
//! pass `p` carries phase `!(p & 1)`, so a zeroed slot never looks complete. The host must
//! keep at most `ring size` requests outstanding per queue: the card does not read a head
//! pointer (one less PCIe read on the hot path).

/// Bytes of one ring entry.
pub const ENTRY_BYTES: usize = 32;
/// Bits of the DMA write data bus: one entry (or one state mirror) per beat.
pub const DMA_DATA_BITS: usize = ENTRY_BYTES * 8;
/// Bit of the 256-bit entry that holds the phase.
pub const PHASE_BIT: usize = 255;

/// Completion status codes. Codes 1..=7 are the [`crate::frame::NackReason`] codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Status {
    Ok = 0,
    NotPrimary = 1,
    StaleEpoch = 2,
    LimitReached = 3,
    WouldWrap = 4,
    Busy = 5,
    NotSecondary = 6,
    /// The primary or the secondary holds no lease (a side cut off from a quorum).
    NoLease = 7,
    /// No response after `MAX_RETRIES` re-issues, each after `REQUEST_TIMEOUT` cycles.
    Timeout = 16,
    /// The card has no configuration (epoch 0) or is not enabled.
    NotConfigured = 17,
}

impl Status {
    pub const ALL: &'static [Status] = &[
        Status::Ok,
        Status::NotPrimary,
        Status::StaleEpoch,
        Status::LimitReached,
        Status::WouldWrap,
        Status::Busy,
        Status::NotSecondary,
        Status::NoLease,
        Status::Timeout,
        Status::NotConfigured,
    ];
    /// The status with wire code `code` (a match, not a search: it is on the request
    /// function's fast path).
    #[inline]
    pub fn from_code(code: u8) -> Option<Status> {
        Some(match code {
            0 => Status::Ok,
            1 => Status::NotPrimary,
            2 => Status::StaleEpoch,
            3 => Status::LimitReached,
            4 => Status::WouldWrap,
            5 => Status::Busy,
            6 => Status::NotSecondary,
            7 => Status::NoLease,
            16 => Status::Timeout,
            17 => Status::NotConfigured,
            _ => return None,
        })
    }
}

/// One decoded ring entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completion {
    pub value: u64,
    pub count: u32,
    pub epoch: u32,
    pub tag: u16,
    pub status: u8,
    pub phase: bool,
}

impl Completion {
    pub fn encode(&self) -> [u8; ENTRY_BYTES] {
        let mut b = [0u8; ENTRY_BYTES];
        for (chunk, w) in b.chunks_exact_mut(8).zip(self.to_words()) {
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        b
    }

    pub fn decode(b: &[u8; ENTRY_BYTES]) -> Self {
        let w = |k: usize| u64::from_le_bytes(b[8 * k..8 * k + 8].try_into().expect("8 bytes"));
        Completion::from_words(&[w(0), w(1), w(2), w(3)])
    }

    /// The entry as the four little-endian 64-bit words of its DMA beat (the table
    /// above, word `k` = bytes `8k..8k+8`): what a host reads and a device model writes
    /// with four 64-bit accesses instead of 32 byte moves. Word 3 holds the tag, the
    /// status and, in bit 63, the phase: the word a consumer reads first.
    #[inline]
    pub fn to_words(&self) -> [u64; 4] {
        [
            self.value,
            self.count as u64 | (self.epoch as u64) << 32,
            0,
            self.tag as u64 | (self.status as u64) << 16 | (self.phase as u64) << 63,
        ]
    }

    /// The entry from the words of [`Completion::to_words`] (the reserved ones ignored).
    #[inline]
    pub fn from_words(w: &[u64; 4]) -> Self {
        Completion {
            value: w[0],
            count: w[1] as u32,
            epoch: (w[1] >> 32) as u32,
            tag: w[3] as u16,
            status: (w[3] >> 16) as u8,
            phase: Completion::phase_in_word3(w[3]),
        }
    }

    /// The phase bit, from word 3 of the entry ([`Completion::to_words`]).
    #[inline]
    pub fn phase_in_word3(w3: u64) -> bool {
        w3 >> 63 != 0
    }

    /// The phase bit an entry written on pass `pass` (0-based) over the ring carries.
    #[inline]
    pub fn phase_of_pass(pass: u64) -> bool {
        pass & 1 == 0
    }
}

/// Where free-running ring index `index` lands in a ring of `2^log2` entries: its byte
/// offset in the ring, and the phase bit the entry written there carries.
#[inline]
pub fn position(index: u64, log2: u32) -> (u64, bool) {
    let slot = index & ((1u64 << log2) - 1);
    (
        slot * ENTRY_BYTES as u64,
        Completion::phase_of_pass(index >> log2),
    )
}

/// Bit offsets of the fields inside the 256-bit DMA beat (byte 0 in bits 7:0).
pub mod bit {
    pub const VALUE: usize = 0;
    pub const COUNT: usize = 64;
    pub const EPOCH: usize = 96;
    pub const TAG: usize = 192;
    pub const STATUS: usize = 208;
    pub const PHASE: usize = super::PHASE_BIT;
}

#[cfg(test)]
mod status_tests {
    use super::Status;

    #[test]
    fn every_status_round_trips_and_no_other_code_decodes() {
        for s in Status::ALL {
            assert_eq!(Status::from_code(*s as u8), Some(*s));
        }
        let known = (0..=255u8)
            .filter(|c| Status::from_code(*c).is_some())
            .count();
        assert_eq!(known, Status::ALL.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_phase_position() {
        let c = Completion {
            value: u64::MAX - 5,
            count: 7,
            epoch: 3,
            tag: 0x1234,
            status: 0,
            phase: true,
        };
        let b = c.encode();
        assert_eq!(Completion::decode(&b), c);
        assert_eq!(b[31], 0x80);
        assert_eq!(b[bit::TAG / 8], 0x34);
        assert_eq!(b[bit::STATUS / 8], 0);
        assert!(Completion::phase_of_pass(0) && !Completion::phase_of_pass(1));
        assert!(
            !Completion::decode(&[0u8; ENTRY_BYTES]).phase,
            "a zeroed slot is not complete"
        );
    }

    #[test]
    fn the_words_are_the_bytes_of_the_beat() {
        let c = Completion {
            value: 0x0102_0304_0506_0708,
            count: 0x00AB_CDEF,
            epoch: 0x0012_3456,
            tag: 0xBEEF,
            status: Status::NoLease as u8,
            phase: true,
        };
        let b = c.encode();
        let w = c.to_words();
        for k in 0..4 {
            assert_eq!(w[k].to_le_bytes(), b[8 * k..8 * k + 8], "word {k}");
        }
        assert_eq!(Completion::from_words(&w), c);
        assert!(Completion::phase_in_word3(w[3]));
        assert_eq!(b[bit::STATUS / 8], Status::NoLease as u8);
    }

    #[test]
    fn status_codes_follow_nack_reasons() {
        use crate::frame::NackReason;
        for r in NackReason::ALL {
            assert_eq!(Status::from_code(*r as u8).map(|s| s as u8), Some(*r as u8));
        }
    }
}
