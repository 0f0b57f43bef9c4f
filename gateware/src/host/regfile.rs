//! The BAR0 register file, exactly as `seqfab_contract::regs` defines it.
//!
//! Offsets, widths, access kinds and reset values come from the contract's tables (as
//! `Constant`s); the lists below only say which logic serves each register, and a test
//! checks that together they cover the contract's table exactly.
//!
//! Timing (docs/gateware.md, "Host port"):
//! - a write takes effect at the end of its strobe cycle: the new value reads back from
//!   the next cycle, config outputs and pulses (`soft_reset`, `ring_reset`, `db_valid`)
//!   show it one cycle after the strobe;
//! - a read strobe latches the offset and which register it names (stage 1), the next
//!   cycle selects the word (stage 2), so `mmio_rvalid` rises exactly 2 cycles after `mmio_read`. A read sees
//!   every write strobed before it.
//!
//! Writes to an offset that is not writable (read-only, undefined, outside BAR0, not
//! 8-byte aligned) change nothing and count in `STAT_DROP_REGISTER`.

use super::queue_regs::QueueRegs;
use super::stat;
use super::stat_counter::StatCounter;
use super::words::{check_layouts, flag_bit, MgmtCountWord, MgmtHeaderWord, StatusWord};
use crate::engine::EngineStatus;
use crate::frame::FrameFields;
use crate::widgets::{StreamSink, StreamSource, ZeroExtend};
use rust_hdl::prelude::*;
use seqfab_contract::doorbell::RESERVED_MASK;
use seqfab_contract::limits::{MAX_COUNT, QUEUES};
use seqfab_contract::regs::{self, Control};

/// Constant registers (the ID block): their reset value is their value.
pub(crate) const CONST_REGS: [u32; 4] = [
    regs::ID_MAGIC,
    regs::ID_VERSION,
    regs::CAPABILITIES,
    regs::BUILD_ID,
];
const N_CONST: usize = CONST_REGS.len();

/// Read-write registers, stored as masked 64-bit words. `update()` names them by position
/// in this list (rust-hdl array indices must be literals).
pub(crate) const RW_REGS: [u32; 13] = [
    regs::NODE_ID,          // 0
    regs::CONTROL,          // 1
    regs::HEARTBEAT_PERIOD, // 2
    regs::LIVENESS_MISSES,  // 3
    regs::REQUEST_TIMEOUT,  // 4
    regs::MAX_RETRIES,      // 5
    regs::MIRROR_ADDR,      // 6
    regs::MGMT_TX_HEADER,   // 7
    regs::MGMT_TX_COUNT,    // 8
    regs::MGMT_TX_VALUE,    // 9
    regs::MGMT_TX_AUX,      // 10
    regs::LEASE_PERIOD,     // 11
    regs::LEASE_HOLD,       // 12
];
const N_RW: usize = RW_REGS.len();

/// Read-only registers showing the card's state; `update()` fills `ro_word` by position.
pub(crate) const RO_REGS: [u32; 18] = [
    regs::STATUS,          // 0
    regs::EPOCH,           // 1
    regs::PRIMARY_ID,      // 2
    regs::SECONDARY_ID,    // 3
    regs::COUNTER,         // 4
    regs::LIMIT,           // 5
    regs::STORED,          // 6
    regs::LIVE_X,          // 7
    regs::LIVE_Y,          // 8
    regs::MGMT_RX_HEADER,  // 9
    regs::MGMT_RX_COUNT,   // 10
    regs::MGMT_RX_VALUE,   // 11
    regs::MGMT_RX_AUX,     // 12
    regs::MGMT_RX_EXTRA,   // 13
    regs::MGMT_RX_SEQ,     // 14
    regs::LEASE,           // 15
    regs::LEASE_HOLD_LEFT, // 16
    regs::SUPPORT,         // 17
];
const N_RO: usize = RO_REGS.len();

/// Write-only registers (actions; they read 0).
pub(crate) const WO_REGS: [u32; 1] = [regs::MGMT_TX_SEND];

