//! Board top for the Lattice ECP5-5G Versa (LFE5UM5G-45F-8BG381), built by the open flow:
//! a whole card. Pins: `constraints/ecp5-5g-versa/versa5g.lpf`.
//!
//! ```text
//!  clk100 ─> EHXPLLL ─┬─ CLKOP clk_core (50 MHz) ─> card core, UART bridge, fabric ports' card side
//!                     └─ CLKOS clk_tx  (125 MHz) ─> both fabric ports' RGMII TX
//!  uart_rx/uart_tx <─> UartHostBridge <─> core host port (MMIO, DMA, IRQ)
//!  eth_x_* (PHY1) <─> RgmiiFabricPort <─> core.x (32-bit beats)      RXC: its own clock
//!  eth_y_* (PHY2) <─> RgmiiFabricPort <─> core.y
//!  led[0] link X, led[1] link Y, led[3] heartbeat; active low (no "lease held": the
//!  core has no such output)
//! ```
//!
//! The board has no open PCIe endpoint, so the host port is the FT2232H UART
//! (docs/host-bridge.md), and its fabric planes are its two gigabit RGMII ports
//! (docs/rgmii.md). The clocks are chosen in one place, [`CARD_CLOCK_KHZ`] and
//! [`RGMII_CLOCK_KHZ`]; the UART divider follows the card clock ([`host_uart_rate`]).

use super::pll::Ecp5Pll;
use rust_hdl::prelude::*;
use seqfab_contract::bridge::{uart_rate, UartRate};
use seqfab_gateware::bridge::UartHostBridge;
use seqfab_gateware::mac::{PhyReset, RgmiiFabricPort};

/// The card core with 32-bit fabric ports: a gigabit RGMII port carries 1 Gb/s, which a
/// 32-bit beat keeps up with from 31.25 MHz (DESIGN.md section 7: the fabric width is a
/// per-board parameter).
pub type VersaCore = seqfab_gateware::card::NarrowCardCore;

/// The board oscillator (site P3), kHz.
pub const OSC_KHZ: u64 = 100_000;

/// The Versa's card clock, kHz: the one place it is chosen (the PLL's CLKOP, the UART
/// divider, and the LPF's `FREQUENCY NET "clk_core"`, which a test holds equal to it).
/// Why 50 MHz and not DESIGN.md's nominal 250: this board's real rates are 2 x 1 Gb/s
/// Ethernet, which a 32-bit beat carries from 31.25 MHz (at 50 MHz a plane has 200 MB/s
/// for a gigabit link's 125 MB/s, and the engine takes 50 M REQ/s, 30 times the
/// 1.49 M frames/s a gigabit link can bring), and the FT2232H UART (`host_uart_rate`: 4.57 Mbaud,
/// 11 clocks a bit). The whole card (core, bridge, two MACs: 77 % of the LUT4s) placed at
/// 64 MHz against 75 MHz in the first full build (constraints/README.md), so 75 did not
/// close; 50 is the next clock below it that the PLL makes together with the RGMII's
/// 125 MHz (VCO 500 MHz). A faster card clock here needs a smaller or shallower card,
/// not a different PLL.
pub const CARD_CLOCK_KHZ: u64 = 50_000;

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

/// The LED pins, lit by a low level: `led[0]` link X, `led[1]` link Y, `led[3]` the
/// heartbeat; the others dark. Each mask clears its LED's bit (`Constant`s, since a free
/// `const` inside `#[hdl_gen]` becomes an undeclared Verilog name).
const LEDS_DARK: u64 = 0xFF;
const LED_LINK_X: u64 = 0xFF & !(1 << 0);
const LED_LINK_Y: u64 = 0xFF & !(1 << 1);
const LED_HEARTBEAT: u64 = 0xFF & !(1 << 3);

