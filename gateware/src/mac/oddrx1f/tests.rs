use super::*;
use rand::{Rng, SeedableRng};

/// The generated Verilog instantiates `ODDRX1F`; the lint run adds the behavioural
/// model (`ecp5_ddr_sim_models.v`), as a Verilator simulation would.
#[test]
fn generates_lint_clean_verilog() {
    for verilog in [
        generate_verilog(&{
            let mut uut = Oddrx1f::<Bits<4>>::default();
            uut.connect_all();
            uut
        }),
        generate_verilog(&{
            let mut uut = Oddrx1f::<Bit>::default();
            uut.connect_all();
            uut
        }),
    ] {
        assert!(verilog.contains("ODDRX1F ddr_0"), "{verilog}");
        crate::mac::assert_lint_clean_with_sim_models(&verilog);
    }
}

/// `q` carries `d0` in the high half and `d1` in the low half of the clock after the
/// rising edge that took them.
#[test]
fn sends_d0_in_the_high_half_and_d1_in_the_low_half() {
    let mut uut = Oddrx1f::<Bits<4>>::default();
    uut.connect_all();
    let mut sim = simple_sim!(Oddrx1f<Bits<4>>, clock, 125_000_000, ep, {
        let mut x = ep.init()?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        for _ in 0..500 {
            let (d0, d1) = (rng.gen_range(0..16u64), rng.gen_range(0..16u64));
            x.d0.next = d0.into();
            x.d1.next = d1.into();
            wait_clock_true!(ep, clock, x);
            // The next pair is offered at once: it must not reach q before the next edge.
            x.d0.next = rng.gen_range(0..16u64).into();
            x.d1.next = rng.gen_range(0..16u64).into();
            x = ep.wait(1000, x)?;
            sim_assert_eq!(ep, x.q.val().to_u64(), d0, x);
            wait_clock_false!(ep, clock, x);
            x = ep.wait(1000, x)?;
            sim_assert_eq!(ep, x.q.val().to_u64(), d1, x);
        }
        ep.done(x)
    });
    sim.run(Box::new(uut), 1_000_000_000).unwrap();
}
