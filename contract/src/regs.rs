//! The BAR0 register map: the one definition (STYLE.md rule 1).
//!
//! Registers are 64-bit aligned; every access is one 64-bit MMIO read or write. Fields
//! narrower than 64 bits read back zero-extended and ignore the upper bits on write.
//! Layout, Corundum-style: page 0 holds the ID block (register 0 is the magic), the
//! configuration, the card's state, the management window, statistics and the per-queue
//! blocks; each queue's doorbell has a 4 KiB page of its own from [`DOORBELL_BASE`] so
//! that one queue can be mapped into one process alone (DESIGN.md 4).
//!
//! Writes to an offset that is not a writable register change nothing and count in
//! `STAT_DROP_REGISTER`; reads of an undefined offset return 0.

use crate::limits::{BATCH_SLOTS, MAX_REQUESTS_PER_FRAME, MAX_RING_LOG2, QUEUES, QUEUE_FIFO_DEPTH};

/// How software may access a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read only; writes are refused and counted.
    Ro,
    /// Read and write.
    Rw,
    /// Write only: the write is an action (reads return 0).
    Wo,
}

/// One register of the map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Register {
    pub name: &'static str,
    /// Byte offset in BAR0 (for per-queue registers: in the queue block).
    pub offset: u32,
    /// Meaningful bits, from bit 0.
    pub width: u32,
    pub access: Access,
    pub reset: u64,
    pub doc: &'static str,
}

