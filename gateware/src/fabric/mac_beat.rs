//! What travels between a plane's MAC and the framer/deframer.

use rust_hdl::prelude::*;

/// One beat of a MAC's user interface: 512 bits, byte 0 of the frame in bits 7:0 (the
/// width of a 100G MAC, docs/gateware.md "MAC boundary"). A seqfab frame is exactly one
/// beat with `last` set and `bytes` = 64.
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct MacBeat {
    pub data: Bits<512>,
    /// The beat ends its frame.
    pub last: Bit,
    /// Valid bytes in the beat (1..=64).
    pub bytes: Bits<7>,
}

/// Checks that a fabric port of `w` bits with its byte count in `b` bits can carry a
/// frame in whole beats (the width converters' and the planes' one precondition).
pub fn assert_beat_width(w: usize, b: usize) {
    assert!(
        w.is_multiple_of(8) && (8..=512).contains(&w) && 512usize.is_multiple_of(w),
        "a beat of {w} bits does not divide a 64-byte frame"
    );
    assert!(1 << b > w / 8, "{b} bits cannot count {} bytes", w / 8);
}
