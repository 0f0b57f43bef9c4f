//! [`BridgeEncoder`]: card -> host packets (read replies, DMA writes, interrupts) as a
//! byte stream for the UART transmitter.
//!
//! One packet is built at a time, in a 320-bit body register that shifts a byte out per
//! byte sent, with the kind and sequence number in front and the CRC-32 behind
//! (`seqfab_contract::bridge`), SLIP-framed on the way out: an [`END`] before and after,
//! [`END`]/[`ESC`] inside sent as two bytes. The CRC register is kept inverted, so its
//! flip-flops hold exactly the FCS to send once the body has passed.
//!
//! # Which packet next (PCIe's ordering, as the contract promises)
//!
//! When idle, the encoder takes, in this order:
//!
//! 1. pending **interrupts**: every `irq` pulse sets a bit of a pending mask (so none is
//!    lost while a packet is on the wire); one `IRQ` packet carries and clears all the
//!    bits set so far;
//! 2. a **read reply** from the decoder;
//! 3. a **DMA write**, taken from the card's DMA port straight into the body register.
//!
//! `dma.ready` is high only when the encoder is idle with no interrupt and no reply
//! pending, so the card's DMA port is back-pressured while the UART is busy, and a DMA
//! write the card makes after an interrupt or a read reply became pending cannot pass it.
//! Every DMA write accepted before an interrupt pulse (the card pulses `irq` the clock
//! after the completion it announces was accepted) has left before the `IRQ` packet, and
//! every DMA write accepted before a read reply was made has left before the reply: a
//! posted write is never passed by the interrupt or the completion after it. Interrupts
//! and replies are few (one-shot arms; one read at a time), so DMA writes are delayed by at
//! most one packet each, never starved.
//!
//! # Timing
//!
//! The byte at the current position, whether it must be escaped and whether it ends the
//! body or the CRC are registered, two clocks behind the position; a byte is offered only
//! when they are current (`wait1`/`wait2`), so at most one byte leaves every three clocks,
//! against the one per 10 bit times (40 clocks or more) that the UART takes. The CRC
//! register's input is then a flip-flop and the 40-input XOR of [`Crc32Byte`].

use super::ReadReply;
use crate::host::DmaWrite;
use crate::widgets::Crc32Byte;
use crate::widgets::{StreamSink, StreamSource, ZeroExtend};
use rust_hdl::prelude::*;
use seqfab_contract::bridge::{body_len, kind, CRC_BYTES, END, ESC, ESC_END, ESC_ESC};
use seqfab_contract::limits::QUEUES;

/// Bits of the body register: a DMA write's address and data, the longest body after the
/// kind and sequence bytes.
const BODY_BITS: usize = (body_len::DMA_WRITE - 2) * 8;
const _: () = assert!(BODY_BITS == <DmaWrite as Synth>::BITS);
const _: () = assert!(body_len::READ_REPLY - 2 == <ReadReply as Synth>::BITS / 8);
const _: () = assert!(body_len::IRQ - 2 == 1 && QUEUES <= 8);

/// The encoder's state codes (plain codes; see [`super::uart_rx`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
enum EncState {
    Idle = 0,
    /// Sending the leading `END`.
    Open = 1,
    /// Sending kind, sequence number and body.
    Body = 2,
    /// Sending the CRC.
    Crc = 3,
    /// Sending the trailing `END`.
    Close = 4,
}

impl EncState {
    fn code(self) -> Constant<Bits<3>> {
        Constant::new((self as u64).into())
    }
}

