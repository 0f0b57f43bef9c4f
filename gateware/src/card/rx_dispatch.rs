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

use super::frame_class::FrameClass;
use crate::fabric::heartbeat_rx::HeartbeatRx;
use crate::frame::FrameFields;
use crate::widgets::{FrameArbiter3, SkidBuffer, StreamSink, StreamSource};
use rust_hdl::prelude::*;

/// The receive dispatcher (see the module documentation).
#[derive(LogicBlock, Default)]
pub struct RxDispatch {
    pub clock: Signal<In, Clock>,
    /// Plane X's receive FIFO.
    pub from_x: StreamSink<FrameFields>,
    /// Plane Y's receive FIFO.
    pub from_y: StreamSink<FrameFields>,
    /// The loopback FIFO towards the engine (REQ/CONFIG/STATE_QUERY from this card).
    pub from_loop_engine: StreamSink<FrameFields>,
    /// The loopback FIFO towards the host side (RSP/NACK/ACK/REPLY from this card).
    pub from_loop_host: StreamSink<FrameFields>,
    /// To the sequence engine (a registered output).
    pub to_engine: StreamSource<FrameFields>,
    /// To the originator (a registered output).
    pub to_originator: StreamSource<FrameFields>,
    /// To the management window, which takes a frame whenever valid (`ready` is not
    /// read).
    pub to_mgmt: StreamSource<FrameFields>,
    /// The heartbeats received on plane X and on plane Y, for the plane's liveness
    /// tracker and the lease (taken whenever valid).
    pub heartbeat_x: Signal<Out, HeartbeatRx>,
    pub heartbeat_y: Signal<Out, HeartbeatRx>,
    x_class: FrameClass,
    y_class: FrameClass,
    lh_class: FrameClass,
    eng_arb: FrameArbiter3,
    orig_arb: FrameArbiter3,
    /// Registered outputs towards the engine and the originator: their input's ready is a
    /// register, so the consumers' `ready` and the arbiters never share a clock with the
    /// FIFO heads' class decode and the consumers' own logic (docs/gateware.md, "Timing").
    eng_out: SkidBuffer<FrameFields>,
    orig_out: SkidBuffer<FrameFields>,
    /// The management window is always ready (the `unused_` name tells lint so).
    unused_mgmt_ready: Signal<Local, bool>,
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
        StreamSource::<FrameFields>::link(&mut self.to_engine, &mut self.eng_out.beats_out);
        StreamSource::<FrameFields>::link(&mut self.to_originator, &mut self.orig_out.beats_out);
        self.x_class.kind.next = self.from_x.data.val().kind;
        self.y_class.kind.next = self.from_y.data.val().kind;
        self.lh_class.kind.next = self.from_loop_host.data.val().kind;

        // Engine: loopback, X, Y.
        self.eng_arb.request[0].next = self.from_loop_engine.valid.val();
        self.eng_arb.request[1].next = self.from_x.valid.val() & self.x_class.engine.val();
        self.eng_arb.request[2].next = self.from_y.valid.val() & self.y_class.engine.val();
        self.eng_arb.frame[0].next = self.from_loop_engine.data.val();
        self.eng_arb.frame[1].next = self.from_x.data.val();
        self.eng_arb.frame[2].next = self.from_y.data.val();
        self.eng_arb.take.next = self.eng_out.beats_in.ready.val();
        self.eng_out.beats_in.valid.next = self.eng_arb.valid.val();
        self.eng_out.beats_in.data.next = self.eng_arb.chosen.val();

        // Originator: loopback, X, Y.
        self.orig_arb.request[0].next =
            self.from_loop_host.valid.val() & self.lh_class.originator.val();
        self.orig_arb.request[1].next = self.from_x.valid.val() & self.x_class.originator.val();
        self.orig_arb.request[2].next = self.from_y.valid.val() & self.y_class.originator.val();
        self.orig_arb.frame[0].next = self.from_loop_host.data.val();
        self.orig_arb.frame[1].next = self.from_x.data.val();
        self.orig_arb.frame[2].next = self.from_y.data.val();
        self.orig_arb.take.next = self.orig_out.beats_in.ready.val();
        self.orig_out.beats_in.valid.next = self.orig_arb.valid.val();
        self.orig_out.beats_in.data.next = self.orig_arb.chosen.val();

        // Management replies are rare: fixed priority, one per clock.
        self.unused_mgmt_ready.next = self.to_mgmt.ready.val();
        self.mgmt_from_lh.next = self.from_loop_host.valid.val() & self.lh_class.mgmt.val();
        self.mgmt_from_x.next =
            !self.mgmt_from_lh.val() & self.from_x.valid.val() & self.x_class.mgmt.val();
        self.mgmt_from_y.next = !self.mgmt_from_lh.val()
            & !self.mgmt_from_x.val()
            & self.from_y.valid.val()
            & self.y_class.mgmt.val();
        self.to_mgmt.valid.next =
            self.mgmt_from_lh.val() | self.mgmt_from_x.val() | self.mgmt_from_y.val();
        self.to_mgmt.data.next = self.from_loop_host.data.val();
        if self.mgmt_from_x.val() {
            self.to_mgmt.data.next = self.from_x.data.val();
        }
        if self.mgmt_from_y.val() {
            self.to_mgmt.data.next = self.from_y.data.val();
        }

        // Heartbeats go to the liveness tracker of the plane they came in on.
        self.heartbeat_x.next.valid = self.from_x.valid.val() & self.x_class.heartbeat.val();
        self.heartbeat_x.next.node = self.from_x.data.val().src;
        self.heartbeat_x.next.epoch = self.from_x.data.val().epoch;
        self.heartbeat_x.next.heard = self.from_x.data.val().value;
        self.heartbeat_y.next.valid = self.from_y.valid.val() & self.y_class.heartbeat.val();
        self.heartbeat_y.next.node = self.from_y.data.val().src;
        self.heartbeat_y.next.epoch = self.from_y.data.val().epoch;
        self.heartbeat_y.next.heard = self.from_y.data.val().value;

        // Pop whichever consumer took each source's head.
        self.from_loop_engine.ready.next =
            self.eng_arb.grant[0].val() & self.eng_out.beats_in.ready.val();
        // The loopback towards the host side only ever holds answers; anything else in it
        // (engine-bound or heartbeat) is dropped rather than left to block it.
        self.from_loop_host.ready.next = (self.orig_arb.grant[0].val()
            & self.orig_out.beats_in.ready.val())
            | self.mgmt_from_lh.val()
            | (self.from_loop_host.valid.val()
                & (self.lh_class.engine.val() | self.lh_class.heartbeat.val()));
        self.from_x.ready.next = (self.eng_arb.grant[1].val() & self.eng_out.beats_in.ready.val())
            | (self.orig_arb.grant[1].val() & self.orig_out.beats_in.ready.val())
            | self.mgmt_from_x.val()
            | self.heartbeat_x.val().valid;
        self.from_y.ready.next = (self.eng_arb.grant[2].val() & self.eng_out.beats_in.ready.val())
            | (self.orig_arb.grant[2].val() & self.orig_out.beats_in.ready.val())
            | self.mgmt_from_y.val()
            | self.heartbeat_y.val().valid;
    }
}
