use super::*;
use rand::{Rng, SeedableRng};

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = AsyncRam::<Bits<24>, 4>::default();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}

/// Random writes and reads against a plain array: reads are combinational and see
/// a write right after its edge.
#[test]
fn reads_what_was_written() {
    let mut uut = AsyncRam::<Bits<24>, 4>::default();
    uut.connect_all();
    let mut sim = simple_sim!(AsyncRam<Bits<24>, 4>, clock, 100_000_000, ep, {
        let mut x = ep.init()?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let mut shadow = [0u64; 16];
        for _ in 0..2000 {
            wait_clock_true!(ep, clock, x);
            let (wa, wd, we) = (rng.gen_range(0..16), rng.gen_range(0..1 << 24), rng.gen());
            let ra = rng.gen_range(0..16usize);
            x.write_address.next = (wa as u64).into();
            x.write_data.next = wd.into();
            x.write_enable.next = we;
            x.read_address.next = (ra as u64).into();
            wait_clock_false!(ep, clock, x);
            sim_assert_eq!(ep, x.read_data.val().to_u64(), shadow[ra], x);
            if we {
                shadow[wa] = wd;
            }
        }
        ep.done(x)
    });
    sim.run(Box::new(uut), 100_000_000_000).unwrap();
}
