//! What a sequencer needs of the thing that carries its queues: a whole card it opened
//! itself ([`seqfab_driver::Card`]), or queues the host agent granted it
//! (`crate::agent`). Queue numbers are the card's hardware queue numbers.

use seqfab_contract::regs::{self, Status as CardStatus};
use seqfab_contract::ring::Completion;
use seqfab_driver::irq::Interrupt;
use seqfab_driver::{Card, Result};

/// Whether the card behind a port still looks alive (asked only on the slow path).
pub enum Health {
    Alive,
    /// Reads fail or return all ones: the card is gone.
    Gone(String),
    /// Both fabric links are down: the card cannot reach the primary.
    LinksDown,
}

pub trait Port: Send + Sync {
    /// For messages.
    fn device(&self) -> &str;
    /// The card's hardware queues this port carries.
    fn queues(&self) -> Vec<usize>;
    fn doorbell(&self, q: usize, count: u32, tag: u16) -> Result<()>;
    fn completion(&self, q: usize, index: u64) -> Result<Option<Completion>>;
    /// [`Port::completion`] for the fast path: `None` also when the ring cannot be read,
    /// which the slow path then reports (it reads through `completion`). No `Result` to
    /// build and unpack on every look.
    #[inline]
    fn peek(&self, q: usize, index: u64) -> Option<Completion> {
        self.completion(q, index).ok().flatten()
    }
    /// Arms queue `q`'s interrupt and returns once the arm has reached the card, so that
    /// a ring check made after it cannot miss a completion the interrupt would not
    /// report (a read after a posted write flushes it: PCIe ordering).
    fn arm_irq(&self, q: usize) -> Result<()>;
    fn irq(&self, q: usize) -> Result<&Interrupt>;
    fn health(&self) -> Health;
}

impl Port for Card {
    fn device(&self) -> &str {
        Card::device(self)
    }

    fn queues(&self) -> Vec<usize> {
        (0..seqfab_contract::limits::QUEUES).collect()
    }

    #[inline]
    fn doorbell(&self, q: usize, count: u32, tag: u16) -> Result<()> {
        Card::doorbell(self, q, count, tag)
    }

    #[inline]
    fn completion(&self, q: usize, index: u64) -> Result<Option<Completion>> {
        Card::completion(self, q, index)
    }

    fn arm_irq(&self, q: usize) -> Result<()> {
        Card::arm_irq(self, q)?;
        self.read(regs::queue_reg(q, regs::Q_STATUS)).map(|_| ())
    }

    fn irq(&self, q: usize) -> Result<&Interrupt> {
        Card::irq(self, q)
    }

    fn health(&self) -> Health {
        match self.read(regs::ID_MAGIC) {
            Ok(m) if m == seqfab_contract::MAGIC => {}
            Ok(m) => return Health::Gone(format!("ID_MAGIC reads {m:#x}")),
            Err(e) => return Health::Gone(e.to_string()),
        }
        match self.read(regs::STATUS) {
            Ok(s)
                if !CardStatus::from_bits_truncate(s)
                    .intersects(CardStatus::LINK_X | CardStatus::LINK_Y) =>
            {
                Health::LinksDown
            }
            _ => Health::Alive,
        }
    }
}

/// The ports a sequencer can hold, dispatched statically: the request function's fast
/// path calls `doorbell` and `completion` on every request, and an indirect call each
/// time showed in its cost.
pub enum AnyPort {
    Card(Card),
    Agent(crate::agent::AgentPort),
}

macro_rules! dispatch {
    ($self:ident, $p:ident => $e:expr) => {
        match $self {
            AnyPort::Card($p) => $e,
            AnyPort::Agent($p) => $e,
        }
    };
}

impl Port for AnyPort {
    fn device(&self) -> &str {
        dispatch!(self, p => p.device())
    }
    fn queues(&self) -> Vec<usize> {
        dispatch!(self, p => p.queues())
    }
    #[inline]
    fn doorbell(&self, q: usize, count: u32, tag: u16) -> Result<()> {
        dispatch!(self, p => Port::doorbell(p, q, count, tag))
    }
    #[inline]
    fn completion(&self, q: usize, index: u64) -> Result<Option<Completion>> {
        dispatch!(self, p => Port::completion(p, q, index))
    }
    #[inline]
    fn peek(&self, q: usize, index: u64) -> Option<Completion> {
        dispatch!(self, p => Port::peek(p, q, index))
    }
    fn arm_irq(&self, q: usize) -> Result<()> {
        dispatch!(self, p => Port::arm_irq(p, q))
    }
    fn irq(&self, q: usize) -> Result<&Interrupt> {
        dispatch!(self, p => Port::irq(p, q))
    }
    fn health(&self) -> Health {
        dispatch!(self, p => p.health())
    }
}
