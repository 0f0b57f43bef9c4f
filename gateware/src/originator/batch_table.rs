//! The batch slots: one REQ frame in flight each, with its tag, timer, retries and answer.

use crate::frame::type_code;
use rust_hdl::prelude::*;
use seqfab_contract::frame::FrameType;
use seqfab_contract::limits::BATCH_SLOTS;
use seqfab_contract::ring::Status;

/// Bits of a slot number: the low bits of a batch's tag.
pub const SLOT_BITS: usize = 2;
/// Bits of a batch's request count (`1..=MAX_REQUESTS_PER_FRAME`).
pub const BATCH_N_BITS: usize = 5;
const _: () = assert!(BATCH_SLOTS == 1 << SLOT_BITS);
const _: () = assert!(seqfab_contract::limits::MAX_REQUESTS_PER_FRAME < 1 << BATCH_N_BITS);

/// Life of a batch slot (the codes of `BatchTable`'s 2-bit state registers). Slots are
/// taken and freed in a ring (`head` .. `head + used`), because batches complete in the
/// order they were opened.
///
/// A plain code rather than a `LogicState` enum: rust-hdl declares an enum's `localparam`s
/// in every module holding a register of it, and Verilator reports the unused ones.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum SlotState {
    /// Not in use.
    Free = 0,
    /// REQ sent (or waiting in the REQ output register); the timer runs once it has left.
    Waiting = 1,
    /// The timer ran out with retries left: the REQ must be sent again.
    Resend = 2,
    /// Answered (RSP or NACK) or given up (Timeout, NotConfigured): the splitter may
    /// complete its requests.
    Done = 3,
}

impl SlotState {
    fn code(self) -> Constant<Bits<2>> {
        Constant::new((self as u64).into())
    }
}

