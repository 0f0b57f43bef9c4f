//! One queue's registers: its block at `regs::queue_reg(q, ..)` and its doorbell page.
//!
//! The register file holds one of these per queue. Decoding lives here, next to the
//! registers, so the queue count is a contract constant and not a pattern in the code.
//! Writes are decoded in the cycle of the MMIO strobe; reads are answered from the
//! register file's stage-1 address (see [`super::RegFile`] for the read pipeline).

use super::words::{flag_bit, QueueStatusWord};
use crate::widgets::ZeroExtend;
use rust_hdl::prelude::*;
use seqfab_contract::regs::{self, QueueControl};

/// One queue's registers and doorbell (offsets, widths, reset values and bits from the
/// contract).
#[derive(LogicBlock)]
pub struct QueueRegs {
    pub clock: Signal<In, Clock>,
    /// BAR0 byte offset of this cycle's MMIO access (write decode).
    pub wr_addr: Signal<In, Bits<32>>,
    /// Data of this cycle's MMIO write.
    pub wr_data: Signal<In, Bits<64>>,
    /// An MMIO write happens this cycle.
    pub wr_strobe: Signal<In, bool>,
    /// `wr_addr` is a writable register of this queue or its doorbell (so a write there is
    /// not a dropped write).
    pub wr_hit: Signal<Out, bool>,
    /// Offset of the read the register file answers this cycle (its stage-1 address).
    pub rd_addr: Signal<In, Bits<32>>,
    /// `rd_addr` is one of this queue's readable registers.
    pub rd_hit: Signal<Out, bool>,
    /// The register word at `rd_addr` (valid with `rd_hit`).
    pub rd_word: Signal<Out, Bits<64>>,
    /// Soft reset pulse: zeroes `Q_OVERFLOWS` (configuration is kept).
    pub soft_reset: Signal<In, bool>,
    /// `Q_RING_BASE`.
    pub ring_base: Signal<Out, Bits<64>>,
    /// `Q_RING_LOG2`.
    pub ring_log2: Signal<Out, Bits<4>>,
    /// One-cycle pulse after `Q_RING_LOG2` was written (together with its new value):
    /// restarts the ring's producer index and phase.
    pub ring_reset: Signal<Out, bool>,
    /// `Q_CONTROL.ENABLE`.
    pub enable: Signal<Out, bool>,
    /// `Q_CONTROL.IRQ_ENABLE`.
    pub irq_enable: Signal<Out, bool>,
    /// `Q_CONTROL.IRQ_ARM`.
    pub irq_armed: Signal<Out, bool>,
    /// The queue's interrupt fired: clears `IRQ_ARM` (a host write in the same cycle wins,
    /// so a re-arm is never lost).
    pub irq_fired: Signal<In, bool>,
    /// FIFO level, for `Q_STATUS`.
    pub fill: Signal<In, Bits<16>>,
    /// FIFO full, for `Q_STATUS`.
    pub full: Signal<In, bool>,
    /// Producer index, for `Q_STATUS`.
    pub produced: Signal<In, Bits<32>>,
    /// A doorbell was dropped because the FIFO was full: counts in `Q_OVERFLOWS`.
    pub overflow: Signal<In, bool>,
    /// One-cycle pulse: the doorbell word was written (the data is the register file's
    /// `db_data`).
    pub db_valid: Signal<Out, bool>,
    base: DFFWithInit<Bits<64>>,
    log2: DFFWithInit<Bits<64>>,
    control: DFFWithInit<Bits<64>>,
    overflows: DFF<Bits<32>>,
    ring_reset_r: DFF<bool>,
    db_valid_r: DFF<bool>,
    w_status: Signal<Local, QueueStatusWord>,
    w_overflows: ZeroExtend<32, 64>,
    a_base: Constant<Bits<32>>,
    a_log2: Constant<Bits<32>>,
    a_control: Constant<Bits<32>>,
    a_status: Constant<Bits<32>>,
    a_overflows: Constant<Bits<32>>,
    a_doorbell: Constant<Bits<32>>,
    mask_base: Constant<Bits<64>>,
    mask_log2: Constant<Bits<64>>,
    mask_control: Constant<Bits<64>>,
    disarm: Constant<Bits<64>>,
    bit_enable: Constant<Bits<6>>,
    bit_irq_enable: Constant<Bits<6>>,
    bit_irq_arm: Constant<Bits<6>>,
    zero_status: Constant<QueueStatusWord>,
    zero_word: Constant<Bits<64>>,
    zero_count: Constant<Bits<32>>,
    one: Constant<Bits<32>>,
}

fn width_mask(width: u32) -> u64 {
    if width >= 64 {
        u64::MAX
    } else {
        (1 << width) - 1
    }
}

fn find(reg: u32) -> &'static regs::Register {
    regs::QUEUE_REGISTERS
        .iter()
        .find(|r| r.offset == reg)
        .expect("queue register in the contract")
}

