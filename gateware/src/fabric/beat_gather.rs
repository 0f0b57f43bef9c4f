//! [`BeatGather`]: a narrow MAC's beats in, one 64-byte [`MacBeat`] per frame out.
//!
//! The card's framer and deframer work on a whole frame at once (one 512-bit beat, the
//! width of a 100G MAC). A board whose PHY is narrower (the Versa's gigabit RGMII ports
//! feed the core 32 bits a clock) puts this block between its fabric port and the
//! deframer, so the frame logic is the same on every board (DESIGN.md 7).
//!
//! Each beat shifts in at the top of a 512-bit register; after the 64 bytes of a seqfab
//! frame (`512 / W` full beats) byte 0 sits in bits 7:0, exactly as a wide MAC delivers
//! it. The frame leaves as one beat with `last` set, one clock after its last narrow beat,
//! with `bytes` = the frame's length in bytes when it is at most 64 and every beat but the
//! last was full, else 0: the deframer's length check then drops it (`STAT_DROP_LENGTH`),
//! as it drops a wrong-length frame from a wide MAC. Receive is never back-pressured.

use super::mac_beat::MacBeat;
use crate::widgets::{StreamSource, ZeroExtend};
use rust_hdl::prelude::*;
use seqfab_contract::frame::FRAME_BYTES;

/// Narrow beats (`W` bits, valid byte count in `B` bits) to whole frames; see the module
/// doc.
#[derive(LogicBlock)]
pub struct BeatGather<const W: usize, const B: usize> {
    pub clock: Signal<In, Clock>,
    /// The beat, byte 0 in bits 7:0.
    pub data: Signal<In, Bits<W>>,
    pub valid: Signal<In, Bit>,
    pub last: Signal<In, Bit>,
    /// Valid bytes in the beat (`1..=W/8`; all of them in every beat but the last).
    pub bytes: Signal<In, Bits<B>>,
    /// Whole frames, for one clock each (`ready` is not looked at: the deframer never
    /// stalls).
    pub frames_out: StreamSource<MacBeat>,
    /// The frame so far, newest beat at the top.
    acc: DFF<Bits<512>>,
    /// Bytes so far in this frame (stops counting at 128: any such frame is too long).
    count: DFF<Bits<8>>,
    /// A beat before the last was not full.
    short_beat: DFF<Bit>,
    /// The frame in `acc` is complete (one clock).
    done: DFF<Bit>,
    /// Its length for the deframer (0 = not a frame it can take).
    length: DFF<Bits<7>>,
    sum: Signal<Local, Bits<8>>,
    beat_bytes: ZeroExtend<B, 8>,
    shift_in: ShiftIn<W>,
    unused_ready: Signal<Local, Bit>,
    /// `W / 8`: a full beat.
    full: Constant<Bits<B>>,
    frame_bytes: Constant<Bits<8>>,
    zero_count: Constant<Bits<8>>,
    zero_length: Constant<Bits<7>>,
}

impl<const W: usize, const B: usize> Default for BeatGather<W, B> {
    fn default() -> Self {
        super::mac_beat::assert_beat_width(W, B);
        Self {
            clock: Default::default(),
            data: Default::default(),
            valid: Default::default(),
            last: Default::default(),
            bytes: Default::default(),
            frames_out: Default::default(),
            acc: Default::default(),
            count: Default::default(),
            short_beat: Default::default(),
            done: Default::default(),
            length: Default::default(),
            sum: Default::default(),
            beat_bytes: ZeroExtend::new(),
            shift_in: Default::default(),
            unused_ready: Default::default(),
            zero_count: Constant::new(0u64.into()),
            zero_length: Constant::new(0u64.into()),
            full: Constant::new(((W / 8) as u64).into()),
            frame_bytes: Constant::new((FRAME_BYTES as u64).into()),
        }
    }
}

impl<const W: usize, const B: usize> Logic for BeatGather<W, B> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, acc, count, short_beat, done, length);
        self.unused_ready.next = self.frames_out.ready.val();
        self.beat_bytes.narrow.next = self.bytes.val();
        self.sum.next = self.count.q.val() + self.beat_bytes.wide.val();
        self.shift_in.frame.next = self.acc.q.val();
        self.shift_in.beat.next = self.data.val();
        self.done.d.next = false;
        if self.valid.val() {
            self.acc.d.next = self.shift_in.shifted.val();
            if self.last.val() {
                self.done.d.next = true;
                self.count.d.next = self.zero_count.val();
                self.short_beat.d.next = false;
                self.length.d.next = self.zero_length.val();
                if !self.short_beat.q.val() & (self.sum.val() <= self.frame_bytes.val()) {
                    self.length.d.next = self.sum.val().get_bits::<7>(0);
                }
            } else {
                if !self.count.q.val().get_bit(7) {
                    self.count.d.next = self.sum.val();
                }
                if self.bytes.val() != self.full.val() {
                    self.short_beat.d.next = true;
                }
            }
        }
        self.frames_out.data.next.data = self.acc.q.val();
        self.frames_out.data.next.last = true;
        self.frames_out.data.next.bytes = self.length.q.val();
        self.frames_out.valid.next = self.done.q.val();
    }
}

/// `shifted` = `frame` moved down by one beat with `beat` on top: `{beat, frame[511:W]}`
/// (rust-hdl has no concatenation, and its `bit_cast` widening is not lint-clean; the
/// ZeroExtend widget explains why). A wire.
#[derive(LogicBlock, Default)]
struct ShiftIn<const W: usize> {
    pub frame: Signal<In, Bits<512>>,
    pub beat: Signal<In, Bits<W>>,
    pub shifted: Signal<Out, Bits<512>>,
}

impl<const W: usize> Logic for ShiftIn<W> {
    fn update(&mut self) {
        self.shifted.next = if W == 512 {
            bit_cast::<512, W>(self.beat.val())
        } else {
            (self.frame.val() >> W as u64)
                | (bit_cast::<512, W>(self.beat.val()) << (512 - W) as u64)
        };
    }

    fn connect(&mut self) {
        self.shifted.connect();
    }

    fn hdl(&self) -> Verilog {
        // rust-hdl declares outputs `reg`, so a combinational block, not `assign`.
        Verilog::Custom(if W == 512 {
            "always @(*) shifted = beat;\n// frame is not needed for a one-beat frame\nwire unused_frame = |frame;".into()
        } else {
            format!(
                "always @(*) shifted = {{beat, frame[511:{W}]}};\nwire unused_low = |frame[{}:0];",
                W - 1
            )
        })
    }
}

#[cfg(test)]
mod tests;
