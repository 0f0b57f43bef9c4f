//! The host bridge of a board without a PCIe endpoint: the card's host port (MMIO reads and
//! writes, DMA writes, interrupts) carried over a UART (issue 11 part 3; DESIGN.md 7). The
//! ECP5-5G Versa's FT2232H (channel B) is the UART; the gateware end is
//! `gateware::bridge::UartHostBridge`, the host end the driver's `uart` backend. Both
//! encode and decode with this module, so the two cannot disagree.
//!
//! # Wire format
//!
//! 8N1 bytes. A *packet* is a *body* (a kind byte, then the kind's fields, little-endian)
//! followed by the CRC-32 of the body ([`crate::fcs::crc32`], least significant byte
//! first). A packet travels SLIP-framed (RFC 1055): [`END`] before and after it, and an
//! [`END`] or [`ESC`] inside it sent as [`ESC`] [`ESC_END`] / [`ESC`] [`ESC_ESC`].
//!
//! | dir | kind | name | body after the kind byte | body | on the wire |
//! |---|---|---|---|---|---|
//! | host -> card | 0x01 | `MMIO_WRITE` | addr u32, data u64 | 13 | 19 |
//! | host -> card | 0x02 | `MMIO_READ` | id u8, addr u32 | 6 | 12 |
//! | host -> card | 0x03 | `BRIDGE_READ` | id u8, reg u8 ([`reg`]) | 3 | 9 |
//! | card -> host | 0x81 | `READ_REPLY` | seq u8, id u8, data u64, writes u16 | 13 | 19 |
//! | card -> host | 0x82 | `DMA_WRITE` | seq u8, addr u64, data \[u8; 32\] | 42 | 48 |
//! | card -> host | 0x83 | `IRQ` | seq u8, mask u8 (bit q: queue q) | 3 | 9 |
//!
//! ("On the wire" counts both [`END`]s and no escapes; each [`END`] or [`ESC`] byte in a
//! packet adds one.)
//!
//! - `id` pairs a read with its reply: the host takes a new one for every attempt, so a
//!   late reply to an attempt it gave up on is recognised and dropped.
//! - `writes` is the low 16 bits of the number of `MMIO_WRITE`s the card has executed.
//!   Writes are posted (as on PCIe: no answer), so a write lost to a bad checksum would
//!   otherwise go unnoticed; every read reply tells the host whether all the writes it
//!   sent before the read arrived.
//! - `seq` counts the card's packets (mod 256), so the host sees a lost DMA write or
//!   interrupt as a gap.
//!
//! # Why these choices
//!
//! - **SLIP framing** rather than COBS or a sync byte + length: it is streaming in both
//!   directions with one byte of state (a COBS encoder must look up to 254 bytes ahead,
//!   i.e. hold the whole packet before its first byte leaves), and after any error the
//!   next [`END`] resynchronises the receiver, where a corrupted length field can make a
//!   length-framed receiver swallow the following packets. Its cost is one byte per
//!   [`END`]/[`ESC`] in the data: 2/256 of random bytes, so about 1 % on a DMA write.
//! - **CRC-32** (the Ethernet FCS the contract already defines) rather than CRC-16: a DMA
//!   write carries completion entries and the state mirror, and a corrupted completion
//!   that passed the check would hand software numbers nobody issued (a duplicate, which
//!   invariant I1 forbids). CRC-32 lets a random corruption through with probability
//!   2^-32 instead of 2^-16, and has Hamming distance 5 at these lengths (every error of up
//!   to 4 bits is caught), for two more bytes per packet.
//! - **Ordering** follows PCIe's for the same traffic: the card's DMA writes and interrupts
//!   (posted) leave in the order the card made them, and a read reply never passes a DMA
//!   write made before it, so "read a producer index, then the ring" works as on PCIe.
//!
//! # Errors
//!
//! Every receiver classifies a packet it cannot use the same way ([`Deframer`],
//! [`check`], [`HostMsg::decode`], [`CardFrame::decode`]):
//!
//! 1. a SLIP error (an [`ESC`] followed by anything but [`ESC_END`]/[`ESC_ESC`]), a UART
//!    framing error inside it (card only), longer than the longest packet of its
//!    direction, or shorter than a kind byte and a CRC: a *frame error*;
//! 2. a CRC that does not match: a *CRC error*;
//! 3. a kind it does not know, or a length other than the kind's: a *frame error*.
//!
//! The card drops such a packet and counts it (bridge registers [`reg::CRC_ERRORS`],
//! [`reg::FRAME_ERRORS`]). The host drops it and counts it too; a read whose request or
//! reply was lost times out and is retried with a new id, then reported. A lost posted
//! write is reported at the next read (its `writes` count), a lost DMA write or interrupt
//! as a `seq` gap. Nothing is re-sent by the card: a lost completion shows as a request
//! that times out in the user library, never as a wrong number.
//!
//! # Rates
//!
//! The FT2232H makes 96 MHz / m baud for m = 8, 12 and every m >= 16: 12, 8, 6, 5.65 ...
//! Mbaud (FTDI AN232B-05, for its hi-speed 120 MHz clock). The card divides its clock by
//! an integer number of clocks per bit, so [`uart_rate`] picks the fastest FT2232H rate
//! that the card clock divides within [`MAX_RATE_ERROR_PPM`]: 12 Mbaud at the nominal
//! 250 MHz (21 clocks per bit, -0.79 %), 8 Mbaud at 200 MHz (25, exact), 6 Mbaud at
//! 125 MHz (21, -0.79 %), 12 Mbaud at 156.25 MHz (13, +0.16 %); every whole-MHz clock
//! from 125 to 400 MHz gets at least 3.84 Mbaud (190 MHz is the worst). At 12 Mbaud a direction
//! carries 1.2 MB/s, which is ([`per_second`]): 63 157 MMIO writes/s, 25 000 DMA writes/s
//! (so at most 25 000 completions/s, each carrying one request's range of numbers), and
//! MMIO reads one at a time, bound by the USB round trip (about 1 ms each with the
//! FT2232H's latency timer at 1 ms, 16 ms at its default) rather than by the 31 wire
//! bytes (26 us).

