//! [`RxDeframer`]: MAC beats in, checked [`FrameFields`] out, drops counted by reason.
//!
//! The checks and their precedence are those of `seqfab_contract::frame::Frame::decode`
//! (length, FCS, EtherType, version, type), followed by the destination filter the
//! contract leaves to the card: the destination MAC must be this node's
//! (`mac::node_mac(node_id)`) or broadcast. Exactly one of `good` or a `drop_*` pulse
//! follows each frame, and a dropped frame never raises `frames_out` valid (DESIGN.md 3:
//! bad frames "never change state").
//!
//! Length: a seqfab frame is exactly one beat with `rx_last` and `rx_bytes == 64`. A
//! frame of several beats is one `drop_length` (at its first beat) and its later beats
//! are ignored up to and including the one with `rx_last`.
//!
//! # Pipeline
//!
//! ```text
//!  beat ─> checks that need no FCS ─> [C1] ─> precedence ─> [C2] ─┬─> FCS compare ─> [outputs]
//!   └────> Fcs32 stage 1 ───────────────────────────> stage 2 ─────┘
//! ```
//!
//! The FCS takes two stages ([`Fcs32`]); the other checks are made on the beat itself
//! (C1), reduced to a one-hot verdict under `Frame::decode`'s precedence (C2), and travel
//! beside the FCS with the carried FCS and the decoded fields. The last stage is only the
//! 32-bit compare and one gate per output, so it meets the 250 MHz card clock. Ethernet
//! receive cannot be back-pressured, so `rx_ready` is always high and the pipeline never
//! stalls: one beat per clock.
//!
//! **Latency: 3 cycles** from the beat to `frames_out` valid or its drop pulse.

use super::crc::Fcs32;
use super::mac_beat::MacBeat;
use super::{ethertype_bits, mac_prefix_bits, WireImage};
use crate::frame::FrameFields;
use crate::widgets::{StreamSink, StreamSource};
use rust_hdl::prelude::*;
use seqfab_contract::frame::{FrameType, FRAME_BYTES, FRAME_VERSION};
use seqfab_contract::mac::BROADCAST_NODE;

/// What the first stages know about a beat, besides its fields.
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
struct Checks {
    /// The beat starts a frame (a frame's later beats are ignored).
    start: Bit,
    /// One beat, `last`, 64 bytes.
    length_ok: Bit,
    ethertype_ok: Bit,
    version_ok: Bit,
    /// Known [`FrameType`] code.
    type_ok: Bit,
    /// Destination MAC is this node's or broadcast.
    dest_ok: Bit,
    /// The FCS the frame carries (bytes 60..64).
    carried_fcs: Bits<32>,
}

/// [`Checks`] reduced to what the last stage needs: the precedence of everything but the
/// FCS is applied one stage early, so the last stage is the FCS compare and one gate.
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
struct Verdict {
    /// Frame start of the wrong length.
    bad_length: Bit,
    /// Frame start of the right length: the FCS decides next.
    framed: Bit,
    /// With a good FCS, the first failing later check (at most one set) ...
    foreign: Bit,
    version: Bit,
    kind: Bit,
    dest: Bit,
    /// ... or none fails.
    rest_ok: Bit,
    carried_fcs: Bits<32>,
}

/// Frame decoder and filter for one plane; see the module doc.
#[derive(LogicBlock)]
pub struct RxDeframer {
    /// The MAC's beats; `ready` is always high (Ethernet receive is not back-pressured).
    pub beats_in: StreamSink<MacBeat>,
    /// This card's node id (the `NODE_ID` register).
    pub node_id: Signal<In, Bits<8>>,
    /// The good frames, one-cycle beats that cannot wait: a frame that finds `ready` low
    /// is lost and counted in `overflow` (the card core's receive FIFO absorbs bursts).
    /// The data is meaningless without valid (the register loads every clock: a load
    /// enable gated by the FCS compare would put a 312-bit fan-out on the slowest path).
    pub frames_out: StreamSource<FrameFields>,
    /// Card clock.
    pub clock: Signal<In, Clock>,
    /// One-cycle pulses, one per event, for the statistics counters.
    pub events: Signal<Out, RxEvents>,
    /// The beat viewed as a frame.
    image: Signal<Local, WireImage>,
    /// Wire fields the receiver ignores (contract: reserved and padding "ignored on
    /// receive"; the source MAC is not checked, the source node byte is). Named
    /// `unused_*` so Verilator's default `--unused-regexp` knows they are deliberate.
    unused_src_prefix: Signal<Local, Bits<40>>,
    unused_src_node: Signal<Local, Bits<8>>,
    unused_reserved: Signal<Local, Bits<16>>,
    unused_padding: Signal<Local, Bits<32>>,
    /// The beat's fields and checks.
    fields0: Signal<Local, FrameFields>,
    checks0: Signal<Local, Checks>,
    /// Inside a multi-beat frame (its first beat was not `last`).
    in_frame: DFF<Bit>,
    fields1: DFF<FrameFields>,
    checks1: DFF<Checks>,
    verdict1: Signal<Local, Verdict>,
    fields2: DFF<FrameFields>,
    verdict2: DFF<Verdict>,
    fcs_ok: Signal<Local, Bit>,
    crc: Fcs32,
    frame_reg: DFF<FrameFields>,
    good_reg: DFF<Bit>,
    length_reg: DFF<Bit>,
    fcs_reg: DFF<Bit>,
    foreign_reg: DFF<Bit>,
    version_reg: DFF<Bit>,
    type_reg: DFF<Bit>,
    dest_reg: DFF<Bit>,
    frame_bytes: Constant<Bits<7>>,
    mac_prefix: Constant<Bits<40>>,
    broadcast_prefix: Constant<Bits<40>>,
    broadcast_node: Constant<Bits<8>>,
    ethertype: Constant<Bits<16>>,
    version: Constant<Bits<8>>,
    /// Bit `c` set if `FrameType::from_code(c)` is known.
    known_types: Constant<Bits<256>>,
}