macro_rules! register_map {
    ($table:ident, $layout:ident; $( $(#[doc = $doc:literal])+ $name:ident @ $off:literal : $width:literal $access:ident = $reset:expr; )+) => {
        $( $(#[doc = $doc])+ pub const $name: u32 = $off; )+
        /// Name, offset and width of every register: what [`CONTRACT_HASH`] covers.
        const $layout: &[(&str, u32, u32)] = &[ $( (stringify!($name), $off, $width), )+ ];
        /// Every register of this block, in offset order.
        pub const $table: &[Register] = &[
            $( Register { name: stringify!($name), offset: $off, width: $width, access: Access::$access, reset: $reset, doc: concat!($($doc),+) }, )+
        ];
    };
}

/// The `CAPABILITIES` word: what this card was built with (see [`crate::limits`]).
pub const CAPABILITIES_WORD: u64 = QUEUES as u64
    | (MAX_RING_LOG2 as u64) << 8
    | (QUEUE_FIFO_DEPTH as u64) << 16
    | (MAX_REQUESTS_PER_FRAME as u64) << 24
    | (crate::CLOCK_MHZ) << 32
    | (BATCH_SLOTS as u64) << 48;

register_map! { REGISTERS, REGISTERS_LAYOUT;
    /// "SEQFAB!!": identifies a seqfab card. Register 0 of the ID block.
    ID_MAGIC @ 0x000 : 64 Ro = crate::MAGIC;
    /// Contract version: major in 31:16, minor in 15:0. The driver refuses another major.
    ID_VERSION @ 0x008 : 32 Ro = crate::VERSION_WORD;
    /// Queues in 7:0, log2 max ring entries in 15:8, queue FIFO depth in 23:16, max requests per frame in 31:24, clock MHz in 47:32, batch slots in 55:48.
    CAPABILITIES @ 0x010 : 64 Ro = CAPABILITIES_WORD;
    /// Hash of this register map and the frame format: equal on card and driver iff both were built from the same contract.
    BUILD_ID @ 0x018 : 64 Ro = CONTRACT_HASH;
    /// This card's node id (0..63) on the fabric. Set once by the host before ENABLE.
    NODE_ID @ 0x020 : 8 Rw = 0;
    /// Control bits, see `Control`.
    CONTROL @ 0x028 : 8 Rw = 0;
    /// Status bits, see `Status`.
    STATUS @ 0x030 : 8 Ro = 0;
    /// Cycles between heartbeats sent on each enabled plane (0 stops them).
    HEARTBEAT_PERIOD @ 0x038 : 32 Rw = 1000;
    /// Heartbeat periods without a heartbeat after which a node counts as dead on a plane.
    LIVENESS_MISSES @ 0x040 : 4 Rw = 3;
    /// Cycles the originator waits for a RSP before it re-issues the REQ.
    REQUEST_TIMEOUT @ 0x048 : 32 Rw = 20000;
    /// Re-issues before the requests of a batch complete with status Timeout.
    MAX_RETRIES @ 0x050 : 8 Rw = 3;
    /// Host DMA address of the 32-byte state mirror (0: no mirror writes).
    MIRROR_ADDR @ 0x058 : 64 Rw = 0;
    /// Cycles a lease lasts after a round of heartbeats from a quorum (docs/leases.md). The same on every card.
    LEASE_PERIOD @ 0x060 : 32 Rw = crate::lease::LeaseTiming::DEFAULT.lease_period as u64;
    /// Cycles a card's lease must have run in a new epoch before it issues as primary. The same on every card.
    LEASE_HOLD @ 0x068 : 32 Rw = crate::lease::LeaseTiming::DEFAULT.hold as u64;
    /// Current epoch (0: never configured).
    EPOCH @ 0x080 : 32 Ro = 0;
    /// Node id of the primary generator of the current epoch.
    PRIMARY_ID @ 0x088 : 8 Ro = 0;
    /// Node id of the secondary generator of the current epoch.
    SECONDARY_ID @ 0x090 : 8 Ro = 0;
    /// Primary: the next number it will issue.
    COUNTER @ 0x098 : 64 Ro = 0;
    /// Primary: it never issues a number at or above this.
    LIMIT @ 0x0A0 : 64 Ro = 0;
    /// Secondary: end of the highest range stored.
    STORED @ 0x0A8 : 64 Ro = 0;
    /// Bit n set: node n's heartbeats are arriving on plane X.
    LIVE_X @ 0x0B0 : 64 Ro = 0;
    /// Bit n set: node n's heartbeats are arriving on plane Y.
    LIVE_Y @ 0x0B8 : 64 Ro = 0;
    /// Cycles left on this card's lease of its epoch (0: no lease: it neither issues nor stores).
    LEASE @ 0x0C0 : 32 Ro = 0;
    /// Cycles of lease still to run in this epoch before the card may issue as primary.
    LEASE_HOLD_LEFT @ 0x0C8 : 32 Ro = 0;
    /// Bit n set: node n's heartbeats of this epoch heard this card in the last round that ended.
    SUPPORT @ 0x0D0 : 64 Ro = 0;
    /// Management frame to send: type in 7:0, destination node in 15:8, reason in 23:16, epoch in 63:32.
    MGMT_TX_HEADER @ 0x100 : 64 Rw = 0;
    /// Management frame to send: count in 31:0, tag in 47:32.
    MGMT_TX_COUNT @ 0x108 : 48 Rw = 0;
    /// Management frame to send: value.
    MGMT_TX_VALUE @ 0x110 : 64 Rw = 0;
    /// Management frame to send: aux.
    MGMT_TX_AUX @ 0x118 : 64 Rw = 0;
    /// Any write sends the frame held in MGMT_TX_* (to this card itself if the destination is its own id).
    MGMT_TX_SEND @ 0x120 : 1 Wo = 0;
    /// Last CONFIG_ACK or STATE_REPLY received: type in 7:0, source node in 15:8, reason in 23:16, epoch in 63:32.
    MGMT_RX_HEADER @ 0x128 : 64 Ro = 0;
    /// Last management reply: count.
    MGMT_RX_COUNT @ 0x130 : 32 Ro = 0;
    /// Last management reply: value.
    MGMT_RX_VALUE @ 0x138 : 64 Ro = 0;
    /// Last management reply: aux.
    MGMT_RX_AUX @ 0x140 : 64 Ro = 0;
    /// Last management reply: extra.
    MGMT_RX_EXTRA @ 0x148 : 64 Ro = 0;
    /// Management replies received so far; poll it to see a new reply land.
    MGMT_RX_SEQ @ 0x150 : 32 Ro = 0;
    /// Doorbells accepted into a queue.
    STAT_DOORBELLS @ 0x200 : 32 Ro = 0;
    /// Completion entries written to rings.
    STAT_COMPLETIONS @ 0x208 : 32 Ro = 0;
    /// REQ frames sent by the originator (re-issues included).
    STAT_REQ_TX @ 0x210 : 32 Ro = 0;
    /// REQ frames the primary engine accepted (answered with FWD).
    STAT_REQ_ACCEPTED @ 0x218 : 32 Ro = 0;
    /// FWD frames the secondary stored.
    STAT_FWD_STORED @ 0x220 : 32 Ro = 0;
    /// RSP frames the originator delivered.
    STAT_RSP_RX @ 0x228 : 32 Ro = 0;
    /// NACK frames sent.
    STAT_NACK_TX @ 0x230 : 32 Ro = 0;
    /// NACK frames received by the originator.
    STAT_NACK_RX @ 0x238 : 32 Ro = 0;
    /// REQ frames re-issued after REQUEST_TIMEOUT.
    STAT_RETRIES @ 0x240 : 32 Ro = 0;
    /// Requests completed with status Timeout.
    STAT_TIMEOUTS @ 0x248 : 32 Ro = 0;
    /// Received frames dropped: FCS mismatch.
    STAT_DROP_FCS @ 0x250 : 32 Ro = 0;
    /// Received frames dropped: not exactly one 64-byte frame.
    STAT_DROP_LENGTH @ 0x258 : 32 Ro = 0;
    /// Received frames dropped: EtherType not seqfab's.
    STAT_DROP_FOREIGN @ 0x260 : 32 Ro = 0;
    /// Received frames dropped: unknown frame version.
    STAT_DROP_VERSION @ 0x268 : 32 Ro = 0;
    /// Received frames dropped: unknown frame type.
    STAT_DROP_TYPE @ 0x270 : 32 Ro = 0;
    /// Received frames dropped: addressed to another node.
    STAT_DROP_DEST @ 0x278 : 32 Ro = 0;
    /// Frames dropped for carrying another epoch (I4), CONFIGs refused as stale included.
    STAT_DROP_EPOCH @ 0x280 : 32 Ro = 0;
    /// RSP or NACK frames dropped because their tag was not outstanding (duplicates, late answers).
    STAT_DROP_DUP_RSP @ 0x288 : 32 Ro = 0;
    /// Doorbell writes dropped: malformed word, queue disabled, or queue FIFO full.
    STAT_DROP_DOORBELL @ 0x290 : 32 Ro = 0;
    /// Register writes dropped: undefined or read-only offset.
    STAT_DROP_REGISTER @ 0x298 : 32 Ro = 0;
    /// Received frames dropped because the receive FIFO was full.
    STAT_RX_OVERFLOW @ 0x2A0 : 32 Ro = 0;
    /// Frames sent on plane X.
    STAT_TX_X @ 0x2A8 : 32 Ro = 0;
    /// Frames sent on plane Y.
    STAT_TX_Y @ 0x2B0 : 32 Ro = 0;
    /// Good frames received on plane X.
    STAT_RX_X @ 0x2B8 : 32 Ro = 0;
    /// Good frames received on plane Y.
    STAT_RX_Y @ 0x2C0 : 32 Ro = 0;
    /// Frames sent on the non-preferred plane because the preferred one was down or silent.
    STAT_TX_ALT_PLANE @ 0x2C8 : 32 Ro = 0;
}

/// First byte of the per-queue register blocks; queue q's block is at
/// `QUEUE_BASE + q * QUEUE_STRIDE`.
pub const QUEUE_BASE: u32 = 0x800;
/// Bytes between queue blocks.
pub const QUEUE_STRIDE: u32 = 0x40;

register_map! { QUEUE_REGISTERS, QUEUE_LAYOUT;
    /// DMA address of the completion ring (32-byte aligned; the low 5 bits are ignored).
    Q_RING_BASE @ 0x00 : 64 Rw = 0;
    /// Log2 of the ring's entries (1..=MAX_RING_LOG2). Writing it resets the queue's producer index and phase.
    Q_RING_LOG2 @ 0x08 : 4 Rw = 0;
    /// Queue control bits, see `QueueControl`.
    Q_CONTROL @ 0x10 : 8 Rw = 0;
    /// FIFO level in 15:0, FIFO full in 16, completions written (producer index, free running) in 63:32.
    Q_STATUS @ 0x18 : 64 Ro = 0;
    /// Doorbells this queue dropped because its FIFO was full (back-pressure the host ignored).
    Q_OVERFLOWS @ 0x20 : 32 Ro = 0;
}

/// Queue q's doorbell is the first word of the page at `DOORBELL_BASE + q * DOORBELL_STRIDE`.
pub const DOORBELL_BASE: u32 = 0x1_0000;
/// One 4 KiB page per doorbell, so a queue can be mapped alone.
pub const DOORBELL_STRIDE: u32 = 0x1000;
/// Size of BAR0 in bytes.
pub const BAR0_BYTES: u32 = 0x2_0000;

const _: () = assert!(QUEUE_BASE + QUEUES as u32 * QUEUE_STRIDE <= 0x1000);
const _: () = assert!(DOORBELL_BASE + QUEUES as u32 * DOORBELL_STRIDE <= BAR0_BYTES);

/// Offset of register `reg` (from [`QUEUE_REGISTERS`]) of queue `q`.
pub const fn queue_reg(q: usize, reg: u32) -> u32 {
    QUEUE_BASE + q as u32 * QUEUE_STRIDE + reg
}

/// Offset of queue `q`'s doorbell.
pub const fn doorbell(q: usize) -> u32 {
    DOORBELL_BASE + q as u32 * DOORBELL_STRIDE
}

bitflags::bitflags! {
    /// `CONTROL` register bits.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Control: u64 {
        /// Take doorbells and frames. While clear, doorbells complete with NotConfigured.
        const ENABLE = 1 << 0;
        /// Self-clearing: empties queues, batches and the request log, zeroes statistics. Keeps configuration.
        const SOFT_RESET = 1 << 1;
        /// Use plane X.
        const PLANE_X = 1 << 2;
        /// Use plane Y.
        const PLANE_Y = 1 << 3;
        /// Prefer plane Y when both are usable (default: X).
        const PREFER_Y = 1 << 4;
        /// Send heartbeats.
        const HEARTBEAT = 1 << 5;
    }
}

bitflags::bitflags! {
    /// `STATUS` register bits.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Status: u64 {
        const LINK_X = 1 << 0;
        const LINK_Y = 1 << 1;
        /// This card is the primary of the current epoch.
        const PRIMARY = 1 << 2;
        /// This card is the secondary of the current epoch.
        const SECONDARY = 1 << 3;
        /// A CONFIG has been applied (epoch > 0).
        const CONFIGURED = 1 << 4;
        /// The card holds a lease of its epoch (`LEASE > 0`).
        const LEASE = 1 << 5;
    }
}

bitflags::bitflags! {
    /// `Q_CONTROL` register bits.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct QueueControl: u64 {
        /// Accept doorbells on this queue.
        const ENABLE = 1 << 0;
        /// Interrupts allowed (the mask): without it, IRQ_ARM never fires.
        const IRQ_ENABLE = 1 << 1;
        /// One-shot: raise the queue's interrupt at the next completion, then clear.
        const IRQ_ARM = 1 << 2;
    }
}

/// `MGMT_TX_HEADER` / `MGMT_RX_HEADER`: frame type in 7:0, node in 15:8 (destination on
/// TX, source on RX), reason in 23:16, epoch in 63:32; bits 31:24 are zero. The one
/// encoding of the word: the driver packs and unpacks it here, and the gateware's
/// `MgmtHeaderWord` is checked against these bit positions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MgmtHeader {
    /// The frame type's code (`frame::FrameType`).
    pub kind: u8,
    pub node: u8,
    pub reason: u8,
    pub epoch: u32,
}

