//! Round-robin arbiter over the request queues.

use rust_hdl::prelude::*;
use seqfab_contract::limits::QUEUES;

// The priority rotation below is written out for four queues: rust-hdl evaluates array
// indices such as `[(r + 3 - k) % 4]` while unrolling, and only literals and loop
// variables may appear there.
const _: () = assert!(QUEUES == 4, "RoundRobin is written for 4 queues");

/// Grants one of the requesting queues per clock, starting the search at the queue after
/// the last one granted, so a queue that always has work cannot starve the others: a
/// waiting queue is granted within `QUEUES` grants (docs/gateware.md decision 4).
///
/// The grant is combinational from `request` and the priority register (an arbiter's
/// ready may follow valid; valid never waits for ready). `grant` is meaningful while
/// some `request` is set. `enable` must not depend on the
/// grant: the block takes the grant itself (`take`), so no loop through the parent is
/// needed to move the priority on.
#[derive(LogicBlock)]
pub struct RoundRobin {
    /// Card clock.
    pub clock: Signal<In, Clock>,
    /// Per queue: a request is waiting.
    pub request: [Signal<In, bool>; QUEUES],
    /// The granted request may be taken this clock.
    pub enable: Signal<In, bool>,
    /// The granted queue (0 while nothing is granted).
    pub grant: Signal<Out, Bits<2>>,
    /// The granted request is taken (a queue is granted and `enable`): the queue after it gets
    /// first choice next.
    pub take: Signal<Out, bool>,
    /// Some queue is granted (some `request` is set).
    grant_valid: Signal<Local, bool>,
    /// The queue searched first.
    first: DFF<Bits<2>>,
    /// Queue numbers as width-exact constants.
    queue_id: [Constant<Bits<2>>; QUEUES],
    one: Constant<Bits<2>>,
}

impl RoundRobin {
    pub fn new() -> Self {
        Self {
            clock: Default::default(),
            request: Default::default(),
            enable: Default::default(),
            grant_valid: Default::default(),
            grant: Default::default(),
            take: Default::default(),
            first: Default::default(),
            queue_id: std::array::from_fn(|q| Constant::new((q as u64).into())),
            one: Constant::new(1u64.into()),
        }
    }
}

impl Default for RoundRobin {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for RoundRobin {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, first);
        self.grant_valid.next = false;
        self.grant.next = self.queue_id[0].val();
        for r in 0..4 {
            if self.first.q.val().index() == r {
                // Lowest priority first: a later assignment overrides an earlier one, so
                // queue r (searched first) is written last.
                for k in 0..4 {
                    if self.request[(r + 3 - k) % 4].val() {
                        self.grant_valid.next = true;
                        self.grant.next = self.queue_id[(r + 3 - k) % 4].val();
                    }
                }
            }
        }
        self.take.next = self.grant_valid.val() && self.enable.val();
        if self.grant_valid.val() && self.enable.val() {
            self.first.d.next = self.grant.val() + self.one.val();
        }
    }
}

#[cfg(test)]
mod tests;