const NSTAT: usize = stat::COUNT;

fn reg(offset: u32) -> &'static regs::Register {
    regs::lookup(offset).expect("register in the contract")
}

fn width_mask(width: u32) -> u64 {
    if width >= 64 {
        u64::MAX
    } else {
        (1 << width) - 1
    }
}

fn offset_constant(offset: u32) -> Constant<Bits<32>> {
    Constant::new((offset as u64).into())
}

fn bit_constant(index: usize) -> Constant<Bits<6>> {
    assert!(index < 64);
    Constant::new((index as u64).into())
}

/// The BAR0 register file (see the module documentation for timing).
#[derive(LogicBlock)]
pub struct RegFile {
    pub clock: Signal<In, Clock>,
    /// MMIO byte offset in BAR0 of this cycle's access.
    pub mmio_addr: Signal<In, Bits<32>>,
    /// MMIO write data (one 64-bit register).
    pub mmio_wdata: Signal<In, Bits<64>>,
    /// MMIO write strobe (posted: always accepted).
    pub mmio_write: Signal<In, bool>,
    /// MMIO read strobe.
    pub mmio_read: Signal<In, bool>,
    /// Read data, valid with `mmio_rvalid`.
    pub mmio_rdata: Signal<Out, Bits<64>>,
    /// Read data valid: exactly 2 cycles after `mmio_read`.
    pub mmio_rvalid: Signal<Out, bool>,
    /// `NODE_ID`.
    pub node_id: Signal<Out, Bits<8>>,
    /// `CONTROL.ENABLE`.
    pub enable: Signal<Out, bool>,
    /// `CONTROL.PLANE_X`.
    pub plane_x_en: Signal<Out, bool>,
    /// `CONTROL.PLANE_Y`.
    pub plane_y_en: Signal<Out, bool>,
    /// `CONTROL.PREFER_Y`.
    pub prefer_y: Signal<Out, bool>,
    /// `CONTROL.HEARTBEAT`.
    pub heartbeat_en: Signal<Out, bool>,
    /// One-cycle pulse after a write of `CONTROL` with `SOFT_RESET` set (the bit itself
    /// reads back 0). Statistics and queue overflow counters are zeroed at the end of
    /// this cycle; the card's blocks clear their state on it.
    pub soft_reset: Signal<Out, bool>,
    /// `HEARTBEAT_PERIOD`.
    pub heartbeat_period: Signal<Out, Bits<32>>,
    /// `LIVENESS_MISSES`.
    pub liveness_misses: Signal<Out, Bits<4>>,
    /// `REQUEST_TIMEOUT`.
    pub request_timeout: Signal<Out, Bits<32>>,
    /// `MAX_RETRIES`.
    pub max_retries: Signal<Out, Bits<8>>,
    /// `MIRROR_ADDR`.
    pub mirror_addr: Signal<Out, Bits<64>>,
    /// Management frames to send: `MGMT_TX_*` as they were at the `MGMT_TX_SEND` write,
    /// with `src` = `origin` = `NODE_ID`. Valid from the cycle after a write to
    /// `MGMT_TX_SEND` until taken; a send while one is still waiting replaces it (the
    /// host polls `MGMT_RX_SEQ` for the answer of the frame it sent last).
    pub mgmt_out: StreamSource<FrameFields>,
    /// Management replies (CONFIG_ACK or STATE_REPLY) for the host, always taken
    /// (`ready` is constantly high): each is latched into `MGMT_RX_*` and counted in
    /// `MGMT_RX_SEQ`.
    pub mgmt_in: StreamSink<FrameFields>,
    /// The engine's state: `EPOCH`, `PRIMARY_ID`, `SECONDARY_ID`, `COUNTER`, `LIMIT`,
    /// `STORED` and `STATUS`'s role bits.
    pub status: Signal<In, EngineStatus>,
    /// Shown in `LIVE_X`.
    pub live_x: Signal<In, Bits<64>>,
    /// Shown in `LIVE_Y`.
    pub live_y: Signal<In, Bits<64>>,
    /// `STATUS.LINK_X`.
    pub link_x: Signal<In, bool>,
    /// `STATUS.LINK_Y`.
    pub link_y: Signal<In, bool>,
    /// Shown in `LEASE` (and `STATUS.LEASE` when not 0).
    pub lease: Signal<In, Bits<32>>,
    /// Shown in `LEASE_HOLD_LEFT`.
    pub hold_left: Signal<In, Bits<32>>,
    /// Shown in `SUPPORT`.
    pub support: Signal<In, Bits<64>>,
    /// `LEASE_PERIOD`.
    pub lease_period: Signal<Out, Bits<32>>,
    /// `LEASE_HOLD`.
    pub lease_hold: Signal<Out, Bits<32>>,
    /// Per queue: `Q_RING_BASE`.
    pub ring_base: [Signal<Out, Bits<64>>; QUEUES],
    /// Per queue: `Q_RING_LOG2`.
    pub ring_log2: [Signal<Out, Bits<4>>; QUEUES],
    /// Per queue: one-cycle pulse after `Q_RING_LOG2` was written (restart the ring).
    pub ring_reset: [Signal<Out, bool>; QUEUES],
    /// Per queue: `Q_CONTROL.ENABLE`.
    pub q_enable: [Signal<Out, bool>; QUEUES],
    /// Per queue: `Q_CONTROL.IRQ_ENABLE`.
    pub q_irq_enable: [Signal<Out, bool>; QUEUES],
    /// Per queue: `Q_CONTROL.IRQ_ARM`.
    pub q_irq_armed: [Signal<Out, bool>; QUEUES],
    /// Per queue: the interrupt fired; clears `IRQ_ARM` (unless the host writes
    /// `Q_CONTROL` in the same cycle).
    pub q_irq_fired: [Signal<In, bool>; QUEUES],
    /// Per queue: FIFO level (`Q_STATUS` 15:0).
    pub q_fill: [Signal<In, Bits<16>>; QUEUES],
    /// Per queue: FIFO full (`Q_STATUS` 16).
    pub q_full: [Signal<In, bool>; QUEUES],
    /// Per queue: producer index (`Q_STATUS` 63:32).
    pub q_produced: [Signal<In, Bits<32>>; QUEUES],
    /// Per queue: pulse, a doorbell found the FIFO full (`Q_OVERFLOWS`).
    pub q_overflow: [Signal<In, bool>; QUEUES],
    /// Per queue: one-cycle pulse after a write to the queue's doorbell word.
    pub db_valid: [Signal<Out, bool>; QUEUES],
    /// The doorbell word written (valid with any `db_valid`).
    pub db_data: Signal<Out, Bits<64>>,
    /// `db_data` is well-formed (`Doorbell::decode`: reserved bits zero, count not zero),
    /// decided as it is written.
    pub db_ok: Signal<Out, bool>,
    /// Statistics: `stat_inc[k]` events this cycle for counter k (see [`super::stat`]).
    pub stat_inc: [Signal<In, Bits<2>>; NSTAT],
    rw: [DFFWithInit<Bits<64>>; N_RW],
    /// `Doorbell::decode`'s checks: reserved bits, and a count of zero.
    db_reserved: Constant<Bits<64>>,
    db_zero_count: Constant<Bits<24>>,
    rw_off: [Constant<Bits<32>>; N_RW],
    rw_mask: [Constant<Bits<64>>; N_RW],
    const_off: [Constant<Bits<32>>; N_CONST],
    const_val: [Constant<Bits<64>>; N_CONST],
    ro_off: [Constant<Bits<32>>; N_RO],
    ro_word: [Signal<Local, Bits<64>>; N_RO],
    stats: [StatCounter; NSTAT],
    stat_off: [Constant<Bits<32>>; NSTAT],
    stat_counted_here: [Constant<bool>; NSTAT],
    queues: [QueueRegs; QUEUES],
    a_control: Constant<Bits<32>>,
    a_send: Constant<Bits<32>>,
    wr_hit: Signal<Local, bool>,
    send: Signal<Local, bool>,
    rd_pending: DFF<bool>,
    rd_addr: DFF<Bits<32>>,
    /// Read stage 1 decodes the offset into one flag per register, so that stage 2 is a
    /// select by flip-flops instead of 80 offset compares in series with an 80-way
    /// select (the register file's longest path otherwise).
    hit_const: [DFF<bool>; N_CONST],
    hit_rw: [DFF<bool>; N_RW],
    hit_ro: [DFF<bool>; N_RO],
    hit_stat: [DFF<bool>; NSTAT],
    rdata: DFF<Bits<64>>,
    rvalid: DFF<bool>,
    reg_drop: DFF<bool>,
    soft_reset_r: DFF<bool>,
    db_data_r: DFF<Bits<64>>,
    db_ok_r: DFF<bool>,
    tx: DFF<FrameFields>,
    tx_valid: DFF<bool>,
    rx: DFF<FrameFields>,
    rx_seq: DFF<Bits<64>>,
    w_status: Signal<Local, StatusWord>,
    w_epoch: ZeroExtend<32, 64>,
    w_lease: ZeroExtend<32, 64>,
    w_hold: ZeroExtend<32, 64>,
    w_primary: ZeroExtend<8, 64>,
    w_secondary: ZeroExtend<8, 64>,
    w_rx_header: Signal<Local, MgmtHeaderWord>,
    w_rx_count: ZeroExtend<32, 64>,
    /// Fields of `mgmt_in` that no register shows (dst, origin, tag): named `unused` so
    /// Verilator's `-Wall` knows they are dropped on purpose.
    unused_rx_fields: Signal<Local, FrameFields>,
    /// The lease state of `status`, which the lease keeper reads and no register shows.
    unused_status_lease: Signal<Local, bool>,
    zero_status: Constant<StatusWord>,
    zero_header: Constant<MgmtHeaderWord>,
    zero64: Constant<Bits<64>>,
    one64: Constant<Bits<64>>,
    wrap32: Constant<Bits<64>>,
    bit_enable: Constant<Bits<6>>,
    bit_soft_reset: Constant<Bits<6>>,
    bit_plane_x: Constant<Bits<6>>,
    bit_plane_y: Constant<Bits<6>>,
    bit_prefer_y: Constant<Bits<6>>,
    bit_heartbeat: Constant<Bits<6>>,
    off_kind: Constant<Bits<6>>,
    off_node: Constant<Bits<6>>,
    off_reason: Constant<Bits<6>>,
    off_epoch: Constant<Bits<6>>,
    off_count: Constant<Bits<6>>,
    off_tag: Constant<Bits<6>>,
}

