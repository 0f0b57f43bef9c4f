//! [`Crc32Byte`]: the Ethernet CRC-32 register advanced by one byte (combinational).
//!
//! The byte-serial form of the contract's FCS, for whoever sees one byte per clock: the
//! UART host bridge (`crate::bridge`, whose packets carry the FCS) and the RGMII MAC
//! (`crate::mac::ByteCrc` registers it). The card's 512-bit beats use the one-beat form,
//! [`crate::fabric::crc::Fcs32`]. One step of the
//! register, `next = crc32_update(state, [byte])`, is linear over GF(2) in `(state, byte)`
//! (the table lookup and the shift are), so each output bit is the parity of `state` under
//! one mask XOR the parity of `byte` under another. `new()` takes the masks from the
//! contract's [`crc32_update`] at the unit vectors, as `fabric::Fcs32` does for the frame
//! FCS: the polynomial is written once, in the contract.
//!
//! Each output bit is an XOR of at most 40 inputs (about 3 LUT4 levels); the users
//! register the result.

use crate::widgets::Lanes32;
use rust_hdl::prelude::*;
use seqfab_contract::fcs::crc32_update;

/// `result = crc32_update(state, [octet])` (the raw register: no preset, no complement).
#[derive(LogicBlock)]
pub struct Crc32Byte {
    /// The CRC register before the byte.
    pub state: Signal<In, Bits<32>>,
    /// The byte (`byte` is a SystemVerilog keyword).
    pub octet: Signal<In, Bits<8>>,
    /// The CRC register after the byte.
    pub result: Signal<Out, Bits<32>>,
    /// Bit `j` of `result` takes the parity of `state & s_row[j]` ...
    s_row: [Constant<Bits<32>>; 32],
    /// ... XOR the parity of `octet & b_row[j]`.
    b_row: [Constant<Bits<8>>; 32],
    lanes: Signal<Local, Lanes32>,
}

impl Default for Crc32Byte {
    fn default() -> Self {
        Self::new()
    }
}

impl Crc32Byte {
    /// Derives the masks from the contract's CRC (see the module doc).
    pub fn new() -> Self {
        let s_col: Vec<u32> = (0..32).map(|i| crc32_update(1 << i, &[0])).collect();
        let b_col: Vec<u32> = (0..8).map(|i| crc32_update(0, &[1 << i])).collect();
        let row = |cols: &[u32], j: usize| {
            cols.iter()
                .enumerate()
                .filter(|(_, c)| *c >> j & 1 == 1)
                .fold(0u64, |m, (i, _)| m | 1 << i)
        };
        Self {
            state: Default::default(),
            octet: Default::default(),
            result: Default::default(),
            s_row: std::array::from_fn(|j| Constant::new(row(&s_col, j).into())),
            b_row: std::array::from_fn(|j| Constant::new(row(&b_col, j).into())),
            lanes: Default::default(),
        }
    }
}

