//! [`ByteCrc`]: the Ethernet CRC-32 advanced one byte per clock, for the RGMII MAC.
//!
//! The card's [`crate::fabric::crc::Fcs32`] computes the FCS of a whole 60-byte frame in
//! one beat; a gigabit MAC sees one byte per clock, so it needs the bytewise form: the
//! register update of the reflected CRC-32 (IEEE 802.3 clause 3.2.9, polynomial
//! 0x04C11DB7 taken least significant bit first, preset to all ones).
//!
//! # Derived from the contract, not written again
//!
//! The update of a reflected CRC for one byte `b` is `x = c ^ b; c' = (x >> 8) ^ T[x & 0xFF]`,
//! where `T[i]` is the register after byte `i` from state zero. Since the CRC is linear,
//! `T[i] = crc32([i]) ^ crc32([0])` (the preset and the final complement cancel), so
//! [`table`] reads `T` off the contract's [`seqfab_contract::fcs::crc32`]; the polynomial
//! appears nowhere here. [`step`] is then linear in `x = c ^ {24'b0, b}`, and each bit of
//! `c'` is the parity of `x` under one mask: the shared [`Crc32Byte`] step, which this
//! block registers. The tests check [`step`] and the gateware against
//! `crc32` on random messages.
//!
//! # Use
//!
//! - TX: `start` with the first byte, `advance` with each further byte; [`ByteCrc::fcs`]
//!   is then the FCS of the bytes so far (what `crc32` returns), sent least significant
//!   byte first.
//! - RX: the same over every byte after the SFD, the FCS included; at the end
//!   [`ByteCrc::residue_ok`] is high exactly when the FCS matched: running the CRC over a
//!   message followed by its own FCS leaves the fixed residue [`residue`] (0xDEBB20E3 in
//!   this reflected register form; IEEE 802.3 clause 3.2.9 states it as 0xC704DD7B).
//!
//! Latency: the register holds the CRC of every byte up to the last edge with `start`
//! or `advance`; `fcs` and `residue_ok` are combinational from it.

use crate::widgets::Crc32Byte;
use rust_hdl::prelude::*;
use seqfab_contract::fcs::crc32;

/// `T[i]`: the CRC register after byte `i` from state zero, read off the contract's
/// `crc32` by linearity (module doc).
pub fn table(i: u8) -> u32 {
    crc32(&[i]) ^ crc32(&[0])
}

/// The CRC register after byte `b` from state `c` (the reflected table-driven update).
pub fn step(c: u32, b: u8) -> u32 {
    let x = c ^ b as u32;
    (x >> 8) ^ table(x as u8)
}

/// What the register holds after a message followed by its own FCS (least significant
/// byte first): the same for every message. Computed from the contract's `crc32` over an
/// arbitrary message.
pub fn residue() -> u32 {
    let msg = *b"seqfab";
    msg.iter()
        .chain(crc32(&msg).to_le_bytes().iter())
        .fold(!0u32, |c, &b| step(c, b))
}

/// CRC-32 register advanced by one byte per clock; see the module doc.
#[derive(LogicBlock)]
pub struct ByteCrc {
    /// The clock of the byte stream.
    pub clock: Signal<In, Clock>,
    /// The byte to add.
    pub data: Signal<In, Bits<8>>,
    /// At this edge, begin a new message whose first byte is `data`.
    pub start: Signal<In, Bit>,
    /// At this edge, add `data` to the message (ignored with `start`).
    pub advance: Signal<In, Bit>,
    /// The FCS of the message so far: what `crc32` returns, sent least significant byte
    /// first.
    pub fcs: Signal<Out, Bits<32>>,
    /// The message so far ends with its own correct FCS.
    pub residue_ok: Signal<Out, Bit>,
    /// The register (the complement of `fcs`).
    state: DFF<Bits<32>>,
    /// The update of the register (the preset with `start`) by `data`.
    step: Crc32Byte,
    preset: Constant<Bits<32>>,
    residue: Constant<Bits<32>>,
}

impl Default for ByteCrc {
    fn default() -> Self {
        Self::new()
    }
}

impl ByteCrc {
    pub fn new() -> Self {
        Self {
            clock: Default::default(),
            data: Default::default(),
            start: Default::default(),
            advance: Default::default(),
            fcs: Default::default(),
            residue_ok: Default::default(),
            state: Default::default(),
            step: Crc32Byte::new(),
            preset: Constant::new(0xFFFF_FFFFu64.into()),
            residue: Constant::new((residue() as u64).into()),
        }
    }
}

impl Logic for ByteCrc {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state);
        self.step.state.next = self.state.q.val();
        if self.start.val() {
            self.step.state.next = self.preset.val();
        }
        self.step.octet.next = self.data.val();
        if self.start.val() | self.advance.val() {
            self.state.d.next = self.step.result.val();
        }
        self.fcs.next = !self.state.q.val();
        self.residue_ok.next = self.state.q.val() == self.residue.val();
    }
}

#[cfg(test)]
mod tests;