/// The batch slots of docs/gateware.md decisions 4 and 5.
///
/// A batch's tag is `{generation[15:2], slot[1:0]}`. The generation moves on every time
/// the slot is freed (and on soft reset), so an answer meant for an earlier use of the
/// slot, or a second answer for this use, does not match and is dropped: a re-sent REQ
/// may be issued a second range, but only the first range that arrives is delivered
/// (a gap, never a duplicate; DESIGN.md 2 and 3). With 14 generation bits an answer
/// would have to arrive 16384 uses of its slot late to be mistaken.
///
/// An answer (RSP or NACK) is accepted only if its epoch is the card's (I4, else
/// `drop_epoch`), its `dst` and `origin` are this card, its tag is outstanding (slot
/// `Waiting` or `Resend` with the same generation) and, for an RSP, its count is the
/// batch's total: splitting a shorter range would hand out numbers the primary never
/// issued. A NACK must carry a reason (non-zero), or it would complete requests as Ok.
/// Anything else is `drop_dup_rsp`. So every RSP/NACK that arrives is counted exactly
/// once, in `rsp_rx`, `nack_rx`, `drop_epoch` or `drop_dup_rsp`. Other frame kinds are
/// ignored.
///
/// The check takes two clocks: stage A registers the compares against the frame (tag and
/// count against every slot, epoch, addresses), stage B applies them to the slot's state
/// of its own clock. A slot freed at the edge between them is marked (`a_freed`), because
/// its generation moved on and stage A compared against the old one. The epoch is the
/// one of stage A's clock: an answer accepted in the clock a CONFIG lands is accepted as
/// it would have been one clock earlier (it carries its own epoch into the completion).
///
/// A REQ's timer starts when it leaves the REQ output register (`hold`), and counts
/// only while the slot is `Waiting`.
///
/// Every output is a function of registers (and `active`), never of the other inputs:
/// the parent's logic that decides `open` and `resend_take` reads them, and Verilator
/// would see a combinational loop through this block's `always` otherwise.
///
/// Latency: an answer is visible at `head_*` the clock after it arrives.
#[derive(LogicBlock)]
pub struct BatchTable {
    /// Card clock.
    pub clock: Signal<In, Clock>,
    /// Free every slot, moving every generation on (CONTROL.SOFT_RESET).
    pub soft_reset: Signal<In, bool>,
    /// CONTROL.ENABLE and a configuration (epoch != 0): REQ frames may be sent.
    pub active: Signal<In, bool>,
    /// The card's epoch: REQ frames carry it, answers must carry it.
    pub epoch: Signal<In, Bits<32>>,
    /// This card's node id: answers must name it as `dst` and `origin`.
    pub node_id: Signal<In, Bits<8>>,
    /// Cycles to wait for an answer after a REQ has left (REQUEST_TIMEOUT).
    pub request_timeout: Signal<In, Bits<32>>,
    /// Re-sends before a batch completes with Timeout (MAX_RETRIES).
    pub max_retries: Signal<In, Bits<8>>,
    /// A slot is free for a new batch.
    pub can_open: Signal<Out, bool>,
    /// Take the next free slot for a batch of `open_n` requests asking for `open_total`
    /// numbers. While `active` the slot waits for an answer; otherwise it is done at once
    /// with status NotConfigured. Only while `can_open`.
    pub open: Signal<In, bool>,
    /// Requests in the new batch.
    pub open_n: Signal<In, Bits<BATCH_N_BITS>>,
    /// Numbers the new batch asks for (its REQ's count).
    pub open_total: Signal<In, Bits<32>>,
    /// Tag of the next free slot: the new batch's REQ carries it.
    pub open_tag: Signal<Out, Bits<16>>,
    /// A slot's REQ must be sent again (only while `active`).
    pub resend_valid: Signal<Out, bool>,
    /// Tag of the REQ to send again.
    pub resend_tag: Signal<Out, Bits<16>>,
    /// Count of the REQ to send again.
    pub resend_count: Signal<Out, Bits<32>>,
    /// The REQ to send again has been taken this clock.
    pub resend_take: Signal<In, bool>,
    /// The REQ output register holds a REQ of slot `hold_slot` not yet accepted
    /// downstream: its timer restarts every clock, so it runs from when the REQ left.
    pub hold: Signal<In, bool>,
    /// Slot of the REQ in the output register.
    pub hold_slot: Signal<In, Bits<SLOT_BITS>>,
    /// A frame for this card's originator is present (always taken).
    pub rsp_valid: Signal<In, bool>,
    /// Its `FrameType` code (RSP and NACK are answers; others are ignored).
    pub rsp_kind: Signal<In, Bits<8>>,
    /// Its NACK reason.
    pub rsp_reason: Signal<In, Bits<8>>,
    /// Its destination node.
    pub rsp_dst: Signal<In, Bits<8>>,
    /// Its origin node.
    pub rsp_origin: Signal<In, Bits<8>>,
    /// Its epoch.
    pub rsp_epoch: Signal<In, Bits<32>>,
    /// Its tag.
    pub rsp_tag: Signal<In, Bits<16>>,
    /// Its count.
    pub rsp_count: Signal<In, Bits<32>>,
    /// Its value (first number of the range).
    pub rsp_value: Signal<In, Bits<64>>,
    /// The oldest batch is done: the splitter may complete its requests.
    pub head_done: Signal<Out, bool>,
    /// Requests in the oldest batch.
    pub head_n: Signal<Out, Bits<BATCH_N_BITS>>,
    /// First number of the oldest batch's range (0 unless its status is Ok).
    pub head_value: Signal<Out, Bits<64>>,
    /// Epoch of the oldest batch's answer (of its last REQ if there was none).
    pub head_epoch: Signal<Out, Bits<32>>,
    /// Status of the oldest batch (`seqfab_contract::ring::Status`).
    pub head_status: Signal<Out, Bits<8>>,
    /// The splitter has completed the oldest batch's last request: free its slot.
    pub head_free: Signal<In, bool>,
    /// Pulse: an RSP was accepted (STAT_RSP_RX).
    pub rsp_rx: Signal<Out, bool>,
    /// Pulse: a NACK was accepted (STAT_NACK_RX).
    pub nack_rx: Signal<Out, bool>,
    /// Pulse: an RSP/NACK was dropped, its tag not outstanding (STAT_DROP_DUP_RSP).
    pub drop_dup_rsp: Signal<Out, bool>,
    /// Pulse: an RSP/NACK was dropped for another epoch (STAT_DROP_EPOCH, I4).
    pub drop_epoch: Signal<Out, bool>,
    /// Pulse: a REQ was re-sent (STAT_RETRIES).
    pub retries: Signal<Out, bool>,

