//! [`Sequencer`]: the request function over one card, or two (a host on a duplicate
//! fabric, DESIGN.md section 1).
//!
//! Threads share one `Sequencer` (`Send + Sync`). Each thread prefers a queue of its own
//! (chosen round robin the first time it asks) and moves to another only when its own is
//! full, so threads spread over the card's queues and rarely touch each other's cache
//! lines. Two cards: requests go to the active card; when it stops answering (timeout,
//! gone, or both fabric links down) the request is tried once on the other card, which
//! becomes the active one. A request given up on one card is abandoned there, so its
//! late answer can never be delivered: no duplicate, and no number handed out after a
//! larger one was seen (both cards take their numbers from the same primary).

use crate::error::{Error, Result};
use crate::policy::WaitPolicy;
use crate::port::{AnyPort, Health, Port};
use crate::queue::{Outcome, Queue, CELLS, MIN_RING_LOG2};
use seqfab_contract::limits::{MAX_COUNT, QUEUES};
use seqfab_contract::ring::Status;
use seqfab_driver::{Backend, Card, Options, Target};
use std::cell::Cell as StdCell;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One card (or the queues granted on it) and the queues this sequencer holds there.
struct Lane {
    port: AnyPort,
    queues: Vec<Queue>,
}

impl Lane {
    fn new(port: AnyPort) -> Lane {
        let queues = port.queues().into_iter().map(Queue::new).collect();
        Lane { port, queues }
    }
}

/// A request in flight (the pipelined API). Dropping it unanswered gives the request up:
/// its numbers become a gap.
#[must_use = "a ticket dropped unanswered gives its request up"]
pub struct Ticket<'s> {
    seq: &'s Sequencer,
    lane: usize,
    queue: usize,
    n: u64,
    count: u32,
    issued: Instant,
    done: bool,
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.seq.lanes[self.lane].queues[self.queue].abandon(self.n);
        }
    }
}

/// A [`Ticket`] without its borrow of the [`Sequencer`], for the C ABI (`crate::ffi`),
/// where the handle that holds it also holds the sequencer (an `Arc`) and so keeps it
/// alive instead of a lifetime. Not `Clone`: one request, one owner. Turn it back into
/// a ticket with [`Sequencer::ticket_from_raw`] on the sequencer that issued it.
pub(crate) struct RawTicket {
    lane: usize,
    queue: usize,
    n: u64,
    count: u32,
    issued: Instant,
}

impl Ticket<'_> {
    /// The request, unborrowed and still outstanding; `None` if already answered.
    pub(crate) fn into_raw(mut self) -> Option<RawTicket> {
        if self.done {
            return None;
        }
        // The request is now carried by the `RawTicket`: this ticket's drop must not
        // give it up.
        self.done = true;
        Some(RawTicket {
            lane: self.lane,
            queue: self.queue,
            n: self.n,
            count: self.count,
            issued: self.issued,
        })
    }
}

/// Counters of the wait policy, summed over the queues.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests answered while their caller was still spinning.
    pub completed_spinning: u64,
    /// Times a caller went to sleep on an interrupt.
    pub sleeps: u64,
    /// Sleeps ended by an interrupt (not the deadline).
    pub wakeups: u64,
    /// Sleeps avoided because the answer had landed just before the interrupt was armed.
    pub rechecks_hit: u64,
    /// Requests given up with [`Error::Timeout`].
    pub timeouts: u64,
    /// Answers with no request waiting for them (duplicates, answers to abandoned
    /// requests are not counted here).
    pub strays: u64,
    /// Moves to the other card.
    pub card_switches: u64,
}

/// Where a card comes from.
enum Source {
    Target(Target),
    Backend(Box<dyn Backend>),
    /// The host agent's socket and how many queues to ask it for.
    Agent(std::path::PathBuf, usize),
}

/// Builds a [`Sequencer`].
#[derive(Default)]
pub struct Builder {
    cards: Vec<(Source, u8)>,
    policy: WaitPolicy,
    ring_log2: Option<u32>,
}

impl Builder {
    /// A card of this host and its node id on the fabric. Give two for a host on a
    /// duplicate fabric.
    pub fn card(mut self, target: Target, node: u8) -> Self {
        self.cards.push((Source::Target(target), node));
        self
    }

