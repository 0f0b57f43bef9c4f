use super::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use seqfab_contract::doorbell::{Doorbell, RESERVED_MASK};
use std::collections::VecDeque;

type X = Box<RequestQueue>;

/// Drives a doorbell word with the register file's verdict on it.
fn ring(x: &mut X, word: u64) {
    x.db_data.next = word.into();
    x.db_ok.next = Doorbell::decode(word).is_ok();
}

fn tick(sim: &mut Sim<RequestQueue>, mut x: X) -> Result<X, SimError> {
    wait_clock_cycle!(sim, clock, x);
    Ok(x)
}

fn run<F>(cycles: u64, bench: F)
where
    F: Fn(&mut Sim<RequestQueue>, X) -> Result<X, SimError>
        + Send
        + 'static
        + std::panic::RefUnwindSafe,
{
    let mut uut = RequestQueue::new();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<RequestQueue>| x.clock.next = !x.clock.val());
    sim.add_testbench(move |mut sim: Sim<RequestQueue>| {
        let mut x = sim.init()?;
        wait_clock_true!(sim, clock, x);
        x = bench(&mut sim, x)?;
        sim.done(x)
    });
    sim.run(Box::new(uut), cycles * 10).unwrap();
}

/// A doorbell word: well-formed, or broken in one of the ways `decode` refuses.
fn doorbell_word(rng: &mut StdRng) -> u64 {
    let good = Doorbell {
        count: rng.gen_range(1..=MAX_COUNT),
        tag: rng.gen(),
    }
    .encode()
    .unwrap();
    match rng.gen_range(0..10) {
        0 => good | 1 << [24, 31, 48, 63][rng.gen_range(0..4)],
        1 => good | (rng.gen::<u64>() & RESERVED_MASK),
        2 => good & !(MAX_COUNT as u64),
        3 => rng.gen(),
        _ => good,
    }
}

/// Reference model of the queue, cycle by cycle (entries carry their push cycle: the
/// head shows three cycles after its doorbell).
#[derive(Default)]
struct Model {
    fifo: VecDeque<(u64, u32, u16)>,
    accepted: u64,
    dropped: u64,
    overflows: u64,
    popped: u64,
}

#[test]
fn random_doorbells_against_a_reference_model() {
    run(6000, |sim, mut x| {
        let mut rng = StdRng::seed_from_u64(11);
        let mut m = Model::default();
        let mut expect_pulses = (false, false, false);
        let mut ready_bias = 0.5;
        for t in 0..5000u64 {
            if t % 500 == 0 {
                // Alternate between draining and filling phases.
                ready_bias = [0.9, 0.2, 0.5, 0.05][(t / 500) as usize % 4];
            }
            // Outputs of cycle t (all registered).
            let head_visible = m.fifo.front().is_some_and(|e| e.0 + 3 <= t);
            assert_eq!(x.requests_out.valid.val(), head_visible, "req_valid at {t}");
            assert_eq!(x.fill.val().to_u64(), m.fifo.len() as u64, "fill at {t}");
            assert_eq!(
                x.full.val(),
                m.fifo.len() == QUEUE_FIFO_DEPTH,
                "full at {t}"
            );
            assert_eq!(
                (x.accepted.val(), x.dropped.val(), x.overflow.val()),
                expect_pulses,
                "pulses at {t}"
            );
            // Inputs of cycle t.
            let db = rng.gen_bool(0.6);
            let word = doorbell_word(&mut rng);
            let enable = rng.gen_bool(0.9);
            let soft_reset = rng.gen_bool(0.003);
            let ready = rng.gen_bool(ready_bias);
            x.db_valid.next = db;
            ring(&mut x, word);
            x.enable.next = enable;
            x.soft_reset.next = soft_reset;
            x.requests_out.ready.next = ready;
            // The model's cycle t.
            if head_visible && ready {
                let (_, count, tag) = m.fifo.pop_front().unwrap();
                assert_eq!(
                    x.requests_out.data.val().count.to_u64(),
                    count as u64,
                    "count at {t}"
                );
                assert_eq!(
                    x.requests_out.data.val().tag.to_u64(),
                    tag as u64,
                    "tag at {t}"
                );
                m.popped += 1;
            }
            let decoded = Doorbell::decode(word);
            let full = m.fifo.len() + (head_visible && ready) as usize == QUEUE_FIFO_DEPTH;
            let push = db && decoded.is_ok() && enable && !full && !soft_reset;
            let overflow = db && decoded.is_ok() && enable && full && !soft_reset;
            expect_pulses = (push, db && !push, overflow);
            m.accepted += push as u64;
            m.dropped += (db && !push) as u64;
            m.overflows += overflow as u64;
            if push {
                let d = decoded.unwrap();
                m.fifo.push_back((t, d.count, d.tag));
            }
            if soft_reset {
                m.fifo.clear();
            }
            x = tick(sim, x)?;
        }
        // The run must have seen every case.
        assert!(m.accepted > 1000 && m.dropped > 500 && m.overflows > 50 && m.popped > 1000);
        Ok(x)
    });
}

