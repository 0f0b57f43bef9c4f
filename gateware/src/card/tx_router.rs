//! Transmit-side router: sends each frame a function of this card produced to where its
//! destination is.
//!
//! Sources: the sequence engine (FWD/RSP/NACK/CONFIG_ACK/STATE_REPLY), the originator
//! (REQ) and the management window (CONFIG/STATE_QUERY written by the host). One frame
//! per clock is routed, chosen by a rotating-priority arbiter so that a saturated engine
//! cannot starve the originator or the host.
//!
//! Destinations:
//! - the frame's `dst` is this card: the short-circuit inside the card (DESIGN.md 1), no
//!   fabric traversal. Frames for the engine go to the `le` loopback, answers (RSP, NACK,
//!   CONFIG_ACK, STATE_REPLY) to the `lh` loopback. Two loopbacks, one per message class,
//!   because one shared FIFO deadlocks: filled with REQs, it would leave no room for the
//!   engine's answers, so the engine could not take the REQs that would drain it (the
//!   message-class argument behind virtual channels).
//! - otherwise the plane [`PlaneSelect`] picks for that destination.
//!
//! Heartbeats are injected per plane with priority over routed frames (one clock per
//! heartbeat period), so a saturated primary still tells the fabric it is alive.

use super::rx_dispatch::{Arbiter3, FrameClass};
use crate::fabric::plane_select::PlaneSelect;
use crate::frame::{type_code, FrameFields};
use rust_hdl::prelude::*;
use seqfab_contract::frame::FrameType;
use seqfab_contract::mac::BROADCAST_NODE;

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
    /// From the sequence engine.
    pub eng_frame: Signal<In, FrameFields>,
    pub eng_valid: Signal<In, bool>,
    pub eng_ready: Signal<Out, bool>,
    /// From the originator.
    pub orig_frame: Signal<In, FrameFields>,
    pub orig_valid: Signal<In, bool>,
    pub orig_ready: Signal<Out, bool>,
    /// From the management window.
    pub mgmt_frame: Signal<In, FrameFields>,
    pub mgmt_valid: Signal<In, bool>,
    pub mgmt_ready: Signal<Out, bool>,
    /// To plane X's framer.
    pub x_frame: Signal<Out, FrameFields>,
    pub x_valid: Signal<Out, bool>,
    pub x_ready: Signal<In, bool>,
    /// To plane Y's framer.
    pub y_frame: Signal<Out, FrameFields>,
    pub y_valid: Signal<Out, bool>,
    pub y_ready: Signal<In, bool>,
    /// Loopback towards this card's engine.
    pub le_frame: Signal<Out, FrameFields>,
    pub le_valid: Signal<Out, bool>,
    pub le_ready: Signal<In, bool>,
    /// Loopback towards this card's originator and management window.
    pub lh_frame: Signal<Out, FrameFields>,
    pub lh_valid: Signal<Out, bool>,
    pub lh_ready: Signal<In, bool>,
    /// A frame left on the non-preferred plane (statistics).
    pub alternate: Signal<Out, bool>,
    arb: Arbiter3,
    classify: FrameClass,
    plane: PlaneSelect,
    hb_pending_x: DFF<bool>,
    hb_pending_y: DFF<bool>,
    heartbeat: Signal<Local, FrameFields>,
    chosen: Signal<Local, FrameFields>,
    chosen_valid: Signal<Local, bool>,
    for_us: Signal<Local, bool>,
    dest_ready: Signal<Local, bool>,
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
            eng_frame: Default::default(),
            eng_valid: Default::default(),
            eng_ready: Default::default(),
            orig_frame: Default::default(),
            orig_valid: Default::default(),
            orig_ready: Default::default(),
            mgmt_frame: Default::default(),
            mgmt_valid: Default::default(),
            mgmt_ready: Default::default(),
            x_frame: Default::default(),
            x_valid: Default::default(),
            x_ready: Default::default(),
            y_frame: Default::default(),
            y_valid: Default::default(),
            y_ready: Default::default(),
            le_frame: Default::default(),
            le_valid: Default::default(),
            le_ready: Default::default(),
            lh_frame: Default::default(),
            lh_valid: Default::default(),
            lh_ready: Default::default(),
            alternate: Default::default(),
            arb: Default::default(),
            classify: Default::default(),
            plane: Default::default(),
            hb_pending_x: Default::default(),
            hb_pending_y: Default::default(),
            heartbeat: Default::default(),
            chosen: Default::default(),
            chosen_valid: Default::default(),
            for_us: Default::default(),
            dest_ready: Default::default(),
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
        clock!(self, clock, arb);

        // Pick one source.
        self.arb.request[0].next = self.eng_valid.val();
        self.arb.request[1].next = self.mgmt_valid.val();
        self.arb.request[2].next = self.orig_valid.val();
        self.chosen_valid.next =
            self.arb.grant[0].val() | self.arb.grant[1].val() | self.arb.grant[2].val();
        self.chosen.next = self.eng_frame.val();
        if self.arb.grant[1].val() {
            self.chosen.next = self.mgmt_frame.val();
        }
        if self.arb.grant[2].val() {
            self.chosen.next = self.orig_frame.val();
        }

        // Where does it go?
        self.classify.kind.next = self.chosen.val().kind;
        self.for_us.next = self.chosen.val().dst == self.node_id.val();
        self.plane.dst.next = self.chosen.val().dst;
        self.plane.live_x.next = self.live_x.val();
        self.plane.live_y.next = self.live_y.val();
        self.plane.link_x.next = self.link_x.val();
        self.plane.link_y.next = self.link_y.val();
        self.plane.enable_x.next = self.enable_x.val();
        self.plane.enable_y.next = self.enable_y.val();
        self.plane.prefer_y.next = self.prefer_y.val();

        // Heartbeats: latched on the tick, sent at the next free slot of each plane.
        self.heartbeat.next = self.no_frame.val();
        self.heartbeat.next.kind = self.k_hb.val();
        self.heartbeat.next.src = self.node_id.val();
        self.heartbeat.next.dst = self.broadcast.val();
        self.heartbeat.next.origin = self.node_id.val();
        self.heartbeat.next.epoch = self.epoch.val();
        if self.hb_tick.val() & self.hb_enable.val() {
            self.hb_pending_x.d.next = self.enable_x.val();
            self.hb_pending_y.d.next = self.enable_y.val();
        }

        self.le_frame.next = self.chosen.val();
        self.lh_frame.next = self.chosen.val();
        self.le_valid.next =
            self.chosen_valid.val() & self.for_us.val() & self.classify.engine.val();
        self.lh_valid.next = self.chosen_valid.val()
            & self.for_us.val()
            & (self.classify.originator.val() | self.classify.mgmt.val());

        self.x_frame.next = self.chosen.val();
        self.y_frame.next = self.chosen.val();
        self.x_valid.next = self.chosen_valid.val() & !self.for_us.val() & !self.plane.use_y.val();
        self.y_valid.next = self.chosen_valid.val() & !self.for_us.val() & self.plane.use_y.val();
        if self.hb_pending_x.q.val() {
            self.x_frame.next = self.heartbeat.val();
            self.x_valid.next = true;
            if self.x_ready.val() {
                self.hb_pending_x.d.next = false;
            }
        }
        if self.hb_pending_y.q.val() {
            self.y_frame.next = self.heartbeat.val();
            self.y_valid.next = true;
            if self.y_ready.val() {
                self.hb_pending_y.d.next = false;
            }
        }

        self.dest_ready.next = self.le_ready.val();
        if self.for_us.val() & (self.classify.originator.val() | self.classify.mgmt.val()) {
            self.dest_ready.next = self.lh_ready.val();
        }
        // No source makes a heartbeat; one addressed to this card would be dropped.
        if self.for_us.val() & self.classify.heartbeat.val() {
            self.dest_ready.next = true;
        }
        if !self.for_us.val() {
            if self.plane.use_y.val() {
                self.dest_ready.next = self.y_ready.val() & !self.hb_pending_y.q.val();
            } else {
                self.dest_ready.next = self.x_ready.val() & !self.hb_pending_x.q.val();
            }
        }
        self.arb.take.next = self.dest_ready.val();
        self.eng_ready.next = self.arb.grant[0].val() & self.dest_ready.val();
        self.mgmt_ready.next = self.arb.grant[1].val() & self.dest_ready.val();
        self.orig_ready.next = self.arb.grant[2].val() & self.dest_ready.val();
        self.alternate.next = self.chosen_valid.val()
            & self.dest_ready.val()
            & !self.for_us.val()
            & self.plane.alternate.val();
    }
}
