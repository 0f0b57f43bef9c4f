//! Board top for the AMD/Xilinx Alveo U250 (XCU250-FIGD2104-2L-E), built by Vivado with
//! `constraints/alveo-u250/build.tcl` (NOT verified here); `constraints/build alveo-u250`
//! synthesises it with Yosys for a utilisation estimate. Pins: `au250.xdc`.
//!
//! Why this board: it has what seqfab's card needs in hard IP. PCIe (here Gen3 x8, whose
//! 256-bit, 250 MHz AXI clock is the card clock, so the host port needs no clock crossing)
//! and two QSFP28 cages, each with a 100G CMAC whose 512-bit AXI4-Stream interface is the
//! fabric port's width (docs/gateware.md): cage 0 is plane X, cage 1 plane Y. Corundum
//! supports the same card, a public reference for its pins and IP settings.

use super::host_bridge::AxiHostBridge;
use super::ip::{Cmac, InitClock, Xdma};
use super::mac_bridge::MacBridge;
use crate::{new_core, Core};
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct AlveoU250Top {
    /// PCIe reference clock (100 MHz from the slot), P leg.
    pub pcie_refclk_p: Signal<In, Bit>,
    /// PCIe reference clock, N leg.
    pub pcie_refclk_n: Signal<In, Bit>,
    /// PCIe PERST#.
    pub pcie_perst_n: Signal<In, Bit>,
    /// PCIe lanes 0..7.
    pub pcie_rx_p: Signal<In, Bits<8>>,
    /// PCIe lanes 0..7.
    pub pcie_rx_n: Signal<In, Bits<8>>,
    /// PCIe lanes 0..7.
    pub pcie_tx_p: Signal<Out, Bits<8>>,
    /// PCIe lanes 0..7.
    pub pcie_tx_n: Signal<Out, Bits<8>>,
    /// 300 MHz LVDS board clock (DDR4 bank 0 reference), P leg: the CMAC init clock.
    pub clk_300_p: Signal<In, Bit>,
    /// 300 MHz board clock, N leg.
    pub clk_300_n: Signal<In, Bit>,
    /// QSFP28 cage 0 (plane X) GT reference clock, P leg.
    pub qsfp0_refclk_p: Signal<In, Bit>,
    /// QSFP28 cage 0 GT reference clock, N leg.
    pub qsfp0_refclk_n: Signal<In, Bit>,
    /// QSFP28 cage 0 lanes.
    pub qsfp0_rx_p: Signal<In, Bits<4>>,
    /// QSFP28 cage 0 lanes.
    pub qsfp0_rx_n: Signal<In, Bits<4>>,
    /// QSFP28 cage 0 lanes.
    pub qsfp0_tx_p: Signal<Out, Bits<4>>,
    /// QSFP28 cage 0 lanes.
    pub qsfp0_tx_n: Signal<Out, Bits<4>>,
    /// QSFP28 cage 0 module select (low: selected).
    pub qsfp0_modsell: Signal<Out, Bit>,
    /// QSFP28 cage 0 module reset (low: reset).
    pub qsfp0_resetl: Signal<Out, Bit>,
    /// QSFP28 cage 0 low-power mode.
    pub qsfp0_lpmode: Signal<Out, Bit>,
    /// Cage 0 reference clock generator reset.
    pub qsfp0_refclk_reset: Signal<Out, Bit>,
    /// Cage 0 reference clock frequency select (0b10: 161.1328125 MHz).
    pub qsfp0_fs: Signal<Out, Bits<2>>,
    /// QSFP28 cage 1 (plane Y) GT reference clock, P leg.
    pub qsfp1_refclk_p: Signal<In, Bit>,
    /// QSFP28 cage 1 GT reference clock, N leg.
    pub qsfp1_refclk_n: Signal<In, Bit>,
    /// QSFP28 cage 1 lanes.
    pub qsfp1_rx_p: Signal<In, Bits<4>>,
    /// QSFP28 cage 1 lanes.
    pub qsfp1_rx_n: Signal<In, Bits<4>>,
    /// QSFP28 cage 1 lanes.
    pub qsfp1_tx_p: Signal<Out, Bits<4>>,
    /// QSFP28 cage 1 lanes.
    pub qsfp1_tx_n: Signal<Out, Bits<4>>,
    /// QSFP28 cage 1 module select (low: selected).
    pub qsfp1_modsell: Signal<Out, Bit>,
    /// QSFP28 cage 1 module reset (low: reset).
    pub qsfp1_resetl: Signal<Out, Bit>,
    /// QSFP28 cage 1 low-power mode.
    pub qsfp1_lpmode: Signal<Out, Bit>,
    /// Cage 1 reference clock generator reset.
    pub qsfp1_refclk_reset: Signal<Out, Bit>,
    /// Cage 1 reference clock frequency select.
    pub qsfp1_fs: Signal<Out, Bits<2>>,
    /// LEDs: 0 PCIe link up, 1 plane X link up, 2 plane Y link up.
    pub led: Signal<Out, Bits<3>>,
    pcie: Xdma,
    host: AxiHostBridge,
    init_clk: InitClock,
    mac_x: Cmac<0>,
    mac_y: Cmac<1>,
    port_x: MacBridge,
    port_y: MacBridge,
    core: Core,
    fs_161: Constant<Bits<2>>,
}