    /// Queues of this host's card granted by the host agent (`seqfabd`) at `socket`:
    /// many processes share one card this way.
    pub fn agent(mut self, socket: impl Into<std::path::PathBuf>, queues: usize) -> Self {
        self.cards.push((Source::Agent(socket.into(), queues), 0));
        self
    }

    /// A card over any backend (the driver's instant card in tests and benchmarks).
    pub fn backend(mut self, backend: Box<dyn Backend>, node: u8) -> Self {
        self.cards.push((Source::Backend(backend), node));
        self
    }

    /// Spin this long before sleeping.
    pub fn spin(mut self, spin: Duration) -> Self {
        self.policy.spin = spin;
        self
    }

    /// Give up after this long (per card).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.policy.timeout = timeout;
        self
    }

    /// Ring entries per queue, as log2 (default 10; at least `MIN_RING_LOG2`).
    pub fn ring_log2(mut self, log2: u32) -> Self {
        self.ring_log2 = Some(log2);
        self
    }

    /// Opens and brings up the cards. This process owns them from now on.
    pub fn open(self) -> Result<Sequencer> {
        if self.cards.is_empty() || self.cards.len() > 2 {
            return Err(Error::BadArgument(format!(
                "a host has one or two cards, {} given",
                self.cards.len()
            )));
        }
        let ring_log2 = self.ring_log2.unwrap_or(10);
        if ring_log2 < MIN_RING_LOG2 {
            return Err(Error::BadArgument(format!(
                "ring_log2 {ring_log2}: rings need at least 2^{MIN_RING_LOG2} entries"
            )));
        }
        let mut lanes = Vec::new();
        for (source, node) in self.cards {
            let mut card = match source {
                Source::Target(t) => Card::open(&t)?,
                Source::Backend(b) => Card::with_backend(b)?,
                Source::Agent(path, queues) => {
                    let port = crate::agent::AgentPort::connect(&path, queues)?;
                    lanes.push(Lane::new(AnyPort::Agent(port)));
                    continue;
                }
            };
            card.bring_up(&Options {
                node,
                ring_log2,
                ..Options::default()
            })?;
            lanes.push(Lane::new(AnyPort::Card(card)));
        }
        Ok(Sequencer {
            lanes,
            active: AtomicUsize::new(0),
            policy: self.policy,
            switches: Default::default(),
        })
    }
}

/// The request function. See the crate docs.
pub struct Sequencer {
    lanes: Vec<Lane>,
    active: AtomicUsize,
    policy: WaitPolicy,
    switches: std::sync::atomic::AtomicU64,
}

/// Longest single sleep on a queue's eventfd before the caller re-arms and checks again.
/// Several threads sleeping on one queue share its eventfd, and an eventfd cannot hand a
/// wake-up to a particular one: a sleeper that reads it can take the wake-up meant for a
/// thread that was between its last check and its `poll`. The slice bounds what such a
/// stolen wake-up costs (one slice, not the whole timeout); a thread alone on its queue
/// is woken at once as before.
const SLEEP_SLICE: Duration = Duration::from_millis(10);

thread_local! {
    /// This thread's queue, `NO_HOME` until its first request.
    static HOME_QUEUE: StdCell<usize> = const { StdCell::new(NO_HOME) };
}
const NO_HOME: usize = usize::MAX;
static NEXT_HOME: AtomicUsize = AtomicUsize::new(0);

/// This thread's queue (`0..QUEUES`), chosen round robin on its first request.
#[inline]
fn home_queue() -> usize {
    HOME_QUEUE.with(|h| match h.get() {
        NO_HOME => {
            let q = NEXT_HOME.fetch_add(1, Ordering::Relaxed) % QUEUES;
            h.set(q);
            q
        }
        q => q,
    })
}

/// `home_queue()` as an index into `len` queues, without a `%` by a run-time length (a
/// hardware divide costs more than the rest of the claim).
#[inline]
fn home_index(len: usize) -> usize {
    let q = home_queue();
    if q < len {
        q
    } else {
        q % len
    }
}

