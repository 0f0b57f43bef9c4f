//! The generator logic of one card: roles, epoch, counter, limit and stored value.
//!
//! Every card runs one engine; what it does with a frame depends on the roles the
//! management process gave it (DESIGN.md 1): as the *primary* it answers REQ with FWD
//! (issuing `[counter, counter+count)`), as the *secondary* it stores FWD's range and
//! answers with RSP, and on any card it applies CONFIG and answers STATE_QUERY. The card
//! core's dispatcher feeds it REQ, FWD, CONFIG and STATE_QUERY (including the FWDs the card
//! sends itself when it is primary and secondary at once); anything else is dropped and
//! counted.
//!
//! # Pipeline
//!
//! ```text
//!  in_frame ─> [in_skid] ─> [R + flags] ─> P ─> [direct] ─┐ (RSPs first)
//!   +end, kind              ^ epoch, roles,   │            ├─> [out_skid] ─> out_frame
//!                             limit           └─> [rsp_gate]┘
//!                                                   ^ mirrored_stored, mirror_on
//! ```
//!
//! - `in_skid` ([`SkidBuffer`]) registers the input and its ready; on the way in it
//!   precomputes what needs no state: `end = value + count` (the FWD's stored value) and
//!   a one-hot decode of the kind, so that P holds no adder in series with a compare
//!   except the counter's own.
//! - **R** holds the frame P works on, with *flags* computed as it enters from the state
//!   that changes only by CONFIG: epoch equal / greater, the roles (`src == primary_id`,
//!   `node_id == primary_id / secondary_id`), the CONFIG limit-raise test (`aux > limit`,
//!   64 bits), and from these the kind's verdict (REQ passes the role tests, FWD is
//!   stored / NACKed / dropped, which statistic a drop counts, the static NACK reason).
//!   This takes the wide compares and most of the decision logic off P's paths.
//!   `enabled` is sampled here too: a frame already in R when CONTROL.ENABLE changes is
//!   handled with the old value (a skew of a few cycles against a management write
//!   that is asynchronous to the traffic anyway). The flags cannot go stale: R is not
//!   refilled in the cycle a CONFIG leaves it, so the next frame's flags are computed
//!   after the CONFIG's edge (in the cycle P spends on the CONFIG_ACK anyway).
//! - **P** processes one frame per clock and updates the state. The counter loop is the
//!   only single-cycle 64-bit arithmetic: `counter += count` and `remaining -= count`
//!   where `remaining = limit - counter` (saturating) is kept as a register, so the limit
//!   test is a 32-bit compare (`count` is 32 bits; `remaining < 2^32` is a register) and
//!   the wrap test (`count > !counter`) only picks a NACK reason, off the counter path.
//!   A CONFIG takes P three cycles: the first applies it, the second recomputes
//!   `remaining` from the new registers and builds the CONFIG_ACK from them, the third
//!   lets `rem_hi_zero` (`remaining < 2^32`) catch up.
//! - `direct` is the register for P's answers (FWD, NACK, CONFIG_ACK, STATE_REPLY). The
//!   two answers that wait for the counter compares (FWD or NACK, and WouldWrap or
//!   LimitReached) are decided by single flip-flops beside it, which the merge applies.
//! - `rsp_gate` ([`RspGate`]) holds the RSPs of stored ranges until the state mirror
//!   covers them (I3, docs/gateware.md decision 6).
//! - `out_skid` ([`SkidBuffer`]) registers the output. The merge in front of it gives the
//!   RSP gate priority (the gate is bounded and its entries already wait for the mirror;
//!   `direct` cannot starve, because once P stalls on it no new RSPs arrive).
//!
//! # Latency (clock edges from the input handshake to `frames_out` valid, no back-pressure)
//!
//! | frame | answer | cycles |
//! |---|---|---|
//! | REQ | FWD or NACK | 4 |
//! | FWD | RSP, `mirror_on` low | 4 |
//! | FWD | RSP, `mirror_on` high | 5 + the cycles until `mirrored_stored` covers it |
//! | FWD | NACK(NotSecondary) | 4 |
//! | STATE_QUERY | STATE_REPLY | 4 |
//! | CONFIG | CONFIG_ACK | 5, after the RSP gate has drained; P is busy 3 cycles |
//!
//! Sustained rate: one frame per clock in and one answer per clock out for REQ, FWD and
//! STATE_QUERY in any mix, while `frames_out` stays ready (and for FWDs while the mirror
//! lags by less than about [`RSP_GATE_DEPTH`](super::RSP_GATE_DEPTH) cycles).
//!
//! # Decisions made here (the brief left them open)
//!
//! - **`count == 0`** is an empty range, not an error: the REQ passes the same checks
//!   (it never wraps and never reaches the limit, even when a CONFIG set the counter past
//!   the limit: the limit test is `count > max(limit - counter, 0)`), the FWD carries
//!   `[counter, counter)`, the secondary stores `max(stored, value)` and the RSP delivers
//!   nothing. No special case sits on the counter path and no number is issued by it.
//!   The originator never sends 0.
//! - **FWD while disabled** (right epoch) is dropped silently and counted in
//!   `drop_other`, like a frame the card cannot use: the originator's retry handles it.
//!   A FWD of another epoch is checked first (`drop_epoch`, silent: a zombie primary's
//!   FWD must die without an answer).
//! - **Unconfigured card**: `is_primary`/`is_secondary` also require `configured`
//!   (epoch != 0), so a card that was never configured answers REQ with NACK(NotPrimary)
//!   (epoch 0 matches) and FWD with NACK(NotSecondary), whatever its node id.
//! - **CONFIG waits for the RSP gate to drain** before it is applied, so that every RSP of
//!   an epoch leaves before the epoch changes (RSPs take the epoch from the register) and
//!   a CONFIG_ACK follows every RSP of the ranges stored before it (if the mirror never
//!   catches up, the CONFIG waits as the RSPs do). CONFIG_ACK and STATE_REPLY copy the
//!   request's `tag` and `origin` so management can match them.
//! - NACKs carry `count` and `tag` of the request, `epoch` echoes the request's epoch,
//!   `value` holds the engine's own epoch (contract frame table), `aux`/`extra` are 0.

