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
//! | [`crc::Fcs32`] | 2 advances |
//! | [`tx_framer::TxFramer`] | 3 cycles from `frame_valid && frame_ready` to `tx_valid` (more while the MAC stalls) |
//! | [`rx_deframer::RxDeframer`] | 3 cycles from the beat to `frame_valid` / drop pulse |
//! | [`heartbeat::HeartbeatTimer`] | `tick` registered; the first one `period` cycles after the first enabled clock |
//! | [`liveness::LivenessTracker`] | `live` follows `link_up` / `misses` by 1 cycle, `heard` / `tick` by 2 |
//! | [`plane_select::PlaneSelect`] | 1 cycle (a registered table per destination) |
//! | [`lease::LeaseKeeper`] | a heartbeat counts toward the round 3 cycles after it arrives; `lease_ok` / `issue_ok` registered, masked in the cycle of `new_epoch` |

use rust_hdl::prelude::*;

pub mod crc;
pub mod heartbeat;
pub mod lease;
pub mod liveness;
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
    crate::card::model::bits_from_bytes(bytes)
}

/// The 64 wire bytes of a beat.
#[cfg(test)]
pub(crate) fn bytes_of(b: Bits<512>) -> [u8; 64] {
    crate::card::model::bytes_from_bits(b)
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
mod tests {
    use super::*;
    use seqfab_contract::frame::{bit_offset, offset, Frame, FrameType};

    #[test]
    fn layout_matches_the_contract() {
        let l = WireImage::default();
        assert_eq!(<WireImage as Synth>::BITS, 512);
        assert_eq!(l.get_my_offset_dst_prefix(), bit_offset(offset::DST_MAC));
        assert_eq!(l.get_my_offset_dst_node(), bit_offset(offset::DST_MAC_NODE));
        assert_eq!(l.get_my_offset_src_prefix(), bit_offset(offset::SRC_MAC));
        assert_eq!(l.get_my_offset_src_node(), bit_offset(offset::SRC_MAC_NODE));
        assert_eq!(l.get_my_offset_ethertype(), bit_offset(offset::ETHERTYPE));
        assert_eq!(l.get_my_offset_version(), bit_offset(offset::VERSION));
        assert_eq!(l.get_my_offset_kind(), bit_offset(offset::TYPE));
        assert_eq!(l.get_my_offset_reason(), bit_offset(offset::REASON));
        assert_eq!(l.get_my_offset_src(), bit_offset(offset::SRC));
        assert_eq!(l.get_my_offset_dst(), bit_offset(offset::DST));
        assert_eq!(l.get_my_offset_origin(), bit_offset(offset::ORIGIN));
        assert_eq!(l.get_my_offset_epoch(), bit_offset(offset::EPOCH));
        assert_eq!(l.get_my_offset_tag(), bit_offset(offset::TAG));
        assert_eq!(l.get_my_offset_count(), bit_offset(offset::COUNT));
        assert_eq!(l.get_my_offset_value(), bit_offset(offset::VALUE));
        assert_eq!(l.get_my_offset_aux(), bit_offset(offset::AUX));
        assert_eq!(l.get_my_offset_extra(), bit_offset(offset::EXTRA));
        assert_eq!(l.get_my_offset_fcs(), bit_offset(offset::FCS));
    }

    #[test]
    fn image_of_an_encoded_frame_has_its_fields() {
        let mut f = Frame::new(FrameType::Fwd, 3, 0xFF);
        f.value = 0x0102_0304_0506_0708;
        f.epoch = 0xDEAD_BEEF;
        let bytes = f.encode();
        let img = WireImage::from(beat_of(&bytes));
        assert_eq!(img.dst_prefix, Bits::<40>::mask());
        assert_eq!(img.dst_node.to_u64(), 0xFF);
        assert_eq!(img.src_prefix, mac_prefix_bits());
        assert_eq!(img.src_node.to_u64(), 3);
        assert_eq!(img.ethertype, ethertype_bits());
        assert_eq!(img.value.to_u64(), f.value);
        assert_eq!(img.epoch.to_u64(), f.epoch as u64);
        assert_eq!(
            img.fcs.to_u64() as u32,
            seqfab_contract::fcs::crc32(&bytes[..60])
        );
        assert_eq!(Bits::<512>::from(img), beat_of(&bytes));
        assert_eq!(bytes_of(beat_of(&bytes)), bytes);
    }
}

/// Tier-1 link test: a [`tx_framer::TxFramer`] looped into a [`rx_deframer::RxDeframer`]
/// through a MAC that takes beats when `mac_ready`.
#[cfg(test)]
mod loop_tests {
    use super::rx_deframer::RxDeframer;
    use super::tx_framer::TxFramer;
    use crate::frame::FrameFields;
    use rand::{Rng, SeedableRng};
    use rust_hdl::prelude::*;
    use seqfab_contract::frame::Frame;
    use std::sync::{Arc, Mutex};

    #[derive(LogicBlock)]
    struct Link {
        pub clock: Signal<In, Clock>,
        pub frame: Signal<In, FrameFields>,
        pub frame_valid: Signal<In, Bit>,
        pub frame_ready: Signal<Out, Bit>,
        pub mac_ready: Signal<In, Bit>,
        pub node_id: Signal<In, Bits<8>>,
        pub out: Signal<Out, FrameFields>,
        pub out_valid: Signal<Out, Bit>,
        pub dropped: Signal<Out, Bit>,
        tx: TxFramer,
        rx: RxDeframer,
    }

    impl Logic for Link {
        #[hdl_gen]
        fn update(&mut self) {
            clock!(self, clock, tx, rx);
            self.tx.frame.next = self.frame.val();
            self.tx.frame_valid.next = self.frame_valid.val();
            self.frame_ready.next = self.tx.frame_ready.val();
            self.tx.tx_ready.next = self.mac_ready.val();
            self.rx.rx_data.next = self.tx.tx_data.val();
            self.rx.rx_valid.next = self.tx.tx_valid.val() & self.mac_ready.val();
            self.rx.rx_last.next = self.tx.tx_last.val();
            self.rx.rx_bytes.next = self.tx.tx_bytes.val();
            self.rx.node_id.next = self.node_id.val();
            self.out.next = self.rx.frame.val();
            self.out_valid.next = self.rx.frame_valid.val();
            self.dropped.next = self.rx.drop_length.val()
                | self.rx.drop_fcs.val()
                | self.rx.drop_foreign.val()
                | self.rx.drop_version.val()
                | self.rx.drop_type.val()
                | self.rx.drop_dest.val();
        }
    }

    #[test]
    fn framer_into_deframer_delivers_every_frame_in_order() {
        let node = 21u8;
        let mut rng = rand::rngs::StdRng::seed_from_u64(77);
        let frames: Vec<Frame> = (0..200)
            .map(|_| {
                let mut f = super::random_frame(&mut rng);
                f.dst = if rng.gen_bool(0.2) { 0xFF } else { node };
                f
            })
            .collect();
        let n = frames.len();
        let mut uut = Link {
            clock: Default::default(),
            frame: Default::default(),
            frame_valid: Default::default(),
            frame_ready: Default::default(),
            mac_ready: Default::default(),
            node_id: Default::default(),
            out: Default::default(),
            out_valid: Default::default(),
            dropped: Default::default(),
            tx: TxFramer::new(),
            rx: RxDeframer::new(),
        };
        uut.connect_all();
        let mut sim = Simulation::new();
        sim.add_clock(5, |x: &mut Box<Link>| x.clock.next = !x.clock.val());
        let got = Arc::new(Mutex::new(vec![]));
        let out = got.clone();
        let sent = frames.clone();
        sim.add_testbench(move |mut sim: Sim<Link>| {
            let mut x = sim.init()?;
            x.node_id.next = (node as u64).into();
            let mut rng = rand::rngs::StdRng::seed_from_u64(78);
            let (mut next, mut offered, mut idle) = (0, false, 0);
            wait_clock_true!(sim, clock, x);
            while out.lock().unwrap().len() < n && idle < 50 {
                if !offered && next < n && rng.gen_bool(0.8) {
                    x.frame.next = sent[next].into();
                    next += 1;
                    offered = true;
                }
                x.frame_valid.next = offered;
                x.mac_ready.next = rng.gen_bool(0.6);
                wait_clock_false!(sim, clock, x);
                let took = x.frame_valid.val() && x.frame_ready.val();
                sim_assert!(sim, !x.dropped.val(), x);
                if x.out_valid.val() {
                    out.lock().unwrap().push(x.out.val().to_frame());
                    idle = 0;
                } else {
                    idle += 1;
                }
                wait_clock_true!(sim, clock, x);
                if took {
                    offered = false;
                }
            }
            sim.done(x)
        });
        sim.run(Box::new(uut), 100 * n as u64 + 10_000).unwrap();
        let got = got.lock().unwrap().clone();
        let want: Vec<Option<Frame>> = frames.into_iter().map(Some).collect();
        assert_eq!(got, want);
    }
}