impl QueueRegs {
    /// The registers of queue `q`.
    pub fn new(q: usize) -> Self {
        assert!(
            q < seqfab_contract::limits::QUEUES,
            "queue {q} out of range"
        );
        let off = |reg: u32| -> Constant<Bits<32>> {
            Constant::new((regs::queue_reg(q, reg) as u64).into())
        };
        let init = |reg: u32| DFFWithInit::new(find(reg).reset.into());
        let mask = |reg: u32| Constant::new(width_mask(find(reg).width).into());
        let bit = |f: QueueControl| Constant::new((flag_bit(f.bits()) as u64).into());
        assert_eq!(find(regs::Q_RING_LOG2).width, 4, "ring_log2 port is 4 bits");
        assert_eq!(find(regs::Q_OVERFLOWS).reset, 0);
        Self {
            clock: Default::default(),
            wr_addr: Default::default(),
            wr_data: Default::default(),
            wr_strobe: Default::default(),
            wr_hit: Default::default(),
            rd_addr: Default::default(),
            rd_hit: Default::default(),
            rd_word: Default::default(),
            soft_reset: Default::default(),
            ring_base: Default::default(),
            ring_log2: Default::default(),
            ring_reset: Default::default(),
            enable: Default::default(),
            irq_enable: Default::default(),
            irq_armed: Default::default(),
            irq_fired: Default::default(),
            fill: Default::default(),
            full: Default::default(),
            produced: Default::default(),
            overflow: Default::default(),
            db_valid: Default::default(),
            base: init(regs::Q_RING_BASE),
            log2: init(regs::Q_RING_LOG2),
            control: init(regs::Q_CONTROL),
            overflows: Default::default(),
            ring_reset_r: Default::default(),
            db_valid_r: Default::default(),
            w_status: Default::default(),
            w_overflows: Default::default(),
            a_base: off(regs::Q_RING_BASE),
            a_log2: off(regs::Q_RING_LOG2),
            a_control: off(regs::Q_CONTROL),
            a_status: off(regs::Q_STATUS),
            a_overflows: off(regs::Q_OVERFLOWS),
            a_doorbell: Constant::new((regs::doorbell(q) as u64).into()),
            mask_base: mask(regs::Q_RING_BASE),
            mask_log2: mask(regs::Q_RING_LOG2),
            mask_control: mask(regs::Q_CONTROL),
            disarm: Constant::new((!QueueControl::IRQ_ARM.bits()).into()),
            bit_enable: bit(QueueControl::ENABLE),
            bit_irq_enable: bit(QueueControl::IRQ_ENABLE),
            bit_irq_arm: bit(QueueControl::IRQ_ARM),
            zero_status: Constant::new(QueueStatusWord::default()),
            zero_word: Constant::new(0u64.into()),
            zero_count: Constant::new(0u64.into()),
            one: Constant::new(1u64.into()),
        }
    }
}

impl Logic for QueueRegs {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, overflows, ring_reset_r, db_valid_r);
        self.base.clock.next = self.clock.val();
        self.log2.clock.next = self.clock.val();
        self.control.clock.next = self.clock.val();
        self.base.d.next = self.base.q.val();
        self.log2.d.next = self.log2.q.val();
        self.control.d.next = self.control.q.val();
        // Writes, in the strobe's cycle.
        if self.irq_fired.val() {
            self.control.d.next = self.control.q.val() & self.disarm.val();
        }
        if self.wr_strobe.val() && (self.wr_addr.val() == self.a_base.val()) {
            self.base.d.next = self.wr_data.val() & self.mask_base.val();
        }
        if self.wr_strobe.val() && (self.wr_addr.val() == self.a_log2.val()) {
            self.log2.d.next = self.wr_data.val() & self.mask_log2.val();
        }
        if self.wr_strobe.val() && (self.wr_addr.val() == self.a_control.val()) {
            self.control.d.next = self.wr_data.val() & self.mask_control.val();
        }
        self.ring_reset_r.d.next =
            self.wr_strobe.val() && (self.wr_addr.val() == self.a_log2.val());
        self.db_valid_r.d.next =
            self.wr_strobe.val() && (self.wr_addr.val() == self.a_doorbell.val());
        self.wr_hit.next = (self.wr_addr.val() == self.a_base.val())
            || (self.wr_addr.val() == self.a_log2.val())
            || (self.wr_addr.val() == self.a_control.val())
            || (self.wr_addr.val() == self.a_doorbell.val());
        if self.overflow.val() {
            self.overflows.d.next = self.overflows.q.val() + self.one.val();
        }
        if self.soft_reset.val() {
            self.overflows.d.next = self.zero_count.val();
        }
        // Outputs.
        self.ring_base.next = self.base.q.val();
        self.ring_log2.next = self.log2.q.val().get_bits::<4>(0);
        self.ring_reset.next = self.ring_reset_r.q.val();
        self.enable.next = self.control.q.val().get_bit(self.bit_enable.val().index());
        self.irq_enable.next = self
            .control
            .q
            .val()
            .get_bit(self.bit_irq_enable.val().index());
        self.irq_armed.next = self.control.q.val().get_bit(self.bit_irq_arm.val().index());
        self.db_valid.next = self.db_valid_r.q.val();
        // Reads, from the register file's stage-1 address.
        self.w_status.next = self.zero_status.val();
        self.w_status.next.fill = self.fill.val();
        self.w_status.next.full = self.full.val();
        self.w_status.next.produced = self.produced.val();
        self.w_overflows.narrow.next = self.overflows.q.val();
        self.rd_hit.next = true;
        if self.rd_addr.val() == self.a_base.val() {
            self.rd_word.next = self.base.q.val();
        } else if self.rd_addr.val() == self.a_log2.val() {
            self.rd_word.next = self.log2.q.val();
        } else if self.rd_addr.val() == self.a_control.val() {
            self.rd_word.next = self.control.q.val();
        } else if self.rd_addr.val() == self.a_status.val() {
            self.rd_word.next = self.w_status.val().into();
        } else if self.rd_addr.val() == self.a_overflows.val() {
            self.rd_word.next = self.w_overflows.wide.val();
        } else {
            self.rd_hit.next = false;
            self.rd_word.next = self.zero_word.val();
        }
    }
}

#[cfg(test)]
mod tests;
