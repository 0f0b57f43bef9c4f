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
    /// The manager's clock (for the log and the poll period), in [`Cards::unit`]s.
    fn now(&self) -> u64;
    /// What [`Cards::now`] counts: card cycles in a simulator, milliseconds in a daemon.
    fn unit(&self) -> &'static str {
        "cycle"
    }
    /// Asks card `node`'s host for register `reg`. `None`: that host cannot be asked
    /// (it is down, or its agent does not answer).
    fn read(&mut self, node: usize, reg: u32) -> Option<Self::Read>;
    /// The value of a read once it arrived (each result is taken once).
    fn result(&mut self, node: usize, read: Self::Read) -> Option<u64>;
    /// Sends `cfg` to card `to` through the management window of the card on host `via`.
    fn send_config(&mut self, via: usize, to: u8, cfg: &Config);
    /// Host `node` can run the manager (its process and card are up).
    fn host_up(&self, node: usize) -> bool;

    /// Card `node`'s stored value asked over the fabric (STATE_QUERY through the home
    /// card), the first source of a new primary's counter. `None`: no answer, or this
    /// cluster has no such path (the manager then uses the value its poll read).
    fn query_stored(&mut self, _node: usize) -> Option<u64> {
        None
    }

    /// The last stored value card `node` mirrored into its host's memory, read through
    /// that host's agent, the second source. The host first fences its card with `fence`
    /// (the new epoch, sent to its own card), so that the value is final: a card that is
    /// gone or fenced stores nothing more. `None`: the host does not answer, or the card
    /// is alive and could not be fenced.
    fn fenced_mirror(&mut self, _node: usize, _fence: &Config) -> Option<u64> {
        None
    }

    /// The manager's own card hears no quorum: hand management to another host. `Some`:
    /// the manager now runs at that host (a simulator moves it); `None`: this process
    /// stepped down (a daemon resigns its leadership, and another candidate is elected).
    fn hand_over(&mut self, from: usize) -> Option<usize> {
        let n = self.nodes();
        (1..n).map(|i| (from + i) % n).find(|&h| self.host_up(h))
    }
}
