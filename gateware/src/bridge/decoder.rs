//! [`BridgeDecoder`]: host -> card packets from the UART receiver to the card's MMIO port.
//!
//! The protocol is `seqfab_contract::bridge` (SLIP-framed packets with a CRC-32); this
//! block is its receiving end on the card, byte-serial, one byte per strobe:
//!
//! 1. **Unescape.** [`END`] closes a packet; [`ESC`] [`ESC_END`] / [`ESC`] [`ESC_ESC`] are
//!    data bytes [`END`] / [`ESC`]; anything else after [`ESC`] spoils the packet.
//! 2. **Collect.** Each data byte enters a 17-byte shift register from the top (so after
//!    a packet of `n` bytes, byte `k` sits at bit `136 - 8n + 8k`: every field of every
//!    kind is a fixed slice, little-endian as on the wire) and the CRC register
//!    ([`Crc32Byte`]) in the same clock. A 18th byte spoils the packet.
//! 3. **Check** at [`END`], in the contract's order ("Errors"): a spoiled packet (SLIP or
//!    UART error, too long) or one shorter than a kind and a CRC is a frame error; then a
//!    CRC register that is not [`CRC_RESIDUE`] is a CRC error; then a kind/length pair that
//!    is not `MMIO_WRITE`/17, `MMIO_READ`/10 or `BRIDGE_READ`/7 is a frame error. Each is
//!    counted in the bridge registers and the packet is dropped.
//! 4. **Execute.** `MMIO_WRITE`: one `mmio_write` strobe (posted, always accepted, like
//!    every write of the card's host port). `MMIO_READ`: one `mmio_read` strobe; two
//!    clocks later the card's `mmio_rvalid` brings the data, which becomes the reply with
//!    the request's id and the count of writes executed. `BRIDGE_READ`: the reply comes
//!    from the bridge's own registers ([`seqfab_contract::bridge::reg`]). One read is
//!    outstanding at a time: a read that arrives while the previous reply has not left is
//!    dropped and counted (`READS_DROPPED`; the host retries after its timeout).
//!
//! **Timing.** Unescaping is a registered stage of its own; the CRC comparison, the
//! kind/length matches and the bridge register a `BRIDGE_READ` names are registered every
//! clock, so the decision at [`END`] reads flip-flops only. The UART delivers at most one
//! byte per `10 * clocks_per_bit` clocks, so they are always current by then. (ECP5-5G,
//! Yosys + `constraints/logic_depth.py`: about 260 MHz for the decoder's paths.)

use super::ReadReply;
use crate::widgets::Crc32Byte;
use crate::widgets::{StreamSource, ZeroExtend};
use rust_hdl::prelude::*;
use seqfab_contract::bridge::{
    body_len, kind, reg, CRC_BYTES, CRC_RESIDUE, END, ESC, ESC_END, ESC_ESC, ID_WORD,
    MAX_HOST_PACKET, MIN_PACKET,
};

/// Bits of the packet shift register.
const SR_BITS: usize = MAX_HOST_PACKET * 8;
const _: () = assert!(SR_BITS == 136);
// `len` is 5 bits wide.
const _: () = assert!(MAX_HOST_PACKET < 31 && MIN_PACKET >= 1);
/// Bit offset of byte 0 of a packet of `n` bytes in the shift register.
const fn base(n: usize) -> usize {
    SR_BITS - 8 * n
}
const WRITE_N: usize = body_len::MMIO_WRITE + CRC_BYTES;
const READ_N: usize = body_len::MMIO_READ + CRC_BYTES;
const BREAD_N: usize = body_len::BRIDGE_READ + CRC_BYTES;
// Field offsets used as literals in `update` (rust-hdl's `get_bits` wants literal offsets
// there); these checks tie them to the contract's layout.
const _: () = assert!(base(WRITE_N) + 8 == 8 && base(WRITE_N) + 40 == 40);
const _: () = assert!(base(READ_N) + 8 == 64 && base(READ_N) + 16 == 72);
const _: () = assert!(base(BREAD_N) + 8 == 88 && base(BREAD_N) + 16 == 96);

