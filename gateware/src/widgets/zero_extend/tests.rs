use super::*;

#[test]
fn extends_with_zeros() {
    let mut uut = ZeroExtend::<24, 64>::new();
    uut.connect_all();
    uut.narrow.next = 0xAB_CDEFu64.into();
    assert!(simulate(&mut uut, 10));
    assert_eq!(uut.wide.val().to_u64(), 0xAB_CDEF);
}

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = ZeroExtend::<32, 64>::new();
    uut.connect_all();
    let v = generate_verilog(&uut);
    assert!(v.contains("{32'd0, narrow}"), "{v}");
    crate::lint::assert_lint_clean(&v);
}