impl MgmtHeader {
    /// Lowest bit of each field in the register word.
    pub const KIND_BIT: u32 = 0;
    pub const NODE_BIT: u32 = 8;
    pub const REASON_BIT: u32 = 16;
    pub const EPOCH_BIT: u32 = 32;

    pub fn to_word(self) -> u64 {
        (self.kind as u64) << Self::KIND_BIT
            | (self.node as u64) << Self::NODE_BIT
            | (self.reason as u64) << Self::REASON_BIT
            | (self.epoch as u64) << Self::EPOCH_BIT
    }
    pub fn from_word(word: u64) -> Self {
        MgmtHeader {
            kind: (word >> Self::KIND_BIT) as u8,
            node: (word >> Self::NODE_BIT) as u8,
            reason: (word >> Self::REASON_BIT) as u8,
            epoch: (word >> Self::EPOCH_BIT) as u32,
        }
    }
}

/// `MGMT_TX_COUNT`: count in 31:0, tag in 47:32 (the gateware's `MgmtCountWord` is checked
/// against these bit positions).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MgmtCount {
    pub count: u32,
    pub tag: u16,
}

impl MgmtCount {
    /// Lowest bit of each field in the register word.
    pub const COUNT_BIT: u32 = 0;
    pub const TAG_BIT: u32 = 32;

