//! [`TxFramer`]: a [`FrameFields`] stream in, 64-byte Ethernet frames out to the MAC.
//!
//! The wire image is exactly `seqfab_contract::frame::Frame::encode`: destination and
//! source MACs from the node ids (`mac::node_mac`, broadcast for 0xFF), EtherType 0x88B5
//! in network order, version, the fields little-endian, zero reserved and padding bytes,
//! and the FCS ([`Fcs32`]) least significant byte first in bytes 60..64 (IEEE 802.3
//! clause 3.2.9 sends the FCS x^31 first and clause 3.3 sends each octet least
//! significant bit first, so the reflected CRC's result goes out in little-endian byte
//! order).
//!
//! # Pipeline
//!
//! ```text
//!  frame ─> skid ─> [S0 image] ─> [S1 image] ─> [S2 image] ─┬─> tx_data (FCS field from Fcs32)
//!                        └──────> Fcs32 stage 1 ─> stage 2 ─┘
//! ```
//!
//! S0 registers the wire image built from the fields (so the XOR network starts at a
//! register); S1/S2 carry it beside the two FCS stages. All stages move together when
//! `advance = !valid || ready` on `beats_out`: a global stall, which keeps the data and its FCS
//! aligned and sustains one frame per clock while the MAC is ready. The input has a
//! one-entry skid buffer so `frames_in` ready is a register output and never depends on
//! the MAC's ready combinationally (docs/gateware.md conventions; the MAC's ready would
//! otherwise reach deep into the card's transmit router within one cycle).
//!
//! **Latency: 3 cycles** from the clock edge that accepts a frame on `frames_in`)
//! to `beats_out` valid, plus the cycles the MAC holds ready low.

use super::crc::Fcs32;
use super::mac_beat::MacBeat;
use super::{ethertype_bits, mac_prefix_bits, WireImage};
use crate::frame::FrameFields;
use crate::widgets::{StreamSink, StreamSource};
use rust_hdl::prelude::*;
use seqfab_contract::frame::{FRAME_BYTES, FRAME_VERSION};
use seqfab_contract::mac::BROADCAST_NODE;

/// Frame encoder for one plane; see the module doc.
#[derive(LogicBlock)]
pub struct TxFramer {
    /// The frames to send; `ready` is a register output.
    pub frames_in: StreamSink<FrameFields>,
    /// The MAC beats: the whole 64-byte frame in one beat (`last` set, `bytes` = 64),
    /// byte 0 in bits 7:0, FCS in bytes 60..64; held until the MAC takes it.
    pub beats_out: StreamSource<MacBeat>,
    /// One-cycle pulse, one clock after each beat the MAC took (for statistics).
    pub sent: Signal<Out, Bit>,
    /// Card clock.
    pub clock: Signal<In, Clock>,
    /// Skid buffer: a frame accepted while the pipeline was stalled.
    skid: DFF<FrameFields>,
    skid_valid: DFF<Bit>,
    /// The frame entering S0: the skid buffer if full, else the input.
    pick: Signal<Local, FrameFields>,
    /// The wire image of `pick` (FCS field zero).
    image: Signal<Local, WireImage>,
    /// Pipeline stages and their valid bits.
    s0: DFF<WireImage>,
    v0: DFF<Bit>,
    s1: DFF<WireImage>,
    v1: DFF<Bit>,
    s2: DFF<WireImage>,
    v2: DFF<Bit>,
    /// S0 as bits, to feed the first 480 of them to the FCS.
    s0_bits: Signal<Local, Bits<512>>,
    /// S0's FCS field (always zero; the FCS is filled in at S2). Named `unused_*` so
    /// Verilator's default `--unused-regexp` knows it is deliberate.
    unused_s0_fcs: Signal<Local, Bits<32>>,
    /// S2 with its FCS filled in.
    out_image: Signal<Local, WireImage>,
    /// All stages load on this edge.
    advance: Signal<Local, Bit>,
    crc: Fcs32,
    sent_reg: DFF<Bit>,
    mac_prefix: Constant<Bits<40>>,
    broadcast_prefix: Constant<Bits<40>>,
    broadcast_node: Constant<Bits<8>>,
    ethertype: Constant<Bits<16>>,
    version: Constant<Bits<8>>,
    frame_bytes: Constant<Bits<7>>,
    zero16: Constant<Bits<16>>,
    zero32: Constant<Bits<32>>,
}

impl Default for TxFramer {
    fn default() -> Self {
        Self::new()
    }
}