/// The card -> host half of the bridge (see the module doc).
#[derive(LogicBlock)]
pub struct BridgeEncoder {
    /// Card clock.
    pub clock: Signal<In, Clock>,
    /// Read replies from the decoder.
    pub replies: StreamSink<ReadReply>,
    /// The card's DMA writes.
    pub dma: StreamSink<DmaWrite>,
    /// The card's interrupt requests: one-clock pulses, bit q for queue q.
    pub irq: Signal<In, Bits<QUEUES>>,
    /// Bytes for the UART transmitter.
    pub bytes: StreamSource<Bits<8>>,
    state: DFF<Bits<3>>,
    /// Interrupts pulsed and not yet sent.
    irq_pend: DFF<Bits<QUEUES>>,
    /// The packet being sent: kind, sequence number, body length and the body, which
    /// shifts right a byte for every body byte sent.
    kind_q: DFF<Bits<8>>,
    seq: DFF<Bits<8>>,
    /// Position of the body's last byte.
    n_last: DFF<Bits<6>>,
    body: DFF<Bits<320>>,
    /// Position in the body (kind = 0), then in the CRC.
    pos: DFF<Bits<6>>,
    /// Inverted CRC register: all zero is the preset; after the body it holds the FCS.
    crc_n: DFF<Bits<32>>,
    crc: Crc32Byte,
    /// The first byte of an escape has been sent; the second is due.
    esc_due: DFF<Bit>,
    /// The packet byte at `pos` (before escaping), registered.
    raw: DFF<Bits<8>>,
    /// `raw` is `END` / `ESC` (a clock after `raw`).
    raw_is_end: DFF<Bit>,
    raw_is_esc: DFF<Bit>,
    /// `pos` is the body's last byte / past kind and sequence number / the CRC's last
    /// byte (registered).
    last_body: DFF<Bit>,
    body_byte: DFF<Bit>,
    last_crc: DFF<Bit>,
    /// A byte was taken one / two clocks ago: the registers above are not current yet.
    wait1: DFF<Bit>,
    wait2: DFF<Bit>,
    /// The byte handed to the transmitter this clock was taken.
    sent: Signal<Local, Bit>,
    reply_wide: ZeroExtend<88, 320>,
    irq_wide: ZeroExtend<QUEUES, 320>,
    c_end: Constant<Bits<8>>,
    c_esc: Constant<Bits<8>>,
    c_esc_end: Constant<Bits<8>>,
    c_esc_esc: Constant<Bits<8>>,
    k_reply: Constant<Bits<8>>,
    k_dma: Constant<Bits<8>>,
    k_irq: Constant<Bits<8>>,
    n_reply: Constant<Bits<6>>,
    n_dma: Constant<Bits<6>>,
    n_irq: Constant<Bits<6>>,
    crc_last: Constant<Bits<6>>,
    zero6: Constant<Bits<6>>,
    one6: Constant<Bits<6>>,
    one8: Constant<Bits<8>>,
    shift8: Constant<Bits<8>>,
    zero32: Constant<Bits<32>>,
    no_irq: Constant<Bits<QUEUES>>,
    s_idle: Constant<Bits<3>>,
    s_open: Constant<Bits<3>>,
    s_body: Constant<Bits<3>>,
    s_crc: Constant<Bits<3>>,
    s_close: Constant<Bits<3>>,
}

impl Default for BridgeEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl BridgeEncoder {
    pub fn new() -> Self {
        let c8 = |v: u8| Constant::new((v as u64).into());
        let c6 = |v: usize| Constant::new((v as u64).into());
        Self {
            clock: Default::default(),
            replies: Default::default(),
            dma: Default::default(),
            irq: Default::default(),
            bytes: Default::default(),
            state: Default::default(),
            irq_pend: Default::default(),
            kind_q: Default::default(),
            seq: Default::default(),
            n_last: Default::default(),
            body: Default::default(),
            pos: Default::default(),
            crc_n: Default::default(),
            crc: Crc32Byte::new(),
            esc_due: Default::default(),
            raw: Default::default(),
            raw_is_end: Default::default(),
            raw_is_esc: Default::default(),
            last_body: Default::default(),
            body_byte: Default::default(),
            last_crc: Default::default(),
            wait1: Default::default(),
            wait2: Default::default(),
            sent: Default::default(),
            reply_wide: ZeroExtend::new(),
            irq_wide: ZeroExtend::new(),
            c_end: c8(END),
            c_esc: c8(ESC),
            c_esc_end: c8(ESC_END),
            c_esc_esc: c8(ESC_ESC),
            k_reply: c8(kind::READ_REPLY),
            k_dma: c8(kind::DMA_WRITE),
            k_irq: c8(kind::IRQ),
            n_reply: c6(body_len::READ_REPLY - 1),
            n_dma: c6(body_len::DMA_WRITE - 1),
            n_irq: c6(body_len::IRQ - 1),
            crc_last: c6(CRC_BYTES - 1),
            zero6: c6(0),
            one6: c6(1),
            one8: c8(1),
            shift8: c8(8),
            zero32: Constant::new(0.into()),
            no_irq: Constant::new(0.into()),
            s_idle: EncState::Idle.code(),
            s_open: EncState::Open.code(),
            s_body: EncState::Body.code(),
            s_crc: EncState::Crc.code(),
            s_close: EncState::Close.code(),
        }
    }
}

