use super::*;

/// Every request pattern from every priority: the grant is the first requesting
/// queue at or after the priority pointer, which then moves past it.
#[test]
fn grants_rotate_fairly() {
    let mut uut = RoundRobin::new();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<RoundRobin>| x.clock.next = !x.clock.val());
    sim.add_testbench(move |mut sim: Sim<RoundRobin>| {
        let mut x = sim.init()?;
        let mut first = 0usize;
        let mut served = [0usize; QUEUES];
        for step in 0..400usize {
            wait_clock_false!(sim, clock, x);
            // Pseudo-random patterns and stalls, then all four queues busy.
            let busy = step >= 200;
            let pattern = if busy {
                0xF
            } else {
                (step * 7 + step / 3) & 0xF
            };
            for q in 0..QUEUES {
                x.request[q].next = pattern & (1 << q) != 0;
            }
            x.enable.next = busy || step % 5 != 4;
            x = sim.wait(1, x)?;
            let expect = (0..QUEUES)
                .map(|k| (first + k) % QUEUES)
                .find(|q| pattern & (1 << q) != 0);
            sim_assert_eq!(sim, x.take.val(), expect.is_some() && x.enable.val(), x);
            if let Some(q) = expect {
                sim_assert_eq!(sim, x.grant.val().index(), q, x);
                if x.enable.val() {
                    first = (q + 1) % QUEUES;
                    if busy {
                        served[q] += 1;
                    }
                }
            }
            wait_clock_true!(sim, clock, x);
        }
        // With all queues busy, the grants went round evenly (50 each).
        let (lo, hi) = (served.iter().min().unwrap(), served.iter().max().unwrap());
        sim_assert!(sim, *lo == 50 && *hi == 50, x);
        sim.done(x)
    });
    sim.run(Box::new(uut), 10_000).unwrap();
}

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = RoundRobin::new();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
