//! Splits the oldest batch's answer into one completion per request.

use super::batch_table::BATCH_N_BITS;
use super::completion::Completion;
use crate::widgets::{StreamSource, ZeroExtend};
use rust_hdl::prelude::*;
use seqfab_contract::ring::Status;

/// Walks the oldest batch's requests in log order and gives request `i` the range that
/// starts at the batch's value plus the counts of requests `0..i` (DESIGN.md 8: "split the
/// returned range back in request order"). A batch whose status is not Ok (NACK, Timeout,
/// NotConfigured) completes every request with that status and value 0.
///
/// One completion per clock: the outputs are combinational from registers (the batch
/// table, the log RAM's output register and the running value here), so the completion's valid never
/// waits for its ready. The first completion of a batch appears the clock after its
/// answer arrived; consecutive batches follow without a gap.
#[derive(LogicBlock)]
pub struct Splitter {
    /// Card clock.
    pub clock: Signal<In, Clock>,
    /// Restart at the first request of a batch (CONTROL.SOFT_RESET).
    pub soft_reset: Signal<In, bool>,
    /// The oldest batch is done.
    pub head_done: Signal<In, bool>,
    /// Requests in the oldest batch (1..=MAX_REQUESTS_PER_FRAME).
    pub head_n: Signal<In, Bits<BATCH_N_BITS>>,
    /// First number of the oldest batch's range.
    pub head_value: Signal<In, Bits<64>>,
    /// Epoch of the oldest batch's answer.
    pub head_epoch: Signal<In, Bits<32>>,
    /// Status of the oldest batch.
    pub head_status: Signal<In, Bits<8>>,
    /// The oldest batch's last completion was taken this clock: free its slot.
    pub head_free: Signal<Out, bool>,
    /// Queue of the request log's head entry: the next request to complete.
    pub entry_queue: Signal<In, Bits<2>>,
    /// Doorbell tag of the head entry.
    pub entry_tag: Signal<In, Bits<16>>,
    /// Count of the head entry.
    pub entry_count: Signal<In, Bits<24>>,
    /// `entry_*` is present.
    pub entry_valid: Signal<In, bool>,
    /// The log's head entry has been completed.
    pub pop: Signal<Out, bool>,
    /// The completions, one per request in arrival order.
    pub completions_out: StreamSource<Completion>,
    /// Pulse, a clock after a completion with status Timeout was taken (STAT_TIMEOUTS).
    pub timeouts: Signal<Out, bool>,
    /// Position of `entry` in the oldest batch.
    index: DFF<Bits<BATCH_N_BITS>>,
    /// First number of `entry`'s range when `index` > 0.
    next_value: DFF<Bits<64>>,
    timeout_pulse: DFF<bool>,
    count32: ZeroExtend<24, 32>,
    count64: ZeroExtend<24, 64>,
    fire: Signal<Local, bool>,
    last: Signal<Local, bool>,
    one: Constant<Bits<BATCH_N_BITS>>,
    zero: Constant<Bits<BATCH_N_BITS>>,
    zero_value: Constant<Bits<64>>,
    status_ok: Constant<Bits<8>>,
    status_timeout: Constant<Bits<8>>,
}

impl Splitter {
    pub fn new() -> Self {
        Self {
            clock: Default::default(),
            soft_reset: Default::default(),
            head_done: Default::default(),
            head_n: Default::default(),
            head_value: Default::default(),
            head_epoch: Default::default(),
            head_status: Default::default(),
            head_free: Default::default(),
            entry_queue: Default::default(),
            entry_tag: Default::default(),
            entry_count: Default::default(),
            entry_valid: Default::default(),
            pop: Default::default(),
            completions_out: Default::default(),
            timeouts: Default::default(),
            index: Default::default(),
            next_value: Default::default(),
            timeout_pulse: Default::default(),
            count32: ZeroExtend::new(),
            count64: ZeroExtend::new(),
            fire: Default::default(),
            last: Default::default(),
            one: Constant::new(1u64.into()),
            zero: Constant::new(0u64.into()),
            zero_value: Constant::new(0u64.into()),
            status_ok: Constant::new((Status::Ok as u64).into()),
            status_timeout: Constant::new((Status::Timeout as u64).into()),
        }
    }
}

impl Default for Splitter {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for Splitter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, index, next_value, timeout_pulse);
        self.completions_out.valid.next = self.head_done.val() && self.entry_valid.val();
        self.count32.narrow.next = self.entry_count.val();
        self.count64.narrow.next = self.entry_count.val();
        self.completions_out.data.next.queue = self.entry_queue.val();
        self.completions_out.data.next.tag = self.entry_tag.val();
        self.completions_out.data.next.count = self.count32.wide.val();
        self.completions_out.data.next.epoch = self.head_epoch.val();
        self.completions_out.data.next.status = self.head_status.val();
        self.completions_out.data.next.value = self.zero_value.val();
        if self.head_status.val() == self.status_ok.val() {
            if self.index.q.val() == self.zero.val() {
                self.completions_out.data.next.value = self.head_value.val();
            } else {
                self.completions_out.data.next.value = self.next_value.q.val();
            }
        }
        self.fire.next = self.completions_out.valid.val() && self.completions_out.ready.val();
        self.last.next = (self.index.q.val() + self.one.val()) == self.head_n.val();
        self.pop.next = self.fire.val();
        self.head_free.next = self.fire.val() && self.last.val();
        if self.fire.val() {
            self.next_value.d.next =
                self.completions_out.data.val().value + self.count64.wide.val();
            if self.last.val() {
                self.index.d.next = self.zero.val();
            } else {
                self.index.d.next = self.index.q.val() + self.one.val();
            }
        }
        self.timeout_pulse.d.next =
            self.fire.val() && (self.head_status.val() == self.status_timeout.val());
        if self.soft_reset.val() {
            self.index.d.next = self.zero.val();
        }
        self.timeouts.next = self.timeout_pulse.q.val();
    }
}

#[cfg(test)]
mod tests;
