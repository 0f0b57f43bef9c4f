//! The fabric frame (DESIGN.md section 3).
//!
//! Every seqfab frame is exactly one minimum-size Ethernet II frame: 64 bytes on the wire
//! from destination MAC to FCS (preamble and SFD are the PHY's). Fixed size keeps the
//! gateware's framer and deframer to one beat of the 512-bit MAC boundary and makes
//! "wrong length" a single comparison.
//!
//! | bytes  | field        | notes |
//! |--------|--------------|-------|
//! | 0..6   | dst MAC      | [`crate::mac::node_mac`] of `dst` |
//! | 6..12  | src MAC      | [`crate::mac::node_mac`] of `src` |
//! | 12..14 | EtherType    | [`ETHERTYPE`], big-endian as Ethernet sends it |
//! | 14     | version      | [`FRAME_VERSION`] |
//! | 15     | type         | [`FrameType`] |
//! | 16     | reason       | [`NackReason`] for NACK; 0 = applied / non-zero = refused for CONFIG_ACK |
//! | 17     | src node     | sender's node id |
//! | 18     | dst node     | receiver's node id, 0xFF broadcast |
//! | 19     | origin node  | the card that originated the request (REQ/FWD/RSP/NACK) |
//! | 20..24 | epoch        | sender's epoch (NACK echoes the epoch of the frame it answers) |
//! | 24..26 | tag          | originator's batch tag (REQ/FWD/RSP/NACK) |
//! | 26..28 | reserved     | zero |
//! | 28..32 | count        | numbers asked for / granted; CONFIG: [`ConfigWord`]; STATE_REPLY: [`StateWord`] |
//! | 32..40 | value        | first number of the range; CONFIG: new counter; STATE_REPLY: counter; NACK: responder's epoch; HEARTBEAT: the nodes the sender hears (`LIVE_X \| LIVE_Y`, docs/leases.md) |
//! | 40..48 | aux          | CONFIG: new limit; STATE_REPLY: stored value |
//! | 48..56 | extra        | STATE_REPLY: limit |
//! | 56..60 | padding      | zero on send, ignored on receive |
//! | 60..64 | FCS          | [`crate::fcs::crc32`] of bytes 0..60, least significant byte first |
//!
//! Multi-byte payload fields are little-endian: the MAC boundary puts byte 0 in bits 7:0
//! of the beat, so each field is one contiguous bit slice in the gateware
//! ([`bit_offset`]). The Ethernet header stays in network order as the standard requires.

use crate::fcs::crc32;
use crate::mac::{mac_node, node_mac};

/// Bytes of one frame on the wire, FCS included (IEEE 802.3 minimum frame).
pub const FRAME_BYTES: usize = 64;
/// Bytes covered by the FCS.
pub const FCS_COVERED_BYTES: usize = FRAME_BYTES - 4;
/// IEEE 802 "Local Experimental EtherType 1" (IEEE Std 802, clause 9.2.2): reserved for
/// exactly this kind of private protocol, so it collides with no registered one.
pub const ETHERTYPE: u16 = 0x88B5;
/// Protocol version carried in every frame; receivers drop other versions.
pub const FRAME_VERSION: u8 = 1;

/// Byte offsets of the frame fields (see the module table).
pub mod offset {
    pub const DST_MAC: usize = 0;
    pub const SRC_MAC: usize = 6;
    pub const ETHERTYPE: usize = 12;
    pub const VERSION: usize = 14;
    pub const TYPE: usize = 15;
    pub const REASON: usize = 16;
    pub const SRC: usize = 17;
    pub const DST: usize = 18;
    pub const ORIGIN: usize = 19;
    pub const EPOCH: usize = 20;
    pub const TAG: usize = 24;
    pub const COUNT: usize = 28;
    pub const VALUE: usize = 32;
    pub const AUX: usize = 40;
    pub const EXTRA: usize = 48;
    pub const FCS: usize = 60;
    /// The node id octet inside the destination and source MACs.
    pub const DST_MAC_NODE: usize = DST_MAC + 5;
    pub const SRC_MAC_NODE: usize = SRC_MAC + 5;
}

