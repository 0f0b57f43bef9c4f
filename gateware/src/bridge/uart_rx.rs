//! [`UartRx`]: an 8N1 UART receiver, sampling mid-bit with a three-sample vote.
//!
//! The serial pin is asynchronous to the card clock, so it first passes a two-flip-flop
//! synchroniser (the classic defence against metastability: the first stage may go
//! metastable, the second gives it a clock to settle). The receiver then counts card
//! clocks: `clocks_per_bit` (`N`, a parameter, [`seqfab_contract::bridge::uart_rate`])
//! per bit, i.e. it oversamples the line `N` times per bit and decides each bit from the
//! three samples around the bit's middle (majority vote, so a one-clock glitch does not
//! flip a bit).
//!
//! - A low line in idle starts a byte; if the vote in the middle of the start bit reads
//!   high it was a glitch and the receiver returns to idle.
//! - Data bits follow least significant first, one vote every `N` clocks.
//! - The stop bit is voted in its middle. High: `strobe` pulses with `data`. Low: `error`
//!   pulses (a framing error: noise, a wrong rate or a break) and the receiver waits for
//!   the line to go high before it looks for the next start bit, so a break counts once.
//!
//! The receiver is idle again from the middle of the stop bit, which leaves half a bit of
//! slack for a sender whose clock runs faster than the card's (the rate error the contract
//! allows is 1 %, [`seqfab_contract::bridge::MAX_RATE_ERROR_PPM`]). It cannot be
//! back-pressured: `strobe` is a one-clock pulse the consumer must take.
//!
//! Latency: `strobe` rises about 9.5 bit times plus 4 clocks after the start edge.

use rust_hdl::prelude::*;
use seqfab_contract::bridge::MIN_CLOCKS_PER_BIT;

/// The receiver's state codes (plain codes, not a `LogicState` enum: rust-hdl declares an
/// enum's `localparam`s in every module holding a register of it, and Verilator reports
/// the unused ones; see `originator::batch_table`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
enum RxState {
    /// Line high, waiting for a start bit.
    Idle = 0,
    /// In the start bit, waiting for its middle.
    Start = 1,
    /// In the data bits.
    Data = 2,
    /// In the stop bit.
    Stop = 3,
    /// After a framing error: waiting for the line to go high.
    Break = 4,
}

impl RxState {
    fn code(self) -> Constant<Bits<3>> {
        Constant::new((self as u64).into())
    }
}

/// 8N1 receiver (see the module doc).
#[derive(LogicBlock)]
pub struct UartRx {
    /// Card clock.
    pub clock: Signal<In, Clock>,
    /// The serial input pin (idle high), asynchronous to `clock`.
    pub rx: Signal<In, Bit>,
    /// The byte received; valid while `strobe` is high (and held until the next byte).
    pub data: Signal<Out, Bits<8>>,
    /// One-clock pulse: a byte with a good stop bit.
    pub strobe: Signal<Out, Bit>,
    /// One-clock pulse: a byte without a stop bit (framing error).
    pub error: Signal<Out, Bit>,
    /// Synchroniser stages, holding the *inverted* line so that their initial value
    /// (0) means idle.
    sync1_low: DFF<Bit>,
    sync2_low: DFF<Bit>,
    /// The two samples before `sync2_low`, for the vote.
    hist1_low: DFF<Bit>,
    hist2_low: DFF<Bit>,
    /// Majority of the three samples (combinational).
    vote_low: Signal<Local, Bit>,
    state: DFF<Bits<3>>,
    /// Clocks counted in the current bit.
    count: DFF<Bits<16>>,
    /// Data bits received.
    bits: DFF<Bits<4>>,
    shift: DFF<Bits<8>>,
    strobe_q: DFF<Bit>,
    error_q: DFF<Bit>,
    /// The count is `N - 1` (a data or stop bit is voted) / `N / 2` (the start bit is
    /// voted: its middle is one sample ago), registered: decided a clock ahead so the
    /// state machine reads flip-flops, not a 16-bit compare.
    at_last: DFF<Bit>,
    at_half: DFF<Bit>,
    /// The count restarts from 0 at this edge.
    restart: Signal<Local, Bit>,
    last_m1: Constant<Bits<16>>,
    half_m1: Constant<Bits<16>>,
    one16: Constant<Bits<16>>,
    zero16: Constant<Bits<16>>,
    one4: Constant<Bits<4>>,
    zero4: Constant<Bits<4>>,
    seven: Constant<Bits<4>>,
    /// Bit 7 alone: a received 1 entering the shift register.
    msb: Constant<Bits<8>>,
    s_idle: Constant<Bits<3>>,
    s_start: Constant<Bits<3>>,
    s_data: Constant<Bits<3>>,
    s_stop: Constant<Bits<3>>,
    s_break: Constant<Bits<3>>,
}

