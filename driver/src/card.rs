//! One open card: its backend, its DMA memory (rings and state mirror), its interrupts.
//!
//! Bring-up is the contract's one sequence (`seqfab_contract::program`, the same code the
//! simulator's host model runs), carried by whichever backend opened the card:
//!
//! 1. ID block (`docs/registers.md`, "ID block"): magic, major version, capabilities.
//! 2. Soft reset (`CONTROL.SOFT_RESET`): queues, batches and statistics emptied; node id,
//!    roles and epoch kept.
//! 3. DMA memory: one zeroed block for every queue's ring and the state mirror, mapped for
//!    the card at [`DMA_IOVA`] (an IOVA the driver picks).
//! 4. Interrupts: one eventfd per queue on the MSI-X vectors.
//! 5. Node id, mirror address, heartbeat period, each queue's ring, then `CONTROL`: enable,
//!    planes, heartbeats.
//!
//! Ordering rules (STYLE.md rule 4): a `Release` fence before every doorbell, so the
//! ring memory the host prepared is visible before the card is told to use it; an
//! `Acquire` fence after reading a slot's phase bit ([`DmaMemory::load_completion`]).

use crate::backend::{Backend, Registers as Regs};
use crate::dma::DmaMemory;
use crate::error::{Error, Result};
use crate::irq::Interrupt;
use seqfab_contract::doorbell::Doorbell;
use seqfab_contract::frame::FrameType;
use seqfab_contract::lease::LeaseTiming;
use seqfab_contract::limits::{MAX_RING_LOG2, QUEUES};
use seqfab_contract::mirror::{Mirror, MIRROR_BYTES};
use seqfab_contract::program::{
    self, BringUp, Config, Identity, MgmtReply, RegisterAccess, RegisterWrite, RingSetup,
};
use seqfab_contract::regs::{self, Control};
use seqfab_contract::ring::{Completion, ENTRY_BYTES};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{fence, Ordering};
use std::time::{Duration, Instant};

/// The IOVA at which the driver maps its DMA memory for the card: above 4 GiB, clear of
/// the low addresses some IOMMUs reserve (the MSI window at 0xfee0_0000 on x86).
pub const DMA_IOVA: u64 = 0x1_0000_0000;

/// Which card to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A real card bound to `vfio-pci`, by PCI address (`0000:03:00.0`).
    Pci(String),
    /// A simulated card: the vfio-user socket `seqfab-sim serve` made for it.
    VfioUser(PathBuf),
    /// A card behind the UART host bridge (a board without PCIe, e.g. the ECP5-5G
    /// Versa): a serial device at `baud`, or the UNIX socket of a simulated one.
    Uart { path: PathBuf, baud: u32 },
}

impl FromStr for Target {
    type Err = Error;
    /// `0000:03:00.0` or `pci:0000:03:00.0` is a PCI address; anything with a `/` or
    /// ending in `.sock` (or `vfio-user:PATH`) is a socket path; `uart:PATH` or
    /// `uart:PATH@BAUD` is a card behind the UART bridge (default
    /// [`crate::uart::DEFAULT_BAUD`]).
    fn from_str(s: &str) -> Result<Target> {
        if let Some(rest) = s.strip_prefix("uart:") {
            let (path, baud) = match rest.rsplit_once('@') {
                Some((p, b)) => (
                    p,
                    b.parse::<u32>().map_err(|_| {
                        Error::BadParameter(format!("{s:?}: baud rate {b:?} is not a number"))
                    })?,
                ),
                None => (rest, crate::uart::DEFAULT_BAUD),
            };
            if path.is_empty() || baud == 0 {
                return Err(Error::BadParameter(format!(
                    "{s:?}: expected uart:PATH or uart:PATH@BAUD, e.g. uart:/dev/ttyUSB1@12000000"
                )));
            }
            return Ok(Target::Uart {
                path: path.into(),
                baud,
            });
        }
        if let Some(p) = s.strip_prefix("vfio-user:") {
            return Ok(Target::VfioUser(p.into()));
        }
        if let Some(b) = s.strip_prefix("pci:") {
            return Ok(Target::Pci(b.to_string()));
        }
        if s.contains('/') || s.ends_with(".sock") {
            return Ok(Target::VfioUser(s.into()));
        }
        Ok(Target::Pci(s.to_string()))
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Pci(b) => write!(f, "pci:{b}"),
            Target::VfioUser(p) => write!(f, "vfio-user:{}", p.display()),
            Target::Uart { path, baud } => write!(f, "uart:{}@{baud}", path.display()),
        }
    }
}

