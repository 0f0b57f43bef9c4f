//! [`PhyReset`]: holds the Ethernet PHY's reset pin low after configuration, then
//! releases it.
//!
//! Gigabit PHYs need their hardware reset held low for a minimum time once power and
//! their reference clock are stable, and they latch their strap pins (PHY address, mode)
//! when it is released. The figure used for the default is 10 ms: both candidate PHYs
//! for the Versa board ask for about that (Microchip KSZ9031RNX data sheet, "Reset
//! Timing", t_SR >= 10 ms after supplies are stable; Marvell 88E1512 data sheet, reset
//! timing, RESETn low >= 10 ms after power-up; **to verify against the data sheet of the
//! PHY actually fitted**). The counter starts when the FPGA is configured, which is
//! already well after power-up, so this is a margin on top.
//!
//! `restart` reasserts reset and runs the sequence again (e.g. from a soft reset).
//! `phy_ready` rises `settle_cycles` after the release: before it, the PHY may not answer
//! MDIO or forward traffic (the KSZ9031 asks for 100 µs before the first register
//! access). Nothing in the MAC waits for it; it is a status bit for the card.
//!
//! MDIO is not needed: the MAC relies on the PHY's power-on defaults (1000BASE-T
//! autonegotiation, RGMII with internal delays as the board straps it; `docs/rgmii.md`).

use rust_hdl::prelude::*;

/// Width of the cycle counter: up to 134 ms at 125 MHz.
const COUNT_BITS: usize = 24;

/// Reset sequencer for one PHY; see the module doc.
#[derive(LogicBlock)]
pub struct PhyReset {
    /// The MAC's 125 MHz clock (any free-running clock; the times scale with it).
    pub clock: Signal<In, Clock>,
    /// Reassert reset and start the sequence again.
    pub restart: Signal<In, Bit>,
    /// The PHY's active-low reset pin (RESET_N). Low from configuration.
    pub phy_rst_n: Signal<Out, Bit>,
    /// `settle_cycles` have passed since the release.
    pub phy_ready: Signal<Out, Bit>,
    count: DFF<Bits<COUNT_BITS>>,
    rst_n: DFF<Bit>,
    ready: DFF<Bit>,
    hold: Constant<Bits<COUNT_BITS>>,
    /// The count where the sequence ends (`end` is a Verilog keyword).
    done_count: Constant<Bits<COUNT_BITS>>,
    zero: Constant<Bits<COUNT_BITS>>,
    one: Constant<Bits<COUNT_BITS>>,
}

impl PhyReset {
    /// 10 ms at 125 MHz: the reset pulse both candidate PHYs ask for (module doc).
    pub const HOLD_10_MS_AT_125_MHZ: u64 = 1_250_000;
    /// 100 µs at 125 MHz: the KSZ9031's wait after reset before register access.
    pub const SETTLE_100_US_AT_125_MHZ: u64 = 12_500;

    /// Reset low for at least `hold_cycles` clocks after configuration (or `restart`),
    /// `phy_ready` `settle_cycles` after the release.
    pub fn new(hold_cycles: u64, settle_cycles: u64) -> Self {
        assert!(hold_cycles >= 1, "the reset pulse needs at least one clock");
        let end = hold_cycles + settle_cycles;
        assert!(
            end < 1 << COUNT_BITS,
            "hold + settle ({end} clocks) must fit the {COUNT_BITS}-bit counter"
        );
        Self {
            clock: Default::default(),
            restart: Default::default(),
            phy_rst_n: Default::default(),
            phy_ready: Default::default(),
            count: Default::default(),
            rst_n: Default::default(),
            ready: Default::default(),
            hold: Constant::new(hold_cycles.into()),
            done_count: Constant::new(end.into()),
            zero: Constant::new(0u64.into()),
            one: Constant::new(1u64.into()),
        }
    }
}

impl Default for PhyReset {
    /// The data-sheet times at 125 MHz.
    fn default() -> Self {
        Self::new(Self::HOLD_10_MS_AT_125_MHZ, Self::SETTLE_100_US_AT_125_MHZ)
    }
}

impl Logic for PhyReset {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, count, rst_n, ready);
        self.phy_rst_n.next = self.rst_n.q.val();
        self.phy_ready.next = self.ready.q.val();
        if self.restart.val() {
            self.count.d.next = self.zero.val();
            self.rst_n.d.next = false;
            self.ready.d.next = false;
        } else {
            if self.count.q.val() != self.done_count.val() {
                self.count.d.next = self.count.q.val() + self.one.val();
            }
            self.rst_n.d.next = self.count.q.val() >= self.hold.val();
            self.ready.d.next = self.count.q.val() == self.done_count.val();
        }
    }
}

#[cfg(test)]
mod tests;
