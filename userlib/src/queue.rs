//! One hardware queue shared by many threads without a lock.
//!
//! The card writes completions into the queue's ring in the order it finishes requests,
//! which is not the order threads rang their doorbells in (a thread can be preempted
//! between claiming a tag and ringing; a re-sent batch finishes late). So a completion's
//! slot says nothing about whose it is: its tag does. The queue therefore has
//! [`CELLS`] result cells, one per outstanding request:
//!
//! 1. **Claim**: a thread takes claim number `n` (one compare-and-swap on `next`) if cell
//!    `n % CELLS` is free for `n`, marks it pending, and rings the doorbell with tag
//!    `n as u16` (`CELLS` divides 2^16, so the tag names the cell).
//! 2. **Pump**: any waiting thread reads the ring at `head`; if the entry there has
//!    landed (its phase bit), it takes it (compare-and-swap on `head`) and moves the
//!    result into the cell its tag names.
//! 3. **Take**: the owner sees its cell done, reads the result, and frees the cell for
//!    claim `n + CELLS`.
//!
//! **The fast claim.** When a queue has nothing outstanding (`head` has caught up with
//! `next`, so no entry is due in the ring but the next one), a thread takes the queue for
//! one request with a single compare-and-swap that advances `next` and sets its
//! [`FAST`] bit. While the bit is set, no other thread claims on the queue or moves its
//! ring's entries (they see the bit, and take another queue or retry), so the owner
//! needs no cell: it rings, looks once at the ring entry at `head`, and if its answer is
//! there (its tag), takes it with plain stores to `head` and `next` that also clear the
//! bit. If it is not there yet, the owner publishes the claim as an ordinary one (its
//! cell pending, the bit cleared) and waits under the shared protocol above. The bit is
//! thus held for one doorbell and one look, never across a wait; a thread preempted
//! inside it holds up only new claims on that queue, which go to another queue after
//! `FAST_WAIT_SPINS` looks. An uncontended request against a card that has answered by
//! the first look costs one compare-and-swap, the doorbell (one MMIO store), one look at
//! the ring entry (one cache line), and three plain stores (`head`, the cell's state
//! moved on to claim `n + CELLS`, `next`): no lock, no syscall, no second
//! read-modify-write, and no hand-over through the cell.
//!
//! `head` stays behind `next` while a request given up on is still unanswered; the queue
//! takes fast claims again once its answer is in (a card answers every doorbell, at
//! worst with a `Timeout` status).
//!
//! The shared path costs one CAS to claim, the doorbell, a spin on the ring entry and on
//! the cell (each its own cache line), one CAS on `head`, and two stores.
//!
//! Why the ring cannot be overrun: at most `CELLS` requests are outstanding (claimed and
//! not yet taken), and entries are moved out of the ring only in order, so the card is
//! never more than `CELLS` entries ahead of `head`; rings have at least `2 * CELLS`
//! entries ([`MIN_RING_LOG2`]). `CELLS` is also the card's queue FIFO depth, so a
//! doorbell never finds the FIFO full.
//!
//! A request given up on (timeout, or its ticket dropped) is marked abandoned; when its
//! completion comes, the pumping thread frees the cell and the numbers become a gap:
//! never delivered, never reused.

use crate::port::Port;
use seqfab_contract::limits::QUEUE_FIFO_DEPTH;
use seqfab_contract::ring::Completion;
use std::sync::atomic::{fence, AtomicBool, AtomicU64, Ordering};

/// Outstanding requests per queue: the card's queue FIFO depth.
pub const CELLS: usize = QUEUE_FIFO_DEPTH;
/// Rings have at least twice as many entries as cells (see the module docs).
pub const MIN_RING_LOG2: u32 = CELLS.trailing_zeros() + 1;

const _: () = assert!(CELLS.is_power_of_two() && CELLS <= 1 << 16);

/// Bit 0 of `next`: a fast claim is out (the module docs). The claim number is in the
/// bits above it.
const FAST: u64 = 1;

/// How many times a shared claim re-reads a queue whose fast claim is out before it
/// tries another queue: the fast claim ends within a doorbell and one look at the ring,
/// unless its thread was preempted.
const FAST_WAIT_SPINS: u32 = 64;

const FREE: u64 = 0;
const PENDING: u64 = 1;
const DONE: u64 = 2;
const ABANDONED: u64 = 3;

fn state(n: u64, s: u64) -> u64 {
    n << 2 | s
}

