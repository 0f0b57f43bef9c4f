//! The card's programming sequences, defined once over the register map: identification,
//! soft reset, bring-up, and the management window (CONFIG, STATE_QUERY and their
//! replies).
//!
//! Every host-side user of a card runs these, whatever carries its register accesses: the
//! driver over VFIO (volatile MMIO) or vfio-user (socket messages), and the simulator's
//! host model (MMIO queued on the card's host port). They are written against two small
//! traits, [`RegisterWrite`] (posted writes, all a bring-up needs) and [`RegisterAccess`]
//! (reads too), so that the sequence a card sees is the same from every one of them.
//! Section names refer to `docs/registers.md`, which is generated from [`crate::regs`].

use crate::frame::{ConfigFlags, ConfigWord, FrameType, StateWord};
use crate::lease::LeaseTiming;
use crate::limits::{MAX_RING_LOG2, QUEUES};
use crate::regs::{self, Control, MgmtCount, MgmtHeader, QueueControl};

/// Posted register writes (a PCIe memory write needs no answer).
pub trait RegisterWrite {
    type Error;
    /// Writes the 64-bit register at byte offset `offset` of BAR0.
    fn write_reg(&mut self, offset: u32, value: u64) -> Result<(), Self::Error>;
}

/// Register reads as well as writes. A read returns after every earlier write has
/// reached the card (PCIe ordering: a read does not pass posted writes).
pub trait RegisterAccess: RegisterWrite {
    /// Reads the 64-bit register at byte offset `offset` of BAR0.
    fn read_reg(&mut self, offset: u32) -> Result<u64, Self::Error>;
}

/// What the ID block says about a card (`docs/registers.md`, "ID block").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    pub version_major: u16,
    pub version_minor: u16,
    pub capabilities: Capabilities,
    /// `BUILD_ID`: the contract hash the card was built from.
    pub build_id: u64,
}

impl Identity {
    /// The card was built from exactly this contract (same register map and frame format).
    pub fn same_contract(&self) -> bool {
        self.build_id == regs::CONTRACT_HASH
    }
}

/// The `CAPABILITIES` word, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    pub queues: u8,
    pub max_ring_log2: u8,
    pub queue_fifo_depth: u8,
    pub max_requests_per_frame: u8,
    pub clock_mhz: u16,
    pub batch_slots: u8,
}

impl Capabilities {
    pub fn decode(word: u64) -> Self {
        Capabilities {
            queues: word as u8,
            max_ring_log2: (word >> 8) as u8,
            queue_fifo_depth: (word >> 16) as u8,
            max_requests_per_frame: (word >> 24) as u8,
            clock_mhz: (word >> 32) as u16,
            batch_slots: (word >> 48) as u8,
        }
    }

    /// What this build of the software expects.
    pub fn expected() -> Self {
        Capabilities::decode(regs::CAPABILITIES_WORD)
    }
}

/// Why a card failed a programming sequence.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProgramError<E> {
    /// The register access itself failed.
    #[error(transparent)]
    Access(E),
    #[error("ID_MAGIC reads {found:#018x}, expected {expected:#018x} (\"SEQFAB!!\"): this is not a seqfab card, or BAR0 is not mapped where the driver thinks")]
    WrongMagic { found: u64, expected: u64 },
    #[error("contract version {found_major}.{found_minor} on the card, this software speaks {expected_major}.x: load a matching driver or bitstream")]
    WrongVersion {
        found_major: u16,
        found_minor: u16,
        expected_major: u16,
    },
    #[error("the card has {found} queues and rings of up to 2^{found_log2} entries; this software needs {needed} queues and 2^{needed_log2}")]
    Capabilities {
        found: u8,
        found_log2: u8,
        needed: usize,
        needed_log2: u32,
    },
    #[error("the card did not finish its soft reset after {polls} reads of CONTROL and STAT_DOORBELLS; power-cycle it or reload the bitstream")]
    ResetTimeout { polls: u32 },
    #[error("bad bring-up parameter: {0}")]
    BadParameter(&'static str),
}

impl<E> From<E> for ProgramError<E> {
    fn from(e: E) -> Self {
        ProgramError::Access(e)
    }
}

