//! The fabric link (DESIGN.md 3): framing with the Ethernet FCS, heartbeats, liveness
//! and plane choice.
//!
//! The card core makes one [`tx_framer::TxFramer`], [`rx_deframer::RxDeframer`] and
//! [`liveness::LivenessTracker`] per plane (X and Y), one [`heartbeat::HeartbeatTimer`]
//! and one [`plane_select::PlaneSelect`] (the plane for every destination). Only these blocks see the
//! 64-byte wire image; everything else in the card passes [`crate::frame::FrameFields`].
//!
//! | block | latency |
//! |---|---|
//! | [`beat_gather::BeatGather`] | 1 cycle from a narrow port's last beat to the whole frame (narrow boards only) |
//! | [`beat_scatter::BeatScatter`] | the first narrow beat 1 cycle after the frame is taken (narrow boards only) |
//! | [`crc::Fcs32`] | 2 advances |
//! | [`tx_framer::TxFramer`] | 3 cycles from a frame taken on `frames_in` to `beats_out` valid (more while the MAC stalls) |
//! | [`rx_deframer::RxDeframer`] | 3 cycles from the beat to `frames_out` valid / drop pulse |
//! | [`heartbeat::HeartbeatTimer`] | `tick` registered; the first one `period` cycles after the first enabled clock |
//! | [`liveness::LivenessTracker`] | `live` follows `link_up` / `misses` by 1 cycle, `heard` / `tick` by 2 |
//! | [`plane_select::PlaneSelect`] | 1 cycle (a registered table per destination) |
//! | [`lease::LeaseKeeper`] | a heartbeat counts toward the round 3 cycles after it arrives; `lease_ok` / `issue_ok` registered, masked in the cycle of `new_epoch` |

use rust_hdl::prelude::*;

pub mod beat_gather;
pub mod beat_scatter;
pub mod crc;
pub mod heartbeat;
pub mod heartbeat_rx;
pub mod lease;
pub mod liveness;
pub mod mac_beat;
pub mod plane;
pub mod plane_select;
pub mod rx_deframer;
pub mod tx_framer;

/// The 64-byte frame on the MAC boundary (one 512-bit beat, byte 0 in bits 7:0), with the
/// fields of `seqfab_contract::frame` at their wire positions.
///
/// Fields are declared in wire order, so rust-hdl's `LogicStruct` (first field in the
/// least significant bits) puts each at `bit_offset` of its byte offset; the test
/// `layout_matches_the_contract` checks every offset against `seqfab_contract::frame::offset`.
/// The MAC addresses are split into the shared 5-octet prefix and the node octet so the
/// framer and deframer can build and compare them field by field (rust-hdl has no
/// concatenation operator).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct WireImage {
    /// Destination MAC octets 0..5 (`MAC_PREFIX`, or all ones for broadcast).
    pub dst_prefix: Bits<40>,
    /// Destination MAC octet 5 (the node id, 0xFF for broadcast).
    pub dst_node: Bits<8>,
    /// Source MAC octets 0..5.
    pub src_prefix: Bits<40>,
    /// Source MAC octet 5.
    pub src_node: Bits<8>,
    /// EtherType as it sits on the wire (big-endian), read as a little-endian 16-bit value.
    pub ethertype: Bits<16>,
    pub version: Bits<8>,
    pub kind: Bits<8>,
    pub reason: Bits<8>,
    pub src: Bits<8>,
    pub dst: Bits<8>,
    pub origin: Bits<8>,
    pub epoch: Bits<32>,
    pub tag: Bits<16>,
    /// Zero on send, ignored on receive.
    pub reserved: Bits<16>,
    pub count: Bits<32>,
    pub value: Bits<64>,
    pub aux: Bits<64>,
    pub extra: Bits<64>,
    /// Zero on send, ignored on receive.
    pub padding: Bits<32>,
    /// `crc32` of bytes 0..60, least significant byte first.
    pub fcs: Bits<32>,
}

impl From<Bits<512>> for WireImage {
    fn from(b: Bits<512>) -> Self {
        let l = WireImage::default();
        WireImage {
            dst_prefix: b.get_bits(l.get_my_offset_dst_prefix()),
            dst_node: b.get_bits(l.get_my_offset_dst_node()),
            src_prefix: b.get_bits(l.get_my_offset_src_prefix()),
            src_node: b.get_bits(l.get_my_offset_src_node()),
            ethertype: b.get_bits(l.get_my_offset_ethertype()),
            version: b.get_bits(l.get_my_offset_version()),
            kind: b.get_bits(l.get_my_offset_kind()),
            reason: b.get_bits(l.get_my_offset_reason()),
            src: b.get_bits(l.get_my_offset_src()),
            dst: b.get_bits(l.get_my_offset_dst()),
            origin: b.get_bits(l.get_my_offset_origin()),
            epoch: b.get_bits(l.get_my_offset_epoch()),
            tag: b.get_bits(l.get_my_offset_tag()),
            reserved: b.get_bits(l.get_my_offset_reserved()),
            count: b.get_bits(l.get_my_offset_count()),
            value: b.get_bits(l.get_my_offset_value()),
            aux: b.get_bits(l.get_my_offset_aux()),
            extra: b.get_bits(l.get_my_offset_extra()),
            padding: b.get_bits(l.get_my_offset_padding()),
            fcs: b.get_bits(l.get_my_offset_fcs()),
        }
    }
}

/// The MAC prefix as a `dst_prefix`/`src_prefix` value (octet 0 in bits 7:0).
pub(crate) fn mac_prefix_bits() -> Bits<40> {
    let p = seqfab_contract::mac::MAC_PREFIX;
    let mut v = [0u8; 8];
    v[..5].copy_from_slice(&p);
    u64::from_le_bytes(v).into()
}

/// The seqfab EtherType as the `ethertype` field holds it (wire order, read little-endian).
pub(crate) fn ethertype_bits() -> Bits<16> {
    (u16::from_le_bytes(seqfab_contract::frame::ETHERTYPE.to_be_bytes()) as u64).into()
}

/// A beat (512 bits, byte 0 in bits 7:0) from wire bytes; missing bytes are zero.
#[cfg(test)]
pub(crate) fn beat_of(bytes: &[u8]) -> Bits<512> {
    crate::bits::bits_from_bytes(bytes)
}

/// The 64 wire bytes of a beat.
#[cfg(test)]
pub(crate) fn bytes_of(b: Bits<512>) -> [u8; 64] {
    crate::bits::bytes_from_bits(b)
}

/// A random frame: any type and field values, src/dst mostly node ids, sometimes 0xFF.
#[cfg(test)]
pub(crate) fn random_frame(rng: &mut impl rand::Rng) -> seqfab_contract::frame::Frame {
    use seqfab_contract::frame::{Frame, FrameType};
    Frame {
        kind: FrameType::ALL[rng.gen_range(0..FrameType::ALL.len())],
        reason: rng.gen(),
        src: if rng.gen_bool(0.1) {
            0xFF
        } else {
            rng.gen_range(0..64)
        },
        dst: if rng.gen_bool(0.2) {
            0xFF
        } else {
            rng.gen_range(0..64)
        },
        origin: rng.gen(),
        epoch: rng.gen(),
        tag: rng.gen(),
        count: rng.gen(),
        value: rng.gen(),
        aux: rng.gen(),
        extra: rng.gen(),
    }
}

#[cfg(test)]
mod tests;

/// Tier-1 link test: a [`tx_framer::TxFramer`] looped into a [`rx_deframer::RxDeframer`]
/// through a MAC that takes beats when `mac_ready`.
#[cfg(test)]
mod loop_tests;
