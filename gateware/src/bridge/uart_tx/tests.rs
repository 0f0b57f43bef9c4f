use super::*;
use crate::bridge::serial_model::{Received, SerialRx};
use crate::bridge::testing::Clocked;
use rand::{Rng, SeedableRng};

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = UartTx::new(21);
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}

/// Random bytes offered at random times, read back by the independent software
/// receiver: every byte arrives once, in order, and bytes offered back to back take
/// exactly 10 bit times each.
#[test]
fn sends_every_byte_at_exactly_ten_bit_times() {
    for cpb in [4u32, 7, 21] {
        let mut c = Clocked::new(UartTx::new(cpb), |u| &mut u.clock);
        let mut model = SerialRx::new(cpb);
        let mut rng = rand::rngs::StdRng::seed_from_u64(cpb as u64);
        let bytes: Vec<u8> = (0..120).map(|_| rng.gen()).collect();
        let (mut next, mut got) = (0usize, Vec::new());
        let mut accepted_at = Vec::new();
        while got.len() < bytes.len() {
            // The first 40 bytes back to back, then with random gaps.
            let offer = next < bytes.len() && (next < 40 || rng.gen_bool(0.3));
            c.uut.bytes.valid.next = offer;
            c.uut.bytes.data.next = (bytes[next.min(bytes.len() - 1)] as u64).into();
            c.settle();
            if let Some(r) = model.sample(c.uut.tx.val()) {
                got.push(r);
            }
            if offer && c.uut.bytes.ready.val() {
                accepted_at.push(c.cycle);
                next += 1;
            }
            c.edge();
            assert!(c.cycle < 200_000);
        }
        let want: Vec<Received> = bytes.iter().map(|&b| Received::Byte(b)).collect();
        assert_eq!(got, want, "cpb {cpb}");
        for w in accepted_at[..40].windows(2) {
            assert_eq!(w[1] - w[0], 10 * cpb as u64, "cpb {cpb}: back to back");
        }
    }
}