/// Reads and checks the ID block: magic, major version, and capabilities large enough
/// for what this software uses. A card of another minor version, or another build of the
/// same major, is accepted (see [`Identity::same_contract`]).
pub fn identify<R: RegisterAccess>(r: &mut R) -> Result<Identity, ProgramError<R::Error>> {
    let magic = r.read_reg(regs::ID_MAGIC)?;
    if magic != crate::MAGIC {
        return Err(ProgramError::WrongMagic {
            found: magic,
            expected: crate::MAGIC,
        });
    }
    let version = r.read_reg(regs::ID_VERSION)?;
    let (major, minor) = ((version >> 16) as u16, version as u16);
    if major != crate::VERSION_MAJOR {
        return Err(ProgramError::WrongVersion {
            found_major: major,
            found_minor: minor,
            expected_major: crate::VERSION_MAJOR,
        });
    }
    let caps = Capabilities::decode(r.read_reg(regs::CAPABILITIES)?);
    if (caps.queues as usize) < QUEUES || (caps.max_ring_log2 as u32) < MAX_RING_LOG2 {
        return Err(ProgramError::Capabilities {
            found: caps.queues,
            found_log2: caps.max_ring_log2,
            needed: QUEUES,
            needed_log2: MAX_RING_LOG2,
        });
    }
    Ok(Identity {
        version_major: major,
        version_minor: minor,
        capabilities: caps,
        build_id: r.read_reg(regs::BUILD_ID)?,
    })
}

/// Reads of the card during a soft reset before [`ProgramError::ResetTimeout`].
pub const RESET_POLLS: u32 = 1000;

/// Soft reset (`CONTROL.SOFT_RESET`): empties the queues, batches and request log and
/// zeroes the statistics, keeping node id, roles, epoch and addresses. Done when
/// `CONTROL` no longer shows the bit and `STAT_DOORBELLS` reads zero.
///
/// The card is disabled first, so that nothing new enters while it resets; bring-up
/// enables it again.
pub fn soft_reset<R: RegisterAccess>(r: &mut R) -> Result<(), ProgramError<R::Error>> {
    r.write_reg(regs::CONTROL, 0)?;
    r.write_reg(regs::CONTROL, Control::SOFT_RESET.bits())?;
    for _ in 0..RESET_POLLS {
        let control = Control::from_bits_truncate(r.read_reg(regs::CONTROL)?);
        if !control.contains(Control::SOFT_RESET) && r.read_reg(regs::STAT_DOORBELLS)? == 0 {
            return Ok(());
        }
    }
    Err(ProgramError::ResetTimeout { polls: RESET_POLLS })
}

/// One queue's completion ring, as the host set it up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingSetup {
    /// DMA address (IOVA) of the ring; 32-byte aligned.
    pub base: u64,
    /// Log2 of its entries, 1..=MAX_RING_LOG2.
    pub log2: u32,
    /// Interrupts allowed on this queue (`Q_CONTROL.IRQ_ENABLE`).
    pub irq: bool,
}

/// Everything a host programs into its card at bring-up (`docs/registers.md`,
/// "Configuration" and "Queues").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BringUp {
    /// Node id on the fabric, 0..MAX_NODES.
    pub node: u8,
    /// DMA address of the 32-byte state mirror (0: no mirror).
    pub mirror: u64,
    /// Heartbeat period, lease length and hold (the same on every card of a cluster).
    pub timing: LeaseTiming,
    /// One entry per queue to enable (at most QUEUES); the others stay disabled.
    pub rings: Vec<RingSetup>,
    /// Fabric planes to use (`Control::PLANE_X`, `PLANE_Y`, `PREFER_Y`).
    pub planes: Control,
    /// Send heartbeats (a card that sends none is seen as dead by the others).
    pub heartbeat: bool,
}

