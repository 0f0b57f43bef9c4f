//! The stand-in card core: the card core's ports (docs/gateware.md: host port and two
//! fabric ports), with logic of the same kind and rough size as the card's datapath, so
//! that the board flows can be built, timed and measured before the real core exists.
//!
//! It is not seqfab: it has no roles, epochs, queues or rings. What it does have is the
//! card's critical kinds of logic: an FCS check per plane over 480 bits (the fabric
//! receive path), a 64-bit counter advanced by frames and doorbells (the primary), an
//! answer per good frame with its FCS patched (the transmit path), an MMIO register file
//! with the contract's ID block, a state-mirror DMA write and per-queue interrupts.

use super::plane::StandInPlane;
use rust_hdl::prelude::*;
use seqfab_contract::limits::QUEUES;
use seqfab_contract::regs;

// The read mux matches register indices (offset / 8) as literals, since `#[hdl_gen]`
// turns a named constant into an undeclared Verilog identifier; these tie them to the map.
const _: () = assert!(
    regs::ID_MAGIC / 8 == 0
        && regs::ID_VERSION / 8 == 1
        && regs::CAPABILITIES / 8 == 2
        && regs::BUILD_ID / 8 == 3
        && regs::CONTROL / 8 == 5
        && regs::MIRROR_ADDR / 8 == 11
        && regs::COUNTER / 8 == 19
        && regs::STAT_DOORBELLS / 8 == 64
        && regs::STAT_REQ_ACCEPTED / 8 == 67
        && regs::STAT_FWD_STORED / 8 == 68
        && regs::STAT_NACK_TX / 8 == 70
        && regs::STAT_DROP_FCS / 8 == 74
        && regs::DOORBELL_BASE == 0x1_0000
);