/// The card on the board, clocks in: everything of [`Versa5gTop`] but the PLL. It is
/// what the board-level simulation runs (`seqfab-sim`'s `versa_card` model): an `EHXPLLL`
/// is a hard block with no cycle model, so the simulator drives these two clocks itself.
#[derive(LogicBlock)]
pub struct VersaCard {
    /// The card clock ([`CARD_CLOCK_KHZ`]).
    pub clock: Signal<In, Clock>,
    /// The RGMII transmit clock ([`RGMII_CLOCK_KHZ`]).
    pub tx_clock: Signal<In, Clock>,
    /// FT2232H channel B TXD: the host's serial line into the bridge.
    pub uart_rx: Signal<In, Bit>,
    /// FT2232H channel B RXD: the bridge's serial line to the host.
    pub uart_tx: Signal<Out, Bit>,
    /// User LEDs D21..D28, lit by a low pin: see [`LEDS_DARK`] and the masks beside it.
    pub led: Signal<Out, Bits<8>>,
    /// Plane X, PHY1: RGMII TXC (forwarded 125 MHz clock).
    pub eth_x_txc: Signal<Out, Bit>,
    /// Plane X: RGMII TXD[3:0].
    pub eth_x_txd: Signal<Out, Bits<4>>,
    /// Plane X: RGMII TX_CTL.
    pub eth_x_tx_ctl: Signal<Out, Bit>,
    /// Plane X: RGMII RXC, the PHY's 125 MHz receive clock.
    pub eth_x_rxc: Signal<In, Clock>,
    /// Plane X: RGMII RXD[3:0].
    pub eth_x_rxd: Signal<In, Bits<4>>,
    /// Plane X: RGMII RX_CTL.
    pub eth_x_rx_ctl: Signal<In, Bit>,
    /// Plane X: the PHY's RESET_N.
    pub eth_x_rst_n: Signal<Out, Bit>,
    /// Plane Y, PHY2: RGMII TXC.
    pub eth_y_txc: Signal<Out, Bit>,
    /// Plane Y: RGMII TXD[3:0].
    pub eth_y_txd: Signal<Out, Bits<4>>,
    /// Plane Y: RGMII TX_CTL.
    pub eth_y_tx_ctl: Signal<Out, Bit>,
    /// Plane Y: RGMII RXC.
    pub eth_y_rxc: Signal<In, Clock>,
    /// Plane Y: RGMII RXD[3:0].
    pub eth_y_rxd: Signal<In, Bits<4>>,
    /// Plane Y: RGMII RX_CTL.
    pub eth_y_rx_ctl: Signal<In, Bit>,
    /// Plane Y: the PHY's RESET_N.
    pub eth_y_rst_n: Signal<Out, Bit>,
    bridge: UartHostBridge,
    core: VersaCore,
    mac_x: RgmiiFabricPort,
    mac_y: RgmiiFabricPort,
    /// Free-running count of card clocks; bit 25 toggles every 2^25 of them, a blink of
    /// about 1.3 s at 50 MHz: slow enough to see, and proof that the PLL
    /// and the card clock run.
    heartbeat: DFF<Bits<26>>,
    /// 1, at the counter's width (a literal would be 64 bits wide in the Verilog).
    heartbeat_step: Constant<Bits<26>>,
    led_x: Signal<Local, Bits<8>>,
    led_y: Signal<Local, Bits<8>>,
    led_hb: Signal<Local, Bits<8>>,
    leds_dark: Constant<Bits<8>>,
    led_link_x: Constant<Bits<8>>,
    led_link_y: Constant<Bits<8>>,
    led_heartbeat: Constant<Bits<8>>,
}

impl Default for VersaCard {
    /// The board's card: the UART divider of the card clock, the PHYs' data-sheet reset
    /// times.
    fn default() -> Self {
        Self::new(
            host_uart_rate().clocks_per_bit,
            PhyReset::HOLD_10_MS_AT_125_MHZ,
            PhyReset::SETTLE_100_US_AT_125_MHZ,
        )
    }
}

