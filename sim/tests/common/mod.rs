//! Shared by the integration tests: a plain-Rust reference model of the test design and
//! a random stimulus for it.

#![allow(dead_code)]

pub mod speed;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use seqfab_sim::equiv::Drive;
use seqfab_sim::models::testdesign::PORTS;
use seqfab_sim::{CycleSim, Dir, Error, PortInfo, RhdlPorts};
use seqfab_sim_testdesign::TestDesign;

/// The test design written directly in Rust, from its description in
/// `sim/testdesign/src/lib.rs`, independent of both simulators.
pub struct Reference {
    inputs: Vec<Vec<u64>>,
    count: u64,
    acc: u64,
    wide: [u64; 4],
    odd: [u64; 2],
    rot: [u64; 8],
}

impl Default for Reference {
    fn default() -> Self {
        Self {
            inputs: PORTS.iter().map(|p| vec![0; p.words()]).collect(),
            count: 0,
            acc: 0,
            wide: [0; 4],
            odd: [0; 2],
            rot: [0; 8],
        }
    }
}

fn idx(name: &str) -> usize {
    PORTS.iter().position(|p| p.name == name).unwrap()
}

/// Clears the bits of `words` at and above `width`.
pub fn mask(words: &mut [u64], width: u32) {
    for (i, w) in words.iter_mut().enumerate() {
        let lo = 64 * i as u32;
        if lo >= width {
            *w = 0;
        } else if width - lo < 64 {
            *w &= (1u64 << (width - lo)) - 1;
        }
    }
}

/// 512-bit rotate left by one, little-endian words.
pub fn rotl1(x: &[u64; 8]) -> [u64; 8] {
    let mut r = [0u64; 8];
    for i in 0..8 {
        r[i] = (x[i] << 1) | (x[(i + 7) % 8] >> 63);
    }
    r
}

impl Reference {
    fn input(&self, name: &str) -> &[u64] {
        &self.inputs[idx(name)]
    }
}

impl CycleSim for Reference {
    fn sim_name(&self) -> &str {
        "reference"
    }
    fn ports(&self) -> &[PortInfo] {
        PORTS
    }
    fn set(&mut self, port: usize, words: &[u64]) {
        assert_eq!(PORTS[port].dir, Dir::In);
        let mut w = words.to_vec();
        mask(&mut w, PORTS[port].width);
        self.inputs[port] = w;
    }
    fn get(&self, port: usize, out: &mut [u64]) {
        let p = &PORTS[port];
        if p.dir == Dir::In {
            out.copy_from_slice(&self.inputs[port]);
            return;
        }
        match p.name {
            "count" => out[0] = self.count,
            "acc" => out[0] = self.acc,
            "wide_q" => out.copy_from_slice(&self.wide),
            "odd_q" => out.copy_from_slice(&self.odd),
            "rot" => out.copy_from_slice(&self.rot),
            "parity" => out[0] = (self.rot.iter().map(|w| w.count_ones()).sum::<u32>() % 2) as u64,
            "echo" => out.copy_from_slice(self.input("rot_in")),
            "taps$0" => out[0] = self.rot[0],
            "taps$1" => out[0] = self.rot[7],
            other => panic!("reference has no output {other}"),
        }
    }
    fn tick(&mut self) -> Result<(), Error> {
        let enable = self.input("enable")[0] == 1;
        let load = self.input("load")[0] == 1;
        if enable {
            self.count = (self.count + self.input("step")[0]) & 0x7f;
            self.acc = self.acc.wrapping_add(self.input("addend")[0]);
        }
        let mut rot = if enable { rotl1(&self.rot) } else { self.rot };
        if load {
            rot.copy_from_slice(self.input("rot_in"));
        }
        self.rot = rot;
        let wide_in = self.input("wide_in").to_vec();
        for (q, d) in self.wide.iter_mut().zip(wide_in) {
            *q = !d;
        }
        let odd_in = self.input("odd_in").to_vec();
        self.odd.copy_from_slice(&odd_in);
        Ok(())
    }
}

fn words(rng: &mut StdRng, n: usize) -> Vec<u64> {
    (0..n).map(|_| rng.gen()).collect()
}

/// Random inputs for the test design, every port driven, wide ones with random words
/// (including bits above `odd_in`'s 100, which both simulators must ignore).
pub fn random_stimulus(seed: u64) -> impl FnMut(&mut Drive<'_>) {
    let mut rng = StdRng::seed_from_u64(seed);
    move |d| {
        d.set_u64("enable", rng.gen_bool(0.8) as u64);
        d.set_u64("step", rng.gen::<u64>() & 0x7f);
        if rng.gen_bool(0.5) {
            d.set_u64("addend", rng.gen());
        }
        if rng.gen_bool(0.5) {
            d.set("wide_in", &words(&mut rng, 4));
        }
        if rng.gen_bool(0.5) {
            d.set("odd_in", &words(&mut rng, 2));
        }
        d.set_u64("load", rng.gen_bool(0.05) as u64);
        if rng.gen_bool(0.3) {
            d.set("rot_in", &words(&mut rng, 8));
        }
    }
}

/// The test design's ports for [`seqfab_sim::RhdlSim`].
pub fn testdesign_ports() -> RhdlPorts<TestDesign> {
    seqfab_sim::rhdl_ports!(TestDesign {
        clock: clock,
        inputs: [enable, step, addend, wide_in, odd_in, load, rot_in],
        outputs: [count, acc, wide_q, odd_q, rot, parity, echo],
    })
    .output("taps$0", |x| &x.taps[0])
    .output("taps$1", |x| &x.taps[1])
}
