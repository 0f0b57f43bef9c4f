//! Receive-side dispatch: hands each received frame to the block that acts on it.
//!
//! Sources are the heads of the two planes' receive FIFOs and the two loopback FIFOs
//! (frames one function of this card sent to another function of the same card; see
//! [`super::tx_router`]). Consumers are:
//!
//! | frame kinds | consumer |
//! |---|---|
//! | REQ, FWD, CONFIG, STATE_QUERY | sequence engine |
//! | RSP, NACK | originator |
//! | CONFIG_ACK, STATE_REPLY | management window (always ready) |
//! | HEARTBEAT | the plane's liveness tracker (always ready) |
//!
//! Each consumer has its own arbiter, so in one clock the engine can take a REQ from
//! plane X while the originator takes a RSP from the loopback: a frame for one consumer
//! never waits behind a frame for another unless they share a source FIFO. The engine
//! and originator arbiters rotate priority after every grant, so no source starves.

use crate::frame::{type_code, FrameFields};
use crate::widgets::SkidBuffer;
use rust_hdl::prelude::*;
use seqfab_contract::frame::FrameType;

/// Which consumer a frame kind belongs to (combinational helper outputs).
#[derive(LogicBlock)]
pub struct FrameClass {
    /// The frame kind to classify.
    pub kind: Signal<In, Bits<8>>,
    /// REQ, FWD, CONFIG or STATE_QUERY: for the sequence engine.
    pub engine: Signal<Out, bool>,
    /// RSP or NACK: for the originator.
    pub originator: Signal<Out, bool>,
    /// CONFIG_ACK or STATE_REPLY: for the management window.
    pub mgmt: Signal<Out, bool>,
    /// HEARTBEAT: for liveness.
    pub heartbeat: Signal<Out, bool>,
    k_req: Constant<Bits<8>>,
    k_fwd: Constant<Bits<8>>,
    k_config: Constant<Bits<8>>,
    k_query: Constant<Bits<8>>,
    k_rsp: Constant<Bits<8>>,
    k_nack: Constant<Bits<8>>,
    k_ack: Constant<Bits<8>>,
    k_reply: Constant<Bits<8>>,
    k_hb: Constant<Bits<8>>,
}

impl Default for FrameClass {
    fn default() -> Self {
        FrameClass {
            kind: Default::default(),
            engine: Default::default(),
            originator: Default::default(),
            mgmt: Default::default(),
            heartbeat: Default::default(),
            k_req: type_code(FrameType::Req),
            k_fwd: type_code(FrameType::Fwd),
            k_config: type_code(FrameType::Config),
            k_query: type_code(FrameType::StateQuery),
            k_rsp: type_code(FrameType::Rsp),
            k_nack: type_code(FrameType::Nack),
            k_ack: type_code(FrameType::ConfigAck),
            k_reply: type_code(FrameType::StateReply),
            k_hb: type_code(FrameType::Heartbeat),
        }
    }
}

impl Logic for FrameClass {
    #[hdl_gen]
    fn update(&mut self) {
        self.engine.next = (self.kind.val() == self.k_req.val())
            | (self.kind.val() == self.k_fwd.val())
            | (self.kind.val() == self.k_config.val())
            | (self.kind.val() == self.k_query.val());
        self.originator.next =
            (self.kind.val() == self.k_rsp.val()) | (self.kind.val() == self.k_nack.val());
        self.mgmt.next =
            (self.kind.val() == self.k_ack.val()) | (self.kind.val() == self.k_reply.val());
        self.heartbeat.next = self.kind.val() == self.k_hb.val();
    }
}

/// A rotating-priority arbiter over three requesters: grants the first requester at or
/// after `rr`, and moves `rr` past the winner when the grant is taken (`take`).
#[derive(LogicBlock)]
pub struct Arbiter3 {
    pub clock: Signal<In, Clock>,
    /// Requests.
    pub request: [Signal<In, bool>; 3],
    /// The grant was used this cycle (the consumer was ready).
    pub take: Signal<In, bool>,
    /// One-hot grant (all false when nobody requests).
    pub grant: [Signal<Out, bool>; 3],
    rr: DFF<Bits<2>>,
    start: [Constant<Bits<2>>; 3],
}

impl Default for Arbiter3 {
    fn default() -> Self {
        Arbiter3 {
            clock: Default::default(),
            request: Default::default(),
            take: Default::default(),
            grant: Default::default(),
            rr: Default::default(),
            start: [0u64, 1, 2].map(|k| Constant::new(k.into())),
        }
    }
}