impl Logic for Crc32Byte {
    #[hdl_gen]
    fn update(&mut self) {
        self.lanes.next.b0 = (self.state.val() & self.s_row[0].val()).xor()
            ^ (self.octet.val() & self.b_row[0].val()).xor();
        self.lanes.next.b1 = (self.state.val() & self.s_row[1].val()).xor()
            ^ (self.octet.val() & self.b_row[1].val()).xor();
        self.lanes.next.b2 = (self.state.val() & self.s_row[2].val()).xor()
            ^ (self.octet.val() & self.b_row[2].val()).xor();
        self.lanes.next.b3 = (self.state.val() & self.s_row[3].val()).xor()
            ^ (self.octet.val() & self.b_row[3].val()).xor();
        self.lanes.next.b4 = (self.state.val() & self.s_row[4].val()).xor()
            ^ (self.octet.val() & self.b_row[4].val()).xor();
        self.lanes.next.b5 = (self.state.val() & self.s_row[5].val()).xor()
            ^ (self.octet.val() & self.b_row[5].val()).xor();
        self.lanes.next.b6 = (self.state.val() & self.s_row[6].val()).xor()
            ^ (self.octet.val() & self.b_row[6].val()).xor();
        self.lanes.next.b7 = (self.state.val() & self.s_row[7].val()).xor()
            ^ (self.octet.val() & self.b_row[7].val()).xor();
        self.lanes.next.b8 = (self.state.val() & self.s_row[8].val()).xor()
            ^ (self.octet.val() & self.b_row[8].val()).xor();
        self.lanes.next.b9 = (self.state.val() & self.s_row[9].val()).xor()
            ^ (self.octet.val() & self.b_row[9].val()).xor();
        self.lanes.next.b10 = (self.state.val() & self.s_row[10].val()).xor()
            ^ (self.octet.val() & self.b_row[10].val()).xor();
        self.lanes.next.b11 = (self.state.val() & self.s_row[11].val()).xor()
            ^ (self.octet.val() & self.b_row[11].val()).xor();
        self.lanes.next.b12 = (self.state.val() & self.s_row[12].val()).xor()
            ^ (self.octet.val() & self.b_row[12].val()).xor();
        self.lanes.next.b13 = (self.state.val() & self.s_row[13].val()).xor()
            ^ (self.octet.val() & self.b_row[13].val()).xor();
        self.lanes.next.b14 = (self.state.val() & self.s_row[14].val()).xor()
            ^ (self.octet.val() & self.b_row[14].val()).xor();
        self.lanes.next.b15 = (self.state.val() & self.s_row[15].val()).xor()
            ^ (self.octet.val() & self.b_row[15].val()).xor();
        self.lanes.next.b16 = (self.state.val() & self.s_row[16].val()).xor()
            ^ (self.octet.val() & self.b_row[16].val()).xor();
        self.lanes.next.b17 = (self.state.val() & self.s_row[17].val()).xor()
            ^ (self.octet.val() & self.b_row[17].val()).xor();
        self.lanes.next.b18 = (self.state.val() & self.s_row[18].val()).xor()
            ^ (self.octet.val() & self.b_row[18].val()).xor();
        self.lanes.next.b19 = (self.state.val() & self.s_row[19].val()).xor()
            ^ (self.octet.val() & self.b_row[19].val()).xor();
        self.lanes.next.b20 = (self.state.val() & self.s_row[20].val()).xor()
            ^ (self.octet.val() & self.b_row[20].val()).xor();
        self.lanes.next.b21 = (self.state.val() & self.s_row[21].val()).xor()
            ^ (self.octet.val() & self.b_row[21].val()).xor();
        self.lanes.next.b22 = (self.state.val() & self.s_row[22].val()).xor()
            ^ (self.octet.val() & self.b_row[22].val()).xor();
        self.lanes.next.b23 = (self.state.val() & self.s_row[23].val()).xor()
            ^ (self.octet.val() & self.b_row[23].val()).xor();
        self.lanes.next.b24 = (self.state.val() & self.s_row[24].val()).xor()
            ^ (self.octet.val() & self.b_row[24].val()).xor();
        self.lanes.next.b25 = (self.state.val() & self.s_row[25].val()).xor()
            ^ (self.octet.val() & self.b_row[25].val()).xor();
        self.lanes.next.b26 = (self.state.val() & self.s_row[26].val()).xor()
            ^ (self.octet.val() & self.b_row[26].val()).xor();
        self.lanes.next.b27 = (self.state.val() & self.s_row[27].val()).xor()
            ^ (self.octet.val() & self.b_row[27].val()).xor();
        self.lanes.next.b28 = (self.state.val() & self.s_row[28].val()).xor()
            ^ (self.octet.val() & self.b_row[28].val()).xor();
        self.lanes.next.b29 = (self.state.val() & self.s_row[29].val()).xor()
            ^ (self.octet.val() & self.b_row[29].val()).xor();
        self.lanes.next.b30 = (self.state.val() & self.s_row[30].val()).xor()
            ^ (self.octet.val() & self.b_row[30].val()).xor();
        self.lanes.next.b31 = (self.state.val() & self.s_row[31].val()).xor()
            ^ (self.octet.val() & self.b_row[31].val()).xor();
        self.result.next = self.lanes.val().into();
    }
}

#[cfg(test)]
mod tests;