/// Bit offset of a byte offset inside the 512-bit MAC beat (byte 0 in bits 7:0).
pub const fn bit_offset(byte_offset: usize) -> usize {
    byte_offset * 8
}

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $n:expr),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum $name { $($(#[$vm])* $v = $n),+ }
        impl $name {
            /// Every variant, in wire-code order.
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            /// The variant with wire code `code`, if any.
            pub fn from_code(code: u8) -> Option<Self> {
                match code { $($n => Some($name::$v),)+ _ => None }
            }
        }
    };
}

wire_enum!(
    /// Frame types (DESIGN.md section 3).
    FrameType {
        /// Originator -> primary: give me `count` numbers for batch `tag`.
        Req = 1,
        /// Primary -> secondary: range `[value, value+count)` issued for `origin`/`tag`; store it.
        Fwd = 2,
        /// Secondary -> originator: range stored; deliver it.
        Rsp = 3,
        /// Primary or secondary -> originator: request refused, `reason` says why.
        Nack = 4,
        /// Broadcast every heartbeat period on both planes; feeds liveness tracking, and
        /// its `value` (whom the sender hears) feeds the receivers' leases.
        Heartbeat = 5,
        /// Management -> card: roles, epoch, counter and limit.
        Config = 6,
        /// Card -> management: CONFIG applied (reason 0) or refused, with the card's state.
        ConfigAck = 7,
        /// Management -> card: report your state (accepted in any epoch).
        StateQuery = 8,
        /// Card -> management: epoch, roles, counter, stored value, limit.
        StateReply = 9,
    }
);

wire_enum!(
    /// Why a request was refused (the NACK `reason` byte).
    NackReason {
        /// The REQ reached a card that is not the primary of its epoch.
        NotPrimary = 1,
        /// The REQ carried another epoch than the primary's.
        StaleEpoch = 2,
        /// `counter + count` would pass the limit the management process set.
        LimitReached = 3,
        /// `counter + count` would pass 2^64: numbers never wrap.
        WouldWrap = 4,
        /// The responder could not take the request now.
        Busy = 5,
        /// The FWD reached a card that is not the secondary of its epoch.
        NotSecondary = 6,
        /// The primary (for a REQ) or the secondary (for a FWD) holds no lease of its
        /// epoch, or the primary's hold in a new epoch has not run out (docs/leases.md).
        NoLease = 7,
    }
);

/// CONFIG's `count` field: new roles, what else to set, and the lease quorum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ConfigWord {
    pub primary: u8,
    pub secondary: u8,
    pub flags: ConfigFlags,
    /// Cards (this one included) whose same-epoch heartbeats must hear this card in one
    /// round for it to renew its lease: a majority of the cluster, `N / 2 + 1`
    /// ([`crate::lease::quorum`]). Taken with a new epoch; 0 renews no lease.
    pub quorum: u8,
}

bitflags::bitflags! {
    /// What a CONFIG sets besides roles and epoch.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
    pub struct ConfigFlags: u8 {
        /// Set the counter (and the stored value) to `max(value, STORED)`, taken at the
        /// edge the card adopts the epoch, so that a range it stored after the manager
        /// read `STORED` is never issued again. Only with a new epoch.
        const SET_COUNTER = 1 << 0;
        /// Set the limit to `aux`. With the card's current epoch this is the only flag
        /// allowed, and the limit only grows (a window raise without a failover).
        const SET_LIMIT = 1 << 1;
    }
}

impl ConfigWord {
    pub fn to_count(self) -> u32 {
        self.primary as u32
            | (self.secondary as u32) << 8
            | (self.flags.bits() as u32) << 16
            | (self.quorum as u32) << 24
    }
    pub fn from_count(count: u32) -> Self {
        ConfigWord {
            primary: count as u8,
            secondary: (count >> 8) as u8,
            flags: ConfigFlags::from_bits_truncate((count >> 16) as u8),
            quorum: (count >> 24) as u8,
        }
    }
}

/// STATE_REPLY's `count` field: the card's view of the roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct StateWord {
    pub primary: u8,
    pub secondary: u8,
    /// The card's CONTROL.ENABLE bit.
    pub enabled: bool,
}

impl StateWord {
    /// The `enabled` bit of the `count` word.
    pub const ENABLED: u32 = 1 << 16;