    /// [`SlotState`] codes.
    state: [DFF<Bits<2>>; BATCH_SLOTS],
    /// `{generation, 2'b00}`: the slot's tag without its slot number.
    generation: [DFF<Bits<16>>; BATCH_SLOTS],
    n: [DFF<Bits<BATCH_N_BITS>>; BATCH_SLOTS],
    total: [DFF<Bits<32>>; BATCH_SLOTS],
    value: [DFF<Bits<64>>; BATCH_SLOTS],
    batch_epoch: [DFF<Bits<32>>; BATCH_SLOTS],
    status: [DFF<Bits<8>>; BATCH_SLOTS],
    /// Cycles left before the REQ is considered lost.
    timer: [DFF<Bits<32>>; BATCH_SLOTS],
    /// Re-sends so far.
    tries: [DFF<Bits<8>>; BATCH_SLOTS],
    /// Oldest slot in use.
    head: DFF<Bits<SLOT_BITS>>,
    /// Slots in use (0..=BATCH_SLOTS).
    used: DFF<Bits<3>>,
    rsp_rx_pulse: DFF<bool>,
    nack_rx_pulse: DFF<bool>,
    drop_dup_pulse: DFF<bool>,
    drop_epoch_pulse: DFF<bool>,
    retry_pulse: DFF<bool>,

    /// The next free slot, for `open_tag`.
    tail: Signal<Local, Bits<SLOT_BITS>>,
    /// The same, for the updates (kept apart from the outputs' logic, see above).
    open_slot: Signal<Local, Bits<SLOT_BITS>>,
    /// The slot `resend_*` shows, for the updates.
    resend_slot: Signal<Local, Bits<SLOT_BITS>>,
    /// Answer stage A: what can be decided from the frame and the slots' tags and totals,
    /// registered, so that stage B (the slot updates) starts from flip-flops. Comparing
    /// a 16-bit tag, a 32-bit count and a 32-bit epoch, selecting the slot and then
    /// steering every slot register in one clock was the card's deepest path.
    a_answer: DFF<bool>,
    a_nack: DFF<bool>,
    a_epoch_ok: DFF<bool>,
    /// `dst` and `origin` are this card; a NACK carries a reason.
    a_addr_ok: DFF<bool>,
    a_reason_ok: DFF<bool>,
    a_slot: DFF<Bits<SLOT_BITS>>,
    /// Per slot: the tag is that slot's current tag / the count is its total.
    a_tag_ok: [DFF<bool>; BATCH_SLOTS],
    a_count_ok: [DFF<bool>; BATCH_SLOTS],
    /// Per slot: it was freed (new generation) at the edge that loaded stage A, so stage
    /// A's tag compare is stale: the answer was for the old generation.
    a_freed: [DFF<bool>; BATCH_SLOTS],
    a_epoch: DFF<Bits<32>>,
    a_reason: DFF<Bits<8>>,
    a_value: DFF<Bits<64>>,
    rsp_slot: Signal<Local, Bits<SLOT_BITS>>,
    is_answer: Signal<Local, bool>,
    is_nack: Signal<Local, bool>,
    epoch_ok: Signal<Local, bool>,
    /// The answer names an outstanding batch (ignoring its epoch).
    outstanding: Signal<Local, bool>,
    accept: Signal<Local, bool>,

