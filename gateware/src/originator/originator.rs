//! The originator: coalesces host requests into REQ frames and splits the answers.

use super::batch_table::{BatchTable, BATCH_N_BITS, SLOT_BITS};
use super::completion::Completion;
use super::request_log::RequestLog;
use super::splitter::Splitter;
use crate::frame::{type_code, FrameFields};
use crate::host::request_queue::Request;
use crate::widgets::{FramePack, RoundRobin, StreamSink, StreamSource, ZeroExtend};
use rust_hdl::prelude::*;
use seqfab_contract::frame::FrameType;
use seqfab_contract::limits::{MAX_REQUESTS_PER_FRAME, QUEUES};

// The `at_*` offsets are 9-bit constants: the index width of a 312-bit vector.
const _: () =
    assert!(<FrameFields as Synth>::BITS <= 1 << 9 && <FrameFields as Synth>::BITS > 1 << 8);

/// What the originator needs of the card's configuration and roles.
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct OriginatorConfig {
    /// This card's node id: REQ `src` and `origin`; answers must name it as `origin`.
    pub node_id: Bits<8>,
    /// CONTROL.ENABLE.
    pub enabled: Bit,
    /// The card's epoch: REQ frames carry it; answers must carry it (I4).
    pub epoch: Bits<32>,
    /// Node id of the primary: REQ `dst`.
    pub primary_id: Bits<8>,
    /// The card has a configuration (epoch != 0).
    pub configured: Bit,
    /// Cycles to wait for an answer after a REQ left before sending it again.
    pub request_timeout: Bits<32>,
    /// Re-sends of a REQ before its requests complete with Timeout.
    pub max_retries: Bits<8>,
}

/// The card's request side (DESIGN.md 1, 3 and 8; docs/gateware.md decisions 4 and 5).
///
/// **Coalescing.** One request per clock moves from the queue streams (round robin over
/// the queues) into the *open batch*, and its (queue, tag, count) goes into the request
/// log in arrival order. The open batch leaves as one REQ frame (`count` = the sum of its
/// requests' counts, `tag` = `{generation, slot}`) as soon as a batch slot is free and the
/// REQ output can take a frame. So at low load each request goes alone, and while all
/// `BATCH_SLOTS` REQs are in flight the waiting requests accumulate and one frame carries
/// many of them: **one REQ frame carries at most `MAX_REQUESTS_PER_FRAME` = 16
/// requests**, at most 16 x (2^24 - 1) numbers, which fits the frame's 32-bit count. A
/// batch that reaches 16 is closed: it waits for the next free slot (ahead of the open
/// batch) while further requests fill the next batch, so the intake does not stall on a
/// full batch. (Stalling there locks the slots into one full batch and three single
/// requests per round trip, about 19 requests per round trip instead of 64.) The intake
/// stops only when a closed batch and a full open batch both wait, or the 64-entry log
/// is full.
///
/// **Answers.** An RSP or NACK is matched to its batch by tag, generation, epoch (I4),
/// destination and origin (see [`BatchTable`]). Completions leave strictly in batch-open
/// order, which is the order the requests arrived: the oldest batch is split first and a
/// later batch answered earlier waits. Request `i` of a batch gets `[value + sum of counts
/// 0..i, + count)`; for a NACKed batch every request gets the NACK's reason as status and
/// value 0 (see [`Splitter`]). So a card's completions are increasing in completion order,
/// except that an older batch answered through a re-sent REQ carries a range issued after
/// younger batches' (still within I2: those were issued before it completed).
///
/// **Retries.** A batch with no answer `request_timeout` cycles after its REQ left is
/// re-sent with the same tag and count, up to `max_retries` times; then its requests
/// complete with status Timeout. A re-sent REQ may be issued a second range: the first to
/// arrive is delivered and any later one is dropped (`drop_dup_rsp`): a gap, never a
/// duplicate. Re-sends go before new batches.
///
/// **Not configured.** While `!(enabled && configured)`, batches complete with status
/// NotConfigured without sending a frame, still in order; no REQ is re-sent either (a
/// batch whose timer then runs out completes with Timeout).
///
/// **Soft reset** empties the open and closed batches and the log and frees every slot
/// (moving its generation on, so late answers are dropped). A completion on offer is
/// withdrawn; a REQ already offered at `reqs_out` is still delivered (its answer will not
/// match).
///
/// **Rates and latency.** Up to one request in and one completion out per clock, and one
/// answer in per clock (`answers_in` is always ready). A slot is busy from its REQ to the
/// last completion of its batch, so with a round trip of `L` clocks (REQ taken to answer
/// offered) the rate is one request per clock up to `L` of about 30 and about
/// `64 / (L + 20)` per clock beyond (the tests measure it). A request taken in cycle `c`
/// with a slot free is offered as a REQ from cycle `c + 2`; an answer offered in cycle `d`
/// gives the batch's first completion in cycle `d + 2`, and the next ones follow one per
/// clock. Stat outputs are one-clock pulses, one or two clocks after their event.
#[derive(LogicBlock)]
pub struct Originator {
    /// Card clock.
    pub clock: Signal<In, Clock>,
    /// The card's node id, enable, epoch, primary and retry settings.
    pub settings: Signal<In, OriginatorConfig>,
    /// CONTROL.SOFT_RESET: drop every request in the originator.
    pub soft_reset: Signal<In, bool>,
    /// Per queue: the queue's requests, oldest first.
    pub requests_in: [StreamSink<Request>; QUEUES],
    /// RSP and NACK frames addressed to this card; `ready` is always high (an answer is
    /// taken every clock).
    pub answers_in: StreamSink<FrameFields>,
    /// The REQ frames offered to the fabric.
    pub reqs_out: StreamSource<FrameFields>,
    /// The completions, one per request in arrival order.
    pub completions_out: StreamSource<Completion>,
    /// One-cycle pulses, one per event, for the statistics counters.
    pub events: Signal<Out, OriginatorEvents>,