impl UartRx {
    /// A receiver of `clocks_per_bit` card clocks per bit (at least
    /// [`MIN_CLOCKS_PER_BIT`], so that the three voted samples sit inside a bit).
    pub fn new(clocks_per_bit: u32) -> Self {
        assert!(
            (MIN_CLOCKS_PER_BIT..=u16::MAX as u32).contains(&clocks_per_bit),
            "clocks_per_bit {clocks_per_bit} outside {MIN_CLOCKS_PER_BIT}..=65535"
        );
        let n = clocks_per_bit as u64;
        Self {
            clock: Default::default(),
            rx: Default::default(),
            data: Default::default(),
            strobe: Default::default(),
            error: Default::default(),
            sync1_low: Default::default(),
            sync2_low: Default::default(),
            hist1_low: Default::default(),
            hist2_low: Default::default(),
            vote_low: Default::default(),
            state: Default::default(),
            count: Default::default(),
            bits: Default::default(),
            shift: Default::default(),
            strobe_q: Default::default(),
            error_q: Default::default(),
            at_last: Default::default(),
            at_half: Default::default(),
            restart: Default::default(),
            last_m1: Constant::new((n - 2).into()),
            half_m1: Constant::new((n / 2 - 1).into()),
            one16: Constant::new(1.into()),
            zero16: Constant::new(0.into()),
            one4: Constant::new(1.into()),
            zero4: Constant::new(0.into()),
            seven: Constant::new(7.into()),
            msb: Constant::new(0x80.into()),
            s_idle: RxState::Idle.code(),
            s_start: RxState::Start.code(),
            s_data: RxState::Data.code(),
            s_stop: RxState::Stop.code(),
            s_break: RxState::Break.code(),
        }
    }
}

impl Logic for UartRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, sync1_low, sync2_low, hist1_low, hist2_low, state, count, bits, shift,
            strobe_q, error_q, at_last, at_half
        );
        self.sync1_low.d.next = !self.rx.val();
        self.sync2_low.d.next = self.sync1_low.q.val();
        self.hist1_low.d.next = self.sync2_low.q.val();
        self.hist2_low.d.next = self.hist1_low.q.val();
        self.vote_low.next = (self.sync2_low.q.val() & self.hist1_low.q.val())
            | (self.sync2_low.q.val() & self.hist2_low.q.val())
            | (self.hist1_low.q.val() & self.hist2_low.q.val());
        self.strobe_q.d.next = false;
        self.error_q.d.next = false;
        self.count.d.next = self.count.q.val() + self.one16.val();
        self.restart.next = false;
        if self.state.q.val() == self.s_idle.val() {
            self.count.d.next = self.zero16.val();
            self.restart.next = true;
            if self.sync2_low.q.val() {
                self.state.d.next = self.s_start.val();
            }
        } else if self.state.q.val() == self.s_start.val() {
            if self.at_half.q.val() {
                self.count.d.next = self.zero16.val();
                self.restart.next = true;
                self.bits.d.next = self.zero4.val();
                if self.vote_low.val() {
                    self.state.d.next = self.s_data.val();
                } else {
                    // A glitch, not a start bit.
                    self.state.d.next = self.s_idle.val();
                }
            }
        } else if self.state.q.val() == self.s_data.val() {
            if self.at_last.q.val() {
                self.count.d.next = self.zero16.val();
                self.restart.next = true;
                // Least significant bit first: each bit enters at the top.
                self.shift.d.next = self.shift.q.val() >> self.one4.val();
                if !self.vote_low.val() {
                    self.shift.d.next = (self.shift.q.val() >> self.one4.val()) | self.msb.val();
                }
                self.bits.d.next = self.bits.q.val() + self.one4.val();
                if self.bits.q.val() == self.seven.val() {
                    self.state.d.next = self.s_stop.val();
                }
            }
        } else if self.state.q.val() == self.s_stop.val() {
            if self.at_last.q.val() {
                self.count.d.next = self.zero16.val();
                self.restart.next = true;
                if self.vote_low.val() {
                    self.error_q.d.next = true;
                    self.state.d.next = self.s_break.val();
                } else {
                    self.strobe_q.d.next = true;
                    self.state.d.next = self.s_idle.val();
                }
            }
        } else {
            // Break (and any code not used): wait for the line to go high.
            self.count.d.next = self.zero16.val();
            self.restart.next = true;
            if !self.sync2_low.q.val() {
                self.state.d.next = self.s_idle.val();
            }
        }
        // Unless it restarts, the count is one more next clock: "one less now" is "there
        // next clock".
        self.at_last.d.next = (self.count.q.val() == self.last_m1.val()) & !self.restart.val();
        self.at_half.d.next = (self.count.q.val() == self.half_m1.val()) & !self.restart.val();
        self.data.next = self.shift.q.val();
        self.strobe.next = self.strobe_q.q.val();
        self.error.next = self.error_q.q.val();
    }
}

#[cfg(test)]
mod tests;
