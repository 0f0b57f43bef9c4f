use super::*;

// Behaviour is tested through the register file (regfile/tests.rs), which drives
// every queue's registers over MMIO.

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = QueueRegs::new(seqfab_contract::limits::QUEUES - 1);
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
