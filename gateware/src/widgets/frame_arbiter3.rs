//! One of three frames, chosen round robin.

use super::Arbiter3;
use crate::frame::FrameFields;
use rust_hdl::prelude::*;

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