    slot_id: [Constant<Bits<SLOT_BITS>>; BATCH_SLOTS],
    slot_tag: [Constant<Bits<16>>; BATCH_SLOTS],
    state_free: Constant<Bits<2>>,
    state_waiting: Constant<Bits<2>>,
    state_resend: Constant<Bits<2>>,
    state_done: Constant<Bits<2>>,
    generation_step: Constant<Bits<16>>,
    slots: Constant<Bits<3>>,
    one_slot: Constant<Bits<SLOT_BITS>>,
    zero_slot: Constant<Bits<SLOT_BITS>>,
    one_used: Constant<Bits<3>>,
    zero_used: Constant<Bits<3>>,
    one_retry: Constant<Bits<8>>,
    zero_retries: Constant<Bits<8>>,
    one_cycle: Constant<Bits<32>>,
    zero_cycles: Constant<Bits<32>>,
    zero_value: Constant<Bits<64>>,
    zero_reason: Constant<Bits<8>>,
    status_ok: Constant<Bits<8>>,
    status_timeout: Constant<Bits<8>>,
    status_not_configured: Constant<Bits<8>>,
    kind_rsp: Constant<Bits<8>>,
    kind_nack: Constant<Bits<8>>,
}

impl BatchTable {
    pub fn new() -> Self {
        let c8 = |v: u64| Constant::new(v.into());
        Self {
            clock: Default::default(),
            soft_reset: Default::default(),
            active: Default::default(),
            epoch: Default::default(),
            node_id: Default::default(),
            request_timeout: Default::default(),
            max_retries: Default::default(),
            can_open: Default::default(),
            open: Default::default(),
            open_n: Default::default(),
            open_total: Default::default(),
            open_tag: Default::default(),
            resend_valid: Default::default(),
            resend_tag: Default::default(),
            resend_count: Default::default(),
            resend_take: Default::default(),
            hold: Default::default(),
            hold_slot: Default::default(),
            rsp_valid: Default::default(),
            rsp_kind: Default::default(),
            rsp_reason: Default::default(),
            rsp_dst: Default::default(),
            rsp_origin: Default::default(),
            rsp_epoch: Default::default(),
            rsp_tag: Default::default(),
            rsp_count: Default::default(),
            rsp_value: Default::default(),
            head_done: Default::default(),
            head_n: Default::default(),
            head_value: Default::default(),
            head_epoch: Default::default(),
            head_status: Default::default(),
            head_free: Default::default(),
            rsp_rx: Default::default(),
            nack_rx: Default::default(),
            drop_dup_rsp: Default::default(),
            drop_epoch: Default::default(),
            retries: Default::default(),
            state: Default::default(),
            generation: Default::default(),
            n: Default::default(),
            total: Default::default(),
            value: Default::default(),
            batch_epoch: Default::default(),
            status: Default::default(),
            timer: Default::default(),
            tries: Default::default(),
            head: Default::default(),
            used: Default::default(),
            rsp_rx_pulse: Default::default(),
            nack_rx_pulse: Default::default(),
            drop_dup_pulse: Default::default(),
            drop_epoch_pulse: Default::default(),
            retry_pulse: Default::default(),
            tail: Default::default(),
            open_slot: Default::default(),
            resend_slot: Default::default(),
            a_answer: Default::default(),
            a_nack: Default::default(),
            a_epoch_ok: Default::default(),
            a_addr_ok: Default::default(),
            a_reason_ok: Default::default(),
            a_slot: Default::default(),
            a_tag_ok: Default::default(),
            a_count_ok: Default::default(),
            a_freed: Default::default(),
            a_epoch: Default::default(),
            a_reason: Default::default(),
            a_value: Default::default(),
            rsp_slot: Default::default(),
            is_answer: Default::default(),
            is_nack: Default::default(),
            epoch_ok: Default::default(),
            outstanding: Default::default(),
            accept: Default::default(),
            slot_id: std::array::from_fn(|s| Constant::new((s as u64).into())),
            slot_tag: std::array::from_fn(|s| Constant::new((s as u64).into())),
            state_free: SlotState::Free.code(),
            state_waiting: SlotState::Waiting.code(),
            state_resend: SlotState::Resend.code(),
            state_done: SlotState::Done.code(),
            generation_step: Constant::new((1u64 << SLOT_BITS).into()),
            slots: Constant::new((BATCH_SLOTS as u64).into()),
            one_slot: Constant::new(1u64.into()),
            zero_slot: Constant::new(0u64.into()),
            one_used: Constant::new(1u64.into()),
            zero_used: Constant::new(0u64.into()),
            one_retry: c8(1),
            zero_retries: c8(0),
            one_cycle: Constant::new(1u64.into()),
            zero_cycles: Constant::new(0u64.into()),
            zero_value: Constant::new(0u64.into()),
            zero_reason: c8(0),
            status_ok: c8(Status::Ok as u64),
            status_timeout: c8(Status::Timeout as u64),
            status_not_configured: c8(Status::NotConfigured as u64),
            kind_rsp: type_code(FrameType::Rsp),
            kind_nack: type_code(FrameType::Nack),
        }
    }
}

