//! [`GmiiRx`]: GMII receive bytes -> a frame's bytes with a good/bad verdict at `last`.
//!
//! ```text
//! rx_dv   __/‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾\_____
//! rxd       55 .. 55 D5 b0 b1 b2 ...  bN-2 bN-1
//! bytes_out                valid: b0    b1  ...   bN-2 bN-1 (last, error = verdict)
//! ```
//!
//! - Preamble and SFD are stripped (IEEE 802.3 clause 3.2.1-3.2.2). The frame starts
//!   after the first 0xD5 that follows zero or more 0x55 bytes (a PHY may shorten the
//!   preamble, clause 35.2.3.2.2); any other byte before the SFD discards the burst.
//! - Every byte after the SFD goes out, the 4 FCS bytes included, one clock after it
//!   arrived: each byte is held until the next one (or the end of RX_DV) shows whether
//!   it is the last.
//! - `error` at `last` ([`super::MacByte`]) is the verdict: set when the CRC-32 over all
//!   bytes after the SFD does not leave the residue ([`super::ByteCrc`], i.e. the FCS is
//!   wrong; this covers frames cut short), when RX_ER was high with RX_DV on any byte of
//!   the frame (clause 35.2.2.8: a receive error the PHY detected), or when the frame is
//!   shorter than the 64-byte minimum (clause 4.2.4.2.2: a fragment, dropped even with a
//!   matching CRC).
//!
//! Ethernet cannot be back-pressured: a byte goes out for exactly one clock. If
//! `bytes_out.ready` is low then, the byte is lost and `events.overflow` pulses (the
//! receive path must keep `ready` high, as the card's receive FIFOs do).
//!
//! Latency: a byte is on `bytes_out` 2 clocks after the edge that took it from the GMII
//! (one clock in the hold register, one in the output register); the last byte 2 clocks
//! after the edge that saw RX_DV fall.

use super::byte_crc::ByteCrc;
use super::gmii_tx::{PREAMBLE, SFD};
use super::mac_byte::MacByte;
use crate::widgets::StreamSource;
use rust_hdl::prelude::*;

/// Minimum frame from destination MAC to FCS (IEEE 802.3 clause 4.4.2, minFrameSize).
pub const MIN_FRAME_BYTES: usize = 64;

/// What the receiver reports per frame, for statistics (one-clock pulses).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct RxMacEvents {
    /// A frame ended with a good verdict (`last` without `error`).
    pub good: Bit,
    /// A frame ended with `error` (FCS, RX_ER or shorter than 64 bytes).
    pub bad: Bit,
    /// A burst of RX_DV delivered nothing: it ended or broke before its SFD, or had no
    /// byte after it.
    pub dropped: Bit,
    /// A byte found `bytes_out.ready` low and was lost.
    pub overflow: Bit,
}

/// The receiver's states (plain codes, see `gmii_tx::TxState`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
enum RxState {
    /// Waiting for RX_DV.
    Idle = 0,
    /// Inside the preamble, waiting for the SFD.
    Preamble = 1,
    /// After the SFD: the frame's bytes.
    Data = 2,
    /// A broken preamble: waiting for RX_DV to fall.
    Discard = 3,
}

impl RxState {
    fn code(self) -> Constant<Bits<2>> {
        Constant::new((self as u64).into())
    }
}

/// GMII receive -> byte stream with the FCS verdict; see the module doc.
#[derive(LogicBlock)]
pub struct GmiiRx {
    /// The receive clock (RXC from the PHY).
    pub clock: Signal<In, Clock>,
    /// GMII RXD[7:0].
    pub gmii_rxd: Signal<In, Bits<8>>,
    /// GMII RX_DV.
    pub gmii_rx_dv: Signal<In, Bit>,
    /// GMII RX_ER.
    pub gmii_rx_er: Signal<In, Bit>,
    /// The frames' bytes, FCS included, with the verdict at `last`. `ready` must stay
    /// high (see the module doc).
    pub bytes_out: StreamSource<MacByte>,
    /// Per-frame pulses for statistics.
    pub events: Signal<Out, RxMacEvents>,
    state: DFF<Bits<2>>,
    /// The last byte received, not yet known to be the last of its frame.
    held: DFF<Bits<8>>,
    held_valid: DFF<Bit>,
    /// RX_ER was seen inside the frame.
    phy_error: DFF<Bit>,
    /// Bytes received after the SFD, saturating at 127.
    length: DFF<Bits<7>>,
    out: DFF<MacByte>,
    out_valid: DFF<Bit>,
    good: DFF<Bit>,
    bad: DFF<Bit>,
    dropped: DFF<Bit>,
    /// The verdict on the frame that ends in this clock: bad or not.
    verdict_bad: Signal<Local, Bit>,
    crc: ByteCrc,
    /// The FCS value is for transmitters (named `unused_*` for Verilator).
    unused_fcs: Signal<Local, Bits<32>>,
    s_idle: Constant<Bits<2>>,
    s_preamble: Constant<Bits<2>>,
    s_data: Constant<Bits<2>>,
    s_discard: Constant<Bits<2>>,
    preamble: Constant<Bits<8>>,
    sfd: Constant<Bits<8>>,
    zero7: Constant<Bits<7>>,
    one7: Constant<Bits<7>>,
    max7: Constant<Bits<7>>,
    min_frame: Constant<Bits<7>>,
}

