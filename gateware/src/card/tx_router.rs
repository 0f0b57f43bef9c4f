//! Transmit-side router: sends each frame a function of this card produced to where its
//! destination is.
//!
//! Sources: the sequence engine (FWD/RSP/NACK/CONFIG_ACK/STATE_REPLY), the originator
//! (REQ) and the management window (CONFIG/STATE_QUERY written by the host).
//!
//! Destinations:
//! - the frame's `dst` is this card: the short-circuit inside the card (DESIGN.md 1), no
//!   fabric traversal. Frames for the engine go to the `le` loopback, answers (RSP, NACK,
//!   CONFIG_ACK, STATE_REPLY) to the `lh` loopback. Two loopbacks, one per message class,
//!   because one shared FIFO deadlocks: filled with REQs, it would leave no room for the
//!   engine's answers, so the engine could not take the REQs that would drain it (the
//!   message-class argument behind virtual channels).
//! - otherwise the plane [`PlaneSelect`] chose for that destination.
//!
//! Heartbeats are injected per plane with priority over routed frames (one clock per
//! heartbeat period), so a saturated primary still tells the fabric it is alive.
//!
//! # Pipeline (why it looks like this)
//!
//! ```text
//!  eng  ─> [in_eng  + route] ─┐   per destination: a rotating-priority arbiter
//!  mgmt ─> [in_mgmt + route] ─┼─> over the sources whose head goes there
//!  orig ─> [in_orig + route] ─┘   ─> x / y framers, le / lh loopbacks
//! ```
//!
//! 1. **Route on entry.** Each source has a [`SkidBuffer`] whose payload is the frame and
//!    its destination, decided as it enters (`dst` compare, message class, the plane
//!    from [`PlaneSelect`]'s registered table). Its `in_ready` is a register, so no
//!    source ever sees a destination's `ready` in the same clock.
//! 2. **Arbitrate per destination.** Every destination has its own [`FrameArbiter3`] over the
//!    sources whose head goes there. A head has exactly one destination, so the grants
//!    never conflict, up to four frames leave per clock, and a busy plane never holds up
//!    a frame for the other plane or a loopback (no head-of-line blocking across
//!    destinations). The destinations' `ready` are registers (framers) or a register
//!    compare (loopback FIFOs), so this stage is the whole combinational path:
//!    `valid` and route bits -> arbiter -> take.
//!
//! The first version chose one frame per clock and then its plane: arbiter, 312-bit
//! select, `dst` compare, 64-to-1 liveness select, plane rule and the chosen
//! destination's `ready` in series, back into the originator's queue arbiter: 48 MHz on
//! the ECP5 (constraints/README.md).
//!
//! Latency: one clock more than a direct connection (the entry buffer); one frame per
//! clock per source, sustained.

use super::frame_class::FrameClass;
use crate::fabric::plane_select::PlaneSelect;
use crate::frame::{type_code, FrameFields};
use crate::widgets::SkidBuffer;
use crate::widgets::{FrameArbiter3, StreamSink, StreamSource};
use rust_hdl::prelude::*;
use seqfab_contract::frame::FrameType;
use seqfab_contract::mac::BROADCAST_NODE;

/// A frame with its destination, decided as it enters the router (one-hot, or none:
/// a heartbeat addressed to this card, which nobody sends, is dropped).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct Routed {
    pub frame: FrameFields,
    pub to_x: Bit,
    pub to_y: Bit,
    pub to_le: Bit,
    pub to_lh: Bit,
    /// The plane is not the preferred one (statistics).
    pub alternate: Bit,
}

/// Decides a frame's destination as it enters (the combinational half of stage 1).
#[derive(LogicBlock)]
pub struct RouteDecision {
    pub frame: Signal<In, FrameFields>,
    pub node_id: Signal<In, Bits<8>>,
    /// [`PlaneSelect`]'s table.
    pub use_y: Signal<In, Bits<64>>,
    pub use_y_high: Signal<In, Bit>,
    pub prefer_y: Signal<In, Bit>,
    pub routed: Signal<Out, Routed>,
    classify: FrameClass,
    for_us: Signal<Local, Bit>,
    plane_y: Signal<Local, Bit>,
    /// A heartbeat needs no flag: it has no destination here (the `unused_` name tells
    /// lint so).
    unused_heartbeat: Signal<Local, Bit>,
    high_ids: Constant<Bits<8>>,
}