    arbiter: RoundRobin,
    /// The granted queue's request. (`#[hdl_gen]` cannot read a struct field of an
    /// array element indexed by a loop variable, so the request is selected whole.)
    granted: Signal<Local, Request>,
    log: RequestLog,
    batches: BatchTable,
    splitter: Splitter,
    /// The taken request's count, widened for the batch total.
    take_count: ZeroExtend<24, 32>,
    /// Assembles `reqs_out` from the output registers.
    pack: FramePack,
    /// Requests in the open batch.
    open_n: DFF<Bits<BATCH_N_BITS>>,
    /// Numbers the open batch asks for.
    open_total: DFF<Bits<32>>,
    /// A full batch (16 requests) waits for a slot, while the next one fills.
    closed_valid: DFF<bool>,
    /// Numbers the closed batch asks for.
    closed_total: DFF<Bits<32>>,
    /// The REQ output register: valid, and the fields that vary.
    out_valid: DFF<bool>,
    out_tag: DFF<Bits<16>>,
    out_count: DFF<Bits<32>>,
    out_epoch: DFF<Bits<32>>,
    out_src: DFF<Bits<8>>,
    out_dst: DFF<Bits<8>>,
    req_tx_pulse: DFF<bool>,

    active: Signal<Local, bool>,
    /// `take_slot_ok`/`can_take`: the intake's view of `slot_ok`, computed apart (see
    /// `update`).
    take_slot_ok: Signal<Local, bool>,
    can_take: Signal<Local, bool>,
    out_free: Signal<Local, bool>,
    /// The waiting batch (closed, else open) may take a slot this clock.
    slot_ok: Signal<Local, bool>,
    send_resend: Signal<Local, bool>,
    send_closed: Signal<Local, bool>,
    send_open: Signal<Local, bool>,
    /// The full open batch becomes the closed one.
    close: Signal<Local, bool>,
    /// The batch that takes a slot: the closed one if any, else the open one.
    batch_n: Signal<Local, Bits<BATCH_N_BITS>>,
    batch_total: Signal<Local, Bits<32>>,
    /// `answers_in`'s frame as a bit vector, so fields are read with exact-width offsets.
    rsp_bits: Signal<Local, Bits<312>>,
    /// Answer fields the originator has no use for. Verilator's default
    /// `--unused-regexp` (`*unused*`) exempts these names from UNUSEDSIGNAL, the usual
    /// way to say "ignored on purpose".
    unused_src: Signal<Local, Bits<8>>,
    unused_aux: Signal<Local, Bits<64>>,
    unused_extra: Signal<Local, Bits<64>>,

    /// Bit offsets of the `FrameFields` fields read from the answer (9 bits: the index
    /// width of a 312-bit vector).
    at_kind: Constant<Bits<9>>,
    at_src: Constant<Bits<9>>,
    at_aux: Constant<Bits<9>>,
    at_extra: Constant<Bits<9>>,
    at_reason: Constant<Bits<9>>,
    at_dst: Constant<Bits<9>>,
    at_origin: Constant<Bits<9>>,
    at_epoch: Constant<Bits<9>>,
    at_tag: Constant<Bits<9>>,
    at_count: Constant<Bits<9>>,
    at_value: Constant<Bits<9>>,
    batch_full: Constant<Bits<BATCH_N_BITS>>,
    one_request: Constant<Bits<BATCH_N_BITS>>,
    no_requests: Constant<Bits<BATCH_N_BITS>>,
    no_numbers: Constant<Bits<32>>,
    kind_req: Constant<Bits<8>>,
    zero8: Constant<Bits<8>>,
    zero64: Constant<Bits<64>>,
}

