//! A fabric plane: an Ethernet switch with one port per card.
//!
//! Frames are forwarded by destination MAC (node id <-> MAC from the contract), broadcast
//! to every other port. Faults: per-port latency in clocks (a frame takes the source
//! port's latency plus the destination port's), random loss, random single-bit
//! corruption (which the receiving card's FCS check must catch), partitions (groups of
//! ports that cannot reach each other) and link down per port. Each output port delivers
//! at most one frame per clock, in arrival order; a port's queue holds at most
//! [`Plane::BUFFER`] frames, beyond which the switch drops (as real switches do).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use seqfab_contract::frame::{Frame, FRAME_BYTES};
use seqfab_contract::mac::BROADCAST_NODE;
use std::collections::VecDeque;

pub type FrameBytes = [u8; FRAME_BYTES];

/// Counters of what a plane did to the frames it was given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlaneStats {
    pub sent: u64,
    pub delivered: u64,
    pub lost: u64,
    pub corrupted: u64,
    pub partitioned: u64,
    pub link_down: u64,
    pub overflow: u64,
    pub unknown_destination: u64,
}

pub struct Plane {
    pub name: char,
    latency: Vec<u64>,
    pub loss: f64,
    pub corrupt: f64,
    link_up: Vec<bool>,
    /// Per port: frames it sends are dropped (it still receives): asymmetric loss.
    muted: Vec<bool>,
    /// Per port: frames to it are dropped (it still sends).
    deaf: Vec<bool>,
    group: Vec<u32>,
    queues: Vec<VecDeque<(u64, FrameBytes)>>,
    rng: StdRng,
    pub stats: PlaneStats,
    /// Every frame as it entered the switch (cycle, bytes), when capturing.
    pub capture: Option<Vec<(u64, FrameBytes)>>,
}

impl Plane {
    /// Frames one output port may queue: 32 KiB of 64-byte frames, a port's share of a
    /// shallow-buffer switch. It bounds a frame's delay ([`Plane::max_delay`]), which
    /// the lease's hold waits out (docs/leases.md), so it is not larger.
    pub const BUFFER: usize = 512;

    /// The longest a frame that is delivered at all spends in this switch with every
    /// port's latency at most `max_latency`: the source and destination latencies, a
    /// full output queue drained one frame per clock, and the clock it enters on.
    pub const fn max_delay(max_latency: u64) -> u64 {
        1 + 2 * max_latency + Self::BUFFER as u64
    }

    pub fn new(name: char, ports: usize, latency: u64, seed: u64) -> Self {
        Plane {
            name,
            latency: vec![latency; ports],
            loss: 0.0,
            corrupt: 0.0,
            link_up: vec![true; ports],
            muted: vec![false; ports],
            deaf: vec![false; ports],
            group: vec![0; ports],
            queues: (0..ports).map(|_| VecDeque::new()).collect(),
            rng: StdRng::seed_from_u64(seed ^ name as u64),
            stats: PlaneStats::default(),
            capture: None,
        }
    }

    pub fn ports(&self) -> usize {
        self.queues.len()
    }

    pub fn set_latency(&mut self, port: usize, cycles: u64) {
        self.latency[port] = cycles;
    }

    pub fn set_link(&mut self, port: usize, up: bool) {
        self.link_up[port] = up;
        if !up {
            self.stats.link_down += self.queues[port].len() as u64;
            self.queues[port].clear();
        }
    }

    /// Drops (or stops dropping) everything `port` sends; it still receives.
    pub fn set_muted(&mut self, port: usize, muted: bool) {
        self.muted[port] = muted;
    }

    /// Drops (or stops dropping) everything sent to `port`; it still sends.
    pub fn set_deaf(&mut self, port: usize, deaf: bool) {
        self.deaf[port] = deaf;
    }

    pub fn link_up(&self, port: usize) -> bool {
        self.link_up[port]
    }

    /// Splits the ports into groups that cannot reach each other (`groups[port]`);
    /// `None` heals the partition.
    pub fn partition(&mut self, groups: Option<Vec<u32>>) {
        self.group = groups.unwrap_or_else(|| vec![0; self.ports()]);
    }