/// One request's result, on a cache line of its own.
#[repr(align(64))]
struct Cell {
    /// `claim << 2 | FREE/PENDING/DONE/ABANDONED`.
    state: AtomicU64,
    value: AtomicU64,
    /// count in 31:0, status in 39:32, epoch in 63:40 (low 24 bits).
    meta: AtomicU64,
    /// The owner may be asleep on the queue's interrupt: whoever delivers the answer
    /// must wake it, since the card raised (or will raise) no interrupt for an answer
    /// another thread took out of the ring.
    sleeping: AtomicBool,
}

/// The result of one request, as the card reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub value: u64,
    pub count: u32,
    pub status: u8,
    pub epoch: u32,
}

/// The outcome a completion reports.
#[inline]
fn outcome(c: &Completion) -> Outcome {
    Outcome {
        value: c.value,
        count: c.count,
        status: c.status,
        epoch: c.epoch & 0xFF_FFFF,
    }
}

fn pack(c: &Completion) -> u64 {
    c.count as u64 | (c.status as u64) << 32 | ((c.epoch as u64) & 0xFF_FFFF) << 40
}

fn unpack(value: u64, meta: u64) -> Outcome {
    Outcome {
        value,
        count: meta as u32,
        status: (meta >> 32) as u8,
        epoch: (meta >> 40) as u32,
    }
}

/// Counters of one queue (summed by the sequencer). Kept per queue, so threads on
/// different queues do not share their cache lines. `completed_spinning`, counted on
/// the fast path, is bumped with a plain load and store rather than a locked
/// read-modify-write: exact for a queue used by one thread at a time, it may miss counts
/// when threads race on one queue.
#[derive(Default)]
#[repr(align(64))]
pub struct QueueStats {
    pub completed_spinning: AtomicU64,
    pub sleeps: AtomicU64,
    pub wakeups: AtomicU64,
    /// Sleeps avoided because the re-check after arming found the answer.
    pub rechecks_hit: AtomicU64,
    pub timeouts: AtomicU64,
    /// Completions whose tag matched no outstanding request (dropped).
    pub strays: AtomicU64,
}

/// The shared state of one hardware queue.
pub struct Queue {
    pub q: usize,
    /// `claim << 1 | FAST`: the next claim number, and whether a fast claim is out.
    next: AtomicU64,
    /// Ring entries moved out of the ring (the free-running index of the next one).
    head: AtomicU64,
    /// A fixed-size array, so that `cell`'s index (`n % CELLS`) needs no bounds check.
    cells: Box<[Cell; CELLS]>,
    pub stats: QueueStats,
}

impl QueueStats {
    /// Counts a request answered while spinning (see the type's docs).
    #[inline]
    pub fn count_spinning(&self) {
        let c = &self.completed_spinning;
        c.store(c.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }
}

impl Queue {
    pub fn new(q: usize) -> Self {
        Queue {
            q,
            next: AtomicU64::new(0),
            head: AtomicU64::new(0),
            cells: Box::new(std::array::from_fn(|n| Cell {
                state: AtomicU64::new(state(n as u64, FREE)),
                value: AtomicU64::new(0),
                meta: AtomicU64::new(0),
                sleeping: AtomicBool::new(false),
            })),
            stats: QueueStats::default(),
        }
    }

    #[inline]
    fn cell(&self, n: u64) -> &Cell {
        &self.cells[n as usize % CELLS]
    }

    /// Claims the next request number (shared), or `None` if `CELLS` requests are
    /// outstanding, or a fast claim stays out for `FAST_WAIT_SPINS` looks.
    pub fn claim(&self) -> Option<u64> {
        let mut spins = 0;
        loop {
            let w = self.next.load(Ordering::Acquire);
            if w & FAST != 0 {
                spins += 1;
                if spins > FAST_WAIT_SPINS {
                    return None;
                }
                std::hint::spin_loop();
                continue;
            }
            let n = w >> 1;
            let s = self.cell(n).state.load(Ordering::Acquire);
            if s != state(n, FREE) {
                if s >> 2 < n {
                    return None; // the cell still serves n - CELLS
                }
                continue; // another thread took n meanwhile
            }
            if self
                .next
                .compare_exchange_weak(w, (n + 1) << 1, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                self.cell(n)
                    .state
                    .store(state(n, PENDING), Ordering::Release);
                return Some(n);
            }
        }
    }

