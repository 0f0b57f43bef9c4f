//! Round robin over three requesters with a one-hot grant: the arbiter of the card's
//! frame crossbars ([`super::FrameArbiter3`]). [`super::RoundRobin`] is the same rule
//! over the four request queues with a binary grant, and [`super::StreamArbiter2`] the
//! two-requester form that holds no beat.

use rust_hdl::prelude::*;

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

#[cfg(test)]
mod tests;