impl Logic for Arbiter3 {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, rr);
        self.grant[0].next = false;
        self.grant[1].next = false;
        self.grant[2].next = false;
        if self.rr.q.val() == self.start[1].val() {
            if self.request[1].val() {
                self.grant[1].next = true;
            } else if self.request[2].val() {
                self.grant[2].next = true;
            } else if self.request[0].val() {
                self.grant[0].next = true;
            }
        } else if self.rr.q.val() == self.start[2].val() {
            if self.request[2].val() {
                self.grant[2].next = true;
            } else if self.request[0].val() {
                self.grant[0].next = true;
            } else if self.request[1].val() {
                self.grant[1].next = true;
            }
        } else if self.request[0].val() {
            self.grant[0].next = true;
        } else if self.request[1].val() {
            self.grant[1].next = true;
        } else if self.request[2].val() {
            self.grant[2].next = true;
        }
        if self.take.val() {
            if self.grant[0].val() {
                self.rr.d.next = self.start[1].val();
            }
            if self.grant[1].val() {
                self.rr.d.next = self.start[2].val();
            }
            if self.grant[2].val() {
                self.rr.d.next = self.start[0].val();
            }
        }
    }
}

/// One of three frames, chosen by an [`Arbiter3`]: the grant and the frame select it
/// drives, which every arbitration point of the card core (the dispatcher's two
/// consumers, the TX router's four destinations) is made of.
#[derive(LogicBlock, Default)]
pub struct FrameArbiter3 {
    pub clock: Signal<In, Clock>,
    /// The requesters' frames, in request order.
    pub frame: [Signal<In, FrameFields>; 3],
    pub request: [Signal<In, bool>; 3],
    /// The chosen frame was taken this cycle.
    pub take: Signal<In, bool>,
    /// One-hot grant (all false when nobody requests).
    pub grant: [Signal<Out, bool>; 3],
    /// The granted frame (`frame[0]` when nobody requests).
    pub chosen: Signal<Out, FrameFields>,
    /// Some requester is granted.
    pub valid: Signal<Out, bool>,
    arb: Arbiter3,
}

impl Logic for FrameArbiter3 {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, arb);
        for i in 0..3 {
            self.arb.request[i].next = self.request[i].val();
            self.grant[i].next = self.arb.grant[i].val();
        }
        self.arb.take.next = self.take.val();
        self.chosen.next = self.frame[0].val();
        if self.arb.grant[1].val() {
            self.chosen.next = self.frame[1].val();
        }
        if self.arb.grant[2].val() {
            self.chosen.next = self.frame[2].val();
        }
        self.valid.next =
            self.arb.grant[0].val() | self.arb.grant[1].val() | self.arb.grant[2].val();
    }
}

/// The receive dispatcher (see the module documentation).
#[derive(LogicBlock, Default)]
pub struct RxDispatch {
    pub clock: Signal<In, Clock>,
    /// Head of plane X's receive FIFO.
    pub x_frame: Signal<In, FrameFields>,
    pub x_valid: Signal<In, bool>,
    /// Pop plane X's receive FIFO.
    pub x_ready: Signal<Out, bool>,
    /// Head of plane Y's receive FIFO.
    pub y_frame: Signal<In, FrameFields>,
    pub y_valid: Signal<In, bool>,
    pub y_ready: Signal<Out, bool>,
    /// Head of the loopback FIFO towards the engine (REQ/CONFIG/STATE_QUERY from this card).
    pub le_frame: Signal<In, FrameFields>,
    pub le_valid: Signal<In, bool>,
    pub le_ready: Signal<Out, bool>,
    /// Head of the loopback FIFO towards the host side (RSP/NACK/ACK/REPLY from this card).
    pub lh_frame: Signal<In, FrameFields>,
    pub lh_valid: Signal<In, bool>,
    pub lh_ready: Signal<Out, bool>,
    /// To the sequence engine.
    pub eng_frame: Signal<Out, FrameFields>,
    pub eng_valid: Signal<Out, bool>,
    pub eng_ready: Signal<In, bool>,
    /// To the originator.
    pub orig_frame: Signal<Out, FrameFields>,
    pub orig_valid: Signal<Out, bool>,
    pub orig_ready: Signal<In, bool>,
    /// To the management window: taken whenever valid.
    pub mgmt_frame: Signal<Out, FrameFields>,
    pub mgmt_valid: Signal<Out, bool>,
    /// A heartbeat from `hb_x_node` arrived on plane X (taken whenever valid).
    pub hb_x: Signal<Out, bool>,
    pub hb_x_node: Signal<Out, Bits<8>>,
    /// Its epoch and `value` (whom the sender hears), for the lease.
    pub hb_x_epoch: Signal<Out, Bits<32>>,
    pub hb_x_heard: Signal<Out, Bits<64>>,
    /// A heartbeat from `hb_y_node` arrived on plane Y.
    pub hb_y: Signal<Out, bool>,
    pub hb_y_node: Signal<Out, Bits<8>>,
    pub hb_y_epoch: Signal<Out, Bits<32>>,
    pub hb_y_heard: Signal<Out, Bits<64>>,
    x_class: FrameClass,
    y_class: FrameClass,
    lh_class: FrameClass,
    eng_arb: FrameArbiter3,
    orig_arb: FrameArbiter3,
    /// Registered outputs towards the engine and the originator: their `in_ready` is a
    /// register, so the consumers' `ready` and the arbiters never share a clock with the
    /// FIFO heads' class decode and the consumers' own logic (docs/gateware.md, "Timing").
    eng_out: SkidBuffer<FrameFields>,
    orig_out: SkidBuffer<FrameFields>,
    mgmt_from_lh: Signal<Local, bool>,
    mgmt_from_x: Signal<Local, bool>,
    mgmt_from_y: Signal<Local, bool>,
}

