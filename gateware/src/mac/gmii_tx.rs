//! [`GmiiTx`]: a frame's bytes -> GMII transmit bytes at 125 MHz (preamble, SFD, optional
//! FCS and padding, inter-frame gap).
//!
//! What goes on the GMII for one frame (IEEE 802.3 clause 3.1 frame format, clause 35
//! GMII signals, clause 4.4.2 inter-frame gap):
//!
//! ```text
//! tx_en  __/‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾\___ ... 12 clocks low ... __/‾‾
//! txd      55 55 55 55 55 55 55 D5 b0 b1 ... bN-1 [pad] [FCS0..FCS3]             55 ..
//!          `------ preamble -----'SFD `---- frame from bytes_in ----'
//! ```
//!
//! - 7 preamble bytes 0x55 and the SFD 0xD5 (clause 3.2.1-3.2.2) are made here; the
//!   frame's bytes never include them ([`super::MacByte`]).
//! - The card's frames already end in their FCS (the contract's `Frame::encode`), so by
//!   default the bytes go out as given. With `append_fcs` (a construction parameter) the
//!   MAC pads a frame shorter than 60 bytes with zeros to 60 (clause 3.2.8, minimum
//!   frame 64 bytes with the FCS) and appends the CRC-32 of the frame ([`super::ByteCrc`]),
//!   least significant byte first.
//! - At least 12 idle clocks (96 bit times, clause 4.4.2) separate the last byte of a frame
//!   from the next preamble; back-to-back frames get exactly 12.
//!
//! # The user side
//!
//! `bytes_in` is ready only while a frame's bytes are due on the wire (one per clock),
//! and a frame starts when a byte is offered in the idle state. The GMII cannot wait, so
//! the source must deliver a started frame at line rate (one byte per clock, e.g. from a
//! FIFO that holds whole frames). A frame whose next byte is missing is an **underrun**:
//! the MAC ends it on the wire with TX_ER set for one byte (transmit error propagation,
//! clause 35.2.2.5: the partner's MAC drops it), pulses `underrun`, and discards the rest
//! of the frame's bytes up to `last`. A byte with `last` and `error` set goes out with
//! TX_ER, which spoils the frame on purpose.
//!
//! Latency: the preamble starts on the GMII one clock after the first byte is offered;
//! `bytes_in.ready` rises 8 clocks later (with the SFD on the wire) and each byte taken
//! appears on `gmii_txd` the next clock. All GMII outputs are registers.

use super::byte_crc::ByteCrc;
use super::mac_byte::MacByte;
use crate::widgets::StreamSink;
use rust_hdl::prelude::*;

/// The preamble byte (clause 3.2.1) and the start frame delimiter (clause 3.2.2), as
/// bytes sent least significant bit first.
pub const PREAMBLE: u8 = 0x55;
pub const SFD: u8 = 0xD5;
/// Preamble bytes before the SFD.
pub const PREAMBLE_BYTES: usize = 7;
/// Minimum idle clocks between frames (96 bit times at 8 bits per clock).
pub const GAP_CLOCKS: usize = 12;
/// Frame bytes before the FCS in a minimum-size frame (what `append_fcs` pads to).
pub const MIN_PAYLOAD_BYTES: usize = 60;

/// The transmitter's states, as codes of its 4-bit state register (plain codes, not a
/// `LogicState` enum, for the reason given at `originator::batch_table::SlotState`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
enum TxState {
    /// Line idle; a byte offered starts a frame.
    Idle = 0,
    /// Sending the preamble (the first byte was sent from `Idle`), then the SFD.
    Preamble = 1,
    /// Sending the frame's bytes, one per clock.
    Data = 2,
    /// `append_fcs`: sending zero bytes up to 60.
    Pad = 3,
    /// `append_fcs`: sending FCS byte 0, 1, 2, 3.
    Fcs0 = 4,
    Fcs1 = 5,
    Fcs2 = 6,
    Fcs3 = 7,
    /// Inter-frame gap.
    Gap = 8,
    /// After an underrun: taking the rest of the frame's bytes without sending them.
    Drain = 9,
}

impl TxState {
    fn code(self) -> Constant<Bits<4>> {
        Constant::new((self as u64).into())
    }
}