use super::rsp_gate::{RspEntry, RspGate};
use super::status::EngineStatus;
use crate::frame::{type_code, FrameFields};
use crate::widgets::{SkidBuffer, StreamSink, StreamSource, ZeroExtend};
use rust_hdl::prelude::*;
use seqfab_contract::frame::{ConfigFlags, FrameType, NackReason, StateWord};

/// What the input register holds: the fields of the frame that the engine uses, plus
/// what can be computed from the frame alone (292 bits instead of 312 + 68).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct EngineInput {
    pub src: Bits<8>,
    pub origin: Bits<8>,
    pub epoch: Bits<32>,
    pub tag: Bits<16>,
    pub count: Bits<32>,
    pub value: Bits<64>,
    pub aux: Bits<64>,
    /// `value + count` (the FWD's end of range).
    pub end: Bits<64>,
    pub is_req: Bit,
    pub is_fwd: Bit,
    pub is_config: Bit,
    pub is_query: Bit,
}

/// The sequence engine of one card (see the module doc).
#[derive(LogicBlock)]
pub struct SequenceEngine {
    /// Card clock.
    pub clock: Signal<In, Clock>,
    /// Frames from the card core's dispatcher (REQ, FWD, CONFIG, STATE_QUERY; others are
    /// dropped and counted in `drop_other`). Their `dst`, `reason` and `extra` are
    /// ignored. `ready` is a register output.
    pub frames_in: StreamSink<FrameFields>,
    /// Answers to send (FWD, RSP, NACK, CONFIG_ACK, STATE_REPLY), `src` = `node_id`
    /// (data and valid are register outputs).
    pub frames_out: StreamSource<FrameFields>,
    /// This card's node id (`NODE_ID` register; set before `enabled`).
    pub node_id: Signal<In, Bits<8>>,
    /// `CONTROL.ENABLE`: while low, REQs get NACK(Busy) and FWDs are dropped; CONFIG and
    /// STATE_QUERY still work.
    pub enabled: Signal<In, Bit>,
    /// `stored` as written by the last state-mirror DMA write that was accepted (from the
    /// host's MirrorWriter).
    pub mirrored_stored: Signal<In, Bits<64>>,
    /// A state mirror is configured (`MIRROR_ADDR != 0`): RSPs wait until
    /// `mirrored_stored` covers them. Low: RSPs leave at once (the register is the store).
    pub mirror_on: Signal<In, Bit>,
    /// The card holds a lease of its epoch ([`crate::fabric::lease::LeaseKeeper`]): a
    /// FWD is stored only while high, else NACK(NoLease).
    pub lease_ok: Signal<In, Bit>,
    /// The lease is held and the new epoch's hold has run out: a REQ is issued only
    /// while high, else NACK(NoLease). Both are tested where P takes the frame, so a
    /// frame that waited in R does not act on a lease that ran out meanwhile.
    pub issue_ok: Signal<In, Bit>,
    /// The configuration and counters (registers).
    pub status: Signal<Out, EngineStatus>,
    /// One-cycle pulses, one per event, for the statistics counters.
    pub events: Signal<Out, EngineEvents>,

    // Blocks.
    in_skid: SkidBuffer<EngineInput>,
    rsp_gate: RspGate,
    out_skid: SkidBuffer<FrameFields>,
    /// Exact-width zero extensions (lint-clean; see [`ZeroExtend`]). Each is fed
    /// straight from a register or port, which keeps Verilator's scheduler free of
    /// false loops through the engine's combinational block.
    wide_in_count: ZeroExtend<32, 64>,
    wide_count: ZeroExtend<32, 64>,
    wide_epoch: ZeroExtend<32, 64>,
    wide_primary: ZeroExtend<8, 32>,
    wide_secondary: ZeroExtend<8, 32>,

    // Stage R: the frame P works on, and its precomputed flags.
    r_in: DFF<EngineInput>,
    r_valid: DFF<Bit>,
    /// `epoch > epoch_r` (a CONFIG of a newer epoch).
    f_epoch_gt: DFF<Bit>,
    /// Same epoch, flags exactly `SET_LIMIT`, `aux > limit_r` (a CONFIG window raise).
    f_cfg_raise: DFF<Bit>,
    /// A REQ of this epoch at its primary (the tests that do not involve the counter).
    f_req_pass: DFF<Bit>,
    /// A FWD of this epoch at its secondary, from its primary.
    f_fwd_store: DFF<Bit>,
    /// A FWD of this epoch that fails those role checks (NACK(NotSecondary)).
    f_fwd_nack: DFF<Bit>,
    /// Not a REQ that passes the enable, epoch and role tests: a NACK's reason is
    /// `f_reason`, not wrap or limit.
    f_static_nack: DFF<Bit>,
    /// That reason (Busy, StaleEpoch, NotPrimary or NotSecondary).
    f_reason: DFF<Bits<8>>,
    /// P answers this frame through `direct` (REQ, STATE_QUERY, FWD to NACK).
    f_need_direct: DFF<Bit>,
    /// Counted in `drop_epoch` / `drop_other` when P takes it.
    f_drop_epoch: DFF<Bit>,
    f_drop_other: DFF<Bit>,

