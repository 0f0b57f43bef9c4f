use super::*;
use rand::{Rng, SeedableRng};
use seqfab_contract::fcs::crc32;
use seqfab_contract::frame::{Frame, FrameType, FCS_COVERED_BYTES};

/// The 480-bit input for the first 60 bytes of `bytes`.
fn bits_of(bytes: &[u8]) -> Bits<480> {
    crate::bits::bits_from_bytes(&bytes[..FCS_COVERED_BYTES])
}

/// Vectors: random messages, all zeros, all ones, single bits and real frames.
fn vectors() -> Vec<[u8; 60]> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let mut v = vec![[0u8; 60], [0xFF; 60]];
    for bit in [0usize, 7, 8, 239, 240, 479] {
        let mut m = [0u8; 60];
        m[bit / 8] = 1 << (bit % 8);
        v.push(m);
    }
    for kind in FrameType::ALL {
        let mut f = Frame::new(*kind, 3, 9);
        f.value = rng.gen();
        f.count = rng.gen();
        v.push(f.encode()[..60].try_into().unwrap());
    }
    for _ in 0..400 {
        let mut m = [0u8; 60];
        rng.fill(&mut m[..]);
        v.push(m);
    }
    v
}

#[test]
fn matches_contract_crc32_one_message_per_clock() {
    let vecs = vectors();
    let expected: Vec<u32> = vecs.iter().map(|m| crc32(m)).collect();
    let n = vecs.len();
    let mut uut = Fcs32::new();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<Fcs32>| x.clock.next = !x.clock.val());
    sim.add_testbench(move |mut sim: Sim<Fcs32>| {
        let mut x = sim.init()?;
        // Message i is loaded at edge i (stage 1) and its FCS is on `fcs` after
        // edge i + 1: two advances.
        x.advance.next = true;
        for i in 0..=n {
            if i < n {
                x.data.next = bits_of(&vecs[i]);
            }
            wait_clock_true!(sim, clock, x);
            wait_clock_false!(sim, clock, x);
            if i >= 1 {
                sim_assert_eq!(sim, x.fcs.val().to_u64() as u32, expected[i - 1], x);
            }
        }
        sim.done(x)
    });
    sim.run(Box::new(uut), 100_000).unwrap();
}

#[test]
fn advance_low_holds_the_pipeline() {
    let vecs = vectors();
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    // Random advance pattern; a plain-Rust model of the two stages.
    let pattern: Vec<bool> = (0..300).map(|_| rng.gen_bool(0.6)).collect();
    let mut uut = Fcs32::new();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<Fcs32>| x.clock.next = !x.clock.val());
    sim.add_testbench(move |mut sim: Sim<Fcs32>| {
        let mut x = sim.init()?;
        let mut stage1: Option<u32> = None;
        let mut stage2: Option<u32> = None;
        for (i, &adv) in pattern.iter().enumerate() {
            let m = &vecs[i % vecs.len()];
            x.data.next = bits_of(m);
            x.advance.next = adv;
            wait_clock_true!(sim, clock, x);
            if adv {
                stage2 = stage1;
                stage1 = Some(crc32(m));
            }
            wait_clock_false!(sim, clock, x);
            if let Some(want) = stage2 {
                sim_assert_eq!(sim, x.fcs.val().to_u64() as u32, want, x);
            }
        }
        sim.done(x)
    });
    sim.run(Box::new(uut), 100_000).unwrap();
}

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = Fcs32::new();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