impl RegFile {
    pub fn new() -> Self {
        check_layouts();
        assert_eq!(
            RESERVED_MASK,
            !((MAX_COUNT as u64) | (0xFFFF << 32)),
            "doorbell layout: count[23:0], tag[47:32]"
        );
        let control = |f: Control| bit_constant(flag_bit(f.bits()));
        let rw_mask = RW_REGS.map(|o| {
            let mut m = width_mask(reg(o).width);
            if o == regs::CONTROL {
                // SOFT_RESET is an action: the stored bit stays 0 (self-clearing).
                m &= !Control::SOFT_RESET.bits();
            }
            m
        });
        let header = MgmtHeaderWord::default();
        let count = MgmtCountWord::default();
        // Registers whose width is fixed here by a port or a read word.
        for (o, width) in [
            (regs::NODE_ID, 8),
            (regs::HEARTBEAT_PERIOD, 32),
            (regs::LIVENESS_MISSES, 4),
            (regs::REQUEST_TIMEOUT, 32),
            (regs::MAX_RETRIES, 8),
            (regs::EPOCH, 32),
            (regs::PRIMARY_ID, 8),
            (regs::SECONDARY_ID, 8),
            (regs::MGMT_RX_COUNT, 32),
            (regs::MGMT_RX_SEQ, 32),
            (regs::LEASE_PERIOD, 32),
            (regs::LEASE_HOLD, 32),
            (regs::LEASE, 32),
            (regs::LEASE_HOLD_LEFT, 32),
        ] {
            assert_eq!(reg(o).width, width, "{}: width", reg(o).name);
        }
        Self {
            db_reserved: Constant::new(RESERVED_MASK.into()),
            db_zero_count: Constant::new(0u64.into()),
            clock: Default::default(),
            mmio_addr: Default::default(),
            mmio_wdata: Default::default(),
            mmio_write: Default::default(),
            mmio_read: Default::default(),
            mmio_rdata: Default::default(),
            mmio_rvalid: Default::default(),
            node_id: Default::default(),
            enable: Default::default(),
            plane_x_en: Default::default(),
            plane_y_en: Default::default(),
            prefer_y: Default::default(),
            heartbeat_en: Default::default(),
            soft_reset: Default::default(),
            heartbeat_period: Default::default(),
            liveness_misses: Default::default(),
            request_timeout: Default::default(),
            max_retries: Default::default(),
            mirror_addr: Default::default(),
            mgmt_out: Default::default(),
            mgmt_in: Default::default(),
            status: Default::default(),
            live_x: Default::default(),
            live_y: Default::default(),
            link_x: Default::default(),
            link_y: Default::default(),
            lease: Default::default(),
            hold_left: Default::default(),
            support: Default::default(),
            lease_period: Default::default(),
            lease_hold: Default::default(),
            ring_base: Default::default(),
            ring_log2: Default::default(),
            ring_reset: Default::default(),
            q_enable: Default::default(),
            q_irq_enable: Default::default(),
            q_irq_armed: Default::default(),
            q_irq_fired: Default::default(),
            q_fill: Default::default(),
            q_full: Default::default(),
            q_produced: Default::default(),
            q_overflow: Default::default(),
            db_valid: Default::default(),
            db_data: Default::default(),
            db_ok: Default::default(),
            stat_inc: std::array::from_fn(|_| Default::default()),
            rw: RW_REGS.map(|o| DFFWithInit::new(reg(o).reset.into())),
            rw_off: RW_REGS.map(offset_constant),
            rw_mask: rw_mask.map(|m| Constant::new(m.into())),
            const_off: CONST_REGS.map(offset_constant),
            const_val: CONST_REGS.map(|o| Constant::new(reg(o).reset.into())),
            ro_off: RO_REGS.map(offset_constant),
            ro_word: Default::default(),
            stats: std::array::from_fn(|_| StatCounter::new()),
            stat_off: stat::OFFSETS.map(offset_constant),
            stat_counted_here: std::array::from_fn(|k| Constant::new(k == stat::DROP_REGISTER)),
            queues: std::array::from_fn(QueueRegs::new),
            a_control: offset_constant(regs::CONTROL),
            a_send: offset_constant(WO_REGS[0]),
            wr_hit: Default::default(),
            send: Default::default(),
            rd_pending: Default::default(),
            rd_addr: Default::default(),
            hit_const: Default::default(),
            hit_rw: Default::default(),
            hit_ro: Default::default(),
            hit_stat: Default::default(),
            rdata: Default::default(),
            rvalid: Default::default(),
            reg_drop: Default::default(),
            soft_reset_r: Default::default(),
            db_data_r: Default::default(),
            db_ok_r: Default::default(),
            tx: Default::default(),
            tx_valid: Default::default(),
            rx: Default::default(),
            rx_seq: Default::default(),
            w_status: Default::default(),
            w_epoch: Default::default(),
            w_lease: Default::default(),
            w_hold: Default::default(),
            w_primary: Default::default(),
            w_secondary: Default::default(),
            w_rx_header: Default::default(),
            w_rx_count: Default::default(),
            unused_status_lease: Default::default(),
            unused_rx_fields: Default::default(),
            zero_status: Constant::new(StatusWord::default()),
            zero_header: Constant::new(MgmtHeaderWord::default()),
            zero64: Constant::new(0u64.into()),
            one64: Constant::new(1u64.into()),
            wrap32: Constant::new((u32::MAX as u64).into()),
            bit_enable: control(Control::ENABLE),
            bit_soft_reset: control(Control::SOFT_RESET),
            bit_plane_x: control(Control::PLANE_X),
            bit_plane_y: control(Control::PLANE_Y),
            bit_prefer_y: control(Control::PREFER_Y),
            bit_heartbeat: control(Control::HEARTBEAT),
            off_kind: bit_constant(header.get_my_offset_kind()),
            off_node: bit_constant(header.get_my_offset_node()),
            off_reason: bit_constant(header.get_my_offset_reason()),
            off_epoch: bit_constant(header.get_my_offset_epoch()),
            off_count: bit_constant(count.get_my_offset_count()),
            off_tag: bit_constant(count.get_my_offset_tag()),
        }
    }
}