impl Default for RouteDecision {
    fn default() -> Self {
        Self {
            frame: Default::default(),
            node_id: Default::default(),
            use_y: Default::default(),
            use_y_high: Default::default(),
            prefer_y: Default::default(),
            routed: Default::default(),
            classify: Default::default(),
            for_us: Default::default(),
            plane_y: Default::default(),
            unused_heartbeat: Default::default(),
            high_ids: Constant::new(0xC0u64.into()),
        }
    }
}

impl Logic for RouteDecision {
    #[hdl_gen]
    fn update(&mut self) {
        self.classify.kind.next = self.frame.val().kind;
        self.unused_heartbeat.next = self.classify.heartbeat.val();
        self.for_us.next = self.frame.val().dst == self.node_id.val();
        self.plane_y.next = self
            .use_y
            .val()
            .get_bit(self.frame.val().dst.get_bits::<6>(0).index());
        if (self.frame.val().dst & self.high_ids.val()).any() {
            self.plane_y.next = self.use_y_high.val();
        }
        self.routed.next.frame = self.frame.val();
        self.routed.next.to_x = !self.for_us.val() & !self.plane_y.val();
        self.routed.next.to_y = !self.for_us.val() & self.plane_y.val();
        self.routed.next.to_le = self.for_us.val() & self.classify.engine.val();
        self.routed.next.to_lh =
            self.for_us.val() & (self.classify.originator.val() | self.classify.mgmt.val());
        self.routed.next.alternate =
            !self.for_us.val() & (self.plane_y.val() ^ self.prefer_y.val());
    }
}

#[derive(LogicBlock)]
pub struct TxRouter {
    pub clock: Signal<In, Clock>,
    /// This card's node id.
    pub node_id: Signal<In, Bits<8>>,
    /// This card's epoch, carried by heartbeats.
    pub epoch: Signal<In, Bits<32>>,
    /// Liveness per plane, link state and plane enables, for plane selection.
    pub live_x: Signal<In, Bits<64>>,
    pub live_y: Signal<In, Bits<64>>,
    pub link_x: Signal<In, bool>,
    pub link_y: Signal<In, bool>,
    pub enable_x: Signal<In, bool>,
    pub enable_y: Signal<In, bool>,
    pub prefer_y: Signal<In, bool>,
    /// Heartbeat period tick, and whether heartbeats are on.
    pub hb_tick: Signal<In, bool>,
    pub hb_enable: Signal<In, bool>,
    /// From the sequence engine (`ready` is a register output).
    pub from_engine: StreamSink<FrameFields>,
    /// From the originator (`ready` is a register output).
    pub from_originator: StreamSink<FrameFields>,
    /// From the management window (`ready` is a register output).
    pub from_mgmt: StreamSink<FrameFields>,
    /// To plane X's framer.
    pub to_x: StreamSource<FrameFields>,
    /// To plane Y's framer.
    pub to_y: StreamSource<FrameFields>,
    /// Loopback towards this card's engine.
    pub to_loop_engine: StreamSource<FrameFields>,
    /// Loopback towards this card's originator and management window.
    pub to_loop_host: StreamSource<FrameFields>,
    /// A frame left on the non-preferred plane X / Y (statistics; both may pulse in one
    /// clock).
    pub alternate_x: Signal<Out, bool>,
    pub alternate_y: Signal<Out, bool>,
    plane: PlaneSelect,
    route_eng: RouteDecision,
    route_mgmt: RouteDecision,
    route_orig: RouteDecision,
    in_eng: SkidBuffer<Routed>,
    in_mgmt: SkidBuffer<Routed>,
    in_orig: SkidBuffer<Routed>,
    arb_x: FrameArbiter3,
    arb_y: FrameArbiter3,
    arb_le: FrameArbiter3,
    arb_lh: FrameArbiter3,
    hb_pending_x: DFF<bool>,
    hb_pending_y: DFF<bool>,
    /// The heads of the three entry buffers (source order: engine, management,
    /// originator, as the arbiters' request indices).
    head_eng: Signal<Local, Routed>,
    head_mgmt: Signal<Local, Routed>,
    head_orig: Signal<Local, Routed>,
    frame_eng: Signal<Local, FrameFields>,
    frame_mgmt: Signal<Local, FrameFields>,
    frame_orig: Signal<Local, FrameFields>,
    /// A routed frame may go to plane X / Y this clock (no heartbeat in the way).
    open_x: Signal<Local, bool>,
    open_y: Signal<Local, bool>,
    heartbeat: Signal<Local, FrameFields>,
    no_frame: Constant<FrameFields>,
    k_hb: Constant<Bits<8>>,
    broadcast: Constant<Bits<8>>,
}