impl BringUp {
    fn check<E>(&self) -> Result<(), ProgramError<E>> {
        if self.node as usize >= crate::limits::MAX_NODES {
            return Err(ProgramError::BadParameter("node id must be below 64"));
        }
        if self.rings.len() > QUEUES {
            return Err(ProgramError::BadParameter(
                "more rings than the card has queues",
            ));
        }
        for ring in &self.rings {
            if !(1..=MAX_RING_LOG2).contains(&ring.log2) {
                return Err(ProgramError::BadParameter(
                    "ring log2 must be 1..=MAX_RING_LOG2",
                ));
            }
            if !ring.base.is_multiple_of(crate::ring::ENTRY_BYTES as u64) {
                return Err(ProgramError::BadParameter(
                    "ring base must be 32-byte aligned",
                ));
            }
        }
        if !self.mirror.is_multiple_of(32) {
            return Err(ProgramError::BadParameter(
                "mirror address must be 32-byte aligned",
            ));
        }
        Ok(())
    }
}

/// Programs the card: node id, mirror address, heartbeat period, each queue's ring
/// (base, size, enable, interrupt mask), then `CONTROL` with ENABLE, the planes and
/// heartbeats. All posted writes, in the order the card needs them: ENABLE last.
pub fn bring_up<W: RegisterWrite>(w: &mut W, p: &BringUp) -> Result<(), ProgramError<W::Error>> {
    p.check()?;
    w.write_reg(regs::NODE_ID, p.node as u64)?;
    w.write_reg(regs::MIRROR_ADDR, p.mirror)?;
    w.write_reg(regs::HEARTBEAT_PERIOD, p.timing.heartbeat_period as u64)?;
    w.write_reg(regs::LEASE_PERIOD, p.timing.lease_period as u64)?;
    w.write_reg(regs::LEASE_HOLD, p.timing.hold as u64)?;
    for (q, ring) in p.rings.iter().enumerate() {
        let mut control = QueueControl::ENABLE;
        control.set(QueueControl::IRQ_ENABLE, ring.irq);
        w.write_reg(regs::queue_reg(q, regs::Q_RING_BASE), ring.base)?;
        w.write_reg(regs::queue_reg(q, regs::Q_RING_LOG2), ring.log2 as u64)?;
        w.write_reg(regs::queue_reg(q, regs::Q_CONTROL), control.bits())?;
    }
    let mut control =
        Control::ENABLE | (p.planes & (Control::PLANE_X | Control::PLANE_Y | Control::PREFER_Y));
    control.set(Control::HEARTBEAT, p.heartbeat);
    w.write_reg(regs::CONTROL, control.bits())?;
    Ok(())
}

/// Stops queue `q` taking doorbells (what a host does when the process using it is gone).
pub fn disable_queue<W: RegisterWrite>(w: &mut W, q: usize) -> Result<(), W::Error> {
    w.write_reg(regs::queue_reg(q, regs::Q_CONTROL), 0)
}

/// Arms queue `q`'s interrupt for the next completion (`Q_CONTROL.IRQ_ARM`, one-shot).
pub fn arm_irq<W: RegisterWrite>(w: &mut W, q: usize) -> Result<(), W::Error> {
    let c = QueueControl::ENABLE | QueueControl::IRQ_ENABLE | QueueControl::IRQ_ARM;
    w.write_reg(regs::queue_reg(q, regs::Q_CONTROL), c.bits())
}

/// What a CONFIG frame sets (DESIGN.md section 5; `docs/gateware.md`, "Epochs").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub epoch: u32,
    pub primary: u8,
    pub secondary: u8,
    /// `Some(n)`: set the counter (and stored value) to `max(n, STORED)`.
    pub counter: Option<u64>,
    /// `Some(l)`: set the limit.
    pub limit: Option<u64>,
    /// Lease quorum of the cluster ([`crate::lease::quorum`] of its size).
    pub quorum: u8,
}

/// A frame for the management window (`MGMT_TX_*`): what the header, count, value and
/// aux registers hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MgmtFrame {
    pub kind: FrameType,
    pub dst: u8,
    pub reason: u8,
    pub epoch: u32,
    pub count: u32,
    pub tag: u16,
    pub value: u64,
    pub aux: u64,
}

impl MgmtFrame {
    /// The `MGMT_TX_HEADER` word ([`MgmtHeader`]).
    pub fn header(&self) -> u64 {
        MgmtHeader {
            kind: self.kind as u8,
            node: self.dst,
            reason: self.reason,
            epoch: self.epoch,
        }
        .to_word()
    }

    /// The `MGMT_TX_COUNT` word ([`MgmtCount`]).
    pub fn count_word(&self) -> u64 {
        MgmtCount {
            count: self.count,
            tag: self.tag,
        }
        .to_word()
    }
}

