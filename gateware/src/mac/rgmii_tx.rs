//! [`RgmiiTx`]: the MAC's transmit side on the RGMII pins: [`GmiiTx`] and the DDR
//! output registers.
//!
//! RGMII (v2.0, section 3) carries the GMII byte on 4 data lines at both edges of a
//! 125 MHz clock:
//!
//! ```text
//! clock  ‾‾‾‾\____/‾‾‾‾\____/‾‾‾‾\____       (the MAC's 125 MHz TX clock)
//! TXC    ‾‾‾‾\____/‾‾‾‾\____/‾‾‾‾\____       forwarded by an ODDRX1F (D0 = 1, D1 = 0): edge aligned
//! TXD    < b0[3:0] >< b0[7:4] >< b1[3:0] >< b1[7:4] >
//! TX_CTL < TX_EN   >< EN ^ ER >< TX_EN   >< EN ^ ER >
//! ```
//!
//! Every pin, the clock included, leaves through the same primitive ([`Oddrx1f`]), so
//! TXC's edges coincide with the data transitions (the RGMII 1.3 "edge aligned" launch).
//! The receiver needs the clock 1.5-2.0 ns later than the data (RGMII 2.0 table 2,
//! TskewR). **Assumption: the PHY adds that delay** (RGMII-ID, "internal delay" mode),
//! which is how LiteX-Boards drives the Versa's PHYs (`tx_delay = 0`). The ECP5 could
//! instead delay TXC with a `DELAYG` (LiteEth's `ecp5rgmii` does, 25 ps per tap); that is
//! not built here. See `docs/rgmii.md` for the PHY and what remains to verify.
//!
//! TX_CTL is TX_EN in the first half and TX_EN xor TX_ER in the second (RGMII 2.0,
//! section 3.4), so an idle line sends 0/0 and an error byte 1/0.
//!
//! Latency: a GMII byte is registered in [`GmiiTx`], then once more here as the DDR
//! register's two halves (`pins0`, `pins1`: nothing but wires between those flip-flops
//! and the `ODDRX1F`s, so the router can place them by the I/O and the 8 ns of the TX
//! clock are not shared with [`GmiiTx`]'s logic); the DDR register takes it at the next
//! edge and drives it during that clock (the models' latency; see [`Oddrx1f`]). So a
//! byte is on the pins 2 clocks after [`GmiiTx`] registered it.

use super::gmii_tx::GmiiTx;
use super::mac_byte::MacByte;
use super::oddrx1f::Oddrx1f;
use crate::widgets::StreamSink;
use rust_hdl::prelude::*;

/// The transmit pins as one DDR register word: the first half (`d0`) or the second
/// (`d1`) of a clock.
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct TxPins {
    /// TXD[3:0].
    pub txd: Bits<4>,
    /// TX_CTL.
    pub ctl: Bit,
    /// TXC.
    pub clk: Bit,
}

/// Byte stream -> RGMII transmit pins; see the module doc.
#[derive(LogicBlock)]
pub struct RgmiiTx {
    /// The 125 MHz transmit clock (from a PLL; TXC is forwarded from it).
    pub clock: Signal<In, Clock>,
    /// The frames' bytes ([`GmiiTx`] for the rules).
    pub bytes_in: StreamSink<MacByte>,
    /// RGMII TXC.
    pub txc: Signal<Out, Bit>,
    /// RGMII TXD[3:0].
    pub txd: Signal<Out, Bits<4>>,
    /// RGMII TX_CTL.
    pub tx_ctl: Signal<Out, Bit>,
    /// One-clock pulse per frame sent ([`GmiiTx::sent`]).
    pub sent: Signal<Out, Bit>,
    /// One-clock pulse per frame spoiled by an underrun ([`GmiiTx::underrun`]).
    pub underrun: Signal<Out, Bit>,
    gmii: GmiiTx,
    /// The first and second half of the next DDR word, registered (module doc).
    txd0: DFF<Bits<4>>,
    txd1: DFF<Bits<4>>,
    ctl0: DFF<Bit>,
    ctl1: DFF<Bit>,
    ddr: Oddrx1f<TxPins>,
}

impl Default for RgmiiTx {
    /// The card's configuration: frames carry their own FCS.
    fn default() -> Self {
        Self::new(false)
    }
}

impl RgmiiTx {
    /// `append_fcs`: see [`GmiiTx::new`].
    pub fn new(append_fcs: bool) -> Self {
        Self {
            clock: Default::default(),
            bytes_in: Default::default(),
            txc: Default::default(),
            txd: Default::default(),
            tx_ctl: Default::default(),
            sent: Default::default(),
            underrun: Default::default(),
            gmii: GmiiTx::new(append_fcs),
            txd0: Default::default(),
            txd1: Default::default(),
            ctl0: Default::default(),
            ctl1: Default::default(),
            ddr: Default::default(),
        }
    }
}

impl Logic for RgmiiTx {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, gmii, ddr);
        dff_setup!(self, clock, txd0, txd1, ctl0, ctl1);
        StreamSink::<MacByte>::link(&mut self.bytes_in, &mut self.gmii.bytes_in);
        self.txd0.d.next = self.gmii.gmii_txd.val().get_bits::<4>(0);
        self.ctl0.d.next = self.gmii.gmii_tx_en.val();
        self.txd1.d.next = self.gmii.gmii_txd.val().get_bits::<4>(4);
        self.ctl1.d.next = self.gmii.gmii_tx_en.val() ^ self.gmii.gmii_tx_er.val();
        self.ddr.d0.next.txd = self.txd0.q.val();
        self.ddr.d0.next.ctl = self.ctl0.q.val();
        self.ddr.d0.next.clk = true;
        self.ddr.d1.next.txd = self.txd1.q.val();
        self.ddr.d1.next.ctl = self.ctl1.q.val();
        self.ddr.d1.next.clk = false;
        self.txd.next = self.ddr.q.val().txd;
        self.tx_ctl.next = self.ddr.q.val().ctl;
        self.txc.next = self.ddr.q.val().clk;
        self.sent.next = self.gmii.sent.val();
        self.underrun.next = self.gmii.underrun.val();
    }
}

#[cfg(test)]
mod tests;
