//! [`Cards`]: the manager's access to the cluster.

use seqfab_contract::program::Config;

/// The cluster as the management process sees it.
///
/// Reads are split into a request and a poll so that one policy serves a simulator that
/// must step its clock until the answer comes and a daemon whose driver answers at once.
pub trait Cards {
    /// A read in flight.
    type Read: Copy + std::fmt::Debug;

    /// Cards in the cluster (node ids `0..nodes()`).
    fn nodes(&self) -> usize;
    /// The manager's clock, in card cycles (for the log and the poll period).
    fn now(&self) -> u64;
    /// Asks card `node`'s host for register `reg`. `None`: that host cannot be asked
    /// (it is down, or its agent does not answer).
    fn read(&mut self, node: usize, reg: u32) -> Option<Self::Read>;
    /// The value of a read once it arrived (each result is taken once).
    fn result(&mut self, node: usize, read: Self::Read) -> Option<u64>;
    /// Sends `cfg` to card `to` through the management window of the card on host `via`.
    fn send_config(&mut self, via: usize, to: u8, cfg: &Config);
    /// Host `node` can run the manager (its process and card are up).
    fn host_up(&self, node: usize) -> bool;
}