    /// The fast claim (module docs): claim number `n` with the queue to itself until
    /// [`Queue::fast_finish`] or [`Queue::fast_abort`], or `None` when the queue has
    /// something outstanding (or a fast claim out, or `n`'s cell still serving claim
    /// `n - CELLS`): then claim with [`Queue::claim`]. One compare-and-swap.
    #[inline]
    pub fn fast_claim(&self) -> Option<u64> {
        let w = self.next.load(Ordering::Acquire);
        let n = w >> 1;
        if w & FAST != 0
            || self.head.load(Ordering::Acquire) != n
            || self.cell(n).state.load(Ordering::Acquire) != state(n, FREE)
        {
            return None;
        }
        self.next
            .compare_exchange(w, (n + 1) << 1 | FAST, Ordering::AcqRel, Ordering::Relaxed)
            .ok()
            .map(|_| n)
    }

    /// The one look of fast claim `n` at the ring (its doorbell rung). Its answer there:
    /// taken, `head` moved past it and the queue released, with plain stores (nobody
    /// else writes `head` or `next` while the bit is set). Not there yet (or the entry
    /// there is not its own, or the ring could not be read): the claim becomes an
    /// ordinary pending one, and `None` says to wait for it with [`Queue::take`] and
    /// [`Queue::pump_for`] (which report a ring that cannot be read).
    #[inline]
    pub fn fast_finish<P: Port + ?Sized>(&self, card: &P, n: u64) -> Option<Outcome> {
        // `head == n`: `fast_claim` saw it, and nobody moves `head` while the bit is set.
        match card.peek(self.q, n) {
            Some(c) if c.tag == n as u16 => {
                self.head.store(n + 1, Ordering::Release);
                self.cell(n)
                    .state
                    .store(state(n + CELLS as u64, FREE), Ordering::Release);
                self.next.store((n + 1) << 1, Ordering::Release);
                Some(outcome(&c))
            }
            _ => {
                self.cell(n)
                    .state
                    .store(state(n, PENDING), Ordering::Release);
                self.next.store((n + 1) << 1, Ordering::Release);
                None
            }
        }
    }

    /// Gives fast claim `n` back without ringing (the doorbell could not be written):
    /// `next` as it was, the bit cleared.
    pub fn fast_abort(&self, n: u64) {
        self.next.store(n << 1, Ordering::Release);
    }

    /// Gives claim `n` back without ringing (the doorbell could not be written).
    pub fn unclaim(&self, n: u64) {
        self.cell(n)
            .state
            .store(state(n + CELLS as u64, FREE), Ordering::Release);
    }

    /// Takes the ring's next entry if it has landed: read it at `head`, then claim it
    /// with a compare-and-swap on `head` (another thread may take it first: then read
    /// the next one).
    ///
    /// An entry that landed while a fast claim is out is left to its owner: the bit is
    /// read after the entry (an `Acquire` load after the phase bit's `Acquire` fence),
    /// and the owner sets the bit before ringing and moves `head` before clearing it, so
    /// either the bit is seen or the compare-and-swap fails.
    fn take_entry<P: Port + ?Sized>(&self, card: &P) -> seqfab_driver::Result<Option<Completion>> {
        loop {
            let h = self.head.load(Ordering::Acquire);
            let Some(c) = card.completion(self.q, h)? else {
                return Ok(None);
            };
            if self.next.load(Ordering::Acquire) & FAST != 0 {
                return Ok(None);
            }
            if self
                .head
                .compare_exchange(h, h + 1, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                return Ok(Some(c));
            }
        }
    }

    /// Moves every landed completion out of the ring into its cell. Returns how many.
    pub fn pump<P: Port + ?Sized>(&self, card: &P) -> seqfab_driver::Result<usize> {
        let mut moved = 0;
        while let Some(c) = self.take_entry(card)? {
            moved += 1;
            self.deliver(card, &c);
        }
        Ok(moved)
    }

    /// [`Queue::pump`] by the owner of claim `n`: its own answer, when it comes out of
    /// the ring, is returned directly (the cell freed at once, no hand-over through it);
    /// the others are delivered to their cells.
    pub fn pump_for<P: Port + ?Sized>(
        &self,
        card: &P,
        n: u64,
    ) -> seqfab_driver::Result<Option<Outcome>> {
        while let Some(c) = self.take_entry(card)? {
            let cell = self.cell(n);
            // Only this thread moves claim n's cell out of PENDING, besides `deliver`,
            // which only runs for entries other threads took: so no race here.
            if c.tag == n as u16 && cell.state.load(Ordering::Acquire) == state(n, PENDING) {
                cell.sleeping.store(false, Ordering::Relaxed);
                cell.state
                    .store(state(n + CELLS as u64, FREE), Ordering::Release);
                return Ok(Some(outcome(&c)));
            }
            self.deliver(card, &c);
        }
        Ok(None)
    }

