//! Board top for the Lattice ECP5-5G Versa (LFE5UM5G-45F-8BG381), built by the open flow.
//! Pins: `constraints/ecp5-5g-versa/versa5g.lpf`.
//!
//! Clock: the 100 MHz LVDS oscillator into an `EHXPLLL` that makes the card clock
//! (`seqfab_contract::CLOCK_MHZ`, 250 MHz). The board's PCIe x1 and SERDES lanes would
//! need a PCIe endpoint and a 100G-class MAC that exist as no open IP for the ECP5 (and
//! its 5 Gb/s SERDES cannot carry a 512-bit, 250 MHz MAC interface anyway), so the core's
//! host and fabric ports sit behind [`StandInBoundary`] on the UART, DIP switch and LED
//! pins instead; the board report says so.

use super::pll::Ecp5Pll;
use crate::standin_boundary::StandInBoundary;
use crate::{new_core, Core};
use rust_hdl::prelude::*;
use seqfab_contract::bridge::{uart_rate, UartRate};

/// The board oscillator (site P3), kHz.
pub const OSC_KHZ: u64 = 100_000;

/// The Versa's card clock, kHz: the one place it is chosen (the PLL's CLKOP, the UART
/// divider, and the LPF's `FREQUENCY NET "clk_core"`, which a test holds equal to it).
/// Why 75 MHz and not DESIGN.md's nominal 250: this board carries 2 x 1 Gb/s Ethernet
/// (a 32-bit beat at 31.25 MHz or more keeps up with it) and a UART, and the card core
/// reaches about 90 MHz on this part (constraints/README.md). If place and route cannot
/// meet 75, the fallback is `62_500` (VCO 625 MHz; the UART gets 5.65 Mbaud).
pub const CARD_CLOCK_KHZ: u64 = 75_000;

/// The RGMII transmit clock, kHz: 1000BASE-T's 125 MHz GMII byte clock (IEEE 802.3
/// clause 35), from the PLL's CLKOS; both ports share it.
pub const RGMII_CLOCK_KHZ: u64 = 125_000;

/// The PLL: oscillator -> card clock (CLKOP) and RGMII transmit clock (CLKOS).
pub type VersaPll = Ecp5Pll<OSC_KHZ, CARD_CLOCK_KHZ, RGMII_CLOCK_KHZ>;

/// The host UART's rate and divider at the card clock (`seqfab_contract::bridge::uart_rate`:
/// the fastest FT2232H rate the card clock divides within 1 %).
///
/// # Panics
/// If the card clock gives no FT2232H rate (the test `card_clock_gives_a_uart_rate`
/// keeps that from reaching a build).
pub fn host_uart_rate() -> UartRate {
    uart_rate(CARD_CLOCK_KHZ * 1000)
        .unwrap_or_else(|| panic!("no FT2232H rate at a {CARD_CLOCK_KHZ} kHz card clock"))
}

#[derive(LogicBlock)]
pub struct Versa5gTop {
    /// 100 MHz LVDS oscillator (site P3).
    pub clk100: Signal<In, Clock>,
    /// DIP switch SW1..8: the stand-in boundary's control lines.
    pub dip: Signal<In, Bits<8>>,
    /// FTDI UART receive line: the stand-in boundary's serial stimulus.
    pub uart_rx: Signal<In, Bit>,
    /// FTDI UART transmit line: the stand-in boundary's folded observation.
    pub uart_tx: Signal<Out, Bit>,
    /// User LEDs D21..D28 (the board drives them active low): folded core outputs.
    pub led: Signal<Out, Bits<8>>,
    pll: VersaPll,
    /// The card clock, named so that the LPF can constrain it (`FREQUENCY NET`).
    clk_core: Signal<Local, Clock>,
    io: StandInBoundary,
    core: Core,
}

impl Default for Versa5gTop {
    fn default() -> Self {
        Self {
            clk100: Default::default(),
            dip: Default::default(),
            uart_rx: Default::default(),
            uart_tx: Default::default(),
            led: Default::default(),
            pll: Ecp5Pll::new(),
            clk_core: Default::default(),
            io: Default::default(),
            core: new_core(),
        }
    }
}