impl Default for GmiiRx {
    fn default() -> Self {
        Self::new()
    }
}

impl GmiiRx {
    pub fn new() -> Self {
        Self {
            clock: Default::default(),
            gmii_rxd: Default::default(),
            gmii_rx_dv: Default::default(),
            gmii_rx_er: Default::default(),
            bytes_out: Default::default(),
            events: Default::default(),
            state: Default::default(),
            held: Default::default(),
            held_valid: Default::default(),
            phy_error: Default::default(),
            length: Default::default(),
            out: Default::default(),
            out_valid: Default::default(),
            good: Default::default(),
            bad: Default::default(),
            dropped: Default::default(),
            verdict_bad: Default::default(),
            crc: ByteCrc::new(),
            unused_fcs: Default::default(),
            s_idle: RxState::Idle.code(),
            s_preamble: RxState::Preamble.code(),
            s_data: RxState::Data.code(),
            s_discard: RxState::Discard.code(),
            preamble: Constant::new((PREAMBLE as u64).into()),
            sfd: Constant::new((SFD as u64).into()),
            zero7: Constant::new(0u64.into()),
            one7: Constant::new(1u64.into()),
            max7: Constant::new(127u64.into()),
            min_frame: Constant::new((MIN_FRAME_BYTES as u64).into()),
        }
    }
}

impl Logic for GmiiRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, state, held, held_valid, phy_error, length, out, out_valid, good, bad,
            dropped
        );
        clock!(self, clock, crc);
        self.bytes_out.data.next = self.out.q.val();
        self.bytes_out.valid.next = self.out_valid.q.val();
        self.events.next.good = self.good.q.val();
        self.events.next.bad = self.bad.q.val();
        self.events.next.dropped = self.dropped.q.val();
        self.events.next.overflow = self.out_valid.q.val() & !self.bytes_out.ready.val();
        self.crc.data.next = self.gmii_rxd.val();
        self.crc.start.next = false;
        self.crc.advance.next = false;
        self.unused_fcs.next = self.crc.fcs.val();
        self.verdict_bad.next = !self.crc.residue_ok.val()
            | self.phy_error.q.val()
            | (self.length.q.val() < self.min_frame.val());
        self.out_valid.d.next = false;
        self.good.d.next = false;
        self.bad.d.next = false;
        self.dropped.d.next = false;
        if self.state.q.val() == self.s_idle.val() {
            if self.gmii_rx_dv.val() {
                if self.gmii_rx_er.val() {
                    self.state.d.next = self.s_discard.val();
                } else if self.gmii_rxd.val() == self.sfd.val() {
                    self.held_valid.d.next = false;
                    self.phy_error.d.next = false;
                    self.length.d.next = self.zero7.val();
                    self.state.d.next = self.s_data.val();
                } else if self.gmii_rxd.val() == self.preamble.val() {
                    self.state.d.next = self.s_preamble.val();
                } else {
                    self.state.d.next = self.s_discard.val();
                }
            }
        } else if self.state.q.val() == self.s_preamble.val() {
            if !self.gmii_rx_dv.val() {
                self.dropped.d.next = true;
                self.state.d.next = self.s_idle.val();
            } else if self.gmii_rx_er.val() {
                self.state.d.next = self.s_discard.val();
            } else if self.gmii_rxd.val() == self.sfd.val() {
                self.held_valid.d.next = false;
                self.phy_error.d.next = false;
                self.length.d.next = self.zero7.val();
                self.state.d.next = self.s_data.val();
            } else if self.gmii_rxd.val() != self.preamble.val() {
                self.state.d.next = self.s_discard.val();
            }
        } else if self.state.q.val() == self.s_data.val() {
            if self.gmii_rx_dv.val() {
                // Another byte: the held one is not the last.
                self.crc.start.next = !self.held_valid.q.val();
                self.crc.advance.next = self.held_valid.q.val();
                self.out.d.next.data = self.held.q.val();
                self.out.d.next.last = false;
                self.out.d.next.error = false;
                self.out_valid.d.next = self.held_valid.q.val();
                self.held.d.next = self.gmii_rxd.val();
                self.held_valid.d.next = true;
                self.phy_error.d.next = self.phy_error.q.val() | self.gmii_rx_er.val();
                if self.length.q.val() != self.max7.val() {
                    self.length.d.next = self.length.q.val() + self.one7.val();
                }
            } else {
                // RX_DV fell: the held byte is the last; the CRC register covers it.
                self.out.d.next.data = self.held.q.val();
                self.out.d.next.last = true;
                self.out.d.next.error = self.verdict_bad.val();
                self.out_valid.d.next = self.held_valid.q.val();
                self.good.d.next = self.held_valid.q.val() & !self.verdict_bad.val();
                self.bad.d.next = self.held_valid.q.val() & self.verdict_bad.val();
                self.dropped.d.next = !self.held_valid.q.val();
                self.held_valid.d.next = false;
                self.state.d.next = self.s_idle.val();
            }
        } else {
            // Discard (the only other code).
            if !self.gmii_rx_dv.val() {
                self.dropped.d.next = true;
                self.state.d.next = self.s_idle.val();
            }
        }
    }
}

#[cfg(test)]
mod tests;