use crate::fcs::{crc32, crc32_update};

/// Version of this protocol, in the bridge's ID register ([`reg::ID`]).
pub const VERSION: u16 = 1;
/// "SQBR": the bridge's ID register holds it in bits 63:32.
pub const BRIDGE_MAGIC: u32 = u32::from_be_bytes(*b"SQBR");
/// Value of the bridge register [`reg::ID`]: magic in 63:32, [`VERSION`] in 31:16.
pub const ID_WORD: u64 = (BRIDGE_MAGIC as u64) << 32 | (VERSION as u64) << 16;

/// SLIP frame delimiter (RFC 1055).
pub const END: u8 = 0xC0;
/// SLIP escape.
pub const ESC: u8 = 0xDB;
/// After [`ESC`]: a data byte [`END`].
pub const ESC_END: u8 = 0xDC;
/// After [`ESC`]: a data byte [`ESC`].
pub const ESC_ESC: u8 = 0xDD;
/// The CRC-32 after the body, least significant byte first.
pub const CRC_BYTES: usize = 4;
/// The CRC register (no final complement) after a body and its CRC: the IEEE 802.3
/// residue, which a byte-serial receiver compares against instead of holding back the last
/// four bytes.
pub const CRC_RESIDUE: u32 = 0xDEBB_20E3;

/// Message kinds (the first byte of a body).
pub mod kind {
    /// Host -> card: write a 64-bit register.
    pub const MMIO_WRITE: u8 = 0x01;
    /// Host -> card: read a 64-bit register.
    pub const MMIO_READ: u8 = 0x02;
    /// Host -> card: read a register of the bridge itself ([`super::reg`]).
    pub const BRIDGE_READ: u8 = 0x03;
    /// Card -> host: the answer to a read.
    pub const READ_REPLY: u8 = 0x81;
    /// Card -> host: a 32-byte DMA write.
    pub const DMA_WRITE: u8 = 0x82;
    /// Card -> host: interrupts (one bit per queue).
    pub const IRQ: u8 = 0x83;
}

