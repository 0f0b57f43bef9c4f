use super::*;

/// The Verilog concatenation follows the struct layout (kind in the low bits).
#[test]
fn concatenation_follows_the_struct_layout() {
    let uut = FramePack::new();
    assert_eq!(uut._order.first(), Some(&"extra"));
    assert_eq!(uut._order.last(), Some(&"kind"));
    let mut uut = uut;
    uut.connect_all();
    uut.tag.next = 0xBEEFu64.into();
    uut.kind.next = 1u64.into();
    assert!(simulate(&mut uut, 10));
    let bits: Bits<312> = uut.frame.val().into();
    let f = FrameFields::default();
    assert_eq!(bits.get_bits::<16>(f.get_my_offset_tag()).to_u64(), 0xBEEF);
    assert_eq!(bits.get_bits::<8>(0).to_u64(), 1);
}

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = FramePack::new();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
