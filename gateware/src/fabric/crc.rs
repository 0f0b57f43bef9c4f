//! [`Fcs32`]: the Ethernet frame check sequence of a seqfab frame, one frame per clock.
//!
//! The FCS is the CRC-32 of IEEE 802.3 clause 3.2.9 (polynomial 0x04C11DB7, bits taken
//! least significant first, register preset to all ones, result complemented). The single
//! definition is the contract's bytewise [`seqfab_contract::fcs::crc32`]; this widget
//! computes exactly `crc32(&bytes[..60])` for the 60 bytes a seqfab frame's FCS covers.
//!
//! # Why a fixed XOR network
//!
//! For a fixed message length the CRC is *affine* over GF(2): the preset and the final
//! complement are constants, and the division step is linear. So for every 480-bit message
//! `d`, `crc(d) = crc(0) ^ L·d`, and the linear map `L` is fixed by its columns:
//! column `i` is `crc(e_i) ^ crc(0)`, where `e_i` has only bit `i` set (XOR of the
//! affine map at `e_i` and at zero cancels the constant). The contract computes `crc(0)`
//! and every column from its `crc32` ([`seqfab_contract::fcs::fcs_columns`]); `new()`
//! transposes them into one row mask per output bit: output bit `j = parity(d & row_j) ^ crc(0)_j`. No polynomial
//! arithmetic is written twice, so the gateware cannot drift from the contract.
//!
//! # Pipeline (timing)
//!
//! Each row has about 240 ones; a single 240-input XOR is 4 LUT4 levels plus routing, too
//! slow for the 250 MHz card clock (DESIGN.md 8). The rows are therefore cut into
//! [`CHUNKS`] chunks of [`CHUNK_BITS`] bits: stage 1 registers the parity of each chunk
//! for each of the 32 output bits (about 15 inputs each: 2 LUT4 levels), stage 2 XORs the
//! 16 partial parities with `crc(0)` in a balanced tree (2 LUT4 levels) into the output
//! register. Both stages load only when `advance` is high, so a stalled pipeline keeps its
//! data; a new message may be presented on every clock.
//!
//! **Latency: 2 advances.** The `data` present at a rising edge where `advance` is high
//! appears on `fcs` after the second such edge (two clocks when `advance` stays high).

use crate::widgets::Lanes32;
use rust_hdl::prelude::*;
use seqfab_contract::fcs::{fcs_columns, fcs_of_zeros, FCS_COVERED_BITS};

/// Bits of a frame covered by the FCS (bytes 0..60, byte 0 in bits 7:0).
pub const FCS_DATA_BITS: usize = FCS_COVERED_BITS;
/// Chunks the message is cut into for the first pipeline stage.
pub const CHUNKS: usize = 16;
/// Bits per chunk. 30 keeps each partial parity at ~15 inputs (2 LUT4 levels) and keeps
/// the chunk in rust-hdl's fast (<= 32-bit) simulation representation.
pub const CHUNK_BITS: usize = 30;
/// Number of FCS bits.
const FCS_BITS: usize = 32;

/// The 32 parities of one chunk of the message, one per FCS bit (combinational).
///
/// A separate block because a struct-field assignment cannot sit inside an `#[hdl_gen]`
/// loop over an array index; the parent instantiates one per chunk instead.
#[derive(LogicBlock)]
struct ChunkParity {
    /// One chunk of the message.
    pub chunk: Signal<In, Bits<30>>,
    /// Bit `j` = parity of `chunk & row[j]`.
    pub parity: Signal<Out, Bits<32>>,
    /// Row masks of this chunk: the chunk's bits that feed FCS bit `j`.
    row: [Constant<Bits<30>>; FCS_BITS],
    lanes: Signal<Local, Lanes32>,
}

impl ChunkParity {
    fn new(row: [u64; FCS_BITS]) -> Self {
        Self {
            chunk: Default::default(),
            parity: Default::default(),
            row: row.map(|m| {
                assert!(m < 1 << CHUNK_BITS);
                Constant::new(m.into())
            }),
            lanes: Default::default(),
        }
    }
}

