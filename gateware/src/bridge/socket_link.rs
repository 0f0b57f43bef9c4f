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

/// Runs `card` behind `stream` until the host closes it or `stop` is set. One card clock
/// per loop; the socket is polled without blocking.
pub fn serve(
    mut card: BridgedCardSim,
    clocks_per_bit: u32,
    mut stream: UnixStream,
    faults: Arc<Faults>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<LinkStats> {
    stream.set_nonblocking(true)?;
    let mut host_tx = SerialTx::new(clocks_per_bit);
    let mut host_rx = SerialRx::new(clocks_per_bit);
    let mut stats = LinkStats::default();
    // (absolute byte index, XOR mask) of the corruption due in each direction.
    let mut to_card_at: Option<(u64, u8)> = None;
    let mut to_host_at: Option<(u64, u8)> = None;
    let mut buf = [0u8; 256];
    while !stop.load(Ordering::Relaxed) {
        if host_tx.queued() < 64 {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let mut f = faults.lock();
                    if let Some((after, mask)) = f.to_card_pending.take() {
                        to_card_at = Some((stats.bytes_to_card + after, mask));
                    }
                    drop(f);
                    for &b in &buf[..n] {
                        let b = match to_card_at {
                            Some((at, mask)) if at == stats.bytes_to_card => {
                                stats.corrupted += 1;
                                to_card_at = None;
                                b ^ mask
                            }
                            _ => b,
                        };
                        host_tx.send(&[b]);
                        stats.bytes_to_card += 1;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
                Err(e) => return Err(e),
            }
        }
        let tx = card.step(host_tx.next_level());
        stats.cycles += 1;
        match host_rx.sample(tx) {
            Some(Received::Byte(b)) => {
                if let Some((after, mask)) = faults.lock().to_host_pending.take() {
                    to_host_at = Some((stats.bytes_to_host + after, mask));
                }
                let b = match to_host_at {
                    Some((at, mask)) if at == stats.bytes_to_host => {
                        stats.corrupted += 1;
                        to_host_at = None;
                        b ^ mask
                    }
                    _ => b,
                };
                stats.bytes_to_host += 1;
                if !write_all(&mut stream, &[b], &stop)? {
                    break;
                }
            }
            Some(Received::FramingError(_)) => stats.framing_errors += 1,
            None => {}
        }
    }
    Ok(stats)
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
