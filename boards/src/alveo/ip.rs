//! Vendor IP at the Alveo U250's hard-IP boundaries, wrapped as rust-hdl blocks whose
//! Verilog instantiates the IP that `constraints/alveo-u250/build.tcl` generates in Vivado:
//!
//! - `xdma_0`: DMA/Bridge Subsystem for PCI Express (PG195) in AXI Bridge mode, Gen3 x8,
//!   256-bit AXI at 250 MHz. BAR0 reaches the card through the `M_AXI_B` master, the card
//!   writes host memory through the `S_AXI_B` slave, `usr_irq_req` raises MSI-X vectors.
//! - `cmac_usplus_0/1`: UltraScale+ 100G Ethernet subsystem (PG203), CAUI-4 with RS-FEC,
//!   512-bit AXI4-Stream user interface (one per QSFP28 cage: planes X and Y).
//!
//! NOT verified here: port names and tie-offs follow the product guides as recalled, and
//! must be checked against each IP's instantiation template (`.veo`) in Vivado. Each
//! IP's port list is one table below, from which both the instance and the black-box stub
//! that Yosys reads for the utilisation estimate are written, so the two cannot differ.

use rust_hdl::prelude::*;
use std::fmt::Write;

/// How an IP port is connected in its wrapper.
#[derive(Clone, Copy)]
enum Conn {
    /// To the wrapper's port of the same name.
    Port,
    /// To the wrapper's port of another name.
    To(&'static str),
    /// Tied to a constant (inputs).
    Tie(&'static str),
    /// Left open (outputs).
    Open,
}

#[derive(Clone, Copy, PartialEq)]
enum Dir {
    In,
    Out,
}

/// (name, direction seen from the IP, width, connection).
type IpPort = (&'static str, Dir, usize, Conn);

use Conn::*;
use Dir::{In as I, Out as O};

const XDMA: &[IpPort] = &[
    ("sys_clk", I, 1, To("refclk_div2")),
    ("sys_clk_gt", I, 1, To("refclk_gt")),
    ("sys_rst_n", I, 1, To("pcie_perst_n")),
    ("user_lnk_up", O, 1, Port),
    ("pci_exp_txp", O, 8, Port),
    ("pci_exp_txn", O, 8, Port),
    ("pci_exp_rxp", I, 8, Port),
    ("pci_exp_rxn", I, 8, Port),
    ("axi_aclk", O, 1, Port),
    ("axi_aresetn", O, 1, Port),
    ("axi_ctl_aresetn", O, 1, Open),
    ("usr_irq_req", I, 4, Port),
    ("usr_irq_ack", O, 4, Port),
    ("msix_enable", O, 1, Open),
    ("m_axib_awid", O, 4, Port),
    ("m_axib_awaddr", O, 32, Port),
    ("m_axib_awlen", O, 8, Open),
    ("m_axib_awsize", O, 3, Open),
    ("m_axib_awburst", O, 2, Open),
    ("m_axib_awprot", O, 3, Open),
    ("m_axib_awlock", O, 1, Open),
    ("m_axib_awcache", O, 4, Open),
    ("m_axib_awvalid", O, 1, Port),
    ("m_axib_awready", I, 1, Port),
    ("m_axib_wdata", O, 256, Port),
    ("m_axib_wstrb", O, 32, Open),
    ("m_axib_wlast", O, 1, Open),
    ("m_axib_wvalid", O, 1, Port),
    ("m_axib_wready", I, 1, Port),
    ("m_axib_bid", I, 4, Port),
    ("m_axib_bresp", I, 2, Tie("2'b00")),
    ("m_axib_bvalid", I, 1, Port),
    ("m_axib_bready", O, 1, Port),
    ("m_axib_arid", O, 4, Port),
    ("m_axib_araddr", O, 32, Port),
    ("m_axib_arlen", O, 8, Open),
    ("m_axib_arsize", O, 3, Open),
    ("m_axib_arburst", O, 2, Open),
    ("m_axib_arprot", O, 3, Open),
    ("m_axib_arlock", O, 1, Open),
    ("m_axib_arcache", O, 4, Open),
    ("m_axib_arvalid", O, 1, Port),
    ("m_axib_arready", I, 1, Port),
    ("m_axib_rid", I, 4, Port),
    ("m_axib_rdata", I, 256, Port),
    ("m_axib_rresp", I, 2, Tie("2'b00")),
    ("m_axib_rlast", I, 1, Tie("1'b1")),
    ("m_axib_rvalid", I, 1, Port),
    ("m_axib_rready", O, 1, Port),
    ("s_axib_awid", I, 4, Tie("4'h0")),
    ("s_axib_awaddr", I, 64, Port),
    ("s_axib_awregion", I, 4, Tie("4'h0")),
    ("s_axib_awlen", I, 8, Tie("8'h00")),
    // One 32-byte beat per write: a ring entry or a state mirror (docs/gateware.md).
    ("s_axib_awsize", I, 3, Tie("3'd5")),
    ("s_axib_awburst", I, 2, Tie("2'b01")),
    ("s_axib_awvalid", I, 1, Port),
    ("s_axib_awready", O, 1, Port),
    ("s_axib_wdata", I, 256, Port),
    ("s_axib_wstrb", I, 32, Tie("32'hffffffff")),
    ("s_axib_wlast", I, 1, Tie("1'b1")),
    ("s_axib_wvalid", I, 1, Port),
    ("s_axib_wready", O, 1, Port),
    ("s_axib_bid", O, 4, Open),
    ("s_axib_bresp", O, 2, Open),
    ("s_axib_bvalid", O, 1, Open),
    ("s_axib_bready", I, 1, Tie("1'b1")),
    ("s_axib_arid", I, 4, Tie("4'h0")),
    ("s_axib_araddr", I, 64, Tie("64'h0")),
    ("s_axib_arregion", I, 4, Tie("4'h0")),
    ("s_axib_arlen", I, 8, Tie("8'h00")),
    ("s_axib_arsize", I, 3, Tie("3'd5")),
    ("s_axib_arburst", I, 2, Tie("2'b01")),
    ("s_axib_arvalid", I, 1, Tie("1'b0")),
    ("s_axib_arready", O, 1, Open),
    ("s_axib_rid", O, 4, Open),
    ("s_axib_rdata", O, 256, Open),
    ("s_axib_rresp", O, 2, Open),
    ("s_axib_rlast", O, 1, Open),
    ("s_axib_rvalid", O, 1, Open),
    ("s_axib_rready", I, 1, Tie("1'b1")),
];

const CMAC: &[IpPort] = &[
    ("gt_ref_clk_p", I, 1, Port),
    ("gt_ref_clk_n", I, 1, Port),
    ("gt_rxp_in", I, 4, Port),
    ("gt_rxn_in", I, 4, Port),
    ("gt_txp_out", O, 4, Port),
    ("gt_txn_out", O, 4, Port),
    ("init_clk", I, 1, Port),
    ("sys_reset", I, 1, Port),
    ("gt_txusrclk2", O, 1, Port),
    ("gt_rxusrclk2", O, 1, Open),
    // RX user logic runs on the TX user clock (PG203: rx_clk may be tied to gt_txusrclk2).
    ("rx_clk", I, 1, To("gt_txusrclk2")),
    ("usr_rx_reset", O, 1, Open),
    ("usr_tx_reset", O, 1, Open),
    ("gt_loopback_in", I, 12, Tie("12'h000")),
    ("gtwiz_reset_tx_datapath", I, 1, Tie("1'b0")),
    ("gtwiz_reset_rx_datapath", I, 1, Tie("1'b0")),
    ("core_rx_reset", I, 1, Tie("1'b0")),
    ("core_tx_reset", I, 1, Tie("1'b0")),
    ("core_drp_reset", I, 1, Tie("1'b0")),
    ("drp_clk", I, 1, To("init_clk")),
    ("drp_addr", I, 10, Tie("10'h000")),
    ("drp_di", I, 16, Tie("16'h0000")),
    ("drp_en", I, 1, Tie("1'b0")),
    ("drp_we", I, 1, Tie("1'b0")),
    ("drp_do", O, 16, Open),
    ("drp_rdy", O, 1, Open),
    ("ctl_rx_enable", I, 1, Tie("1'b1")),
    ("ctl_rx_force_resync", I, 1, Tie("1'b0")),
    ("ctl_rx_test_pattern", I, 1, Tie("1'b0")),
    ("ctl_tx_enable", I, 1, Tie("1'b1")),
    ("ctl_tx_send_idle", I, 1, Tie("1'b0")),
    ("ctl_tx_send_rfi", I, 1, Tie("1'b0")),
    ("ctl_tx_send_lfi", I, 1, Tie("1'b0")),
    ("ctl_tx_test_pattern", I, 1, Tie("1'b0")),
    ("ctl_rsfec_ieee_error_indication_mode", I, 1, Tie("1'b0")),
    ("ctl_rx_rsfec_enable", I, 1, Tie("1'b1")),
    ("ctl_rx_rsfec_enable_correction", I, 1, Tie("1'b1")),
    ("ctl_rx_rsfec_enable_indication", I, 1, Tie("1'b1")),
    ("ctl_tx_rsfec_enable", I, 1, Tie("1'b1")),
    ("stat_rx_aligned", O, 1, Port),
    ("rx_axis_tvalid", O, 1, Port),
    ("rx_axis_tdata", O, 512, Port),
    ("rx_axis_tlast", O, 1, Port),
    ("rx_axis_tkeep", O, 64, Port),
    ("rx_axis_tuser", O, 1, Port),
    ("tx_axis_tvalid", I, 1, Port),
    ("tx_axis_tdata", I, 512, Port),
    ("tx_axis_tlast", I, 1, Port),
    ("tx_axis_tkeep", I, 64, Port),
    ("tx_axis_tuser", I, 1, Tie("1'b0")),
    ("tx_axis_tready", O, 1, Port),
    ("tx_ovfout", O, 1, Open),
    ("tx_unfout", O, 1, Open),
    ("tx_preamblein", I, 56, Tie("56'h0")),
];

fn instance(module: &str, inst: &str, ports: &[IpPort]) -> String {
    let conns: Vec<String> = ports
        .iter()
        .map(|&(name, _, _, conn)| match conn {
            Port => format!("    .{name}({name})"),
            To(other) => format!("    .{name}({other})"),
            Tie(value) => format!("    .{name}({value})"),
            Open => format!("    .{name}()"),
        })
        .collect();
    format!("{module} {inst} (\n{}\n);\n", conns.join(",\n"))
}

fn stub(module: &str, ports: &[IpPort]) -> String {
    let mut s = format!("(* blackbox *)\nmodule {module} (\n");
    let decls: Vec<String> = ports
        .iter()
        .map(|&(name, dir, width, _)| {
            let d = if dir == I { "input" } else { "output" };
            let w = if width > 1 {
                format!(" [{}:0]", width - 1)
            } else {
                String::new()
            };
            format!("    {d}{w} {name}")
        })
        .collect();
    writeln!(s, "{}\n);\nendmodule\n", decls.join(",\n")).unwrap();
    s
}

/// Black-box declarations of the IP modules, for Yosys only (Vivado has the real ones).
pub fn stubs() -> String {
    let mut s = String::from(
        "// Black boxes for the Alveo U250 top's vendor IP: Yosys reads these with -lib for\n\
         // the utilisation estimate. Written from the same tables as the instances.\n\n",
    );
    s += &stub("xdma_0", XDMA);
    s += &stub("cmac_usplus_0", CMAC);
    s += &stub("cmac_usplus_1", CMAC);
    s
}

/// PCIe Gen3 x8 endpoint in AXI Bridge mode (`xdma_0`), with its reference clock buffer.
/// Its `axi_aclk` (250 MHz) is the card clock, so the host port needs no clock crossing.
#[derive(LogicBlock, Default)]
pub struct Xdma {
    /// PCIe reference clock (100 MHz), P leg.
    pub pcie_refclk_p: Signal<In, Bit>,
    /// PCIe reference clock, N leg.
    pub pcie_refclk_n: Signal<In, Bit>,
    /// PERST# from the slot.
    pub pcie_perst_n: Signal<In, Bit>,
    /// PCIe lanes.
    pub pci_exp_rxp: Signal<In, Bits<8>>,
    /// PCIe lanes.
    pub pci_exp_rxn: Signal<In, Bits<8>>,
    /// PCIe lanes.
    pub pci_exp_txp: Signal<Out, Bits<8>>,
    /// PCIe lanes.
    pub pci_exp_txn: Signal<Out, Bits<8>>,
    /// The link is up.
    pub user_lnk_up: Signal<Out, Bit>,
    /// User clock, 250 MHz: the card clock.
    pub axi_aclk: Signal<Out, Clock>,
    /// AXI reset, active low.
    pub axi_aresetn: Signal<Out, Bit>,
    /// MSI-X vector requests (held until acknowledged).
    pub usr_irq_req: Signal<In, Bits<4>>,
    /// MSI-X vector acknowledgements.
    pub usr_irq_ack: Signal<Out, Bits<4>>,
    /// BAR0 write address channel (from the host).
    pub m_axib_awid: Signal<Out, Bits<4>>,
    pub m_axib_awaddr: Signal<Out, Bits<32>>,
    pub m_axib_awvalid: Signal<Out, Bit>,
    pub m_axib_awready: Signal<In, Bit>,
    /// BAR0 write data channel.
    pub m_axib_wdata: Signal<Out, Bits<256>>,
    pub m_axib_wvalid: Signal<Out, Bit>,
    pub m_axib_wready: Signal<In, Bit>,
    /// BAR0 write response channel.
    pub m_axib_bid: Signal<In, Bits<4>>,
    pub m_axib_bvalid: Signal<In, Bit>,
    pub m_axib_bready: Signal<Out, Bit>,
    /// BAR0 read address channel.
    pub m_axib_arid: Signal<Out, Bits<4>>,
    pub m_axib_araddr: Signal<Out, Bits<32>>,
    pub m_axib_arvalid: Signal<Out, Bit>,
    pub m_axib_arready: Signal<In, Bit>,
    /// BAR0 read data channel.
    pub m_axib_rid: Signal<In, Bits<4>>,
    pub m_axib_rdata: Signal<In, Bits<256>>,
    pub m_axib_rvalid: Signal<In, Bit>,
    pub m_axib_rready: Signal<Out, Bit>,
    /// Host-memory write address (DMA).
    pub s_axib_awaddr: Signal<In, Bits<64>>,
    pub s_axib_awvalid: Signal<In, Bit>,
    pub s_axib_awready: Signal<Out, Bit>,
    /// Host-memory write data (one 32-byte beat).
    pub s_axib_wdata: Signal<In, Bits<256>>,
    pub s_axib_wvalid: Signal<In, Bit>,
    pub s_axib_wready: Signal<Out, Bit>,
}

impl Logic for Xdma {
    /// Not simulated (vendor IP): outputs hold their defaults.
    fn update(&mut self) {}
    fn connect(&mut self) {
        self.pci_exp_txp.connect();
        self.pci_exp_txn.connect();
        self.user_lnk_up.connect();
        self.axi_aclk.connect();
        self.axi_aresetn.connect();
        self.usr_irq_ack.connect();
        self.m_axib_awid.connect();
        self.m_axib_awaddr.connect();
        self.m_axib_awvalid.connect();
        self.m_axib_wdata.connect();
        self.m_axib_wvalid.connect();
        self.m_axib_bready.connect();
        self.m_axib_arid.connect();
        self.m_axib_araddr.connect();
        self.m_axib_arvalid.connect();
        self.m_axib_rready.connect();
        self.s_axib_awready.connect();
        self.s_axib_wready.connect();
    }
    fn hdl(&self) -> Verilog {
        let code = String::from(
            "wire refclk_gt;\nwire refclk_div2;\n\
             // UltraScale+ GT reference clock buffer (UG576): O feeds the GT, ODIV2 the core.\n\
             IBUFDS_GTE4 #(.REFCLK_HROW_CK_SEL(2'b00)) refclk_ibuf (\n    .I(pcie_refclk_p),\n    \
             .IB(pcie_refclk_n),\n    .CEB(1'b0),\n    .O(refclk_gt),\n    .ODIV2(refclk_div2)\n);\n",
        ) + &instance("xdma_0", "xdma_i", XDMA);
        Verilog::Wrapper(Wrapper {
            code,
            cores: String::new(),
        })
    }
}

/// One 100G Ethernet subsystem (`cmac_usplus_N`) on a QSFP28 cage.
#[derive(LogicBlock, Default)]
pub struct Cmac<const N: usize> {
    /// GT reference clock (161.1328125 MHz), P leg.
    pub gt_ref_clk_p: Signal<In, Bit>,
    /// GT reference clock, N leg.
    pub gt_ref_clk_n: Signal<In, Bit>,
    /// QSFP28 lanes.
    pub gt_rxp_in: Signal<In, Bits<4>>,
    /// QSFP28 lanes.
    pub gt_rxn_in: Signal<In, Bits<4>>,
    /// QSFP28 lanes.
    pub gt_txp_out: Signal<Out, Bits<4>>,
    /// QSFP28 lanes.
    pub gt_txn_out: Signal<Out, Bits<4>>,
    /// Free-running init/DRP clock (100 MHz).
    pub init_clk: Signal<In, Clock>,
    /// Core reset.
    pub sys_reset: Signal<In, Bit>,
    /// User clock of both directions (322.265625 MHz).
    pub gt_txusrclk2: Signal<Out, Clock>,
    /// RX lanes aligned: the link is up.
    pub stat_rx_aligned: Signal<Out, Bit>,
    /// Receive stream (no back-pressure).
    pub rx_axis_tvalid: Signal<Out, Bit>,
    pub rx_axis_tdata: Signal<Out, Bits<512>>,
    pub rx_axis_tlast: Signal<Out, Bit>,
    pub rx_axis_tkeep: Signal<Out, Bits<64>>,
    /// Receive error (bad FCS or PCS error) on the last beat.
    pub rx_axis_tuser: Signal<Out, Bit>,
    /// Transmit stream.
    pub tx_axis_tvalid: Signal<In, Bit>,
    pub tx_axis_tdata: Signal<In, Bits<512>>,
    pub tx_axis_tlast: Signal<In, Bit>,
    pub tx_axis_tkeep: Signal<In, Bits<64>>,
    pub tx_axis_tready: Signal<Out, Bit>,
}

impl<const N: usize> Logic for Cmac<N> {
    /// Not simulated (vendor IP): outputs hold their defaults.
    fn update(&mut self) {}
    fn connect(&mut self) {
        self.gt_txp_out.connect();
        self.gt_txn_out.connect();
        self.gt_txusrclk2.connect();
        self.stat_rx_aligned.connect();
        self.rx_axis_tvalid.connect();
        self.rx_axis_tdata.connect();
        self.rx_axis_tlast.connect();
        self.rx_axis_tkeep.connect();
        self.rx_axis_tuser.connect();
        self.tx_axis_tready.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Wrapper(Wrapper {
            code: instance(&format!("cmac_usplus_{N}"), "cmac_i", CMAC),
            cores: String::new(),
        })
    }
}

/// The 300 MHz board clock, divided by 3 in a `BUFGCE_DIV`: the CMACs' 100 MHz init clock.
#[derive(LogicBlock, Default)]
pub struct InitClock {
    /// 300 MHz LVDS board clock, P leg.
    pub clk_p: Signal<In, Bit>,
    /// 300 MHz LVDS board clock, N leg.
    pub clk_n: Signal<In, Bit>,
    /// 100 MHz.
    pub clk_out: Signal<Out, Clock>,
}

impl Logic for InitClock {
    fn update(&mut self) {}
    fn connect(&mut self) {
        self.clk_out.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Wrapper(Wrapper {
            code: "wire clk_300;\n\
                   IBUFDS clk_ibuf (.I(clk_p), .IB(clk_n), .O(clk_300));\n\
                   BUFGCE_DIV #(.BUFGCE_DIVIDE(3)) clk_div (.I(clk_300), .CE(1'b1), .CLR(1'b0), .O(clk_out));\n"
                .into(),
            cores: String::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `Port` connection of the instances names a field of its wrapper, checked
    /// through the wrapper's generated module port list.
    #[test]
    fn instances_connect_only_wrapper_ports() {
        fn check<B: Block>(mut b: B, table: &[IpPort]) {
            b.connect_all();
            let v = generate_verilog_unchecked(&b);
            let header = v
                .split("module top(")
                .nth(1)
                .unwrap()
                .split(')')
                .next()
                .unwrap();
            let ports: Vec<&str> = header.split(',').map(str::trim).collect();
            for &(name, _, _, conn) in table {
                if let Port = conn {
                    assert!(ports.contains(&name), "`{name}` is not a wrapper port");
                }
            }
        }
        check(Xdma::default(), XDMA);
        check(Cmac::<0>::default(), CMAC);
    }
}
