//! The stand-in boundary of the ECP5 board top: what sits where the hard IP would be that
//! the open flow does not have (a PCIe endpoint, and 100G-class MAC/PCS for the two
//! fabric planes). It drives every input of the card core's host port and both fabric
//! ports from a few pins and folds every core output onto a few pins, so that synthesis
//! keeps the whole core and place-and-route times the core's ports as if registered IP
//! sat behind them.
//!
//! Inputs: the UART RX pin shifted into a 512-bit register each cycle (every core input
//! bit is taken from a different stage or XOR of stages, so no two are provably equal and
//! none is constant), plus 8 control pins (valids, readies, link status). Outputs: XOR
//! folds of each core output group, two register stages deep, onto 8 pins and one serial
//! pin. It is not a host link or a fabric link (no request reaches the core through it);
//! what the build gets from it is the core's timing and size. The board report lists it
//! under `placed` and gives its size alone (`stand_in_boundary_cells`) so the core's
//! share can be read off. A board with the hard IP has bridges instead (the Alveo U250
//! top: `alveo::host_bridge`, `alveo::mac_bridge`).

use crate::xor_fold::XorFold;
use rust_hdl::prelude::*;
use seqfab_contract::limits::QUEUES;

#[derive(LogicBlock, Default)]
pub struct StandInBoundary {
    /// The card clock.
    pub clock: Signal<In, Clock>,
    /// Serial stimulus pin (asynchronous; synchronised here).
    pub serial_in: Signal<In, Bit>,
    /// Control pins (asynchronous; synchronised here): 0 RX valid X, 1 MMIO write,
    /// 2 MMIO read, 3 DMA ready, 4 TX ready X, 5 TX ready Y, 6 links up, 7 RX valid Y.
    pub ctrl: Signal<In, Bits<8>>,
    /// Folded core outputs: 0 MMIO read data, 1 DMA, 2 IRQ, 3 TX X data, 4 TX Y data,
    /// 5 TX X valid, 6 TX Y valid, 7 MMIO read valid.
    pub observe: Signal<Out, Bits<8>>,
    /// XOR of all of `observe`.
    pub serial_out: Signal<Out, Bit>,
    /// To the core: MMIO byte offset.
    pub mmio_addr: Signal<Out, Bits<32>>,
    /// To the core: MMIO write data.
    pub mmio_wdata: Signal<Out, Bits<64>>,
    /// To the core: MMIO write strobe.
    pub mmio_write: Signal<Out, Bit>,
    /// To the core: MMIO read strobe.
    pub mmio_read: Signal<Out, Bit>,
    /// From the core: MMIO read data.
    pub mmio_rdata: Signal<In, Bits<64>>,
    /// From the core: MMIO read data valid.
    pub mmio_rvalid: Signal<In, Bit>,
    /// From the core: DMA address.
    pub dma_addr: Signal<In, Bits<64>>,
    /// From the core: DMA data.
    pub dma_data: Signal<In, Bits<256>>,
    /// From the core: DMA valid.
    pub dma_valid: Signal<In, Bit>,
    /// To the core: DMA ready.
    pub dma_ready: Signal<Out, Bit>,
    /// From the core: interrupt pulses.
    pub irq: Signal<In, Bits<QUEUES>>,
    /// To the core: plane X receive beat.
    pub x_rx_data: Signal<Out, Bits<512>>,
    /// To the core: plane X receive valid.
    pub x_rx_valid: Signal<Out, Bit>,
    /// To the core: plane X receive last.
    pub x_rx_last: Signal<Out, Bit>,
    /// To the core: plane X receive byte count.
    pub x_rx_bytes: Signal<Out, Bits<7>>,
    /// From the core: plane X transmit beat.
    pub x_tx_data: Signal<In, Bits<512>>,
    /// From the core: plane X transmit valid.
    pub x_tx_valid: Signal<In, Bit>,
    /// From the core: plane X transmit last.
    pub x_tx_last: Signal<In, Bit>,
    /// From the core: plane X transmit byte count.
    pub x_tx_bytes: Signal<In, Bits<7>>,
    /// To the core: plane X transmit ready.
    pub x_tx_ready: Signal<Out, Bit>,
    /// To the core: plane X link up.
    pub x_link_up: Signal<Out, Bit>,
    /// To the core: plane Y receive beat.
    pub y_rx_data: Signal<Out, Bits<512>>,
    /// To the core: plane Y receive valid.
    pub y_rx_valid: Signal<Out, Bit>,
    /// To the core: plane Y receive last.
    pub y_rx_last: Signal<Out, Bit>,
    /// To the core: plane Y receive byte count.
    pub y_rx_bytes: Signal<Out, Bits<7>>,
    /// From the core: plane Y transmit beat.
    pub y_tx_data: Signal<In, Bits<512>>,
    /// From the core: plane Y transmit valid.
    pub y_tx_valid: Signal<In, Bit>,
    /// From the core: plane Y transmit last.
    pub y_tx_last: Signal<In, Bit>,
    /// From the core: plane Y transmit byte count.
    pub y_tx_bytes: Signal<In, Bits<7>>,
    /// To the core: plane Y transmit ready.
    pub y_tx_ready: Signal<Out, Bit>,
    /// To the core: plane Y link up.
    pub y_link_up: Signal<Out, Bit>,
    serial_s1: DFF<Bit>,
    serial_s2: DFF<Bit>,
    ctrl_s1: DFF<Bits<8>>,
    ctrl_s2: DFF<Bits<8>>,
    stim: DFF<Bits<512>>,
    fold_x: XorFold<512, 16, 32>,
    fold_y: XorFold<512, 16, 32>,
    x_valid_r: DFF<Bit>,
    y_valid_r: DFF<Bit>,
    write_r: DFF<Bit>,
    read_r: DFF<Bit>,
    fold_dma: XorFold<256, 16, 16>,
    part_dma: DFF<Bits<16>>,
    dma_addr_x: DFF<Bit>,
    part_x: DFF<Bits<32>>,
    part_y: DFF<Bits<32>>,
    obs: DFF<Bits<8>>,
    out_bit: DFF<Bit>,
}