    pub fn to_word(self) -> u64 {
        (self.count as u64) << Self::COUNT_BIT | (self.tag as u64) << Self::TAG_BIT
    }
    pub fn from_word(word: u64) -> Self {
        MgmtCount {
            count: (word >> Self::COUNT_BIT) as u32,
            tag: (word >> Self::TAG_BIT) as u16,
        }
    }
}

/// FNV-1a over the register map and frame constants, evaluated at compile time.
pub const CONTRACT_HASH: u64 = contract_hash();

const fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x100_0000_01B3);
        i += 1;
    }
    h
}

const fn hash_table(mut h: u64, table: &[(&str, u32, u32)]) -> u64 {
    let mut i = 0;
    while i < table.len() {
        h = fnv(h, table[i].0.as_bytes());
        h = fnv(h, &table[i].1.to_le_bytes());
        h = fnv(h, &table[i].2.to_le_bytes());
        i += 1;
    }
    h
}

const fn contract_hash() -> u64 {
    // The BUILD_ID register's own reset value is this hash, so only the layout (name,
    // offset, width) is hashed, not the reset values: that keeps the definition acyclic.
    let h = hash_table(0xCBF2_9CE4_8422_2325, REGISTERS_LAYOUT);
    let h = hash_table(h, QUEUE_LAYOUT);
    fnv(
        h,
        &[crate::frame::FRAME_VERSION, crate::frame::FRAME_BYTES as u8],
    )
}