/// What the fast path ([`Sequencer::request_fast`]) came to.
enum Fast {
    /// Answered at the first look, with status `Ok`: the whole request.
    Done(Outcome),
    /// Answered at the first look with a refusal.
    Refused(Outcome),
    /// Rung as claim `n` on `queue` (an index into the lane's queues) and not answered
    /// at the first look (or the ring could not be read): the claim is an ordinary
    /// pending one now.
    Rung { queue: usize, n: u64 },
    /// No fast claim (the queue was not free for one, or its doorbell could not be
    /// rung): nothing of this request is outstanding.
    NoClaim,
}

/// What one attempt on one card came to.
enum Attempt {
    Done(Outcome),
    /// The card did not answer in time, or is gone: worth trying the other card.
    Lost(Error),
}

impl Sequencer {
    /// Opens one card as node `node` with the default wait policy.
    pub fn open(target: Target, node: u8) -> Result<Sequencer> {
        Sequencer::builder().card(target, node).open()
    }

    pub fn builder() -> Builder {
        Builder::default()
    }

    pub fn policy(&self) -> WaitPolicy {
        self.policy
    }

    /// The next number.
    #[inline]
    pub fn next(&self) -> Result<u64> {
        Ok(self.next_batch(1)?.start)
    }

    /// `n` consecutive numbers, `[start, start + n)`.
    #[inline]
    pub fn next_batch(&self, n: u32) -> Result<Range<u64>> {
        check_count(n)?;
        let active = self.active.load(Ordering::Relaxed);
        match self.request_fast(active, n) {
            Fast::Done(o) => Ok(o.value..o.value + o.count as u64),
            first => self.next_batch_slow(active, n, first),
        }
    }