impl Logic for ChunkParity {
    #[hdl_gen]
    fn update(&mut self) {
        self.lanes.next.b0 = (self.chunk.val() & self.row[0].val()).xor();
        self.lanes.next.b1 = (self.chunk.val() & self.row[1].val()).xor();
        self.lanes.next.b2 = (self.chunk.val() & self.row[2].val()).xor();
        self.lanes.next.b3 = (self.chunk.val() & self.row[3].val()).xor();
        self.lanes.next.b4 = (self.chunk.val() & self.row[4].val()).xor();
        self.lanes.next.b5 = (self.chunk.val() & self.row[5].val()).xor();
        self.lanes.next.b6 = (self.chunk.val() & self.row[6].val()).xor();
        self.lanes.next.b7 = (self.chunk.val() & self.row[7].val()).xor();
        self.lanes.next.b8 = (self.chunk.val() & self.row[8].val()).xor();
        self.lanes.next.b9 = (self.chunk.val() & self.row[9].val()).xor();
        self.lanes.next.b10 = (self.chunk.val() & self.row[10].val()).xor();
        self.lanes.next.b11 = (self.chunk.val() & self.row[11].val()).xor();
        self.lanes.next.b12 = (self.chunk.val() & self.row[12].val()).xor();
        self.lanes.next.b13 = (self.chunk.val() & self.row[13].val()).xor();
        self.lanes.next.b14 = (self.chunk.val() & self.row[14].val()).xor();
        self.lanes.next.b15 = (self.chunk.val() & self.row[15].val()).xor();
        self.lanes.next.b16 = (self.chunk.val() & self.row[16].val()).xor();
        self.lanes.next.b17 = (self.chunk.val() & self.row[17].val()).xor();
        self.lanes.next.b18 = (self.chunk.val() & self.row[18].val()).xor();
        self.lanes.next.b19 = (self.chunk.val() & self.row[19].val()).xor();
        self.lanes.next.b20 = (self.chunk.val() & self.row[20].val()).xor();
        self.lanes.next.b21 = (self.chunk.val() & self.row[21].val()).xor();
        self.lanes.next.b22 = (self.chunk.val() & self.row[22].val()).xor();
        self.lanes.next.b23 = (self.chunk.val() & self.row[23].val()).xor();
        self.lanes.next.b24 = (self.chunk.val() & self.row[24].val()).xor();
        self.lanes.next.b25 = (self.chunk.val() & self.row[25].val()).xor();
        self.lanes.next.b26 = (self.chunk.val() & self.row[26].val()).xor();
        self.lanes.next.b27 = (self.chunk.val() & self.row[27].val()).xor();
        self.lanes.next.b28 = (self.chunk.val() & self.row[28].val()).xor();
        self.lanes.next.b29 = (self.chunk.val() & self.row[29].val()).xor();
        self.lanes.next.b30 = (self.chunk.val() & self.row[30].val()).xor();
        self.lanes.next.b31 = (self.chunk.val() & self.row[31].val()).xor();
        self.parity.next = self.lanes.val().into();
    }
}

/// Pipelined parallel CRC-32 (Ethernet FCS) of a 60-byte message; see the module doc.
#[derive(LogicBlock)]
pub struct Fcs32 {
    /// The 60 covered bytes of a frame, byte 0 in bits 7:0 (the MAC beat's layout).
    pub data: Signal<In, Bits<480>>,
    /// Load the pipeline on this clock edge. Low stalls both stages (the framer holds its
    /// frame while the MAC is not ready).
    pub advance: Signal<In, Bit>,
    /// FCS of the message loaded two advances ago: the value `crc32` returns, which goes
    /// on the wire least significant byte first, i.e. as bits 511:480 of the beat.
    pub fcs: Signal<Out, Bits<32>>,
    /// Card clock.
    pub clock: Signal<In, Clock>,
    /// Parities of each chunk (combinational).
    chunk: [ChunkParity; CHUNKS],
    /// The CRC of the all-zero message (the affine part of the map).
    crc_of_zero: Constant<Bits<32>>,
    /// Stage 1: `partial[k]` bit `j` = parity of chunk `k` under row mask `(k, j)`.
    partial: [DFF<Bits<32>>; CHUNKS],
    /// Stage 2: the FCS.
    result: DFF<Bits<32>>,
}

impl Default for Fcs32 {
    fn default() -> Self {
        Self::new()
    }
}

impl Fcs32 {
    /// Derives the XOR network from the contract's `crc32` (see the module doc).
    pub fn new() -> Self {
        assert_eq!(CHUNKS * CHUNK_BITS, FCS_DATA_BITS);
        let (c0, columns) = (fcs_of_zeros(), fcs_columns());
        let chunk = std::array::from_fn(|k| {
            ChunkParity::new(std::array::from_fn(|j| {
                (0..CHUNK_BITS)
                    .filter(|b| columns[k * CHUNK_BITS + b] >> j & 1 == 1)
                    .fold(0u64, |m, b| m | 1 << b)
            }))
        });
        Self {
            data: Default::default(),
            advance: Default::default(),
            fcs: Default::default(),
            clock: Default::default(),
            chunk,
            crc_of_zero: Constant::new((c0 as u64).into()),
            partial: Default::default(),
            result: Default::default(),
        }
    }
}

impl Logic for Fcs32 {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, result);
        for k in 0..CHUNKS {
            self.partial[k].clock.next = self.clock.val();
            self.partial[k].d.next = self.partial[k].q.val();
            self.chunk[k].chunk.next = self.data.val().get_bits::<30>(k * 30);
        }
        if self.advance.val() {
            // Stage 1: register the 16 x 32 partial parities.
            for k in 0..CHUNKS {
                self.partial[k].d.next = self.chunk[k].parity.val();
            }
            // Stage 2: balanced XOR tree of the 16 partials and the affine constant.
            self.result.d.next = (((self.partial[0].q.val() ^ self.partial[1].q.val())
                ^ (self.partial[2].q.val() ^ self.partial[3].q.val()))
                ^ ((self.partial[4].q.val() ^ self.partial[5].q.val())
                    ^ (self.partial[6].q.val() ^ self.partial[7].q.val())))
                ^ (((self.partial[8].q.val() ^ self.partial[9].q.val())
                    ^ (self.partial[10].q.val() ^ self.partial[11].q.val()))
                    ^ ((self.partial[12].q.val() ^ self.partial[13].q.val())
                        ^ (self.partial[14].q.val() ^ self.partial[15].q.val())))
                ^ self.crc_of_zero.val();
        }
        self.fcs.next = self.result.q.val();
    }
}

#[cfg(test)]
mod tests;
