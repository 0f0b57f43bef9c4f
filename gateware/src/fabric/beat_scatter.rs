//! [`BeatScatter`]: one 64-byte [`MacBeat`] per frame in, a narrow MAC's beats out.
//!
//! The transmit half of [`super::beat_gather::BeatGather`]: the framer hands over a whole
//! frame (one beat, `last` set, 64 bytes); this block sends it `W` bits at a time, byte 0
//! first, `512 / W` beats with `last` on the final one, holding each beat until the MAC
//! takes it. It takes the next frame in the clock its last beat leaves, so a MAC that
//! is always ready sees frames back to back.

use super::mac_beat::MacBeat;
use crate::widgets::StreamSink;
use rust_hdl::prelude::*;

/// Whole frames to narrow beats; see the module doc.
#[derive(LogicBlock)]
pub struct BeatScatter<const W: usize, const B: usize> {
    pub clock: Signal<In, Clock>,
    /// Whole frames from the framer (always 64 bytes, one beat).
    pub frames_in: StreamSink<MacBeat>,
    /// The beat, byte 0 in bits 7:0.
    pub data: Signal<Out, Bits<W>>,
    pub valid: Signal<Out, Bit>,
    pub last: Signal<Out, Bit>,
    /// Valid bytes in the beat: always `W / 8` (a seqfab frame fills its beats).
    pub bytes: Signal<Out, Bits<B>>,
    /// The MAC takes the beat.
    pub ready: Signal<In, Bit>,
    /// The frame's bytes not yet sent, the next beat in the low bits.
    shift: DFF<Bits<512>>,
    /// Beats of the frame still to send.
    left: DFF<Bits<8>>,
    take: Signal<Local, Bit>,
    /// The frame's `last` and `bytes`, which are always 1 and 64 here.
    unused_frame: Signal<Local, MacBeat>,
    beat_bits: Constant<Bits<10>>,
    beats: Constant<Bits<8>>,
    one: Constant<Bits<8>>,
    full: Constant<Bits<B>>,
}

impl<const W: usize, const B: usize> Default for BeatScatter<W, B> {
    fn default() -> Self {
        super::mac_beat::assert_beat_width(W, B);
        Self {
            clock: Default::default(),
            frames_in: Default::default(),
            data: Default::default(),
            valid: Default::default(),
            last: Default::default(),
            bytes: Default::default(),
            ready: Default::default(),
            shift: Default::default(),
            left: Default::default(),
            take: Default::default(),
            unused_frame: Default::default(),
            beat_bits: Constant::new((W as u64).into()),
            beats: Constant::new(((512 / W) as u64).into()),
            one: Constant::new(1u64.into()),
            full: Constant::new(((W / 8) as u64).into()),
        }
    }
}

impl<const W: usize, const B: usize> Logic for BeatScatter<W, B> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, shift, left);
        self.unused_frame.next = self.frames_in.data.val();
        self.data.next = self.shift.q.val().get_bits::<W>(0);
        self.valid.next = self.left.q.val().any();
        self.last.next = self.left.q.val() == self.one.val();
        self.bytes.next = self.full.val();
        self.take.next = self.left.q.val().any() & self.ready.val();
        // Room for the next frame: nothing left, or the last beat leaves now.
        self.frames_in.ready.next =
            !self.left.q.val().any() | ((self.left.q.val() == self.one.val()) & self.ready.val());
        if self.frames_in.valid.val() & self.frames_in.ready.val() {
            self.shift.d.next = self.frames_in.data.val().data;
            self.left.d.next = self.beats.val();
        } else if self.take.val() {
            self.shift.d.next = self.shift.q.val() >> self.beat_bits.val();
            self.left.d.next = self.left.q.val() - self.one.val();
        }
    }
}

#[cfg(test)]
mod tests;
