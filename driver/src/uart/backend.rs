//! [`UartBackend`]: the [`Backend`] of a card behind the UART host bridge (module doc of
//! [`super`]).
//!
//! Two threads touch the link: callers send packets under one lock (writes, read
//! requests), and a reader thread owns the receiving half: it deframes and checks the
//! card's packets and acts on them at once, so a DMA write or an interrupt never waits
//! for a caller. A read waits on a condition variable for the reply with its id.

use super::port::Port;
use super::DEFAULT_BAUD;
use crate::backend::Backend;
use crate::dma::DmaMemory;
use crate::error::{Error, Result};
use crate::irq::Interrupt;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use seqfab_contract::bridge::{
    self, reg, slip_frame, CardFrame, CardMsg, DecodeError, Deframer, HostMsg, MAX_CARD_PACKET,
};
use seqfab_contract::regs::BAR0_BYTES;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use vmm_sys_util::eventfd::EventFd;

/// How the link is opened and how patient a read is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UartOptions {
    /// Serial devices only: the rate, the card's (`seqfab_contract::bridge::uart_rate`).
    pub baud: u32,
    /// How long one attempt of a register read waits for its reply. The default covers
    /// the FT2232H's default 16 ms latency timer several times over; a simulated card
    /// needs seconds.
    pub read_timeout: Duration,
    /// Attempts of a read before [`Error::BridgeTimeout`].
    pub read_attempts: u32,
}

impl Default for UartOptions {
    fn default() -> Self {
        UartOptions {
            baud: DEFAULT_BAUD,
            read_timeout: Duration::from_millis(100),
            read_attempts: 3,
        }
    }
}

/// What the host end of the link has seen since it was opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UartStats {
    /// Card packets accepted.
    pub packets: u64,
    /// Card packets dropped for a CRC mismatch.
    pub crc_errors: u64,
    /// Card packets dropped as malformed (SLIP error, length, kind).
    pub frame_errors: u64,
    /// Card packets missing, by the card's sequence numbers (lost whole or dropped).
    pub seq_gaps: u64,
    /// Read replies for no read waiting (late answers to abandoned attempts).
    pub stale_replies: u64,
    /// DMA writes applied to host memory.
    pub dma_writes: u64,
    /// DMA writes dropped: outside every mapping, or not 8-byte aligned.
    pub dma_outside: u64,
    /// Interrupt packets received.
    pub irqs: u64,
    /// Read attempts that timed out.
    pub read_timeouts: u64,
    /// Posted writes the card reported it never executed.
    pub writes_lost: u64,
}

#[derive(Debug, Default)]
struct Counters {
    packets: AtomicU64,
    crc_errors: AtomicU64,
    frame_errors: AtomicU64,
    seq_gaps: AtomicU64,
    stale_replies: AtomicU64,
    dma_writes: AtomicU64,
    dma_outside: AtomicU64,
    irqs: AtomicU64,
    read_timeouts: AtomicU64,
    writes_lost: AtomicU64,
}