impl Originator {
    pub fn new() -> Self {
        let f = FrameFields::default();
        let at = |offset: usize| Constant::new((offset as u64).into());
        Self {
            clock: Default::default(),
            events: Default::default(),
            settings: Default::default(),
            soft_reset: Default::default(),
            requests_in: Default::default(),
            answers_in: Default::default(),
            reqs_out: Default::default(),
            completions_out: Default::default(),
            arbiter: RoundRobin::new(),
            granted: Default::default(),
            log: RequestLog::new(),
            batches: BatchTable::new(),
            splitter: Splitter::new(),
            take_count: ZeroExtend::new(),
            pack: FramePack::new(),
            open_n: Default::default(),
            open_total: Default::default(),
            closed_valid: Default::default(),
            closed_total: Default::default(),
            out_valid: Default::default(),
            out_tag: Default::default(),
            out_count: Default::default(),
            out_epoch: Default::default(),
            out_src: Default::default(),
            out_dst: Default::default(),
            req_tx_pulse: Default::default(),
            active: Default::default(),
            take_slot_ok: Default::default(),
            can_take: Default::default(),
            out_free: Default::default(),
            slot_ok: Default::default(),
            send_resend: Default::default(),
            send_closed: Default::default(),
            send_open: Default::default(),
            close: Default::default(),
            batch_n: Default::default(),
            batch_total: Default::default(),
            rsp_bits: Default::default(),
            unused_src: Default::default(),
            unused_aux: Default::default(),
            unused_extra: Default::default(),
            at_kind: at(f.get_my_offset_kind()),
            at_src: at(f.get_my_offset_src()),
            at_aux: at(f.get_my_offset_aux()),
            at_extra: at(f.get_my_offset_extra()),
            at_reason: at(f.get_my_offset_reason()),
            at_dst: at(f.get_my_offset_dst()),
            at_origin: at(f.get_my_offset_origin()),
            at_epoch: at(f.get_my_offset_epoch()),
            at_tag: at(f.get_my_offset_tag()),
            at_count: at(f.get_my_offset_count()),
            at_value: at(f.get_my_offset_value()),
            batch_full: Constant::new((MAX_REQUESTS_PER_FRAME as u64).into()),
            one_request: Constant::new(1u64.into()),
            no_requests: Constant::new(0u64.into()),
            no_numbers: Constant::new(0u64.into()),
            kind_req: type_code(FrameType::Req),
            zero8: Constant::new(0u64.into()),
            zero64: Constant::new(0u64.into()),
        }
    }
}

impl Default for Originator {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for Originator {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            open_n,
            open_total,
            closed_valid,
            closed_total,
            out_valid,
            out_tag,
            out_count,
            out_epoch,
            out_src,
            out_dst,
            req_tx_pulse
        );
        clock!(self, clock, arbiter, log, batches, splitter);
        self.active.next = self.settings.val().enabled && self.settings.val().configured;

        // Intake: one request per clock into the open batch, unless it is full and
        // stays full this clock (the closed batch still waits for a slot) or the log is
        // full. `can_take` is computed from ports, registers and child outputs only, with
        // its own copy of `slot_ok`: Verilator orders an `always` block's statements in
        // groups linked by the locals they share, and a group that read the arbiter's
        // `take` and wrote its `enable` would be a combinational loop (UNOPTFLAT).
        for q in 0..QUEUES {
            self.arbiter.request[q].next = self.requests_in[q].valid.val();
        }
        self.take_slot_ok.next = self.batches.can_open.val()
            && (!(self.settings.val().enabled && self.settings.val().configured)
                || ((!self.out_valid.q.val() || self.reqs_out.ready.val())
                    && !self.batches.resend_valid.val()));
        self.can_take.next = ((self.open_n.q.val() != self.batch_full.val())
            || !self.closed_valid.q.val()
            || self.take_slot_ok.val())
            && !self.log.full.val()
            && !self.soft_reset.val();
        self.arbiter.enable.next = self.can_take.val();
        self.log.in_queue.next = self.arbiter.grant.val();
        self.granted.next = self.requests_in[0].data.val();
        for q in 0..QUEUES {
            self.requests_in[q].ready.next = false;
            if self.arbiter.grant.val().index() == q {
                self.requests_in[q].ready.next = self.arbiter.take.val();
                self.granted.next = self.requests_in[q].data.val();
            }
        }
        self.log.in_tag.next = self.granted.val().tag;
        self.log.in_count.next = self.granted.val().count;
        self.take_count.narrow.next = self.log.in_count.val();
        self.log.push.next = self.arbiter.take.val();
        self.log.pop.next = self.splitter.pop.val();
        self.log.soft_reset.next = self.soft_reset.val();

