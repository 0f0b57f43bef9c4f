//! An in-process card whose doorbell writes the completion at once: the "instant
//! device" the layers above the driver are tested and benchmarked against, so that
//! their own cost and their wait logic can be measured and provoked without a
//! simulator.
//!
//! It implements the part of the register map a host uses: the ID block, `CONTROL`
//! (`SOFT_RESET` self-clearing), `STAT_DOORBELLS`, the queue registers, the doorbells,
//! and one-shot interrupt arming. It is its own primary: each doorbell takes the next
//! `count` numbers from one counter below a limit (`LimitReached` past it). Knobs make
//! it misbehave on purpose: hold completions back until [`InstantCard::release`], land
//! them exactly when an interrupt is armed but without raising it (the lost-wake-up
//! race), or answer nothing at all.
//!
//! The fast path (a doorbell) takes no lock and no `unsafe`: atomics only, so a benchmark sees the cost
//! of the caller, not of the model.

use crate::backend::Backend;
use crate::dma::DmaMemory;
use crate::error::{Error, Result};
use crate::irq::Interrupt;
use seqfab_contract::doorbell::Doorbell;
use seqfab_contract::limits::QUEUES;
use seqfab_contract::regs::{self, Control, QueueControl};
use seqfab_contract::ring::{self, Completion, Status};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use vmm_sys_util::eventfd::EventFd;

/// DMA mappings one instant card takes in its life (each bring-up makes one): enough for
/// tests, and what lets the doorbell path find the current one without a lock.
const MAX_MAPPINGS: usize = 16;

/// Registers of page 0 (global and per-queue), one atomic per 64-bit register.
const PAGE_REGS: usize = 0x1000 / 8;

/// How the instant card answers doorbells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Answer {
    /// At once, inside the doorbell write.
    Instant = 0,
    /// Not until [`InstantCard::release`].
    Hold = 1,
    /// Held, and landed at the moment the queue's interrupt is armed, without raising
    /// it: a completion that arrives between the waiter's last check and its arming.
    OnArm = 2,
    /// Never (a card cut off from the fabric that also never times out).
    Never = 3,
}

struct Mapping {
    iova: u64,
    mem: DmaMemory,
}

/// See the module docs.
pub struct InstantCard {
    regs: Box<[AtomicU64; PAGE_REGS]>,
    counter: AtomicU64,
    limit: AtomicU64,
    epoch: AtomicU32,
    doorbells: AtomicU64,
    produced: [AtomicU64; QUEUES],
    armed: [AtomicBool; QUEUES],
    answer: AtomicU32,
    held: Mutex<Vec<(usize, Doorbell)>>,
    /// The DMA mappings made, append-only (a doorbell racing a re-mapping never writes
    /// through a freed one), and `current`: 1 + the index of the one in use, 0 for none.
    current: AtomicUsize,
    mappings: [OnceLock<Mapping>; MAX_MAPPINGS],
    mapped: Mutex<usize>,
    irqs: Mutex<Vec<EventFd>>,
    irqs_raised: AtomicU64,
    name: String,
}

impl Default for InstantCard {
    fn default() -> Self {
        Self::new()
    }
}

impl InstantCard {
    /// A configured card (epoch 1, primary and secondary itself), counter 0, no limit.
    pub fn new() -> Self {
        let regs: Box<[AtomicU64; PAGE_REGS]> =
            Box::new(std::array::from_fn(|_| AtomicU64::new(0)));
        for r in regs::REGISTERS {
            regs[r.offset as usize / 8].store(r.reset, Ordering::Relaxed);
        }
        InstantCard {
            regs,
            counter: AtomicU64::new(0),
            limit: AtomicU64::new(u64::MAX),
            epoch: AtomicU32::new(1),
            doorbells: AtomicU64::new(0),
            produced: Default::default(),
            armed: Default::default(),
            answer: AtomicU32::new(Answer::Instant as u32),
            held: Mutex::new(Vec::new()),
            current: AtomicUsize::new(0),
            mappings: Default::default(),
            mapped: Mutex::new(0),
            irqs: Mutex::new(Vec::new()),
            irqs_raised: AtomicU64::new(0),
            name: "instant card".into(),
        }
    }