/// What [`Card::bring_up`] programs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Node id on the fabric (0..64).
    pub node: u8,
    /// Log2 of each queue's ring entries (1..=MAX_RING_LOG2).
    pub ring_log2: u32,
    /// Heartbeat period, lease length and hold: the same on every card of the cluster
    /// (the management process decides them; docs/leases.md).
    pub timing: LeaseTiming,
    /// Planes to use.
    pub planes: Control,
    /// Back the DMA memory with huge pages.
    pub hugetlb: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            node: 0,
            ring_log2: 10,
            timing: LeaseTiming::new(500, seqfab_contract::lease::DEFAULT_MAX_FRAME_DELAY),
            planes: Control::PLANE_X | Control::PLANE_Y,
            hugetlb: false,
        }
    }
}

/// Where each structure lives in the DMA block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Layout {
    ring_log2: u32,
}

impl Layout {
    fn ring_bytes(&self) -> usize {
        ENTRY_BYTES << self.ring_log2
    }
    fn ring_offset(&self, q: usize) -> usize {
        q * self.ring_bytes()
    }
    fn mirror_offset(&self) -> usize {
        QUEUES * self.ring_bytes()
    }
    fn total(&self) -> usize {
        self.mirror_offset() + MIRROR_BYTES
    }
}

struct Dma {
    mem: DmaMemory,
    layout: Layout,
}

/// An open card. `Send + Sync`: doorbells, ring reads and interrupt waits take `&self`,
/// so threads can share one card (each using queues of its own).
pub struct Card {
    backend: Box<dyn Backend>,
    identity: Identity,
    dma: Option<Dma>,
    irqs: Vec<Interrupt>,
}

