//! The card's host port on the XDMA bridge's AXI4 interfaces (PG195, AXI Bridge mode).
//!
//! - BAR0 writes (`M_AXI_B` AW+W, single beats) become `mmio_write` with the 64-bit lane
//!   that `awaddr[4:3]` selects; the B response follows at once (posted, like the PCIe
//!   memory write it came from).
//! - BAR0 reads (`M_AXI_B` AR) become `mmio_read`; the core's `mmio_rdata` comes back on R,
//!   copied into all four 64-bit lanes so that any lane the bridge picks is right.
//!   A write and a read in the same cycle: the write goes first, the read waits.
//! - `dma_*` become single-beat 32-byte writes on `S_AXI_B` (AW and W issued together,
//!   in order, one outstanding), which the bridge turns into posted PCIe memory writes.
//! - `irq` pulses are held on `usr_irq_req` until the bridge acknowledges the vector.
//!
//! Not verified in hardware or against the IP: it is part of the Vivado flow that this
//! project cannot run (constraints/alveo-u250/README.md).

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct AxiHostBridge {
    /// The card clock (the bridge's `axi_aclk`).
    pub clock: Signal<In, Clock>,
    /// BAR0 write address channel from the bridge.
    pub awid: Signal<In, Bits<4>>,
    pub awaddr: Signal<In, Bits<32>>,
    pub awvalid: Signal<In, Bit>,
    pub awready: Signal<Out, Bit>,
    /// BAR0 write data channel.
    pub wdata: Signal<In, Bits<256>>,
    pub wvalid: Signal<In, Bit>,
    pub wready: Signal<Out, Bit>,
    /// BAR0 write response channel.
    pub bid: Signal<Out, Bits<4>>,
    pub bvalid: Signal<Out, Bit>,
    pub bready: Signal<In, Bit>,
    /// BAR0 read address channel.
    pub arid: Signal<In, Bits<4>>,
    pub araddr: Signal<In, Bits<32>>,
    pub arvalid: Signal<In, Bit>,
    pub arready: Signal<Out, Bit>,
    /// BAR0 read data channel.
    pub rid: Signal<Out, Bits<4>>,
    pub rdata: Signal<Out, Bits<256>>,
    pub rvalid: Signal<Out, Bit>,
    pub rready: Signal<In, Bit>,
    /// Host-memory write address channel to the bridge.
    pub dma_awaddr: Signal<Out, Bits<64>>,
    pub dma_awvalid: Signal<Out, Bit>,
    pub dma_awready: Signal<In, Bit>,
    /// Host-memory write data channel.
    pub dma_wdata: Signal<Out, Bits<256>>,
    pub dma_wvalid: Signal<Out, Bit>,
    pub dma_wready: Signal<In, Bit>,
    /// MSI-X requests to the bridge.
    pub usr_irq_req: Signal<Out, Bits<4>>,
    /// MSI-X acknowledgements from the bridge.
    pub usr_irq_ack: Signal<In, Bits<4>>,
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
    pub irq: Signal<In, Bits<4>>,
    wr_go: Signal<Local, Bit>,
    rd_go: Signal<Local, Bit>,
    addr_r: DFF<Bits<32>>,
    wdata_r: DFF<Bits<64>>,
    write_r: DFF<Bit>,
    read_r: DFF<Bit>,
    bvalid_r: DFF<Bit>,
    bid_r: DFF<Bits<4>>,
    rd_busy: DFF<Bit>,
    rid_r: DFF<Bits<4>>,
    rdata_r: DFF<Bits<256>>,
    rvalid_r: DFF<Bit>,
    aw_pend: DFF<Bit>,
    w_pend: DFF<Bit>,
    dma_addr_r: DFF<Bits<64>>,
    dma_data_r: DFF<Bits<256>>,
    irq_req: DFF<Bits<4>>,
}

