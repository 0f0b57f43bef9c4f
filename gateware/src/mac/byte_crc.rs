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
//! `c'` is the parity of `x` under one mask (one row of the matrix, [`row_masks`]); the
//! gateware is 32 such parities. The tests check [`step`] and the gateware against
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

/// Row masks of the linear map `x -> step(x, 0)`: bit `j` of `step(c, b)` is the parity
/// of `(c ^ b) & row_masks()[j]`.
pub fn row_masks() -> [u32; 32] {
    let columns: [u32; 32] = std::array::from_fn(|i| step(1 << i, 0));
    std::array::from_fn(|j| {
        (0..32)
            .filter(|i| columns[*i] >> j & 1 == 1)
            .fold(0u32, |m, i| m | 1 << i)
    })
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

/// 32 single-bit lanes gathered into a word. rust-hdl has no concatenation operator and
/// its `set_bit` does not translate, so each bit is a struct field (a part-select
/// assignment in Verilog), as in `fabric::crc`.
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
struct Lanes32 {
    pub b0: Bit,
    pub b1: Bit,
    pub b2: Bit,
    pub b3: Bit,
    pub b4: Bit,
    pub b5: Bit,
    pub b6: Bit,
    pub b7: Bit,
    pub b8: Bit,
    pub b9: Bit,
    pub b10: Bit,
    pub b11: Bit,
    pub b12: Bit,
    pub b13: Bit,
    pub b14: Bit,
    pub b15: Bit,
    pub b16: Bit,
    pub b17: Bit,
    pub b18: Bit,
    pub b19: Bit,
    pub b20: Bit,
    pub b21: Bit,
    pub b22: Bit,
    pub b23: Bit,
    pub b24: Bit,
    pub b25: Bit,
    pub b26: Bit,
    pub b27: Bit,
    pub b28: Bit,
    pub b29: Bit,
    pub b30: Bit,
    pub b31: Bit,
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
    /// The register the update starts from: the preset with `start`, else `state`.
    base: Signal<Local, Bits<32>>,
    /// Bit `j` of the update of `base` by `data`.
    lanes: Signal<Local, Lanes32>,
    /// Row masks over the register (`row[j]`) and over the byte (`row_byte[j]`, its low
    /// 8 bits).
    row: [Constant<Bits<32>>; 32],
    row_byte: [Constant<Bits<8>>; 32],
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
        let rows = row_masks();
        Self {
            clock: Default::default(),
            data: Default::default(),
            start: Default::default(),
            advance: Default::default(),
            fcs: Default::default(),
            residue_ok: Default::default(),
            state: Default::default(),
            base: Default::default(),
            lanes: Default::default(),
            row: rows.map(|m| Constant::new((m as u64).into())),
            row_byte: rows.map(|m| Constant::new(((m & 0xFF) as u64).into())),
            preset: Constant::new(0xFFFF_FFFFu64.into()),
            residue: Constant::new((residue() as u64).into()),
        }
    }
}

