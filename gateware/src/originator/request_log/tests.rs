use super::*;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;

/// (queue, tag, count) of the n-th entry written.
fn entry(n: u64) -> (u64, u64, u64) {
    (n & 3, n & 0xFFFF, (n * 7919) & 0xFF_FFFF)
}

/// Random pushes and pops against a `VecDeque`: same order, `full` exactly at
/// `LOG_ENTRIES`, `empty` exactly when nothing written a clock ago is unread, and a
/// soft reset empties it.
#[test]
fn behaves_like_a_fifo() {
    let mut uut = RequestLog::new();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<RequestLog>| x.clock.next = !x.clock.val());
    sim.add_testbench(move |mut sim: Sim<RequestLog>| {
        let mut x = sim.init()?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let mut model: VecDeque<(u64, u64, u64)> = VecDeque::new();
        // Entries written at the last edge are in `model` but not yet visible.
        let mut just_written = 0usize;
        let mut next = 0u64;
        let mut popped = 0usize;
        for cycle in 0..3000usize {
            wait_clock_false!(sim, clock, x);
            // Phases: fill (push-heavy), drain (pop-heavy), mixed; reset once.
            let (p_push, p_pop) = match (cycle / 300) % 3 {
                0 => (0.9, 0.2),
                1 => (0.2, 0.9),
                _ => (0.6, 0.6),
            };
            let reset = cycle == 1500;
            x.push.next = rng.gen_bool(p_push);
            x.pop.next = rng.gen_bool(p_pop);
            let (q, t, c) = entry(next);
            x.in_queue.next = q.into();
            x.in_tag.next = t.into();
            x.in_count.next = c.into();
            x.soft_reset.next = reset;
            x = sim.wait(1, x)?;
            sim_assert_eq!(sim, x.full.val(), model.len() == LOG_ENTRIES, x);
            let visible = model.len() - just_written;
            sim_assert_eq!(sim, x.empty.val(), visible == 0, x);
            if visible > 0 {
                let head = (
                    x.head_queue.val().to_u64(),
                    x.head_tag.val().to_u64(),
                    x.head_count.val().to_u64(),
                );
                sim_assert_eq!(sim, head, model[0], x);
            }
            just_written = 0;
            if reset {
                model.clear();
            } else {
                if x.pop.val() && visible > 0 {
                    model.pop_front();
                    popped += 1;
                }
                if x.push.val() && !x.full.val() {
                    model.push_back(entry(next));
                    next += 1;
                    just_written = 1;
                }
            }
            wait_clock_true!(sim, clock, x);
        }
        sim_assert!(sim, popped > 1000, x);
        sim.done(x)
    });
    sim.run(Box::new(uut), 100_000).unwrap();
}

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = RequestLog::new();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