/// Bytes of each body, kind byte included.
pub mod body_len {
    pub const MMIO_WRITE: usize = 1 + 4 + 8;
    pub const MMIO_READ: usize = 1 + 1 + 4;
    pub const BRIDGE_READ: usize = 1 + 1 + 1;
    pub const READ_REPLY: usize = 1 + 1 + 1 + 8 + 2;
    pub const DMA_WRITE: usize = 1 + 1 + 8 + 32;
    pub const IRQ: usize = 1 + 1 + 1;
}

/// The longest host -> card packet (body and CRC): what the card's decoder holds.
pub const MAX_HOST_PACKET: usize = body_len::MMIO_WRITE + CRC_BYTES;
/// The longest card -> host packet.
pub const MAX_CARD_PACKET: usize = body_len::DMA_WRITE + CRC_BYTES;
/// The shortest packet of either direction: a kind byte and a CRC.
pub const MIN_PACKET: usize = 1 + CRC_BYTES;

/// Body length of a kind, or `None` for a kind this version does not know.
pub const fn body_len_of(kind: u8) -> Option<usize> {
    match kind {
        kind::MMIO_WRITE => Some(body_len::MMIO_WRITE),
        kind::MMIO_READ => Some(body_len::MMIO_READ),
        kind::BRIDGE_READ => Some(body_len::BRIDGE_READ),
        kind::READ_REPLY => Some(body_len::READ_REPLY),
        kind::DMA_WRITE => Some(body_len::DMA_WRITE),
        kind::IRQ => Some(body_len::IRQ),
        _ => None,
    }
}

/// The bridge's own registers, read with `BRIDGE_READ` (they are not in BAR0, so they
/// cannot collide with the card's map). Counters are 32 bits and wrap.
pub mod reg {
    /// [`super::ID_WORD`]: magic "SQBR" in 63:32, protocol version in 31:16.
    pub const ID: u8 = 0;
    /// Host -> card packets executed.
    pub const FRAMES_OK: u8 = 1;
    /// Host -> card packets dropped for a CRC that did not match.
    pub const CRC_ERRORS: u8 = 2;
    /// Host -> card packets dropped as malformed (SLIP error, UART framing error inside,
    /// too long or short, unknown kind, wrong length).
    pub const FRAME_ERRORS: u8 = 3;
    /// Bytes received without a stop bit (noise, a wrong baud rate, a break).
    pub const UART_ERRORS: u8 = 4;
    /// `MMIO_READ`/`BRIDGE_READ`s dropped because the previous read's reply had not left
    /// yet (the host reads one at a time, so only a retry racing a slow reply does this).
    pub const READS_DROPPED: u8 = 5;
    /// Card clocks per bit the bridge was built with.
    pub const CLOCKS_PER_BIT: u8 = 6;
    /// Every register: index, name, meaning.
    pub const ALL: &[(u8, &str, &str)] = &[
        (
            ID,
            "ID",
            "magic \"SQBR\" in 63:32, protocol version in 31:16",
        ),
        (FRAMES_OK, "FRAMES_OK", "host -> card packets executed"),
        (
            CRC_ERRORS,
            "CRC_ERRORS",
            "host -> card packets dropped: CRC mismatch",
        ),
        (
            FRAME_ERRORS,
            "FRAME_ERRORS",
            "host -> card packets dropped: malformed",
        ),
        (
            UART_ERRORS,
            "UART_ERRORS",
            "bytes received without a stop bit",
        ),
        (
            READS_DROPPED,
            "READS_DROPPED",
            "reads dropped while a reply was waiting",
        ),
        (
            CLOCKS_PER_BIT,
            "CLOCKS_PER_BIT",
            "card clocks per bit (the baud divider)",
        ),
    ];
}

/// A host -> card message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostMsg {
    MmioWrite { addr: u32, data: u64 },
    MmioRead { id: u8, addr: u32 },
    BridgeRead { id: u8, reg: u8 },
}

/// A card -> host message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardMsg {
    ReadReply { id: u8, data: u64, writes: u16 },
    DmaWrite { addr: u64, data: [u8; 32] },
    Irq { mask: u8 },
}

/// A card -> host message with the card's packet sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CardFrame {
    pub seq: u8,
    pub msg: CardMsg,
}

