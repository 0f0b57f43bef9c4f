//! Tests of the completion writer: ring addresses, phase and interrupts.

use super::*;
use crate::host::beat_bytes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use seqfab_contract::ring::Completion;
use std::collections::VecDeque;

type X = Box<CompletionWriter>;

/// Settles the inputs set for this cycle (so combinational outputs can be sampled),
/// without the rising edge.
fn settle(sim: &mut Sim<CompletionWriter>, mut x: X) -> Result<X, SimError> {
    wait_clock_false!(sim, clock, x);
    Ok(x)
}

fn edge(sim: &mut Sim<CompletionWriter>, mut x: X) -> Result<X, SimError> {
    wait_clock_true!(sim, clock, x);
    Ok(x)
}

fn run<F>(cycles: u64, bench: F)
where
    F: Fn(&mut Sim<CompletionWriter>, X) -> Result<X, SimError>
        + Send
        + 'static
        + std::panic::RefUnwindSafe,
{
    let mut uut = CompletionWriter::new();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<CompletionWriter>| {
        x.clock.next = !x.clock.val()
    });
    sim.add_testbench(move |mut sim: Sim<CompletionWriter>| {
        let mut x = sim.init()?;
        wait_clock_true!(sim, clock, x);
        x = bench(&mut sim, x)?;
        sim.done(x)
    });
    sim.run(Box::new(uut), cycles * 10).unwrap();
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Cpl {
    queue: usize,
    value: u64,
    count: u32,
    epoch: u32,
    tag: u16,
    status: u8,
}

fn random_cpl(rng: &mut StdRng) -> Cpl {
    Cpl {
        queue: rng.gen_range(0..QUEUES),
        value: rng.gen(),
        count: rng.gen(),
        epoch: rng.gen(),
        tag: rng.gen(),
        status: rng.gen(),
    }
}

fn offer(x: &mut X, c: Option<Cpl>) {
    x.completions_in.valid.next = c.is_some();
    let c = c.unwrap_or(Cpl {
        queue: 0,
        value: 0,
        count: 0,
        epoch: 0,
        tag: 0,
        status: 0,
    });
    x.completions_in.data.next.queue = (c.queue as u64).into();
    x.completions_in.data.next.value = c.value.into();
    x.completions_in.data.next.count = (c.count as u64).into();
    x.completions_in.data.next.epoch = (c.epoch as u64).into();
    x.completions_in.data.next.tag = (c.tag as u64).into();
    x.completions_in.data.next.status = (c.status as u64).into();
}

#[test]
fn entries_land_in_ring_order_with_the_right_phase_across_passes() {
    run(3000, |sim, mut x| {
        let mut rng = StdRng::seed_from_u64(21);
        // Small rings, one base with stray low bits (they must be ignored).
        let bases = [
            0x1000_0000u64,
            0x2000_0040 | 0x1F,
            0xFFFF_FFFF_0000_0000,
            0x40,
        ];
        let log2s = [2u64, 1, 3, 0];
        for q in 0..QUEUES {
            x.ring_base[q].next = bases[q].into();
            x.ring_log2[q].next = log2s[q].into();
        }
        // The writer takes the ring set-up into registers: one clock before the first entry.
        offer(&mut x, None);
        wait_clock_cycle!(sim, clock, x);
        let mut produced = [0u64; QUEUES];
        let mut in_flight: VecDeque<(Cpl, u64)> = VecDeque::new();
        let mut pending = None;
        let mut accepted = 0;
        let mut written_expected = false;
        let mut reset_done = false;
        for t in 0..2500 {
            // Inputs of this cycle.
            if pending.is_none() && rng.gen_bool(0.7) {
                pending = Some(random_cpl(&mut rng));
            }
            let dma_ready = rng.gen_bool(0.6);
            offer(&mut x, pending);
            x.dma_out.ready.next = dma_ready;
            let reset_now = !reset_done && t == 1500;
            x.ring_reset[1].next = reset_now;
            x = settle(sim, x)?;
            assert_eq!(x.written.val(), written_expected, "written at {t}");
            assert_eq!(
                x.completions_in.ready.val(),
                !x.dma_out.valid.val() || dma_ready,
                "cpl_ready at {t}"
            );
            if x.dma_out.valid.val() && dma_ready {
                let (c, index) = in_flight
                    .pop_front()
                    .expect("a beat that was never offered");
                let log2 = log2s[c.queue];
                let slot = index & ((1 << log2) - 1);
                assert_eq!(
                    x.dma_out.data.val().addr.to_u64(),
                    (bases[c.queue] & !31) + slot * 32,
                    "address of entry {index} of queue {}",
                    c.queue
                );
                let e = Completion::decode(&beat_bytes(x.dma_out.data.val().data));
                assert_eq!(
                    e,
                    Completion {
                        value: c.value,
                        count: c.count,
                        epoch: c.epoch,
                        tag: c.tag,
                        status: c.status,
                        phase: Completion::phase_of_pass(index >> log2),
                    },
                    "entry {index} of queue {}",
                    c.queue
                );
                // Reserved bytes stay zero.
                let b = beat_bytes(x.dma_out.data.val().data);
                assert!(b[16..24].iter().chain(&b[27..31]).all(|v| *v == 0));
                assert_eq!(b[31] & 0x7F, 0);
                accepted += 1;
            }
            written_expected = x.dma_out.valid.val() && dma_ready;
            if let Some(c) = pending.filter(|_| x.completions_in.ready.val()) {
                in_flight.push_back((c, produced[c.queue]));
                produced[c.queue] += 1;
                pending = None;
            }
            if reset_now {
                produced[1] = 0;
                reset_done = true;
            }
            x = edge(sim, x)?;
            for (q, p) in produced.iter().enumerate() {
                assert_eq!(
                    x.produced[q].val().to_u64(),
                    p & 0xFFFF_FFFF,
                    "produced[{q}]"
                );
            }
        }
        assert!(accepted > 1000, "{accepted} entries");
        // Every queue went around its ring at least twice.
        assert!(
            produced.iter().zip(log2s).all(|(p, l)| *p >> l >= 2),
            "{produced:?}"
        );
        Ok(x)
    });
}