impl Default for BatchTable {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for BatchTable {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            head,
            used,
            rsp_rx_pulse,
            nack_rx_pulse,
            drop_dup_pulse,
            drop_epoch_pulse,
            retry_pulse,
            a_answer,
            a_nack,
            a_epoch_ok,
            a_addr_ok,
            a_reason_ok,
            a_slot,
            a_epoch,
            a_reason,
            a_value
        );
        for s in 0..BATCH_SLOTS {
            self.a_tag_ok[s].clock.next = self.clock.val();
            self.a_count_ok[s].clock.next = self.clock.val();
            self.a_freed[s].clock.next = self.clock.val();
            self.state[s].clock.next = self.clock.val();
            self.state[s].d.next = self.state[s].q.val();
            self.generation[s].clock.next = self.clock.val();
            self.generation[s].d.next = self.generation[s].q.val();
            self.n[s].clock.next = self.clock.val();
            self.n[s].d.next = self.n[s].q.val();
            self.total[s].clock.next = self.clock.val();
            self.total[s].d.next = self.total[s].q.val();
            self.value[s].clock.next = self.clock.val();
            self.value[s].d.next = self.value[s].q.val();
            self.batch_epoch[s].clock.next = self.clock.val();
            self.batch_epoch[s].d.next = self.batch_epoch[s].q.val();
            self.status[s].clock.next = self.clock.val();
            self.status[s].d.next = self.status[s].q.val();
            self.timer[s].clock.next = self.clock.val();
            self.timer[s].d.next = self.timer[s].q.val();
            self.tries[s].clock.next = self.clock.val();
            self.tries[s].d.next = self.tries[s].q.val();
        }

        // ---- Outputs: from registers (and `active`) only. ----
        // The next free slot follows the youngest one in use.
        self.tail.next = self.head.q.val() + self.used.q.val().get_bits::<SLOT_BITS>(0);
        self.can_open.next = self.used.q.val() != self.slots.val();
        self.open_tag.next = self.generation[0].q.val() | self.slot_tag[0].val();
        for s in 0..BATCH_SLOTS {
            if self.tail.val().index() == s {
                self.open_tag.next = self.generation[s].q.val() | self.slot_tag[s].val();
            }
        }
        // The oldest batch, for the splitter.
        self.head_done.next = false;
        self.head_n.next = self.n[0].q.val();
        self.head_value.next = self.value[0].q.val();
        self.head_epoch.next = self.batch_epoch[0].q.val();
        self.head_status.next = self.status[0].q.val();
        for s in 0..BATCH_SLOTS {
            if self.head.q.val().index() == s {
                self.head_done.next = self.state[s].q.val() == self.state_done.val();
                self.head_n.next = self.n[s].q.val();
                self.head_value.next = self.value[s].q.val();
                self.head_epoch.next = self.batch_epoch[s].q.val();
                self.head_status.next = self.status[s].q.val();
            }
        }
        // A REQ to send again: the highest-numbered slot waiting for it (each is taken
        // once and then waits a whole timeout, so none waits long).
        self.resend_valid.next = false;
        self.resend_tag.next = self.generation[0].q.val() | self.slot_tag[0].val();
        self.resend_count.next = self.total[0].q.val();
        for s in 0..BATCH_SLOTS {
            if self.state[s].q.val() == self.state_resend.val() {
                self.resend_valid.next = self.active.val();
                self.resend_tag.next = self.generation[s].q.val() | self.slot_tag[s].val();
                self.resend_count.next = self.total[s].q.val();
            }
        }
        self.rsp_rx.next = self.rsp_rx_pulse.q.val();
        self.nack_rx.next = self.nack_rx_pulse.q.val();
        self.drop_dup_rsp.next = self.drop_dup_pulse.q.val();
        self.drop_epoch.next = self.drop_epoch_pulse.q.val();
        self.retries.next = self.retry_pulse.q.val();