/// The host -> card half of the bridge (see the module doc).
#[derive(LogicBlock)]
pub struct BridgeDecoder {
    /// Card clock.
    pub clock: Signal<In, Clock>,
    /// Byte from the UART receiver.
    pub rx_data: Signal<In, Bits<8>>,
    /// `rx_data` holds a received byte (one-clock pulse).
    pub rx_strobe: Signal<In, Bit>,
    /// The UART receiver saw a byte without a stop bit (one-clock pulse).
    pub rx_error: Signal<In, Bit>,
    /// To the card: MMIO byte offset in BAR0.
    pub mmio_addr: Signal<Out, Bits<32>>,
    /// To the card: MMIO write data.
    pub mmio_wdata: Signal<Out, Bits<64>>,
    /// To the card: write strobe (one clock).
    pub mmio_write: Signal<Out, Bit>,
    /// To the card: read strobe (one clock).
    pub mmio_read: Signal<Out, Bit>,
    /// From the card: read data, with `mmio_rvalid`.
    pub mmio_rdata: Signal<In, Bits<64>>,
    /// From the card: `mmio_rdata` answers the read (two clocks after the strobe).
    pub mmio_rvalid: Signal<In, Bit>,
    /// Read replies, to the encoder.
    pub replies: StreamSource<ReadReply>,
    /// Packet bytes, the newest at the top (see the module doc).
    sr: DFF<Bits<136>>,
    /// The byte entering `sr`, widened and moved to the top.
    byte_wide: ZeroExtend<8, 136>,
    /// Bytes in the current packet (saturates at `MAX_HOST_PACKET`).
    len: DFF<Bits<5>>,
    /// The packet's first byte.
    kind_q: DFF<Bits<8>>,
    /// The previous byte was `ESC`.
    esc: DFF<Bit>,
    /// The packet is spoiled (SLIP error, UART error, too long).
    spoiled: DFF<Bit>,
    /// The CRC register, inverted so that its initial value (0) is the preset (all ones).
    crc_n: DFF<Bits<32>>,
    crc: Crc32Byte,
    /// Registered checks of the packet so far (see the module doc).
    crc_ok: DFF<Bit>,
    short: DFF<Bit>,
    is_write: DFF<Bit>,
    is_read: DFF<Bit>,
    is_bread: DFF<Bit>,
    /// The unescaped byte of the last strobe (stage 1, registered).
    u_byte: DFF<Bits<8>>,
    /// `u_byte` is a data byte.
    u_valid: DFF<Bit>,
    /// The last strobe was `END`.
    u_end: DFF<Bit>,
    /// Outputs to the card.
    addr_q: DFF<Bits<32>>,
    wdata_q: DFF<Bits<64>>,
    write_q: DFF<Bit>,
    read_q: DFF<Bit>,
    /// A card read is in flight (strobe sent, `mmio_rvalid` not yet seen).
    read_wait: DFF<Bit>,
    /// The reply waiting for the encoder.
    reply_valid: DFF<Bit>,
    reply_id: DFF<Bits<8>>,
    reply_data: DFF<Bits<64>>,
    reply_writes: DFF<Bits<16>>,
    /// The id of the read in flight.
    pending_id: DFF<Bits<8>>,
    /// `MMIO_WRITE`s executed (mod 2^16), carried by every reply.
    writes: DFF<Bits<16>>,
    /// Bridge registers.
    frames_ok: DFF<Bits<32>>,
    crc_errors: DFF<Bits<32>>,
    frame_errors: DFF<Bits<32>>,
    uart_errors: DFF<Bits<32>>,
    reads_dropped: DFF<Bits<32>>,
    /// Which bridge register the packet's byte 2 (of a `BRIDGE_READ`) names, one flag per
    /// register, registered; then the register's value, registered (an AND-OR select, not
    /// a chain of muxes).
    sel_id: DFF<Bit>,
    sel_ok: DFF<Bit>,
    sel_crc: DFF<Bit>,
    sel_frame: DFF<Bit>,
    sel_uart: DFF<Bit>,
    sel_dropped: DFF<Bit>,
    sel_cpb: DFF<Bit>,
    v_ok: Signal<Local, Bits<32>>,
    v_crc: Signal<Local, Bits<32>>,
    v_frame: Signal<Local, Bits<32>>,
    v_uart: Signal<Local, Bits<32>>,
    v_dropped: Signal<Local, Bits<32>>,
    v_cpb: Signal<Local, Bits<32>>,
    reg_wide: ZeroExtend<32, 64>,
    breg: DFF<Bits<64>>,
    c_end: Constant<Bits<8>>,
    c_esc: Constant<Bits<8>>,
    c_esc_end: Constant<Bits<8>>,
    c_esc_esc: Constant<Bits<8>>,
    c_write: Constant<Bits<8>>,
    c_read: Constant<Bits<8>>,
    c_bread: Constant<Bits<8>>,
    c_write_n: Constant<Bits<5>>,
    c_read_n: Constant<Bits<5>>,
    c_bread_n: Constant<Bits<5>>,
    c_min_n: Constant<Bits<5>>,
    c_max_n: Constant<Bits<5>>,
    c_residue_n: Constant<Bits<32>>,
    c_id: Constant<Bits<64>>,
    c_cpb: Constant<Bits<32>>,
    r_frames_ok: Constant<Bits<8>>,
    r_crc_errors: Constant<Bits<8>>,
    r_frame_errors: Constant<Bits<8>>,
    r_uart_errors: Constant<Bits<8>>,
    r_reads_dropped: Constant<Bits<8>>,
    r_cpb: Constant<Bits<8>>,
    r_id: Constant<Bits<8>>,
    shift8: Constant<Bits<8>>,
    shift128: Constant<Bits<8>>,
    one5: Constant<Bits<5>>,
    zero5: Constant<Bits<5>>,
    one16: Constant<Bits<16>>,
    one32: Constant<Bits<32>>,
    zero32: Constant<Bits<32>>,
}