impl Default for TxRouter {
    fn default() -> Self {
        TxRouter {
            clock: Default::default(),
            node_id: Default::default(),
            epoch: Default::default(),
            live_x: Default::default(),
            live_y: Default::default(),
            link_x: Default::default(),
            link_y: Default::default(),
            enable_x: Default::default(),
            enable_y: Default::default(),
            prefer_y: Default::default(),
            hb_tick: Default::default(),
            hb_enable: Default::default(),
            from_engine: Default::default(),
            from_originator: Default::default(),
            from_mgmt: Default::default(),
            to_x: Default::default(),
            to_y: Default::default(),
            to_loop_engine: Default::default(),
            to_loop_host: Default::default(),
            alternate_x: Default::default(),
            alternate_y: Default::default(),
            plane: Default::default(),
            route_eng: Default::default(),
            route_mgmt: Default::default(),
            route_orig: Default::default(),
            in_eng: Default::default(),
            in_mgmt: Default::default(),
            in_orig: Default::default(),
            arb_x: Default::default(),
            arb_y: Default::default(),
            arb_le: Default::default(),
            arb_lh: Default::default(),
            hb_pending_x: Default::default(),
            hb_pending_y: Default::default(),
            head_eng: Default::default(),
            head_mgmt: Default::default(),
            head_orig: Default::default(),
            frame_eng: Default::default(),
            frame_mgmt: Default::default(),
            frame_orig: Default::default(),
            open_x: Default::default(),
            open_y: Default::default(),
            heartbeat: Default::default(),
            no_frame: Constant::new(FrameFields::default()),
            k_hb: type_code(FrameType::Heartbeat),
            broadcast: Constant::new((BROADCAST_NODE as u64).into()),
        }
    }
}