impl Logic for ByteCrc {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state);
        self.base.next = self.state.q.val();
        if self.start.val() {
            self.base.next = self.preset.val();
        }
        // Bit j of step(base, data) = parity((base ^ data) & row[j]), with the byte's
        // share taken through the row's low 8 bits.
        self.lanes.next.b0 = (self.base.val() & self.row[0].val()).xor()
            ^ (self.data.val() & self.row_byte[0].val()).xor();
        self.lanes.next.b1 = (self.base.val() & self.row[1].val()).xor()
            ^ (self.data.val() & self.row_byte[1].val()).xor();
        self.lanes.next.b2 = (self.base.val() & self.row[2].val()).xor()
            ^ (self.data.val() & self.row_byte[2].val()).xor();
        self.lanes.next.b3 = (self.base.val() & self.row[3].val()).xor()
            ^ (self.data.val() & self.row_byte[3].val()).xor();
        self.lanes.next.b4 = (self.base.val() & self.row[4].val()).xor()
            ^ (self.data.val() & self.row_byte[4].val()).xor();
        self.lanes.next.b5 = (self.base.val() & self.row[5].val()).xor()
            ^ (self.data.val() & self.row_byte[5].val()).xor();
        self.lanes.next.b6 = (self.base.val() & self.row[6].val()).xor()
            ^ (self.data.val() & self.row_byte[6].val()).xor();
        self.lanes.next.b7 = (self.base.val() & self.row[7].val()).xor()
            ^ (self.data.val() & self.row_byte[7].val()).xor();
        self.lanes.next.b8 = (self.base.val() & self.row[8].val()).xor()
            ^ (self.data.val() & self.row_byte[8].val()).xor();
        self.lanes.next.b9 = (self.base.val() & self.row[9].val()).xor()
            ^ (self.data.val() & self.row_byte[9].val()).xor();
        self.lanes.next.b10 = (self.base.val() & self.row[10].val()).xor()
            ^ (self.data.val() & self.row_byte[10].val()).xor();
        self.lanes.next.b11 = (self.base.val() & self.row[11].val()).xor()
            ^ (self.data.val() & self.row_byte[11].val()).xor();
        self.lanes.next.b12 = (self.base.val() & self.row[12].val()).xor()
            ^ (self.data.val() & self.row_byte[12].val()).xor();
        self.lanes.next.b13 = (self.base.val() & self.row[13].val()).xor()
            ^ (self.data.val() & self.row_byte[13].val()).xor();
        self.lanes.next.b14 = (self.base.val() & self.row[14].val()).xor()
            ^ (self.data.val() & self.row_byte[14].val()).xor();
        self.lanes.next.b15 = (self.base.val() & self.row[15].val()).xor()
            ^ (self.data.val() & self.row_byte[15].val()).xor();
        self.lanes.next.b16 = (self.base.val() & self.row[16].val()).xor()
            ^ (self.data.val() & self.row_byte[16].val()).xor();
        self.lanes.next.b17 = (self.base.val() & self.row[17].val()).xor()
            ^ (self.data.val() & self.row_byte[17].val()).xor();
        self.lanes.next.b18 = (self.base.val() & self.row[18].val()).xor()
            ^ (self.data.val() & self.row_byte[18].val()).xor();
        self.lanes.next.b19 = (self.base.val() & self.row[19].val()).xor()
            ^ (self.data.val() & self.row_byte[19].val()).xor();
        self.lanes.next.b20 = (self.base.val() & self.row[20].val()).xor()
            ^ (self.data.val() & self.row_byte[20].val()).xor();
        self.lanes.next.b21 = (self.base.val() & self.row[21].val()).xor()
            ^ (self.data.val() & self.row_byte[21].val()).xor();
        self.lanes.next.b22 = (self.base.val() & self.row[22].val()).xor()
            ^ (self.data.val() & self.row_byte[22].val()).xor();
        self.lanes.next.b23 = (self.base.val() & self.row[23].val()).xor()
            ^ (self.data.val() & self.row_byte[23].val()).xor();
        self.lanes.next.b24 = (self.base.val() & self.row[24].val()).xor()
            ^ (self.data.val() & self.row_byte[24].val()).xor();
        self.lanes.next.b25 = (self.base.val() & self.row[25].val()).xor()
            ^ (self.data.val() & self.row_byte[25].val()).xor();
        self.lanes.next.b26 = (self.base.val() & self.row[26].val()).xor()
            ^ (self.data.val() & self.row_byte[26].val()).xor();
        self.lanes.next.b27 = (self.base.val() & self.row[27].val()).xor()
            ^ (self.data.val() & self.row_byte[27].val()).xor();
        self.lanes.next.b28 = (self.base.val() & self.row[28].val()).xor()
            ^ (self.data.val() & self.row_byte[28].val()).xor();
        self.lanes.next.b29 = (self.base.val() & self.row[29].val()).xor()
            ^ (self.data.val() & self.row_byte[29].val()).xor();
        self.lanes.next.b30 = (self.base.val() & self.row[30].val()).xor()
            ^ (self.data.val() & self.row_byte[30].val()).xor();
        self.lanes.next.b31 = (self.base.val() & self.row[31].val()).xor()
            ^ (self.data.val() & self.row_byte[31].val()).xor();
        if self.start.val() | self.advance.val() {
            self.state.d.next = self.lanes.val().into();
        }
        self.fcs.next = !self.state.q.val();
        self.residue_ok.next = self.state.q.val() == self.residue.val();
    }
}

#[cfg(test)]
mod tests;
