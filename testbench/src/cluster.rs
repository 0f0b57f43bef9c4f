//! N cards, their hosts and two fabric planes, stepped together one clock at a time.
//!
//! Roles are set the way the management process sets them: CONFIG frames sent through a
//! host's management window ([`Cluster::configure`]), never by touching a card's
//! internals. A dead card is not clocked and its ports are silent; revived, it resumes
//! from the state it had (the zombie case of DESIGN.md I4).

use crate::error::ContractError;
use crate::fabric::Plane;
use crate::history::History;
pub use crate::host::Config;
use crate::host::{HostModel, Workload};
use crate::pins::{CardInputs, CardModel, CardOutputs, MacIn, MacOut};
use seqfab_contract::frame::FRAME_BYTES;
use seqfab_contract::lease::LeaseTiming;
use seqfab_contract::regs;

/// One host with its card.
pub struct Node<M> {
    pub card: M,
    pub host: HostModel,
    pub workload: Option<Workload>,
    pub alive: bool,
    /// The card's outputs in the last clock it was stepped.
    pub last: CardOutputs,
}

pub struct Cluster<M> {
    pub nodes: Vec<Node<M>>,
    /// Planes X and Y.
    pub planes: [Plane; 2],
    pub cycle: u64,
    pub history: History,
    /// Contract breaches seen at the ports (bad beats, completions for unknown tags...).
    pub errors: Vec<ContractError>,
}

impl<M: CardModel> Cluster<M> {
    /// Node i's card sits on port i of both planes.
    pub fn new(cards: Vec<M>, latency: u64, seed: u64) -> Self {
        let n = cards.len();
        let nodes = cards
            .into_iter()
            .enumerate()
            .map(|(i, card)| Node {
                card,
                host: HostModel::new(i as u8, seed),
                workload: None,
                alive: true,
                last: CardOutputs::default(),
            })
            .collect();
        Cluster {
            nodes,
            planes: [
                Plane::new('X', n, latency, seed),
                Plane::new('Y', n, latency, seed.wrapping_add(1)),
            ],
            cycle: 0,
            history: History::default(),
            errors: Vec::new(),
        }
    }

    /// Every host brings its card up (node id, rings, mirror, heartbeats, enable).
    pub fn bring_up(&mut self, ring_log2: u32, timing: LeaseTiming) {
        for n in &mut self.nodes {
            n.host.bring_up(ring_log2, timing);
        }
    }

    /// Sends a CONFIG to card `to` through the management window of host `from`.
    pub fn configure(&mut self, from: usize, to: u8, cfg: Config) {
        self.nodes[from].host.send_config(to, cfg);
    }

    /// Sends `cfg` to every card from host `from`.
    pub fn configure_all(&mut self, from: usize, cfg: Config) {
        for to in 0..self.nodes.len() {
            self.configure(from, to as u8, cfg);
        }
    }

    pub fn kill(&mut self, node: usize) {
        self.nodes[node].alive = false;
    }

    pub fn revive(&mut self, node: usize) {
        self.nodes[node].alive = true;
    }

    /// One clock of the whole cluster.
    pub fn step(&mut self) {
        let cycle = self.cycle;
        for i in 0..self.nodes.len() {
            let node = &mut self.nodes[i];
            if let Some(w) = node.workload.as_mut() {
                if node.alive {
                    w.issue(&mut node.host, &mut self.history.requests, cycle);
                }
            }
            if !node.alive {
                // A dead card drops what arrives for it.
                for p in &mut self.planes {
                    let _ = p.deliver(cycle, i);
                }
                continue;
            }
            let mut inputs = CardInputs {
                x: MacIn::default(),
                y: MacIn::default(),
                ..Default::default()
            };
            node.host.drive(&mut inputs);
            for (p, mac) in self.planes.iter_mut().zip([&mut inputs.x, &mut inputs.y]) {
                mac.link_up = p.link_up(i);
                if let Some(b) = p.deliver(cycle, i) {
                    mac.deliver(&b);
                }
            }
            let out = node.card.step(&inputs);
            node.host.observe(&out, cycle);
            for (p, (mac_in, mac_out)) in self
                .planes
                .iter_mut()
                .zip([(&inputs.x, &out.x), (&inputs.y, &out.y)])
            {
                check_mac(&mut self.errors, i, p.name, mac_in, mac_out, cycle);
                if mac_out.tx_valid && mac_in.tx_ready {
                    p.send(cycle, i, &mac_out.tx_data);
                }
            }
            node.last = out;
            if let Some(w) = node.workload.as_mut() {
                let errs = w.collect(&mut node.host, &mut self.history.requests, cycle);
                self.errors.extend(errs);
            }
        }
        self.cycle += 1;
        self.history.end_cycle = self.cycle;
    }