impl Logic for AxiHostBridge {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, addr_r, wdata_r, write_r, read_r, bvalid_r, bid_r, rd_busy, rid_r,
            rdata_r, rvalid_r, aw_pend, w_pend, dma_addr_r, dma_data_r, irq_req
        );
        // BAR0 writes: take AW and W together when no response is waiting.
        self.wr_go.next = self.awvalid.val() & self.wvalid.val() & !self.bvalid_r.q.val();
        // BAR0 reads: one at a time, never in a write's cycle.
        self.rd_go.next = self.arvalid.val() & !self.wr_go.val() & !self.rd_busy.q.val();
        self.awready.next = self.wr_go.val();
        self.wready.next = self.wr_go.val();
        self.arready.next = self.rd_go.val();
        self.write_r.d.next = self.wr_go.val();
        self.read_r.d.next = self.rd_go.val();
        if self.wr_go.val() {
            self.addr_r.d.next = self.awaddr.val();
            match self.awaddr.val().get_bits::<2>(3).index() {
                0 => self.wdata_r.d.next = self.wdata.val().get_bits::<64>(0),
                1 => self.wdata_r.d.next = self.wdata.val().get_bits::<64>(64),
                2 => self.wdata_r.d.next = self.wdata.val().get_bits::<64>(128),
                _ => self.wdata_r.d.next = self.wdata.val().get_bits::<64>(192),
            }
            self.bid_r.d.next = self.awid.val();
        } else if self.rd_go.val() {
            self.addr_r.d.next = self.araddr.val();
            self.rid_r.d.next = self.arid.val();
        }
        if self.bvalid_r.q.val() & self.bready.val() {
            self.bvalid_r.d.next = false;
        }
        if self.wr_go.val() {
            self.bvalid_r.d.next = true;
        }
        if self.rd_go.val() {
            self.rd_busy.d.next = true;
        }
        if self.mmio_rvalid.val() {
            self.rdata_r.d.next = bit_cast::<256, 64>(self.mmio_rdata.val())
                | (bit_cast::<256, 64>(self.mmio_rdata.val()) << 64)
                | (bit_cast::<256, 64>(self.mmio_rdata.val()) << 128)
                | (bit_cast::<256, 64>(self.mmio_rdata.val()) << 192);
            self.rvalid_r.d.next = true;
        }
        if self.rvalid_r.q.val() & self.rready.val() {
            self.rvalid_r.d.next = false;
            self.rd_busy.d.next = false;
        }
        self.mmio_addr.next = self.addr_r.q.val();
        self.mmio_wdata.next = self.wdata_r.q.val();
        self.mmio_write.next = self.write_r.q.val();
        self.mmio_read.next = self.read_r.q.val();
        self.bid.next = self.bid_r.q.val();
        self.bvalid.next = self.bvalid_r.q.val();
        self.rid.next = self.rid_r.q.val();
        self.rdata.next = self.rdata_r.q.val();
        self.rvalid.next = self.rvalid_r.q.val();
        // DMA: one single-beat write outstanding, AW and W offered together.
        self.dma_ready.next = !self.aw_pend.q.val() & !self.w_pend.q.val();
        if self.aw_pend.q.val() & self.dma_awready.val() {
            self.aw_pend.d.next = false;
        }
        if self.w_pend.q.val() & self.dma_wready.val() {
            self.w_pend.d.next = false;
        }
        if self.dma_valid.val() & !self.aw_pend.q.val() & !self.w_pend.q.val() {
            self.aw_pend.d.next = true;
            self.w_pend.d.next = true;
            self.dma_addr_r.d.next = self.dma_addr.val();
            self.dma_data_r.d.next = self.dma_data.val();
        }
        self.dma_awaddr.next = self.dma_addr_r.q.val();
        self.dma_awvalid.next = self.aw_pend.q.val();
        self.dma_wdata.next = self.dma_data_r.q.val();
        self.dma_wvalid.next = self.w_pend.q.val();
        // Interrupts: held until acknowledged; a new pulse wins over an acknowledgement.
        self.irq_req.d.next = (self.irq_req.q.val() & !self.usr_irq_ack.val()) | self.irq.val();
        self.usr_irq_req.next = self.irq_req.q.val();
    }
}