#[test]
#[allow(clippy::needless_range_loop)] // walks the ports and the model's arrays in step
fn one_interrupt_per_arm_only_when_enabled() {
    run(3000, |sim, mut x| {
        let mut rng = StdRng::seed_from_u64(22);
        for q in 0..QUEUES {
            x.ring_log2[q].next = 4u64.into();
        }
        // The register file's IRQ_ARM, modelled here.
        let mut armed = [false; QUEUES];
        let mut enabled = [false; QUEUES];
        let mut irq_expected = [false; QUEUES];
        let mut fired_count = [0u32; QUEUES];
        let mut beat_queue = VecDeque::new();
        let mut pending = None;
        for t in 0..2500 {
            if t % 97 == 0 {
                for e in enabled.iter_mut() {
                    *e = rng.gen_bool(0.7);
                }
            }
            for q in 0..QUEUES {
                if !armed[q] && rng.gen_bool(0.05) {
                    armed[q] = true;
                }
                x.irq_armed[q].next = armed[q];
                x.irq_enable[q].next = enabled[q];
            }
            if pending.is_none() && rng.gen_bool(0.5) {
                pending = Some(random_cpl(&mut rng));
            }
            let dma_ready = rng.gen_bool(0.7);
            offer(&mut x, pending);
            x.dma_out.ready.next = dma_ready;
            x = settle(sim, x)?;
            for q in 0..QUEUES {
                assert_eq!(x.irq[q].val(), irq_expected[q], "irq[{q}] at {t}");
            }
            let leaving = x.dma_out.valid.val() && dma_ready;
            let lq = if leaving {
                beat_queue.pop_front()
            } else {
                None
            };
            for q in 0..QUEUES {
                let fire = lq == Some(q) && armed[q] && enabled[q];
                assert_eq!(x.irq_fired[q].val(), fire, "irq_fired[{q}] at {t}");
                irq_expected[q] = fire;
                if fire {
                    armed[q] = false;
                    fired_count[q] += 1;
                }
            }
            if let Some(c) = pending.filter(|_| x.completions_in.ready.val()) {
                beat_queue.push_back(c.queue);
                pending = None;
            }
            x = edge(sim, x)?;
        }
        assert!(fired_count.iter().all(|n| *n > 10), "{fired_count:?}");
        Ok(x)
    });
}

#[test]
fn back_to_back_entries_one_per_clock() {
    run(200, |sim, mut x| {
        let mut rng = StdRng::seed_from_u64(23);
        x.dma_out.ready.next = true;
        for t in 0..100 {
            offer(&mut x, Some(random_cpl(&mut rng)));
            x = settle(sim, x)?;
            assert!(x.completions_in.ready.val());
            assert_eq!(
                x.dma_out.valid.val(),
                t > 0,
                "a beat every cycle after the first"
            );
            x = edge(sim, x)?;
        }
        Ok(x)
    });
}

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = CompletionWriter::new();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