fn bump(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

/// The reply slot the reader fills and a waiting read empties.
#[derive(Debug, Default)]
struct Reply {
    /// The id of the read waiting, if one is.
    waiting: Option<u8>,
    /// Its answer: data and the card's count of writes executed.
    got: Option<(u64, u16)>,
    /// The link is gone, and why.
    closed: Option<String>,
}

/// Host memory the card may write: [`Backend::map_dma`]'s mapping, kept as a second
/// mapping of the same memfd.
#[derive(Debug)]
struct Window {
    iova: u64,
    len: u64,
    mem: DmaMemory,
}

#[derive(Debug, Default)]
struct Shared {
    stop: AtomicBool,
    reply: Mutex<Reply>,
    replied: Condvar,
    windows: RwLock<Vec<Window>>,
    irqs: RwLock<Vec<EventFd>>,
    counters: Counters,
}

/// The sending half.
#[derive(Debug)]
struct Tx {
    port: Port,
    next_id: u8,
    /// `MMIO_WRITE`s sent, mod 2^16 (less those the card reported lost).
    writes: u16,
    buf: Vec<u8>,
}

/// A card behind the UART host bridge.
#[derive(Debug)]
pub struct UartBackend {
    name: String,
    opts: UartOptions,
    /// [`UartOptions::read_timeout`], changeable while open ([`UartBackend::set_read_timeout`]).
    read_timeout_us: AtomicU64,
    tx: Mutex<Tx>,
    /// One read outstanding at a time (the bridge holds one).
    reads: Mutex<()>,
    shared: Arc<Shared>,
    reader: Option<JoinHandle<()>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// How often the reader thread looks at the stop flag while the line is quiet.
const READER_POLL: Duration = Duration::from_millis(20);

impl UartBackend {
    /// Opens the serial device or bridge socket at `path` and checks the bridge's ID
    /// register (magic and protocol version).
    pub fn open(path: &Path, opts: &UartOptions) -> Result<UartBackend> {
        let port = Port::open(path, opts.baud)?;
        let name = match port {
            Port::Serial(_) => format!("uart:{}@{}", path.display(), opts.baud),
            Port::Socket(_) => format!("uart:{}", path.display()),
        };
        let link_err = |source| Error::Link {
            device: name.clone(),
            source,
        };
        let rx = port.try_clone().map_err(link_err)?;
        let shared = Arc::new(Shared::default());
        let reader = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("seqfab-uart-rx".into())
                .spawn(move || reader(rx, &shared))
                .map_err(link_err)?
        };
        let backend = UartBackend {
            name,
            opts: opts.clone(),
            read_timeout_us: AtomicU64::new(opts.read_timeout.as_micros() as u64),
            tx: Mutex::new(Tx {
                port,
                next_id: 0,
                writes: 0,
                buf: Vec::with_capacity(64),
            }),
            reads: Mutex::new(()),
            shared,
            reader: Some(reader),
        };
        let id = backend.bridge_reg(reg::ID)?;
        if id >> 32 != bridge::BRIDGE_MAGIC as u64 || (id >> 16) as u16 != bridge::VERSION {
            return Err(Error::BridgeVersion {
                device: backend.name.clone(),
                found: id,
                expected: bridge::VERSION,
            });
        }
        Ok(backend)
    }

    /// Reads one of the bridge's own registers (`seqfab_contract::bridge::reg`).
    pub fn bridge_reg(&self, reg: u8) -> Result<u64> {
        self.read(
            |id| HostMsg::BridgeRead { id, reg },
            || format!("BRIDGE_READ of register {reg}"),
        )
    }

    /// Changes how long one attempt of a read waits (a tool that measured the link's
    /// round trip; a simulated card, whose speed depends on the machine's load).
    pub fn set_read_timeout(&self, timeout: Duration) {
        self.read_timeout_us
            .store(timeout.as_micros() as u64, Ordering::Relaxed);
    }

    fn read_timeout(&self) -> Duration {
        Duration::from_micros(self.read_timeout_us.load(Ordering::Relaxed))
    }

    /// What the host end has counted since the link was opened.
    pub fn stats(&self) -> UartStats {
        let c = &self.shared.counters;
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        UartStats {
            packets: g(&c.packets),
            crc_errors: g(&c.crc_errors),
            frame_errors: g(&c.frame_errors),
            seq_gaps: g(&c.seq_gaps),
            stale_replies: g(&c.stale_replies),
            dma_writes: g(&c.dma_writes),
            dma_outside: g(&c.dma_outside),
            irqs: g(&c.irqs),
            read_timeouts: g(&c.read_timeouts),
            writes_lost: g(&c.writes_lost),
        }
    }

    fn link_err(&self, source: io::Error) -> Error {
        Error::Link {
            device: self.name.clone(),
            source,
        }
    }

    fn send(&self, tx: &mut Tx, msg: HostMsg) -> Result<()> {
        let Tx { port, buf, .. } = tx;
        buf.clear();
        slip_frame(&msg.packet(), buf);
        port.write_all(buf).map_err(|e| match e.kind() {
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => {
                self.closed("the other end closed it")
            }
            _ => self.link_err(e),
        })
    }

    /// One read: a request with a fresh id per attempt, then the wait for its reply.
    fn read(&self, request: impl Fn(u8) -> HostMsg, what: impl Fn() -> String) -> Result<u64> {
        let _one = lock(&self.reads);
        for _ in 0..self.opts.read_attempts.max(1) {
            let expected_writes = {
                let mut tx = lock(&self.tx);
                let id = tx.next_id;
                tx.next_id = id.wrapping_add(1);
                {
                    let mut r = lock(&self.shared.reply);
                    if let Some(reason) = &r.closed {
                        return Err(self.closed(reason));
                    }
                    r.waiting = Some(id);
                    r.got = None;
                }
                self.send(&mut tx, request(id))?;
                // Every write sent before this request reaches the card before it.
                tx.writes
            };
            let deadline = Instant::now() + self.read_timeout();
            let mut r = lock(&self.shared.reply);
            loop {
                if let Some((data, writes)) = r.got.take() {
                    r.waiting = None;
                    drop(r);
                    return self.check_writes(expected_writes, writes).map(|()| data);
                }
                if let Some(reason) = &r.closed {
                    return Err(self.closed(reason));
                }
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                r = self
                    .shared
                    .replied
                    .wait_timeout(r, deadline - now)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            r.waiting = None;
            bump(&self.shared.counters.read_timeouts, 1);
        }
        Err(Error::BridgeTimeout {
            device: self.name.clone(),
            what: what(),
            attempts: self.opts.read_attempts.max(1),
            timeout: self.read_timeout(),
        })
    }

    /// The card executed `seen` writes by the time it answered a read sent after
    /// `expected`: any difference is writes it dropped.
    fn check_writes(&self, expected: u16, seen: u16) -> Result<()> {
        if seen == expected {
            return Ok(());
        }
        let lost = expected.wrapping_sub(seen);
        {
            // Later reads compare against what the card really executed.
            let mut tx = lock(&self.tx);
            tx.writes = tx.writes.wrapping_sub(lost);
        }
        bump(&self.shared.counters.writes_lost, lost as u64);
        Err(Error::BridgeWritesLost {
            device: self.name.clone(),
            lost,
        })
    }

    fn closed(&self, reason: &str) -> Error {
        Error::LinkClosed {
            device: self.name.clone(),
            reason: reason.to_string(),
        }
    }

    fn check_offset(offset: u32) -> Result<()> {
        let bad = |reason| Error::BadAccess {
            offset: offset as u64,
            bytes: 8,
            reason,
        };
        if !offset.is_multiple_of(8) {
            return Err(bad("not naturally aligned"));
        }
        if offset as u64 + 8 > BAR0_BYTES as u64 {
            return Err(bad("beyond the end of the BAR"));
        }
        Ok(())
    }
}

impl Backend for UartBackend {
    fn device(&self) -> &str {
        &self.name
    }

    fn bar_len(&self) -> u64 {
        BAR0_BYTES as u64
    }

    fn read64(&self, offset: u32) -> Result<u64> {
        Self::check_offset(offset)?;
        self.read(
            |id| HostMsg::MmioRead { id, addr: offset },
            || format!("a read of BAR0 offset {offset:#x}"),
        )
    }

    fn write64(&self, offset: u32, value: u64) -> Result<()> {
        Self::check_offset(offset)?;
        let mut tx = lock(&self.tx);
        if let Some(reason) = &lock(&self.shared.reply).closed {
            return Err(self.closed(reason));
        }
        self.send(
            &mut tx,
            HostMsg::MmioWrite {
                addr: offset,
                data: value,
            },
        )?;
        tx.writes = tx.writes.wrapping_add(1);
        Ok(())
    }

    fn map_dma(&self, mem: &DmaMemory, iova: u64) -> Result<()> {
        let len = mem.len() as u64;
        let refused = |why: String| Error::DmaMapRefused {
            iova,
            size: len,
            source: io::Error::other(why),
        };
        let end = iova
            .checked_add(len)
            .ok_or_else(|| refused("the window wraps around the address space".into()))?;
        let mut windows = self
            .shared
            .windows
            .write()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(w) = windows
            .iter()
            .find(|w| iova < w.iova + w.len && w.iova < end)
        {
            return Err(refused(format!(
                "overlaps the mapping of {:#x} bytes at {:#x}",
                w.len, w.iova
            )));
        }
        windows.push(Window {
            iova,
            len,
            mem: mem.try_clone()?,
        });
        Ok(())
    }

    fn unmap_dma(&self, iova: u64, size: u64) -> Result<()> {
        let mut windows = self
            .shared
            .windows
            .write()
            .unwrap_or_else(|p| p.into_inner());
        match windows.iter().position(|w| w.iova == iova && w.len == size) {
            Some(k) => {
                windows.swap_remove(k);
                Ok(())
            }
            None => Err(Error::BadParameter(format!(
                "no DMA mapping of {size:#x} bytes at IOVA {iova:#x} on {}",
                self.name
            ))),
        }
    }

    fn set_irqs(&self, irqs: &[Interrupt]) -> Result<()> {
        let fds = irqs
            .iter()
            .map(|i| i.eventfd().try_clone().map_err(Error::Interrupt))
            .collect::<Result<Vec<EventFd>>>()?;
        *self.shared.irqs.write().unwrap_or_else(|p| p.into_inner()) = fds;
        Ok(())
    }
}

impl Drop for UartBackend {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

/// The reader thread: bytes in, packets acted on, until the backend drops or the link
/// closes (then every waiting and later read fails with [`Error::LinkClosed`]).
fn reader(mut port: Port, shared: &Shared) {
    let mut deframer = Deframer::new(MAX_CARD_PACKET);
    let mut last_seq: Option<u8> = None;
    let mut buf = [0u8; 4096];
    let timeout = PollTimeout::try_from(READER_POLL.as_millis() as i32).unwrap_or(PollTimeout::MAX);
    let reason = loop {
        if shared.stop.load(Ordering::Acquire) {
            return;
        }
        let mut fds = [PollFd::new(port.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, timeout) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
            Ok(_) => {}
            Err(e) => break format!("poll: {e}"),
        }
        match port.read(&mut buf) {
            Ok(0) => break "the other end closed it".to_string(),
            Ok(n) => {
                for &b in &buf[..n] {
                    if let Some(packet) = deframer.push(b) {
                        take(shared, packet, &mut last_seq);
                    }
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
                ) => {}
            Err(e) => break e.to_string(),
        }
    };
    let mut r = lock(&shared.reply);
    r.closed = Some(reason);
    shared.replied.notify_all();
}

/// Acts on one packet from the card.
fn take(
    shared: &Shared,
    packet: std::result::Result<&[u8], DecodeError>,
    last_seq: &mut Option<u8>,
) {
    let c = &shared.counters;
    let frame = match packet.and_then(CardFrame::decode) {
        Ok(f) => f,
        Err(e) if e.is_crc() => return bump(&c.crc_errors, 1),
        Err(_) => return bump(&c.frame_errors, 1),
    };
    bump(&c.packets, 1);
    if let Some(last) = *last_seq {
        bump(
            &c.seq_gaps,
            frame.seq.wrapping_sub(last).wrapping_sub(1) as u64,
        );
    }
    *last_seq = Some(frame.seq);
    match frame.msg {
        CardMsg::ReadReply { id, data, writes } => {
            let mut r = lock(&shared.reply);
            if r.waiting == Some(id) && r.got.is_none() {
                r.got = Some((data, writes));
                shared.replied.notify_all();
            } else {
                bump(&c.stale_replies, 1);
            }
        }
        CardMsg::DmaWrite { addr, data } => {
            let windows = shared.windows.read().unwrap_or_else(|p| p.into_inner());
            let hit = windows.iter().find(|w| {
                addr >= w.iova
                    && addr
                        .checked_add(32)
                        .is_some_and(|end| end <= w.iova + w.len)
            });
            // `write_beat` checks bounds and alignment again and writes with volatile
            // stores, the phase word last (`DmaMemory::write_beat`): no unsafe here.
            match hit.map(|w| w.mem.write_beat((addr - w.iova) as usize, &data)) {
                Some(Ok(())) => bump(&c.dma_writes, 1),
                Some(Err(_)) | None => bump(&c.dma_outside, 1),
            }
        }
        CardMsg::Irq { mask } => {
            bump(&c.irqs, 1);
            let irqs = shared.irqs.read().unwrap_or_else(|p| p.into_inner());
            for (q, fd) in irqs.iter().enumerate().take(8) {
                if mask >> q & 1 == 1 {
                    let _ = fd.write(1);
                }
            }
        }
    }
}