    /// A card's port transmitted `bytes` at `cycle`.
    pub fn send(&mut self, cycle: u64, src: usize, bytes: &FrameBytes) {
        self.stats.sent += 1;
        if let Some(c) = self.capture.as_mut() {
            c.push((cycle, *bytes));
        }
        if !self.link_up[src] {
            self.stats.link_down += 1;
            return;
        }
        let dsts: Vec<usize> = match Frame::wire_dst(bytes) {
            Some(BROADCAST_NODE) => (0..self.ports()).filter(|&p| p != src).collect(),
            Some(n) if (n as usize) < self.ports() => vec![n as usize],
            _ => {
                self.stats.unknown_destination += 1;
                return;
            }
        };
        for dst in dsts {
            if !self.link_up[dst] {
                self.stats.link_down += 1;
                continue;
            }
            if self.group[src] != self.group[dst] || self.muted[src] || self.deaf[dst] {
                self.stats.partitioned += 1;
                continue;
            }
            if self.loss > 0.0 && self.rng.gen_bool(self.loss) {
                self.stats.lost += 1;
                continue;
            }
            let mut b = *bytes;
            if self.corrupt > 0.0 && self.rng.gen_bool(self.corrupt) {
                let bit = self.rng.gen_range(0..FRAME_BYTES * 8);
                b[bit / 8] ^= 1 << (bit % 8);
                self.stats.corrupted += 1;
            }
            if self.queues[dst].len() >= Self::BUFFER {
                self.stats.overflow += 1;
                continue;
            }
            let due = cycle + 1 + self.latency[src] + self.latency[dst];
            self.queues[dst].push_back((due, b));
        }
    }

    /// The frame port `dst` receives at `cycle`, if one is due.
    pub fn deliver(&mut self, cycle: u64, dst: usize) -> Option<FrameBytes> {
        let q = &mut self.queues[dst];
        // Arrival order is kept per port; with unequal source latencies a later frame
        // from a nearer port waits behind an earlier one (store-and-forward FIFO).
        match q.front() {
            Some((due, _)) if *due <= cycle => {
                self.stats.delivered += 1;
                q.pop_front().map(|(_, b)| b)
            }
            _ => None,
        }
    }

    /// Frames queued in the switch.
    pub fn queued(&self) -> usize {
        self.queues.iter().map(|q| q.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seqfab_contract::frame::FrameType;

    fn frame(src: u8, dst: u8) -> FrameBytes {
        Frame::new(FrameType::Req, src, dst).encode()
    }

    #[test]
    fn forwards_by_mac_with_latency() {
        let mut p = Plane::new('X', 3, 2, 1);
        p.send(10, 0, &frame(0, 2));
        for c in 10..15 {
            assert_eq!(p.deliver(c, 2), None, "cycle {c}");
        }
        assert_eq!(p.deliver(15, 2), Some(frame(0, 2)));
        assert_eq!(p.deliver(16, 1), None);
    }

    #[test]
    fn broadcast_partition_link_and_loss() {
        let mut p = Plane::new('Y', 3, 0, 1);
        p.send(0, 1, &frame(1, BROADCAST_NODE));
        assert!(
            p.deliver(1, 0).is_some() && p.deliver(1, 2).is_some() && p.deliver(1, 1).is_none()
        );
        p.partition(Some(vec![0, 0, 1]));
        p.send(2, 0, &frame(0, 2));
        assert_eq!(p.deliver(5, 2), None);
        assert_eq!(p.stats.partitioned, 1);
        p.partition(None);
        p.set_link(2, false);
        p.send(6, 0, &frame(0, 2));
        assert_eq!(p.deliver(9, 2), None);
        p.set_link(2, true);
        p.loss = 1.0;
        p.send(10, 0, &frame(0, 2));
        assert_eq!(p.deliver(12, 2), None);
        assert_eq!(p.stats.lost, 1);
    }

    #[test]
    fn corruption_flips_exactly_one_bit() {
        let mut p = Plane::new('X', 2, 0, 3);
        p.corrupt = 1.0;
        let f = frame(0, 1);
        p.send(0, 0, &f);
        let got = p.deliver(1, 1).unwrap();
        let flipped: u32 = got
            .iter()
            .zip(f.iter())
            .map(|(a, b)| (a ^ b).count_ones())
            .sum();
        assert_eq!(flipped, 1);
        assert!(Frame::decode(&got).is_err() || Frame::wire_dst(&got) != Some(1));
    }
}
