//! One hardware request queue: validates doorbell words and holds the requests until the
//! originator takes them.
//!
//! A doorbell is judged exactly as `seqfab_contract::doorbell::Doorbell::decode` judges
//! it: reserved bits zero and count not zero. A well-formed doorbell of an enabled queue
//! with room is accepted; anything else is dropped and counted (`dropped`, and
//! `overflow` when the only fault was a full FIFO: the host ignored back-pressure).
//!
//! The FIFO is the project's [`Fifo`] (RAM, registered first-word-fall-through head,
//! one-cycle clear), because soft reset must empty it in one cycle. `requests_out` is the
//! FIFO's head.
//!
//! Timing: a doorbell in cycle t is judged in cycle t (`accepted`/`dropped`/`overflow`
//! pulse in t+1), and its request is at the head, if the FIFO was empty, in t+3.

use crate::widgets::{Fifo, StreamSource};
use rust_hdl::prelude::*;
use seqfab_contract::limits::{MAX_COUNT, QUEUE_FIFO_DEPTH};

/// One request as the FIFO stores it.
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct Request {
    /// Numbers asked for, 1..=`MAX_COUNT`.
    pub count: Bits<24>,
    /// The host's cookie, returned in the completion.
    pub tag: Bits<16>,
}

/// log2 of [`QUEUE_FIFO_DEPTH`]: the RAM's address width.
const ADDR_BITS: usize = 5;
const _: () = assert!(QUEUE_FIFO_DEPTH < 1 << 15, "fill fits the 16-bit pointers");

/// A doorbell-fed request FIFO of [`QUEUE_FIFO_DEPTH`] entries.
#[derive(LogicBlock)]
pub struct RequestQueue {
    pub clock: Signal<In, Clock>,
    /// Pulse: a doorbell word was written to this queue.
    pub db_valid: Signal<In, bool>,
    /// The doorbell word (`seqfab_contract::doorbell` layout).
    pub db_data: Signal<In, Bits<64>>,
    /// The word is well-formed (`Doorbell::decode` accepts it). The register file decides
    /// this as the word is written, a clock ahead, so that the 64-bit check is not in
    /// series with the accept decision and the FIFO's pointers.
    pub db_ok: Signal<In, bool>,
    /// The queue is enabled (`Q_CONTROL.ENABLE`); doorbells of a disabled queue are dropped.
    pub enable: Signal<In, bool>,
    /// Soft reset pulse: empties the FIFO (a doorbell in the same cycle is dropped).
    pub soft_reset: Signal<In, bool>,
    /// The requests, oldest first (the FIFO's registered head).
    pub requests_out: StreamSource<Request>,
    /// Requests held, 0..=`QUEUE_FIFO_DEPTH` (for `Q_STATUS`).
    pub fill: Signal<Out, Bits<16>>,
    /// The FIFO holds `QUEUE_FIFO_DEPTH` requests: the next doorbell overflows.
    pub full: Signal<Out, bool>,
    /// Pulse: a doorbell was accepted (`STAT_DOORBELLS`).
    pub accepted: Signal<Out, bool>,
    /// Pulse: a doorbell was dropped: malformed, queue disabled, or FIFO full
    /// (`STAT_DROP_DOORBELL`).
    pub dropped: Signal<Out, bool>,
    /// Pulse: a well-formed doorbell of an enabled queue found the FIFO full
    /// (`Q_OVERFLOWS`).
    pub overflow: Signal<Out, bool>,
    fifo: Fifo<Request, ADDR_BITS>,
    accepted_r: DFF<bool>,
    dropped_r: DFF<bool>,
    overflow_r: DFF<bool>,
    push: Signal<Local, bool>,
    /// The doorbell word's reserved bits, which only the register file's check reads
    /// (the `unused_` name tells lint so).
    unused_db_word: Signal<Local, Bits<64>>,
}

impl RequestQueue {
    pub fn new() -> Self {
        assert_eq!(1 << ADDR_BITS, QUEUE_FIFO_DEPTH, "RAM address width");
        assert_eq!(
            MAX_COUNT,
            (1 << Request::default().get_my_width_count()) - 1
        );
        // The count and tag fields sit where `Doorbell::decode` reads them.
        Self {
            clock: Default::default(),
            db_valid: Default::default(),
            db_data: Default::default(),
            db_ok: Default::default(),
            enable: Default::default(),
            soft_reset: Default::default(),
            requests_out: Default::default(),
            fill: Default::default(),
            full: Default::default(),
            accepted: Default::default(),
            dropped: Default::default(),
            overflow: Default::default(),
            fifo: Default::default(),
            accepted_r: Default::default(),
            dropped_r: Default::default(),
            overflow_r: Default::default(),
            push: Default::default(),
            unused_db_word: Default::default(),
        }
    }
}

impl Default for RequestQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for RequestQueue {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, accepted_r, dropped_r, overflow_r);
        clock!(self, clock, fifo);
        self.unused_db_word.next = self.db_data.val();
        self.full.next = !self.fifo.beats_in.ready.val();
        self.push.next = self.db_valid.val()
            && self.db_ok.val()
            && self.enable.val()
            && !self.full.val()
            && !self.soft_reset.val();
        self.accepted_r.d.next = self.push.val();
        self.dropped_r.d.next = self.db_valid.val() && !self.push.val();
        self.overflow_r.d.next = self.db_valid.val()
            && self.db_ok.val()
            && self.enable.val()
            && self.full.val()
            && !self.soft_reset.val();
        self.fifo.beats_in.valid.next = self.push.val();
        self.fifo.beats_in.data.next.count = self.db_data.val().get_bits::<24>(0);
        self.fifo.beats_in.data.next.tag = self.db_data.val().get_bits::<16>(32);
        self.fifo.clear.next = self.soft_reset.val();
        StreamSource::<Request>::link(&mut self.requests_out, &mut self.fifo.beats_out);
        self.fill.next = self.fifo.fill.val();
        self.accepted.next = self.accepted_r.q.val();
        self.dropped.next = self.dropped_r.q.val();
        self.overflow.next = self.overflow_r.q.val();
    }
}

#[cfg(test)]
mod tests;