/// The register of the global map at `offset`, if any.
pub fn lookup(offset: u32) -> Option<&'static Register> {
    REGISTERS.iter().find(|r| r.offset == offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn management_words_round_trip_and_match_the_register_docs() {
        let h = MgmtHeader {
            kind: 0x12,
            node: 0x34,
            reason: 0x56,
            epoch: 0x789A_BCDE,
        };
        assert_eq!(h.to_word(), 0x789A_BCDE_0056_3412);
        assert_eq!(MgmtHeader::from_word(h.to_word()), h);
        let c = MgmtCount {
            count: 0x1234_5678,
            tag: 0x9ABC,
        };
        assert_eq!(c.to_word(), 0x9ABC_1234_5678);
        assert_eq!(MgmtCount::from_word(c.to_word()), c);
        // The register documentation states the same positions.
        let doc = |off| lookup(off).unwrap().doc;
        for off in [MGMT_TX_HEADER, MGMT_RX_HEADER] {
            for field in [
                format!(
                    "type in {}:{}",
                    MgmtHeader::KIND_BIT + 7,
                    MgmtHeader::KIND_BIT
                ),
                format!(
                    "node in {}:{}",
                    MgmtHeader::NODE_BIT + 7,
                    MgmtHeader::NODE_BIT
                ),
                format!(
                    "reason in {}:{}",
                    MgmtHeader::REASON_BIT + 7,
                    MgmtHeader::REASON_BIT
                ),
                format!("epoch in 63:{}", MgmtHeader::EPOCH_BIT),
            ] {
                assert!(doc(off).contains(&field), "{off:#x}: {field}");
            }
        }
        assert!(doc(MGMT_TX_COUNT).contains(&format!("count in 31:{}", MgmtCount::COUNT_BIT)));
        assert!(doc(MGMT_TX_COUNT).contains(&format!("tag in 47:{}", MgmtCount::TAG_BIT)));
    }

    #[test]
    fn offsets_are_aligned_unique_sorted_and_inside_page_zero() {
        for table in [REGISTERS, QUEUE_REGISTERS] {
            for w in table.windows(2) {
                assert!(w[0].offset < w[1].offset, "{} / {}", w[0].name, w[1].name);
            }
            for r in table {
                assert_eq!(r.offset % 8, 0, "{}", r.name);
                assert!((1..=64).contains(&r.width), "{}", r.name);
                assert!(
                    r.width == 64 || r.reset < 1 << r.width,
                    "{} reset fits",
                    r.name
                );
                assert!(!r.doc.is_empty());
            }
        }
        let last = REGISTERS.last().unwrap().offset;
        assert!(
            last < QUEUE_BASE,
            "global registers run into the queue blocks"
        );
        assert!(QUEUE_REGISTERS.last().unwrap().offset < QUEUE_STRIDE);
    }

    #[test]
    fn id_block_comes_first() {
        assert_eq!(REGISTERS[0].name, "ID_MAGIC");
        assert_eq!(REGISTERS[0].offset, 0);
        assert_eq!(lookup(ID_VERSION).unwrap().reset, crate::VERSION_WORD);
        assert_eq!(CAPABILITIES_WORD & 0xFF, QUEUES as u64);
    }

    #[test]
    fn doorbells_have_pages_of_their_own() {
        for q in 0..QUEUES {
            assert_eq!(doorbell(q) % 4096, 0);
            assert!(queue_reg(q, Q_OVERFLOWS) < DOORBELL_BASE);
        }
    }
}