#[derive(LogicBlock)]
pub struct StandInCore {
    /// The card clock (nominal 250 MHz, DESIGN.md section 8).
    pub clock: Signal<In, Clock>,
    /// MMIO byte offset in BAR0.
    pub mmio_addr: Signal<In, Bits<32>>,
    /// MMIO write data.
    pub mmio_wdata: Signal<In, Bits<64>>,
    /// MMIO write strobe (posted, always accepted).
    pub mmio_write: Signal<In, Bit>,
    /// MMIO read strobe.
    pub mmio_read: Signal<In, Bit>,
    /// MMIO read data, valid with `mmio_rvalid`.
    pub mmio_rdata: Signal<Out, Bits<64>>,
    /// Exactly 2 cycles after `mmio_read`.
    pub mmio_rvalid: Signal<Out, Bit>,
    /// DMA write address in host memory.
    pub dma_addr: Signal<Out, Bits<64>>,
    /// DMA write data (one 32-byte TLP).
    pub dma_data: Signal<Out, Bits<256>>,
    /// A DMA write is offered.
    pub dma_valid: Signal<Out, Bit>,
    /// The host port takes the DMA write.
    pub dma_ready: Signal<In, Bit>,
    /// One-cycle interrupt pulse per queue.
    pub irq: Signal<Out, Bits<QUEUES>>,
    /// Plane X receive beat.
    pub x_rx_data: Signal<In, Bits<512>>,
    /// Plane X receive beat present.
    pub x_rx_valid: Signal<In, Bit>,
    /// Plane X last beat of a frame.
    pub x_rx_last: Signal<In, Bit>,
    /// Plane X valid bytes in the beat.
    pub x_rx_bytes: Signal<In, Bits<7>>,
    /// Plane X transmit beat.
    pub x_tx_data: Signal<Out, Bits<512>>,
    /// Plane X transmit beat offered.
    pub x_tx_valid: Signal<Out, Bit>,
    /// Plane X last beat of a frame.
    pub x_tx_last: Signal<Out, Bit>,
    /// Plane X valid bytes in the beat.
    pub x_tx_bytes: Signal<Out, Bits<7>>,
    /// Plane X MAC takes the beat.
    pub x_tx_ready: Signal<In, Bit>,
    /// Plane X link up.
    pub x_link_up: Signal<In, Bit>,
    /// Plane Y receive beat.
    pub y_rx_data: Signal<In, Bits<512>>,
    /// Plane Y receive beat present.
    pub y_rx_valid: Signal<In, Bit>,
    /// Plane Y last beat of a frame.
    pub y_rx_last: Signal<In, Bit>,
    /// Plane Y valid bytes in the beat.
    pub y_rx_bytes: Signal<In, Bits<7>>,
    /// Plane Y transmit beat.
    pub y_tx_data: Signal<Out, Bits<512>>,
    /// Plane Y transmit beat offered.
    pub y_tx_valid: Signal<Out, Bit>,
    /// Plane Y last beat of a frame.
    pub y_tx_last: Signal<Out, Bit>,
    /// Plane Y valid bytes in the beat.
    pub y_tx_bytes: Signal<Out, Bits<7>>,
    /// Plane Y MAC takes the beat.
    pub y_tx_ready: Signal<In, Bit>,
    /// Plane Y link up.
    pub y_link_up: Signal<In, Bit>,
    px: StandInPlane,
    py: StandInPlane,
    counter: DFF<Bits<64>>,
    sum_xy: DFF<Bits<64>>,
    db_count: DFF<Bits<64>>,
    db_count2: DFF<Bits<64>>,
    add: DFF<Bits<64>>,
    mirror_addr: DFF<Bits<64>>,
    control: DFF<Bits<64>>,
    rd_pending: DFF<Bit>,
    rd_code: DFF<Bits<4>>,
    rdata: DFF<Bits<64>>,
    rvalid: DFF<Bit>,
    stat_doorbells: DFF<Bits<32>>,
    stat_good_x: DFF<Bits<32>>,
    stat_good_y: DFF<Bits<32>>,
    stat_bad: DFF<Bits<32>>,
    stat_tx_drop: DFF<Bits<32>>,
    dirty: DFF<Bit>,
    dma_pending: DFF<Bit>,
    mirror_on: DFF<Bit>,
    dma_addr_r: DFF<Bits<64>>,
    dma_data_r: DFF<Bits<256>>,
    irq_r: DFF<Bits<QUEUES>>,
    zero64: Constant<Bits<64>>,
    codes: [Constant<Bits<4>>; 13],
    one32: Constant<Bits<32>>,
    one_irq: Constant<Bits<QUEUES>>,
    no_irq: Constant<Bits<QUEUES>>,
    count_mask: Constant<Bits<64>>,
    i_control: Constant<Bits<9>>,
    i_mirror: Constant<Bits<9>>,
    v_magic: Constant<Bits<64>>,
    v_version: Constant<Bits<64>>,
    v_caps: Constant<Bits<64>>,
    v_build: Constant<Bits<64>>,
    sh64: Constant<Bits<9>>,
    sh128: Constant<Bits<9>>,
    sh160: Constant<Bits<9>>,
    sh192: Constant<Bits<9>>,
    sh224: Constant<Bits<9>>,
}

