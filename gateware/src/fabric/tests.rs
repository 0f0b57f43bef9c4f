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
