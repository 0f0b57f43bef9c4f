use super::*;
use rand::{Rng, SeedableRng};

/// The generated Verilog instantiates `IDDRX1F`; the lint run adds the behavioural
/// model (`ecp5_ddr_sim_models.v`), as a Verilator simulation would.
#[test]
fn generates_lint_clean_verilog() {
    for verilog in [
        generate_verilog(&{
            let mut uut = Iddrx1f::<Bits<5>>::default();
            uut.connect_all();
            uut
        }),
        generate_verilog(&{
            let mut uut = Iddrx1f::<Bit>::default();
            uut.connect_all();
            uut
        }),
    ] {
        assert!(verilog.contains("IDDRX1F ddr_0"), "{verilog}");
        crate::mac::assert_lint_clean_with_sim_models(&verilog);
    }
}

/// A value held across each rising edge and another across each falling edge (centre
/// aligned, as the PHY's delayed RXC sees them) come out as one pair at the next rising
/// edge: rising sample on `q0`, the falling one after it on `q1`.
#[test]
fn pairs_each_rising_sample_with_the_falling_sample_after_it() {
    let mut uut = Iddrx1f::<Bits<4>>::default();
    uut.connect_all();
    let mut sim = simple_sim!(Iddrx1f<Bits<4>>, clock, 125_000_000, ep, {
        let mut x = ep.init()?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let mut prev: Option<(u64, u64)> = None;
        for _ in 0..500 {
            // Clock low: offer the value for the rising edge.
            let rise = rng.gen_range(0..16u64);
            x.d.next = rise.into();
            wait_clock_true!(ep, clock, x);
            // The pair of the previous cycle is out now.
            if let Some((r, f)) = prev {
                sim_assert_eq!(ep, (x.q0.val().to_u64(), x.q1.val().to_u64()), (r, f), x);
            }
            let fall = rng.gen_range(0..16u64);
            x.d.next = fall.into();
            wait_clock_false!(ep, clock, x);
            prev = Some((rise, fall));
        }
        ep.done(x)
    });
    sim.run(Box::new(uut), 1_000_000_000).unwrap();
}
