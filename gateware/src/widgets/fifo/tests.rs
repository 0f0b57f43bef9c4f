use super::*;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;

type F = Fifo<Bits<12>, 3>;

#[test]
fn matches_a_queue_model_under_random_traffic() {
    let mut uut = F::default();
    uut.connect_all();
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let mut model: VecDeque<u64> = VecDeque::new();
    // Entries become visible three cycles after the write; track when.
    let mut visible: VecDeque<(u64, u64)> = VecDeque::new();
    uut.clock.next = Clock { clk: false };
    assert!(simulate(&mut uut, 50));
    for cycle in 0..5000u64 {
        let w = rng.gen_bool(0.6);
        let r = rng.gen_bool(0.5);
        let clear = rng.gen_ratio(1, 400);
        let v: u64 = rng.gen_range(0..4096);
        uut.beats_in.data.next = v.into();
        uut.beats_in.valid.next = w;
        uut.beats_out.ready.next = r;
        uut.clear.next = clear;
        uut.clock.next = Clock { clk: false };
        assert!(simulate(&mut uut, 50));
        let shown = visible.iter().take_while(|(t, _)| *t <= cycle).count();
        assert_eq!(uut.beats_out.valid.val(), shown > 0, "cycle {cycle}");
        assert_eq!(!uut.beats_in.ready.val(), model.len() == 8, "cycle {cycle}");
        assert_eq!(uut.fill.val().to_u64(), model.len() as u64, "cycle {cycle}");
        if shown > 0 {
            assert_eq!(
                uut.beats_out.data.val().to_u64(),
                visible[0].1,
                "cycle {cycle}"
            );
        }
        if clear {
            model.clear();
            visible.clear();
        } else {
            let was_full = model.len() == 8;
            if r && shown > 0 {
                model.pop_front();
                visible.pop_front();
            }
            if w && !was_full {
                model.push_back(v);
                visible.push_back((cycle + 3, v));
            }
        }
        uut.clock.next = Clock { clk: true };
        assert!(simulate(&mut uut, 50));
    }
}

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = Fifo::<crate::frame::FrameFields, 4>::default();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