/// Why a packet was refused (see the module doc, "Errors").
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("packet of {len} bytes is shorter than a kind byte and a CRC")]
    TooShort { len: usize },
    #[error("packet of {len} bytes is longer than the longest of its direction ({max})")]
    TooLong { len: usize, max: usize },
    #[error("SLIP escape followed by {0:#04x}")]
    BadEscape(u8),
    #[error("CRC mismatch: packet carries {carried:#010x}, its body gives {computed:#010x}")]
    BadCrc { carried: u32, computed: u32 },
    #[error("unknown message kind {0:#04x}")]
    UnknownKind(u8),
    #[error("message kind {kind:#04x} has {expected} body bytes, this one {len}")]
    BadLength {
        kind: u8,
        len: usize,
        expected: usize,
    },
}

impl DecodeError {
    /// Counted as a CRC error (rather than a frame error) by both ends.
    pub fn is_crc(&self) -> bool {
        matches!(self, DecodeError::BadCrc { .. })
    }
}

/// `body` followed by its CRC.
pub fn packet(body: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(body.len() + CRC_BYTES);
    p.extend_from_slice(body);
    p.extend_from_slice(&crc32(body).to_le_bytes());
    p
}

/// Checks a packet's length and CRC; returns its body.
pub fn check(packet: &[u8], max: usize) -> Result<&[u8], DecodeError> {
    let len = packet.len();
    if len > max {
        return Err(DecodeError::TooLong { len, max });
    }
    if len < MIN_PACKET {
        return Err(DecodeError::TooShort { len });
    }
    let (body, crc) = packet.split_at(len - CRC_BYTES);
    let carried = u32::from_le_bytes(crc.try_into().expect("4 bytes"));
    let computed = crc32(body);
    if carried != computed {
        return Err(DecodeError::BadCrc { carried, computed });
    }
    debug_assert_eq!(crc32_update(!0, packet), CRC_RESIDUE);
    Ok(body)
}

/// Checks that `body` is a `kind` of the right length.
fn shape(body: &[u8]) -> Result<u8, DecodeError> {
    let kind = body[0];
    let expected = body_len_of(kind).ok_or(DecodeError::UnknownKind(kind))?;
    if body.len() != expected {
        return Err(DecodeError::BadLength {
            kind,
            len: body.len(),
            expected,
        });
    }
    Ok(kind)
}

fn le_u16(b: &[u8]) -> u16 {
    u16::from_le_bytes(b[..2].try_into().expect("2 bytes"))
}
fn le_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes(b[..4].try_into().expect("4 bytes"))
}
fn le_u64(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))
}

impl HostMsg {
    /// The body (kind byte and fields).
    pub fn body(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(body_len::MMIO_WRITE);
        match *self {
            HostMsg::MmioWrite { addr, data } => {
                b.push(kind::MMIO_WRITE);
                b.extend_from_slice(&addr.to_le_bytes());
                b.extend_from_slice(&data.to_le_bytes());
            }
            HostMsg::MmioRead { id, addr } => {
                b.push(kind::MMIO_READ);
                b.push(id);
                b.extend_from_slice(&addr.to_le_bytes());
            }
            HostMsg::BridgeRead { id, reg } => {
                b.extend_from_slice(&[kind::BRIDGE_READ, id, reg]);
            }
        }
        b
    }

    /// The packet (body and CRC).
    pub fn packet(&self) -> Vec<u8> {
        packet(&self.body())
    }

    /// The bytes on the wire: the packet SLIP-framed.
    pub fn wire(&self) -> Vec<u8> {
        let mut w = Vec::with_capacity(2 * MAX_HOST_PACKET + 2);
        slip_frame(&self.packet(), &mut w);
        w
    }

    /// Decodes a packet (the card's view; the gateware decoder does the same).
    pub fn decode(packet: &[u8]) -> Result<HostMsg, DecodeError> {
        let b = check(packet, MAX_HOST_PACKET)?;
        Ok(match shape(b)? {
            kind::MMIO_WRITE => HostMsg::MmioWrite {
                addr: le_u32(&b[1..]),
                data: le_u64(&b[5..]),
            },
            kind::MMIO_READ => HostMsg::MmioRead {
                id: b[1],
                addr: le_u32(&b[2..]),
            },
            kind::BRIDGE_READ => HostMsg::BridgeRead {
                id: b[1],
                reg: b[2],
            },
            k => return Err(DecodeError::UnknownKind(k)),
        })
    }
}