    /// [`Sequencer::next_batch`] past the fast path: the rest of the request on the
    /// active card, then (if that card is lost) the request on the other.
    #[inline(never)]
    fn next_batch_slow(&self, active: usize, n: u32, first: Fast) -> Result<Range<u64>> {
        let lanes = self.lanes.len();
        let mut last = None;
        let mut first = Some(first);
        for k in 0..lanes {
            let lane = (active + k) % lanes;
            let attempt = match first.take() {
                Some(f) if k == 0 => self.after_fast(lane, n, f)?,
                _ => {
                    self.switch_to(lane);
                    self.request(lane, n)?
                }
            };
            match attempt {
                Attempt::Done(o) => return outcome(o),
                Attempt::Lost(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or(Error::Timeout { waited_ms: 0 }))
    }

    /// The fast path (`queue` module docs, "the fast claim"): a fast claim on this
    /// thread's queue of card `lane`, its doorbell, and one look at the ring. No clock
    /// read, no lock, no syscall. [`Fast::Done`] is the whole request; anything else is
    /// finished by [`Sequencer::after_fast`]. A doorbell that cannot be rung gives the
    /// claim back and says [`Fast::NoClaim`]: the shared path rings again and reports it.
    #[inline]
    fn request_fast(&self, lane: usize, count: u32) -> Fast {
        let Some(l) = self.lanes.get(lane) else {
            return Fast::NoClaim;
        };
        let queue = home_index(l.queues.len());
        let Some(q) = l.queues.get(queue) else {
            return Fast::NoClaim;
        };
        let Some(n) = q.fast_claim() else {
            return Fast::NoClaim;
        };
        if l.port.doorbell(q.q, count, n as u16).is_err() {
            q.fast_abort(n);
            return Fast::NoClaim;
        }
        match q.fast_finish(&l.port, n) {
            Some(o) if o.status == Status::Ok as u8 => {
                q.stats.count_spinning();
                Fast::Done(o)
            }
            Some(o) => Fast::Refused(o),
            None => Fast::Rung { queue, n },
        }
    }

    /// The rest of a request after [`Sequencer::request_fast`] on card `lane`.
    fn after_fast(&self, lane: usize, count: u32, f: Fast) -> Result<Attempt> {
        match f {
            Fast::Done(o) => Ok(Attempt::Done(o)),
            Fast::Refused(o) => self.request_slow(lane, count, Some(o)),
            Fast::Rung { queue, n } => self.await_rung(lane, queue, n, count),
            Fast::NoClaim => self.request_shared(lane, count),
        }
    }

    fn switch_to(&self, lane: usize) {
        if self.active.swap(lane, Ordering::Relaxed) != lane {
            self.switches.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One request on one card, re-issued while the card refuses it for a passing
    /// reason (a failover in progress) until the deadline: the fast path first.
    fn request(&self, lane: usize, count: u32) -> Result<Attempt> {
        let f = self.request_fast(lane, count);
        self.after_fast(lane, count, f)
    }

    /// [`Sequencer::request`] when the fast claim could not be had (the queue is shared
    /// by threads with requests outstanding): a claim under the shared protocol, and the
    /// answer perhaps there at the first look, with no clock read at all.
    fn request_shared(&self, lane: usize, count: u32) -> Result<Attempt> {
        if let Some((queue, n)) = self.claim(lane) {
            if let Err(e) = self.ring(lane, queue, n, count) {
                return Ok(Attempt::Lost(e));
            }
            if let Some(o) = self.check(lane, queue, n)? {
                if o.status == Status::Ok as u8 {
                    self.lanes[lane].queues[queue].stats.count_spinning();
                    return Ok(Attempt::Done(o));
                }
                return self.request_slow(lane, count, Some(o));
            }
            return self.await_rung(lane, queue, n, count);
        }
        self.request_slow(lane, count, None)
    }

    /// Claim `n` on `queue` is rung and not answered at the first look: wait for it
    /// under the wait policy, then as [`Sequencer::request_slow`] says.
    fn await_rung(&self, lane: usize, queue: usize, n: u64, count: u32) -> Result<Attempt> {
        let deadline = Instant::now() + self.policy.timeout;
        match self.wait_claim(lane, queue, n, deadline) {
            Ok(o) if o.status == Status::Ok as u8 => Ok(Attempt::Done(o)),
            Ok(o) => self.request_slow(lane, count, Some(o)),
            Err(e) => Ok(Attempt::Lost(e)),
        }
    }

    /// The rest of [`Sequencer::request`]: no queue had room, or the answer was a
    /// refusal. Re-issues while the refusal is a passing one (roles changing in a
    /// failover) until the deadline.
    fn request_slow(&self, lane: usize, count: u32, first: Option<Outcome>) -> Result<Attempt> {
        let deadline = Instant::now() + self.policy.timeout;
        let mut answer = first;
        loop {
            if let Some(o) = answer.take() {
                match Status::from_code(o.status) {
                    Some(
                        Status::NotPrimary
                        | Status::StaleEpoch
                        | Status::Busy
                        | Status::NotSecondary
                        | Status::NoLease,
                    ) if Instant::now() < deadline => {
                        // Ask again: a new number; the refused one was never issued.
                        std::thread::sleep(Duration::from_micros(50));
                    }
                    Some(Status::Timeout) => return Ok(Attempt::Lost(self.lost(lane, deadline))),
                    _ => return Ok(Attempt::Done(o)),
                }
            }
            let Some((queue, n)) = self.claim(lane) else {
                // Every queue full: other threads' requests will free cells.
                if Instant::now() >= deadline {
                    return Ok(Attempt::Lost(Error::QueueFull { depth: CELLS }));
                }
                self.pump_all(lane);
                std::hint::spin_loop();
                continue;
            };
            if let Err(e) = self.ring(lane, queue, n, count) {
                return Ok(Attempt::Lost(e));
            }
            match self.wait_claim(lane, queue, n, deadline) {
                Ok(o) => answer = Some(o),
                Err(e) => return Ok(Attempt::Lost(e)),
            }
        }
    }

    fn claim(&self, lane: usize) -> Option<(usize, u64)> {
        let queues = &self.lanes[lane].queues;
        let len = queues.len();
        let mut q = home_index(len);
        for _ in 0..len {
            if let Some(n) = queues[q].claim() {
                return Some((q, n));
            }
            q += 1;
            if q == len {
                q = 0;
            }
        }
        None
    }

    fn ring(&self, lane: usize, queue: usize, n: u64, count: u32) -> Result<()> {
        let l = &self.lanes[lane];
        if let Err(e) = l.port.doorbell(l.queues[queue].q, count, n as u16) {
            l.queues[queue].unclaim(n);
            return Err(self.gone(lane, e.to_string()));
        }
        Ok(())
    }

    fn pump_all(&self, lane: usize) {
        let l = &self.lanes[lane];
        for q in &l.queues {
            let _ = q.pump(&l.port);
        }
    }

    /// Waits for claim `n` on `queue`: spin, arm, re-check, sleep (see [`WaitPolicy`]).
    /// A request that ends in an error is given up, so its cell comes back when (if)
    /// its answer does.
    fn wait_claim(&self, lane: usize, queue: usize, n: u64, deadline: Instant) -> Result<Outcome> {
        let r = self.wait_claim_inner(lane, queue, n, deadline);
        if r.is_err() {
            let q = &self.lanes[lane].queues[queue];
            q.sleep_on(n, false);
            let _ = q.abandon(n);
        }
        r
    }

    fn wait_claim_inner(
        &self,
        lane: usize,
        queue: usize,
        n: u64,
        deadline: Instant,
    ) -> Result<Outcome> {
        let l = &self.lanes[lane];
        let q = &l.queues[queue];
        let spin_until = Instant::now() + self.policy.spin;
        // 1. Spin.
        loop {
            if let Some(o) = self.check(lane, queue, n)? {
                q.stats.count_spinning();
                return Ok(o);
            }
            if Instant::now() >= spin_until {
                break;
            }
            std::hint::spin_loop();
        }
        // 2.-3. Arm, re-check, sleep; again while time remains. Marked asleep first: a
        // thread that moves this request's answer out of the ring then wakes us.
        let hw = q.q;
        let irq = l.port.irq(hw)?;
        q.sleep_on(n, true);
        loop {
            irq.take();
            l.port
                .arm_irq(hw)
                .map_err(|e| self.gone(lane, e.to_string()))?;
            if let Some(o) = self.check(lane, queue, n)? {
                q.stats.rechecks_hit.fetch_add(1, Ordering::Relaxed);
                return Ok(o);
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            q.stats.sleeps.fetch_add(1, Ordering::Relaxed);
            if irq.wait((deadline - now).min(SLEEP_SLICE))? > 0 {
                q.stats.wakeups.fetch_add(1, Ordering::Relaxed);
            }
            if let Some(o) = self.check(lane, queue, n)? {
                return Ok(o);
            }
        }
        // 4. Give up.
        if let Some(o) = q.abandon(n) {
            return Ok(o);
        }
        q.stats.timeouts.fetch_add(1, Ordering::Relaxed);
        Err(self.lost(lane, deadline))
    }

    fn check(&self, lane: usize, queue: usize, n: u64) -> Result<Option<Outcome>> {
        let l = &self.lanes[lane];
        let q = &l.queues[queue];
        if let Some(o) = q.take(n) {
            return Ok(Some(o));
        }
        if let Some(o) = q
            .pump_for(&l.port, n)
            .map_err(|e| self.gone(lane, e.to_string()))?
        {
            return Ok(Some(o));
        }
        Ok(q.take(n))
    }

    /// Why a card stopped answering: gone (reads all ones or fail), links down, or a
    /// plain timeout.
    fn lost(&self, lane: usize, deadline: Instant) -> Error {
        let waited = self
            .policy
            .timeout
            .saturating_sub(deadline.saturating_duration_since(Instant::now()));
        match self.lanes[lane].port.health() {
            Health::Alive => {}
            Health::Gone(detail) => return self.gone(lane, detail),
            Health::LinksDown => return self.gone(lane, "both fabric links are down".into()),
        }
        Error::Timeout {
            waited_ms: waited.as_millis() as u64,
        }
    }

    fn gone(&self, lane: usize, detail: String) -> Error {
        Error::DeviceGone {
            device: self.lanes[lane].port.device().to_string(),
            detail,
        }
    }

    /// Submits a request for `count` numbers without waiting (the pipelined API): up
    /// to `CELLS` per queue outstanding. Completions are matched by tag.
    /// [`Error::QueueFull`] when no queue has room, which includes (rarely) every queue
    /// staying held by other threads' fast claims for as long as a shared claim looks
    /// (a thread preempted inside one; `queue` module docs).
    pub fn submit(&self, count: u32) -> Result<Ticket<'_>> {
        check_count(count)?;
        let lane = self.active.load(Ordering::Relaxed);
        let Some((queue, n)) = self.claim(lane) else {
            return Err(Error::QueueFull { depth: CELLS });
        };
        self.ring(lane, queue, n, count)?;
        Ok(Ticket {
            seq: self,
            lane,
            queue,
            n,
            count,
            issued: Instant::now(),
            done: false,
        })
    }

    /// The ticket again, from [`Ticket::into_raw`]. `raw` must come from this sequencer
    /// (the C ABI checks); one from another would name another sequencer's cell (a
    /// wrong answer or a panic on the index, never memory unsafety).
    pub(crate) fn ticket_from_raw(&self, raw: RawTicket) -> Ticket<'_> {
        Ticket {
            seq: self,
            lane: raw.lane,
            queue: raw.queue,
            n: raw.n,
            count: raw.count,
            issued: raw.issued,
            done: false,
        }
    }

    /// The ticket's range if its answer is there; `Ok(None)` if not yet.
    pub fn poll(&self, t: &mut Ticket<'_>) -> Result<Option<Range<u64>>> {
        if t.done {
            return Err(Error::BadArgument("ticket already answered".into()));
        }
        match self.check(t.lane, t.queue, t.n)? {
            Some(o) => {
                t.done = true;
                outcome(o).map(Some)
            }
            None => Ok(None),
        }
    }

    /// Waits for the ticket's range under the wait policy (from when it was issued).
    /// A refused or lost request is not re-issued here: the error is returned.
    pub fn wait(&self, mut t: Ticket<'_>) -> Result<Range<u64>> {
        let deadline = t.issued + self.policy.timeout;
        let r = self.wait_claim(t.lane, t.queue, t.n, deadline);
        t.done = true;
        let o = r?;
        debug_assert_eq!(o.count, t.count);
        outcome(o)
    }

    /// The wait-policy counters so far.
    pub fn stats(&self) -> Stats {
        let mut s = Stats {
            card_switches: self.switches.load(Ordering::Relaxed),
            ..Stats::default()
        };
        for l in &self.lanes {
            for q in &l.queues {
                let g = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
                s.completed_spinning += g(&q.stats.completed_spinning);
                s.sleeps += g(&q.stats.sleeps);
                s.wakeups += g(&q.stats.wakeups);
                s.rechecks_hit += g(&q.stats.rechecks_hit);
                s.timeouts += g(&q.stats.timeouts);
                s.strays += g(&q.stats.strays);
            }
        }
        s
    }

    /// Requests outstanding on the active card (submitted and not yet answered).
    pub fn outstanding(&self) -> usize {
        let lane = self.active.load(Ordering::Relaxed);
        self.lanes[lane].queues.iter().map(Queue::outstanding).sum()
    }

    /// The card requests go to now (0 or 1).
    pub fn active_card(&self) -> usize {
        self.active.load(Ordering::Relaxed)
    }

    /// The devices requests can go to, in order.
    pub fn devices(&self) -> Vec<String> {
        self.lanes
            .iter()
            .map(|l| l.port.device().to_string())
            .collect()
    }
}

#[inline]
fn check_count(n: u32) -> Result<()> {
    if n == 0 || n > MAX_COUNT {
        return Err(bad_count(n));
    }
    Ok(())
}

/// `check_count`'s error, out of line: the check is on the fast path.
#[cold]
#[inline(never)]
fn bad_count(n: u32) -> Error {
    Error::BadArgument(format!(
        "count {n}: a request asks for 1..={MAX_COUNT} numbers"
    ))
}

fn outcome(o: Outcome) -> Result<Range<u64>> {
    match Status::from_code(o.status) {
        Some(Status::Ok) => Ok(o.value..o.value + o.count as u64),
        Some(Status::LimitReached) | Some(Status::WouldWrap) => Err(Error::LimitReached),
        Some(Status::NotConfigured) => Err(Error::NotConfigured),
        Some(Status::NoLease) => Err(Error::NoLease),
        Some(Status::Timeout) => Err(Error::Timeout { waited_ms: 0 }),
        Some(status) => Err(Error::Refused { status }),
        None => Err(Error::Refused {
            status: Status::Busy,
        }),
    }
}