        // Sending: a re-send first (it is older), else the closed batch, else the open
        // one, when a slot is free. While inactive a batch takes its slot without a frame.
        self.out_free.next = !self.out_valid.q.val() || self.reqs_out.ready.val();
        self.send_resend.next = self.active.val()
            && self.out_free.val()
            && self.batches.resend_valid.val()
            && !self.soft_reset.val();
        self.slot_ok.next = self.batches.can_open.val()
            && !self.soft_reset.val()
            && (!self.active.val() || (self.out_free.val() && !self.batches.resend_valid.val()));
        self.send_closed.next = self.closed_valid.q.val() && self.slot_ok.val();
        self.send_open.next = !self.closed_valid.q.val()
            && (self.open_n.q.val() != self.no_requests.val())
            && self.slot_ok.val();
        self.close.next = (self.open_n.q.val() == self.batch_full.val())
            && !self.send_open.val()
            && (!self.closed_valid.q.val() || self.send_closed.val());
        self.batch_n.next = self.open_n.q.val();
        self.batch_total.next = self.open_total.q.val();
        if self.closed_valid.q.val() {
            self.batch_n.next = self.batch_full.val();
            self.batch_total.next = self.closed_total.q.val();
        }

        // The open and closed batches: a request taken in the clock the open batch
        // leaves starts the next one.
        if self.send_closed.val() {
            self.closed_valid.d.next = false;
        }
        if self.close.val() {
            self.closed_valid.d.next = true;
            self.closed_total.d.next = self.open_total.q.val();
        }
        if self.send_open.val() || self.close.val() {
            self.open_n.d.next = self.no_requests.val();
            self.open_total.d.next = self.no_numbers.val();
            if self.arbiter.take.val() {
                self.open_n.d.next = self.one_request.val();
                self.open_total.d.next = self.take_count.wide.val();
            }
        } else if self.arbiter.take.val() {
            self.open_n.d.next = self.open_n.q.val() + self.one_request.val();
            self.open_total.d.next = self.open_total.q.val() + self.take_count.wide.val();
        }
        if self.soft_reset.val() {
            self.open_n.d.next = self.no_requests.val();
            self.open_total.d.next = self.no_numbers.val();
            self.closed_valid.d.next = false;
        }

        // The REQ output register.
        self.req_tx_pulse.d.next = self.out_valid.q.val() && self.reqs_out.ready.val();
        if self.out_valid.q.val() && self.reqs_out.ready.val() {
            self.out_valid.d.next = false;
        }
        if self.send_resend.val()
            || ((self.send_closed.val() || self.send_open.val()) && self.active.val())
        {
            self.out_valid.d.next = true;
            self.out_src.d.next = self.settings.val().node_id;
            self.out_dst.d.next = self.settings.val().primary_id;
            self.out_epoch.d.next = self.settings.val().epoch;
            if self.send_resend.val() {
                self.out_tag.d.next = self.batches.resend_tag.val();
                self.out_count.d.next = self.batches.resend_count.val();
            } else {
                self.out_tag.d.next = self.batches.open_tag.val();
                self.out_count.d.next = self.batch_total.val();
            }
        }
        self.pack.kind.next = self.kind_req.val();
        self.pack.reason.next = self.zero8.val();
        self.pack.src.next = self.out_src.q.val();
        self.pack.dst.next = self.out_dst.q.val();
        self.pack.origin.next = self.out_src.q.val();
        self.pack.epoch.next = self.out_epoch.q.val();
        self.pack.tag.next = self.out_tag.q.val();
        self.pack.count.next = self.out_count.q.val();
        self.pack.value.next = self.zero64.val();
        self.pack.aux.next = self.zero64.val();
        self.pack.extra.next = self.zero64.val();
        self.reqs_out.data.next = self.pack.frame.val();
        self.reqs_out.valid.next = self.out_valid.q.val();