impl BridgeDecoder {
    /// `clocks_per_bit` is only reported (bridge register `CLOCKS_PER_BIT`).
    pub fn new(clocks_per_bit: u32) -> Self {
        let c8 = |v: u8| Constant::new((v as u64).into());
        let c5 = |v: usize| Constant::new((v as u64).into());
        Self {
            clock: Default::default(),
            rx_data: Default::default(),
            rx_strobe: Default::default(),
            rx_error: Default::default(),
            mmio_addr: Default::default(),
            mmio_wdata: Default::default(),
            mmio_write: Default::default(),
            mmio_read: Default::default(),
            mmio_rdata: Default::default(),
            mmio_rvalid: Default::default(),
            replies: Default::default(),
            sr: Default::default(),
            byte_wide: ZeroExtend::new(),
            len: Default::default(),
            kind_q: Default::default(),
            esc: Default::default(),
            spoiled: Default::default(),
            crc_n: Default::default(),
            crc: Crc32Byte::new(),
            crc_ok: Default::default(),
            short: Default::default(),
            is_write: Default::default(),
            is_read: Default::default(),
            is_bread: Default::default(),
            u_byte: Default::default(),
            u_valid: Default::default(),
            u_end: Default::default(),
            addr_q: Default::default(),
            wdata_q: Default::default(),
            write_q: Default::default(),
            read_q: Default::default(),
            read_wait: Default::default(),
            reply_valid: Default::default(),
            reply_id: Default::default(),
            reply_data: Default::default(),
            reply_writes: Default::default(),
            pending_id: Default::default(),
            writes: Default::default(),
            frames_ok: Default::default(),
            crc_errors: Default::default(),
            frame_errors: Default::default(),
            uart_errors: Default::default(),
            reads_dropped: Default::default(),
            sel_id: Default::default(),
            sel_ok: Default::default(),
            sel_crc: Default::default(),
            sel_frame: Default::default(),
            sel_uart: Default::default(),
            sel_dropped: Default::default(),
            sel_cpb: Default::default(),
            v_ok: Default::default(),
            v_crc: Default::default(),
            v_frame: Default::default(),
            v_uart: Default::default(),
            v_dropped: Default::default(),
            v_cpb: Default::default(),
            reg_wide: ZeroExtend::new(),
            breg: Default::default(),
            c_end: c8(END),
            c_esc: c8(ESC),
            c_esc_end: c8(ESC_END),
            c_esc_esc: c8(ESC_ESC),
            c_write: c8(kind::MMIO_WRITE),
            c_read: c8(kind::MMIO_READ),
            c_bread: c8(kind::BRIDGE_READ),
            c_write_n: c5(WRITE_N),
            c_read_n: c5(READ_N),
            c_bread_n: c5(BREAD_N),
            c_min_n: c5(MIN_PACKET),
            c_max_n: c5(MAX_HOST_PACKET),
            c_residue_n: Constant::new(((!CRC_RESIDUE) as u64).into()),
            c_id: Constant::new(ID_WORD.into()),
            c_cpb: Constant::new((clocks_per_bit as u64).into()),
            r_frames_ok: c8(reg::FRAMES_OK),
            r_crc_errors: c8(reg::CRC_ERRORS),
            r_frame_errors: c8(reg::FRAME_ERRORS),
            r_uart_errors: c8(reg::UART_ERRORS),
            r_reads_dropped: c8(reg::READS_DROPPED),
            r_cpb: c8(reg::CLOCKS_PER_BIT),
            r_id: c8(reg::ID),
            shift8: c8(8),
            shift128: c8(128),
            one5: Constant::new(1.into()),
            zero5: Constant::new(0.into()),
            one16: Constant::new(1.into()),
            one32: Constant::new(1.into()),
            zero32: Constant::new(0.into()),
        }
    }
}