impl Default for RxDeframer {
    fn default() -> Self {
        Self::new()
    }
}

impl RxDeframer {
    pub fn new() -> Self {
        assert_eq!(FRAME_BYTES * 8, 512, "one frame per 512-bit beat");
        let mut known = Bits::<256>::default();
        for code in 0..=255u8 {
            if FrameType::from_code(code).is_some() {
                known = known.replace_bit(code as usize, true);
            }
        }
        Self {
            beats_in: Default::default(),
            node_id: Default::default(),
            frames_out: Default::default(),
            clock: Default::default(),
            events: Default::default(),
            image: Default::default(),
            unused_src_prefix: Default::default(),
            unused_src_node: Default::default(),
            unused_reserved: Default::default(),
            unused_padding: Default::default(),
            fields0: Default::default(),
            checks0: Default::default(),
            in_frame: Default::default(),
            fields1: Default::default(),
            checks1: Default::default(),
            verdict1: Default::default(),
            fields2: Default::default(),
            verdict2: Default::default(),
            fcs_ok: Default::default(),
            crc: Fcs32::new(),
            frame_reg: Default::default(),
            good_reg: Default::default(),
            length_reg: Default::default(),
            fcs_reg: Default::default(),
            foreign_reg: Default::default(),
            version_reg: Default::default(),
            type_reg: Default::default(),
            dest_reg: Default::default(),
            frame_bytes: Constant::new((FRAME_BYTES as u64).into()),
            mac_prefix: Constant::new(mac_prefix_bits()),
            broadcast_prefix: Constant::new(Bits::<40>::mask()),
            broadcast_node: Constant::new((BROADCAST_NODE as u64).into()),
            ethertype: Constant::new(ethertype_bits()),
            version: Constant::new((FRAME_VERSION as u64).into()),
            known_types: Constant::new(known),
        }
    }
}

