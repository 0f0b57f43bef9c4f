//! [`UartTx`]: an 8N1 UART transmitter taking bytes from a stream.
//!
//! Each byte is a start bit (low), 8 data bits least significant first and a stop bit
//! (high), `clocks_per_bit` card clocks each. The pin is driven from a flip-flop (no
//! glitches on the wire). `bytes.ready` is high in idle and in the last clock of a stop
//! bit, so back-to-back bytes leave at exactly 10 bit times each: the full rate of the
//! link.

use crate::widgets::StreamSink;
use rust_hdl::prelude::*;
use seqfab_contract::bridge::MIN_CLOCKS_PER_BIT;

/// The transmitter's state codes (plain codes; see [`super::uart_rx`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
enum TxState {
    Idle = 0,
    Start = 1,
    Data = 2,
    Stop = 3,
}

impl TxState {
    fn code(self) -> Constant<Bits<2>> {
        Constant::new((self as u64).into())
    }
}

/// 8N1 transmitter (see the module doc).
#[derive(LogicBlock)]
pub struct UartTx {
    /// Card clock.
    pub clock: Signal<In, Clock>,
    /// Bytes to send.
    pub bytes: StreamSink<Bits<8>>,
    /// The serial output pin (idle high).
    pub tx: Signal<Out, Bit>,
    /// The pin, inverted, so that the initial value (0) is the idle line.
    tx_low: DFF<Bit>,
    state: DFF<Bits<2>>,
    count: DFF<Bits<16>>,
    bits: DFF<Bits<4>>,
    shift: DFF<Bits<8>>,
    /// The last clock of a bit, registered: decided a clock ahead from the count, so the
    /// stream's `ready` and the loads it enables come straight from flip-flops.
    bit_end: DFF<Bit>,
    /// `clocks_per_bit - 2`: the count one clock before a bit's last.
    last_m1: Constant<Bits<16>>,
    one16: Constant<Bits<16>>,
    zero16: Constant<Bits<16>>,
    one4: Constant<Bits<4>>,
    zero4: Constant<Bits<4>>,
    seven: Constant<Bits<4>>,
    s_idle: Constant<Bits<2>>,
    s_start: Constant<Bits<2>>,
    s_data: Constant<Bits<2>>,
    s_stop: Constant<Bits<2>>,
}

impl UartTx {
    /// A transmitter of `clocks_per_bit` card clocks per bit.
    pub fn new(clocks_per_bit: u32) -> Self {
        assert!(
            (MIN_CLOCKS_PER_BIT..=u16::MAX as u32).contains(&clocks_per_bit),
            "clocks_per_bit {clocks_per_bit} outside {MIN_CLOCKS_PER_BIT}..=65535"
        );
        Self {
            clock: Default::default(),
            bytes: Default::default(),
            tx: Default::default(),
            tx_low: Default::default(),
            state: Default::default(),
            count: Default::default(),
            bits: Default::default(),
            shift: Default::default(),
            bit_end: Default::default(),
            last_m1: Constant::new((clocks_per_bit as u64 - 2).into()),
            one16: Constant::new(1.into()),
            zero16: Constant::new(0.into()),
            one4: Constant::new(1.into()),
            zero4: Constant::new(0.into()),
            seven: Constant::new(7.into()),
            s_idle: TxState::Idle.code(),
            s_start: TxState::Start.code(),
            s_data: TxState::Data.code(),
            s_stop: TxState::Stop.code(),
        }
    }
}

impl Logic for UartTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, tx_low, state, count, bits, shift, bit_end);
        self.tx.next = !self.tx_low.q.val();
        // The count runs in every state but idle and restarts at a bit's end (or when a
        // byte is taken, which in a stop bit is also its end), so it reaches `last` the
        // clock after it was at `last - 1`.
        self.bit_end.d.next =
            (self.count.q.val() == self.last_m1.val()) & (self.state.q.val() != self.s_idle.val());
        self.count.d.next = self.count.q.val() + self.one16.val();
        if self.bit_end.q.val() {
            self.count.d.next = self.zero16.val();
        }
        self.bytes.ready.next = (self.state.q.val() == self.s_idle.val())
            | ((self.state.q.val() == self.s_stop.val()) & self.bit_end.q.val());
        if self.state.q.val() == self.s_start.val() {
            if self.bit_end.q.val() {
                // First data bit.
                self.tx_low.d.next = !self.shift.q.val().get_bit(0);
                self.state.d.next = self.s_data.val();
                self.bits.d.next = self.zero4.val();
            }
        } else if self.state.q.val() == self.s_data.val() {
            if self.bit_end.q.val() {
                self.shift.d.next = self.shift.q.val() >> self.one4.val();
                self.bits.d.next = self.bits.q.val() + self.one4.val();
                if self.bits.q.val() == self.seven.val() {
                    self.tx_low.d.next = false;
                    self.state.d.next = self.s_stop.val();
                } else {
                    self.tx_low.d.next = !self.shift.q.val().get_bit(1);
                }
            }
        } else if self.state.q.val() == self.s_stop.val() {
            if self.bit_end.q.val() {
                self.state.d.next = self.s_idle.val();
            }
        } else {
            self.count.d.next = self.zero16.val();
        }
        if self.bytes.ready.val() & self.bytes.valid.val() {
            self.shift.d.next = self.bytes.data.val();
            self.tx_low.d.next = true;
            self.state.d.next = self.s_start.val();
            self.count.d.next = self.zero16.val();
        }
    }
}

#[cfg(test)]
mod tests;