impl VersaCard {
    /// A card with the UART at `clocks_per_bit` and the PHYs held in reset `phy_hold` TX
    /// clocks, ready `phy_settle` after (the board's values in [`Default`]; a simulation
    /// shortens them: the data sheet's 10 ms is 1.25 million clocks of nothing).
    ///
    /// Decision: `link_up` does not wait for the PHYs' RGMII in-band status. It is
    /// optional in RGMII 2.0 and the 88E1512 must be configured over MDIO to send it,
    /// which this card does not do; a plane whose cable is out is found by its missing
    /// heartbeats instead (the liveness tracker), as a plane behind a dead switch is.
    pub fn new(clocks_per_bit: u32, phy_hold: u64, phy_settle: u64) -> Self {
        Self {
            clock: Default::default(),
            tx_clock: Default::default(),
            uart_rx: Default::default(),
            uart_tx: Default::default(),
            led: Default::default(),
            eth_x_txc: Default::default(),
            eth_x_txd: Default::default(),
            eth_x_tx_ctl: Default::default(),
            eth_x_rxc: Default::default(),
            eth_x_rxd: Default::default(),
            eth_x_rx_ctl: Default::default(),
            eth_x_rst_n: Default::default(),
            eth_y_txc: Default::default(),
            eth_y_txd: Default::default(),
            eth_y_tx_ctl: Default::default(),
            eth_y_rxc: Default::default(),
            eth_y_rxd: Default::default(),
            eth_y_rx_ctl: Default::default(),
            eth_y_rst_n: Default::default(),
            bridge: UartHostBridge::new(clocks_per_bit),
            core: VersaCore::default(),
            mac_x: RgmiiFabricPort::new(PhyReset::new(phy_hold, phy_settle), false),
            mac_y: RgmiiFabricPort::new(PhyReset::new(phy_hold, phy_settle), false),
            heartbeat: Default::default(),
            heartbeat_step: Constant::new(1u64.into()),
            led_x: Default::default(),
            led_y: Default::default(),
            led_hb: Default::default(),
            leds_dark: Constant::new(LEDS_DARK.into()),
            led_link_x: Constant::new(LED_LINK_X.into()),
            led_link_y: Constant::new(LED_LINK_Y.into()),
            led_heartbeat: Constant::new(LED_HEARTBEAT.into()),
        }
    }
}

