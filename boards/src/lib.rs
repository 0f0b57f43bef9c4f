//! seqfab's board tops: one thin top per board around the board-independent card core
//! (STYLE.md rule 2, Corundum's `fpga.v` / `fpga_core.v` split). A top owns the board's
//! clocks and what connects the core's host and fabric ports to the board (PCIe and MAC
//! hard IP through bridges on the Alveo; on the ECP5 Versa, the UART host bridge and two
//! RGMII fabric ports) and nothing else; the core knows no board.
//! `constraints/<board>/` holds each board's pins and build files, and
//! `constraints/build BOARD` runs the flow on the Verilog this crate generates;
//! [`pin_check`] checks that the two agree.

pub mod alveo;
pub mod ecp5;
pub mod pin_check;

use rust_hdl::prelude::*;

/// The card core of the boards with 512-bit fabric ports (the Alveo U250's 100G MACs);
/// the Versa's 32-bit core is `ecp5::versa::VersaCore`.
pub type Core = seqfab_gateware::card::CardCore;

/// The core instance the 512-bit board tops embed.
pub fn new_core() -> Core {
    Core::default()
}

/// A board: its folder under `constraints/`, its pin file there, and its top's Verilog.
pub struct Board {
    /// Folder name under `constraints/` and the `constraints/build` argument.
    pub name: &'static str,
    /// Pin constraint file, relative to the board folder.
    pub pin_file: &'static str,
    /// Files the flow needs besides `top.v`: (file name, Verilog).
    pub verilog: fn() -> Vec<(&'static str, String)>,
    /// Rust path of the card core type in the top, written into the board report.
    pub core: fn() -> &'static str,
    /// What the top contains, one line per block (the build report's `placed`): written
    /// here beside the top, not in the build script, so the two cannot drift apart.
    pub placed: &'static [&'static str],
    /// What the board has and the top leaves out, and why (the report's `not_placed`).
    pub not_placed: &'static [&'static str],
}

/// A board top's Verilog. Generated on a large stack: the card core inside a board top is
/// deeper than a test thread's stack (`seqfab_gateware::big_stack`).
fn top_verilog<T: Block>(make: impl FnOnce() -> T + Send) -> String {
    seqfab_gateware::big_stack::run(move || {
        let mut top = make();
        top.connect_all();
        generate_verilog(&top)
    })
}

/// Every board with a folder under `constraints/`.
pub const BOARDS: &[Board] = &[
    Board {
        name: "ecp5-5g-versa",
        pin_file: "versa5g.lpf",
        verilog: || vec![("top.v", top_verilog(ecp5::versa::Versa5gTop::default))],
        core: std::any::type_name::<ecp5::versa::VersaCore>,
        placed: &[
            "card core with 32-bit fabric ports (see `core`), on the card clock",
            "EHXPLLL: 100 MHz oscillator -> card clock (CLKOP, 50 MHz) and RGMII transmit \
             clock (CLKOS, 125 MHz), one VCO (boards/src/ecp5/pll.rs)",
            "UART host bridge between the FT2232H channel B pins and the core's host port \
             (seqfab_gateware::bridge::UartHostBridge; divider from uart_rate)",
            "plane X: RGMII fabric port on PHY1 (RGMII MAC, PHY reset, clock-domain \
             crossings card clock <-> 125 MHz TX clock and RXC; \
             seqfab_gateware::mac::RgmiiFabricPort)",
            "plane Y: RGMII fabric port on PHY2 (the same)",
            "LEDs: link X, link Y, heartbeat",
        ],
        not_placed: &[
            "PCIe x1 endpoint (DCU0): no open PCIe IP for the ECP5; the host port is the \
             UART instead (docs/host-bridge.md)",
            "PHY management (MDC/MDIO): not implemented; the PHYs run on their power-on \
             defaults (docs/rgmii.md)",
            "DDR3, SPI flash, SERDES/SMA, DIP switches, 14-segment display: not used",
        ],
    },
    Board {
        name: "alveo-u250",
        pin_file: "au250.xdc",
        verilog: || {
            vec![
                ("top.v", top_verilog(alveo::u250::AlveoU250Top::default)),
                ("ip_stubs.v", alveo::ip::stubs()),
            ]
        },
        core: std::any::type_name::<Core>,
        placed: &[
            "card core (see `core`)",
            "host bridge: the core's host port on the XDMA's AXI bridge interfaces \
             (BAR0 reads and writes, DMA writes, interrupts; boards/src/alveo/host_bridge.rs)",
            "MAC bridges for planes X and Y: 512-bit AXI4-Stream with the clock crossing \
             from each CMAC's 322 MHz clock (boards/src/alveo/mac_bridge.rs)",
        ],
        not_placed: &[
            "XDMA (PCIe Gen3 x8) and two CMAC (100G) IP cores: black boxes here, built by \
             Vivado (constraints/alveo-u250/build.tcl, not verified here)",
        ],
    },
];

/// The board called `name`.
pub fn board(name: &str) -> Option<&'static Board> {
    BOARDS.iter().find(|b| b.name == name)
}