    pub fn to_count(self) -> u32 {
        self.primary as u32
            | (self.secondary as u32) << 8
            | if self.enabled { Self::ENABLED } else { 0 }
    }
    pub fn from_count(count: u32) -> Self {
        StateWord {
            primary: count as u8,
            secondary: (count >> 8) as u8,
            enabled: count & Self::ENABLED != 0,
        }
    }
}

/// A decoded frame. `src`/`dst` are node ids; the MACs are derived from them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame {
    pub kind: FrameType,
    pub reason: u8,
    pub src: u8,
    pub dst: u8,
    pub origin: u8,
    pub epoch: u32,
    pub tag: u16,
    pub count: u32,
    pub value: u64,
    pub aux: u64,
    pub extra: u64,
}

/// Why a received frame was dropped. Each variant has its own statistics counter in the
/// card (see `regs`), in this order of precedence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame is {0} bytes, seqfab frames are exactly {FRAME_BYTES}")]
    Length(usize),
    #[error("FCS mismatch: frame carries {carried:#010x}, computed {computed:#010x}")]
    Fcs { carried: u32, computed: u32 },
    #[error("EtherType {0:#06x} is not seqfab's {ETHERTYPE:#06x}")]
    Foreign(u16),
    #[error("frame version {0}, this card speaks {FRAME_VERSION}")]
    Version(u8),
    #[error("unknown frame type {0}")]
    Type(u8),
}

impl Frame {
    /// A frame of `kind` from `src` to `dst` with every other field zero.
    pub fn new(kind: FrameType, src: u8, dst: u8) -> Self {
        Frame {
            kind,
            reason: 0,
            src,
            dst,
            origin: 0,
            epoch: 0,
            tag: 0,
            count: 0,
            value: 0,
            aux: 0,
            extra: 0,
        }
    }

    /// The 64 bytes on the wire, FCS included.
    pub fn encode(&self) -> [u8; FRAME_BYTES] {
        use offset::*;
        let mut b = [0u8; FRAME_BYTES];
        b[DST_MAC..DST_MAC + 6].copy_from_slice(&node_mac(self.dst));
        b[SRC_MAC..SRC_MAC + 6].copy_from_slice(&node_mac(self.src));
        b[offset::ETHERTYPE..offset::ETHERTYPE + 2].copy_from_slice(&self::ETHERTYPE.to_be_bytes());
        b[VERSION] = FRAME_VERSION;
        b[TYPE] = self.kind as u8;
        b[REASON] = self.reason;
        b[SRC] = self.src;
        b[DST] = self.dst;
        b[ORIGIN] = self.origin;
        b[EPOCH..EPOCH + 4].copy_from_slice(&self.epoch.to_le_bytes());
        b[TAG..TAG + 2].copy_from_slice(&self.tag.to_le_bytes());
        b[COUNT..COUNT + 4].copy_from_slice(&self.count.to_le_bytes());
        b[VALUE..VALUE + 8].copy_from_slice(&self.value.to_le_bytes());
        b[AUX..AUX + 8].copy_from_slice(&self.aux.to_le_bytes());
        b[EXTRA..EXTRA + 8].copy_from_slice(&self.extra.to_le_bytes());
        reseal(b)
    }

    /// Checks and decodes a received frame (all bytes from destination MAC to FCS).
    /// Destination filtering is the card's job (it needs the card's node id).
    pub fn decode(bytes: &[u8]) -> Result<Frame, FrameError> {
        use offset::*;
        if bytes.len() != FRAME_BYTES {
            return Err(FrameError::Length(bytes.len()));
        }
        let le32 = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
        let le64 = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().expect("8 bytes"));
        let carried = le32(FCS);
        let computed = crc32(&bytes[..FCS_COVERED_BYTES]);
        if carried != computed {
            return Err(FrameError::Fcs { carried, computed });
        }
        let ethertype =
            u16::from_be_bytes([bytes[offset::ETHERTYPE], bytes[offset::ETHERTYPE + 1]]);
        if ethertype != self::ETHERTYPE {
            return Err(FrameError::Foreign(ethertype));
        }
        if bytes[VERSION] != FRAME_VERSION {
            return Err(FrameError::Version(bytes[VERSION]));
        }
        let kind = FrameType::from_code(bytes[TYPE]).ok_or(FrameError::Type(bytes[TYPE]))?;
        Ok(Frame {
            kind,
            reason: bytes[REASON],
            src: bytes[SRC],
            dst: bytes[DST],
            origin: bytes[ORIGIN],
            epoch: le32(EPOCH),
            tag: u16::from_le_bytes([bytes[TAG], bytes[TAG + 1]]),
            count: le32(COUNT),
            value: le64(VALUE),
            aux: le64(AUX),
            extra: le64(EXTRA),
        })
    }

    /// The destination node named by the destination MAC (what a switch forwards on).
    pub fn wire_dst(bytes: &[u8]) -> Option<u8> {
        bytes
            .get(offset::DST_MAC..offset::DST_MAC + 6)
            .and_then(|m| mac_node(m.try_into().ok()?))
    }
}