impl Logic for VersaCard {
    #[hdl_gen]
    fn update(&mut self) {
        // Clocks.
        self.core.clock.next = self.clock.val();
        self.bridge.clock.next = self.clock.val();
        self.heartbeat.clock.next = self.clock.val();
        self.mac_x.clock.next = self.clock.val();
        self.mac_x.tx_clock.next = self.tx_clock.val();
        self.mac_y.clock.next = self.clock.val();
        self.mac_y.tx_clock.next = self.tx_clock.val();
        // Host port over the UART, name for name (as gateware's `BridgedCard`).
        self.bridge.rx.next = self.uart_rx.val();
        self.uart_tx.next = self.bridge.tx.val();
        self.core.mmio_addr.next = self.bridge.mmio_addr.val();
        self.core.mmio_wdata.next = self.bridge.mmio_wdata.val();
        self.core.mmio_write.next = self.bridge.mmio_write.val();
        self.core.mmio_read.next = self.bridge.mmio_read.val();
        self.bridge.mmio_rdata.next = self.core.mmio_rdata.val();
        self.bridge.mmio_rvalid.next = self.core.mmio_rvalid.val();
        self.bridge.dma_addr.next = self.core.dma_addr.val();
        self.bridge.dma_data.next = self.core.dma_data.val();
        self.bridge.dma_valid.next = self.core.dma_valid.val();
        self.core.dma_ready.next = self.bridge.dma_ready.val();
        self.bridge.irq.next = self.core.irq.val();
        // Plane X: PHY1.
        self.eth_x_txc.next = self.mac_x.txc.val();
        self.eth_x_txd.next = self.mac_x.txd.val();
        self.eth_x_tx_ctl.next = self.mac_x.tx_ctl.val();
        self.mac_x.rxc.next = self.eth_x_rxc.val();
        self.mac_x.rxd.next = self.eth_x_rxd.val();
        self.mac_x.rx_ctl.next = self.eth_x_rx_ctl.val();
        self.eth_x_rst_n.next = self.mac_x.phy_rst_n.val();
        self.core.x.rx_data.next = self.mac_x.rx_data.val();
        self.core.x.rx_valid.next = self.mac_x.rx_valid.val();
        self.core.x.rx_last.next = self.mac_x.rx_last.val();
        self.core.x.rx_bytes.next = self.mac_x.rx_bytes.val();
        self.mac_x.rx_ready.next = self.core.x.rx_ready.val();
        self.mac_x.tx_data.next = self.core.x.tx_data.val();
        self.mac_x.tx_valid.next = self.core.x.tx_valid.val();
        self.mac_x.tx_last.next = self.core.x.tx_last.val();
        self.mac_x.tx_bytes.next = self.core.x.tx_bytes.val();
        self.core.x.tx_ready.next = self.mac_x.tx_ready.val();
        self.core.x.link_up.next = self.mac_x.link_up.val();
        // Plane Y: PHY2.
        self.eth_y_txc.next = self.mac_y.txc.val();
        self.eth_y_txd.next = self.mac_y.txd.val();
        self.eth_y_tx_ctl.next = self.mac_y.tx_ctl.val();
        self.mac_y.rxc.next = self.eth_y_rxc.val();
        self.mac_y.rxd.next = self.eth_y_rxd.val();
        self.mac_y.rx_ctl.next = self.eth_y_rx_ctl.val();
        self.eth_y_rst_n.next = self.mac_y.phy_rst_n.val();
        self.core.y.rx_data.next = self.mac_y.rx_data.val();
        self.core.y.rx_valid.next = self.mac_y.rx_valid.val();
        self.core.y.rx_last.next = self.mac_y.rx_last.val();
        self.core.y.rx_bytes.next = self.mac_y.rx_bytes.val();
        self.mac_y.rx_ready.next = self.core.y.rx_ready.val();
        self.mac_y.tx_data.next = self.core.y.tx_data.val();
        self.mac_y.tx_valid.next = self.core.y.tx_valid.val();
        self.mac_y.tx_last.next = self.core.y.tx_last.val();
        self.mac_y.tx_bytes.next = self.core.y.tx_bytes.val();
        self.core.y.tx_ready.next = self.mac_y.tx_ready.val();
        self.core.y.link_up.next = self.mac_y.link_up.val();
        // LEDs, lit low; the unused ones dark.
        self.heartbeat.d.next = self.heartbeat.q.val() + self.heartbeat_step.val();
        self.led_x.next = self.leds_dark.val();
        if self.mac_x.link_up.val() {
            self.led_x.next = self.led_link_x.val();
        }
        self.led_y.next = self.leds_dark.val();
        if self.mac_y.link_up.val() {
            self.led_y.next = self.led_link_y.val();
        }
        self.led_hb.next = self.leds_dark.val();
        if self.heartbeat.q.val().get_bit(25) {
            self.led_hb.next = self.led_heartbeat.val();
        }
        self.led.next = self.led_x.val() & self.led_y.val() & self.led_hb.val();
    }
}
/// The board top: the oscillator into the PLL, and the [`VersaCard`] on the board's pins
/// (each pin is the card's port of the same name; their meanings are documented there).
#[derive(LogicBlock)]
pub struct Versa5gTop {
    /// 100 MHz LVDS oscillator (site P3).
    pub clk100: Signal<In, Clock>,
    pub uart_rx: Signal<In, Bit>,
    pub uart_tx: Signal<Out, Bit>,
    pub led: Signal<Out, Bits<8>>,
    pub eth_x_txc: Signal<Out, Bit>,
    pub eth_x_txd: Signal<Out, Bits<4>>,
    pub eth_x_tx_ctl: Signal<Out, Bit>,
    pub eth_x_rxc: Signal<In, Clock>,
    pub eth_x_rxd: Signal<In, Bits<4>>,
    pub eth_x_rx_ctl: Signal<In, Bit>,
    pub eth_x_rst_n: Signal<Out, Bit>,
    pub eth_y_txc: Signal<Out, Bit>,
    pub eth_y_txd: Signal<Out, Bits<4>>,
    pub eth_y_tx_ctl: Signal<Out, Bit>,
    pub eth_y_rxc: Signal<In, Clock>,
    pub eth_y_rxd: Signal<In, Bits<4>>,
    pub eth_y_rx_ctl: Signal<In, Bit>,
    pub eth_y_rst_n: Signal<Out, Bit>,
    pll: VersaPll,
    /// The card clock, named so that the LPF can constrain it (`FREQUENCY NET`).
    clk_core: Signal<Local, Clock>,
    /// The RGMII transmit clock, named for the LPF likewise.
    clk_tx: Signal<Local, Clock>,
    card: VersaCard,
}