impl Default for AlveoU250Top {
    fn default() -> Self {
        Self {
            pcie_refclk_p: Default::default(),
            pcie_refclk_n: Default::default(),
            pcie_perst_n: Default::default(),
            pcie_rx_p: Default::default(),
            pcie_rx_n: Default::default(),
            pcie_tx_p: Default::default(),
            pcie_tx_n: Default::default(),
            clk_300_p: Default::default(),
            clk_300_n: Default::default(),
            qsfp0_refclk_p: Default::default(),
            qsfp0_refclk_n: Default::default(),
            qsfp0_rx_p: Default::default(),
            qsfp0_rx_n: Default::default(),
            qsfp0_tx_p: Default::default(),
            qsfp0_tx_n: Default::default(),
            qsfp0_modsell: Default::default(),
            qsfp0_resetl: Default::default(),
            qsfp0_lpmode: Default::default(),
            qsfp0_refclk_reset: Default::default(),
            qsfp0_fs: Default::default(),
            qsfp1_refclk_p: Default::default(),
            qsfp1_refclk_n: Default::default(),
            qsfp1_rx_p: Default::default(),
            qsfp1_rx_n: Default::default(),
            qsfp1_tx_p: Default::default(),
            qsfp1_tx_n: Default::default(),
            qsfp1_modsell: Default::default(),
            qsfp1_resetl: Default::default(),
            qsfp1_lpmode: Default::default(),
            qsfp1_refclk_reset: Default::default(),
            qsfp1_fs: Default::default(),
            led: Default::default(),
            pcie: Default::default(),
            host: Default::default(),
            init_clk: Default::default(),
            mac_x: Default::default(),
            mac_y: Default::default(),
            port_x: Default::default(),
            port_y: Default::default(),
            core: new_core(),
            // U250 user guide (UG1289): FS = 0b10 makes the QSFP reference 161.1328125 MHz,
            // the CMAC's CAUI-4 reference clock.
            fs_161: Constant::new(2u64.into()),
        }
    }
}