impl Logic for Versa5gTop {
    #[hdl_gen]
    fn update(&mut self) {
        self.pll.clk_in.next = self.clk100.val();
        self.clk_core.next = self.pll.clk_op.val();
        self.io.clock.next = self.clk_core.val();
        self.core.clock.next = self.clk_core.val();
        self.io.serial_in.next = self.uart_rx.val();
        self.io.ctrl.next = self.dip.val();
        self.led.next = self.io.observe.val();
        self.uart_tx.next = self.io.serial_out.val();
        // Host port.
        self.core.mmio_addr.next = self.io.mmio_addr.val();
        self.core.mmio_wdata.next = self.io.mmio_wdata.val();
        self.core.mmio_write.next = self.io.mmio_write.val();
        self.core.mmio_read.next = self.io.mmio_read.val();
        self.io.mmio_rdata.next = self.core.mmio_rdata.val();
        self.io.mmio_rvalid.next = self.core.mmio_rvalid.val();
        self.io.dma_addr.next = self.core.dma_addr.val();
        self.io.dma_data.next = self.core.dma_data.val();
        self.io.dma_valid.next = self.core.dma_valid.val();
        self.core.dma_ready.next = self.io.dma_ready.val();
        self.io.irq.next = self.core.irq.val();
        // Fabric plane X.
        self.core.x.rx_data.next = self.io.x_rx_data.val();
        self.core.x.rx_valid.next = self.io.x_rx_valid.val();
        self.core.x.rx_last.next = self.io.x_rx_last.val();
        self.core.x.rx_bytes.next = self.io.x_rx_bytes.val();
        self.io.x_tx_data.next = self.core.x.tx_data.val();
        self.io.x_tx_valid.next = self.core.x.tx_valid.val();
        self.io.x_tx_last.next = self.core.x.tx_last.val();
        self.io.x_tx_bytes.next = self.core.x.tx_bytes.val();
        self.core.x.tx_ready.next = self.io.x_tx_ready.val();
        self.core.x.link_up.next = self.io.x_link_up.val();
        // Fabric plane Y.
        self.core.y.rx_data.next = self.io.y_rx_data.val();
        self.core.y.rx_valid.next = self.io.y_rx_valid.val();
        self.core.y.rx_last.next = self.io.y_rx_last.val();
        self.core.y.rx_bytes.next = self.io.y_rx_bytes.val();
        self.io.y_tx_data.next = self.core.y.tx_data.val();
        self.io.y_tx_valid.next = self.core.y.tx_valid.val();
        self.io.y_tx_last.next = self.core.y.tx_last.val();
        self.io.y_tx_bytes.next = self.core.y.tx_bytes.val();
        self.core.y.tx_ready.next = self.io.y_tx_ready.val();
        self.core.y.link_up.next = self.io.y_link_up.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecp5::pll::PllParams;

    /// The lead's plan for this board: one VCO at 750 MHz, 75 MHz on CLKOP, 125 on CLKOS.
    #[test]
    fn the_pll_makes_the_card_and_rgmii_clocks() {
        let p = VersaPll::params();
        assert_eq!(p.vco_khz / p.clkop_div, CARD_CLOCK_KHZ);
        assert_eq!(p.vco_khz / p.clkos_div.unwrap(), RGMII_CLOCK_KHZ);
        if CARD_CLOCK_KHZ == 75_000 {
            assert_eq!(
                p,
                PllParams {
                    clki_div: 4,
                    clkfb_div: 3,
                    clkop_div: 10,
                    clkos_div: Some(6),
                    vco_khz: 750_000
                }
            );
        }
    }

    /// The UART divider follows the card clock; the fallback clock has a rate too.
    #[test]
    fn card_clock_gives_a_uart_rate() {
        assert_eq!(Some(host_uart_rate()), uart_rate(CARD_CLOCK_KHZ * 1000));
        for (khz, baud, cpb) in [(75_000, 5_333_333, 14), (62_500, 5_647_058, 11)] {
            let r = uart_rate(khz * 1000).expect("an FT2232H rate");
            assert_eq!((r.baud, r.clocks_per_bit), (baud, cpb), "at {khz} kHz");
        }
    }
}