impl Logic for RxDispatch {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, eng_arb, orig_arb, eng_out, orig_out);
        self.eng_out.clear.next = false;
        self.orig_out.clear.next = false;
        self.eng_out.out_ready.next = self.eng_ready.val();
        self.eng_frame.next = self.eng_out.out_data.val();
        self.eng_valid.next = self.eng_out.out_valid.val();
        self.orig_out.out_ready.next = self.orig_ready.val();
        self.orig_frame.next = self.orig_out.out_data.val();
        self.orig_valid.next = self.orig_out.out_valid.val();
        self.x_class.kind.next = self.x_frame.val().kind;
        self.y_class.kind.next = self.y_frame.val().kind;
        self.lh_class.kind.next = self.lh_frame.val().kind;

        // Engine: loopback, X, Y.
        self.eng_arb.request[0].next = self.le_valid.val();
        self.eng_arb.request[1].next = self.x_valid.val() & self.x_class.engine.val();
        self.eng_arb.request[2].next = self.y_valid.val() & self.y_class.engine.val();
        self.eng_arb.frame[0].next = self.le_frame.val();
        self.eng_arb.frame[1].next = self.x_frame.val();
        self.eng_arb.frame[2].next = self.y_frame.val();
        self.eng_arb.take.next = self.eng_out.in_ready.val();
        self.eng_out.in_valid.next = self.eng_arb.valid.val();
        self.eng_out.in_data.next = self.eng_arb.chosen.val();

        // Originator: loopback, X, Y.
        self.orig_arb.request[0].next = self.lh_valid.val() & self.lh_class.originator.val();
        self.orig_arb.request[1].next = self.x_valid.val() & self.x_class.originator.val();
        self.orig_arb.request[2].next = self.y_valid.val() & self.y_class.originator.val();
        self.orig_arb.frame[0].next = self.lh_frame.val();
        self.orig_arb.frame[1].next = self.x_frame.val();
        self.orig_arb.frame[2].next = self.y_frame.val();
        self.orig_arb.take.next = self.orig_out.in_ready.val();
        self.orig_out.in_valid.next = self.orig_arb.valid.val();
        self.orig_out.in_data.next = self.orig_arb.chosen.val();

        // Management replies are rare: fixed priority, one per clock.
        self.mgmt_from_lh.next = self.lh_valid.val() & self.lh_class.mgmt.val();
        self.mgmt_from_x.next =
            !self.mgmt_from_lh.val() & self.x_valid.val() & self.x_class.mgmt.val();
        self.mgmt_from_y.next = !self.mgmt_from_lh.val()
            & !self.mgmt_from_x.val()
            & self.y_valid.val()
            & self.y_class.mgmt.val();
        self.mgmt_valid.next =
            self.mgmt_from_lh.val() | self.mgmt_from_x.val() | self.mgmt_from_y.val();
        self.mgmt_frame.next = self.lh_frame.val();
        if self.mgmt_from_x.val() {
            self.mgmt_frame.next = self.x_frame.val();
        }
        if self.mgmt_from_y.val() {
            self.mgmt_frame.next = self.y_frame.val();
        }

        // Heartbeats go to the liveness tracker of the plane they came in on.
        self.hb_x.next = self.x_valid.val() & self.x_class.heartbeat.val();
        self.hb_x_node.next = self.x_frame.val().src;
        self.hb_x_epoch.next = self.x_frame.val().epoch;
        self.hb_x_heard.next = self.x_frame.val().value;
        self.hb_y.next = self.y_valid.val() & self.y_class.heartbeat.val();
        self.hb_y_node.next = self.y_frame.val().src;
        self.hb_y_epoch.next = self.y_frame.val().epoch;
        self.hb_y_heard.next = self.y_frame.val().value;

        // Pop whichever consumer took each source's head.
        self.le_ready.next = self.eng_arb.grant[0].val() & self.eng_out.in_ready.val();
        // The loopback towards the host side only ever holds answers; anything else in it
        // (engine-bound or heartbeat) is dropped rather than left to block it.
        self.lh_ready.next = (self.orig_arb.grant[0].val() & self.orig_out.in_ready.val())
            | self.mgmt_from_lh.val()
            | (self.lh_valid.val() & (self.lh_class.engine.val() | self.lh_class.heartbeat.val()));
        self.x_ready.next = (self.eng_arb.grant[1].val() & self.eng_out.in_ready.val())
            | (self.orig_arb.grant[1].val() & self.orig_out.in_ready.val())
            | self.mgmt_from_x.val()
            | self.hb_x.val();
        self.y_ready.next = (self.eng_arb.grant[2].val() & self.eng_out.in_ready.val())
            | (self.orig_arb.grant[2].val() & self.orig_out.in_ready.val())
            | self.mgmt_from_y.val()
            | self.hb_y.val();
    }
}