/// Byte stream -> GMII transmit; see the module doc.
#[derive(LogicBlock)]
pub struct GmiiTx {
    /// The 125 MHz transmit clock (GTX_CLK; the RGMII TXC is forwarded from it).
    pub clock: Signal<In, Clock>,
    /// The frames' bytes (destination MAC first; no preamble or SFD).
    pub bytes_in: StreamSink<MacByte>,
    /// GMII TXD[7:0].
    pub gmii_txd: Signal<Out, Bits<8>>,
    /// GMII TX_EN.
    pub gmii_tx_en: Signal<Out, Bit>,
    /// GMII TX_ER.
    pub gmii_tx_er: Signal<Out, Bit>,
    /// One-clock pulse: a frame's last byte (or last FCS byte) went on the GMII.
    pub sent: Signal<Out, Bit>,
    /// One-clock pulse: a frame's next byte was missing; the frame went out spoiled.
    pub underrun: Signal<Out, Bit>,
    state: DFF<Bits<4>>,
    /// Preamble bytes sent / gap clocks spent.
    count: DFF<Bits<4>>,
    /// Frame bytes sent (data and padding), saturating at 127.
    length: DFF<Bits<7>>,
    txd: DFF<Bits<8>>,
    tx_en: DFF<Bit>,
    tx_er: DFF<Bit>,
    sent_pulse: DFF<Bit>,
    underrun_pulse: DFF<Bit>,
    crc: ByteCrc,
    /// The CRC's residue check is for receivers (named `unused_*` for Verilator).
    unused_residue_ok: Signal<Local, Bit>,
    append_fcs: Constant<Bit>,
    s_idle: Constant<Bits<4>>,
    s_preamble: Constant<Bits<4>>,
    s_data: Constant<Bits<4>>,
    s_pad: Constant<Bits<4>>,
    s_fcs0: Constant<Bits<4>>,
    s_fcs1: Constant<Bits<4>>,
    s_fcs2: Constant<Bits<4>>,
    s_fcs3: Constant<Bits<4>>,
    s_gap: Constant<Bits<4>>,
    s_drain: Constant<Bits<4>>,
    preamble: Constant<Bits<8>>,
    sfd: Constant<Bits<8>>,
    zero8: Constant<Bits<8>>,
    zero4: Constant<Bits<4>>,
    one4: Constant<Bits<4>>,
    one7: Constant<Bits<7>>,
    zero7: Constant<Bits<7>>,
    max7: Constant<Bits<7>>,
    /// Count at which the last preamble byte has been sent (the SFD goes next).
    preamble_done: Constant<Bits<4>>,
    /// Count at which the gap has lasted `GAP_CLOCKS`.
    gap_done: Constant<Bits<4>>,
    /// Length below which the last frame byte must be followed by padding (59), and the
    /// length at which the last pad byte goes out (59).
    pad_last: Constant<Bits<7>>,
}

impl Default for GmiiTx {
    /// The card's configuration: frames carry their own FCS.
    fn default() -> Self {
        Self::new(false)
    }
}

impl GmiiTx {
    /// `append_fcs`: pad short frames to 60 bytes and append the FCS (off for the card,
    /// whose frames carry theirs).
    pub fn new(append_fcs: bool) -> Self {
        Self {
            clock: Default::default(),
            bytes_in: Default::default(),
            gmii_txd: Default::default(),
            gmii_tx_en: Default::default(),
            gmii_tx_er: Default::default(),
            sent: Default::default(),
            underrun: Default::default(),
            state: Default::default(),
            count: Default::default(),
            length: Default::default(),
            txd: Default::default(),
            tx_en: Default::default(),
            tx_er: Default::default(),
            sent_pulse: Default::default(),
            underrun_pulse: Default::default(),
            crc: ByteCrc::new(),
            unused_residue_ok: Default::default(),
            append_fcs: Constant::new(append_fcs),
            s_idle: TxState::Idle.code(),
            s_preamble: TxState::Preamble.code(),
            s_data: TxState::Data.code(),
            s_pad: TxState::Pad.code(),
            s_fcs0: TxState::Fcs0.code(),
            s_fcs1: TxState::Fcs1.code(),
            s_fcs2: TxState::Fcs2.code(),
            s_fcs3: TxState::Fcs3.code(),
            s_gap: TxState::Gap.code(),
            s_drain: TxState::Drain.code(),
            preamble: Constant::new((PREAMBLE as u64).into()),
            sfd: Constant::new((SFD as u64).into()),
            zero8: Constant::new(0u64.into()),
            zero4: Constant::new(0u64.into()),
            one4: Constant::new(1u64.into()),
            one7: Constant::new(1u64.into()),
            zero7: Constant::new(0u64.into()),
            max7: Constant::new(127u64.into()),
            // Idle sends preamble byte 1 and sets count 0; each Preamble clock sends one
            // more, so count 6 means 7 have gone.
            preamble_done: Constant::new(((PREAMBLE_BYTES - 1) as u64).into()),
            // Gap clocks are counted 0..=11.
            gap_done: Constant::new(((GAP_CLOCKS - 1) as u64).into()),
            pad_last: Constant::new(((MIN_PAYLOAD_BYTES - 1) as u64).into()),
        }
    }
}

