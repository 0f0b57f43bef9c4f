//! Shares the card's DMA write port between the completion writer (port a) and the mirror
//! writer (port b).
//!
//! The arbiter holds no beat: the chosen requester's beat is on the card port in the same
//! cycle and its `ready` is the card port's `dma_ready`. That is what lets
//! [`super::MirrorWriter::mirrored_stored`] mean "accepted by the card's DMA port" (I3);
//! a registered arbiter would report acceptance while the beat still sat in it. Both
//! requesters offer registered beats, so there is no combinational path from any ready
//! to any valid (the grant depends on valids and registered state only).
//!
//! Round robin: when both offer, the one not served last goes. Once a beat is on the
//! card port it stays there, unchanged, until accepted (the grant is locked while the
//! port stalls), as a valid/ready stream requires.

use rust_hdl::prelude::*;

/// Two-requester round-robin DMA write arbiter with no storage.
#[derive(LogicBlock)]
pub struct DmaArbiter {
    pub clock: Signal<In, Clock>,
    /// Port a (completions): address.
    pub a_addr: Signal<In, Bits<64>>,
    /// Port a: data.
    pub a_data: Signal<In, Bits<256>>,
    /// Port a: a beat is offered.
    pub a_valid: Signal<In, bool>,
    /// Port a: the card port takes a's beat this cycle.
    pub a_ready: Signal<Out, bool>,
    /// Port b (mirror): address.
    pub b_addr: Signal<In, Bits<64>>,
    /// Port b: data.
    pub b_data: Signal<In, Bits<256>>,
    /// Port b: a beat is offered.
    pub b_valid: Signal<In, bool>,
    /// Port b: the card port takes b's beat this cycle.
    pub b_ready: Signal<Out, bool>,
    /// The card's DMA port: address.
    pub dma_addr: Signal<Out, Bits<64>>,
    /// The card's DMA port: data.
    pub dma_data: Signal<Out, Bits<256>>,
    /// The card's DMA port: a beat is offered.
    pub dma_valid: Signal<Out, bool>,
    /// The card's DMA port takes the beat.
    pub dma_ready: Signal<In, bool>,
    /// The last beat accepted was b's (round-robin state).
    last_b: DFF<bool>,
    /// A beat was offered and not accepted: keep the same grant.
    locked: DFF<bool>,
    locked_b: DFF<bool>,
    grant_b: Signal<Local, bool>,
}

impl DmaArbiter {
    pub fn new() -> Self {
        Self {
            clock: Default::default(),
            a_addr: Default::default(),
            a_data: Default::default(),
            a_valid: Default::default(),
            a_ready: Default::default(),
            b_addr: Default::default(),
            b_data: Default::default(),
            b_valid: Default::default(),
            b_ready: Default::default(),
            dma_addr: Default::default(),
            dma_data: Default::default(),
            dma_valid: Default::default(),
            dma_ready: Default::default(),
            last_b: Default::default(),
            locked: Default::default(),
            locked_b: Default::default(),
            grant_b: Default::default(),
        }
    }
}

impl Default for DmaArbiter {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for DmaArbiter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, last_b, locked, locked_b);
        self.grant_b.next = self.b_valid.val();
        if self.a_valid.val() && self.b_valid.val() {
            self.grant_b.next = !self.last_b.q.val();
        }
        // A stalled beat keeps the port (its requester keeps offering it).
        if self.locked.q.val() && self.locked_b.q.val() && self.b_valid.val() {
            self.grant_b.next = true;
        }
        if self.locked.q.val() && !self.locked_b.q.val() && self.a_valid.val() {
            self.grant_b.next = false;
        }
        self.dma_valid.next = self.a_valid.val() || self.b_valid.val();
        if self.grant_b.val() {
            self.dma_addr.next = self.b_addr.val();
            self.dma_data.next = self.b_data.val();
        } else {
            self.dma_addr.next = self.a_addr.val();
            self.dma_data.next = self.a_data.val();
        }
        self.a_ready.next = self.dma_ready.val() && !self.grant_b.val();
        self.b_ready.next = self.dma_ready.val() && self.grant_b.val();
        if self.dma_valid.val() && self.dma_ready.val() {
            self.last_b.d.next = self.grant_b.val();
            self.locked.d.next = false;
        } else if self.dma_valid.val() {
            self.locked.d.next = true;
            self.locked_b.d.next = self.grant_b.val();
        }
    }
}

#[cfg(test)]
mod tests;