    // State.
    epoch_r: DFF<Bits<32>>,
    primary_r: DFF<Bits<8>>,
    secondary_r: DFF<Bits<8>>,
    counter_r: DFF<Bits<64>>,
    limit_r: DFF<Bits<64>>,
    stored_r: DFF<Bits<64>>,
    /// `max(limit - counter, 0)`, kept beside the counter so the limit test is narrow.
    remaining_r: DFF<Bits<64>>,
    /// `remaining < 2^32`, kept as a register so the limit test is one 32-bit compare.
    rem_hi_zero: DFFWithInit<Bit>,
    /// The cycle after the CONFIG_ACK: `rem_hi_zero` catches up with the recomputed
    /// `remaining`, so P waits.
    settle: DFF<Bit>,
    configured_r: DFF<Bit>,
    quorum_r: DFF<Bits<8>>,
    new_epoch_r: DFF<Bit>,
    is_primary_r: DFF<Bit>,
    is_secondary_r: DFF<Bit>,
    /// A CONFIG was taken last cycle: recompute `remaining` and send its CONFIG_ACK.
    ack_pending: DFF<Bit>,
    /// The CONFIG_ACK's destination, tag and origin (copied from the CONFIG).
    ack_dst: DFF<Bits<8>>,
    ack_tag: DFF<Bits<16>>,
    ack_origin: DFF<Bits<8>>,
    /// The CONFIG was refused (CONFIG_ACK reason 1).
    ack_refused: DFF<Bit>,
    /// P's answer waiting for the output.
    direct: DFF<FrameFields>,
    direct_valid: DFF<Bit>,
    /// `direct` is a FWD: the merge overrides kind, reason, dst and value with the two
    /// registers below. Keeping the REQ's accept decision (which waits for the limit
    /// compare) in one flip-flop keeps it off `direct`'s 312 input multiplexers.
    direct_fwd: DFF<Bit>,
    direct_fwd_value: DFF<Bits<64>>,
    direct_fwd_dst: DFF<Bits<8>>,
    /// `direct` is a NACK whose reason depends on the counter: WouldWrap if
    /// `direct_wrap`, else LimitReached (also chosen in the merge, for the same reason).
    direct_dyn: DFF<Bit>,
    direct_wrap: DFF<Bit>,
    /// `direct` is a NACK(NoLease): a REQ or FWD that passed every other test at P
    /// while the lease (or the hold) said no. Wins over `direct_dyn` in the merge.
    direct_nolease: DFF<Bit>,
    // Statistics pulses (registered).
    req_accepted_r: DFF<Bit>,
    fwd_stored_r: DFF<Bit>,
    nack_tx_r: DFF<Bit>,
    drop_epoch_r: DFF<Bit>,
    drop_other_r: DFF<Bit>,

    // Constants.
    k_req: Constant<Bits<8>>,
    k_fwd: Constant<Bits<8>>,
    k_rsp: Constant<Bits<8>>,
    k_nack: Constant<Bits<8>>,
    k_config: Constant<Bits<8>>,
    k_config_ack: Constant<Bits<8>>,
    k_query: Constant<Bits<8>>,
    k_reply: Constant<Bits<8>>,
    r_none: Constant<Bits<8>>,
    r_refused: Constant<Bits<8>>,
    r_busy: Constant<Bits<8>>,
    r_stale: Constant<Bits<8>>,
    r_not_primary: Constant<Bits<8>>,
    r_wrap: Constant<Bits<8>>,
    r_limit: Constant<Bits<8>>,
    r_not_secondary: Constant<Bits<8>>,
    r_no_lease: Constant<Bits<8>>,
    /// CONFIG flags byte that a same-epoch CONFIG must carry exactly (`SET_LIMIT`).
    f_set_limit_only: Constant<Bits<8>>,
    /// `StateWord::ENABLED`: the enabled bit of a STATE_REPLY count.
    sw_enabled: Constant<Bits<32>>,
    zero64: Constant<Bits<64>>,
    zero32: Constant<Bits<32>>,
    one32: Constant<Bits<32>>,

    // R's combinational signals.
    r_load: Signal<Local, Bit>,
    nx_cfg_word: Signal<Local, Bits<32>>,
    nx_epoch_eq: Signal<Local, Bit>,
    nx_epoch_gt: Signal<Local, Bit>,
    nx_cfg_raise: Signal<Local, Bit>,
    nx_fwd_nack: Signal<Local, Bit>,
    nx_from_primary: Signal<Local, Bit>,
    now_primary: Signal<Local, Bit>,
    now_secondary: Signal<Local, Bit>,
    // P's combinational signals.
    head: Signal<Local, EngineInput>,
    h_req: Signal<Local, Bit>,
    h_cfg: Signal<Local, Bit>,
    h_query: Signal<Local, Bit>,
    would_wrap: Signal<Local, Bit>,
    over_limit: Signal<Local, Bit>,
    /// `count > remaining[31:0]` (also the borrow out of the low half of the subtraction).
    cmp_lo: Signal<Local, Bit>,
    /// `remaining[63:32] == 0` / `== 1`, from the register.
    hi_is_zero: Signal<Local, Bit>,
    hi_is_one: Signal<Local, Bit>,
    req_ok: Signal<Local, Bit>,
    req_reason: Signal<Local, Bits<8>>,
    /// `direct` takes a FWD (the one late select of its input multiplexers).
    sel_fwd: Signal<Local, Bit>,
    fwd_store: Signal<Local, Bit>,
    fwd_nack: Signal<Local, Bit>,
    /// A REQ or FWD that P refuses for want of a lease.
    no_lease: Signal<Local, Bit>,
    /// SET_COUNTER's value: `max(value, stored)`.
    cfg_counter: Signal<Local, Bits<64>>,
    cfg_word: Signal<Local, Bits<32>>,
    cfg_new: Signal<Local, Bit>,
    cfg_raise: Signal<Local, Bit>,
    state_word: Signal<Local, Bits<32>>,
    need_direct: Signal<Local, Bit>,
    rsp_release: Signal<Local, Bit>,
    direct_take: Signal<Local, Bit>,
    direct_free: Signal<Local, Bit>,
    gate_free: Signal<Local, Bit>,
    go: Signal<Local, Bit>,
    /// P can take a frame this cycle, resources aside.
    p_ready: Signal<Local, Bit>,
    /// P takes a REQ / takes and accepts a REQ / stores a FWD / takes a CONFIG.
    go_req: Signal<Local, Bit>,
    req_take: Signal<Local, Bit>,
    go_store: Signal<Local, Bit>,
    go_cfg: Signal<Local, Bit>,
    /// A CONFIG sets the counter and the stored value.
    cfg_set_counter: Signal<Local, Bit>,
    rsp_head: Signal<Local, RspEntry>,
    /// Frame and CONFIG bits the engine ignores, gathered so that Verilator's
    /// `*unused*` name rule (`--unused-regexp`) documents them instead of a warning.
    unused_fields: Signal<Local, Bit>,
}

