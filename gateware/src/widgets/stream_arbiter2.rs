//! Shares one stream between two sources, round robin, holding no beat.
//!
//! The chosen source's beat is on `beats_out` in the same cycle and its `ready` is
//! `beats_out`'s ready. That is what lets the card's DMA port use it (sources `a`:
//! completions, `b`: the state mirror): [`crate::host::MirrorWriter::mirrored_stored`]
//! means "accepted by the card's DMA port" (I3), and a registered arbiter would report
//! acceptance while the beat still sat in it. Where both sources offer registered beats
//! there is no combinational path from any ready to any valid (the grant depends on
//! valids and registered state only).
//!
//! Round robin: when both offer, the one not served last goes. Once a beat is on
//! `beats_out` it stays there, unchanged, until accepted (the grant is locked while the
//! sink stalls), as a valid/ready stream requires; a plain round robin whose pointer
//! moves on acceptance would switch to the other source when it arrived meanwhile. The
//! three- and four-requester arbiters of the family are [`super::Arbiter3`] and
//! [`super::RoundRobin`].

use super::stream::{StreamSink, StreamSource};
use rust_hdl::prelude::*;

/// Two-source round-robin stream arbiter with no storage.
#[derive(LogicBlock)]
pub struct StreamArbiter2<T: Synth> {
    pub clock: Signal<In, Clock>,
    /// Source a.
    pub a_in: StreamSink<T>,
    /// Source b.
    pub b_in: StreamSink<T>,
    /// The shared stream.
    pub beats_out: StreamSource<T>,
    /// The last beat accepted was b's (round-robin state).
    last_b: DFF<bool>,
    /// A beat was offered and not accepted: keep the same grant.
    locked: DFF<bool>,
    locked_b: DFF<bool>,
    grant_b: Signal<Local, bool>,
}

impl<T: Synth> StreamArbiter2<T> {
    pub fn new() -> Self {
        Self {
            clock: Default::default(),
            a_in: Default::default(),
            b_in: Default::default(),
            beats_out: Default::default(),
            last_b: Default::default(),
            locked: Default::default(),
            locked_b: Default::default(),
            grant_b: Default::default(),
        }
    }
}

impl<T: Synth> Default for StreamArbiter2<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Synth> Logic for StreamArbiter2<T> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, last_b, locked, locked_b);
        self.grant_b.next = self.b_in.valid.val();
        if self.a_in.valid.val() && self.b_in.valid.val() {
            self.grant_b.next = !self.last_b.q.val();
        }
        // A stalled beat keeps the port (its requester keeps offering it).
        if self.locked.q.val() && self.locked_b.q.val() && self.b_in.valid.val() {
            self.grant_b.next = true;
        }
        if self.locked.q.val() && !self.locked_b.q.val() && self.a_in.valid.val() {
            self.grant_b.next = false;
        }
        self.beats_out.valid.next = self.a_in.valid.val() || self.b_in.valid.val();
        if self.grant_b.val() {
            self.beats_out.data.next = self.b_in.data.val();
        } else {
            self.beats_out.data.next = self.a_in.data.val();
        }
        self.a_in.ready.next = self.beats_out.ready.val() && !self.grant_b.val();
        self.b_in.ready.next = self.beats_out.ready.val() && self.grant_b.val();
        if self.beats_out.valid.val() && self.beats_out.ready.val() {
            self.last_b.d.next = self.grant_b.val();
            self.locked.d.next = false;
        } else if self.beats_out.valid.val() {
            self.locked.d.next = true;
            self.locked_b.d.next = self.grant_b.val();
        }
    }
}

#[cfg(test)]
mod tests;
