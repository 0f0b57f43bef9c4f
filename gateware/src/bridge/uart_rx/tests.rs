use super::*;
use crate::bridge::serial_model::SerialTx;
use crate::bridge::testing::Clocked;
use crate::bridge::UartTx;
use rand::{Rng, SeedableRng};

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = UartRx::new(21);
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}

/// What the receiver reported, one entry per strobe or error pulse.
#[derive(Debug, PartialEq)]
enum Got {
    Byte(u8),
    Error,
}

fn run(c: &mut Clocked<UartRx>, levels: impl IntoIterator<Item = bool>) -> Vec<Got> {
    let mut got = Vec::new();
    for level in levels {
        c.uut.rx.next = level;
        c.settle();
        assert!(!(c.uut.strobe.val() && c.uut.error.val()));
        if c.uut.strobe.val() {
            got.push(Got::Byte(c.uut.data.val().to_u64() as u8));
        }
        if c.uut.error.val() {
            got.push(Got::Error);
        }
        c.edge();
    }
    got
}

/// All 256 byte values from the software transmitter, back to back, at the smallest
/// divider, a middling one and the 12 Mbaud one of a 250 MHz card.
#[test]
fn receives_every_byte_value_back_to_back() {
    for cpb in [4u32, 5, 21] {
        let mut c = Clocked::new(UartRx::new(cpb), |u| &mut u.clock);
        let mut host = SerialTx::new(cpb);
        let bytes: Vec<u8> = (0..=255).collect();
        host.send(&bytes);
        let n = (bytes.len() as u32 + 2) * 10 * cpb;
        let got = run(&mut c, (0..n).map(|_| host.next_level()));
        let want: Vec<Got> = bytes.iter().map(|&b| Got::Byte(b)).collect();
        assert_eq!(got, want, "cpb {cpb}");
    }
}

/// A one-clock low glitch on an idle line is not a start bit; a byte whose stop bit is
/// low is one framing error, and a line held low (a break) is one error, not many.
#[test]
fn glitches_are_ignored_and_a_break_is_one_error() {
    let cpb = 8;
    let mut c = Clocked::new(UartRx::new(cpb), |u| &mut u.clock);
    let mut levels = vec![true; 20];
    levels[10] = false;
    assert_eq!(run(&mut c, levels), vec![]);
    // 0x55 with a low stop bit, then the line held low for 5 byte times, then idle and a
    // good byte.
    let bit = |b: bool| std::iter::repeat_n(b, cpb as usize);
    let mut levels: Vec<bool> = bit(false).collect();
    for k in 0..8 {
        levels.extend(bit(0x55u8 >> k & 1 == 1));
    }
    levels.extend(std::iter::repeat_n(false, 50 * cpb as usize));
    levels.extend(bit(true).chain(bit(true)));
    let mut host = SerialTx::new(cpb);
    host.send(&[0xA7]);
    levels.extend((0..12 * cpb).map(|_| host.next_level()));
    assert_eq!(run(&mut c, levels), vec![Got::Error, Got::Byte(0xA7)]);
}

/// The gateware transmitter into the gateware receiver: one wire, the divider of a
/// 250 MHz card at 12 Mbaud (`seqfab_contract::bridge::uart_rate`).
#[derive(LogicBlock)]
struct Loopback {
    clock: Signal<In, Clock>,
    bytes: crate::widgets::StreamSink<Bits<8>>,
    data: Signal<Out, Bits<8>>,
    strobe: Signal<Out, Bit>,
    error: Signal<Out, Bit>,
    sender: UartTx,
    receiver: UartRx,
}

impl Logic for Loopback {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, sender, receiver);
        crate::widgets::StreamSink::<Bits<8>>::link(&mut self.bytes, &mut self.sender.bytes);
        self.receiver.rx.next = self.sender.tx.val();
        self.data.next = self.receiver.data.val();
        self.strobe.next = self.receiver.strobe.val();
        self.error.next = self.receiver.error.val();
    }
}

#[test]
fn loopback_at_the_chosen_divider() {
    let rate = seqfab_contract::bridge::uart_rate(250_000_000).unwrap();
    assert_eq!(rate.clocks_per_bit, 21);
    let cpb = rate.clocks_per_bit;
    let uut = Loopback {
        clock: Default::default(),
        bytes: Default::default(),
        data: Default::default(),
        strobe: Default::default(),
        error: Default::default(),
        sender: UartTx::new(cpb),
        receiver: UartRx::new(cpb),
    };
    let mut c = Clocked::new(uut, |u| &mut u.clock);
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let bytes: Vec<u8> = (0..200).map(|_| rng.gen()).collect();
    let (mut next, mut got) = (0, Vec::new());
    while got.len() < bytes.len() {
        c.uut.bytes.valid.next = next < bytes.len();
        c.uut.bytes.data.next = (bytes[next.min(bytes.len() - 1)] as u64).into();
        c.settle();
        assert!(!c.uut.error.val());
        if c.uut.strobe.val() {
            got.push(c.uut.data.val().to_u64() as u8);
        }
        if next < bytes.len() && c.uut.bytes.ready.val() {
            next += 1;
        }
        c.edge();
        assert!(c.cycle < 210 * 210);
    }
    assert_eq!(got, bytes);
    crate::lint::assert_lint_clean(&generate_verilog(c.uut.as_ref()));
}
