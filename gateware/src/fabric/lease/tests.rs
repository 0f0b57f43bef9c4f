//! The lease keeper against a plain-Rust model of docs/leases.md (randomised), and the
//! properties the safety argument uses (directed).

use super::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::{Arc, Mutex};

const NODE: u8 = 2;

/// One cycle's inputs.
#[derive(Clone, Copy, Debug, Default)]
struct In {
    tick: bool,
    epoch: u32,
    primary: u8,
    configured: bool,
    quorum: u8,
    new_epoch: bool,
    lease_period: u32,
    hold_period: u32,
    hb: [Option<(u8, u32, u64)>; 2],
}

/// One cycle's outputs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Out {
    lease: u32,
    hold_left: u32,
    support: u64,
    lease_ok: bool,
    issue_ok: bool,
}

/// The mechanism of docs/leases.md with the block's pipeline delays: a heartbeat is
/// tested against the epoch one cycle after it arrives and joins the round one cycle
/// after that.
#[derive(Default)]
struct Model {
    s0: [Option<(u8, u32, u64)>; 2],
    col: [Option<u8>; 2],
    round: u64,
    last_support: u64,
    lease: u32,
    hold: u32,
    lease_ok: bool,
    issue_ok: bool,
    prev_epoch: u32,
    prev_primary: bool,
}

impl Model {
    fn step(&mut self, i: &In) -> Out {
        let out = Out {
            lease: self.lease,
            hold_left: self.hold,
            support: self.last_support,
            lease_ok: self.lease_ok && !i.new_epoch,
            issue_ok: self.issue_ok && !i.new_epoch,
        };
        let count = self.round.count_ones();
        let renew = i.tick && i.quorum > 0 && count + 1 >= i.quorum as u32;
        let cols: Vec<u8> = self.col.iter().flatten().copied().collect();
        let cols_mask = cols.iter().fold(0u64, |m, &n| m | 1 << n);
        // Stage 1 of the next cycle.
        let col = self.s0.map(|hb| {
            hb.filter(|&(_, e, heard)| i.configured && e == i.epoch && heard >> NODE & 1 == 1)
                .map(|(n, _, _)| n)
        });
        let now_primary = i.configured && i.primary == NODE;
        let exempt = self.prev_primary && now_primary && i.epoch == self.prev_epoch.wrapping_add(1);
        let mut lease = self.lease.saturating_sub(1);
        if renew {
            lease = i.lease_period;
        }
        let mut hold = if self.lease > 0 {
            self.hold.saturating_sub(1)
        } else {
            self.hold
        };
        let mut round = if i.tick {
            cols_mask
        } else {
            self.round | cols_mask
        };
        if i.tick {
            self.last_support = self.round;
        }
        if i.new_epoch {
            lease = 0;
            round = 0;
            self.last_support = 0;
            hold = if exempt { 0 } else { i.hold_period };
        }
        self.lease_ok = lease > 0;
        self.issue_ok = lease > 0 && hold == 0;
        self.lease = lease;
        self.hold = hold;
        self.round = round;
        self.col = col;
        self.s0 = i.hb.map(|h| h.filter(|&(n, _, _)| n < 64));
        self.prev_epoch = i.epoch;
        self.prev_primary = now_primary;
        out
    }
}

