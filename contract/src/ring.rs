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
        b[0..8].copy_from_slice(&self.value.to_le_bytes());
        b[8..12].copy_from_slice(&self.count.to_le_bytes());
        b[12..16].copy_from_slice(&self.epoch.to_le_bytes());
        b[24..26].copy_from_slice(&self.tag.to_le_bytes());
        b[26] = self.status;
        b[31] = (self.phase as u8) << 7;
        b
    }

    pub fn decode(b: &[u8; ENTRY_BYTES]) -> Self {
        Completion {
            value: u64::from_le_bytes(b[0..8].try_into().expect("8 bytes")),
            count: u32::from_le_bytes(b[8..12].try_into().expect("4 bytes")),
            epoch: u32::from_le_bytes(b[12..16].try_into().expect("4 bytes")),
            tag: u16::from_le_bytes([b[24], b[25]]),
            status: b[26],
            phase: b[31] & 0x80 != 0,
        }
    }

    /// The phase bit an entry written on pass `pass` (0-based) over the ring carries.
    pub fn phase_of_pass(pass: u64) -> bool {
        pass & 1 == 0
    }
}

/// Where free-running ring index `index` lands in a ring of `2^log2` entries: its byte
/// offset in the ring, and the phase bit the entry written there carries.
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
    fn status_codes_follow_nack_reasons() {
        use crate::frame::NackReason;
        for r in NackReason::ALL {
            assert_eq!(Status::from_code(*r as u8).map(|s| s as u8), Some(*r as u8));
        }
    }
}
