//! [`RgmiiRx`]: the MAC's receive side on the RGMII pins: the DDR input registers and
//! [`GmiiRx`].
//!
//! ```text
//! RXC (as the FPGA sees it) ‾‾\____/‾‾‾‾\____/‾‾‾‾\____/‾‾      delayed ~2 ns by the PHY
//! RXD                      < b0[3:0] >< b0[7:4] >< b1[3:0] >     launched edge aligned
//! RX_CTL                   < RX_DV   >< DV ^ ER >< RX_DV   >
//!                              ^ rising: low nibble, RX_DV
//!                                        ^ falling: high nibble, RX_DV xor RX_ER
//! ```
//!
//! The [`Iddrx1f`]s sample RXD and RX_CTL at both edges of RXC and present each byte's
//! pair at the next rising edge (RGMII 2.0, section 3); the byte is `{falling nibble,
//! rising nibble}`, RX_DV the rising RX_CTL, RX_ER the xor of both. **Assumption: the PHY
//! delays RXC by 1.5-2 ns** (RGMII-ID), so the FPGA samples with RXC as it arrives;
//! LiteX-Boards drives the Versa's PHYs the same way (`rx_delay = 0`). See
//! `docs/rgmii.md`.
//!
//! Between frames (RX_DV and RX_ER low) an RGMII 2.0 PHY may send in-band status on RXD
//! (section 3.4.1: RXD[0] link up, RXD[2:1] speed, RXD[3] duplex). `inband_link` holds
//! the last RXD[0] seen there; it is only meaningful if the PHY is set to send in-band
//! status (optional in the standard; not relied on by the MAC).
//!
//! Everything here runs on RXC; the byte stream leaves in that clock domain.
//! Latency: a byte's second half is sampled at a falling edge of RXC; the pair is
//! presented at the next rising edge, registered in the fabric at the edge after
//! (`q0_r`, `q1_r`: wires only from the `IDDRX1F`s, so the router can place them by the
//! I/O and [`GmiiRx`]'s SFD search and CRC start from fabric registers), and the byte is
//! on `bytes_out` 2 clocks after that ([`GmiiRx`]): 3 clocks after the pair.

use super::gmii_rx::{GmiiRx, RxMacEvents};
use super::iddrx1f::Iddrx1f;
use super::mac_byte::MacByte;
use crate::widgets::StreamSource;
use rust_hdl::prelude::*;

/// The receive pins as one DDR register word.
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct RxPins {
    /// RXD[3:0].
    pub rxd: Bits<4>,
    /// RX_CTL.
    pub ctl: Bit,
}

/// A byte from its two nibbles (low nibble in bits 3:0).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
struct Nibbles {
    pub lo: Bits<4>,
    pub hi: Bits<4>,
}

/// RGMII receive pins -> byte stream with the FCS verdict; see the module doc.
#[derive(LogicBlock, Default)]
pub struct RgmiiRx {
    /// RGMII RXC from the PHY: the clock of everything here.
    pub rxc: Signal<In, Clock>,
    /// RGMII RXD[3:0].
    pub rxd: Signal<In, Bits<4>>,
    /// RGMII RX_CTL.
    pub rx_ctl: Signal<In, Bit>,
    /// The frames' bytes, FCS included, with the verdict at `last` ([`GmiiRx`]).
    pub bytes_out: StreamSource<MacByte>,
    /// Per-frame pulses for statistics.
    pub events: Signal<Out, RxMacEvents>,
    /// RXD[0] of the last in-band status (see the module doc).
    pub inband_link: Signal<Out, Bit>,
    ddr: Iddrx1f<RxPins>,
    /// The DDR register's pair, registered in the fabric (module doc).
    q0_r: DFF<RxPins>,
    q1_r: DFF<RxPins>,
    /// (`byte` would be a SystemVerilog keyword.)
    nibbles: Signal<Local, Nibbles>,
    link: DFF<Bit>,
    /// RXD at the rising edge, as a signal of its own: a bit of a struct field would be a
    /// double select (`q0[..][0]`), which Yosys' Verilog frontend refuses.
    rise_nibble: Signal<Local, Bits<4>>,
    /// In-band speed and duplex are not used (named `unused_*` for Verilator).
    unused_status: Signal<Local, Bits<4>>,
    gmii: GmiiRx,
}

impl Logic for RgmiiRx {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, rxc, ddr, gmii);
        dff_setup!(self, rxc, link, q0_r, q1_r);
        self.ddr.d.next.rxd = self.rxd.val();
        self.ddr.d.next.ctl = self.rx_ctl.val();
        self.q0_r.d.next = self.ddr.q0.val();
        self.q1_r.d.next = self.ddr.q1.val();
        self.rise_nibble.next = self.q0_r.q.val().rxd;
        self.nibbles.next.lo = self.rise_nibble.val();
        self.nibbles.next.hi = self.q1_r.q.val().rxd;
        self.gmii.gmii_rxd.next = self.nibbles.val().into();
        self.gmii.gmii_rx_dv.next = self.q0_r.q.val().ctl;
        self.gmii.gmii_rx_er.next = self.q0_r.q.val().ctl ^ self.q1_r.q.val().ctl;
        self.unused_status.next = self.q1_r.q.val().rxd;
        if !self.q0_r.q.val().ctl & !self.q1_r.q.val().ctl {
            self.link.d.next = self.rise_nibble.val().get_bit(0);
        }
        self.inband_link.next = self.link.q.val();
        StreamSource::<MacByte>::link(&mut self.bytes_out, &mut self.gmii.bytes_out);
        self.events.next = self.gmii.events.val();
    }
}

#[cfg(test)]
mod tests;