/// `bytes` with its FCS recomputed over the bytes it covers: for building frames by hand,
/// e.g. a test's malformed frame that should fail a later check than the FCS.
pub fn reseal(mut bytes: [u8; FRAME_BYTES]) -> [u8; FRAME_BYTES] {
    let fcs = crc32(&bytes[..FCS_COVERED_BYTES]);
    bytes[offset::FCS..].copy_from_slice(&fcs.to_le_bytes());
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn random_frame(rng: &mut impl Rng) -> Frame {
        Frame {
            kind: FrameType::ALL[rng.gen_range(0..FrameType::ALL.len())],
            reason: rng.gen(),
            src: rng.gen_range(0..64),
            dst: rng.gen_range(0..64),
            origin: rng.gen(),
            epoch: rng.gen(),
            tag: rng.gen(),
            count: rng.gen(),
            value: rng.gen(),
            aux: rng.gen(),
            extra: rng.gen(),
        }
    }

    #[test]
    fn encode_decode_round_trip() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..1000 {
            let f = random_frame(&mut rng);
            assert_eq!(Frame::decode(&f.encode()), Ok(f));
        }
    }

    #[test]
    fn every_single_bit_flip_is_caught() {
        let f = random_frame(&mut rand::rngs::StdRng::seed_from_u64(1));
        let bytes = f.encode();
        for bit in 0..FRAME_BYTES * 8 {
            let mut b = bytes;
            b[bit / 8] ^= 1 << (bit % 8);
            assert!(
                matches!(Frame::decode(&b), Err(FrameError::Fcs { .. })),
                "bit {bit}"
            );
        }
    }

    #[test]
    fn wrong_length_foreign_version_and_type_are_refused() {
        let f = Frame::new(FrameType::Req, 1, 2);
        let good = f.encode();
        assert_eq!(Frame::decode(&good[..63]), Err(FrameError::Length(63)));
        let mut b = good;
        b[offset::ETHERTYPE] = 0x08;
        b[offset::ETHERTYPE + 1] = 0x00;
        assert_eq!(Frame::decode(&reseal(b)), Err(FrameError::Foreign(0x0800)));
        let mut b = good;
        b[offset::VERSION] = 9;
        assert_eq!(Frame::decode(&reseal(b)), Err(FrameError::Version(9)));
        let mut b = good;
        b[offset::TYPE] = 0;
        assert_eq!(Frame::decode(&reseal(b)), Err(FrameError::Type(0)));
    }

    #[test]
    fn wire_layout_matches_the_table() {
        let mut f = Frame::new(FrameType::Fwd, 3, 4);
        f.value = 0x0102_0304_0506_0708;
        let b = f.encode();
        assert_eq!(&b[0..6], &[2, 0x53, 0x46, 0x51, 0, 4]);
        assert_eq!(&b[12..14], &[0x88, 0xB5]);
        assert_eq!(b[offset::TYPE], 2);
        assert_eq!(b[offset::VALUE], 0x08, "payload fields are little-endian");
        assert_eq!(Frame::wire_dst(&b), Some(4));
    }

    #[test]
    fn config_and_state_words_round_trip() {
        let w = ConfigWord {
            primary: 5,
            secondary: 9,
            flags: ConfigFlags::SET_COUNTER | ConfigFlags::SET_LIMIT,
            quorum: 3,
        };
        assert_eq!(ConfigWord::from_count(w.to_count()), w);
        let s = StateWord {
            primary: 1,
            secondary: 2,
            enabled: true,
        };
        assert_eq!(StateWord::from_count(s.to_count()), s);
    }
}
