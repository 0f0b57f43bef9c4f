use super::*;
use rand::{Rng, SeedableRng};

/// The rule of the brief, written as a reference in plain Rust.
#[allow(clippy::too_many_arguments)]
fn reference(
    dst: u8,
    live_x: u64,
    live_y: u64,
    link: [bool; 2],
    enable: [bool; 2],
    prefer_y: bool,
) -> bool {
    let live = [live_x, live_y];
    let ok = |p: usize| enable[p] && link[p] && dst < 64 && live[p] >> dst & 1 == 1;
    let (pref, other) = if prefer_y { (1, 0) } else { (0, 1) };
    let chosen = if ok(pref) {
        pref
    } else if ok(other) {
        other
    } else if enable[pref] {
        pref
    } else {
        other
    };
    chosen == 1
}

#[test]
fn truth_table_and_random_bitmaps() {
    // Every combination of the 6 booleans and dst live on X/Y, for dst 5, 63 and 0xFF,
    // plus random bitmaps and ids.
    let mut cases = vec![];
    for bits in 0u32..256 {
        let b = |i: u32| bits >> i & 1 == 1;
        for dst in [5u8, 63, 0xFF] {
            let bit = 1u64 << (dst % 64);
            let live_x = if b(6) { bit } else { !bit };
            let live_y = if b(7) { bit } else { !bit };
            cases.push((dst, live_x, live_y, [b(0), b(1)], [b(2), b(3)], b(4)));
        }
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(8);
    for _ in 0..500 {
        cases.push((
            rng.gen(),
            rng.gen(),
            rng.gen(),
            [rng.gen(), rng.gen()],
            [rng.gen(), rng.gen()],
            rng.gen(),
        ));
    }
    let mut uut = PlaneSelect::new();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<PlaneSelect>| x.clock.next = !x.clock.val());
    sim.add_testbench(move |mut sim: Sim<PlaneSelect>| {
        let mut x = sim.init()?;
        for &(dst, live_x, live_y, link, enable, prefer_y) in &cases {
            x.live_x.next = live_x.into();
            x.live_y.next = live_y.into();
            x.link_x.next = link[0];
            x.link_y.next = link[1];
            x.enable_x.next = enable[0];
            x.enable_y.next = enable[1];
            x.prefer_y.next = prefer_y;
            // The table is a register: the inputs of this clock show after its edge.
            wait_clock_cycle!(sim, clock, x);
            let want = reference(dst, live_x, live_y, link, enable, prefer_y);
            let got = if dst < 64 {
                x.use_y.val().get_bit(dst as usize)
            } else {
                x.use_y_high.val()
            };
            sim_assert_eq!(sim, got, want, x);
            sim_assert_eq!(sim, x.prefer_y_r.val(), prefer_y, x);
            // Every other node's bit follows the same rule.
            for n in [0u8, 1, 31, 62, 63] {
                let want = reference(n, live_x, live_y, link, enable, prefer_y);
                sim_assert_eq!(sim, x.use_y.val().get_bit(n as usize), want, x);
            }
        }
        sim.done(x)
    });
    sim.run(Box::new(uut), 10_000_000).unwrap();
}

#[test]
fn directed_cases() {
    let all = u64::MAX;
    // Preferred X usable -> X; X dead for dst -> Y; both dead -> preferred X;
    // X disabled and both dead -> Y; prefer Y mirrors.
    assert!(!reference(3, all, all, [true, true], [true, true], false));
    assert!(reference(3, 0, all, [true, true], [true, true], false));
    assert!(reference(3, all, all, [false, true], [true, true], false));
    assert!(!reference(3, 0, 0, [true, true], [true, true], false));
    assert!(reference(3, 0, 0, [true, true], [false, true], false));
    assert!(reference(3, all, all, [true, true], [true, true], true));
    assert!(!reference(3, all, 0, [true, true], [true, true], true));
    assert!(!reference(3, 0, 0, [true, true], [true, false], true));
}

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = PlaneSelect::new();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