impl Logic for BridgeDecoder {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            sr,
            len,
            kind_q,
            esc,
            spoiled,
            crc_n,
            crc_ok,
            short,
            is_write,
            is_read,
            is_bread,
            addr_q,
            wdata_q,
            write_q,
            read_q,
            read_wait,
            reply_valid,
            reply_id,
            reply_data,
            reply_writes,
            pending_id,
            writes,
            frames_ok,
            crc_errors,
            frame_errors,
            uart_errors,
            reads_dropped,
            u_byte,
            u_valid,
            u_end,
            sel_id,
            sel_ok,
            sel_crc,
            sel_frame,
            sel_uart,
            sel_dropped,
            sel_cpb,
            breg
        );
        // ---- Stage 1: unescape (registered) ----
        self.u_byte.d.next = self.rx_data.val();
        self.u_valid.d.next = false;
        self.u_end.d.next = false;
        if self.rx_strobe.val() {
            if self.rx_data.val() == self.c_end.val() {
                self.u_end.d.next = true;
            } else if self.esc.q.val() {
                self.esc.d.next = false;
                if self.rx_data.val() == self.c_esc_end.val() {
                    self.u_byte.d.next = self.c_end.val();
                    self.u_valid.d.next = true;
                } else if self.rx_data.val() == self.c_esc_esc.val() {
                    self.u_byte.d.next = self.c_esc.val();
                    self.u_valid.d.next = true;
                } else {
                    self.spoiled.d.next = true;
                }
            } else if self.rx_data.val() == self.c_esc.val() {
                self.esc.d.next = true;
            } else {
                self.u_valid.d.next = true;
            }
        }
        if self.rx_error.val() {
            self.spoiled.d.next = true;
        }

        // ---- Collect ----
        self.crc.state.next = !self.crc_n.q.val();
        self.crc.octet.next = self.u_byte.q.val();
        self.byte_wide.narrow.next = self.u_byte.q.val();
        if self.u_valid.q.val() {
            if self.len.q.val() == self.c_max_n.val() {
                self.spoiled.d.next = true;
            } else {
                self.len.d.next = self.len.q.val() + self.one5.val();
                self.sr.d.next = (self.sr.q.val() >> self.shift8.val())
                    | (self.byte_wide.wide.val() << self.shift128.val());
                self.crc_n.d.next = !self.crc.result.val();
                if self.len.q.val() == self.zero5.val() {
                    self.kind_q.d.next = self.u_byte.q.val();
                }
            }
        }
        // Registered checks, current a clock after each byte.
        self.crc_ok.d.next = self.crc_n.q.val() == self.c_residue_n.val();
        self.short.d.next = self.len.q.val() < self.c_min_n.val();
        self.is_write.d.next = (self.kind_q.q.val() == self.c_write.val())
            & (self.len.q.val() == self.c_write_n.val());
        self.is_read.d.next =
            (self.kind_q.q.val() == self.c_read.val()) & (self.len.q.val() == self.c_read_n.val());
        self.is_bread.d.next = (self.kind_q.q.val() == self.c_bread.val())
            & (self.len.q.val() == self.c_bread_n.val());

        // ---- Bridge registers (the register a BRIDGE_READ names, ready by its END) ----
        self.sel_id.d.next = self.sr.q.val().get_bits::<8>(96) == self.r_id.val();
        self.sel_ok.d.next = self.sr.q.val().get_bits::<8>(96) == self.r_frames_ok.val();
        self.sel_crc.d.next = self.sr.q.val().get_bits::<8>(96) == self.r_crc_errors.val();
        self.sel_frame.d.next = self.sr.q.val().get_bits::<8>(96) == self.r_frame_errors.val();
        self.sel_uart.d.next = self.sr.q.val().get_bits::<8>(96) == self.r_uart_errors.val();
        self.sel_dropped.d.next = self.sr.q.val().get_bits::<8>(96) == self.r_reads_dropped.val();
        self.sel_cpb.d.next = self.sr.q.val().get_bits::<8>(96) == self.r_cpb.val();
        self.v_ok.next = self.zero32.val();
        if self.sel_ok.q.val() {
            self.v_ok.next = self.frames_ok.q.val();
        }
        self.v_crc.next = self.zero32.val();
        if self.sel_crc.q.val() {
            self.v_crc.next = self.crc_errors.q.val();
        }
        self.v_frame.next = self.zero32.val();
        if self.sel_frame.q.val() {
            self.v_frame.next = self.frame_errors.q.val();
        }
        self.v_uart.next = self.zero32.val();
        if self.sel_uart.q.val() {
            self.v_uart.next = self.uart_errors.q.val();
        }
        self.v_dropped.next = self.zero32.val();
        if self.sel_dropped.q.val() {
            self.v_dropped.next = self.reads_dropped.q.val();
        }
        self.v_cpb.next = self.zero32.val();
        if self.sel_cpb.q.val() {
            self.v_cpb.next = self.c_cpb.val();
        }
        self.reg_wide.narrow.next = ((self.v_ok.val() | self.v_crc.val())
            | (self.v_frame.val() | self.v_uart.val()))
            | (self.v_dropped.val() | self.v_cpb.val());
        self.breg.d.next = self.reg_wide.wide.val();
        if self.sel_id.q.val() {
            self.breg.d.next = self.c_id.val();
        }

        // ---- Check and execute ----
        self.write_q.d.next = false;
        self.read_q.d.next = false;
        if self.rx_error.val() {
            self.uart_errors.d.next = self.uart_errors.q.val() + self.one32.val();
        }
        if self.u_end.q.val() {
            self.len.d.next = self.zero5.val();
            self.esc.d.next = false;
            self.spoiled.d.next = false;
            self.crc_n.d.next = self.zero32.val();
            if self.spoiled.q.val() | self.esc.q.val() {
                self.frame_errors.d.next = self.frame_errors.q.val() + self.one32.val();
            } else if self.len.q.val() == self.zero5.val() {
                // Two ENDs in a row: no packet.
            } else if self.short.q.val() {
                self.frame_errors.d.next = self.frame_errors.q.val() + self.one32.val();
            } else if !self.crc_ok.q.val() {
                self.crc_errors.d.next = self.crc_errors.q.val() + self.one32.val();
            } else if self.is_write.q.val() {
                self.frames_ok.d.next = self.frames_ok.q.val() + self.one32.val();
                self.writes.d.next = self.writes.q.val() + self.one16.val();
                self.addr_q.d.next = self.sr.q.val().get_bits::<32>(8);
                self.wdata_q.d.next = self.sr.q.val().get_bits::<64>(40);
                self.write_q.d.next = true;
            } else if self.is_read.q.val() | self.is_bread.q.val() {
                if self.read_wait.q.val() | self.reply_valid.q.val() {
                    self.reads_dropped.d.next = self.reads_dropped.q.val() + self.one32.val();
                } else if self.is_read.q.val() {
                    self.frames_ok.d.next = self.frames_ok.q.val() + self.one32.val();
                    self.pending_id.d.next = self.sr.q.val().get_bits::<8>(64);
                    self.addr_q.d.next = self.sr.q.val().get_bits::<32>(72);
                    self.read_q.d.next = true;
                    self.read_wait.d.next = true;
                } else {
                    self.frames_ok.d.next = self.frames_ok.q.val() + self.one32.val();
                    self.reply_id.d.next = self.sr.q.val().get_bits::<8>(88);
                    self.reply_writes.d.next = self.writes.q.val();
                    self.reply_valid.d.next = true;
                    self.reply_data.d.next = self.breg.q.val();
                }
            } else {
                self.frame_errors.d.next = self.frame_errors.q.val() + self.one32.val();
            }
        }
        // The card's answer to the read in flight.
        if self.read_wait.q.val() & self.mmio_rvalid.val() {
            self.read_wait.d.next = false;
            self.reply_valid.d.next = true;
            self.reply_id.d.next = self.pending_id.q.val();
            self.reply_data.d.next = self.mmio_rdata.val();
            self.reply_writes.d.next = self.writes.q.val();
        }
        if self.replies.ready.val() & self.reply_valid.q.val() {
            self.reply_valid.d.next = false;
        }
        self.replies.valid.next = self.reply_valid.q.val();
        self.replies.data.next.id = self.reply_id.q.val();
        self.replies.data.next.data = self.reply_data.q.val();
        self.replies.data.next.writes = self.reply_writes.q.val();
        self.mmio_addr.next = self.addr_q.q.val();
        self.mmio_wdata.next = self.wdata_q.q.val();
        self.mmio_write.next = self.write_q.q.val();
        self.mmio_read.next = self.read_q.q.val();
    }
}

#[cfg(test)]
mod tests;