impl TxFramer {
    pub fn new() -> Self {
        assert_eq!(FRAME_BYTES * 8, 512, "one frame per 512-bit beat");
        Self {
            frames_in: Default::default(),
            beats_out: Default::default(),
            sent: Default::default(),
            clock: Default::default(),
            skid: Default::default(),
            skid_valid: Default::default(),
            pick: Default::default(),
            image: Default::default(),
            s0: Default::default(),
            v0: Default::default(),
            s1: Default::default(),
            v1: Default::default(),
            s2: Default::default(),
            v2: Default::default(),
            s0_bits: Default::default(),
            unused_s0_fcs: Default::default(),
            out_image: Default::default(),
            advance: Default::default(),
            crc: Fcs32::new(),
            sent_reg: Default::default(),
            mac_prefix: Constant::new(mac_prefix_bits()),
            broadcast_prefix: Constant::new(Bits::<40>::mask()),
            broadcast_node: Constant::new((BROADCAST_NODE as u64).into()),
            ethertype: Constant::new(ethertype_bits()),
            version: Constant::new((FRAME_VERSION as u64).into()),
            frame_bytes: Constant::new((FRAME_BYTES as u64).into()),
            zero16: Constant::new(0u64.into()),
            zero32: Constant::new(0u64.into()),
        }
    }
}

impl Logic for TxFramer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, skid, skid_valid, s0, v0, s1, v1, s2, v2, sent_reg);
        clock!(self, clock, crc);
        self.advance.next = !self.v2.q.val() | self.beats_out.ready.val();

        // Input side with skid buffer.
        self.frames_in.ready.next = !self.skid_valid.q.val();
        if self.skid_valid.q.val() {
            self.pick.next = self.skid.q.val();
        } else {
            self.pick.next = self.frames_in.data.val();
        }
        if self.advance.val() {
            self.skid_valid.d.next = false;
        } else if self.frames_in.valid.val() & !self.skid_valid.q.val() {
            self.skid.d.next = self.frames_in.data.val();
            self.skid_valid.d.next = true;
        }

        // The wire image of `pick` (Frame::encode).
        self.image.next.dst_prefix = self.mac_prefix.val();
        if self.pick.val().dst == self.broadcast_node.val() {
            self.image.next.dst_prefix = self.broadcast_prefix.val();
        }
        self.image.next.dst_node = self.pick.val().dst;
        self.image.next.src_prefix = self.mac_prefix.val();
        if self.pick.val().src == self.broadcast_node.val() {
            self.image.next.src_prefix = self.broadcast_prefix.val();
        }
        self.image.next.src_node = self.pick.val().src;
        self.image.next.ethertype = self.ethertype.val();
        self.image.next.version = self.version.val();
        self.image.next.kind = self.pick.val().kind;
        self.image.next.reason = self.pick.val().reason;
        self.image.next.src = self.pick.val().src;
        self.image.next.dst = self.pick.val().dst;
        self.image.next.origin = self.pick.val().origin;
        self.image.next.epoch = self.pick.val().epoch;
        self.image.next.tag = self.pick.val().tag;
        self.image.next.reserved = self.zero16.val();
        self.image.next.count = self.pick.val().count;
        self.image.next.value = self.pick.val().value;
        self.image.next.aux = self.pick.val().aux;
        self.image.next.extra = self.pick.val().extra;
        self.image.next.padding = self.zero32.val();
        self.image.next.fcs = self.zero32.val();

        // Pipeline: S0 -> S1 -> S2, beside the FCS stages.
        self.s0_bits.next = self.s0.q.val().into();
        self.crc.data.next = self.s0_bits.val().get_bits::<480>(0);
        self.unused_s0_fcs.next = self.s0_bits.val().get_bits::<32>(480);
        self.crc.advance.next = self.advance.val();
        if self.advance.val() {
            self.s0.d.next = self.image.val();
            self.v0.d.next = self.skid_valid.q.val() | self.frames_in.valid.val();
            self.s1.d.next = self.s0.q.val();
            self.v1.d.next = self.v0.q.val();
            self.s2.d.next = self.s1.q.val();
            self.v2.d.next = self.v1.q.val();
        }

        // MAC side.
        self.out_image.next = self.s2.q.val();
        self.out_image.next.fcs = self.crc.fcs.val();
        self.beats_out.data.next.data = self.out_image.val().into();
        self.beats_out.valid.next = self.v2.q.val();
        self.beats_out.data.next.last = true;
        self.beats_out.data.next.bytes = self.frame_bytes.val();
        self.sent_reg.d.next = self.v2.q.val() & self.beats_out.ready.val();
        self.sent.next = self.sent_reg.q.val();
    }
}

#[cfg(test)]
mod tests;
