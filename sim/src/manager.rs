//! The simulated cluster as the management library sees it: [`seqfab_manage::Cards`]
//! over the testbench's [`Cluster`], through the same doors the daemon uses (MMIO reads
//! through each card's host, CONFIG frames through the manager's own card).
//!
//! The policy itself (the failure table, leases, windows) lives in `seqfab-manage`, so
//! the simulator's manager and `seqfabd` run the same code.

use seqfab_contract::program::Config;
use seqfab_manage::Cards;
use seqfab_testbench::cluster::Cluster;
use seqfab_testbench::host::ReadId;
use seqfab_testbench::pins::CardModel;

pub use seqfab_manage::ManagerLog;

/// The management library's manager, with the simulated cluster's read handles.
pub type Manager = seqfab_manage::Manager<ReadId>;

/// [`Cards`] for a simulated cluster: a dead card's host cannot be asked.
pub struct SimCards<'a, M: CardModel>(pub &'a mut Cluster<M>);

impl<M: CardModel> Cards for SimCards<'_, M> {
    type Read = ReadId;

    fn nodes(&self) -> usize {
        self.0.nodes.len()
    }

    fn now(&self) -> u64 {
        self.0.cycle
    }

    fn read(&mut self, node: usize, reg: u32) -> Option<ReadId> {
        let n = &mut self.0.nodes[node];
        n.alive.then(|| n.host.read(reg))
    }

    fn result(&mut self, node: usize, read: ReadId) -> Option<u64> {
        self.0.nodes[node].host.take_read_result(read)
    }

    fn send_config(&mut self, via: usize, to: u8, cfg: &Config) {
        self.0.configure(via, to, *cfg);
    }

    fn host_up(&self, node: usize) -> bool {
        self.0.nodes[node].alive
    }
}
