//! [`RgmiiMac`]: one Ethernet port of the card: [`RgmiiTx`], [`RgmiiRx`] and the PHY's
//! [`PhyReset`], with the pins a board top binds.
//!
//! Two clock domains, never mixed inside:
//!
//! | domain | clock | signals |
//! |---|---|---|
//! | TX | `clock`, 125 MHz from a PLL | `bytes_in`, `tx_sent`, `tx_underrun`, the TX pins, `phy_rst_n`, `phy_ready`, `phy_restart` |
//! | RX | `rxc`, 125 MHz from the PHY | `bytes_out`, `rx_events`, `inband_link` |
//!
//! Attaching it to the card core is [`super::RgmiiFabricPort`]: an asynchronous FIFO per
//! direction between these domains and the card clock, the width conversion to the
//! core's 32-bit fabric port, and for TX a frame start only when all of the frame is in
//! the FIFO (the transmitter cannot wait mid-frame, see [`super::GmiiTx`]).

use super::gmii_rx::RxMacEvents;
use super::mac_byte::MacByte;
use super::phy_reset::PhyReset;
use super::rgmii_rx::RgmiiRx;
use super::rgmii_tx::RgmiiTx;
use crate::widgets::{StreamSink, StreamSource};
use rust_hdl::prelude::*;

/// One RGMII Ethernet port; see the module doc.
#[derive(LogicBlock)]
pub struct RgmiiMac {
    /// 125 MHz transmit clock (TXC is forwarded from it); also times the PHY reset.
    pub clock: Signal<In, Clock>,
    /// Frames to send, in the `clock` domain.
    pub bytes_in: StreamSink<MacByte>,
    /// One-clock pulse per frame sent.
    pub tx_sent: Signal<Out, Bit>,
    /// One-clock pulse per frame spoiled by an underrun of `bytes_in`.
    pub tx_underrun: Signal<Out, Bit>,
    /// RGMII TXC.
    pub txc: Signal<Out, Bit>,
    /// RGMII TXD[3:0].
    pub txd: Signal<Out, Bits<4>>,
    /// RGMII TX_CTL.
    pub tx_ctl: Signal<Out, Bit>,
    /// RGMII RXC from the PHY.
    pub rxc: Signal<In, Clock>,
    /// RGMII RXD[3:0].
    pub rxd: Signal<In, Bits<4>>,
    /// RGMII RX_CTL.
    pub rx_ctl: Signal<In, Bit>,
    /// Frames received, in the `rxc` domain, with the verdict at `last`.
    pub bytes_out: StreamSource<MacByte>,
    /// Per-frame receive pulses, in the `rxc` domain.
    pub rx_events: Signal<Out, RxMacEvents>,
    /// In-band link status, in the `rxc` domain (see [`RgmiiRx`]).
    pub inband_link: Signal<Out, Bit>,
    /// The PHY's RESET_N pin.
    pub phy_rst_n: Signal<Out, Bit>,
    /// The PHY's reset sequence is over.
    pub phy_ready: Signal<Out, Bit>,
    /// Reset the PHY again.
    pub phy_restart: Signal<In, Bit>,
    tx: RgmiiTx,
    rx: RgmiiRx,
    reset: PhyReset,
}

impl Default for RgmiiMac {
    /// The card's configuration: frames carry their FCS; the data-sheet reset times.
    fn default() -> Self {
        Self::new(false, PhyReset::default())
    }
}

impl RgmiiMac {
    /// `append_fcs`: see [`super::GmiiTx::new`]; `reset`: the PHY reset sequencer with
    /// its times (tests use short ones).
    pub fn new(append_fcs: bool, reset: PhyReset) -> Self {
        Self {
            clock: Default::default(),
            bytes_in: Default::default(),
            tx_sent: Default::default(),
            tx_underrun: Default::default(),
            txc: Default::default(),
            txd: Default::default(),
            tx_ctl: Default::default(),
            rxc: Default::default(),
            rxd: Default::default(),
            rx_ctl: Default::default(),
            bytes_out: Default::default(),
            rx_events: Default::default(),
            inband_link: Default::default(),
            phy_rst_n: Default::default(),
            phy_ready: Default::default(),
            phy_restart: Default::default(),
            tx: RgmiiTx::new(append_fcs),
            rx: RgmiiRx::default(),
            reset,
        }
    }
}

impl Logic for RgmiiMac {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, tx, reset);
        self.rx.rxc.next = self.rxc.val();
        StreamSink::<MacByte>::link(&mut self.bytes_in, &mut self.tx.bytes_in);
        self.tx_sent.next = self.tx.sent.val();
        self.tx_underrun.next = self.tx.underrun.val();
        self.txc.next = self.tx.txc.val();
        self.txd.next = self.tx.txd.val();
        self.tx_ctl.next = self.tx.tx_ctl.val();
        self.rx.rxd.next = self.rxd.val();
        self.rx.rx_ctl.next = self.rx_ctl.val();
        StreamSource::<MacByte>::link(&mut self.bytes_out, &mut self.rx.bytes_out);
        self.rx_events.next = self.rx.events.val();
        self.inband_link.next = self.rx.inband_link.val();
        self.reset.restart.next = self.phy_restart.val();
        self.phy_rst_n.next = self.reset.phy_rst_n.val();
        self.phy_ready.next = self.reset.phy_ready.val();
    }
}

#[cfg(test)]
mod tests;