impl CardFrame {
    /// The body (kind byte, sequence number and fields).
    pub fn body(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(body_len::DMA_WRITE);
        match self.msg {
            CardMsg::ReadReply { id, data, writes } => {
                b.extend_from_slice(&[kind::READ_REPLY, self.seq, id]);
                b.extend_from_slice(&data.to_le_bytes());
                b.extend_from_slice(&writes.to_le_bytes());
            }
            CardMsg::DmaWrite { addr, data } => {
                b.extend_from_slice(&[kind::DMA_WRITE, self.seq]);
                b.extend_from_slice(&addr.to_le_bytes());
                b.extend_from_slice(&data);
            }
            CardMsg::Irq { mask } => b.extend_from_slice(&[kind::IRQ, self.seq, mask]),
        }
        b
    }

    /// The packet (body and CRC).
    pub fn packet(&self) -> Vec<u8> {
        packet(&self.body())
    }

    /// The bytes on the wire: the packet SLIP-framed.
    pub fn wire(&self) -> Vec<u8> {
        let mut w = Vec::with_capacity(2 * MAX_CARD_PACKET + 2);
        slip_frame(&self.packet(), &mut w);
        w
    }

    /// Decodes a packet (the host's view).
    pub fn decode(packet: &[u8]) -> Result<CardFrame, DecodeError> {
        let b = check(packet, MAX_CARD_PACKET)?;
        let kind = shape(b)?;
        let (seq, f) = (b[1], &b[2..]);
        let msg = match kind {
            kind::READ_REPLY => CardMsg::ReadReply {
                id: f[0],
                data: le_u64(&f[1..]),
                writes: le_u16(&f[9..]),
            },
            kind::DMA_WRITE => CardMsg::DmaWrite {
                addr: le_u64(f),
                data: f[8..40].try_into().expect("32 bytes"),
            },
            kind::IRQ => CardMsg::Irq { mask: f[0] },
            k => return Err(DecodeError::UnknownKind(k)),
        };
        Ok(CardFrame { seq, msg })
    }
}

/// Appends `packet` SLIP-framed to `out`: [`END`], the bytes with [`END`]/[`ESC`] escaped,
/// [`END`]. The leading [`END`] ends whatever line noise came before (RFC 1055).
pub fn slip_frame(packet: &[u8], out: &mut Vec<u8>) {
    out.push(END);
    for &b in packet {
        match b {
            END => out.extend_from_slice(&[ESC, ESC_END]),
            ESC => out.extend_from_slice(&[ESC, ESC_ESC]),
            b => out.push(b),
        }
    }
    out.push(END);
}

/// A SLIP receiver: bytes in, packets out. Holds at most `max` bytes; the state is one
/// packet buffer, an escape flag and the first error seen in the packet.
#[derive(Clone, Debug)]
pub struct Deframer {
    buf: Vec<u8>,
    max: usize,
    esc: bool,
    error: Option<DecodeError>,
    /// The buffer holds the packet returned last; cleared by the next byte.
    done: bool,
}

impl Deframer {
    /// A receiver of packets of at most `max` bytes ([`MAX_HOST_PACKET`] on the card,
    /// [`MAX_CARD_PACKET`] on the host).
    pub fn new(max: usize) -> Self {
        Deframer {
            buf: Vec::with_capacity(max),
            max,
            esc: false,
            error: None,
            done: false,
        }
    }

    /// Takes one byte. At an [`END`] that closes a non-empty packet, returns the packet,
    /// or the SLIP error or overrun that spoiled it (the packet's CRC and shape are
    /// [`check`]'s and the decoders' business). Empty packets (two [`END`]s in a row) are
    /// not reported.
    pub fn push(&mut self, byte: u8) -> Option<Result<&[u8], DecodeError>> {
        if self.done {
            self.buf.clear();
            self.done = false;
        }
        if byte == END {
            let (len, esc, error) = (self.buf.len(), self.esc, self.error.take());
            self.esc = false;
            if len == 0 && error.is_none() && !esc {
                return None;
            }
            self.done = true;
            return Some(match (error, esc) {
                (Some(e), _) => Err(e),
                (None, true) => Err(DecodeError::BadEscape(END)),
                (None, false) => Ok(&self.buf),
            });
        }
        let data = if self.esc {
            self.esc = false;
            match byte {
                ESC_END => END,
                ESC_ESC => ESC,
                b => {
                    self.error.get_or_insert(DecodeError::BadEscape(b));
                    return None;
                }
            }
        } else if byte == ESC {
            self.esc = true;
            return None;
        } else {
            byte
        };
        if self.buf.len() < self.max {
            self.buf.push(data);
        } else {
            self.error.get_or_insert(DecodeError::TooLong {
                len: self.max + 1,
                max: self.max,
            });
        }
        None
    }
}