/// Runs the block over `inputs`; returns its outputs per cycle.
fn run(inputs: Vec<In>) -> Vec<Out> {
    let mut uut = LeaseKeeper::new();
    uut.connect_all();
    let outs = Arc::new(Mutex::new(Vec::new()));
    let o = outs.clone();
    let n = inputs.len() as u64;
    let mut sim = simple_sim!(LeaseKeeper, clock, 100_000_000, ep, {
        let mut x = ep.init()?;
        x.node_id.next = (NODE as u64).into();
        for i in &inputs {
            x.tick.next = i.tick;
            x.status.next.epoch = (i.epoch as u64).into();
            x.status.next.primary_id = (i.primary as u64).into();
            x.status.next.configured = i.configured;
            x.status.next.quorum = (i.quorum as u64).into();
            x.status.next.new_epoch = i.new_epoch;
            x.lease_period.next = (i.lease_period as u64).into();
            x.hold_period.next = (i.hold_period as u64).into();
            let hb = |h: Option<(u8, u32, u64)>| h.unwrap_or_default();
            let (nx, ex, vx) = hb(i.hb[0]);
            let (ny, ey, vy) = hb(i.hb[1]);
            x.heartbeat_x.next.valid = i.hb[0].is_some();
            x.heartbeat_x.next.node = (nx as u64).into();
            x.heartbeat_x.next.epoch = (ex as u64).into();
            x.heartbeat_x.next.heard = vx.into();
            x.heartbeat_y.next.valid = i.hb[1].is_some();
            x.heartbeat_y.next.node = (ny as u64).into();
            x.heartbeat_y.next.epoch = (ey as u64).into();
            x.heartbeat_y.next.heard = vy.into();
            wait_clock_false!(ep, clock, x);
            o.lock().unwrap().push(Out {
                lease: x.lease.val().to_u64() as u32,
                hold_left: x.hold_left.val().to_u64() as u32,
                support: x.support.val().to_u64(),
                lease_ok: x.lease_ok.val(),
                issue_ok: x.issue_ok.val(),
            });
            wait_clock_true!(ep, clock, x);
        }
        ep.done(x)
    });
    sim.run(Box::new(uut), (n + 10) * 10_000).unwrap();
    let v = outs.lock().unwrap().clone();
    v
}

/// A cluster's worth of heartbeats: `peers` send every `period` cycles (staggered), each
/// hearing this card while `hears(cycle, peer)`.
struct Scenario {
    period: u64,
    peers: Vec<u8>,
    epoch: u32,
    quorum: u8,
    lease_period: u32,
    hold: u32,
}

impl Scenario {
    fn inputs(&self, cycles: u64, hears: impl Fn(u64, u8) -> bool) -> Vec<In> {
        (0..cycles)
            .map(|c| {
                let mut i = In {
                    tick: c % self.period == self.period - 1,
                    epoch: self.epoch,
                    primary: NODE,
                    configured: true,
                    quorum: self.quorum,
                    new_epoch: c == 0,
                    lease_period: self.lease_period,
                    hold_period: self.hold,
                    hb: [None; 2],
                };
                for (k, &p) in self.peers.iter().enumerate() {
                    if c % self.period == (3 * k as u64 + 1) % self.period {
                        let heard = if hears(c, p) { 1 << NODE } else { 0 };
                        i.hb[k % 2] = Some((p, self.epoch, heard | 1 << p));
                    }
                }
                i
            })
            .collect()
    }
}

fn check_against_model(inputs: &[In]) -> Vec<Out> {
    let got = run(inputs.to_vec());
    let mut m = Model::default();
    for (c, i) in inputs.iter().enumerate() {
        let want = m.step(i);
        assert_eq!(got[c], want, "cycle {c}, inputs {i:?}");
    }
    got
}

#[test]
fn a_quorum_keeps_the_lease_and_losing_it_expires_the_lease_on_time() {
    let s = Scenario {
        period: 20,
        peers: vec![0, 1, 3, 4],
        epoch: 5,
        quorum: 3,
        lease_period: 50,
        hold: 30,
    };
    // Everyone hears us for 400 cycles, then only one peer does.
    let inputs = s.inputs(800, |c, p| c < 400 || p == 0);
    let out = check_against_model(&inputs);
    // Held continuously from the first renewal until support ends ...
    let first = out.iter().position(|o| o.lease_ok).expect("lease taken");
    assert!(first < 3 * s.period as usize, "first lease at {first}");
    assert!(out[first..400].iter().all(|o| o.lease_ok));
    // ... the hold ran out after `hold` cycles of lease, then issuing was allowed ...
    let issue = out.iter().position(|o| o.issue_ok).unwrap();
    assert_eq!(issue, first + s.hold as usize);
    // ... and ends at most one round plus the lease after the last supporting heartbeat.
    let last = out.iter().rposition(|o| o.lease_ok).unwrap();
    assert!(last > 400 && last <= 400 + (s.period + s.lease_period as u64) as usize + 3);
    assert!(out[last + 1..].iter().all(|o| !o.lease_ok && !o.issue_ok));
    assert_eq!(out[last].lease, 1);
    assert_eq!(
        out[405].support, 0b11011,
        "the last full round heard everyone"
    );
    assert_eq!(out[799].support, 0b1, "then only node 0");
}

