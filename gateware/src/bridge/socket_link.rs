//! A simulated Versa card behind a UNIX socket: the bytes a host writes to the socket
//! become levels on the [`BridgedCard`](super::BridgedCard)'s `rx` pin, bit by bit, and
//! the levels on its `tx` pin become the bytes the host reads, so the driver's `uart`
//! backend talks to the gateware exactly as it would through the FT2232H (whose job the
//! socket and [`super::serial_model`] do here).
//!
//! [`Faults`] corrupts a chosen byte in either direction, for the tests that show a bad
//! checksum detected, counted and recovered from.

use super::serial_model::{Received, SerialRx, SerialTx};
use super::BridgedCardSim;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Byte corruptions to inject, each into one byte counted from when it was asked for.
#[derive(Debug, Default)]
pub struct Faults {
    state: Mutex<FaultState>,
}

#[derive(Debug, Default)]
struct FaultState {
    /// (bytes from now, XOR mask), not yet placed on the link's byte count.
    to_card_pending: Option<(u64, u8)>,
    to_host_pending: Option<(u64, u8)>,
}

impl Faults {
    /// XORs `mask` into the byte the host sends `after` bytes after the next one it
    /// sends (0: the next one) on its way to the card's pin.
    pub fn corrupt_to_card(&self, after: u64, mask: u8) {
        self.lock().to_card_pending = Some((after, mask));
    }

    /// XORs `mask` into the byte the card sends `after` bytes after its next one, on its
    /// way from the card's pin to the host.
    pub fn corrupt_to_host(&self, after: u64, mask: u8) {
        self.lock().to_host_pending = Some((after, mask));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FaultState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What a [`serve`] run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Card clocks simulated.
    pub cycles: u64,
    /// Bytes the host sent (all of them reached the card's pin).
    pub bytes_to_card: u64,
    /// Bytes the card sent to the host.
    pub bytes_to_host: u64,
    /// Bytes from the card without a stop bit (none expected).
    pub framing_errors: u64,
    /// Bytes corrupted on purpose.
    pub corrupted: u64,
}

/// The host's end of one card's serial line, served on a UNIX socket, advanced one card
/// clock at a time: what [`serve`] runs around a rust-hdl card, and what a board-level
/// simulation runs around each of its Verilator boards.
pub struct SerialLink {
    stream: UnixStream,
    host_tx: SerialTx,
    host_rx: SerialRx,
    faults: Arc<Faults>,
    stats: LinkStats,
    /// (absolute byte index, XOR mask) of the corruption due in each direction.
    to_card_at: Option<(u64, u8)>,
    to_host_at: Option<(u64, u8)>,
    closed: bool,
}

impl SerialLink {
    /// A link at `clocks_per_bit` over `stream` (made non-blocking).
    pub fn new(
        stream: UnixStream,
        clocks_per_bit: u32,
        faults: Arc<Faults>,
    ) -> std::io::Result<Self> {
        stream.set_nonblocking(true)?;
        Ok(SerialLink {
            stream,
            host_tx: SerialTx::new(clocks_per_bit),
            host_rx: SerialRx::new(clocks_per_bit),
            faults,
            stats: LinkStats::default(),
            to_card_at: None,
            to_host_at: None,
            closed: false,
        })
    }

    /// The host has closed its end.
    pub fn closed(&self) -> bool {
        self.closed
    }

    /// What the link did so far.
    pub fn stats(&self) -> &LinkStats {
        &self.stats
    }

    /// The level of the card's `rx` pin for this clock (reading the socket when the line
    /// has room for more).
    pub fn level(&mut self) -> std::io::Result<bool> {
        if self.host_tx.queued() < 64 && !self.closed {
            let mut buf = [0u8; 256];
            match self.stream.read(&mut buf) {
                Ok(0) => self.closed = true,
                Ok(n) => {
                    let mut f = self.faults.lock();
                    if let Some((after, mask)) = f.to_card_pending.take() {
                        self.to_card_at = Some((self.stats.bytes_to_card + after, mask));
                    }
                    drop(f);
                    for &b in &buf[..n] {
                        let b = match self.to_card_at {
                            Some((at, mask)) if at == self.stats.bytes_to_card => {
                                self.stats.corrupted += 1;
                                self.to_card_at = None;
                                b ^ mask
                            }
                            _ => b,
                        };
                        self.host_tx.send(&[b]);
                        self.stats.bytes_to_card += 1;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => self.closed = true,
                Err(e) => return Err(e),
            }
        }
        Ok(self.host_tx.next_level())
    }

    /// The card's `tx` pin in this clock; a byte it completes goes to the host.
    pub fn sample(&mut self, tx: bool, stop: &AtomicBool) -> std::io::Result<()> {
        self.stats.cycles += 1;
        match self.host_rx.sample(tx) {
            Some(Received::Byte(b)) => {
                if let Some((after, mask)) = self.faults.lock().to_host_pending.take() {
                    self.to_host_at = Some((self.stats.bytes_to_host + after, mask));
                }
                let b = match self.to_host_at {
                    Some((at, mask)) if at == self.stats.bytes_to_host => {
                        self.stats.corrupted += 1;
                        self.to_host_at = None;
                        b ^ mask
                    }
                    _ => b,
                };
                self.stats.bytes_to_host += 1;
                if !self.closed && !write_all(&mut self.stream, &[b], stop)? {
                    self.closed = true;
                }
            }
            Some(Received::FramingError(_)) => self.stats.framing_errors += 1,
            None => {}
        }
        Ok(())
    }
}

/// Runs `card` behind `stream` until the host closes it or `stop` is set. One card clock
/// per loop; the socket is polled without blocking.
pub fn serve(
    mut card: BridgedCardSim,
    clocks_per_bit: u32,
    stream: UnixStream,
    faults: Arc<Faults>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<LinkStats> {
    let mut link = SerialLink::new(stream, clocks_per_bit, faults)?;
    while !stop.load(Ordering::Relaxed) && !link.closed() {
        let level = link.level()?;
        let tx = card.step(level);
        link.sample(tx, &stop)?;
    }
    Ok(link.stats().clone())
}

/// Writes `bytes` to the non-blocking `stream`; false if the host has gone.
fn write_all(
    stream: &mut UnixStream,
    mut bytes: &[u8],
    stop: &AtomicBool,
) -> std::io::Result<bool> {
    while !bytes.is_empty() {
        match stream.write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if stop.load(Ordering::Relaxed) {
                    return Ok(false);
                }
                std::thread::sleep(std::time::Duration::from_micros(100));
            }
            Err(e) if matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset) => {
                return Ok(false)
            }
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}