impl SequenceEngine {
    pub fn new() -> Self {
        let reason = |r: NackReason| Constant::new((r as u8 as u64).into());
        Self {
            clock: Default::default(),
            events: Default::default(),
            frames_in: Default::default(),
            frames_out: Default::default(),
            status: Default::default(),
            node_id: Default::default(),
            enabled: Default::default(),
            mirrored_stored: Default::default(),
            mirror_on: Default::default(),
            lease_ok: Default::default(),
            issue_ok: Default::default(),
            in_skid: Default::default(),
            rsp_gate: RspGate::new(),
            out_skid: Default::default(),
            wide_in_count: ZeroExtend::new(),
            wide_count: ZeroExtend::new(),
            wide_epoch: ZeroExtend::new(),
            wide_primary: ZeroExtend::new(),
            wide_secondary: ZeroExtend::new(),
            r_in: Default::default(),
            r_valid: Default::default(),
            f_epoch_gt: Default::default(),
            f_cfg_raise: Default::default(),
            f_req_pass: Default::default(),
            f_fwd_store: Default::default(),
            f_fwd_nack: Default::default(),
            f_static_nack: Default::default(),
            f_reason: Default::default(),
            f_need_direct: Default::default(),
            f_drop_epoch: Default::default(),
            f_drop_other: Default::default(),
            epoch_r: Default::default(),
            primary_r: Default::default(),
            secondary_r: Default::default(),
            counter_r: Default::default(),
            limit_r: Default::default(),
            stored_r: Default::default(),
            remaining_r: Default::default(),
            rem_hi_zero: DFFWithInit::new(true),
            settle: Default::default(),
            configured_r: Default::default(),
            quorum_r: Default::default(),
            new_epoch_r: Default::default(),
            is_primary_r: Default::default(),
            is_secondary_r: Default::default(),
            ack_pending: Default::default(),
            ack_dst: Default::default(),
            ack_tag: Default::default(),
            ack_origin: Default::default(),
            ack_refused: Default::default(),
            direct: Default::default(),
            direct_valid: Default::default(),
            direct_fwd: Default::default(),
            direct_fwd_value: Default::default(),
            direct_fwd_dst: Default::default(),
            direct_dyn: Default::default(),
            direct_wrap: Default::default(),
            direct_nolease: Default::default(),
            req_accepted_r: Default::default(),
            fwd_stored_r: Default::default(),
            nack_tx_r: Default::default(),
            drop_epoch_r: Default::default(),
            drop_other_r: Default::default(),
            k_req: type_code(FrameType::Req),
            k_fwd: type_code(FrameType::Fwd),
            k_rsp: type_code(FrameType::Rsp),
            k_nack: type_code(FrameType::Nack),
            k_config: type_code(FrameType::Config),
            k_config_ack: type_code(FrameType::ConfigAck),
            k_query: type_code(FrameType::StateQuery),
            k_reply: type_code(FrameType::StateReply),
            r_none: Constant::new(0u64.into()),
            r_refused: Constant::new(1u64.into()),
            r_busy: reason(NackReason::Busy),
            r_stale: reason(NackReason::StaleEpoch),
            r_not_primary: reason(NackReason::NotPrimary),
            r_wrap: reason(NackReason::WouldWrap),
            r_limit: reason(NackReason::LimitReached),
            r_not_secondary: reason(NackReason::NotSecondary),
            r_no_lease: reason(NackReason::NoLease),
            f_set_limit_only: Constant::new((ConfigFlags::SET_LIMIT.bits() as u64).into()),
            sw_enabled: Constant::new((StateWord::ENABLED as u64).into()),
            zero64: Constant::new(0u64.into()),
            zero32: Constant::new(0u64.into()),
            one32: Constant::new(1u64.into()),
            r_load: Default::default(),
            nx_cfg_word: Default::default(),
            nx_epoch_eq: Default::default(),
            nx_epoch_gt: Default::default(),
            nx_cfg_raise: Default::default(),
            nx_fwd_nack: Default::default(),
            nx_from_primary: Default::default(),
            now_primary: Default::default(),
            now_secondary: Default::default(),
            head: Default::default(),
            h_req: Default::default(),
            h_cfg: Default::default(),
            h_query: Default::default(),
            would_wrap: Default::default(),
            over_limit: Default::default(),
            cmp_lo: Default::default(),
            hi_is_zero: Default::default(),
            hi_is_one: Default::default(),
            req_ok: Default::default(),
            req_reason: Default::default(),
            sel_fwd: Default::default(),
            fwd_store: Default::default(),
            fwd_nack: Default::default(),
            no_lease: Default::default(),
            cfg_counter: Default::default(),
            cfg_word: Default::default(),
            cfg_new: Default::default(),
            cfg_raise: Default::default(),
            state_word: Default::default(),
            need_direct: Default::default(),
            rsp_release: Default::default(),
            direct_take: Default::default(),
            direct_free: Default::default(),
            gate_free: Default::default(),
            go: Default::default(),
            p_ready: Default::default(),
            go_req: Default::default(),
            req_take: Default::default(),
            go_store: Default::default(),
            go_cfg: Default::default(),
            cfg_set_counter: Default::default(),
            rsp_head: Default::default(),
            unused_fields: Default::default(),
        }
    }
}