impl Default for StandInCore {
    fn default() -> Self {
        let a = |off: u32| Constant::new((off as u64).into());
        let sh = |n: u64| Constant::new(n.into());
        Self {
            clock: Default::default(),
            mmio_addr: Default::default(),
            mmio_wdata: Default::default(),
            mmio_write: Default::default(),
            mmio_read: Default::default(),
            mmio_rdata: Default::default(),
            mmio_rvalid: Default::default(),
            dma_addr: Default::default(),
            dma_data: Default::default(),
            dma_valid: Default::default(),
            dma_ready: Default::default(),
            irq: Default::default(),
            x_rx_data: Default::default(),
            x_rx_valid: Default::default(),
            x_rx_last: Default::default(),
            x_rx_bytes: Default::default(),
            x_tx_data: Default::default(),
            x_tx_valid: Default::default(),
            x_tx_last: Default::default(),
            x_tx_bytes: Default::default(),
            x_tx_ready: Default::default(),
            x_link_up: Default::default(),
            y_rx_data: Default::default(),
            y_rx_valid: Default::default(),
            y_rx_last: Default::default(),
            y_rx_bytes: Default::default(),
            y_tx_data: Default::default(),
            y_tx_valid: Default::default(),
            y_tx_last: Default::default(),
            y_tx_bytes: Default::default(),
            y_tx_ready: Default::default(),
            y_link_up: Default::default(),
            px: Default::default(),
            py: Default::default(),
            counter: Default::default(),
            sum_xy: Default::default(),
            db_count: Default::default(),
            db_count2: Default::default(),
            add: Default::default(),
            mirror_addr: Default::default(),
            control: Default::default(),
            rd_pending: Default::default(),
            rd_code: Default::default(),
            rdata: Default::default(),
            rvalid: Default::default(),
            stat_doorbells: Default::default(),
            stat_good_x: Default::default(),
            stat_good_y: Default::default(),
            stat_bad: Default::default(),
            stat_tx_drop: Default::default(),
            dirty: Default::default(),
            dma_pending: Default::default(),
            mirror_on: Default::default(),
            dma_addr_r: Default::default(),
            dma_data_r: Default::default(),
            irq_r: Default::default(),
            zero64: Constant::new(0u64.into()),
            codes: std::array::from_fn(|i| Constant::new((i as u64).into())),
            one32: Constant::new(1u64.into()),
            one_irq: Constant::new(1u64.into()),
            no_irq: Constant::new(0u64.into()),
            count_mask: Constant::new(0xFF_FFFFu64.into()),
            i_control: a(regs::CONTROL / 8),
            i_mirror: a(regs::MIRROR_ADDR / 8),
            v_magic: Constant::new(seqfab_contract::MAGIC.into()),
            v_version: Constant::new(seqfab_contract::VERSION_WORD.into()),
            v_caps: Constant::new(regs::CAPABILITIES_WORD.into()),
            v_build: Constant::new(regs::CONTRACT_HASH.into()),
            sh64: sh(64),
            sh128: sh(128),
            sh160: sh(160),
            sh192: sh(192),
            sh224: sh(224),
        }
    }
}

