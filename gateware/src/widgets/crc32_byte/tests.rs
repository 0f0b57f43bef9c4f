use super::*;
use rand::{Rng, SeedableRng};

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = Crc32Byte::new();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}

/// The network against the contract's bytewise CRC, on random registers and bytes and
/// on every single input bit.
#[test]
fn matches_contract_crc32_update() {
    let mut uut = Crc32Byte::new();
    uut.connect_all();
    let mut rng = rand::rngs::StdRng::seed_from_u64(21);
    let mut cases: Vec<(u32, u8)> = (0..32).map(|i| (1u32 << i, 0)).collect();
    cases.extend((0..8).map(|i| (0, 1u8 << i)));
    cases.extend((0..2000).map(|_| (rng.gen(), rng.gen())));
    for (state, byte) in cases {
        uut.state.next = (state as u64).into();
        uut.octet.next = (byte as u64).into();
        assert!(simulate(&mut uut, 10));
        assert_eq!(
            uut.result.val().to_u64() as u32,
            crc32_update(state, &[byte]),
            "state {state:#x} byte {byte:#x}"
        );
    }
}