impl Logic for TxRouter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, hb_pending_x, hb_pending_y);
        clock!(self, clock, plane, in_eng, in_mgmt, in_orig, arb_x, arb_y, arb_le, arb_lh);

        // ---- Stage 1: the plane table, and each source's frame routed as it enters.
        self.plane.live_x.next = self.live_x.val();
        self.plane.live_y.next = self.live_y.val();
        self.plane.link_x.next = self.link_x.val();
        self.plane.link_y.next = self.link_y.val();
        self.plane.enable_x.next = self.enable_x.val();
        self.plane.enable_y.next = self.enable_y.val();
        self.plane.prefer_y.next = self.prefer_y.val();

        self.route_eng.frame.next = self.from_engine.data.val();
        self.route_eng.node_id.next = self.node_id.val();
        self.route_eng.use_y.next = self.plane.use_y.val();
        self.route_eng.use_y_high.next = self.plane.use_y_high.val();
        self.route_eng.prefer_y.next = self.plane.prefer_y_r.val();
        self.in_eng.beats_in.data.next = self.route_eng.routed.val();
        self.in_eng.beats_in.valid.next = self.from_engine.valid.val();
        self.in_eng.clear.next = false;
        self.from_engine.ready.next = self.in_eng.beats_in.ready.val();

        self.route_mgmt.frame.next = self.from_mgmt.data.val();
        self.route_mgmt.node_id.next = self.node_id.val();
        self.route_mgmt.use_y.next = self.plane.use_y.val();
        self.route_mgmt.use_y_high.next = self.plane.use_y_high.val();
        self.route_mgmt.prefer_y.next = self.plane.prefer_y_r.val();
        self.in_mgmt.beats_in.data.next = self.route_mgmt.routed.val();
        self.in_mgmt.beats_in.valid.next = self.from_mgmt.valid.val();
        self.in_mgmt.clear.next = false;
        self.from_mgmt.ready.next = self.in_mgmt.beats_in.ready.val();

        self.route_orig.frame.next = self.from_originator.data.val();
        self.route_orig.node_id.next = self.node_id.val();
        self.route_orig.use_y.next = self.plane.use_y.val();
        self.route_orig.use_y_high.next = self.plane.use_y_high.val();
        self.route_orig.prefer_y.next = self.plane.prefer_y_r.val();
        self.in_orig.beats_in.data.next = self.route_orig.routed.val();
        self.in_orig.beats_in.valid.next = self.from_originator.valid.val();
        self.in_orig.clear.next = false;
        self.from_originator.ready.next = self.in_orig.beats_in.ready.val();

        self.head_eng.next = self.in_eng.beats_out.data.val();
        self.head_mgmt.next = self.in_mgmt.beats_out.data.val();
        self.head_orig.next = self.in_orig.beats_out.data.val();
        self.frame_eng.next = self.head_eng.val().frame;
        self.frame_mgmt.next = self.head_mgmt.val().frame;
        self.frame_orig.next = self.head_orig.val().frame;

        // ---- Heartbeats: latched on the tick, sent at the next free slot of each plane.
        self.heartbeat.next = self.no_frame.val();
        self.heartbeat.next.kind = self.k_hb.val();
        self.heartbeat.next.src = self.node_id.val();
        self.heartbeat.next.dst = self.broadcast.val();
        self.heartbeat.next.origin = self.node_id.val();
        self.heartbeat.next.epoch = self.epoch.val();
        // Whom this card hears: the receivers' leases count it (docs/leases.md).
        self.heartbeat.next.value = self.live_x.val() | self.live_y.val();
        if self.hb_tick.val() & self.hb_enable.val() {
            self.hb_pending_x.d.next = self.enable_x.val();
            self.hb_pending_y.d.next = self.enable_y.val();
        }
        self.open_x.next = self.to_x.ready.val() & !self.hb_pending_x.q.val();
        self.open_y.next = self.to_y.ready.val() & !self.hb_pending_y.q.val();

        // ---- Stage 2: one arbiter per destination (request index = source).
        self.arb_x.request[0].next = self.in_eng.beats_out.valid.val() & self.head_eng.val().to_x;
        self.arb_x.request[1].next = self.in_mgmt.beats_out.valid.val() & self.head_mgmt.val().to_x;
        self.arb_x.request[2].next = self.in_orig.beats_out.valid.val() & self.head_orig.val().to_x;
        self.arb_x.take.next = self.open_x.val();
        self.arb_y.request[0].next = self.in_eng.beats_out.valid.val() & self.head_eng.val().to_y;
        self.arb_y.request[1].next = self.in_mgmt.beats_out.valid.val() & self.head_mgmt.val().to_y;
        self.arb_y.request[2].next = self.in_orig.beats_out.valid.val() & self.head_orig.val().to_y;
        self.arb_y.take.next = self.open_y.val();
        self.arb_le.request[0].next = self.in_eng.beats_out.valid.val() & self.head_eng.val().to_le;
        self.arb_le.request[1].next =
            self.in_mgmt.beats_out.valid.val() & self.head_mgmt.val().to_le;
        self.arb_le.request[2].next =
            self.in_orig.beats_out.valid.val() & self.head_orig.val().to_le;
        self.arb_le.take.next = self.to_loop_engine.ready.val();
        self.arb_lh.request[0].next = self.in_eng.beats_out.valid.val() & self.head_eng.val().to_lh;
        self.arb_lh.request[1].next =
            self.in_mgmt.beats_out.valid.val() & self.head_mgmt.val().to_lh;
        self.arb_lh.request[2].next =
            self.in_orig.beats_out.valid.val() & self.head_orig.val().to_lh;
        self.arb_lh.take.next = self.to_loop_host.ready.val();

        // Outputs: the granted head (the grant does not wait for `ready`).
        self.arb_x.frame[0].next = self.frame_eng.val();
        self.arb_x.frame[1].next = self.frame_mgmt.val();
        self.arb_x.frame[2].next = self.frame_orig.val();
        self.arb_y.frame[0].next = self.frame_eng.val();
        self.arb_y.frame[1].next = self.frame_mgmt.val();
        self.arb_y.frame[2].next = self.frame_orig.val();
        self.arb_le.frame[0].next = self.frame_eng.val();
        self.arb_le.frame[1].next = self.frame_mgmt.val();
        self.arb_le.frame[2].next = self.frame_orig.val();
        self.arb_lh.frame[0].next = self.frame_eng.val();
        self.arb_lh.frame[1].next = self.frame_mgmt.val();
        self.arb_lh.frame[2].next = self.frame_orig.val();
        self.to_x.data.next = self.arb_x.chosen.val();
        self.to_x.valid.next = self.arb_x.valid.val();
        if self.hb_pending_x.q.val() {
            self.to_x.data.next = self.heartbeat.val();
            self.to_x.valid.next = true;
            if self.to_x.ready.val() {
                self.hb_pending_x.d.next = false;
            }
        }
        self.to_y.data.next = self.arb_y.chosen.val();
        self.to_y.valid.next = self.arb_y.valid.val();
        if self.hb_pending_y.q.val() {
            self.to_y.data.next = self.heartbeat.val();
            self.to_y.valid.next = true;
            if self.to_y.ready.val() {
                self.hb_pending_y.d.next = false;
            }
        }
        self.to_loop_engine.data.next = self.arb_le.chosen.val();
        self.to_loop_engine.valid.next = self.arb_le.valid.val();
        self.to_loop_host.data.next = self.arb_lh.chosen.val();
        self.to_loop_host.valid.next = self.arb_lh.valid.val();

        // A head leaves when its destination takes it; a head with no destination (a
        // heartbeat addressed to this card) is dropped at once.
        self.in_eng.beats_out.ready.next = (self.arb_x.grant[0].val() & self.open_x.val())
            | (self.arb_y.grant[0].val() & self.open_y.val())
            | (self.arb_le.grant[0].val() & self.to_loop_engine.ready.val())
            | (self.arb_lh.grant[0].val() & self.to_loop_host.ready.val())
            | !(self.head_eng.val().to_x
                | self.head_eng.val().to_y
                | self.head_eng.val().to_le
                | self.head_eng.val().to_lh);
        self.in_mgmt.beats_out.ready.next = (self.arb_x.grant[1].val() & self.open_x.val())
            | (self.arb_y.grant[1].val() & self.open_y.val())
            | (self.arb_le.grant[1].val() & self.to_loop_engine.ready.val())
            | (self.arb_lh.grant[1].val() & self.to_loop_host.ready.val())
            | !(self.head_mgmt.val().to_x
                | self.head_mgmt.val().to_y
                | self.head_mgmt.val().to_le
                | self.head_mgmt.val().to_lh);
        self.in_orig.beats_out.ready.next = (self.arb_x.grant[2].val() & self.open_x.val())
            | (self.arb_y.grant[2].val() & self.open_y.val())
            | (self.arb_le.grant[2].val() & self.to_loop_engine.ready.val())
            | (self.arb_lh.grant[2].val() & self.to_loop_host.ready.val())
            | !(self.head_orig.val().to_x
                | self.head_orig.val().to_y
                | self.head_orig.val().to_le
                | self.head_orig.val().to_lh);

        // Statistics: a routed frame left on the non-preferred plane.
        self.alternate_x.next = self.open_x.val()
            & ((self.arb_x.grant[0].val() & self.head_eng.val().alternate)
                | (self.arb_x.grant[1].val() & self.head_mgmt.val().alternate)
                | (self.arb_x.grant[2].val() & self.head_orig.val().alternate));
        self.alternate_y.next = self.open_y.val()
            & ((self.arb_y.grant[0].val() & self.head_eng.val().alternate)
                | (self.arb_y.grant[1].val() & self.head_mgmt.val().alternate)
                | (self.arb_y.grant[2].val() & self.head_orig.val().alternate));
    }
}

#[cfg(test)]
mod tests;
