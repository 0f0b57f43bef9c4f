//! One card on a bench: a host model on its host port and frames injected straight into
//! its fabric ports. For card-level tests and benchmarks that need exact control of
//! what arrives on the wire each clock.

use crate::host::HostModel;
use crate::pins::{CardInputs, CardModel, CardOutputs};
use seqfab_contract::frame::FRAME_BYTES;
use seqfab_contract::regs;

pub struct CardRig<M> {
    pub card: M,
    pub host: HostModel,
    pub cycle: u64,
    /// Frames the card sent, per plane, with the cycle they left.
    pub sent: [Vec<(u64, [u8; FRAME_BYTES])>; 2],
    /// Every clock's outputs are passed here too, if set (e.g. to record a trace).
    pub last: CardOutputs,
}

impl<M: CardModel> CardRig<M> {
    pub fn new(card: M, node: u8) -> Self {
        CardRig {
            card,
            host: HostModel::new(node, 1),
            cycle: 0,
            sent: [Vec::new(), Vec::new()],
            last: CardOutputs::default(),
        }
    }

    /// One clock, with `x`/`y` delivered on the planes' receive side if given.
    pub fn step_with(
        &mut self,
        x: Option<&[u8; FRAME_BYTES]>,
        y: Option<&[u8; FRAME_BYTES]>,
    ) -> CardOutputs {
        let mut i = CardInputs::default();
        self.host.drive(&mut i);
        if let Some(b) = x {
            i.x.deliver(b);
        }
        if let Some(b) = y {
            i.y.deliver(b);
        }
        self.step_inputs(i)
    }

    /// One clock with fully specified fabric inputs (host inputs come from the host model).
    pub fn step_raw(&mut self, mut i: CardInputs) -> CardOutputs {
        self.host.drive(&mut i);
        self.step_inputs(i)
    }

    fn step_inputs(&mut self, i: CardInputs) -> CardOutputs {
        let out = self.card.step(&i);
        self.host.observe(&out, self.cycle);
        for (k, (o, inp)) in [(&out.x, &i.x), (&out.y, &i.y)].into_iter().enumerate() {
            if o.tx_valid && inp.tx_ready {
                self.sent[k].push((self.cycle, o.tx_data));
            }
        }
        self.cycle += 1;
        self.last = out;
        out
    }

    pub fn step(&mut self) -> CardOutputs {
        self.step_with(None, None)
    }

    pub fn run(&mut self, cycles: u64) {
        for _ in 0..cycles {
            self.step();
        }
    }

    /// Steps until the host's MMIO queue is empty.
    pub fn settle_mmio(&mut self) {
        let mut n = 0;
        while self.host.mmio_busy() {
            self.step();
            n += 1;
            assert!(n < 100_000, "MMIO never drained");
        }
    }

    /// Brings the card up alone, as its own quorum: lease rounds every 16 clocks with no
    /// heartbeat frames on the wire (`Control::HEARTBEAT` off), a lease that outlasts any
    /// test and no hold, then `cfg` with quorum 1; returns once the card may issue.
    pub fn bring_up_alone(&mut self, ring_log2: u32, mut cfg: crate::host::Config) {
        self.host.bring_up_solo(ring_log2);
        cfg.quorum = 1;
        let node = self.host.node;
        self.host.send_config(node, cfg);
        self.settle_mmio();
        for _ in 0..100 {
            self.run(8);
            if self.read_reg(regs::LEASE) > 0 {
                return;
            }
        }
        panic!("a card alone never took its lease");
    }

    /// Reads a register through the host port.
    pub fn read_reg(&mut self, addr: u32) -> u64 {
        let id = self.host.read(addr);
        for _ in 0..10_000 {
            if let Some(v) = self.host.read_result(id) {
                return v;
            }
            self.step();
        }
        panic!("MMIO read of {addr:#x} never answered");
    }
}