        // ---- Updates. ----
        self.open_slot.next = self.head.q.val() + self.used.q.val().get_bits::<SLOT_BITS>(0);
        self.resend_slot.next = self.zero_slot.val();
        for s in 0..BATCH_SLOTS {
            if self.state[s].q.val() == self.state_resend.val() {
                self.resend_slot.next = self.slot_id[s].val();
            }
        }

        // Answers, stage A: from the frame, the tags and the totals only.
        self.a_answer.d.next = self.rsp_valid.val()
            && ((self.rsp_kind.val() == self.kind_rsp.val())
                || (self.rsp_kind.val() == self.kind_nack.val()));
        self.a_nack.d.next = self.rsp_kind.val() == self.kind_nack.val();
        self.a_epoch_ok.d.next = self.rsp_epoch.val() == self.epoch.val();
        self.a_addr_ok.d.next = (self.rsp_origin.val() == self.node_id.val())
            && (self.rsp_dst.val() == self.node_id.val());
        self.a_reason_ok.d.next = self.rsp_reason.val() != self.zero_reason.val();
        self.a_slot.d.next = self.rsp_tag.val().get_bits::<SLOT_BITS>(0);
        self.a_epoch.d.next = self.rsp_epoch.val();
        self.a_reason.d.next = self.rsp_reason.val();
        self.a_value.d.next = self.rsp_value.val();
        for s in 0..BATCH_SLOTS {
            self.a_tag_ok[s].d.next =
                self.rsp_tag.val() == (self.generation[s].q.val() | self.slot_tag[s].val());
            self.a_count_ok[s].d.next = self.rsp_count.val() == self.total[s].q.val();
            self.a_freed[s].d.next =
                (self.head_free.val() && (self.head.q.val().index() == s)) || self.soft_reset.val();
        }

        // Stage B: the slot's state now, and stage A's verdicts.
        self.rsp_slot.next = self.a_slot.q.val();
        self.is_nack.next = self.a_nack.q.val();
        self.is_answer.next = self.a_answer.q.val();
        self.epoch_ok.next = self.a_epoch_ok.q.val();
        self.outstanding.next = false;
        for s in 0..BATCH_SLOTS {
            if self.rsp_slot.val().index() == s {
                self.outstanding.next = ((self.state[s].q.val() == self.state_waiting.val())
                    || (self.state[s].q.val() == self.state_resend.val()))
                    && self.a_tag_ok[s].q.val()
                    && !self.a_freed[s].q.val()
                    && ((self.is_nack.val() && self.a_reason_ok.q.val())
                        || (!self.is_nack.val() && self.a_count_ok[s].q.val()));
            }
        }
        if !self.a_addr_ok.q.val() {
            self.outstanding.next = false;
        }
        self.accept.next = self.is_answer.val()
            && self.epoch_ok.val()
            && self.outstanding.val()
            && !self.soft_reset.val();
        self.drop_epoch_pulse.d.next = self.is_answer.val() && !self.epoch_ok.val();
        self.drop_dup_pulse.d.next =
            self.is_answer.val() && self.epoch_ok.val() && !self.outstanding.val();
        self.rsp_rx_pulse.d.next = self.accept.val() && !self.is_nack.val();
        self.nack_rx_pulse.d.next = self.accept.val() && self.is_nack.val();
        self.retry_pulse.d.next = self.resend_take.val() && !self.soft_reset.val();