impl Default for SequenceEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for SequenceEngine {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            r_in,
            r_valid,
            f_epoch_gt,
            f_cfg_raise,
            f_req_pass,
            f_fwd_store,
            f_fwd_nack,
            f_static_nack,
            f_reason,
            f_need_direct,
            f_drop_epoch,
            f_drop_other,
            epoch_r,
            primary_r,
            secondary_r,
            counter_r,
            limit_r,
            stored_r,
            remaining_r,
            rem_hi_zero,
            settle,
            configured_r,
            quorum_r,
            new_epoch_r,
            is_primary_r,
            is_secondary_r,
            ack_pending,
            ack_dst,
            ack_tag,
            ack_origin,
            ack_refused,
            direct,
            direct_valid,
            direct_fwd,
            direct_fwd_value,
            direct_fwd_dst,
            direct_dyn,
            direct_wrap,
            direct_nolease,
            req_accepted_r,
            fwd_stored_r,
            nack_tx_r,
            drop_epoch_r,
            drop_other_r
        );
        clock!(self, clock, in_skid, rsp_gate, out_skid);

        // ---- Input register, with the state-free precomputation.
        self.in_skid.beats_in.valid.next = self.frames_in.valid.val();
        self.in_skid.clear.next = false;
        self.out_skid.clear.next = false;
        self.frames_in.ready.next = self.in_skid.beats_in.ready.val();
        self.wide_in_count.narrow.next = self.frames_in.data.val().count;
        self.in_skid.beats_in.data.next.src = self.frames_in.data.val().src;
        self.in_skid.beats_in.data.next.origin = self.frames_in.data.val().origin;
        self.in_skid.beats_in.data.next.epoch = self.frames_in.data.val().epoch;
        self.in_skid.beats_in.data.next.tag = self.frames_in.data.val().tag;
        self.in_skid.beats_in.data.next.count = self.frames_in.data.val().count;
        self.in_skid.beats_in.data.next.value = self.frames_in.data.val().value;
        self.in_skid.beats_in.data.next.aux = self.frames_in.data.val().aux;
        self.in_skid.beats_in.data.next.end =
            self.frames_in.data.val().value + self.wide_in_count.wide.val();
        self.in_skid.beats_in.data.next.is_req = self.frames_in.data.val().kind == self.k_req.val();
        self.in_skid.beats_in.data.next.is_fwd = self.frames_in.data.val().kind == self.k_fwd.val();
        self.in_skid.beats_in.data.next.is_config =
            self.frames_in.data.val().kind == self.k_config.val();
        self.in_skid.beats_in.data.next.is_query =
            self.frames_in.data.val().kind == self.k_query.val();
        self.wide_count.narrow.next = self.r_in.q.val().count;
        self.wide_epoch.narrow.next = self.epoch_r.q.val();
        self.wide_primary.narrow.next = self.primary_r.q.val();
        self.wide_secondary.narrow.next = self.secondary_r.q.val();

        self.head.next = self.r_in.q.val();
        self.h_req.next = self.head.val().is_req;
        self.h_cfg.next = self.head.val().is_config;
        self.h_query.next = self.head.val().is_query;

        // ---- Decisions.
        // REQ: counter + count > 2^64 - 1  <=>  count > !counter (one carry chain).
        self.would_wrap.next = self.wide_count.wide.val() > !self.counter_r.q.val();
        // REQ: counter + count > limit  <=>  count > remaining  <=>  remaining < 2^32 and
        // count > remaining[31:0] (count is 32 bits). `rem_hi_zero` is a register, so the
        // counter loop's critical path holds one 32-bit carry chain.
        self.cmp_lo.next = self.head.val().count > self.remaining_r.q.val().get_bits::<32>(0);
        self.over_limit.next = self.rem_hi_zero.q.val() & self.cmp_lo.val();
        self.hi_is_zero.next = self.remaining_r.q.val().get_bits::<32>(32) == self.zero32.val();
        self.hi_is_one.next = self.remaining_r.q.val().get_bits::<32>(32) == self.one32.val();
        // A wrap always passes the limit too (limit <= 2^64 - 1), so `would_wrap` only
        // picks the NACK reason and stays off the counter's enable path; the epoch and
        // role tests come precomputed from R.
        self.req_ok.next = self.f_req_pass.q.val() & self.issue_ok.val() & !self.over_limit.val();
        // NACK reason. Precedence: disabled, stale epoch, not primary (or not secondary
        // for a FWD), then wrap or limit, which depend on the counter and are chosen in
        // the merge from `direct_dyn` and `direct_wrap`.
        self.req_reason.next = self.f_reason.q.val();
        // FWD: store iff same epoch, enabled, secondary, from the epoch's primary, and
        // the lease holds now; without the lease it is NACKed (NoLease) instead.
        self.fwd_store.next = self.f_fwd_store.q.val() & self.lease_ok.val();
        self.no_lease.next = (self.f_req_pass.q.val() & !self.issue_ok.val())
            | (self.f_fwd_store.q.val() & !self.lease_ok.val());
        self.fwd_nack.next =
            self.f_fwd_nack.q.val() | (self.f_fwd_store.q.val() & !self.lease_ok.val());
        // CONFIG (docs/gateware.md decision 2): a newer epoch applies roles, epoch and
        // the flagged values; the same epoch may only raise the limit; else refused.
        self.cfg_word.next = self.head.val().count;
        self.cfg_new.next = self.h_cfg.val() & self.f_epoch_gt.q.val();
        self.cfg_raise.next = self.h_cfg.val() & self.f_cfg_raise.q.val();

        // ---- Resources and the go decision.
        self.rsp_release.next = self.rsp_gate.head_ready.val();
        self.direct_take.next = self.direct_valid.q.val()
            & self.out_skid.beats_in.ready.val()
            & !self.rsp_release.val();
        self.direct_free.next = !self.direct_valid.q.val() | self.direct_take.val();
        self.gate_free.next = !self.rsp_gate.full.val()
            | (self.rsp_release.val() & self.out_skid.beats_in.ready.val());
        self.need_direct.next =
            self.f_need_direct.q.val() | (self.f_fwd_store.q.val() & !self.lease_ok.val());
        self.p_ready.next = self.r_valid.q.val() & !self.ack_pending.q.val() & !self.settle.q.val();
        self.go.next = self.p_ready.val()
            & (!self.need_direct.val() | self.direct_free.val())
            & (!self.fwd_store.val() | self.gate_free.val())
            & (!self.h_cfg.val() | self.rsp_gate.empty.val());
        // The same decision split by kind (the kinds are one-hot), so that the state
        // registers' enables do not wait for the whole of `go`.
        self.go_req.next = self.p_ready.val() & self.h_req.val() & self.direct_free.val();
        self.req_take.next = self.go_req.val() & self.req_ok.val();
        self.go_store.next = self.p_ready.val() & self.fwd_store.val() & self.gate_free.val();
        self.go_cfg.next = self.p_ready.val() & self.h_cfg.val() & self.rsp_gate.empty.val();

        // ---- Stage R: refilled when empty or when P takes its frame, except after a
        // CONFIG (the flags of the next frame must see the CONFIG's new state).
        self.r_load.next = !self.r_valid.q.val() | (self.go.val() & !self.h_cfg.val());
        self.in_skid.beats_out.ready.next = self.r_load.val();
        self.nx_cfg_word.next = self.in_skid.beats_out.data.val().count;
        self.nx_epoch_eq.next = self.in_skid.beats_out.data.val().epoch == self.epoch_r.q.val();
        self.nx_epoch_gt.next = self.in_skid.beats_out.data.val().epoch > self.epoch_r.q.val();
        self.nx_cfg_raise.next = self.nx_epoch_eq.val()
            & (self.nx_cfg_word.val().get_bits::<8>(16) == self.f_set_limit_only.val())
            & (self.in_skid.beats_out.data.val().aux > self.limit_r.q.val());
        self.nx_from_primary.next = self.in_skid.beats_out.data.val().src == self.primary_r.q.val();
        // Not `is_primary_r`: that register lags `primary_r` by one edge.
        self.now_primary.next =
            self.configured_r.q.val() & (self.primary_r.q.val() == self.node_id.val());
        self.now_secondary.next =
            self.configured_r.q.val() & (self.secondary_r.q.val() == self.node_id.val());
        self.nx_fwd_nack.next = self.in_skid.beats_out.data.val().is_fwd
            & self.enabled.val()
            & self.nx_epoch_eq.val()
            & !(self.now_secondary.val() & self.nx_from_primary.val());
        if self.go.val() {
            self.r_valid.d.next = false;
        }
        if self.r_load.val() {
            self.r_valid.d.next = self.in_skid.beats_out.valid.val();
            self.r_in.d.next = self.in_skid.beats_out.data.val();
            self.f_epoch_gt.d.next = self.nx_epoch_gt.val();
            self.f_cfg_raise.d.next = self.nx_cfg_raise.val();
            // `enabled` is sampled here, as the frame enters R (a few cycles of skew
            // against a management write of CONTROL.ENABLE, which is asynchronous to
            // the traffic anyway).
            self.f_req_pass.d.next = self.in_skid.beats_out.data.val().is_req
                & self.enabled.val()
                & self.nx_epoch_eq.val()
                & self.now_primary.val();
            self.f_fwd_store.d.next = self.in_skid.beats_out.data.val().is_fwd
                & self.enabled.val()
                & self.nx_epoch_eq.val()
                & self.now_secondary.val()
                & self.nx_from_primary.val();
            self.f_fwd_nack.d.next = self.nx_fwd_nack.val();
            self.f_static_nack.d.next = !self.in_skid.beats_out.data.val().is_req
                | !(self.enabled.val() & self.nx_epoch_eq.val() & self.now_primary.val());
            self.f_reason.d.next = self.r_not_primary.val();
            if !self.nx_epoch_eq.val() {
                self.f_reason.d.next = self.r_stale.val();
            }
            if !self.enabled.val() {
                self.f_reason.d.next = self.r_busy.val();
            }
            if self.in_skid.beats_out.data.val().is_fwd {
                self.f_reason.d.next = self.r_not_secondary.val();
            }
            self.f_need_direct.d.next = self.in_skid.beats_out.data.val().is_req
                | self.in_skid.beats_out.data.val().is_query
                | self.nx_fwd_nack.val();
            self.f_drop_epoch.d.next = (self.in_skid.beats_out.data.val().is_req
                & self.enabled.val()
                & !self.nx_epoch_eq.val())
                | (self.in_skid.beats_out.data.val().is_fwd & !self.nx_epoch_eq.val())
                | (self.in_skid.beats_out.data.val().is_config
                    & !(self.nx_epoch_gt.val() | self.nx_cfg_raise.val()));
            self.f_drop_other.d.next = !(self.in_skid.beats_out.data.val().is_req
                | self.in_skid.beats_out.data.val().is_fwd
                | self.in_skid.beats_out.data.val().is_config
                | self.in_skid.beats_out.data.val().is_query)
                | (self.in_skid.beats_out.data.val().is_fwd
                    & self.nx_epoch_eq.val()
                    & !self.enabled.val());
        }

        // ---- State updates.
        self.is_primary_r.d.next =
            self.configured_r.q.val() & (self.primary_r.q.val() == self.node_id.val());
        self.is_secondary_r.d.next =
            self.configured_r.q.val() & (self.secondary_r.q.val() == self.node_id.val());
        // ConfigWord flags are count[23:16]: SET_COUNTER = bit 16, SET_LIMIT = 17.
        self.cfg_set_counter.next =
            self.go_cfg.val() & self.cfg_new.val() & self.cfg_word.val().get_bit(16);
        // Counter and remaining: one enable each, with the late `req_take` only in the
        // enable and the data chosen by early selects.
        // SET_COUNTER takes max(value, stored): a range this card stored after the
        // manager read STORED is never issued again (docs/leases.md).
        self.cfg_counter.next = self.stored_r.q.val();
        if self.head.val().value > self.stored_r.q.val() {
            self.cfg_counter.next = self.head.val().value;
        }
        if self.req_take.val() | self.cfg_set_counter.val() {
            if self.cfg_set_counter.val() {
                self.counter_r.d.next = self.cfg_counter.val();
            } else {
                self.counter_r.d.next = self.counter_r.q.val() + self.wide_count.wide.val();
            }
        }
        // After a CONFIG (`ack_pending`): `remaining` from the new registers (P is
        // stalled, so no REQ reads it meanwhile; recomputing an unchanged pair is
        // harmless).
        if self.req_take.val() | self.ack_pending.q.val() {
            if self.ack_pending.q.val() {
                if self.limit_r.q.val() > self.counter_r.q.val() {
                    self.remaining_r.d.next = self.limit_r.q.val() - self.counter_r.q.val();
                } else {
                    self.remaining_r.d.next = self.zero64.val();
                }
            } else {
                self.remaining_r.d.next = self.remaining_r.q.val() - self.wide_count.wide.val();
            }
        }
        // `remaining[63:32]` drops by the borrow out of the low half, which is `cmp_lo`
        // (a taken REQ never has `rem_hi_zero & cmp_lo`); without a REQ the register
        // follows `remaining` (this is how it catches up after a CONFIG).
        if self.req_take.val() {
            self.rem_hi_zero.d.next =
                self.rem_hi_zero.q.val() | (self.hi_is_one.val() & self.cmp_lo.val());
        } else {
            self.rem_hi_zero.d.next = self.hi_is_zero.val();
        }
        self.settle.d.next = self.ack_pending.q.val();
        // stored := max(stored, end): the compare selects the data, the (early) kind
        // decision is the enable.
        if self.go_store.val() | self.cfg_set_counter.val() {
            if self.cfg_set_counter.val() {
                self.stored_r.d.next = self.cfg_counter.val();
            } else if self.head.val().end > self.stored_r.q.val() {
                self.stored_r.d.next = self.head.val().end;
            }
        }
        if self.go_cfg.val() & self.cfg_new.val() {
            self.epoch_r.d.next = self.head.val().epoch;
            self.primary_r.d.next = self.cfg_word.val().get_bits::<8>(0);
            self.secondary_r.d.next = self.cfg_word.val().get_bits::<8>(8);
            self.configured_r.d.next = true;
            self.quorum_r.d.next = self.cfg_word.val().get_bits::<8>(24);
            if self.cfg_word.val().get_bit(17) {
                self.limit_r.d.next = self.head.val().aux;
            }
        }
        if self.go_cfg.val() & self.cfg_raise.val() {
            self.limit_r.d.next = self.head.val().aux;
        }
        if self.go_cfg.val() {
            self.ack_pending.d.next = true;
            self.ack_dst.d.next = self.head.val().src;
            self.ack_tag.d.next = self.head.val().tag;
            self.ack_origin.d.next = self.head.val().origin;
            self.ack_refused.d.next = !(self.cfg_new.val() | self.cfg_raise.val());
        }

        self.new_epoch_r.d.next = self.go_cfg.val() & self.cfg_new.val();

        // ---- Statistics.
        self.req_accepted_r.d.next = self.req_take.val();
        self.fwd_stored_r.d.next = self.go_store.val();
        self.nack_tx_r.d.next =
            self.go.val() & ((self.h_req.val() & !self.req_ok.val()) | self.fwd_nack.val());
        self.drop_epoch_r.d.next = self.go.val() & self.f_drop_epoch.q.val();
        self.drop_other_r.d.next = self.go.val() & self.f_drop_other.q.val();

        // ---- Answers into `direct` (its data is don't-care while not valid).
        self.state_word.next = self.wide_primary.wide.val() | (self.wide_secondary.wide.val() << 8);
        if self.enabled.val() {
            self.state_word.next = self.state_word.val() | self.sw_enabled.val();
        }
        self.sel_fwd.next = !self.ack_pending.q.val() & self.h_req.val() & self.req_ok.val();
        if self.direct_free.val() {
            // NACK by default: to the origin, echoing the request's epoch, own epoch in value.
            self.direct.d.next.kind = self.k_nack.val();
            self.direct.d.next.reason = self.req_reason.val();
            self.direct.d.next.src = self.node_id.val();
            self.direct.d.next.dst = self.head.val().origin;
            self.direct.d.next.origin = self.head.val().origin;
            self.direct.d.next.epoch = self.head.val().epoch;
            self.direct.d.next.tag = self.head.val().tag;
            self.direct.d.next.count = self.head.val().count;
            self.direct.d.next.value = self.wide_epoch.wide.val();
            self.direct.d.next.aux = self.zero64.val();
            self.direct.d.next.extra = self.zero64.val();
            if self.h_query.val() | self.ack_pending.q.val() {
                // STATE_REPLY, or the CONFIG_ACK of last cycle's CONFIG, from registers.
                self.direct.d.next.kind = self.k_reply.val();
                self.direct.d.next.reason = self.r_none.val();
                self.direct.d.next.dst = self.head.val().src;
                self.direct.d.next.epoch = self.epoch_r.q.val();
                self.direct.d.next.count = self.state_word.val();
                self.direct.d.next.value = self.counter_r.q.val();
                self.direct.d.next.aux = self.stored_r.q.val();
                self.direct.d.next.extra = self.limit_r.q.val();
                if self.ack_pending.q.val() {
                    self.direct.d.next.kind = self.k_config_ack.val();
                    self.direct.d.next.dst = self.ack_dst.q.val();
                    self.direct.d.next.tag = self.ack_tag.q.val();
                    self.direct.d.next.origin = self.ack_origin.q.val();
                    if self.ack_refused.q.val() {
                        self.direct.d.next.reason = self.r_refused.val();
                    }
                }
            }
            // A FWD differs from the NACK only in the fields the merge overrides.
            self.direct_fwd.d.next = self.sel_fwd.val();
            self.direct_fwd_value.d.next = self.counter_r.q.val();
            self.direct_fwd_dst.d.next = self.secondary_r.q.val();
            self.direct_dyn.d.next = !self.f_static_nack.q.val() & !self.ack_pending.q.val();
            self.direct_wrap.d.next = self.would_wrap.val();
            self.direct_nolease.d.next = self.no_lease.val() & !self.ack_pending.q.val();
        }
        if self.ack_pending.q.val() & self.direct_free.val() {
            self.ack_pending.d.next = false;
        }
        if (self.go.val() & self.need_direct.val())
            | (self.ack_pending.q.val() & self.direct_free.val())
        {
            self.direct_valid.d.next = true;
        } else if self.direct_take.val() {
            self.direct_valid.d.next = false;
        }

        // ---- Stored ranges wait in the RSP gate.
        self.rsp_gate.mirror_on.next = self.mirror_on.val();
        self.rsp_gate.mirrored_stored.next = self.mirrored_stored.val();
        self.rsp_gate.push.next = self.go_store.val();
        self.rsp_gate.push_entry.next.origin = self.head.val().origin;
        self.rsp_gate.push_entry.next.tag = self.head.val().tag;
        self.rsp_gate.push_entry.next.count = self.head.val().count;
        self.rsp_gate.push_entry.next.value = self.head.val().value;
        self.rsp_gate.push_end.next = self.head.val().end;
        self.rsp_gate.pop.next = self.rsp_release.val() & self.out_skid.beats_in.ready.val();

        // ---- Merge into the output register: RSPs first.
        self.rsp_head.next = self.rsp_gate.head.val();
        self.out_skid.beats_in.valid.next = self.rsp_release.val() | self.direct_valid.q.val();
        self.out_skid.beats_in.data.next = self.direct.q.val();
        if self.direct_nolease.q.val() {
            self.out_skid.beats_in.data.next.reason = self.r_no_lease.val();
        } else if self.direct_dyn.q.val() {
            if self.direct_wrap.q.val() {
                self.out_skid.beats_in.data.next.reason = self.r_wrap.val();
            } else {
                self.out_skid.beats_in.data.next.reason = self.r_limit.val();
            }
        }
        if self.direct_fwd.q.val() {
            self.out_skid.beats_in.data.next.kind = self.k_fwd.val();
            self.out_skid.beats_in.data.next.reason = self.r_none.val();
            self.out_skid.beats_in.data.next.dst = self.direct_fwd_dst.q.val();
            self.out_skid.beats_in.data.next.value = self.direct_fwd_value.q.val();
        }
        if self.rsp_release.val() {
            self.out_skid.beats_in.data.next.kind = self.k_rsp.val();
            self.out_skid.beats_in.data.next.reason = self.r_none.val();
            self.out_skid.beats_in.data.next.src = self.node_id.val();
            self.out_skid.beats_in.data.next.dst = self.rsp_head.val().origin;
            self.out_skid.beats_in.data.next.origin = self.rsp_head.val().origin;
            self.out_skid.beats_in.data.next.epoch = self.epoch_r.q.val();
            self.out_skid.beats_in.data.next.tag = self.rsp_head.val().tag;
            self.out_skid.beats_in.data.next.count = self.rsp_head.val().count;
            self.out_skid.beats_in.data.next.value = self.rsp_head.val().value;
            self.out_skid.beats_in.data.next.aux = self.zero64.val();
            self.out_skid.beats_in.data.next.extra = self.zero64.val();
        }
        StreamSource::<FrameFields>::link(&mut self.frames_out, &mut self.out_skid.beats_out);

        self.unused_fields.next = self.frames_in.data.val().reason.any()
            | self.frames_in.data.val().dst.any()
            | self.frames_in.data.val().extra.any()
            | self.cfg_word.val().get_bits::<6>(18).any()
            | self.nx_cfg_word.val().get_bits::<16>(0).any()
            | self.nx_cfg_word.val().get_bits::<8>(24).any()
            | self.head.val().is_fwd;

        // ---- State and statistics outputs.
        self.status.next.epoch = self.epoch_r.q.val();
        self.status.next.primary_id = self.primary_r.q.val();
        self.status.next.secondary_id = self.secondary_r.q.val();
        self.status.next.counter = self.counter_r.q.val();
        self.status.next.limit = self.limit_r.q.val();
        self.status.next.stored = self.stored_r.q.val();
        self.status.next.is_primary = self.is_primary_r.q.val();
        self.status.next.is_secondary = self.is_secondary_r.q.val();
        self.status.next.configured = self.configured_r.q.val();
        self.status.next.quorum = self.quorum_r.q.val();
        self.status.next.new_epoch = self.new_epoch_r.q.val();
        self.events.next.req_accepted = self.req_accepted_r.q.val();
        self.events.next.fwd_stored = self.fwd_stored_r.q.val();
        self.events.next.nack_tx = self.nack_tx_r.q.val();
        self.events.next.drop_epoch = self.drop_epoch_r.q.val();
        self.events.next.drop_other = self.drop_other_r.q.val();
    }
}

// The update logic reads the CONFIG flags as bits 16 and 17 of `count` (`ConfigWord`:
// flags in count[23:16]).
const _: () = assert!(
    ConfigFlags::SET_COUNTER.bits() == 1,
    "SET_COUNTER: count bit 16"
);
const _: () = assert!(
    ConfigFlags::SET_LIMIT.bits() == 2,
    "SET_LIMIT: count bit 17"
);

/// One-cycle pulses, one per event, for the statistics counters.
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct EngineEvents {
    /// One-cycle pulse: a REQ was accepted (a FWD was issued): `STAT_REQ_ACCEPTED`.
    pub req_accepted: Bit,
    /// One-cycle pulse: a FWD's range was stored: `STAT_FWD_STORED`.
    pub fwd_stored: Bit,
    /// One-cycle pulse: a NACK was produced: `STAT_NACK_TX`.
    pub nack_tx: Bit,
    /// One-cycle pulse: a REQ or FWD of another epoch, or a refused CONFIG:
    /// `STAT_DROP_EPOCH`.
    pub drop_epoch: Bit,
    /// One-cycle pulse: a frame the engine cannot use (another kind, FWD while
    /// disabled).
    pub drop_other: Bit,
}

#[cfg(test)]
mod tests;