    fn deliver<P: Port + ?Sized>(&self, card: &P, c: &Completion) {
        let cell = &self.cells[c.tag as usize % CELLS];
        loop {
            let s = cell.state.load(Ordering::Acquire);
            let n = s >> 2;
            if n as u16 != c.tag || s & 3 == FREE || s & 3 == DONE {
                self.stats.strays.fetch_add(1, Ordering::Relaxed);
                return;
            }
            let next = if s & 3 == PENDING {
                cell.value.store(c.value, Ordering::Relaxed);
                cell.meta.store(pack(c), Ordering::Relaxed);
                state(n, DONE)
            } else {
                cell.sleeping.store(false, Ordering::Relaxed);
                state(n + CELLS as u64, FREE) // abandoned: the numbers become a gap
            };
            if cell
                .state
                .compare_exchange(s, next, Ordering::SeqCst, Ordering::Acquire)
                .is_ok()
            {
                // The other half of `sleep_on`: state stored, then the flag read, both
                // sequentially consistent, so either the owner's re-check sees DONE or
                // this sees it asleep (Dekker's pattern).
                fence(Ordering::SeqCst);
                if cell.sleeping.load(Ordering::SeqCst) {
                    if let Ok(irq) = card.irq(self.q) {
                        irq.kick();
                    }
                }
                return;
            }
        }
    }

    /// The owner of claim `n` is about to sleep (or stops sleeping, `false`). After
    /// setting it, the owner must check its cell again before sleeping.
    pub fn sleep_on(&self, n: u64, asleep: bool) {
        self.cell(n).sleeping.store(asleep, Ordering::SeqCst);
        fence(Ordering::SeqCst);
    }

    /// Claim `n`'s result if it is there (and frees its cell).
    pub fn take(&self, n: u64) -> Option<Outcome> {
        let cell = self.cell(n);
        if cell.state.load(Ordering::SeqCst) != state(n, DONE) {
            return None;
        }
        cell.sleeping.store(false, Ordering::Relaxed);
        let o = unpack(
            cell.value.load(Ordering::Relaxed),
            cell.meta.load(Ordering::Relaxed),
        );
        cell.state
            .store(state(n + CELLS as u64, FREE), Ordering::Release);
        Some(o)
    }

    /// Gives up on claim `n`: its late answer will be dropped. If the answer came after
    /// all, it is returned (and the cell freed).
    pub fn abandon(&self, n: u64) -> Option<Outcome> {
        let cell = self.cell(n);
        match cell.state.compare_exchange(
            state(n, PENDING),
            state(n, ABANDONED),
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => None,
            Err(_) => self.take(n),
        }
    }