impl Default for Versa5gTop {
    fn default() -> Self {
        Self {
            clk100: Default::default(),
            uart_rx: Default::default(),
            uart_tx: Default::default(),
            led: Default::default(),
            eth_x_txc: Default::default(),
            eth_x_txd: Default::default(),
            eth_x_tx_ctl: Default::default(),
            eth_x_rxc: Default::default(),
            eth_x_rxd: Default::default(),
            eth_x_rx_ctl: Default::default(),
            eth_x_rst_n: Default::default(),
            eth_y_txc: Default::default(),
            eth_y_txd: Default::default(),
            eth_y_tx_ctl: Default::default(),
            eth_y_rxc: Default::default(),
            eth_y_rxd: Default::default(),
            eth_y_rx_ctl: Default::default(),
            eth_y_rst_n: Default::default(),
            pll: VersaPll::new(),
            clk_core: Default::default(),
            clk_tx: Default::default(),
            card: VersaCard::default(),
        }
    }
}

impl Logic for Versa5gTop {
    #[hdl_gen]
    fn update(&mut self) {
        self.pll.clk_in.next = self.clk100.val();
        self.clk_core.next = self.pll.clk_op.val();
        self.clk_tx.next = self.pll.clk_os.val();
        self.card.clock.next = self.clk_core.val();
        self.card.tx_clock.next = self.clk_tx.val();
        self.card.uart_rx.next = self.uart_rx.val();
        self.uart_tx.next = self.card.uart_tx.val();
        self.led.next = self.card.led.val();
        self.eth_x_txc.next = self.card.eth_x_txc.val();
        self.eth_x_txd.next = self.card.eth_x_txd.val();
        self.eth_x_tx_ctl.next = self.card.eth_x_tx_ctl.val();
        self.card.eth_x_rxc.next = self.eth_x_rxc.val();
        self.card.eth_x_rxd.next = self.eth_x_rxd.val();
        self.card.eth_x_rx_ctl.next = self.eth_x_rx_ctl.val();
        self.eth_x_rst_n.next = self.card.eth_x_rst_n.val();
        self.eth_y_txc.next = self.card.eth_y_txc.val();
        self.eth_y_txd.next = self.card.eth_y_txd.val();
        self.eth_y_tx_ctl.next = self.card.eth_y_tx_ctl.val();
        self.card.eth_y_rxc.next = self.eth_y_rxc.val();
        self.card.eth_y_rxd.next = self.eth_y_rxd.val();
        self.card.eth_y_rx_ctl.next = self.eth_y_rx_ctl.val();
        self.eth_y_rst_n.next = self.card.eth_y_rst_n.val();
    }
}

/// The Verilog of the card without its PLL (top module `top`), for simulation: the UART
/// at `clocks_per_bit`, the PHY reset held `phy_reset_clocks` TX clocks and then given as
/// long again to settle. Append `seqfab_gateware::mac::ECP5_DDR_SIM_MODELS` for a
/// simulator.
pub fn versa_card_verilog(clocks_per_bit: u32, phy_reset_clocks: u64) -> String {
    crate::top_verilog(move || VersaCard::new(clocks_per_bit, phy_reset_clocks, phy_reset_clocks))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecp5::pll::PllParams;

    /// One VCO for the card clock on CLKOP and 125 MHz on CLKOS.
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
        for (khz, baud, cpb) in [
            (50_000, 4_571_428, 11),
            (75_000, 5_333_333, 14),
            (62_500, 5_647_058, 11),
        ] {
            let r = uart_rate(khz * 1000).expect("an FT2232H rate");
            assert_eq!((r.baud, r.clocks_per_bit), (baud, cpb), "at {khz} kHz");
        }
    }
}