impl Default for RegFile {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for RegFile {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            rd_pending,
            rd_addr,
            rdata,
            rvalid,
            reg_drop,
            soft_reset_r,
            db_data_r,
            db_ok_r,
            tx,
            tx_valid,
            rx,
            rx_seq
        );
        for i in 0..N_RW {
            self.rw[i].clock.next = self.clock.val();
            self.rw[i].d.next = self.rw[i].q.val();
        }
        // ---- Writes: decoded in the strobe's cycle ----
        self.wr_hit.next = false;
        for i in 0..N_RW {
            if self.mmio_addr.val() == self.rw_off[i].val() {
                self.wr_hit.next = true;
                if self.mmio_write.val() {
                    self.rw[i].d.next = self.mmio_wdata.val() & self.rw_mask[i].val();
                }
            }
        }
        if self.mmio_addr.val() == self.a_send.val() {
            self.wr_hit.next = true;
        }
        for q in 0..QUEUES {
            self.queues[q].clock.next = self.clock.val();
            self.queues[q].wr_addr.next = self.mmio_addr.val();
            self.queues[q].wr_data.next = self.mmio_wdata.val();
            self.queues[q].wr_strobe.next = self.mmio_write.val();
            self.queues[q].rd_addr.next = self.rd_addr.q.val();
            self.queues[q].soft_reset.next = self.soft_reset_r.q.val();
            self.queues[q].irq_fired.next = self.q_irq_fired[q].val();
            self.queues[q].fill.next = self.q_fill[q].val();
            self.queues[q].full.next = self.q_full[q].val();
            self.queues[q].produced.next = self.q_produced[q].val();
            self.queues[q].overflow.next = self.q_overflow[q].val();
            self.ring_base[q].next = self.queues[q].ring_base.val();
            self.ring_log2[q].next = self.queues[q].ring_log2.val();
            self.ring_reset[q].next = self.queues[q].ring_reset.val();
            self.q_enable[q].next = self.queues[q].enable.val();
            self.q_irq_enable[q].next = self.queues[q].irq_enable.val();
            self.q_irq_armed[q].next = self.queues[q].irq_armed.val();
            self.db_valid[q].next = self.queues[q].db_valid.val();
            if self.queues[q].wr_hit.val() {
                self.wr_hit.next = true;
            }
        }
        self.reg_drop.d.next = self.mmio_write.val() && !self.wr_hit.val();
        self.soft_reset_r.d.next = self.mmio_write.val()
            && (self.mmio_addr.val() == self.a_control.val())
            && self
                .mmio_wdata
                .val()
                .get_bit(self.bit_soft_reset.val().index());
        if self.mmio_write.val() {
            self.db_data_r.d.next = self.mmio_wdata.val();
            self.db_ok_r.d.next = !(self.mmio_wdata.val() & self.db_reserved.val()).any()
                && (self.mmio_wdata.val().get_bits::<24>(0) != self.db_zero_count.val());
        }
        // ---- Statistics ----
        for k in 0..NSTAT {
            self.stats[k].clock.next = self.clock.val();
            self.stats[k].inc.next = self.stat_inc[k].val();
            self.stats[k].extra.next = self.stat_counted_here[k].val() && self.reg_drop.q.val();
            self.stats[k].clear.next = self.soft_reset_r.q.val();
        }
        // ---- Configuration outputs ----
        self.node_id.next = self.rw[0].q.val().get_bits::<8>(0);
        self.enable.next = self.rw[1].q.val().get_bit(self.bit_enable.val().index());
        self.plane_x_en.next = self.rw[1].q.val().get_bit(self.bit_plane_x.val().index());
        self.plane_y_en.next = self.rw[1].q.val().get_bit(self.bit_plane_y.val().index());
        self.prefer_y.next = self.rw[1].q.val().get_bit(self.bit_prefer_y.val().index());
        self.heartbeat_en.next = self.rw[1].q.val().get_bit(self.bit_heartbeat.val().index());
        self.soft_reset.next = self.soft_reset_r.q.val();
        self.heartbeat_period.next = self.rw[2].q.val().get_bits::<32>(0);
        self.liveness_misses.next = self.rw[3].q.val().get_bits::<4>(0);
        self.request_timeout.next = self.rw[4].q.val().get_bits::<32>(0);
        self.max_retries.next = self.rw[5].q.val().get_bits::<8>(0);
        self.mirror_addr.next = self.rw[6].q.val();
        self.lease_period.next = self.rw[11].q.val().get_bits::<32>(0);
        self.lease_hold.next = self.rw[12].q.val().get_bits::<32>(0);
        self.db_data.next = self.db_data_r.q.val();
        self.db_ok.next = self.db_ok_r.q.val();
        // ---- Management window ----
        self.send.next = self.mmio_write.val() && (self.mmio_addr.val() == self.a_send.val());
        if self.tx_valid.q.val() && self.mgmt_out.ready.val() {
            self.tx_valid.d.next = false;
        }
        if self.send.val() {
            self.tx_valid.d.next = true;
            self.tx.d.next.kind = self.rw[7]
                .q
                .val()
                .get_bits::<8>(self.off_kind.val().index());
            self.tx.d.next.dst = self.rw[7]
                .q
                .val()
                .get_bits::<8>(self.off_node.val().index());
            self.tx.d.next.reason = self.rw[7]
                .q
                .val()
                .get_bits::<8>(self.off_reason.val().index());
            self.tx.d.next.epoch = self.rw[7]
                .q
                .val()
                .get_bits::<32>(self.off_epoch.val().index());
            self.tx.d.next.count = self.rw[8]
                .q
                .val()
                .get_bits::<32>(self.off_count.val().index());
            self.tx.d.next.tag = self.rw[8]
                .q
                .val()
                .get_bits::<16>(self.off_tag.val().index());
            self.tx.d.next.value = self.rw[9].q.val();
            self.tx.d.next.aux = self.rw[10].q.val();
            self.tx.d.next.src = self.rw[0].q.val().get_bits::<8>(0);
            self.tx.d.next.origin = self.rw[0].q.val().get_bits::<8>(0);
        }
        self.mgmt_out.data.next = self.tx.q.val();
        self.mgmt_out.valid.next = self.tx_valid.q.val();
        if self.mgmt_in.valid.val() {
            self.rx.d.next = self.mgmt_in.data.val();
            self.rx_seq.d.next = (self.rx_seq.q.val() + self.one64.val()) & self.wrap32.val();
        }
        self.unused_rx_fields.next = self.rx.q.val();
        self.unused_status_lease.next =
            self.status.val().quorum.any() | self.status.val().new_epoch;
        self.mgmt_in.ready.next = true;
        // ---- Read-only words ----
        self.w_status.next = self.zero_status.val();
        self.w_status.next.link_x = self.link_x.val();
        self.w_status.next.link_y = self.link_y.val();
        self.w_status.next.primary = self.status.val().is_primary;
        self.w_status.next.secondary = self.status.val().is_secondary;
        self.w_status.next.configured = self.status.val().configured;
        self.w_status.next.lease = self.lease.val().any();
        self.w_epoch.narrow.next = self.status.val().epoch;
        self.w_primary.narrow.next = self.status.val().primary_id;
        self.w_secondary.narrow.next = self.status.val().secondary_id;
        self.w_rx_header.next = self.zero_header.val();
        self.w_rx_header.next.kind = self.rx.q.val().kind;
        self.w_rx_header.next.node = self.rx.q.val().src;
        self.w_rx_header.next.reason = self.rx.q.val().reason;
        self.w_rx_header.next.epoch = self.rx.q.val().epoch;
        self.w_rx_count.narrow.next = self.rx.q.val().count;
        self.ro_word[0].next = self.w_status.val().into();
        self.ro_word[1].next = self.w_epoch.wide.val();
        self.ro_word[2].next = self.w_primary.wide.val();
        self.ro_word[3].next = self.w_secondary.wide.val();
        self.ro_word[4].next = self.status.val().counter;
        self.ro_word[5].next = self.status.val().limit;
        self.ro_word[6].next = self.status.val().stored;
        self.ro_word[7].next = self.live_x.val();
        self.ro_word[8].next = self.live_y.val();
        self.ro_word[9].next = self.w_rx_header.val().into();
        self.ro_word[10].next = self.w_rx_count.wide.val();
        self.ro_word[11].next = self.rx.q.val().value;
        self.ro_word[12].next = self.rx.q.val().aux;
        self.ro_word[13].next = self.rx.q.val().extra;
        self.ro_word[14].next = self.rx_seq.q.val();
        self.w_lease.narrow.next = self.lease.val();
        self.w_hold.narrow.next = self.hold_left.val();
        self.ro_word[15].next = self.w_lease.wide.val();
        self.ro_word[16].next = self.w_hold.wide.val();
        self.ro_word[17].next = self.support.val();
        // ---- Reads: stage 1 latches the offset, stage 2 selects the word ----
        self.rd_pending.d.next = self.mmio_read.val();
        if self.mmio_read.val() {
            self.rd_addr.d.next = self.mmio_addr.val();
        }
        for i in 0..N_CONST {
            self.hit_const[i].clock.next = self.clock.val();
            self.hit_const[i].d.next = self.mmio_addr.val() == self.const_off[i].val();
        }
        for i in 0..N_RW {
            self.hit_rw[i].clock.next = self.clock.val();
            self.hit_rw[i].d.next = self.mmio_addr.val() == self.rw_off[i].val();
        }
        for i in 0..N_RO {
            self.hit_ro[i].clock.next = self.clock.val();
            self.hit_ro[i].d.next = self.mmio_addr.val() == self.ro_off[i].val();
        }
        for k in 0..NSTAT {
            self.hit_stat[k].clock.next = self.clock.val();
            self.hit_stat[k].d.next = self.mmio_addr.val() == self.stat_off[k].val();
        }
        self.rdata.d.next = self.zero64.val();
        for i in 0..N_CONST {
            if self.hit_const[i].q.val() {
                self.rdata.d.next = self.const_val[i].val();
            }
        }
        for i in 0..N_RW {
            if self.hit_rw[i].q.val() {
                self.rdata.d.next = self.rw[i].q.val();
            }
        }
        for i in 0..N_RO {
            if self.hit_ro[i].q.val() {
                self.rdata.d.next = self.ro_word[i].val();
            }
        }
        for k in 0..NSTAT {
            if self.hit_stat[k].q.val() {
                self.rdata.d.next = self.stats[k].word.val();
            }
        }
        for q in 0..QUEUES {
            if self.queues[q].rd_hit.val() {
                self.rdata.d.next = self.queues[q].rd_word.val();
            }
        }
        self.rvalid.d.next = self.rd_pending.q.val();
        self.mmio_rdata.next = self.rdata.q.val();
        self.mmio_rvalid.next = self.rvalid.q.val();
    }
}

#[cfg(test)]
mod tests;