        // The batch table.
        self.batches.soft_reset.next = self.soft_reset.val();
        // From the ports, not from `active`: statements that share a local are one unit
        // for Verilator's ordering, and `active` also meets `resend_valid` above.
        self.batches.active.next = self.settings.val().enabled && self.settings.val().configured;
        self.batches.epoch.next = self.settings.val().epoch;
        self.batches.node_id.next = self.settings.val().node_id;
        self.batches.request_timeout.next = self.settings.val().request_timeout;
        self.batches.max_retries.next = self.settings.val().max_retries;
        self.batches.open.next = self.send_closed.val() || self.send_open.val();
        self.batches.open_n.next = self.batch_n.val();
        self.batches.open_total.next = self.batch_total.val();
        self.batches.resend_take.next = self.send_resend.val();
        self.batches.hold.next = self.out_valid.q.val();
        self.batches.hold_slot.next = self.out_tag.q.val().get_bits::<SLOT_BITS>(0);
        self.batches.head_free.next = self.splitter.head_free.val();

        // Answers: always taken.
        self.answers_in.ready.next = true;
        self.rsp_bits.next = self.answers_in.data.val().into();
        self.batches.rsp_valid.next = self.answers_in.valid.val();
        self.batches.rsp_kind.next = self
            .rsp_bits
            .val()
            .get_bits::<8>(self.at_kind.val().index());
        self.batches.rsp_reason.next = self
            .rsp_bits
            .val()
            .get_bits::<8>(self.at_reason.val().index());
        self.batches.rsp_dst.next = self.rsp_bits.val().get_bits::<8>(self.at_dst.val().index());
        self.batches.rsp_origin.next = self
            .rsp_bits
            .val()
            .get_bits::<8>(self.at_origin.val().index());
        self.batches.rsp_epoch.next = self
            .rsp_bits
            .val()
            .get_bits::<32>(self.at_epoch.val().index());
        self.batches.rsp_tag.next = self
            .rsp_bits
            .val()
            .get_bits::<16>(self.at_tag.val().index());
        self.batches.rsp_count.next = self
            .rsp_bits
            .val()
            .get_bits::<32>(self.at_count.val().index());
        self.batches.rsp_value.next = self
            .rsp_bits
            .val()
            .get_bits::<64>(self.at_value.val().index());

        self.unused_src.next = self.rsp_bits.val().get_bits::<8>(self.at_src.val().index());
        self.unused_aux.next = self
            .rsp_bits
            .val()
            .get_bits::<64>(self.at_aux.val().index());
        self.unused_extra.next = self
            .rsp_bits
            .val()
            .get_bits::<64>(self.at_extra.val().index());

        // Completions.
        self.splitter.soft_reset.next = self.soft_reset.val();
        self.splitter.head_done.next = self.batches.head_done.val();
        self.splitter.head_n.next = self.batches.head_n.val();
        self.splitter.head_value.next = self.batches.head_value.val();
        self.splitter.head_epoch.next = self.batches.head_epoch.val();
        self.splitter.head_status.next = self.batches.head_status.val();
        self.splitter.entry_queue.next = self.log.head_queue.val();
        self.splitter.entry_tag.next = self.log.head_tag.val();
        self.splitter.entry_count.next = self.log.head_count.val();
        self.splitter.entry_valid.next = !self.log.empty.val();
        StreamSource::<Completion>::link(
            &mut self.completions_out,
            &mut self.splitter.completions_out,
        );

        // Statistics.
        self.events.next.req_tx = self.req_tx_pulse.q.val();
        self.events.next.retries = self.batches.retries.val();
        self.events.next.timeouts = self.splitter.timeouts.val();
        self.events.next.rsp_rx = self.batches.rsp_rx.val();
        self.events.next.nack_rx = self.batches.nack_rx.val();
        self.events.next.drop_dup_rsp = self.batches.drop_dup_rsp.val();
        self.events.next.drop_epoch = self.batches.drop_epoch.val();
    }
}

/// One-cycle pulses, one per event, for the statistics counters.
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct OriginatorEvents {
    /// Pulse: a REQ frame was sent (re-sends included; STAT_REQ_TX).
    pub req_tx: Bit,
    /// Pulse: a REQ frame was re-sent (STAT_RETRIES).
    pub retries: Bit,
    /// Pulse: a request completed with Timeout (STAT_TIMEOUTS).
    pub timeouts: Bit,
    /// Pulse: an RSP was accepted (STAT_RSP_RX).
    pub rsp_rx: Bit,
    /// Pulse: a NACK was accepted (STAT_NACK_RX).
    pub nack_rx: Bit,
    /// Pulse: an RSP/NACK was dropped, its tag not outstanding or its generation old
    /// (STAT_DROP_DUP_RSP).
    pub drop_dup_rsp: Bit,
    /// Pulse: an RSP/NACK was dropped for another epoch (STAT_DROP_EPOCH, I4).
    pub drop_epoch: Bit,
}

#[cfg(test)]
mod tests;
