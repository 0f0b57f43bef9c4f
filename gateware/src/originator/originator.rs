//! The originator: coalesces host requests into REQ frames and splits the answers.

use super::batch_table::{BatchTable, BATCH_N_BITS, SLOT_BITS};
use super::frame_pack::FramePack;
use super::request_log::RequestLog;
use super::round_robin::RoundRobin;
use super::splitter::Splitter;
use crate::frame::{type_code, FrameFields};
use crate::zero_extend::ZeroExtend;
use rust_hdl::prelude::*;
use seqfab_contract::frame::FrameType;
use seqfab_contract::limits::{MAX_REQUESTS_PER_FRAME, QUEUES};

// The `at_*` offsets are 9-bit constants: the index width of a 312-bit vector.
const _: () =
    assert!(<FrameFields as Synth>::BITS <= 1 << 9 && <FrameFields as Synth>::BITS > 1 << 8);

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
/// withdrawn; a REQ already offered at `req_frame` is still delivered (its answer will not
/// match).
///
/// **Rates and latency.** Up to one request in and one completion out per clock, and one
/// answer in per clock (`rsp_ready` is always high). A slot is busy from its REQ to the
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
    /// This card's node id: REQ `src` and `origin`; answers must name it as `origin`.
    pub node_id: Signal<In, Bits<8>>,
    /// CONTROL.ENABLE.
    pub enabled: Signal<In, bool>,
    /// The card's epoch: REQ frames carry it; answers must carry it (I4).
    pub epoch: Signal<In, Bits<32>>,
    /// Node id of the primary: REQ `dst`.
    pub primary_id: Signal<In, Bits<8>>,
    /// The card has a configuration (epoch != 0).
    pub configured: Signal<In, bool>,
    /// Cycles to wait for an answer after a REQ left before sending it again.
    pub request_timeout: Signal<In, Bits<32>>,
    /// Re-sends of a REQ before its requests complete with Timeout.
    pub max_retries: Signal<In, Bits<8>>,
    /// CONTROL.SOFT_RESET: drop every request in the originator.
    pub soft_reset: Signal<In, bool>,
    /// Per queue: a request is offered.
    pub req_valid: [Signal<In, bool>; QUEUES],
    /// Per queue: numbers the offered request asks for (1..=MAX_COUNT).
    pub req_count: [Signal<In, Bits<24>>; QUEUES],
    /// Per queue: the offered request's doorbell tag.
    pub req_tag: [Signal<In, Bits<16>>; QUEUES],
    /// Per queue: the offered request is taken this clock.
    pub req_ready: [Signal<Out, bool>; QUEUES],
    /// An RSP or NACK frame addressed to this card.
    pub rsp_frame: Signal<In, FrameFields>,
    /// `rsp_frame` is present.
    pub rsp_valid: Signal<In, bool>,
    /// Always high: an answer is taken every clock.
    pub rsp_ready: Signal<Out, bool>,
    /// The REQ frame offered to the fabric.
    pub req_frame: Signal<Out, FrameFields>,
    /// `req_frame` is offered.
    pub req_frame_valid: Signal<Out, bool>,
    /// `req_frame` is taken this clock.
    pub req_frame_ready: Signal<In, bool>,
    /// A completion is offered.
    pub cpl_valid: Signal<Out, bool>,
    /// The completion is taken this clock.
    pub cpl_ready: Signal<In, bool>,
    /// Queue the completed request came from.
    pub cpl_queue: Signal<Out, Bits<2>>,
    /// First number of the request's range (0 unless `cpl_status` is Ok).
    pub cpl_value: Signal<Out, Bits<64>>,
    /// Numbers in the range (the request's count).
    pub cpl_count: Signal<Out, Bits<32>>,
    /// Epoch of the configuration that issued the range.
    pub cpl_epoch: Signal<Out, Bits<32>>,
    /// The request's doorbell tag.
    pub cpl_tag: Signal<Out, Bits<16>>,
    /// `seqfab_contract::ring::Status` code.
    pub cpl_status: Signal<Out, Bits<8>>,
    /// Pulse: a REQ frame was sent (re-sends included; STAT_REQ_TX).
    pub req_tx: Signal<Out, bool>,
    /// Pulse: a REQ frame was re-sent (STAT_RETRIES).
    pub retries: Signal<Out, bool>,
    /// Pulse: a request completed with Timeout (STAT_TIMEOUTS).
    pub timeouts: Signal<Out, bool>,
    /// Pulse: an RSP was accepted (STAT_RSP_RX).
    pub rsp_rx: Signal<Out, bool>,
    /// Pulse: a NACK was accepted (STAT_NACK_RX).
    pub nack_rx: Signal<Out, bool>,
    /// Pulse: an RSP/NACK was dropped, its tag not outstanding or its generation old
    /// (STAT_DROP_DUP_RSP).
    pub drop_dup_rsp: Signal<Out, bool>,
    /// Pulse: an RSP/NACK was dropped for another epoch (STAT_DROP_EPOCH, I4).
    pub drop_epoch: Signal<Out, bool>,

    arbiter: RoundRobin,
    log: RequestLog,
    batches: BatchTable,
    splitter: Splitter,
    /// The taken request's count, widened for the batch total.
    take_count: ZeroExtend<24, 32>,
    /// Assembles `req_frame` from the output registers.
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
    /// `rsp_frame` as a bit vector, so fields are read with exact-width offsets.
    rsp_bits: Signal<Local, Bits<312>>,
    /// Answer fields the originator has no use for. Verilator's default
    /// `--unused-regexp` (`*unused*`) exempts these names from UNUSEDSIGNAL, the usual
    /// way to say "ignored on purpose".
    unused_src: Signal<Local, Bits<8>>,
    unused_aux: Signal<Local, Bits<64>>,
    unused_extra: Signal<Local, Bits<64>>,

    /// Bit offsets of the `FrameFields` fields read from `rsp_frame` (9 bits: the index
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
            node_id: Default::default(),
            enabled: Default::default(),
            epoch: Default::default(),
            primary_id: Default::default(),
            configured: Default::default(),
            request_timeout: Default::default(),
            max_retries: Default::default(),
            soft_reset: Default::default(),
            req_valid: Default::default(),
            req_count: Default::default(),
            req_tag: Default::default(),
            req_ready: Default::default(),
            rsp_frame: Default::default(),
            rsp_valid: Default::default(),
            rsp_ready: Default::default(),
            req_frame: Default::default(),
            req_frame_valid: Default::default(),
            req_frame_ready: Default::default(),
            cpl_valid: Default::default(),
            cpl_ready: Default::default(),
            cpl_queue: Default::default(),
            cpl_value: Default::default(),
            cpl_count: Default::default(),
            cpl_epoch: Default::default(),
            cpl_tag: Default::default(),
            cpl_status: Default::default(),
            req_tx: Default::default(),
            retries: Default::default(),
            timeouts: Default::default(),
            rsp_rx: Default::default(),
            nack_rx: Default::default(),
            drop_dup_rsp: Default::default(),
            drop_epoch: Default::default(),
            arbiter: RoundRobin::new(),
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
        self.active.next = self.enabled.val() && self.configured.val();

        // Intake: one request per clock into the open batch, unless it is full and
        // stays full this clock (the closed batch still waits for a slot) or the log is
        // full. `can_take` is computed from ports, registers and child outputs only, with
        // its own copy of `slot_ok`: Verilator orders an `always` block's statements in
        // groups linked by the locals they share, and a group that read the arbiter's
        // `take` and wrote its `enable` would be a combinational loop (UNOPTFLAT).
        for q in 0..QUEUES {
            self.arbiter.request[q].next = self.req_valid[q].val();
        }
        self.take_slot_ok.next = self.batches.can_open.val()
            && (!(self.enabled.val() && self.configured.val())
                || ((!self.out_valid.q.val() || self.req_frame_ready.val())
                    && !self.batches.resend_valid.val()));
        self.can_take.next = ((self.open_n.q.val() != self.batch_full.val())
            || !self.closed_valid.q.val()
            || self.take_slot_ok.val())
            && !self.log.full.val()
            && !self.soft_reset.val();
        self.arbiter.enable.next = self.can_take.val();
        self.log.in_queue.next = self.arbiter.grant.val();
        self.log.in_tag.next = self.req_tag[0].val();
        self.log.in_count.next = self.req_count[0].val();
        for q in 0..QUEUES {
            self.req_ready[q].next = false;
            if self.arbiter.grant.val().index() == q {
                self.req_ready[q].next = self.arbiter.take.val();
                self.log.in_tag.next = self.req_tag[q].val();
                self.log.in_count.next = self.req_count[q].val();
            }
        }
        self.take_count.narrow.next = self.log.in_count.val();
        self.log.push.next = self.arbiter.take.val();
        self.log.pop.next = self.splitter.pop.val();
        self.log.soft_reset.next = self.soft_reset.val();

        // Sending: a re-send first (it is older), else the closed batch, else the open
        // one, when a slot is free. While inactive a batch takes its slot without a frame.
        self.out_free.next = !self.out_valid.q.val() || self.req_frame_ready.val();
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
        self.req_tx_pulse.d.next = self.out_valid.q.val() && self.req_frame_ready.val();
        if self.out_valid.q.val() && self.req_frame_ready.val() {
            self.out_valid.d.next = false;
        }
        if self.send_resend.val()
            || ((self.send_closed.val() || self.send_open.val()) && self.active.val())
        {
            self.out_valid.d.next = true;
            self.out_src.d.next = self.node_id.val();
            self.out_dst.d.next = self.primary_id.val();
            self.out_epoch.d.next = self.epoch.val();
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
        self.req_frame.next = self.pack.frame.val();
        self.req_frame_valid.next = self.out_valid.q.val();

        // The batch table.
        self.batches.soft_reset.next = self.soft_reset.val();
        // From the ports, not from `active`: statements that share a local are one unit
        // for Verilator's ordering, and `active` also meets `resend_valid` above.
        self.batches.active.next = self.enabled.val() && self.configured.val();
        self.batches.epoch.next = self.epoch.val();
        self.batches.node_id.next = self.node_id.val();
        self.batches.request_timeout.next = self.request_timeout.val();
        self.batches.max_retries.next = self.max_retries.val();
        self.batches.open.next = self.send_closed.val() || self.send_open.val();
        self.batches.open_n.next = self.batch_n.val();
        self.batches.open_total.next = self.batch_total.val();
        self.batches.resend_take.next = self.send_resend.val();
        self.batches.hold.next = self.out_valid.q.val();
        self.batches.hold_slot.next = self.out_tag.q.val().get_bits::<SLOT_BITS>(0);
        self.batches.head_free.next = self.splitter.head_free.val();

        // Answers: always taken.
        self.rsp_ready.next = true;
        self.rsp_bits.next = self.rsp_frame.val().into();
        self.batches.rsp_valid.next = self.rsp_valid.val();
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
        self.splitter.cpl_ready.next = self.cpl_ready.val();
        self.cpl_valid.next = self.splitter.cpl_valid.val();
        self.cpl_queue.next = self.splitter.cpl_queue.val();
        self.cpl_value.next = self.splitter.cpl_value.val();
        self.cpl_count.next = self.splitter.cpl_count.val();
        self.cpl_epoch.next = self.splitter.cpl_epoch.val();
        self.cpl_tag.next = self.splitter.cpl_tag.val();
        self.cpl_status.next = self.splitter.cpl_status.val();

        // Statistics.
        self.req_tx.next = self.req_tx_pulse.q.val();
        self.retries.next = self.batches.retries.val();
        self.timeouts.next = self.splitter.timeouts.val();
        self.rsp_rx.next = self.batches.rsp_rx.val();
        self.nack_rx.next = self.batches.nack_rx.val();
        self.drop_dup_rsp.next = self.batches.drop_dup_rsp.val();
        self.drop_epoch.next = self.batches.drop_epoch.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use seqfab_contract::frame::{Frame, NackReason};
    use seqfab_contract::limits::MAX_COUNT;
    use seqfab_contract::ring::Status;
    use std::collections::{BTreeMap, HashMap, VecDeque};
    use std::sync::{Arc, Mutex};

    const NODE: u8 = 5;
    const PRIMARY: u8 = 9;
    const SECONDARY: u8 = 11;
    const EPOCH: u32 = 7;

    /// A request the testbench offers on queue `queue` from cycle `release` on (and keeps
    /// offering until it is taken, as a stream must).
    #[derive(Clone, Copy, Debug)]
    struct Request {
        queue: usize,
        tag: u16,
        count: u32,
        release: u64,
    }

    /// The primary and secondary, in plain Rust: answers each REQ after a latency with
    /// the next contiguous range (or a NACK), and misbehaves on request.
    #[derive(Clone, Debug)]
    struct FakePrimary {
        /// Cycles from the REQ leaving to its answer arriving (inclusive range).
        latency: (u64, u64),
        /// Probability that a REQ is lost.
        p_drop: f64,
        /// Probability that an answer arrives twice.
        p_dup: f64,
        /// Probability that an answer is delayed by `late` more cycles.
        p_late: f64,
        late: u64,
        /// Probability that a REQ is refused with `nack_reason`.
        p_nack: f64,
        nack_reason: u8,
        /// The first `drop_first` REQs are lost.
        drop_first: usize,
        /// Never answer.
        silent: bool,
        /// Probability of skipping some numbers before a range (gaps are allowed).
        p_gap: f64,
    }

    impl Default for FakePrimary {
        fn default() -> Self {
            FakePrimary {
                latency: (4, 40),
                p_drop: 0.0,
                p_dup: 0.0,
                p_late: 0.0,
                late: 0,
                p_nack: 0.0,
                nack_reason: NackReason::LimitReached as u8,
                drop_first: 0,
                silent: false,
                p_gap: 0.1,
            }
        }
    }

    #[derive(Clone, Debug)]
    struct Scenario {
        enabled: bool,
        configured: bool,
        timeout: u32,
        max_retries: u8,
        requests: Vec<Request>,
        primary: FakePrimary,
        /// Probabilities that `cpl_ready` / `req_frame_ready` are high in a cycle.
        p_cpl_ready: f64,
        p_req_ready: f64,
        /// Cycle at which `soft_reset` is high for one clock.
        soft_reset_at: Option<u64>,
        /// Extra frames put on the answer input at given cycles.
        inject: Vec<(u64, Frame)>,
        /// Stop after this many cycles at the latest.
        max_cycles: u64,
        /// Cycles to keep running once every request has completed.
        settle: u64,
        seed: u64,
    }

    impl Default for Scenario {
        fn default() -> Self {
            Scenario {
                enabled: true,
                configured: true,
                timeout: 200,
                max_retries: 3,
                requests: vec![],
                primary: FakePrimary::default(),
                p_cpl_ready: 1.0,
                p_req_ready: 1.0,
                soft_reset_at: None,
                inject: vec![],
                max_cycles: 20_000,
                settle: 50,
                seed: 1,
            }
        }
    }

    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Cpl {
        queue: usize,
        value: u64,
        count: u32,
        epoch: u32,
        tag: u16,
        status: u8,
    }

    #[derive(Clone, Copy, Debug, Default, PartialEq)]
    struct Stats {
        req_tx: usize,
        retries: usize,
        timeouts: usize,
        rsp_rx: usize,
        nack_rx: usize,
        drop_dup_rsp: usize,
        drop_epoch: usize,
    }

    /// Everything that crossed the originator's ports, with the cycle it happened in.
    #[derive(Clone, Debug, Default)]
    struct Trace {
        /// Requests taken: (cycle, queue, tag, count).
        accepted: Vec<(u64, usize, u16, u32)>,
        /// REQ frames taken downstream.
        reqs: Vec<(u64, Frame)>,
        /// Frames delivered on the answer input.
        answers: Vec<(u64, Frame)>,
        /// Completions taken.
        completions: Vec<(u64, Cpl)>,
        stats: Stats,
        cycles: u64,
    }

    fn run(sc: Scenario) -> Trace {
        let result = Arc::new(Mutex::new(Trace::default()));
        let out = result.clone();
        let mut uut = Originator::new();
        uut.connect_all();
        let mut sim = Simulation::new();
        sim.add_clock(5, |x: &mut Box<Originator>| x.clock.next = !x.clock.val());
        let max_time = (sc.max_cycles + 10) * 10;
        sim.add_testbench(move |mut sim: Sim<Originator>| {
            let mut x = sim.init()?;
            let mut rng = StdRng::seed_from_u64(sc.seed);
            let mut t = Trace::default();
            let mut queues: Vec<VecDeque<Request>> = vec![VecDeque::new(); QUEUES];
            for r in &sc.requests {
                queues[r.queue].push_back(*r);
            }
            let total = sc.requests.len();
            let mut counter: u64 = 1 << 40;
            let mut pending: BTreeMap<(u64, u64), Frame> = BTreeMap::new();
            let mut seq = 0u64;
            let mut received = 0usize;
            let mut inject: VecDeque<(u64, Frame)> = sc.inject.iter().copied().collect();
            let mut done_at: Option<u64> = None;
            x.node_id.next = (NODE as u64).into();
            x.primary_id.next = (PRIMARY as u64).into();
            x.epoch.next = (EPOCH as u64).into();
            x.enabled.next = sc.enabled;
            x.configured.next = sc.configured;
            x.request_timeout.next = (sc.timeout as u64).into();
            x.max_retries.next = (sc.max_retries as u64).into();
            for cycle in 0..sc.max_cycles {
                wait_clock_false!(sim, clock, x);
                // Drive this cycle's inputs.
                for (q, queue) in queues.iter().enumerate() {
                    match queue.front() {
                        Some(r) if r.release <= cycle => {
                            x.req_valid[q].next = true;
                            x.req_count[q].next = (r.count as u64).into();
                            x.req_tag[q].next = (r.tag as u64).into();
                        }
                        _ => x.req_valid[q].next = false,
                    }
                }
                x.cpl_ready.next = rng.gen_bool(sc.p_cpl_ready);
                x.req_frame_ready.next = rng.gen_bool(sc.p_req_ready);
                x.soft_reset.next = sc.soft_reset_at == Some(cycle);
                let answer = if inject.front().is_some_and(|(at, _)| *at <= cycle) {
                    inject.pop_front().map(|(_, f)| f)
                } else {
                    match pending.keys().next().copied() {
                        Some(key) if key.0 <= cycle => pending.remove(&key),
                        _ => None,
                    }
                };
                x.rsp_valid.next = answer.is_some();
                if let Some(f) = answer {
                    x.rsp_frame.next = f.into();
                }
                x = sim.wait(1, x)?;

                // Sample this cycle's handshakes (they happen at the coming edge).
                for (q, queue) in queues.iter_mut().enumerate() {
                    if x.req_valid[q].val() && x.req_ready[q].val() {
                        let r = queue.pop_front().expect("a request was offered");
                        t.accepted.push((cycle, q, r.tag, r.count));
                    }
                }
                if let Some(f) = answer {
                    sim_assert!(sim, x.rsp_ready.val(), x);
                    t.answers.push((cycle, f));
                }
                if x.req_frame_valid.val() && x.req_frame_ready.val() {
                    let f = x.req_frame.val().to_frame().expect("a known frame type");
                    t.reqs.push((cycle, f));
                    let p = &sc.primary;
                    let lost = t.reqs.len() <= p.drop_first || rng.gen_bool(p.p_drop);
                    if !p.silent && !lost {
                        let mut a = Frame::new(FrameType::Rsp, SECONDARY, f.origin);
                        a.origin = f.origin;
                        a.epoch = f.epoch;
                        a.tag = f.tag;
                        a.count = f.count;
                        if rng.gen_bool(p.p_nack) {
                            a.kind = FrameType::Nack;
                            a.src = PRIMARY;
                            a.reason = p.nack_reason;
                            a.value = EPOCH as u64;
                        } else {
                            if rng.gen_bool(p.p_gap) {
                                counter += rng.gen_range(1..1000);
                            }
                            a.value = counter;
                            counter += f.count as u64;
                        }
                        let mut due = cycle + rng.gen_range(p.latency.0..=p.latency.1);
                        if rng.gen_bool(p.p_late) {
                            due += p.late;
                        }
                        seq += 1;
                        pending.insert((due, seq), a);
                        if rng.gen_bool(p.p_dup) {
                            seq += 1;
                            pending.insert((due + rng.gen_range(1..100), seq), a);
                        }
                    }
                }
                if x.cpl_valid.val() && x.cpl_ready.val() {
                    t.completions.push((
                        cycle,
                        Cpl {
                            queue: x.cpl_queue.val().index(),
                            value: x.cpl_value.val().to_u64(),
                            count: x.cpl_count.val().to_u64() as u32,
                            epoch: x.cpl_epoch.val().to_u64() as u32,
                            tag: x.cpl_tag.val().to_u64() as u16,
                            status: x.cpl_status.val().to_u64() as u8,
                        },
                    ));
                    received += 1;
                }
                // Statistics pulses (registered: they report the previous clock's events).
                let s = &mut t.stats;
                s.req_tx += x.req_tx.val() as usize;
                s.retries += x.retries.val() as usize;
                s.timeouts += x.timeouts.val() as usize;
                s.rsp_rx += x.rsp_rx.val() as usize;
                s.nack_rx += x.nack_rx.val() as usize;
                s.drop_dup_rsp += x.drop_dup_rsp.val() as usize;
                s.drop_epoch += x.drop_epoch.val() as usize;

                wait_clock_true!(sim, clock, x);
                t.cycles = cycle + 1;
                if received >= total && pending.is_empty() && inject.is_empty() {
                    let at = *done_at.get_or_insert(cycle);
                    if cycle >= at + sc.settle {
                        break;
                    }
                }
            }
            *out.lock().unwrap() = t;
            sim.done(x)
        });
        sim.run(Box::new(uut), max_time).unwrap();
        let t = result.lock().unwrap().clone();
        t
    }

    /// `n` requests with random queues, counts and release times; `gap` is the mean
    /// number of cycles between releases (0: all offered at once).
    fn random_requests(rng: &mut StdRng, n: usize, gap: u64) -> Vec<Request> {
        let mut tags = [0u16; QUEUES];
        let mut at = 0;
        (0..n)
            .map(|_| {
                let queue = rng.gen_range(0..QUEUES);
                let tag = tags[queue];
                tags[queue] += 1;
                let count = match rng.gen_range(0..10) {
                    0 => rng.gen_range(1..=MAX_COUNT),
                    1 => 1,
                    _ => rng.gen_range(1..=1000),
                };
                if gap > 0 {
                    at += rng.gen_range(0..=2 * gap);
                }
                Request {
                    queue,
                    tag,
                    count,
                    release: at,
                }
            })
            .collect()
    }

    /// Every REQ is well formed: type, addresses, epoch, a non-zero count.
    fn check_reqs(t: &Trace) {
        for (cycle, f) in &t.reqs {
            assert_eq!(f.kind, FrameType::Req, "cycle {cycle}: {f:?}");
            assert_eq!(
                (f.src, f.dst, f.origin),
                (NODE, PRIMARY, NODE),
                "cycle {cycle}"
            );
            assert_eq!(f.epoch, EPOCH, "cycle {cycle}");
            assert!(f.count > 0, "cycle {cycle}: empty REQ");
            assert_eq!(
                (f.reason, f.value, f.aux, f.extra),
                (0, 0, 0, 0),
                "cycle {cycle}"
            );
        }
        assert_eq!(t.stats.req_tx, t.reqs.len(), "req_tx pulses");
    }

    /// Each request completes exactly once, with its queue, tag and count, in the order
    /// the requests were taken (batches complete in the order they were opened, and a
    /// batch's requests in log order).
    fn check_order_and_exactly_once(t: &Trace) {
        let taken: Vec<(usize, u16, u32)> = t
            .accepted
            .iter()
            .map(|&(_, q, tag, c)| (q, tag, c))
            .collect();
        let done: Vec<(usize, u16, u32)> = t
            .completions
            .iter()
            .map(|(_, c)| (c.queue, c.tag, c.count))
            .collect();
        assert_eq!(done.len(), taken.len(), "completions vs requests taken");
        for (i, (d, a)) in done.iter().zip(&taken).enumerate() {
            assert_eq!(d, a, "completion {i} out of order or wrong");
        }
    }

    /// Ok completions: ranges unique, each inside exactly one delivered RSP, the requests
    /// of an accepted RSP tile its range exactly, and ranges increase in completion
    /// order. The one exception is inherent in decision 5: a re-sent REQ is issued a new
    /// range, so an older batch answered through a re-send may carry numbers above a
    /// younger batch's (still I2-safe: the younger request was issued before the older
    /// one completed). Returns the most requests one RSP was split into.
    fn check_ranges(t: &Trace) -> usize {
        let rsps: Vec<&Frame> = t
            .answers
            .iter()
            .map(|(_, f)| f)
            .filter(|f| f.kind == FrameType::Rsp)
            .collect();
        let mut sends: HashMap<u16, usize> = HashMap::new();
        for (_, f) in &t.reqs {
            *sends.entry(f.tag).or_default() += 1;
        }
        let mut by_rsp: HashMap<usize, Vec<(u64, u32)>> = HashMap::new();
        let mut largest = 0;
        // Batches in completion order: (RSP index, range start, range end).
        let mut batches: Vec<(usize, u64, u64)> = vec![];
        for (cycle, c) in &t.completions {
            if c.status != Status::Ok as u8 {
                assert_eq!(
                    c.value, 0,
                    "cycle {cycle}: a failed request carries no number"
                );
                continue;
            }
            assert_eq!(c.epoch, EPOCH);
            let end = c.value + c.count as u64;
            let holders: Vec<usize> = (0..rsps.len())
                .filter(|&i| {
                    rsps[i].value <= c.value && end <= rsps[i].value + rsps[i].count as u64
                })
                .collect();
            // A duplicated RSP carries the same range twice; take the first copy.
            let first = *holders
                .first()
                .unwrap_or_else(|| panic!("cycle {cycle}: {c:?} is in no RSP"));
            assert!(
                holders.iter().all(|&i| rsps[i] == rsps[first]),
                "cycle {cycle}: {c:?} is in two different RSPs"
            );
            by_rsp.entry(first).or_default().push((c.value, c.count));
            match batches.last_mut() {
                Some(b) if b.0 == first => {
                    assert_eq!(
                        c.value, b.2,
                        "cycle {cycle}: not contiguous within its batch"
                    );
                    b.2 = end;
                }
                _ => batches.push((first, c.value, end)),
            }
        }
        for (i, older) in batches.iter().enumerate() {
            for younger in &batches[i + 1..] {
                assert!(
                    younger.1 >= older.2 || younger.2 <= older.1,
                    "overlapping ranges"
                );
                if younger.1 < older.2 {
                    let tag = rsps[older.0].tag;
                    assert!(
                        sends[&tag] > 1,
                        "batch {tag:#x} completed before a lower range without a re-send"
                    );
                }
            }
        }
        for (i, mut parts) in by_rsp {
            assert!(
                parts.len() <= MAX_REQUESTS_PER_FRAME,
                "more than 16 requests in a frame"
            );
            largest = largest.max(parts.len());
            parts.sort();
            let r = rsps[i];
            let mut at = r.value;
            for (v, n) in parts {
                assert_eq!(v, at, "RSP {r:?} not tiled");
                at += n as u64;
            }
            assert_eq!(at, r.value + r.count as u64, "RSP {r:?} not fully split");
        }
        largest
    }

    /// The answer statistics against "the first answer for a tag is accepted, every later
    /// one is a duplicate" (true when no batch timed out and nothing else was injected),
    /// and the delivered ranges against the accepted RSPs.
    fn check_answer_stats(t: &Trace) {
        let mut first: HashMap<u16, &Frame> = HashMap::new();
        for (_, f) in &t.answers {
            first.entry(f.tag).or_insert(f);
        }
        let first_rsp: Vec<&Frame> = first
            .values()
            .copied()
            .filter(|f| f.kind == FrameType::Rsp)
            .collect();
        for f in &first_rsp {
            let delivered: u64 = t
                .completions
                .iter()
                .filter(|(_, c)| {
                    c.status == 0 && c.value >= f.value && c.value < f.value + f.count as u64
                })
                .map(|(_, c)| c.count as u64)
                .sum();
            assert_eq!(
                delivered, f.count as u64,
                "first RSP for tag {:#x} not delivered",
                f.tag
            );
        }
        assert_eq!(t.stats.rsp_rx, first_rsp.len(), "rsp_rx");
        assert_eq!(t.stats.nack_rx, first.len() - first_rsp.len(), "nack_rx");
        assert_eq!(
            t.stats.drop_dup_rsp,
            t.answers.len() - first.len(),
            "drop_dup_rsp"
        );
        assert_eq!(t.stats.drop_epoch, 0);
    }

    fn ratio(t: &Trace) -> f64 {
        t.accepted.len() as f64 / t.reqs.len().max(1) as f64
    }

    /// One randomised run: `n` requests from all queues with random counts, offered in
    /// bursts of `burst` every `period` cycles (or trickled, `burst` = 1), against a lossy
    /// primary, with random back-pressure on both outputs.
    fn random_run(seed: u64, n: usize, burst: usize, period: u64, p_ready: f64) -> Trace {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut requests = random_requests(&mut rng, n, 0);
        for (i, r) in requests.iter_mut().enumerate() {
            r.release = (i / burst) as u64 * period + rng.gen_range(0..4);
        }
        let sc = Scenario {
            requests,
            timeout: 300,
            primary: FakePrimary {
                latency: (3, 60),
                p_drop: 0.03,
                p_dup: 0.05,
                p_late: 0.03,
                late: 400,
                p_nack: 0.02,
                ..FakePrimary::default()
            },
            p_cpl_ready: p_ready,
            p_req_ready: p_ready,
            seed,
            ..Scenario::default()
        };
        let t = run(sc);
        println!(
            "seed {seed}: {} requests in {} REQ frames ({:.2} requests per frame) in {} cycles; {:?}",
            t.accepted.len(),
            t.reqs.len(),
            ratio(&t),
            t.cycles,
            t.stats
        );
        assert_eq!(t.accepted.len(), n, "every request was taken");
        check_reqs(&t);
        check_order_and_exactly_once(&t);
        let _ = check_ranges(&t);
        check_answer_stats(&t);
        assert_eq!(t.stats.timeouts, 0);
        let nack = NackReason::LimitReached as u8;
        assert!(t
            .completions
            .iter()
            .all(|(_, c)| c.status == 0 || c.status == nack));
        t
    }

    /// The main randomised test: 1500 requests in bursts (coalescing at load), 300
    /// trickled (mostly alone), and 300 under heavy back-pressure, each against a primary
    /// that loses REQs, duplicates, delays and NACKs answers.
    #[test]
    fn random_requests_against_a_lossy_primary() {
        let t = random_run(99, 1500, 200, 300, 0.8);
        assert!(t.stats.retries > 0 && t.stats.drop_dup_rsp > 0 && t.stats.nack_rx > 0);
        assert!(
            t.reqs.len() * 4 < t.accepted.len(),
            "coalescing at load: {} frames for {} requests",
            t.reqs.len(),
            t.accepted.len()
        );
        let t = random_run(7, 300, 1, 40, 1.0);
        assert!(ratio(&t) < 1.5, "at low load requests mostly go alone");
        let t = random_run(123, 300, 20, 60, 0.3);
        assert!(t.stats.retries > 0);
    }

    /// A lone request leaves as its own REQ two clocks after it was offered, and its
    /// completion follows the answer by two clocks (the batch table checks an answer in
    /// two stages).
    #[test]
    fn low_load_sends_each_request_alone() {
        let mut rng = StdRng::seed_from_u64(5);
        let requests = (0..40)
            .map(|i| Request {
                queue: i % QUEUES,
                tag: i as u16,
                count: rng.gen_range(1..=MAX_COUNT),
                release: i as u64 * 100,
            })
            .collect();
        let t = run(Scenario {
            requests,
            primary: FakePrimary {
                latency: (10, 30),
                ..FakePrimary::default()
            },
            ..Scenario::default()
        });
        check_reqs(&t);
        check_order_and_exactly_once(&t);
        let _ = check_ranges(&t);
        check_answer_stats(&t);
        assert_eq!(t.reqs.len(), 40, "one REQ per request");
        for i in 0..40 {
            let (taken, _, _, count) = t.accepted[i];
            let (sent, req) = t.reqs[i];
            assert_eq!(req.count, count);
            assert_eq!(sent, taken + 2, "request to REQ");
            let answered = t.answers[i].0;
            assert_eq!(t.completions[i].0, answered + 2, "answer to completion");
        }
    }

    /// All four queues always busy, no back-pressure. With a round trip (REQ leaving to
    /// its answer arriving) of up to ~30 clocks: one request in and one completion out
    /// per clock in steady state, with far fewer frames than requests. Beyond that the
    /// four slots of 16 requests bound the rate to about 64 requests per round trip
    /// plus the ~20 clocks a slot spends being sent, answered and split.
    #[test]
    fn sustains_one_request_per_clock() {
        for latency in [12, 30, 100] {
            let mut rng = StdRng::seed_from_u64(11);
            let requests = random_requests(&mut rng, 1200, 0);
            let t = run(Scenario {
                requests,
                primary: FakePrimary {
                    latency: (latency, latency),
                    ..FakePrimary::default()
                },
                ..Scenario::default()
            });
            check_reqs(&t);
            check_order_and_exactly_once(&t);
            let largest = check_ranges(&t);
            check_answer_stats(&t);
            let rate = |cycles: Vec<u64>| (cycles[1000] - cycles[200]) as f64 / 800.0;
            let per_request = rate(t.accepted.iter().map(|a| a.0).collect());
            let per_completion = rate(t.completions.iter().map(|c| c.0).collect());
            println!(
                "round trip {latency}: {per_request:.3} cycles per request in, \
                 {per_completion:.3} per completion out, {:.2} requests per frame",
                ratio(&t)
            );
            if latency <= 30 {
                assert!(per_request < 1.01, "{per_request}");
                assert!(per_completion < 1.01, "{per_completion}");
                // Consecutive batches are split back to back.
                let window = &t.completions[200..1000];
                assert!(window.windows(2).all(|w| w[1].0 == w[0].0 + 1));
            } else {
                assert_eq!(
                    largest, MAX_REQUESTS_PER_FRAME,
                    "full batches at a long round trip"
                );
                let bound = (latency + 20) as f64 / 64.0;
                assert!(per_request < bound * 1.05, "{per_request} vs {bound}");
            }
            assert!(ratio(&t) > 8.0);
        }
    }

    /// A lost REQ is sent again, same tag and count, once `request_timeout` cycles have
    /// passed since it left; the answer to the re-send completes the request.
    #[test]
    fn lost_req_is_resent_and_completes() {
        let requests = vec![Request {
            queue: 2,
            tag: 77,
            count: 5,
            release: 3,
        }];
        let t = run(Scenario {
            requests,
            timeout: 50,
            primary: FakePrimary {
                latency: (5, 5),
                drop_first: 1,
                ..FakePrimary::default()
            },
            p_req_ready: 0.5,
            ..Scenario::default()
        });
        check_reqs(&t);
        check_order_and_exactly_once(&t);
        let _ = check_ranges(&t);
        assert_eq!(t.reqs.len(), 2);
        let ((first, a), (second, b)) = (t.reqs[0], t.reqs[1]);
        assert_eq!((a.tag, a.count), (b.tag, b.count), "same tag, same count");
        assert!(
            (first + 50..=first + 60).contains(&second),
            "re-sent at {second}, first left at {first}"
        );
        assert_eq!(t.completions[0].1.status, 0);
        assert_eq!(t.completions[0].1.value, t.answers[0].1.value);
        assert_eq!(t.completions[0].1.tag, 77);
        let s = t.stats;
        assert_eq!((s.req_tx, s.retries, s.rsp_rx, s.timeouts), (2, 1, 1, 0));
    }

    /// With no answer at all, every batch is sent `1 + max_retries` times, each a timeout
    /// after the previous one left, and then each of its requests completes with status
    /// Timeout, value 0, in order.
    #[test]
    fn timeout_after_max_retries() {
        let requests = (0..7)
            .map(|i| Request {
                queue: i % 2,
                tag: 100 + i as u16,
                count: 1 + i as u32,
                release: 0,
            })
            .collect();
        let t = run(Scenario {
            requests,
            timeout: 40,
            max_retries: 2,
            primary: FakePrimary {
                silent: true,
                ..FakePrimary::default()
            },
            ..Scenario::default()
        });
        check_reqs(&t);
        check_order_and_exactly_once(&t);
        let mut sends: BTreeMap<u16, Vec<(u64, u32)>> = BTreeMap::new();
        for (cycle, f) in &t.reqs {
            sends.entry(f.tag).or_default().push((*cycle, f.count));
        }
        for (tag, s) in &sends {
            assert_eq!(s.len(), 3, "tag {tag:#x}: 1 + max_retries sends");
            assert!(s.iter().all(|x| x.1 == s[0].1), "tag {tag:#x}: same count");
            assert!(
                s.windows(2).all(|w| w[1].0 >= w[0].0 + 40),
                "tag {tag:#x}: {s:?}"
            );
        }
        let batches = sends.len();
        assert!(
            batches < 7,
            "the requests that waited for a slot were coalesced"
        );
        for (_, c) in &t.completions {
            assert_eq!(
                (c.status, c.value, c.epoch),
                (Status::Timeout as u8, 0, EPOCH)
            );
        }
        let s = t.stats;
        assert_eq!(s.timeouts, 7);
        assert_eq!((s.req_tx, s.retries), (3 * batches, 2 * batches));
    }

    fn answer(kind: FrameType, tag: u16, count: u32) -> Frame {
        let mut f = Frame::new(kind, SECONDARY, NODE);
        f.origin = NODE;
        f.epoch = EPOCH;
        f.tag = tag;
        f.count = count;
        f.value = 0xDEAD_0000;
        if kind == FrameType::Nack {
            f.reason = NackReason::Busy as u8;
        }
        f
    }

    /// Answers that must not be delivered: another epoch (drop_epoch), a wrong count,
    /// origin or destination, an old generation of the tag (a late answer for a slot in
    /// re-use, and for a slot already free), a NACK without a reason (all drop_dup_rsp),
    /// and a frame that is no answer (ignored). Every answer is also duplicated.
    #[test]
    fn foreign_duplicate_and_late_answers_are_dropped() {
        let count = |i: usize| 10 + i as u32;
        // Request 0 takes slot 0 (tag 0x0000); requests 1..=4, released later, take slots
        // 1, 2, 3 and 0 again (tag 0x0004).
        let mut requests = vec![Request {
            queue: 0,
            tag: 0,
            count: count(0),
            release: 0,
        }];
        for i in 1..=4 {
            requests.push(Request {
                queue: i % QUEUES,
                tag: i as u16,
                count: count(i),
                release: 100 + 3 * i as u64,
            });
        }
        let mut inject = vec![];
        let mut wrong = |at: u64, f: Frame| inject.push((at, f));
        let mut f = answer(FrameType::Rsp, 0, count(0));
        f.epoch = EPOCH + 1;
        wrong(10, f);
        let mut f = answer(FrameType::Nack, 0, count(0));
        f.epoch = EPOCH - 1;
        wrong(11, f);
        wrong(12, answer(FrameType::Rsp, 0, count(0) + 1));
        let mut f = answer(FrameType::Rsp, 0, count(0));
        f.origin = NODE + 1;
        wrong(13, f);
        let mut f = answer(FrameType::Rsp, 0, count(0));
        f.dst = NODE + 1;
        wrong(14, f);
        let mut f = answer(FrameType::Nack, 0, count(0));
        f.reason = 0;
        wrong(15, f);
        wrong(16, answer(FrameType::Rsp, 0x0100, count(0)));
        wrong(17, answer(FrameType::Heartbeat, 0, count(0)));
        // Slot 0 in re-use (tag 0x0004, request 4's count): the old tag does not match.
        wrong(120, answer(FrameType::Rsp, 0x0000, count(4)));
        // Slot 1 free again after request 1 completed.
        wrong(400, answer(FrameType::Rsp, 0x0001, count(1)));
        let t = run(Scenario {
            requests,
            inject,
            primary: FakePrimary {
                latency: (30, 30),
                p_dup: 1.0,
                ..FakePrimary::default()
            },
            settle: 200,
            ..Scenario::default()
        });
        check_reqs(&t);
        check_order_and_exactly_once(&t);
        let _ = check_ranges(&t);
        assert_eq!(t.reqs.len(), 5);
        assert_eq!(
            t.reqs[4].1.tag, 0x0004,
            "slot 0 re-used with the next generation"
        );
        for (_, c) in &t.completions {
            assert_eq!(c.status, 0);
            assert!(
                c.value < 0xDEAD_0000 || c.value > 0xDEAD_0000 + 100,
                "{c:?}"
            );
        }
        let s = t.stats;
        assert_eq!((s.rsp_rx, s.nack_rx, s.drop_epoch), (5, 0, 2));
        // 5 duplicates, 5 wrong count/origin/dst/reason/generation, 2 late.
        assert_eq!(s.drop_dup_rsp, 12);
        assert_eq!((s.retries, s.timeouts), (0, 0));
    }

    /// A NACK completes every request of its batch with the NACK's reason and value 0,
    /// in order; the stale-epoch NACK that echoes the REQ's epoch is accepted too.
    #[test]
    fn nack_completes_every_request_of_its_batch() {
        for reason in [NackReason::LimitReached, NackReason::StaleEpoch] {
            let requests = (0..12)
                .map(|i| Request {
                    queue: i % QUEUES,
                    tag: 500 + i as u16,
                    count: 1000,
                    release: 0,
                })
                .collect();
            let t = run(Scenario {
                requests,
                primary: FakePrimary {
                    latency: (40, 40),
                    p_nack: 1.0,
                    nack_reason: reason as u8,
                    ..FakePrimary::default()
                },
                p_cpl_ready: 0.5,
                ..Scenario::default()
            });
            check_reqs(&t);
            check_order_and_exactly_once(&t);
            check_answer_stats(&t);
            assert!(t.reqs.len() < 12, "some requests shared a batch");
            for (_, c) in &t.completions {
                assert_eq!((c.status, c.value, c.epoch), (reason as u8, 0, EPOCH));
            }
            assert_eq!(t.stats.nack_rx, t.reqs.len());
        }
    }

    /// Disabled or unconfigured: every request completes with NotConfigured, in order,
    /// and no frame is sent.
    #[test]
    fn not_configured_completes_without_frames() {
        for (enabled, configured) in [(false, true), (true, false), (false, false)] {
            let mut rng = StdRng::seed_from_u64(enabled as u64 + 2 * configured as u64);
            let requests = random_requests(&mut rng, 60, 2);
            let t = run(Scenario {
                enabled,
                configured,
                requests,
                p_cpl_ready: 0.6,
                ..Scenario::default()
            });
            check_order_and_exactly_once(&t);
            assert_eq!(t.accepted.len(), 60);
            assert!(t.reqs.is_empty());
            for (_, c) in &t.completions {
                let status = Status::NotConfigured as u8;
                assert_eq!((c.status, c.value, c.epoch), (status, 0, EPOCH));
            }
            assert_eq!(t.stats, Stats::default());
        }
    }

    /// A soft reset drops every request taken before it (no completion, ever) and every
    /// answer to them (drop_dup_rsp); requests taken after it complete normally.
    #[test]
    fn soft_reset_drops_everything_in_flight() {
        let mut rng = StdRng::seed_from_u64(31);
        let mut requests = random_requests(&mut rng, 80, 0);
        for (i, r) in requests.iter_mut().enumerate() {
            r.release = if i < 40 { 0 } else { 60 };
        }
        let t = run(Scenario {
            requests,
            soft_reset_at: Some(50),
            primary: FakePrimary {
                latency: (100, 100),
                ..FakePrimary::default()
            },
            max_cycles: 3000,
            settle: 200,
            ..Scenario::default()
        });
        check_reqs(&t);
        let before = t.accepted.iter().filter(|a| a.0 < 50).count();
        assert!(before > 0 && t.accepted.iter().all(|a| a.0 != 50));
        let after: Vec<(usize, u16, u32)> = t
            .accepted
            .iter()
            .filter(|a| a.0 > 50)
            .map(|&(_, q, tag, c)| (q, tag, c))
            .collect();
        let done: Vec<(usize, u16, u32)> = t
            .completions
            .iter()
            .map(|(_, c)| (c.queue, c.tag, c.count))
            .collect();
        assert_eq!(
            done, after,
            "only requests taken after the reset complete, in order"
        );
        assert!(t.completions.iter().all(|(_, c)| c.status == 0));
        let _ = check_ranges(&t);
        let old = t.reqs.iter().filter(|r| r.0 <= 50).count();
        assert!(old > 0);
        assert_eq!(
            t.stats.drop_dup_rsp, old,
            "every answer to a REQ sent before the reset"
        );
        assert_eq!(t.stats.rsp_rx, t.reqs.len() - old);
    }

    #[test]
    fn generates_lint_clean_verilog() {
        let mut uut = Originator::new();
        uut.connect_all();
        crate::lint::assert_lint_clean(&generate_verilog(&uut));
    }
}