#[test]
fn other_epochs_and_heartbeats_that_do_not_hear_us_never_renew() {
    let s = Scenario {
        period: 16,
        peers: vec![0, 1, 3],
        epoch: 7,
        quorum: 2,
        lease_period: 40,
        hold: 0,
    };
    let mut inputs = s.inputs(300, |_, _| false);
    let out = check_against_model(&inputs);
    assert!(
        out.iter().all(|o| !o.lease_ok),
        "no heartbeat hears this card"
    );
    // Hearing us, but in epoch 6: still nothing.
    for i in inputs.iter_mut() {
        for (_, e, heard) in i.hb.iter_mut().flatten() {
            *e = 6;
            *heard |= 1 << NODE;
        }
    }
    let out = check_against_model(&inputs);
    assert!(
        out.iter().all(|o| !o.lease_ok),
        "another epoch's heartbeats"
    );
    // Quorum 0 renews nothing, however loud the support.
    let s0 = Scenario { quorum: 0, ..s };
    let out = check_against_model(&s0.inputs(300, |_, _| true));
    assert!(out.iter().all(|o| !o.lease_ok), "quorum 0");
}

#[test]
fn a_new_epoch_drops_the_lease_at_once_and_holds_unless_the_primary_stays() {
    let s = Scenario {
        period: 10,
        peers: vec![0, 1],
        epoch: 3,
        quorum: 2,
        lease_period: 30,
        hold: 25,
    };
    for (next_epoch, next_primary, exempt) in [(4, NODE, true), (5, NODE, false), (4, 0, false)] {
        let mut inputs = s.inputs(400, |_, _| true);
        for (c, i) in inputs.iter_mut().enumerate() {
            if c >= 200 {
                i.epoch = next_epoch;
                i.primary = next_primary;
                i.new_epoch = c == 200;
                for (_, e, _) in i.hb.iter_mut().flatten() {
                    *e = next_epoch;
                }
            }
        }
        let out = check_against_model(&inputs);
        assert!(out[199].issue_ok);
        assert!(
            !out[200].lease_ok && !out[200].issue_ok,
            "the pulse masks it"
        );
        assert!(out[201..208].iter().all(|o| !o.lease_ok));
        let back = 201 + out[201..].iter().position(|o| o.lease_ok).unwrap();
        let issue = 201 + out[201..].iter().position(|o| o.issue_ok).unwrap();
        if exempt {
            assert_eq!(issue, back, "{next_epoch}/{next_primary}: no hold");
        } else {
            assert_eq!(issue, back + s.hold as usize, "{next_epoch}/{next_primary}");
        }
    }
}

#[test]
fn random_heartbeats_epochs_and_registers_match_the_model() {
    let mut rng = StdRng::seed_from_u64(12);
    for _ in 0..3 {
        let mut epoch = 1u32;
        let mut primary = NODE;
        let mut inputs = Vec::new();
        let period = rng.gen_range(3..12u64);
        let lease_period = rng.gen_range(0..40u32);
        let hold = rng.gen_range(0..20u32);
        let quorum = rng.gen_range(0..5u8);
        for c in 0..1500u64 {
            let mut i = In {
                tick: c % period == 0,
                epoch,
                primary,
                configured: c > 20,
                quorum,
                new_epoch: false,
                lease_period,
                hold_period: hold,
                hb: [None; 2],
            };
            if rng.gen_bool(0.004) {
                epoch += rng.gen_range(1..3);
                primary = if rng.gen_bool(0.6) { NODE } else { 1 };
                i.epoch = epoch;
                i.primary = primary;
            }
            for h in i.hb.iter_mut() {
                if rng.gen_bool(0.3) {
                    let node = if rng.gen_bool(0.05) {
                        rng.gen_range(60..70)
                    } else {
                        rng.gen_range(0..6)
                    };
                    let e = if rng.gen_bool(0.8) {
                        epoch
                    } else {
                        epoch.wrapping_sub(1)
                    };
                    *h = Some((node, e, rng.gen::<u64>()));
                }
            }
            inputs.push(i);
        }
        // The engine's pulse comes in the first cycle of its new epoch.
        for c in 1..inputs.len() {
            inputs[c].new_epoch = inputs[c].epoch != inputs[c - 1].epoch;
        }
        check_against_model(&inputs);
    }
}
