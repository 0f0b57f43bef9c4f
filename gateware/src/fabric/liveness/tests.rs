use super::*;
use rand::{Rng, SeedableRng};

/// Inputs of one cycle.
#[derive(Clone, Copy)]
struct Step {
    tick: bool,
    misses: u8,
    heard: Option<u8>,
    link_up: bool,
}

/// Plain-Rust model: per node `Option<count>` (None = never heard).
#[derive(Clone)]
struct Model {
    count: [Option<u8>; 64],
}

impl Model {
    fn step(&mut self, s: &Step) {
        if s.tick {
            for c in self.count.iter_mut().flatten() {
                *c = (*c + 1).min(15);
            }
        }
        if let Some(n) = s.heard {
            if (n as usize) < 64 {
                self.count[n as usize] = Some(0);
            }
        }
    }
    fn live(&self, misses: u8, link_up: bool) -> u64 {
        (0..64)
            .filter(|&n| link_up && self.count[n].is_some_and(|c| c < misses))
            .fold(0, |m, n| m | 1 << n)
    }
}

/// Drives `steps`; after each edge checks `live` against the model (one cycle late:
/// the registered bitmap reflects the state and inputs before that edge).
fn check(steps: Vec<Step>) {
    let mut uut = LivenessTracker::new();
    uut.connect_all();
    let mut sim = Simulation::new();
    sim.add_clock(5, |x: &mut Box<LivenessTracker>| {
        x.clock.next = !x.clock.val()
    });
    let n = steps.len();
    sim.add_testbench(move |mut sim: Sim<LivenessTracker>| {
        let mut x = sim.init()?;
        let mut model = Model { count: [None; 64] };
        for s in steps.iter() {
            x.tick.next = s.tick;
            x.misses.next = (s.misses as u64).into();
            x.heartbeat.next.valid = s.heard.is_some();
            x.heartbeat.next.node = (s.heard.unwrap_or(0) as u64).into();
            x.link_up.next = s.link_up;
            let want = model.live(s.misses, s.link_up);
            model.step(s);
            wait_clock_true!(sim, clock, x);
            wait_clock_false!(sim, clock, x);
            sim_assert_eq!(sim, x.live.val().to_u64(), want, x);
        }
        sim.done(x)
    });
    sim.run(Box::new(uut), 10 * n as u64 + 100).unwrap();
}

fn quiet(misses: u8) -> Step {
    Step {
        tick: false,
        misses,
        heard: None,
        link_up: true,
    }
}

#[test]
fn silent_node_goes_dead_after_misses_ticks() {
    let mut s = vec![quiet(3); 3];
    s.push(Step {
        heard: Some(5),
        ..quiet(3)
    });
    // Live from the heartbeat; dies at the third tick without one.
    for _ in 0..4 {
        s.push(quiet(3));
        s.push(Step {
            tick: true,
            ..quiet(3)
        });
    }
    s.extend(vec![quiet(3); 3]);
    check(s.clone());

    // The same with hand-written expectations, to pin the model down too.
    let mut m = Model { count: [None; 64] };
    let mut lives = vec![];
    for st in &s {
        m.step(st);
        lives.push(m.live(3, true) >> 5 & 1);
    }
    assert_eq!(lives, [0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn never_heard_is_dead_and_link_down_kills_all() {
    let mut s = vec![Step {
        tick: false,
        misses: 15,
        heard: None,
        link_up: true,
    }];
    for n in [0u8, 1, 17, 63, 64, 200, 0xFF] {
        s.push(Step {
            heard: Some(n),
            ..s[0]
        });
    }
    s.push(s[0]);
    s.push(Step {
        link_up: false,
        ..s[0]
    });
    s.push(s[0]);
    s.push(Step { misses: 0, ..s[0] });
    s.push(s[0]);
    check(s);
}

#[test]
fn matches_the_model_under_random_traffic() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let mut misses = 4;
    let steps = (0..1500)
        .map(|_| {
            if rng.gen_bool(0.01) {
                misses = rng.gen_range(0..16);
            }
            Step {
                tick: rng.gen_bool(0.15),
                misses,
                heard: rng.gen_bool(0.5).then(|| {
                    if rng.gen_bool(0.05) {
                        rng.gen()
                    } else {
                        rng.gen_range(0..8) * 8 + rng.gen_range(0..2)
                    }
                }),
                link_up: !rng.gen_bool(0.02),
            }
        })
        .collect();
    check(steps);
}

#[test]
fn generates_lint_clean_verilog() {
    let mut uut = LivenessTracker::new();
    uut.connect_all();
    crate::lint::assert_lint_clean(&generate_verilog(&uut));
}