/// Sends `f` through the management window: the four `MGMT_TX_*` registers, then
/// `MGMT_TX_SEND`. Not safe to interleave with another sender on the same card.
pub fn send_mgmt<W: RegisterWrite>(w: &mut W, f: &MgmtFrame) -> Result<(), W::Error> {
    w.write_reg(regs::MGMT_TX_HEADER, f.header())?;
    w.write_reg(regs::MGMT_TX_COUNT, f.count_word())?;
    w.write_reg(regs::MGMT_TX_VALUE, f.value)?;
    w.write_reg(regs::MGMT_TX_AUX, f.aux)?;
    w.write_reg(regs::MGMT_TX_SEND, 1)
}

/// The CONFIG frame that sets `cfg` on card `to`.
pub fn config_frame(to: u8, cfg: &Config) -> MgmtFrame {
    let mut flags = ConfigFlags::empty();
    flags.set(ConfigFlags::SET_COUNTER, cfg.counter.is_some());
    flags.set(ConfigFlags::SET_LIMIT, cfg.limit.is_some());
    let word = ConfigWord {
        primary: cfg.primary,
        secondary: cfg.secondary,
        flags,
        quorum: cfg.quorum,
    };
    MgmtFrame {
        kind: FrameType::Config,
        dst: to,
        reason: 0,
        epoch: cfg.epoch,
        count: word.to_count(),
        tag: 0,
        value: cfg.counter.unwrap_or(0),
        aux: cfg.limit.unwrap_or(0),
    }
}

/// Sends a CONFIG to card `to` (the sender's own card when `to` is its node id).
pub fn send_config<W: RegisterWrite>(w: &mut W, to: u8, cfg: &Config) -> Result<(), W::Error> {
    send_mgmt(w, &config_frame(to, cfg))
}

/// Sends a STATE_QUERY to card `to`; `tag` comes back in the reply to match it.
pub fn send_state_query<W: RegisterWrite>(w: &mut W, to: u8, tag: u16) -> Result<(), W::Error> {
    send_mgmt(
        w,
        &MgmtFrame {
            kind: FrameType::StateQuery,
            dst: to,
            reason: 0,
            epoch: 0,
            count: 0,
            tag,
            value: 0,
            aux: 0,
        },
    )
}

/// The last management reply (CONFIG_ACK or STATE_REPLY) as the `MGMT_RX_*` registers
/// hold it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MgmtReply {
    /// `MGMT_RX_SEQ`: replies received so far.
    pub seq: u64,
    pub kind: Option<FrameType>,
    pub src: u8,
    pub reason: u8,
    pub epoch: u32,
    pub state: StateWord,
    /// The replying card's counter, stored value and limit.
    pub counter: u64,
    pub stored: u64,
    pub limit: u64,
}

