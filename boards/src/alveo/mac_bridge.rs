//! One fabric port of the card on a CMAC's 512-bit AXI4-Stream interface (PG203), across
//! the clock crossing from the MAC's 322 MHz user clock to the 250 MHz card clock.
//!
//! RX cannot be back-pressured (Ethernet), so the receive FIFO must never fill: at
//! 100 Gb/s a 64-byte frame takes 84 byte times on the wire (preamble, SFD and the 12-byte
//! gap included), at most 148.8 M frames/s, and the card takes one beat per 250 MHz
//! cycle, so the FIFO drains faster than it can fill. TX honours `tready`.
//!
//! The CMAC must pass the FCS through in both directions (the card checks and writes it,
//! DESIGN.md section 3): see constraints/alveo-u250/build.tcl. Not verified here.

use super::keep::{BytesToKeep, KeepToBytes};
use rust_hdl::prelude::*;

/// One beat as it crosses the clock domains.
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct Beat {
    pub data: Bits<512>,
    pub bytes: Bits<7>,
    pub last: Bits<1>,
}

/// 16 beats: the clock crossing's pointer synchronisers take a few cycles per side.
type BeatFifo = AsynchronousFIFO<Beat, 4, 5, 1>;

#[derive(LogicBlock, Default)]
pub struct MacBridge {
    /// The card clock.
    pub core_clock: Signal<In, Clock>,
    /// The MAC user clock (`gt_txusrclk2`).
    pub mac_clock: Signal<In, Clock>,
    /// MAC receive stream.
    pub rx_axis_tvalid: Signal<In, Bit>,
    pub rx_axis_tdata: Signal<In, Bits<512>>,
    pub rx_axis_tlast: Signal<In, Bit>,
    pub rx_axis_tkeep: Signal<In, Bits<64>>,
    /// MAC transmit stream.
    pub tx_axis_tvalid: Signal<Out, Bit>,
    pub tx_axis_tdata: Signal<Out, Bits<512>>,
    pub tx_axis_tlast: Signal<Out, Bit>,
    pub tx_axis_tkeep: Signal<Out, Bits<64>>,
    pub tx_axis_tready: Signal<In, Bit>,
    /// MAC RX lanes aligned (MAC clock domain).
    pub rx_aligned: Signal<In, Bit>,
    /// To the core: receive beat.
    pub rx_data: Signal<Out, Bits<512>>,
    /// To the core: receive valid.
    pub rx_valid: Signal<Out, Bit>,
    /// To the core: receive last.
    pub rx_last: Signal<Out, Bit>,
    /// To the core: receive byte count.
    pub rx_bytes: Signal<Out, Bits<7>>,
    /// From the core: transmit beat.
    pub tx_data: Signal<In, Bits<512>>,
    /// From the core: transmit valid.
    pub tx_valid: Signal<In, Bit>,
    /// From the core: transmit last.
    pub tx_last: Signal<In, Bit>,
    /// From the core: transmit byte count.
    pub tx_bytes: Signal<In, Bits<7>>,
    /// To the core: transmit ready.
    pub tx_ready: Signal<Out, Bit>,
    /// To the core: link up (synchronised to the card clock).
    pub link_up: Signal<Out, Bit>,
    rx_fifo: BeatFifo,
    tx_fifo: BeatFifo,
    keep_in: KeepToBytes,
    keep_out: BytesToKeep,
    link_s1: DFF<Bit>,
    link_s2: DFF<Bit>,
}

impl Logic for MacBridge {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, core_clock, link_s1, link_s2);
        // Receive: MAC clock -> card clock.
        self.rx_fifo.write_clock.next = self.mac_clock.val();
        self.rx_fifo.read_clock.next = self.core_clock.val();
        self.keep_in.keep.next = self.rx_axis_tkeep.val();
        self.rx_fifo.data_in.next.data = self.rx_axis_tdata.val();
        self.rx_fifo.data_in.next.bytes = self.keep_in.bytes.val();
        self.rx_fifo.data_in.next.last = self.rx_axis_tlast.val().into();
        self.rx_fifo.write.next = self.rx_axis_tvalid.val();
        self.rx_valid.next = !self.rx_fifo.empty.val();
        self.rx_data.next = self.rx_fifo.data_out.val().data;
        self.rx_bytes.next = self.rx_fifo.data_out.val().bytes;
        self.rx_last.next = self.rx_fifo.data_out.val().last.any();
        self.rx_fifo.read.next = !self.rx_fifo.empty.val();
        // Transmit: card clock -> MAC clock.
        self.tx_fifo.write_clock.next = self.core_clock.val();
        self.tx_fifo.read_clock.next = self.mac_clock.val();
        self.tx_fifo.data_in.next.data = self.tx_data.val();
        self.tx_fifo.data_in.next.bytes = self.tx_bytes.val();
        self.tx_fifo.data_in.next.last = self.tx_last.val().into();
        self.tx_ready.next = !self.tx_fifo.full.val();
        self.tx_fifo.write.next = self.tx_valid.val() & !self.tx_fifo.full.val();
        self.tx_axis_tvalid.next = !self.tx_fifo.empty.val();
        self.tx_axis_tdata.next = self.tx_fifo.data_out.val().data;
        self.tx_axis_tlast.next = self.tx_fifo.data_out.val().last.any();
        self.keep_out.bytes.next = self.tx_fifo.data_out.val().bytes;
        self.tx_axis_tkeep.next = self.keep_out.keep.val();
        self.tx_fifo.read.next = !self.tx_fifo.empty.val() & self.tx_axis_tready.val();
        // Link status into the card clock domain.
        self.link_s1.d.next = self.rx_aligned.val();
        self.link_s2.d.next = self.link_s1.q.val();
        self.link_up.next = self.link_s2.q.val();
    }
}