    /// How doorbells are answered from now on.
    pub fn set_answer(&self, a: Answer) {
        self.answer.store(a as u32, Ordering::SeqCst);
    }

    /// Numbers at or above `limit` are refused with `LimitReached`.
    pub fn set_limit(&self, limit: u64) {
        self.limit.store(limit, Ordering::SeqCst);
    }

    /// The next number it will hand out.
    pub fn counter(&self) -> u64 {
        self.counter.load(Ordering::SeqCst)
    }

    /// Interrupts raised so far.
    pub fn irqs_raised(&self) -> u64 {
        self.irqs_raised.load(Ordering::SeqCst)
    }

    /// Doorbells held back (by [`Answer::Hold`] or [`Answer::OnArm`]).
    pub fn held(&self) -> usize {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Answers every held doorbell now (raising interrupts where armed).
    pub fn release(&self) {
        let held = std::mem::take(&mut *self.held.lock().unwrap_or_else(|p| p.into_inner()));
        for (q, d) in held {
            self.complete(q, d, true);
        }
    }

    #[inline]
    fn reg(&self, offset: u32) -> &AtomicU64 {
        &self.regs[offset as usize / 8]
    }

    /// Takes `count` numbers from the counter, below the limit: the first one and `Ok`,
    /// or a refusal (the counter untouched).
    #[inline]
    fn take_numbers(&self, count: u32) -> (u64, Status) {
        loop {
            let v = self.counter.load(Ordering::Acquire);
            match v.checked_add(count as u64) {
                Some(e) if e <= self.limit.load(Ordering::Relaxed) => {
                    if self
                        .counter
                        .compare_exchange(v, e, Ordering::SeqCst, Ordering::SeqCst)
                        .is_ok()
                    {
                        return (v, Status::Ok);
                    }
                }
                Some(_) => return (0, Status::LimitReached),
                None => return (0, Status::WouldWrap),
            }
        }
    }

    /// The DMA mapping in use, if any.
    #[inline]
    fn mapping(&self) -> Option<&Mapping> {
        let current = self.current.load(Ordering::Acquire);
        self.mappings.get(current.checked_sub(1)?)?.get()
    }

    /// Writes the completion of doorbell `d` on queue `q` into the ring, as the card's
    /// DMA does: the next slot of the queue's ring (its producer index), the phase bit
    /// of that pass, the whole 32-byte entry with the phase word last
    /// ([`DmaMemory::write_words`]), then the interrupt if one is armed.
    #[inline]
    fn complete(&self, q: usize, d: Doorbell, may_raise: bool) {
        let (value, status) = self.take_numbers(d.count);
        let base = self
            .reg(regs::queue_reg(q, regs::Q_RING_BASE))
            .load(Ordering::Relaxed);
        let log2 = self
            .reg(regs::queue_reg(q, regs::Q_RING_LOG2))
            .load(Ordering::Relaxed);
        let index = self.produced[q].fetch_add(1, Ordering::AcqRel);
        let (offset, phase) = ring::position(index, log2 as u32);
        let c = Completion {
            value,
            count: d.count,
            epoch: self.epoch.load(Ordering::Relaxed),
            tag: d.tag,
            status: status as u8,
            phase,
        };
        if let Some(m) = self.mapping() {
            if let Some(off) = (base + offset).checked_sub(m.iova) {
                let _ = m.mem.write_words(off as usize, &c.to_words());
            }
        }
        if may_raise && self.armed[q].load(Ordering::Acquire) {
            self.raise(q);
        }
    }

    /// Fires queue `q`'s interrupt if it is still armed (one-shot).
    #[cold]
    fn raise(&self, q: usize) {
        if self.armed[q].swap(false, Ordering::AcqRel) {
            if let Some(fd) = self.irqs.lock().unwrap_or_else(|p| p.into_inner()).get(q) {
                let _ = fd.write(1);
                self.irqs_raised.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    /// A doorbell write: the word judged as the card judges it, then answered as
    /// [`InstantCard::set_answer`] says.
    #[inline]
    fn doorbell(&self, q: usize, word: u64) {
        let control = QueueControl::from_bits_truncate(
            self.reg(regs::queue_reg(q, regs::Q_CONTROL))
                .load(Ordering::Relaxed),
        );
        let enabled = Control::from_bits_truncate(self.reg(regs::CONTROL).load(Ordering::Relaxed))
            .contains(Control::ENABLE);
        let Ok(d) = Doorbell::decode(word) else {
            return;
        };
        if !control.contains(QueueControl::ENABLE) || !enabled {
            return;
        }
        // A model's statistic: a plain load and store, no locked instruction.
        let d0 = self.doorbells.load(Ordering::Relaxed);
        self.doorbells.store(d0 + 1, Ordering::Relaxed);
        match self.answer.load(Ordering::Acquire) {
            a if a == Answer::Instant as u32 => self.complete(q, d, true),
            a if a == Answer::Never as u32 => {}
            _ => self.hold(q, d),
        }
    }

    /// Keeps doorbell `d` for later ([`Answer::Hold`], [`Answer::OnArm`]): out of line,
    /// so that the instant answer's path stays short.
    #[cold]
    fn hold(&self, q: usize, d: Doorbell) {
        self.held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((q, d));
    }

    /// A write to any register but a doorbell.
    fn write_register(&self, offset: u32, value: u64) {
        match offset {
            regs::CONTROL => {
                if value & Control::SOFT_RESET.bits() != 0 {
                    self.doorbells.store(0, Ordering::Relaxed);
                    self.held.lock().unwrap_or_else(|p| p.into_inner()).clear();
                }
                self.reg(offset)
                    .store(value & !Control::SOFT_RESET.bits(), Ordering::Relaxed);
            }
            o if o >= regs::QUEUE_BASE
                && o < regs::QUEUE_BASE + QUEUES as u32 * regs::QUEUE_STRIDE =>
            {
                let q = ((o - regs::QUEUE_BASE) / regs::QUEUE_STRIDE) as usize;
                match o - regs::queue_reg(q, 0) {
                    regs::Q_CONTROL => self.queue_control(q, value),
                    regs::Q_RING_LOG2 => {
                        self.produced[q].store(0, Ordering::SeqCst);
                        self.reg(o).store(value, Ordering::Relaxed);
                    }
                    _ => self.reg(o).store(value, Ordering::Relaxed),
                }
            }
            o if (o as usize) < PAGE_REGS * 8
                && o % 8 == 0
                && regs::lookup(o).is_some_and(|r| r.access != regs::Access::Ro) =>
            {
                self.reg(o).store(value, Ordering::Relaxed);
            }
            _ => {}
        }
    }

    fn queue_control(&self, q: usize, value: u64) {
        let c = QueueControl::from_bits_truncate(value);
        self.reg(regs::queue_reg(q, regs::Q_CONTROL))
            .store((c - QueueControl::IRQ_ARM).bits(), Ordering::Relaxed);
        if c.contains(QueueControl::IRQ_ARM) && c.contains(QueueControl::IRQ_ENABLE) {
            if self.answer.load(Ordering::SeqCst) == Answer::OnArm as u32 {
                // The race: what was held lands just before the arm takes effect.
                let held =
                    std::mem::take(&mut *self.held.lock().unwrap_or_else(|p| p.into_inner()));
                for (hq, d) in held {
                    self.complete(hq, d, false);
                }
            }
            self.armed[q].store(true, Ordering::SeqCst);
        }
    }
}

impl Backend for InstantCard {
    fn device(&self) -> &str {
        &self.name
    }

    fn bar_len(&self) -> u64 {
        regs::BAR0_BYTES as u64
    }

    fn read64(&self, offset: u32) -> Result<u64> {
        if !offset.is_multiple_of(8) || offset >= regs::BAR0_BYTES {
            return Err(Error::BadAccess {
                offset: offset as u64,
                bytes: 8,
                reason: "outside the instant card's registers",
            });
        }
        Ok(match offset {
            regs::STAT_DOORBELLS => self.doorbells.load(Ordering::Relaxed),
            regs::COUNTER => self.counter.load(Ordering::SeqCst),
            regs::LIMIT => self.limit.load(Ordering::SeqCst),
            regs::EPOCH => self.epoch.load(Ordering::Relaxed) as u64,
            regs::STATUS => (regs::Status::LINK_X
                | regs::Status::LINK_Y
                | regs::Status::PRIMARY
                | regs::Status::SECONDARY
                | regs::Status::CONFIGURED)
                .bits(),
            o if (o as usize) < PAGE_REGS * 8 => self.reg(o).load(Ordering::Relaxed),
            _ => 0,
        })
    }

    /// A doorbell is handled here; every other register in `write_register`, out of
    /// line (a doorbell is the request function's fast path).
    #[inline]
    fn write64(&self, offset: u32, value: u64) -> Result<()> {
        if (regs::DOORBELL_BASE..regs::BAR0_BYTES).contains(&offset) {
            let q = ((offset - regs::DOORBELL_BASE) / regs::DOORBELL_STRIDE) as usize;
            if q < QUEUES && offset.is_multiple_of(regs::DOORBELL_STRIDE) {
                self.doorbell(q, value);
            }
            return Ok(());
        }
        self.write_register(offset, value);
        Ok(())
    }
    fn map_dma(&self, mem: &DmaMemory, iova: u64) -> Result<()> {
        let mut mapped = self.mapped.lock().unwrap_or_else(|p| p.into_inner());
        let Some(slot) = self.mappings.get(*mapped) else {
            return Err(Error::DmaMapRefused {
                iova,
                size: mem.len() as u64,
                source: std::io::Error::other(format!(
                    "the instant card takes {MAX_MAPPINGS} DMA mappings in its life"
                )),
            });
        };
        let m = Mapping {
            iova,
            mem: mem.try_clone()?,
        };
        if slot.set(m).is_err() {
            return Err(Error::BadParameter(
                "instant card: mapping slot reused".into(),
            ));
        }
        *mapped += 1;
        self.current.store(*mapped, Ordering::Release);
        Ok(())
    }

    fn unmap_dma(&self, _iova: u64, _size: u64) -> Result<()> {
        self.current.store(0, Ordering::Release);
        Ok(())
    }

    fn set_irqs(&self, irqs: &[Interrupt]) -> Result<()> {
        let fds = irqs
            .iter()
            .map(|i| i.eventfd().try_clone().map_err(Error::Interrupt))
            .collect::<Result<Vec<_>>>()?;
        *self.irqs.lock().unwrap_or_else(|p| p.into_inner()) = fds;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Card, Options};
    use std::time::Duration;

    #[test]
    fn answers_doorbells_at_once_and_holds_them_on_request() {
        let dev = std::sync::Arc::new(InstantCard::new());
        let mut card = Card::with_backend(Box::new(dev.clone())).unwrap();
        card.bring_up(&Options {
            ring_log2: 2,
            ..Options::default()
        })
        .unwrap();
        for i in 0..10u64 {
            card.doorbell(1, 3, i as u16).unwrap();
            let c = card.completion(1, i).unwrap().expect("instant");
            assert_eq!((c.value, c.count, c.tag), (3 * i, 3, i as u16));
        }
        dev.set_answer(Answer::Hold);
        card.doorbell(1, 1, 10).unwrap();
        assert_eq!(card.completion(1, 10).unwrap(), None);
        card.arm_irq(1).unwrap();
        dev.release();
        assert!(card.completion(1, 10).unwrap().is_some());
        assert_eq!(
            card.irq(1).unwrap().wait(Duration::from_secs(1)).unwrap(),
            1
        );
        dev.set_limit(40);
        card.doorbell(0, 20, 0).unwrap();
        dev.set_answer(Answer::Instant);
        card.doorbell(0, 20, 1).unwrap();
        let c = card.completion(0, 0).unwrap().unwrap();
        assert_eq!(c.status, Status::LimitReached as u8);
    }
}
