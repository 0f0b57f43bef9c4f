use super::*;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;

/// A batch as the batch table shows it: value, status, epoch and its requests'
/// (tag, count).
struct Batch {
    value: u64,
    status: u8,
    epoch: u32,
    requests: Vec<(u16, u32)>,
}

/// Ok, NACKed, timed-out and single-request batches under random completion ready: request
/// `i` gets value + the counts before it (0 unless Ok), `head_free` comes with the last
/// request of each batch, `pop` with every completion, and a Timeout pulse per
/// Timeout completion.
#[test]
fn splits_batches_in_order() {
    let batches = vec![
        Batch {
            value: 100,
            status: 0,
            epoch: 3,
            requests: vec![(1, 5), (2, 1), (3, 7)],
        },
        Batch {
            value: 0,
            status: Status::LimitReached as u8,
            epoch: 3,
            requests: vec![(4, 4), (5, 4)],
        },
        Batch {
            value: 0,
            status: Status::Timeout as u8,
            epoch: 4,
            requests: vec![(6, 2), (7, 2), (8, 2)],
        },
        Batch {
            value: u64::MAX - 9,
            status: 0,
            epoch: 4,
            requests: vec![(9, 9)],
        },
        Batch {
            value: 1 << 40,
            status: 0,
            epoch: 4,
            requests: (10..26).map(|t| (t, 0xFF_FFFF)).collect(),
        },
    ];
    let mut expected = vec![];
    for b in &batches {
        let mut value = b.value;
        for (i, &(tag, count)) in b.requests.iter().enumerate() {
            let v = if b.status == 0 { value } else { 0 };
            let last = i + 1 == b.requests.len();
            expected.push((tag, count, v, b.status, b.epoch, last));
            value = value.wrapping_add(count as u64);
        }
    }
    let mut uut = Splitter::new();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<Splitter>| x.clock.next = !x.clock.val());
    sim.add_testbench(move |mut sim: Sim<Splitter>| {
        let mut x = sim.init()?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(4);
        let mut log: VecDeque<(u16, u32)> =
            batches.iter().flat_map(|b| b.requests.clone()).collect();
        let mut head = 0usize;
        let mut got = vec![];
        let mut timeouts = 0;
        for _ in 0..200 {
            wait_clock_false!(sim, clock, x);
            let b = batches.get(head);
            x.head_done.next = b.is_some();
            if let Some(b) = b {
                x.head_n.next = (b.requests.len() as u64).into();
                x.head_value.next = b.value.into();
                x.head_epoch.next = (b.epoch as u64).into();
                x.head_status.next = (b.status as u64).into();
            }
            x.entry_valid.next = !log.is_empty();
            if let Some(&(tag, count)) = log.front() {
                x.entry_tag.next = (tag as u64).into();
                x.entry_count.next = (count as u64).into();
                x.entry_queue.next = ((tag % 4) as u64).into();
            }
            x.completions_out.ready.next = rng.gen_bool(0.6);
            x = sim.wait(1, x)?;
            timeouts += x.timeouts.val() as usize;
            let fire = x.completions_out.valid.val() && x.completions_out.ready.val();
            sim_assert_eq!(sim, x.pop.val(), fire, x);
            if fire {
                got.push((
                    x.completions_out.data.val().tag.to_u64() as u16,
                    x.completions_out.data.val().count.to_u64() as u32,
                    x.completions_out.data.val().value.to_u64(),
                    x.completions_out.data.val().status.to_u64() as u8,
                    x.completions_out.data.val().epoch.to_u64() as u32,
                    x.head_free.val(),
                ));
                sim_assert_eq!(
                    sim,
                    x.completions_out.data.val().queue.index(),
                    (got.last().unwrap().0 % 4) as usize,
                    x
                );
                log.pop_front();
                if x.head_free.val() {
                    head += 1;
                }
            } else {
                sim_assert!(sim, !x.head_free.val(), x);
            }
            wait_clock_true!(sim, clock, x);
        }
        sim_assert_eq!(sim, got, expected, x);
        sim_assert_eq!(sim, timeouts, 3, x);
        sim.done(x)
    });
    sim.run(Box::new(uut), 10_000).unwrap();
}

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = Splitter::new();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