impl Logic for StandInCore {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            counter,
            sum_xy,
            db_count,
            db_count2,
            add,
            mirror_addr,
            control,
            rd_pending,
            rd_code,
            rdata,
            rvalid,
            stat_doorbells,
            stat_good_x,
            stat_good_y,
            stat_bad,
            stat_tx_drop,
            dirty,
            dma_pending,
            mirror_on,
            dma_addr_r,
            dma_data_r,
            irq_r
        );
        // Fabric planes.
        self.px.clock.next = self.clock.val();
        self.px.rx_data.next = self.x_rx_data.val();
        self.px.rx_valid.next = self.x_rx_valid.val();
        self.px.rx_last.next = self.x_rx_last.val();
        self.px.rx_bytes.next = self.x_rx_bytes.val();
        self.px.link_up.next = self.x_link_up.val();
        self.px.tx_ready.next = self.x_tx_ready.val();
        self.px.value.next = self.counter.q.val();
        self.x_tx_data.next = self.px.tx_data.val();
        self.x_tx_valid.next = self.px.tx_valid.val();
        self.x_tx_last.next = self.px.tx_last.val();
        self.x_tx_bytes.next = self.px.tx_bytes.val();
        self.py.clock.next = self.clock.val();
        self.py.rx_data.next = self.y_rx_data.val();
        self.py.rx_valid.next = self.y_rx_valid.val();
        self.py.rx_last.next = self.y_rx_last.val();
        self.py.rx_bytes.next = self.y_rx_bytes.val();
        self.py.link_up.next = self.y_link_up.val();
        self.py.tx_ready.next = self.y_tx_ready.val();
        self.py.value.next = self.counter.q.val();
        self.y_tx_data.next = self.py.tx_data.val();
        self.y_tx_valid.next = self.py.tx_valid.val();
        self.y_tx_last.next = self.py.tx_last.val();
        self.y_tx_bytes.next = self.py.tx_bytes.val();

        // The counter: good frames and doorbells ask for numbers; a two-stage adder tree
        // keeps each stage to one 64-bit carry chain.
        self.sum_xy.d.next = self.zero64.val();
        if self.px.good.val() & self.py.good.val() {
            self.sum_xy.d.next = bit_cast::<64, 32>(self.px.good_count.val())
                + bit_cast::<64, 32>(self.py.good_count.val());
        } else if self.px.good.val() {
            self.sum_xy.d.next = bit_cast::<64, 32>(self.px.good_count.val());
        } else if self.py.good.val() {
            self.sum_xy.d.next = bit_cast::<64, 32>(self.py.good_count.val());
        }
        self.db_count2.d.next = self.db_count.q.val();
        self.add.d.next = self.sum_xy.q.val() + self.db_count2.q.val();
        self.counter.d.next = self.counter.q.val() + self.add.q.val();
        if self.add.q.val().any() {
            self.dirty.d.next = true;
        }

        // MMIO writes: doorbell pages, MIRROR_ADDR, CONTROL (decoded on offset bits 11:3,
        // like reads below).
        self.db_count.d.next = self.zero64.val();
        if self.mmio_write.val() {
            // Doorbell pages start at DOORBELL_BASE = 0x1_0000 and run to the end of BAR0.
            if self.mmio_addr.val().get_bits::<16>(16).any() {
                self.db_count.d.next = self.mmio_wdata.val() & self.count_mask.val();
                self.stat_doorbells.d.next = self.stat_doorbells.q.val() + self.one32.val();
            } else if self.mmio_addr.val().get_bits::<9>(3) == self.i_mirror.val() {
                self.mirror_addr.d.next = self.mmio_wdata.val();
            } else if self.mmio_addr.val().get_bits::<9>(3) == self.i_control.val() {
                self.control.d.next = self.mmio_wdata.val();
            }
        }
        // MMIO reads: address registered, then the mux; data 2 cycles after the strobe.
        // MMIO reads, data exactly 2 cycles after the strobe. Cycle 1 decodes the offset to
        // a 4-bit register code, cycle 2 is a 16-way mux on it: Yosys turned a mux on the
        // 9-bit index into a 6-LUT-deep chain (189 MHz on the ECP5), the code into a tree.
        self.rd_pending.d.next = self.mmio_read.val();
        self.rvalid.d.next = self.rd_pending.q.val();
        // The stand-in decodes only offset bits 11:3, so its registers repeat every 4 KiB
        // (checking the upper 20 bits as well made this the 195 MHz path).
        match self.mmio_addr.val().get_bits::<9>(3).index() {
            0 => self.rd_code.d.next = self.codes[0].val(),
            1 => self.rd_code.d.next = self.codes[1].val(),
            2 => self.rd_code.d.next = self.codes[2].val(),
            3 => self.rd_code.d.next = self.codes[3].val(),
            5 => self.rd_code.d.next = self.codes[4].val(),
            11 => self.rd_code.d.next = self.codes[5].val(),
            19 => self.rd_code.d.next = self.codes[6].val(),
            64 => self.rd_code.d.next = self.codes[7].val(),
            67 => self.rd_code.d.next = self.codes[8].val(),
            68 => self.rd_code.d.next = self.codes[9].val(),
            70 => self.rd_code.d.next = self.codes[10].val(),
            74 => self.rd_code.d.next = self.codes[11].val(),
            _ => self.rd_code.d.next = self.codes[12].val(),
        }
        match self.rd_code.q.val().index() {
            0 => self.rdata.d.next = self.v_magic.val(),
            1 => self.rdata.d.next = self.v_version.val(),
            2 => self.rdata.d.next = self.v_caps.val(),
            3 => self.rdata.d.next = self.v_build.val(),
            4 => self.rdata.d.next = self.control.q.val(),
            5 => self.rdata.d.next = self.mirror_addr.q.val(),
            6 => self.rdata.d.next = self.counter.q.val(),
            7 => self.rdata.d.next = bit_cast::<64, 32>(self.stat_doorbells.q.val()),
            8 => self.rdata.d.next = bit_cast::<64, 32>(self.stat_good_x.q.val()),
            9 => self.rdata.d.next = bit_cast::<64, 32>(self.stat_good_y.q.val()),
            10 => self.rdata.d.next = bit_cast::<64, 32>(self.stat_tx_drop.q.val()),
            11 => self.rdata.d.next = bit_cast::<64, 32>(self.stat_bad.q.val()),
            _ => self.rdata.d.next = self.zero64.val(),
        }
        self.mmio_rdata.next = self.rdata.q.val();
        self.mmio_rvalid.next = self.rvalid.q.val();

        // Statistics.
        if self.px.good.val() {
            self.stat_good_x.d.next = self.stat_good_x.q.val() + self.one32.val();
        }
        if self.py.good.val() {
            self.stat_good_y.d.next = self.stat_good_y.q.val() + self.one32.val();
        }
        if self.px.bad.val() | self.py.bad.val() {
            self.stat_bad.d.next = self.stat_bad.q.val() + self.one32.val();
        }
        if self.px.tx_drop.val() | self.py.tx_drop.val() {
            self.stat_tx_drop.d.next = self.stat_tx_drop.q.val() + self.one32.val();
        }

        // State mirror: after the counter moved, one 32-byte write of the counter and the
        // statistics to MIRROR_ADDR (0: no mirror, as in the contract).
        if self.dma_pending.q.val() & self.dma_ready.val() {
            self.dma_pending.d.next = false;
        }
        // `mirror_on` is MIRROR_ADDR != 0, registered: the 64-input OR in front of the
        // 320-bit load enable was the 210 MHz path.
        self.mirror_on.d.next = self.mirror_addr.q.val().any();
        if self.dirty.q.val() & !self.dma_pending.q.val() & self.mirror_on.q.val() {
            self.dirty.d.next = false;
            self.dma_pending.d.next = true;
            self.dma_addr_r.d.next = self.mirror_addr.q.val();
            self.dma_data_r.d.next = bit_cast::<256, 64>(self.counter.q.val())
                | (bit_cast::<256, 32>(self.stat_doorbells.q.val()) << self.sh64.val())
                | (bit_cast::<256, 32>(self.stat_good_x.q.val()) << self.sh128.val())
                | (bit_cast::<256, 32>(self.stat_good_y.q.val()) << self.sh160.val())
                | (bit_cast::<256, 32>(self.stat_bad.q.val()) << self.sh192.val())
                | (bit_cast::<256, 32>(self.stat_tx_drop.q.val()) << self.sh224.val());
        }
        self.dma_addr.next = self.dma_addr_r.q.val();
        self.dma_data.next = self.dma_data_r.q.val();
        self.dma_valid.next = self.dma_pending.q.val();

        // Interrupts: the queue named by the low tag bits of each good frame.
        self.irq_r.d.next = self.no_irq.val();
        if self.px.good.val() & self.py.good.val() {
            self.irq_r.d.next = (self.one_irq.val() << self.px.good_tag.val().get_bits::<2>(0))
                | (self.one_irq.val() << self.py.good_tag.val().get_bits::<2>(0));
        } else if self.px.good.val() {
            self.irq_r.d.next = self.one_irq.val() << self.px.good_tag.val().get_bits::<2>(0);
        } else if self.py.good.val() {
            self.irq_r.d.next = self.one_irq.val() << self.py.good_tag.val().get_bits::<2>(0);
        }
        self.irq.next = self.irq_r.q.val();
    }
}
