use super::*;

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = BatchTable::new();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
