use super::*;
use crate::widgets::FrameArbiter3;
use rand::{Rng, SeedableRng};

/// Random request patterns and takes against a model of the rule: the grant is the first
/// requester at or after the pointer, one-hot, and a taken grant moves the pointer past
/// it. With all three requesting and every grant taken, each gets a third.
#[test]
fn grants_the_first_requester_from_the_pointer_and_rotates() {
    let mut uut = Arbiter3::default();
    uut.connect_all();
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let mut rr = 0usize;
    let mut served = [0usize; 3];
    for step in 0..3000 {
        let busy = step >= 1500;
        let req: [bool; 3] = std::array::from_fn(|_| busy || rng.gen_bool(0.5));
        let take = busy || rng.gen_bool(0.7);
        for (port, r) in uut.request.iter_mut().zip(req) {
            port.next = r;
        }
        uut.take.next = take;
        uut.clock.next = Clock { clk: false };
        assert!(simulate(&mut uut, 20));
        let expect = (0..3).map(|k| (rr + k) % 3).find(|&i| req[i]);
        for i in 0..3 {
            assert_eq!(
                uut.grant[i].val(),
                expect == Some(i),
                "step {step} grant {i}"
            );
        }
        if let (Some(i), true) = (expect, take) {
            rr = (i + 1) % 3;
            if busy {
                served[i] += 1;
            }
        }
        uut.clock.next = Clock { clk: true };
        assert!(simulate(&mut uut, 20));
    }
    assert_eq!(served, [500, 500, 500]);
}

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = Arbiter3::default();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
    let mut uut = FrameArbiter3::default();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