        // The slot ring.
        if self.open.val() && !self.head_free.val() {
            self.used.d.next = self.used.q.val() + self.one_used.val();
        }
        if self.head_free.val() && !self.open.val() {
            self.used.d.next = self.used.q.val() - self.one_used.val();
        }
        if self.head_free.val() {
            self.head.d.next = self.head.q.val() + self.one_slot.val();
        }
        if self.soft_reset.val() {
            self.head.d.next = self.zero_slot.val();
            self.used.d.next = self.zero_used.val();
        }

        // Per slot; a later rule overrides an earlier one in the same clock.
        for s in 0..BATCH_SLOTS {
            // Timer: restarts while the REQ sits in the output register, then counts down.
            if self.state[s].q.val() == self.state_waiting.val() {
                if self.hold.val() && (self.hold_slot.val().index() == s) {
                    self.timer[s].d.next = self.request_timeout.val();
                } else if self.timer[s].q.val() == self.zero_cycles.val() {
                    if (self.tries[s].q.val() >= self.max_retries.val()) || !self.active.val() {
                        self.state[s].d.next = self.state_done.val();
                        self.status[s].d.next = self.status_timeout.val();
                        self.value[s].d.next = self.zero_value.val();
                    } else {
                        self.state[s].d.next = self.state_resend.val();
                    }
                } else {
                    self.timer[s].d.next = self.timer[s].q.val() - self.one_cycle.val();
                }
            }
            // No REQ leaves while the card is inactive: a pending re-send gives up.
            if (self.state[s].q.val() == self.state_resend.val()) && !self.active.val() {
                self.state[s].d.next = self.state_done.val();
                self.status[s].d.next = self.status_timeout.val();
                self.value[s].d.next = self.zero_value.val();
            }
            if self.resend_take.val() && (self.resend_slot.val().index() == s) {
                self.state[s].d.next = self.state_waiting.val();
                self.timer[s].d.next = self.request_timeout.val();
                self.tries[s].d.next = self.tries[s].q.val() + self.one_retry.val();
                self.batch_epoch[s].d.next = self.epoch.val();
            }
            if self.open.val() && (self.open_slot.val().index() == s) {
                self.n[s].d.next = self.open_n.val();
                self.total[s].d.next = self.open_total.val();
                self.batch_epoch[s].d.next = self.epoch.val();
                self.timer[s].d.next = self.request_timeout.val();
                self.tries[s].d.next = self.zero_retries.val();
                self.value[s].d.next = self.zero_value.val();
                if self.active.val() {
                    self.state[s].d.next = self.state_waiting.val();
                    self.status[s].d.next = self.status_ok.val();
                } else {
                    self.state[s].d.next = self.state_done.val();
                    self.status[s].d.next = self.status_not_configured.val();
                }
            }
            if self.accept.val() && (self.rsp_slot.val().index() == s) {
                self.state[s].d.next = self.state_done.val();
                self.batch_epoch[s].d.next = self.a_epoch.q.val();
                if self.is_nack.val() {
                    self.status[s].d.next = self.a_reason.q.val();
                    self.value[s].d.next = self.zero_value.val();
                } else {
                    self.status[s].d.next = self.status_ok.val();
                    self.value[s].d.next = self.a_value.q.val();
                }
            }
            if self.head_free.val() && (self.head.q.val().index() == s) {
                self.state[s].d.next = self.state_free.val();
                self.generation[s].d.next = self.generation[s].q.val() + self.generation_step.val();
            }
            if self.soft_reset.val() {
                self.state[s].d.next = self.state_free.val();
                self.generation[s].d.next = self.generation[s].q.val() + self.generation_step.val();
            }
        }
    }
}

#[cfg(test)]
mod tests;