impl Logic for AlveoU250Top {
    #[hdl_gen]
    fn update(&mut self) {
        // PCIe endpoint and the host port.
        self.pcie.pcie_refclk_p.next = self.pcie_refclk_p.val();
        self.pcie.pcie_refclk_n.next = self.pcie_refclk_n.val();
        self.pcie.pcie_perst_n.next = self.pcie_perst_n.val();
        self.pcie.pci_exp_rxp.next = self.pcie_rx_p.val();
        self.pcie.pci_exp_rxn.next = self.pcie_rx_n.val();
        self.pcie_tx_p.next = self.pcie.pci_exp_txp.val();
        self.pcie_tx_n.next = self.pcie.pci_exp_txn.val();
        self.host.clock.next = self.pcie.axi_aclk.val();
        self.core.clock.next = self.pcie.axi_aclk.val();
        self.host.awid.next = self.pcie.m_axib_awid.val();
        self.host.awaddr.next = self.pcie.m_axib_awaddr.val();
        self.host.awvalid.next = self.pcie.m_axib_awvalid.val();
        self.pcie.m_axib_awready.next = self.host.awready.val();
        self.host.wdata.next = self.pcie.m_axib_wdata.val();
        self.host.wvalid.next = self.pcie.m_axib_wvalid.val();
        self.pcie.m_axib_wready.next = self.host.wready.val();
        self.pcie.m_axib_bid.next = self.host.bid.val();
        self.pcie.m_axib_bvalid.next = self.host.bvalid.val();
        self.host.bready.next = self.pcie.m_axib_bready.val();
        self.host.arid.next = self.pcie.m_axib_arid.val();
        self.host.araddr.next = self.pcie.m_axib_araddr.val();
        self.host.arvalid.next = self.pcie.m_axib_arvalid.val();
        self.pcie.m_axib_arready.next = self.host.arready.val();
        self.pcie.m_axib_rid.next = self.host.rid.val();
        self.pcie.m_axib_rdata.next = self.host.rdata.val();
        self.pcie.m_axib_rvalid.next = self.host.rvalid.val();
        self.host.rready.next = self.pcie.m_axib_rready.val();
        self.pcie.s_axib_awaddr.next = self.host.dma_awaddr.val();
        self.pcie.s_axib_awvalid.next = self.host.dma_awvalid.val();
        self.host.dma_awready.next = self.pcie.s_axib_awready.val();
        self.pcie.s_axib_wdata.next = self.host.dma_wdata.val();
        self.pcie.s_axib_wvalid.next = self.host.dma_wvalid.val();
        self.host.dma_wready.next = self.pcie.s_axib_wready.val();
        self.pcie.usr_irq_req.next = self.host.usr_irq_req.val();
        self.host.usr_irq_ack.next = self.pcie.usr_irq_ack.val();
        self.core.mmio_addr.next = self.host.mmio_addr.val();
        self.core.mmio_wdata.next = self.host.mmio_wdata.val();
        self.core.mmio_write.next = self.host.mmio_write.val();
        self.core.mmio_read.next = self.host.mmio_read.val();
        self.host.mmio_rdata.next = self.core.mmio_rdata.val();
        self.host.mmio_rvalid.next = self.core.mmio_rvalid.val();
        self.host.dma_addr.next = self.core.dma_addr.val();
        self.host.dma_data.next = self.core.dma_data.val();
        self.host.dma_valid.next = self.core.dma_valid.val();
        self.core.dma_ready.next = self.host.dma_ready.val();
        self.host.irq.next = self.core.irq.val();

        // The MACs: cage 0 is plane X, cage 1 plane Y.
        self.init_clk.clk_p.next = self.clk_300_p.val();
        self.init_clk.clk_n.next = self.clk_300_n.val();
        self.mac_x.gt_ref_clk_p.next = self.qsfp0_refclk_p.val();
        self.mac_x.gt_ref_clk_n.next = self.qsfp0_refclk_n.val();
        self.mac_x.gt_rxp_in.next = self.qsfp0_rx_p.val();
        self.mac_x.gt_rxn_in.next = self.qsfp0_rx_n.val();
        self.qsfp0_tx_p.next = self.mac_x.gt_txp_out.val();
        self.qsfp0_tx_n.next = self.mac_x.gt_txn_out.val();
        self.mac_x.init_clk.next = self.init_clk.clk_out.val();
        self.mac_x.sys_reset.next = !self.pcie.axi_aresetn.val();
        self.mac_y.gt_ref_clk_p.next = self.qsfp1_refclk_p.val();
        self.mac_y.gt_ref_clk_n.next = self.qsfp1_refclk_n.val();
        self.mac_y.gt_rxp_in.next = self.qsfp1_rx_p.val();
        self.mac_y.gt_rxn_in.next = self.qsfp1_rx_n.val();
        self.qsfp1_tx_p.next = self.mac_y.gt_txp_out.val();
        self.qsfp1_tx_n.next = self.mac_y.gt_txn_out.val();
        self.mac_y.init_clk.next = self.init_clk.clk_out.val();
        self.mac_y.sys_reset.next = !self.pcie.axi_aresetn.val();
        self.qsfp0_modsell.next = false;
        self.qsfp0_resetl.next = true;
        self.qsfp0_lpmode.next = false;
        self.qsfp0_refclk_reset.next = false;
        self.qsfp0_fs.next = self.fs_161.val();
        self.qsfp1_modsell.next = false;
        self.qsfp1_resetl.next = true;
        self.qsfp1_lpmode.next = false;
        self.qsfp1_refclk_reset.next = false;
        self.qsfp1_fs.next = self.fs_161.val();

        // Plane X.
        self.port_x.core_clock.next = self.pcie.axi_aclk.val();
        self.port_x.mac_clock.next = self.mac_x.gt_txusrclk2.val();
        self.port_x.rx_axis_tvalid.next = self.mac_x.rx_axis_tvalid.val();
        self.port_x.rx_axis_tdata.next = self.mac_x.rx_axis_tdata.val();
        self.port_x.rx_axis_tlast.next = self.mac_x.rx_axis_tlast.val();
        self.port_x.rx_axis_tkeep.next = self.mac_x.rx_axis_tkeep.val();
        self.mac_x.tx_axis_tvalid.next = self.port_x.tx_axis_tvalid.val();
        self.mac_x.tx_axis_tdata.next = self.port_x.tx_axis_tdata.val();
        self.mac_x.tx_axis_tlast.next = self.port_x.tx_axis_tlast.val();
        self.mac_x.tx_axis_tkeep.next = self.port_x.tx_axis_tkeep.val();
        self.port_x.tx_axis_tready.next = self.mac_x.tx_axis_tready.val();
        self.port_x.rx_aligned.next = self.mac_x.stat_rx_aligned.val();
        self.core.x.rx_data.next = self.port_x.rx_data.val();
        self.core.x.rx_valid.next = self.port_x.rx_valid.val();
        self.core.x.rx_last.next = self.port_x.rx_last.val();
        self.core.x.rx_bytes.next = self.port_x.rx_bytes.val();
        self.port_x.tx_data.next = self.core.x.tx_data.val();
        self.port_x.tx_valid.next = self.core.x.tx_valid.val();
        self.port_x.tx_last.next = self.core.x.tx_last.val();
        self.port_x.tx_bytes.next = self.core.x.tx_bytes.val();
        self.core.x.tx_ready.next = self.port_x.tx_ready.val();
        self.core.x.link_up.next = self.port_x.link_up.val();

        // Plane Y.
        self.port_y.core_clock.next = self.pcie.axi_aclk.val();
        self.port_y.mac_clock.next = self.mac_y.gt_txusrclk2.val();
        self.port_y.rx_axis_tvalid.next = self.mac_y.rx_axis_tvalid.val();
        self.port_y.rx_axis_tdata.next = self.mac_y.rx_axis_tdata.val();
        self.port_y.rx_axis_tlast.next = self.mac_y.rx_axis_tlast.val();
        self.port_y.rx_axis_tkeep.next = self.mac_y.rx_axis_tkeep.val();
        self.mac_y.tx_axis_tvalid.next = self.port_y.tx_axis_tvalid.val();
        self.mac_y.tx_axis_tdata.next = self.port_y.tx_axis_tdata.val();
        self.mac_y.tx_axis_tlast.next = self.port_y.tx_axis_tlast.val();
        self.mac_y.tx_axis_tkeep.next = self.port_y.tx_axis_tkeep.val();
        self.port_y.tx_axis_tready.next = self.mac_y.tx_axis_tready.val();
        self.port_y.rx_aligned.next = self.mac_y.stat_rx_aligned.val();
        self.core.y.rx_data.next = self.port_y.rx_data.val();
        self.core.y.rx_valid.next = self.port_y.rx_valid.val();
        self.core.y.rx_last.next = self.port_y.rx_last.val();
        self.core.y.rx_bytes.next = self.port_y.rx_bytes.val();
        self.port_y.tx_data.next = self.core.y.tx_data.val();
        self.port_y.tx_valid.next = self.core.y.tx_valid.val();
        self.port_y.tx_last.next = self.core.y.tx_last.val();
        self.port_y.tx_bytes.next = self.core.y.tx_bytes.val();
        self.core.y.tx_ready.next = self.port_y.tx_ready.val();
        self.core.y.link_up.next = self.port_y.link_up.val();

        self.led.next = bit_cast::<3, 1>(self.pcie.user_lnk_up.val().into())
            | (bit_cast::<3, 1>(self.port_x.link_up.val().into()) << 1)
            | (bit_cast::<3, 1>(self.port_y.link_up.val().into()) << 2);
    }
}