impl std::fmt::Debug for Card {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Card")
            .field("device", &self.backend.device())
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl Card {
    /// Opens `target` and checks its ID block. The card is not touched otherwise: call
    /// [`Card::bring_up`] to own it, or use it read-only (status, management window).
    pub fn open(target: &Target) -> Result<Card> {
        let backend: Box<dyn Backend> = match target {
            Target::Pci(bdf) => crate::vfio::open(bdf)?,
            Target::VfioUser(path) => Box::new(crate::vfio_user::Client::connect(path)?),
            Target::Uart { path, baud } => Box::new(crate::uart::UartBackend::open(
                path,
                &crate::uart::UartOptions {
                    baud: *baud,
                    ..Default::default()
                },
            )?),
        };
        Card::with_backend(backend)
    }

    /// A card over any backend (tests, other transports).
    pub fn with_backend(backend: Box<dyn Backend>) -> Result<Card> {
        if backend.bar_len() < regs::BAR0_BYTES as u64 {
            return Err(Error::BarTooSmall {
                device: backend.device().to_string(),
                found: backend.bar_len(),
                expected: regs::BAR0_BYTES as u64,
            });
        }
        let identity = program::identify(&mut Regs(backend.as_ref()))
            .map_err(|e| Error::from_program(e, backend.device()))?;
        Ok(Card {
            backend,
            identity,
            dma: None,
            irqs: Vec::new(),
        })
    }

    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The device this card was opened as.
    pub fn device(&self) -> &str {
        self.backend.device()
    }

    /// Soft reset, DMA memory, interrupts, and the bring-up writes (module docs). May be
    /// called again: the old DMA memory is unmapped and replaced.
    pub fn bring_up(&mut self, opts: &Options) -> Result<()> {
        if !(1..=MAX_RING_LOG2).contains(&opts.ring_log2) {
            return Err(Error::BadParameter(format!(
                "ring_log2 {} must be 1..={MAX_RING_LOG2}",
                opts.ring_log2
            )));
        }
        let device = self.backend.device().to_string();
        program::soft_reset(&mut Regs(self.backend.as_ref()))
            .map_err(|e| Error::from_program(e, &device))?;
        self.release_dma();
        let layout = Layout {
            ring_log2: opts.ring_log2,
        };
        let mem = DmaMemory::new(layout.total(), opts.hugetlb)?;
        self.backend.map_dma(&mem, DMA_IOVA)?;
        self.dma = Some(Dma { mem, layout });
        if self.irqs.is_empty() {
            self.irqs = (0..QUEUES)
                .map(|_| Interrupt::new())
                .collect::<Result<_>>()?;
            self.backend.set_irqs(&self.irqs)?;
        }
        let p = BringUp {
            node: opts.node,
            mirror: DMA_IOVA + layout.mirror_offset() as u64,
            timing: opts.timing,
            rings: (0..QUEUES)
                .map(|q| RingSetup {
                    base: DMA_IOVA + layout.ring_offset(q) as u64,
                    log2: opts.ring_log2,
                    irq: true,
                })
                .collect(),
            planes: opts.planes,
            heartbeat: true,
        };
        program::bring_up(&mut Regs(self.backend.as_ref()), &p)
            .map_err(|e| Error::from_program(e, &device))
    }

    /// Reads a BAR0 register.
    pub fn read(&self, offset: u32) -> Result<u64> {
        self.backend.read64(offset)
    }

    /// Writes a BAR0 register.
    pub fn write(&self, offset: u32, value: u64) -> Result<()> {
        self.backend.write64(offset, value)
    }

    #[inline]
    fn dma(&self) -> Result<&Dma> {
        match &self.dma {
            Some(d) => Ok(d),
            None => Err(not_brought_up()),
        }
    }

    #[inline]
    fn check_queue(q: usize) -> Result<()> {
        if q >= QUEUES {
            return Err(no_such_queue(q));
        }
        Ok(())
    }

    /// Entries in each ring.
    pub fn ring_entries(&self) -> Result<u64> {
        Ok(1 << self.dma()?.layout.ring_log2)
    }

    /// Rings queue `q`'s doorbell: ask for `count` numbers, answered with `tag`.
    /// `#[inline]`, as is [`Card::completion`]: both are on the request function's fast
    /// path, in another crate.
    #[inline]
    pub fn doorbell(&self, q: usize, count: u32, tag: u16) -> Result<()> {
        Self::check_queue(q)?;
        let word = match (Doorbell { count, tag }).encode() {
            Ok(w) => w,
            Err(e) => return Err(bad_doorbell(e)),
        };
        // Everything the host wrote before (ring slots it reset, its own bookkeeping) is
        // ordered before the card can act on the doorbell.
        fence(Ordering::Release);
        self.backend.write64(regs::doorbell(q), word)
    }

    /// The completion at free-running ring index `index` of queue `q`, if it has landed
    /// (its phase bit is that of `index`'s pass around the ring).
    #[inline]
    pub fn completion(&self, q: usize, index: u64) -> Result<Option<Completion>> {
        Self::check_queue(q)?;
        let dma = self.dma()?;
        dma.mem
            .load_ring_entry(dma.layout.ring_offset(q), dma.layout.ring_log2, index)
    }

    /// The DMA memory (every ring and the mirror), for a host agent that shares a
    /// queue's ring with another process.
    pub fn dma_memory(&self) -> Result<&DmaMemory> {
        Ok(&self.dma()?.mem)
    }

    /// Byte offset of queue `q`'s ring in [`Card::dma_memory`].
    pub fn ring_offset(&self, q: usize) -> Result<usize> {
        Self::check_queue(q)?;
        Ok(self.dma()?.layout.ring_offset(q))
    }

    /// Log2 of each ring's entries.
    pub fn ring_log2(&self) -> Result<u32> {
        Ok(self.dma()?.layout.ring_log2)
    }

    /// An fd and offset from which another process can map queue `q`'s doorbell page
    /// (see [`Backend::export_doorbell`]); `None` when the transport has none.
    pub fn export_doorbell(&self, q: usize) -> Option<Result<(std::os::fd::OwnedFd, u64)>> {
        self.backend.export_doorbell(q)
    }

    /// Stops queue `q` taking doorbells (its process is gone).
    pub fn stop_queue(&self, q: usize) -> Result<()> {
        Self::check_queue(q)?;
        program::disable_queue(&mut Regs(self.backend.as_ref()), q)
    }

    /// Starts queue `q` afresh for a new owner: its ring zeroed, its producer index and
    /// phase reset (a write of `Q_RING_LOG2`), doorbells taken again.
    pub fn restart_queue(&self, q: usize) -> Result<()> {
        Self::check_queue(q)?;
        let dma = self.dma()?;
        let base = dma.layout.ring_offset(q);
        for k in (0..dma.layout.ring_bytes()).step_by(8) {
            dma.mem.write64(base + k, 0)?;
        }
        fence(Ordering::Release);
        let mut r = Regs(self.backend.as_ref());
        r.write_reg(
            regs::queue_reg(q, regs::Q_RING_LOG2),
            dma.layout.ring_log2 as u64,
        )?;
        let c = regs::QueueControl::ENABLE | regs::QueueControl::IRQ_ENABLE;
        r.write_reg(regs::queue_reg(q, regs::Q_CONTROL), c.bits())
    }

    /// Arms queue `q`'s interrupt for its next completion (one-shot).
    pub fn arm_irq(&self, q: usize) -> Result<()> {
        Self::check_queue(q)?;
        program::arm_irq(&mut Regs(self.backend.as_ref()), q)
    }

    /// Queue `q`'s interrupt.
    pub fn irq(&self, q: usize) -> Result<&Interrupt> {
        Self::check_queue(q)?;
        self.irqs.get(q).ok_or_else(|| {
            Error::BadParameter("the card is not brought up: call bring_up first".into())
        })
    }

    /// The state mirror the card last wrote (zero until its first write).
    pub fn mirror(&self) -> Result<Mirror> {
        let dma = self.dma()?;
        let bytes: [u8; MIRROR_BYTES] = dma.mem.read_bytes(dma.layout.mirror_offset())?;
        Ok(Mirror::decode(&bytes))
    }

    /// This card's lease: cycles left on it, and cycles of hold still to run before it
    /// may issue as primary (`LEASE`, `LEASE_HOLD_LEFT`; docs/leases.md).
    pub fn lease(&self) -> Result<(u64, u64)> {
        Ok((self.read(regs::LEASE)?, self.read(regs::LEASE_HOLD_LEFT)?))
    }

    /// Waits up to `timeout` until this card holds a lease with its hold run out (as a
    /// new primary must before it issues); returns whether it does.
    pub fn wait_issuing(&self, timeout: Duration) -> Result<bool> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let (lease, hold) = self.lease()?;
            if lease > 0 && hold == 0 {
                return Ok(true);
            }
            if std::time::Instant::now() >= deadline {
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Sends a CONFIG to card `to` through this card's management window.
    pub fn send_config(&self, to: u8, cfg: &Config) -> Result<()> {
        program::send_config(&mut Regs(self.backend.as_ref()), to, cfg)
    }

    /// Sends a STATE_QUERY to card `to` and waits up to `timeout` for its STATE_REPLY.
    pub fn query_state(&self, to: u8, timeout: Duration) -> Result<Option<MgmtReply>> {
        self.await_reply(FrameType::StateReply, to, timeout, |r| {
            program::send_state_query(r, to, 0)
        })
    }

    /// Sends a CONFIG to card `to` and waits up to `timeout` for its CONFIG_ACK.
    pub fn configure(&self, to: u8, cfg: &Config, timeout: Duration) -> Result<Option<MgmtReply>> {
        self.await_reply(FrameType::ConfigAck, to, timeout, |r| {
            program::send_config(r, to, cfg)
        })
    }

    fn await_reply(
        &self,
        kind: FrameType,
        from: u8,
        timeout: Duration,
        send: impl FnOnce(&mut Regs) -> Result<()>,
    ) -> Result<Option<MgmtReply>> {
        let mut regs = Regs(self.backend.as_ref());
        let before = regs.read_reg(regs::MGMT_RX_SEQ)?;
        send(&mut regs)?;
        let deadline = Instant::now() + timeout;
        loop {
            if regs.read_reg(regs::MGMT_RX_SEQ)? != before {
                let reply = program::read_mgmt_reply(&mut regs)?;
                if reply.kind == Some(kind) && reply.src == from {
                    return Ok(Some(reply));
                }
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_micros(50));
        }
    }

    /// Stops the queues (so the card writes nothing more into memory about to go away),
    /// then unmaps and frees the DMA memory.
    fn release_dma(&mut self) {
        if let Some(dma) = self.dma.take() {
            for q in 0..QUEUES {
                let _ = program::disable_queue(&mut Regs(self.backend.as_ref()), q);
            }
            let _ = self.backend.write64(regs::MIRROR_ADDR, 0);
            let _ = self.backend.unmap_dma(DMA_IOVA, dma.mem.len() as u64);
        }
    }
}

/// The errors of the fast path's checks, out of line so that the checks stay small.
#[cold]
#[inline(never)]
fn not_brought_up() -> Error {
    Error::BadParameter("the card is not brought up: call bring_up first".into())
}

#[cold]
#[inline(never)]
fn no_such_queue(q: usize) -> Error {
    Error::BadParameter(format!("queue {q}: the card has queues 0..{QUEUES}"))
}

#[cold]
#[inline(never)]
fn bad_doorbell(e: seqfab_contract::doorbell::DoorbellError) -> Error {
    Error::BadParameter(e.to_string())
}

impl Drop for Card {
    fn drop(&mut self) {
        self.release_dma();
    }
}