impl Logic for RxDeframer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            in_frame,
            fields1,
            checks1,
            fields2,
            verdict2,
            frame_reg,
            good_reg,
            length_reg,
            fcs_reg,
            foreign_reg,
            version_reg,
            type_reg,
            dest_reg
        );
        clock!(self, clock, crc);
        self.beats_in.ready.next = true;

        // Stage 0: the beat.
        self.image.next = self.beats_in.data.val().data.into();
        self.crc.data.next = self.beats_in.data.val().data.get_bits::<480>(0);
        self.crc.advance.next = true;
        if self.beats_in.valid.val() {
            self.in_frame.d.next = !self.beats_in.data.val().last;
        }
        self.fields0.next.kind = self.image.val().kind;
        self.fields0.next.reason = self.image.val().reason;
        self.fields0.next.src = self.image.val().src;
        self.fields0.next.dst = self.image.val().dst;
        self.fields0.next.origin = self.image.val().origin;
        self.fields0.next.epoch = self.image.val().epoch;
        self.fields0.next.tag = self.image.val().tag;
        self.fields0.next.count = self.image.val().count;
        self.fields0.next.value = self.image.val().value;
        self.fields0.next.aux = self.image.val().aux;
        self.fields0.next.extra = self.image.val().extra;
        self.checks0.next.start = self.beats_in.valid.val() & !self.in_frame.q.val();
        self.checks0.next.length_ok = self.beats_in.data.val().last
            & (self.beats_in.data.val().bytes == self.frame_bytes.val());
        self.checks0.next.ethertype_ok = self.image.val().ethertype == self.ethertype.val();
        self.checks0.next.version_ok = self.image.val().version == self.version.val();
        self.checks0.next.type_ok = self
            .known_types
            .val()
            .get_bit(self.image.val().kind.index());
        self.checks0.next.dest_ok = ((self.image.val().dst_prefix == self.mac_prefix.val())
            & (self.image.val().dst_node == self.node_id.val()))
            | ((self.image.val().dst_prefix == self.broadcast_prefix.val())
                & (self.image.val().dst_node == self.broadcast_node.val()));
        self.checks0.next.carried_fcs = self.image.val().fcs;
        self.unused_src_prefix.next = self.image.val().src_prefix;
        self.unused_src_node.next = self.image.val().src_node;
        self.unused_reserved.next = self.image.val().reserved;
        self.unused_padding.next = self.image.val().padding;

        // Stage 1: apply the precedence of everything but the FCS.
        self.fields1.d.next = self.fields0.val();
        self.checks1.d.next = self.checks0.val();
        self.verdict1.next.bad_length =
            self.checks1.q.val().start & !self.checks1.q.val().length_ok;
        self.verdict1.next.framed = self.checks1.q.val().start & self.checks1.q.val().length_ok;
        self.verdict1.next.foreign = !self.checks1.q.val().ethertype_ok;
        self.verdict1.next.version =
            self.checks1.q.val().ethertype_ok & !self.checks1.q.val().version_ok;
        self.verdict1.next.kind = self.checks1.q.val().ethertype_ok
            & self.checks1.q.val().version_ok
            & !self.checks1.q.val().type_ok;
        self.verdict1.next.dest = self.checks1.q.val().ethertype_ok
            & self.checks1.q.val().version_ok
            & self.checks1.q.val().type_ok
            & !self.checks1.q.val().dest_ok;
        self.verdict1.next.rest_ok = self.checks1.q.val().ethertype_ok
            & self.checks1.q.val().version_ok
            & self.checks1.q.val().type_ok
            & self.checks1.q.val().dest_ok;
        self.verdict1.next.carried_fcs = self.checks1.q.val().carried_fcs;

        // Stage 2: FCS compare (Frame::decode checks it after the length, before the
        // rest), then one gate per outcome.
        self.fields2.d.next = self.fields1.q.val();
        self.verdict2.d.next = self.verdict1.val();
        self.fcs_ok.next = self.crc.fcs.val() == self.verdict2.q.val().carried_fcs;
        self.length_reg.d.next = self.verdict2.q.val().bad_length;
        self.fcs_reg.d.next = self.verdict2.q.val().framed & !self.fcs_ok.val();
        self.foreign_reg.d.next =
            self.verdict2.q.val().framed & self.fcs_ok.val() & self.verdict2.q.val().foreign;
        self.version_reg.d.next =
            self.verdict2.q.val().framed & self.fcs_ok.val() & self.verdict2.q.val().version;
        self.type_reg.d.next =
            self.verdict2.q.val().framed & self.fcs_ok.val() & self.verdict2.q.val().kind;
        self.dest_reg.d.next =
            self.verdict2.q.val().framed & self.fcs_ok.val() & self.verdict2.q.val().dest;
        self.good_reg.d.next =
            self.verdict2.q.val().framed & self.fcs_ok.val() & self.verdict2.q.val().rest_ok;
        self.frame_reg.d.next = self.fields2.q.val();
        self.frames_out.data.next = self.frame_reg.q.val();
        self.frames_out.valid.next = self.good_reg.q.val();
        self.events.next.overflow = self.good_reg.q.val() & !self.frames_out.ready.val();
        self.events.next.good = self.good_reg.q.val();
        self.events.next.drop_length = self.length_reg.q.val();
        self.events.next.drop_fcs = self.fcs_reg.q.val();
        self.events.next.drop_foreign = self.foreign_reg.q.val();
        self.events.next.drop_version = self.version_reg.q.val();
        self.events.next.drop_type = self.type_reg.q.val();
        self.events.next.drop_dest = self.dest_reg.q.val();
    }
}

/// One-cycle pulses, one per event, for the statistics counters.
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct RxEvents {
    /// One-cycle pulse per good frame (same as `frames_out` valid, for statistics).
    pub good: Bit,
    /// One-cycle pulse: frame not exactly one 64-byte beat.
    pub drop_length: Bit,
    /// One-cycle pulse: FCS mismatch.
    pub drop_fcs: Bit,
    /// One-cycle pulse: EtherType is not seqfab's.
    pub drop_foreign: Bit,
    /// One-cycle pulse: frame version is not this card's.
    pub drop_version: Bit,
    /// One-cycle pulse: unknown frame type code.
    pub drop_type: Bit,
    /// One-cycle pulse: destination MAC is neither this node's nor broadcast.
    pub drop_dest: Bit,
    /// One-cycle pulse: a good frame found `frames_out` not ready and was lost
    /// (`STAT_RX_OVERFLOW`).
    pub overflow: Bit,
}

#[cfg(test)]
mod tests;