    /// Requests outstanding (claimed and not yet taken or given up).
    pub fn outstanding(&self) -> usize {
        self.cells
            .iter()
            .filter(|c| matches!(c.state.load(Ordering::Relaxed) & 3, PENDING | DONE))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::port::Health;
    use seqfab_driver::irq::Interrupt;

    /// A port with a ring: entry `i` is whatever the test put there (nothing, for the
    /// tests that drive the cells directly); no interrupt.
    struct RingPort(std::sync::Mutex<Vec<Option<Completion>>>);

    impl RingPort {
        fn new() -> Self {
            RingPort(std::sync::Mutex::new(vec![None; 64]))
        }
        fn land(&self, index: u64, c: Completion) {
            self.0.lock().unwrap()[index as usize] = Some(c);
        }
    }

    impl Port for RingPort {
        fn device(&self) -> &str {
            "ring"
        }
        fn queues(&self) -> Vec<usize> {
            vec![0]
        }
        fn doorbell(&self, _: usize, _: u32, _: u16) -> seqfab_driver::Result<()> {
            Ok(())
        }
        fn completion(&self, _: usize, index: u64) -> seqfab_driver::Result<Option<Completion>> {
            Ok(self.0.lock().unwrap()[index as usize])
        }
        fn arm_irq(&self, _: usize) -> seqfab_driver::Result<()> {
            Ok(())
        }
        fn irq(&self, _: usize) -> seqfab_driver::Result<&Interrupt> {
            Err(seqfab_driver::Error::BadParameter("no interrupt".into()))
        }
        fn health(&self) -> Health {
            Health::Alive
        }
    }

    #[test]
    fn a_fast_claim_has_the_queue_to_itself_for_one_look() {
        let q = Queue::new(0);
        let ring = RingPort::new();
        // Answered by the first look: taken from the ring, no cell involved.
        let n = q.fast_claim().unwrap();
        ring.land(0, completion(n as u16, 10));
        assert_eq!(q.fast_finish(&ring, n).unwrap().value, 10);
        assert_eq!(q.outstanding(), 0);
        // While a fast claim is out, nobody else claims, and nobody moves the ring.
        let n = q.fast_claim().unwrap();
        assert_eq!(n, 1);
        assert_eq!(q.fast_claim(), None);
        assert_eq!(
            q.claim(),
            None,
            "a shared claim waits, then tries elsewhere"
        );
        ring.land(1, completion(n as u16, 11));
        assert_eq!(q.pump(&ring).unwrap(), 0, "the entry is left to its owner");
        assert_eq!(q.fast_finish(&ring, n).unwrap().value, 11);
        // Not answered by the first look: the claim becomes an ordinary pending one,
        // others may claim, and no fast claim is had while it is outstanding.
        let n = q.fast_claim().unwrap();
        assert_eq!(q.fast_finish(&ring, n), None);
        assert_eq!(q.outstanding(), 1);
        let m = q.claim().unwrap();
        assert_eq!(m, n + 1);
        assert_eq!(q.fast_claim(), None, "requests outstanding");
        // The later claim's answer lands first; the owner of n pumps it to its cell.
        ring.land(2, completion(m as u16, 30));
        ring.land(3, completion(n as u16, 20));
        assert_eq!(q.pump_for(&ring, n).unwrap().unwrap().value, 20);
        assert_eq!(q.take(m).unwrap().value, 30);
        assert_eq!(q.outstanding(), 0);
        // Caught up: a fast claim again; a doorbell that fails gives it back.
        let n = q.fast_claim().unwrap();
        q.fast_abort(n);
        assert_eq!(q.fast_claim(), Some(n));
    }

    fn completion(tag: u16, value: u64) -> Completion {
        Completion {
            value,
            count: 1,
            epoch: 1,
            tag,
            status: 0,
            phase: true,
        }
    }

    #[test]
    fn cells_bound_the_outstanding_requests_and_match_by_tag() {
        let q = Queue::new(0);
        let claims: Vec<u64> = (0..CELLS).map(|_| q.claim().unwrap()).collect();
        assert_eq!(q.claim(), None, "a full queue refuses a claim");
        assert_eq!(q.outstanding(), CELLS);
        // Out of order: the last claim is answered first.
        q.deliver(&RingPort::new(), &completion(claims[CELLS - 1] as u16, 99));
        assert_eq!(q.take(claims[0]), None);
        assert_eq!(q.take(claims[CELLS - 1]).unwrap().value, 99);
        assert_eq!(q.claim(), None, "cell 0 still serves claim 0");
        q.deliver(&RingPort::new(), &completion(0, 5));
        assert_eq!(q.take(0).unwrap().value, 5);
        assert_eq!(
            q.claim(),
            Some(CELLS as u64),
            "cell 0 is free for claim CELLS"
        );
        // A duplicate answer is a stray, not a second delivery.
        q.deliver(&RingPort::new(), &completion(0, 5));
        assert_eq!(q.stats.strays.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn an_abandoned_request_frees_its_cell_when_its_answer_comes() {
        let q = Queue::new(0);
        let n = q.claim().unwrap();
        assert_eq!(q.abandon(n), None);
        assert_eq!(q.outstanding(), 0);
        q.deliver(&RingPort::new(), &completion(n as u16, 7));
        assert_eq!(q.take(n), None, "an abandoned answer is never delivered");
        // The cell serves claim n + CELLS now.
        for _ in 1..CELLS {
            q.claim().unwrap();
        }
        assert_eq!(q.claim(), Some(n + CELLS as u64));
        // Abandoning after the answer came returns it.
        let m = 1;
        q.deliver(&RingPort::new(), &completion(m as u16, 11));
        assert_eq!(q.abandon(m).unwrap().value, 11);
    }
}