impl Logic for StandInBoundary {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, serial_s1, serial_s2, ctrl_s1, ctrl_s2, stim, x_valid_r, y_valid_r,
            write_r, read_r, part_dma, dma_addr_x, part_x, part_y, obs, out_bit
        );
        // Two-flop synchronisers for the asynchronous pins.
        self.serial_s1.d.next = self.serial_in.val();
        self.serial_s2.d.next = self.serial_s1.q.val();
        self.ctrl_s1.d.next = self.ctrl.val();
        self.ctrl_s2.d.next = self.ctrl_s1.q.val();
        // The stimulus shift register.
        self.stim.d.next =
            (self.stim.q.val() << 1) | bit_cast::<512, 1>(self.serial_s2.q.val().into());
        // Core inputs, each from its own stages of the register.
        self.x_rx_data.next = self.stim.q.val();
        // Plane Y sees the register XORed with itself rotated: taken plainly (or only
        // rotated), its first register stage would be the same flip-flops as plane X's,
        // which Yosys merges, doubling their fanout (a path neither real MAC would have).
        self.y_rx_data.next =
            self.stim.q.val() ^ ((self.stim.q.val() << 256) | (self.stim.q.val() >> 256));
        // Valids and strobes leave from registers, as they would from real IP.
        self.x_valid_r.d.next = self.ctrl_s2.q.val().get_bit(0) & self.stim.q.val().get_bit(1);
        self.y_valid_r.d.next = self.ctrl_s2.q.val().get_bit(7) & self.stim.q.val().get_bit(2);
        self.write_r.d.next = self.ctrl_s2.q.val().get_bit(1) & self.stim.q.val().get_bit(115);
        self.read_r.d.next = self.ctrl_s2.q.val().get_bit(2) & self.stim.q.val().get_bit(116);
        self.x_rx_valid.next = self.x_valid_r.q.val();
        self.y_rx_valid.next = self.y_valid_r.q.val();
        self.mmio_write.next = self.write_r.q.val();
        self.mmio_read.next = self.read_r.q.val();
        self.x_rx_last.next = self.stim.q.val().get_bit(3);
        self.y_rx_last.next = self.stim.q.val().get_bit(4);
        self.x_rx_bytes.next = self.stim.q.val().get_bits::<7>(5);
        self.y_rx_bytes.next = self.stim.q.val().get_bits::<7>(12);
        self.mmio_addr.next = self.stim.q.val().get_bits::<32>(19);
        self.mmio_wdata.next = self.stim.q.val().get_bits::<64>(51);
        self.dma_ready.next = self.ctrl_s2.q.val().get_bit(3);
        self.x_tx_ready.next = self.ctrl_s2.q.val().get_bit(4);
        self.y_tx_ready.next = self.ctrl_s2.q.val().get_bit(5);
        self.x_link_up.next = self.ctrl_s2.q.val().get_bit(6);
        self.y_link_up.next = self.ctrl_s2.q.val().get_bit(6);
        // Core outputs folded: wide groups in two register stages, narrow ones in one.
        self.fold_x.data_in.next = self.x_tx_data.val();
        self.fold_y.data_in.next = self.y_tx_data.val();
        self.fold_dma.data_in.next = self.dma_data.val();
        self.part_dma.d.next = self.fold_dma.out.val();
        self.dma_addr_x.d.next = self.dma_addr.val().xor() ^ self.dma_valid.val();
        self.part_x.d.next = self.fold_x.out.val();
        self.part_y.d.next = self.fold_y.out.val();
        self.obs.d.next = bit_cast::<8, 1>(self.mmio_rdata.val().xor().into())
            | (bit_cast::<8, 1>((self.part_dma.q.val().xor() ^ self.dma_addr_x.q.val()).into())
                << 1)
            | (bit_cast::<8, 1>(self.irq.val().xor().into()) << 2)
            | (bit_cast::<8, 1>(
                (self.part_x.q.val().xor() ^ self.x_tx_bytes.val().xor() ^ self.x_tx_last.val())
                    .into(),
            ) << 3)
            | (bit_cast::<8, 1>(
                (self.part_y.q.val().xor() ^ self.y_tx_bytes.val().xor() ^ self.y_tx_last.val())
                    .into(),
            ) << 4)
            | (bit_cast::<8, 1>(self.x_tx_valid.val().into()) << 5)
            | (bit_cast::<8, 1>(self.y_tx_valid.val().into()) << 6)
            | (bit_cast::<8, 1>(self.mmio_rvalid.val().into()) << 7);
        self.observe.next = self.obs.q.val();
        self.out_bit.d.next = self.obs.q.val().xor();
        self.serial_out.next = self.out_bit.q.val();
    }
}