impl Logic for BridgeEncoder {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, state, irq_pend, kind_q, seq, n_last, body, pos, crc_n, esc_due, raw,
            raw_is_end, raw_is_esc, last_body, body_byte, last_crc, wait1, wait2
        );
        // ---- The byte at the current position, and what follows from it: registered,
        // two clocks behind `pos`/`state` (valid waits for them, `wait1`/`wait2`) ----
        self.raw.d.next = self.body.q.val().get_bits::<8>(0);
        if self.state.q.val() == self.s_crc.val() {
            self.raw.d.next = self.crc_n.q.val().get_bits::<8>(0);
        } else if self.pos.q.val() == self.zero6.val() {
            self.raw.d.next = self.kind_q.q.val();
        } else if self.pos.q.val() == self.one6.val() {
            self.raw.d.next = self.seq.q.val();
        }
        self.raw_is_end.d.next = self.raw.q.val() == self.c_end.val();
        self.raw_is_esc.d.next = self.raw.q.val() == self.c_esc.val();
        self.last_body.d.next = self.pos.q.val() == self.n_last.q.val();
        self.body_byte.d.next = self.pos.q.val() > self.one6.val();
        self.last_crc.d.next = self.pos.q.val() == self.crc_last.val();
        self.crc.state.next = !self.crc_n.q.val();
        self.crc.octet.next = self.raw.q.val();

        // ---- To the transmitter ----
        self.bytes.valid.next =
            (self.state.q.val() != self.s_idle.val()) & !self.wait1.q.val() & !self.wait2.q.val();
        self.bytes.data.next = self.raw.q.val();
        if (self.state.q.val() == self.s_open.val()) | (self.state.q.val() == self.s_close.val()) {
            self.bytes.data.next = self.c_end.val();
        } else if self.esc_due.q.val() {
            if self.raw_is_end.q.val() {
                self.bytes.data.next = self.c_esc_end.val();
            } else {
                self.bytes.data.next = self.c_esc_esc.val();
            }
        } else if self.raw_is_end.q.val() | self.raw_is_esc.q.val() {
            self.bytes.data.next = self.c_esc.val();
        }
        self.sent.next = self.bytes.valid.val() & self.bytes.ready.val();
        self.wait1.d.next = self.sent.val();
        self.wait2.d.next = self.wait1.q.val();

        // ---- Interrupts: latch every pulse ----
        self.irq_pend.d.next = self.irq_pend.q.val() | self.irq.val();
        self.irq_wide.narrow.next = self.irq_pend.q.val();
        self.reply_wide.narrow.next = self.replies.data.val().into();

        // ---- Choose and load the next packet ----
        self.replies.ready.next = false;
        self.dma.ready.next = (self.state.q.val() == self.s_idle.val())
            & (self.irq_pend.q.val() == self.no_irq.val())
            & !self.replies.valid.val();
        if self.state.q.val() == self.s_idle.val() {
            self.pos.d.next = self.zero6.val();
            self.esc_due.d.next = false;
            self.crc_n.d.next = self.zero32.val();
            if self.irq_pend.q.val() != self.no_irq.val() {
                self.kind_q.d.next = self.k_irq.val();
                self.n_last.d.next = self.n_irq.val();
                self.body.d.next = self.irq_wide.wide.val();
                // Pulses arriving in this clock stay pending for the next packet.
                self.irq_pend.d.next = self.irq.val();
                self.state.d.next = self.s_open.val();
            } else if self.replies.valid.val() {
                self.replies.ready.next = true;
                self.kind_q.d.next = self.k_reply.val();
                self.n_last.d.next = self.n_reply.val();
                self.body.d.next = self.reply_wide.wide.val();
                self.state.d.next = self.s_open.val();
            } else if self.dma.valid.val() {
                self.kind_q.d.next = self.k_dma.val();
                self.n_last.d.next = self.n_dma.val();
                self.body.d.next = self.dma.data.val().into();
                self.state.d.next = self.s_open.val();
            }
        }

        // ---- Advance on every byte the transmitter takes ----
        if self.sent.val() {
            if self.state.q.val() == self.s_open.val() {
                self.state.d.next = self.s_body.val();
            } else if self.state.q.val() == self.s_close.val() {
                self.seq.d.next = self.seq.q.val() + self.one8.val();
                self.state.d.next = self.s_idle.val();
            } else if (self.raw_is_end.q.val() | self.raw_is_esc.q.val()) & !self.esc_due.q.val() {
                // First byte of an escape: the same raw byte goes again as its code.
                self.esc_due.d.next = true;
            } else {
                self.esc_due.d.next = false;
                self.pos.d.next = self.pos.q.val() + self.one6.val();
                if self.state.q.val() == self.s_body.val() {
                    self.crc_n.d.next = !self.crc.result.val();
                    if self.body_byte.q.val() {
                        self.body.d.next = self.body.q.val() >> self.shift8.val();
                    }
                    if self.last_body.q.val() {
                        self.pos.d.next = self.zero6.val();
                        self.state.d.next = self.s_crc.val();
                    }
                } else {
                    self.crc_n.d.next = self.crc_n.q.val() >> self.shift8.val();
                    if self.last_crc.q.val() {
                        self.state.d.next = self.s_close.val();
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