// ---- rates ----

/// 8N1: a start bit, 8 data bits, a stop bit.
pub const BITS_PER_BYTE: u64 = 10;
/// The FT2232H's fastest UART rate.
pub const FT2232H_MAX_BAUD: u32 = 12_000_000;
/// Largest difference between the card's rate and the host's that [`uart_rate`] accepts.
/// An 8N1 receiver sampling mid-bit drifts by 9.5 bit times of the rate error until the
/// stop bit; 1 % costs 9.5 % of a bit, against a budget of 50 % less the receivers' start
/// edge uncertainty (one sample: 1/10 of a bit for the FT2232H at 12 Mbaud, 1/clocks per
/// bit for the card), so the link keeps a margin of more than 3x.
pub const MAX_RATE_ERROR_PPM: i64 = 10_000;
/// Fewest card clocks per bit the receiver works with (it votes over three samples around
/// the middle of a bit). The simulation tests use 4-8; a board uses 13 or more.
pub const MIN_CLOCKS_PER_BIT: u32 = 4;

/// The rates the FT2232H can make, fastest first, down to `min_baud`: 96 MHz / m for
/// m = 8, 12 and m >= 16 (its 12 MHz hi-speed base divided by n + k/8, where n = 0 means
/// 12 M, n = 1 means 8 M and 1 < n < 2 does not exist; FTDI AN232B-05, AN_120).
pub fn ft2232h_rates(min_baud: u32) -> impl Iterator<Item = u32> {
    [8u32, 12]
        .into_iter()
        .chain(16..)
        .map(|m| 96_000_000 / m)
        .take_while(move |&b| b >= min_baud.max(1))
}

/// A UART rate the card makes by counting its clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UartRate {
    /// The rate the host asks its UART for.
    pub baud: u32,
    /// Card clocks per bit: the bridge's divider parameter.
    pub clocks_per_bit: u32,
    /// The card's rate (clock / clocks_per_bit) minus `baud`, in parts per million of
    /// `baud`.
    pub error_ppm: i64,
}

/// `baud` made from `clock_hz` with the nearest integer divider, if the divider is at least
/// [`MIN_CLOCKS_PER_BIT`] and the error within [`MAX_RATE_ERROR_PPM`].
pub fn divider(clock_hz: u64, baud: u32) -> Option<UartRate> {
    if baud == 0 {
        return None;
    }
    let cpb = (clock_hz + baud as u64 / 2) / baud as u64;
    if cpb < MIN_CLOCKS_PER_BIT as u64 || cpb > u16::MAX as u64 {
        return None;
    }
    let actual_ppm = clock_hz as i128 * 1_000_000 / cpb as i128;
    let error_ppm = ((actual_ppm - baud as i128 * 1_000_000) / baud as i128) as i64;
    (error_ppm.abs() <= MAX_RATE_ERROR_PPM).then_some(UartRate {
        baud,
        clocks_per_bit: cpb as u32,
        error_ppm,
    })
}

/// The fastest FT2232H rate that a card clock of `clock_hz` divides within
/// [`MAX_RATE_ERROR_PPM`] (module doc, "Rates").
pub fn uart_rate(clock_hz: u64) -> Option<UartRate> {
    ft2232h_rates(9600).find_map(|b| divider(clock_hz, b))
}

/// Packets per second one direction carries at `baud` for packets of `body` bytes without
/// escapes (both [`END`]s counted).
pub fn per_second(baud: u32, body: usize) -> u64 {
    baud as u64 / (BITS_PER_BYTE * (body + CRC_BYTES + 2) as u64)
}

#[cfg(test)]
mod tests;