/// Reads the management reply registers. Read `MGMT_RX_SEQ` first and again after, and
/// take the reply only when they agree (a reply that lands between the reads is not torn
/// into two).
pub fn read_mgmt_reply<R: RegisterAccess>(r: &mut R) -> Result<MgmtReply, R::Error> {
    loop {
        let seq = r.read_reg(regs::MGMT_RX_SEQ)?;
        let header = MgmtHeader::from_word(r.read_reg(regs::MGMT_RX_HEADER)?);
        let count = r.read_reg(regs::MGMT_RX_COUNT)?;
        let counter = r.read_reg(regs::MGMT_RX_VALUE)?;
        let stored = r.read_reg(regs::MGMT_RX_AUX)?;
        let limit = r.read_reg(regs::MGMT_RX_EXTRA)?;
        if r.read_reg(regs::MGMT_RX_SEQ)? == seq {
            return Ok(MgmtReply {
                seq,
                kind: FrameType::from_code(header.kind),
                src: header.node,
                reason: header.reason,
                epoch: header.epoch,
                state: StateWord::from_count(count as u32),
                counter,
                stored,
                limit,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A register file that answers the ID block and records writes.
    #[derive(Default)]
    struct Regs {
        values: HashMap<u32, u64>,
        writes: Vec<(u32, u64)>,
        /// SOFT_RESET stays set (a card that never finishes its reset).
        stuck: bool,
    }

    impl RegisterWrite for Regs {
        type Error = std::convert::Infallible;
        fn write_reg(&mut self, offset: u32, value: u64) -> Result<(), Self::Error> {
            self.writes.push((offset, value));
            let keep = if offset == regs::CONTROL && !self.stuck {
                value & !Control::SOFT_RESET.bits()
            } else {
                value
            };
            self.values.insert(offset, keep);
            Ok(())
        }
    }

    impl RegisterAccess for Regs {
        fn read_reg(&mut self, offset: u32) -> Result<u64, Self::Error> {
            Ok(match self.values.get(&offset) {
                Some(v) => *v,
                None => regs::lookup(offset).map_or(0, |r| r.reset),
            })
        }
    }

    #[test]
    fn identify_accepts_this_contract_and_refuses_others() {
        let mut r = Regs::default();
        let id = identify(&mut r).unwrap();
        assert!(id.same_contract());
        assert_eq!(id.capabilities, Capabilities::expected());
        r.values.insert(regs::ID_MAGIC, 0x1234);
        assert!(matches!(
            identify(&mut r),
            Err(ProgramError::WrongMagic { found: 0x1234, .. })
        ));
        r.values.remove(&regs::ID_MAGIC);
        r.values.insert(regs::ID_VERSION, 3 << 16 | 5);
        let e = identify(&mut r).unwrap_err();
        assert_eq!(
            e,
            ProgramError::WrongVersion {
                found_major: 3,
                found_minor: 5,
                expected_major: crate::VERSION_MAJOR
            }
        );
        assert!(e.to_string().contains("3.5"), "{e}");
        r.values.remove(&regs::ID_VERSION);
        r.values.insert(regs::CAPABILITIES, 2);
        assert!(matches!(
            identify(&mut r),
            Err(ProgramError::Capabilities { found: 2, .. })
        ));
    }

    #[test]
    fn soft_reset_waits_for_the_card_and_times_out() {
        let mut r = Regs::default();
        soft_reset(&mut r).unwrap();
        assert_eq!(r.writes[0], (regs::CONTROL, 0));
        let mut stuck = Regs {
            stuck: true,
            ..Regs::default()
        };
        assert_eq!(
            soft_reset(&mut stuck),
            Err(ProgramError::ResetTimeout { polls: RESET_POLLS })
        );
    }

    #[test]
    fn bring_up_enables_last_and_checks_parameters() {
        let mut r = Regs::default();
        let mut p = BringUp {
            node: 3,
            mirror: 0x2000,
            timing: LeaseTiming::new(500, 100),
            rings: vec![
                RingSetup {
                    base: 0x1000,
                    log2: 4,
                    irq: true
                };
                QUEUES
            ],
            planes: Control::PLANE_X | Control::PLANE_Y,
            heartbeat: true,
        };
        bring_up(&mut r, &p).unwrap();
        let (last, value) = *r.writes.last().unwrap();
        assert_eq!(last, regs::CONTROL);
        assert!(Control::from_bits_truncate(value).contains(Control::ENABLE | Control::HEARTBEAT));
        assert_eq!(r.writes.len(), 5 + 3 * QUEUES + 1);
        p.rings[1].log2 = 0;
        assert!(matches!(
            bring_up(&mut r, &p),
            Err(ProgramError::BadParameter(_))
        ));
        p.rings[1].log2 = 4;
        p.node = 64;
        assert!(bring_up(&mut r, &p).is_err());
    }

    #[test]
    fn config_frame_packs_what_the_card_reads() {
        let cfg = Config {
            epoch: 7,
            primary: 1,
            secondary: 2,
            counter: Some(100),
            limit: None,
            quorum: 2,
        };
        let f = config_frame(5, &cfg);
        assert_eq!(f.header() & 0xFF, FrameType::Config as u64);
        assert_eq!(f.header() >> 8 & 0xFF, 5);
        assert_eq!(f.header() >> 32, 7);
        let w = ConfigWord::from_count(f.count);
        assert_eq!((w.primary, w.secondary), (1, 2));
        assert_eq!(w.flags, ConfigFlags::SET_COUNTER);
        assert_eq!(f.value, 100);
    }
}