    pub fn run(&mut self, cycles: u64) {
        for _ in 0..cycles {
            self.step();
        }
    }

    /// Steps until `done` holds or `max` clocks passed; returns whether `done` held.
    pub fn run_until(&mut self, max: u64, mut done: impl FnMut(&Self) -> bool) -> bool {
        for _ in 0..max {
            if done(self) {
                return true;
            }
            self.step();
        }
        done(self)
    }

    /// Reads a register of card `node` through its host (steps the cluster meanwhile).
    pub fn read_reg(&mut self, node: usize, addr: u32) -> u64 {
        let id = self.nodes[node].host.read(addr);
        let ok = self.run_until(10_000, |c| c.nodes[node].host.read_result(id).is_some());
        assert!(ok, "MMIO read of {addr:#x} on node {node} never answered");
        self.nodes[node].host.read_result(id).expect("answered")
    }

    /// Steps until card `node` holds a lease and its hold has run out (it may issue as
    /// primary), polling its registers; returns the clocks it took, or `None` after `max`.
    pub fn wait_issuing(&mut self, node: usize, max: u64) -> Option<u64> {
        let start = self.cycle;
        while self.cycle - start < max {
            if self.read_reg(node, regs::LEASE) > 0
                && self.read_reg(node, regs::LEASE_HOLD_LEFT) == 0
            {
                return Some(self.cycle - start);
            }
            self.run(50);
        }
        None
    }

    /// Collects the state-mirror writes of every host into the history.
    pub fn finish(&mut self) -> &History {
        self.history.stores = self
            .nodes
            .iter()
            .flat_map(|n| n.host.stores.iter().copied())
            .collect();
        &self.history
    }

    /// Requests issued and not yet completed, over all hosts.
    pub fn in_flight(&self) -> usize {
        self.nodes
            .iter()
            .filter_map(|n| n.workload.as_ref())
            .map(|w| w.in_flight())
            .sum()
    }

    /// Requests every workload still has to issue.
    pub fn remaining(&self) -> u64 {
        self.nodes
            .iter()
            .filter_map(|n| n.workload.as_ref())
            .map(|w| w.remaining)
            .sum()
    }
}

fn check_mac(
    errors: &mut Vec<ContractError>,
    node: usize,
    plane: char,
    input: &MacIn,
    out: &MacOut,
    cycle: u64,
) {
    if out.tx_valid && (!out.tx_last || out.tx_bytes as usize != FRAME_BYTES) {
        errors.push(ContractError::PartialBeat {
            cycle,
            node,
            plane,
            last: out.tx_last,
            bytes: out.tx_bytes,
        });
    }
    if input.rx_valid && !out.rx_ready {
        errors.push(ContractError::RefusedBeat { cycle, node, plane });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_breach_is_reported_by_kind() {
        let mut input = MacIn::default();
        input.deliver(&[0; FRAME_BYTES]);
        let half = MacOut {
            tx_valid: true,
            tx_last: true,
            tx_bytes: 32,
            rx_ready: false,
            ..MacOut::default()
        };
        let mut errors = Vec::new();
        check_mac(&mut errors, 3, 'Y', &input, &half, 7);
        assert_eq!(
            errors,
            [
                ContractError::PartialBeat {
                    cycle: 7,
                    node: 3,
                    plane: 'Y',
                    last: true,
                    bytes: 32
                },
                ContractError::RefusedBeat {
                    cycle: 7,
                    node: 3,
                    plane: 'Y'
                }
            ]
        );
        assert_eq!(
            errors[1].to_string(),
            "cycle 7: node 3 plane Y refused a received beat"
        );

        let whole = MacOut {
            tx_bytes: FRAME_BYTES as u8,
            rx_ready: true,
            ..half
        };
        errors.clear();
        check_mac(&mut errors, 3, 'Y', &input, &whole, 7);
        assert_eq!(errors, []);
    }
}
