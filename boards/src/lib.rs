//! seqfab's board tops: one thin top per board around the board-independent card core
//! (STYLE.md rule 2, Corundum's `fpga.v` / `fpga_core.v` split). A top owns the board's
//! clock and the hard-IP boundaries (PCIe endpoint, MAC/PCS; on the ECP5, which has no
//! open IP for them, the [`standin_boundary`]) and nothing else; the core knows no board.
//! `constraints/<board>/` holds each board's pins and build files, and
//! `constraints/build BOARD` runs the flow on the Verilog this crate generates;
//! [`pin_check`] checks that the two agree.

pub mod alveo;
pub mod ecp5;
pub mod pin_check;
pub mod standin_boundary;
pub mod xor_fold;

use rust_hdl::prelude::*;

/// The card core every board top wraps.
pub type Core = seqfab_gateware::card::CardCore;

/// The core instance the board tops embed.
pub fn new_core() -> Core {
    Core::default()
}

/// Rust path of [`Core`], written into each board report.
pub fn core_name() -> &'static str {
    std::any::type_name::<Core>()
}

/// A board: its folder under `constraints/`, its pin file there, and its top's Verilog.
pub struct Board {
    /// Folder name under `constraints/` and the `constraints/build` argument.
    pub name: &'static str,
    /// Pin constraint file, relative to the board folder.
    pub pin_file: &'static str,
    /// Files the flow needs besides `top.v`: (file name, Verilog).
    pub verilog: fn() -> Vec<(&'static str, String)>,
    /// What the top contains, one line per block (the build report's `placed`): written
    /// here beside the top, not in the build script, so the two cannot drift apart.
    pub placed: &'static [&'static str],
    /// What the board has and the top leaves out, and why (the report's `not_placed`).
    pub not_placed: &'static [&'static str],
}

/// A board top's Verilog. Generated on a large stack: the card core inside a board top is
/// deeper than a test thread's stack (`seqfab_gateware::big_stack`).
fn top_verilog<T: Block>(make: fn() -> T) -> String {
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
        verilog: || {
            vec![
                ("top.v", top_verilog(ecp5::versa::Versa5gTop::default)),
                // The stand-in boundary alone, synthesised separately so the report can
                // give the core's share of the utilisation.
                (
                    "standin_boundary.v",
                    top_verilog(standin_boundary::StandInBoundary::default),
                ),
            ]
        },
        placed: &[
            "card core (see `core`)",
            "EHXPLLL: 100 MHz oscillator -> card clock (CLKOP) and RGMII TX clock (CLKOS)",
            "stand-in boundary: 512-bit serial stimulus register feeding the host and fabric \
             inputs, XOR folds of every core output onto LEDs and UART TX",
        ],
        not_placed: &[
            "PCIe endpoint (DCU0, x1): no open PCIe IP for the ECP5; the host port is driven \
             by the stand-in boundary",
            "fabric MACs for planes X and Y: driven by the stand-in boundary",
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