#[test]
fn fills_to_depth_then_overflows_and_drains_in_order() {
    run(400, |sim, mut x| {
        x.enable.next = true;
        x.requests_out.ready.next = false;
        for i in 0..=QUEUE_FIFO_DEPTH as u64 {
            x.db_valid.next = true;
            ring(&mut x, (1 + i) | ((0x100 + i) << 32));
            x = tick(sim, x)?;
            x.db_valid.next = false;
            let last = i == QUEUE_FIFO_DEPTH as u64;
            assert_eq!(x.accepted.val(), !last, "doorbell {i}");
            assert_eq!(
                (x.dropped.val(), x.overflow.val()),
                (last, last),
                "doorbell {i}"
            );
        }
        assert!(x.full.val());
        assert_eq!(x.fill.val().to_u64(), QUEUE_FIFO_DEPTH as u64);
        // A malformed or disabled doorbell at full is dropped but is not an overflow.
        for (word, enable) in [(0u64, true), (1 << 63 | 1, true), (5, false)] {
            x.db_valid.next = true;
            ring(&mut x, word);
            x.enable.next = enable;
            x = tick(sim, x)?;
            x.db_valid.next = false;
            x.enable.next = true;
            assert!(
                x.dropped.val() && !x.overflow.val() && !x.accepted.val(),
                "{word:#x}"
            );
        }
        x.requests_out.ready.next = true;
        for i in 0..QUEUE_FIFO_DEPTH as u64 {
            assert!(x.requests_out.valid.val(), "entry {i}");
            assert_eq!(x.requests_out.data.val().count.to_u64(), 1 + i);
            assert_eq!(x.requests_out.data.val().tag.to_u64(), 0x100 + i);
            x = tick(sim, x)?;
        }
        assert!(!x.requests_out.valid.val());
        assert_eq!(x.fill.val().to_u64(), 0);
        Ok(x)
    });
}

#[test]
fn a_doorbell_reaches_the_head_three_cycles_later_and_soft_reset_empties() {
    run(100, |sim, mut x| {
        x.enable.next = true;
        x.db_valid.next = true;
        ring(&mut x, 7u64 | 9 << 32);
        x = tick(sim, x)?;
        x.db_valid.next = false;
        assert!(!x.requests_out.valid.val() && x.accepted.val());
        assert_eq!(x.fill.val().to_u64(), 1);
        x = tick(sim, x)?;
        assert!(!x.requests_out.valid.val());
        x = tick(sim, x)?;
        assert!(x.requests_out.valid.val());
        assert_eq!(
            (
                x.requests_out.data.val().count.to_u64(),
                x.requests_out.data.val().tag.to_u64()
            ),
            (7, 9)
        );
        x.soft_reset.next = true;
        x = tick(sim, x)?;
        x.soft_reset.next = false;
        assert!(!x.requests_out.valid.val());
        assert_eq!(x.fill.val().to_u64(), 0);
        Ok(x)
    });
}

#[test]
fn every_reserved_bit_is_refused() {
    run(200, |sim, mut x| {
        x.enable.next = true;
        for b in (0..64).filter(|b| RESERVED_MASK >> b & 1 == 1) {
            x.db_valid.next = true;
            ring(&mut x, 1u64 | 1 << b);
            x = tick(sim, x)?;
            assert!(x.dropped.val() && !x.accepted.val(), "bit {b}");
        }
        x.db_valid.next = false;
        x = tick(sim, x)?;
        assert_eq!(x.fill.val().to_u64(), 0);
        Ok(x)
    });
}

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = RequestQueue::new();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