impl Logic for GmiiTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            state,
            count,
            length,
            txd,
            tx_en,
            tx_er,
            sent_pulse,
            underrun_pulse
        );
        clock!(self, clock, crc);
        self.gmii_txd.next = self.txd.q.val();
        self.gmii_tx_en.next = self.tx_en.q.val();
        self.gmii_tx_er.next = self.tx_er.q.val();
        self.sent.next = self.sent_pulse.q.val();
        self.underrun.next = self.underrun_pulse.q.val();
        // Ready only where bytes are due (from the state register alone).
        self.bytes_in.ready.next =
            (self.state.q.val() == self.s_data.val()) | (self.state.q.val() == self.s_drain.val());
        self.crc.data.next = self.bytes_in.data.val().data;
        self.crc.start.next = false;
        self.crc.advance.next = false;
        self.unused_residue_ok.next = self.crc.residue_ok.val();
        // By default the line goes idle.
        self.txd.d.next = self.zero8.val();
        self.tx_en.d.next = false;
        self.tx_er.d.next = false;
        self.sent_pulse.d.next = false;
        self.underrun_pulse.d.next = false;
        if self.state.q.val() == self.s_idle.val() {
            if self.bytes_in.valid.val() {
                self.txd.d.next = self.preamble.val();
                self.tx_en.d.next = true;
                self.count.d.next = self.zero4.val();
                self.state.d.next = self.s_preamble.val();
            }
        } else if self.state.q.val() == self.s_preamble.val() {
            self.tx_en.d.next = true;
            if self.count.q.val() == self.preamble_done.val() {
                self.txd.d.next = self.sfd.val();
                self.length.d.next = self.zero7.val();
                self.state.d.next = self.s_data.val();
            } else {
                self.txd.d.next = self.preamble.val();
                self.count.d.next = self.count.q.val() + self.one4.val();
            }
        } else if self.state.q.val() == self.s_data.val() {
            self.tx_en.d.next = true;
            if self.bytes_in.valid.val() {
                self.txd.d.next = self.bytes_in.data.val().data;
                self.tx_er.d.next = self.bytes_in.data.val().last & self.bytes_in.data.val().error;
                self.crc.start.next = self.length.q.val() == self.zero7.val();
                self.crc.advance.next = self.length.q.val() != self.zero7.val();
                if self.length.q.val() != self.max7.val() {
                    self.length.d.next = self.length.q.val() + self.one7.val();
                }
                if self.bytes_in.data.val().last {
                    if self.append_fcs.val() {
                        if self.length.q.val() < self.pad_last.val() {
                            self.state.d.next = self.s_pad.val();
                        } else {
                            self.state.d.next = self.s_fcs0.val();
                        }
                    } else {
                        self.sent_pulse.d.next = true;
                        self.count.d.next = self.zero4.val();
                        self.state.d.next = self.s_gap.val();
                    }
                }
            } else {
                // Underrun: one byte with TX_ER ends the frame on the wire.
                self.tx_er.d.next = true;
                self.underrun_pulse.d.next = true;
                self.state.d.next = self.s_drain.val();
            }
        } else if self.state.q.val() == self.s_pad.val() {
            self.tx_en.d.next = true;
            self.crc.data.next = self.zero8.val();
            self.crc.advance.next = true;
            self.length.d.next = self.length.q.val() + self.one7.val();
            if self.length.q.val() == self.pad_last.val() {
                self.state.d.next = self.s_fcs0.val();
            }
        } else if self.state.q.val() == self.s_fcs0.val() {
            self.tx_en.d.next = true;
            self.txd.d.next = self.crc.fcs.val().get_bits::<8>(0);
            self.state.d.next = self.s_fcs1.val();
        } else if self.state.q.val() == self.s_fcs1.val() {
            self.tx_en.d.next = true;
            self.txd.d.next = self.crc.fcs.val().get_bits::<8>(8);
            self.state.d.next = self.s_fcs2.val();
        } else if self.state.q.val() == self.s_fcs2.val() {
            self.tx_en.d.next = true;
            self.txd.d.next = self.crc.fcs.val().get_bits::<8>(16);
            self.state.d.next = self.s_fcs3.val();
        } else if self.state.q.val() == self.s_fcs3.val() {
            self.tx_en.d.next = true;
            self.txd.d.next = self.crc.fcs.val().get_bits::<8>(24);
            self.sent_pulse.d.next = true;
            self.count.d.next = self.zero4.val();
            self.state.d.next = self.s_gap.val();
        } else if self.state.q.val() == self.s_gap.val() {
            if self.count.q.val() == self.gap_done.val() {
                self.state.d.next = self.s_idle.val();
            } else {
                self.count.d.next = self.count.q.val() + self.one4.val();
            }
        } else if self.state.q.val() == self.s_drain.val() {
            if self.bytes_in.valid.val() & self.bytes_in.data.val().last {
                self.count.d.next = self.zero4.val();
                self.state.d.next = self.s_gap.val();
            }
        } else {
            // Unused codes (10..15) cannot be reached; recover to idle regardless.
            self.state.d.next = self.s_idle.val();
        }
    }
}

#[cfg(test)]
mod tests;
