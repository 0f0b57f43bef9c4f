//! The C ABI: `include/seqfab.h` is generated from this file by cbindgen (and checked
//! in; `tests/header.rs` fails when it is stale). The rules are in README.md, section
//! "C ABI".
//!
//! In the style of rustls-ffi (STYLE.md point 12):
//! - **Opaque handles.** A `seqfab_sequencer *` is an `Arc<seqfab_sequencer>` turned into
//!   a raw pointer (`Arc::into_raw`); a `seqfab_ticket *` is a `Box<seqfab_ticket>` that
//!   holds a clone of that `Arc`, so a ticket keeps its sequencer alive without a
//!   lifetime (and without transmuting one): the request itself is carried as a
//!   [`RawTicket`], turned back into a [`crate::Ticket`] for each call.
//! - **Error codes.** Every function that can fail returns a [`seqfab_result`];
//!   `seqfab_strerror` names a code with a static string, `seqfab_last_error` gives the
//!   detailed message of the calling thread's latest call.
//! - **No panic crosses the boundary.** Every exported function runs its body under
//!   `catch_unwind` ([`guard`]); a panic becomes `SEQFAB_RESULT_PANIC`.
//! - **Checked pointers.** Every pointer is checked for null (and alignment) before use;
//!   outputs are checked before any number is taken, so a bad output pointer never
//!   loses numbers.
//!
//! What cannot be checked is the C side's half of the contract: a handle must come from
//! this library and not have been released (use after `seqfab_close` /
//! `seqfab_ticket_free` / `seqfab_wait`, or a double release, is undefined behaviour, as
//! with `free`), and strings must be NUL-terminated.

#![allow(non_camel_case_types)] // C names: `seqfab_result`, `seqfab_sequencer`, ...
#![deny(unsafe_op_in_unsafe_fn)]

use crate::error::Error;
use crate::sequencer::{RawTicket, Sequencer, Stats};
use crate::QUEUE_DEPTH;
use seqfab_contract::limits::MAX_COUNT;
use seqfab_driver::Target;
use std::cell::RefCell;
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::{self, NonNull};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The most numbers one request may ask for (`seqfab_next_batch`, `seqfab_submit`).
pub const SEQFAB_MAX_COUNT: u32 = 16_777_215;
/// Requests one queue holds outstanding; a sequencer holds 4 queues on its card
/// (`seqfab_submit` returns `SEQFAB_RESULT_QUEUE_FULL` beyond that).
pub const SEQFAB_QUEUE_DEPTH: u32 = 32;

// The header carries literals (cbindgen cannot evaluate another crate's constants);
// these keep them equal to the contract's.
const _: () = assert!(SEQFAB_MAX_COUNT == MAX_COUNT);
const _: () = assert!(SEQFAB_QUEUE_DEPTH as usize == QUEUE_DEPTH);

// A `seqfab_sequencer *` may be used by many threads at once, and a ticket moved
// between threads (README.md): that holds because the handles are `Send + Sync`; this
// stops the build if a change to `Sequencer` ever makes them not.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<seqfab_sequencer>();
    send_sync::<seqfab_ticket>();
};

/// What a call came to. `SEQFAB_RESULT_OK` is 0; every other code is a failure, named by
/// `seqfab_strerror` and detailed by `seqfab_last_error`. Codes keep their values in
/// later versions; new codes may be added.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum seqfab_result {
    /// Success.
    Ok = 0,
    /// No answer within the timeout (on every card). The numbers of the request, if the
    /// card answers later, become a gap, never a duplicate.
    Timeout = 1,
    /// The primary reached the window limit the management process set and no raise
    /// came in time (is the manager running?).
    LimitReached = 2,
    /// The card reads all ones or its connection is gone: removed, reset, or died.
    DeviceGone = 3,
    /// Every queue is at its depth of outstanding requests: wait for tickets first.
    QueueFull = 4,
    /// The card has no configuration yet (the management process has not set roles).
    /// Passing: retry for a while after start-up.
    NotConfigured = 5,
    /// The card refused the request for a reason that did not clear before the timeout.
    Refused = 6,
    /// An argument is out of range: a count of 0 or above `SEQFAB_MAX_COUNT`, a target
    /// that is not UTF-8, a ticket of another sequencer, a ticket already answered.
    BadArgument = 7,
    /// Opening or driving the card failed (no such device or socket, not bound to
    /// vfio-pci, a card of another contract version, ...).
    Driver = 8,
    /// A pointer argument that must not be NULL was NULL (or was misaligned).
    NullArgument = 9,
    /// seqfab panicked: a bug in seqfab (please report it with `seqfab_last_error`'s
    /// message). The handle involved is still safe to release.
    Panic = 10,
    /// The host agent (the process that hands out queues to unprivileged processes)
    /// could not be reached, or broke its protocol.
    Agent = 11,
    /// The host agent refused: not allowed, the per-process limit, no free queue.
    Denied = 12,
    /// No card holds a lease to issue numbers: this side of the fabric is cut off from a
    /// majority of the cards, or a failover is still in progress.
    NoLease = 13,
}

impl seqfab_result {
    const ALL: [seqfab_result; 14] = [
        seqfab_result::Ok,
        seqfab_result::Timeout,
        seqfab_result::LimitReached,
        seqfab_result::DeviceGone,
        seqfab_result::QueueFull,
        seqfab_result::NotConfigured,
        seqfab_result::Refused,
        seqfab_result::BadArgument,
        seqfab_result::Driver,
        seqfab_result::NullArgument,
        seqfab_result::Panic,
        seqfab_result::Agent,
        seqfab_result::Denied,
        seqfab_result::NoLease,
    ];

    /// The code of a C integer, if it is one.
    fn from_code(code: u32) -> Option<seqfab_result> {
        Self::ALL.into_iter().find(|r| *r as u32 == code)
    }

    /// What `seqfab_strerror` says.
    fn describe(self) -> &'static CStr {
        match self {
            seqfab_result::Ok => c"success",
            seqfab_result::Timeout => c"no answer within the timeout",
            seqfab_result::LimitReached => c"the primary reached its window limit",
            seqfab_result::DeviceGone => c"the card is gone",
            seqfab_result::QueueFull => c"every queue is full",
            seqfab_result::NotConfigured => c"the card is not configured yet",
            seqfab_result::Refused => c"the card refused the request",
            seqfab_result::BadArgument => c"bad argument",
            seqfab_result::Driver => c"opening or driving the card failed",
            seqfab_result::NullArgument => c"a required pointer argument is NULL",
            seqfab_result::Panic => c"seqfab panicked (a bug in seqfab)",
            seqfab_result::Agent => c"the host agent could not be reached",
            seqfab_result::Denied => c"the host agent refused",
            seqfab_result::NoLease => {
                c"no card holds a lease: cut off from a majority of the cards, or failing over"
            }
        }
    }
}

/// The wait policy and cards of `seqfab_open`. Fill it with `seqfab_options_init`
/// first, then change what you need: every field is taken as it is (a zeroed struct is
/// not the defaults).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct seqfab_options {
    /// Spin this long (ns) on the answer before sleeping on the queue's interrupt.
    /// Default 20000 (20 microseconds).
    pub spin_ns: u64,
    /// Give up after this long (ns) on one card, with `SEQFAB_RESULT_TIMEOUT`. Default
    /// 1000000000 (1 s). With two cards, a request that times out on one is tried once
    /// on the other.
    pub timeout_ns: u64,
    /// The second card of a host on a duplicate fabric, as for `seqfab_open`'s
    /// `target`, or NULL for one card (the default). Only read during `seqfab_open`.
    pub second_target: *const c_char,
    /// Ring entries per queue, as log2. Default 10; at least 6.
    pub ring_log2: u32,
    /// The second card's node id on its fabric (read only with `second_target`).
    pub second_node: u8,
}

impl Default for seqfab_options {
    fn default() -> Self {
        let policy = crate::WaitPolicy::default();
        seqfab_options {
            spin_ns: policy.spin.as_nanos() as u64,
            timeout_ns: policy.timeout.as_nanos() as u64,
            second_target: ptr::null(),
            ring_log2: 10,
            second_node: 0,
        }
    }
}

/// The wait-policy counters of a sequencer, summed over its queues (`seqfab_get_stats`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct seqfab_stats {
    /// Requests answered while their caller was still spinning.
    pub completed_spinning: u64,
    /// Times a caller went to sleep on an interrupt.
    pub sleeps: u64,
    /// Sleeps ended by an interrupt (not the deadline).
    pub wakeups: u64,
    /// Sleeps avoided because the answer landed just before the interrupt was armed.
    pub rechecks_hit: u64,
    /// Requests given up with `SEQFAB_RESULT_TIMEOUT`.
    pub timeouts: u64,
    /// Answers with no request waiting for them.
    pub strays: u64,
    /// Moves to the other card.
    pub card_switches: u64,
}

impl From<Stats> for seqfab_stats {
    fn from(s: Stats) -> Self {
        seqfab_stats {
            completed_spinning: s.completed_spinning,
            sleeps: s.sleeps,
            wakeups: s.wakeups,
            rechecks_hit: s.rechecks_hit,
            timeouts: s.timeouts,
            strays: s.strays,
            card_switches: s.card_switches,
        }
    }
}

/// An open sequencer: one card, or two. Opaque; from `seqfab_open`, released with
/// `seqfab_close`. May be shared by any number of threads at once.
pub struct seqfab_sequencer {
    seq: Sequencer,
}

/// A request in flight, from `seqfab_submit`. Opaque; answered with `seqfab_poll` or
/// `seqfab_wait`, released with `seqfab_wait` or `seqfab_ticket_free`. It holds a
/// reference on its sequencer.
pub struct seqfab_ticket {
    owner: Arc<seqfab_sequencer>,
    /// The request; `None` once answered or given up. A mutex so that two threads
    /// polling one ticket by mistake race on nothing.
    raw: Mutex<Option<RawTicket>>,
}

impl Drop for seqfab_ticket {
    fn drop(&mut self) {
        let raw = self
            .raw
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(raw) = raw {
            // Dropping the ticket gives the request up (its numbers become a gap).
            drop(self.owner.seq.ticket_from_raw(raw));
        }
    }
}

/// Why a call failed: its code and the message `seqfab_last_error` returns.
struct Failure {
    code: seqfab_result,
    message: String,
}

fn fail(code: seqfab_result, message: impl Into<String>) -> Failure {
    Failure {
        code,
        message: message.into(),
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let code = match &e {
            Error::Timeout { .. } => seqfab_result::Timeout,
            Error::LimitReached => seqfab_result::LimitReached,
            Error::DeviceGone { .. } => seqfab_result::DeviceGone,
            Error::QueueFull { .. } => seqfab_result::QueueFull,
            Error::NotConfigured => seqfab_result::NotConfigured,
            Error::NoLease => seqfab_result::NoLease,
            Error::Refused { .. } => seqfab_result::Refused,
            Error::BadArgument(_) => seqfab_result::BadArgument,
            Error::Driver(_) => seqfab_result::Driver,
            Error::Agent(_) => seqfab_result::Agent,
            Error::Denied { .. } => seqfab_result::Denied,
        };
        // The whole chain: a driver error's cause (an errno, a path) is often the part
        // that says what to do.
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            let s_text = s.to_string();
            if !message.contains(&s_text) {
                message.push_str(": ");
                message.push_str(&s_text);
            }
            source = s.source();
        }
        fail(code, message)
    }
}

type Outcome = Result<(), Failure>;

thread_local! {
    /// The detailed message of this thread's latest call (empty after a success).
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

fn set_last_error(message: String) {
    // `try_with`: a call from a thread-local destructor finds no slot; it keeps no
    // message rather than panic.
    let _ = LAST_ERROR.try_with(|e| *e.borrow_mut() = message);
}

/// The panic boundary of every exported function: runs `body`, records its message for
/// `seqfab_last_error`, and turns a panic into `SEQFAB_RESULT_PANIC`.
fn guard(body: impl FnOnce() -> Outcome) -> seqfab_result {
    let (code, message) = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => (seqfab_result::Ok, String::new()),
        Ok(Err(f)) => (f.code, f.message),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".into());
            (
                seqfab_result::Panic,
                format!("seqfab panicked (a bug in seqfab, please report it): {what}"),
            )
        }
    };
    set_last_error(message);
    code
}

fn null(what: &str) -> Failure {
    fail(
        seqfab_result::NullArgument,
        format!("`{what}` is NULL (or misaligned)"),
    )
}

/// `p` as a pointer that may be written, once checked for null and alignment.
fn out_ptr<T>(p: *mut T, what: &str) -> Result<NonNull<T>, Failure> {
    match NonNull::new(p) {
        Some(p) if p.as_ptr().is_aligned() => Ok(p),
        _ => Err(null(what)),
    }
}

/// # Safety
/// `p` is NULL or a live sequencer handle from `seqfab_open`, not closed while `'a`
/// lasts.
unsafe fn sequencer<'a>(p: *const seqfab_sequencer) -> Result<&'a seqfab_sequencer, Failure> {
    if !p.is_aligned() {
        return Err(null("seq"));
    }
    // SAFETY: aligned; null or live by the caller's contract (`as_ref` checks null).
    unsafe { p.as_ref() }.ok_or_else(|| null("seq"))
}

/// A new reference on the sequencer (for a ticket).
///
/// # Safety
/// As for [`sequencer`].
unsafe fn sequencer_arc(p: *const seqfab_sequencer) -> Result<Arc<seqfab_sequencer>, Failure> {
    // SAFETY: the caller's contract; this checks null and alignment.
    unsafe { sequencer(p) }?;
    // SAFETY: `p` came from `Arc::into_raw` in `seqfab_open` and its reference is still
    // held (the caller's contract), so the count can be raised and the new reference
    // taken over by the returned `Arc`.
    unsafe {
        Arc::increment_strong_count(p);
        Ok(Arc::from_raw(p))
    }
}

/// A ticket argument that the call only borrows.
///
/// # Safety
/// `p` is NULL or a live ticket from `seqfab_submit`, not released while `'a` lasts.
unsafe fn ticket<'a>(p: *const seqfab_ticket) -> Result<&'a seqfab_ticket, Failure> {
    if !p.is_aligned() {
        return Err(null("ticket"));
    }
    // SAFETY: aligned; null or live by the caller's contract (`as_ref` checks null).
    unsafe { p.as_ref() }.ok_or_else(|| null("ticket"))
}

/// The ticket must be used with the sequencer that issued it. Only compares the
/// pointer: `seq` is never read (the ticket holds its own reference on the sequencer).
fn check_owner(seq: *const seqfab_sequencer, t: &seqfab_ticket) -> Outcome {
    if seq.is_null() {
        return Err(null("seq"));
    }
    if !ptr::eq(seq, Arc::as_ptr(&t.owner)) {
        return Err(fail(
            seqfab_result::BadArgument,
            "the ticket was submitted on another sequencer",
        ));
    }
    Ok(())
}

fn spent() -> Failure {
    fail(
        seqfab_result::BadArgument,
        "the ticket was already answered or given up: release it with seqfab_ticket_free",
    )
}

/// # Safety
/// `p` is NULL or a NUL-terminated string that lives while `'a` lasts.
unsafe fn c_str<'a>(p: *const c_char, what: &str) -> Result<&'a str, Failure> {
    if p.is_null() {
        return Err(null(what));
    }
    // SAFETY: non-null; NUL-terminated and live by the caller's contract.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str()
        .map_err(|_| fail(seqfab_result::BadArgument, format!("`{what}` is not UTF-8")))
}

fn target(s: &str, what: &str) -> Result<Target, Failure> {
    if s.is_empty() {
        return Err(fail(
            seqfab_result::BadArgument,
            format!("`{what}` is empty: give a PCI address (0000:03:00.0) or a card's .sock path"),
        ));
    }
    s.parse::<Target>()
        .map_err(|e| fail(seqfab_result::BadArgument, format!("`{what}` {s:?}: {e}")))
}

/// Hands a sequencer to C.
fn into_handle(seq: Sequencer) -> *mut seqfab_sequencer {
    Arc::into_raw(Arc::new(seqfab_sequencer { seq })).cast_mut()
}

/// The library's version, e.g. "0.1.0" (a static string).
#[no_mangle]
pub extern "C" fn seqfab_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// A static description of a result code (never NULL; an unknown code gives
/// "unknown seqfab_result code"). Do not free it.
#[no_mangle]
pub extern "C" fn seqfab_strerror(result: u32) -> *const c_char {
    // A plain integer, not the enum: C may pass any value, and an enum argument out of
    // its range would be undefined behaviour on the Rust side.
    seqfab_result::from_code(result)
        .map_or(c"unknown seqfab_result code", seqfab_result::describe)
        .as_ptr()
}

/// The detailed message of the calling thread's latest call that returned a
/// `seqfab_result` (empty after a success; other threads' calls do not change it).
///
/// Copies at most `len - 1` bytes of it (cut at a character boundary) and a NUL into
/// `buf`, and returns the whole message's length in bytes (without the NUL), like
/// `snprintf`: a return value of `len` or more means it was cut. `buf` may be NULL
/// when `len` is 0, to ask for the length.
///
/// # Safety
/// `buf` is NULL or points to `len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn seqfab_last_error(buf: *mut c_char, len: usize) -> usize {
    let copy = || {
        LAST_ERROR.with(|e| {
            let message = e.borrow();
            if !buf.is_null() && len > 0 {
                let mut n = message.len().min(len - 1);
                while !message.is_char_boundary(n) {
                    n -= 1;
                }
                // SAFETY: `buf` has `len` writable bytes (the caller's contract) and
                // `n + 1 <= len`; a `String` and C memory the caller owns cannot overlap.
                unsafe {
                    ptr::copy_nonoverlapping(message.as_ptr(), buf.cast::<u8>(), n);
                    buf.add(n).write(0);
                }
            }
            message.len()
        })
    };
    catch_unwind(AssertUnwindSafe(copy)).unwrap_or(0)
}

/// Fills `options` with the defaults: spin 20 microseconds, timeout 1 s, rings of 2^10 entries,
/// one card.
///
/// # Safety
/// `options` is NULL or points to a writable `seqfab_options`.
#[no_mangle]
pub unsafe extern "C" fn seqfab_options_init(options: *mut seqfab_options) -> seqfab_result {
    guard(|| {
        let options = out_ptr(options, "options")?;
        // SAFETY: non-null and aligned; writable by the caller's contract.
        unsafe { options.as_ptr().write(seqfab_options::default()) };
        Ok(())
    })
}

/// `*options`, or the defaults for NULL.
///
/// # Safety
/// `options` is NULL or points to a readable `seqfab_options`.
unsafe fn read_options(options: *const seqfab_options) -> Result<seqfab_options, Failure> {
    if options.is_null() {
        Ok(seqfab_options::default())
    } else if !options.is_aligned() {
        Err(null("options"))
    } else {
        // SAFETY: non-null and aligned; points to a `seqfab_options` (the caller's
        // contract). Every bit pattern of its fields is a valid value.
        Ok(unsafe { options.read() })
    }
}

/// Opens the card `target` as node `node` on its fabric and brings it up; this process
/// owns the card until `seqfab_close`. `target` is a PCI address bound to vfio-pci
/// ("0000:03:00.0") or the path of a simulated card's socket (".../card0.sock").
/// `options` may be NULL for the defaults (see `seqfab_options_init`).
///
/// On success `*out` is the new sequencer; on failure it is NULL, and
/// `seqfab_last_error` says why. A card that is open but not configured yet answers
/// requests with `SEQFAB_RESULT_NOT_CONFIGURED` until the management process sets roles.
///
/// # Safety
/// `target` (and `options->second_target`, if set) is NULL or a NUL-terminated string;
/// `options` is NULL or points to a `seqfab_options`; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn seqfab_open(
    target: *const c_char,
    node: u8,
    options: *const seqfab_options,
    out: *mut *mut seqfab_sequencer,
) -> seqfab_result {
    guard(|| {
        let out = out_ptr(out, "out")?;
        // SAFETY: non-null and aligned; writable by the caller's contract.
        unsafe { out.as_ptr().write(ptr::null_mut()) };
        // SAFETY: NULL or a NUL-terminated string (the caller's contract).
        let first = self::target(unsafe { c_str(target, "target") }?, "target")?;
        // SAFETY: NULL or a `seqfab_options` (the caller's contract).
        let o = unsafe { read_options(options) }?;
        let mut b = Sequencer::builder()
            .card(first, node)
            .spin(Duration::from_nanos(o.spin_ns))
            .timeout(Duration::from_nanos(o.timeout_ns))
            .ring_log2(o.ring_log2);
        if !o.second_target.is_null() {
            // SAFETY: non-null; NUL-terminated by the caller's contract.
            let s = unsafe { c_str(o.second_target, "options->second_target") }?;
            b = b.card(self::target(s, "options->second_target")?, o.second_node);
        }
        let seq = b.open()?;
        // SAFETY: as above.
        unsafe { out.as_ptr().write(into_handle(seq)) };
        Ok(())
    })
}

/// Asks this host's agent (`seqfabd`, listening on `socket`) for `queues` queues of its
/// card and returns a sequencer over them: how many processes on one host share a card.
/// `options` may be NULL; its card fields (`second_target`, `ring_log2`) are not used
/// here. A refusal (not in the agent's group, the per-process limit, no free queue)
/// is `SEQFAB_RESULT_DENIED`, with the agent's reason in `seqfab_last_error`.
///
/// # Safety
/// `socket` is NULL or a NUL-terminated string; `options` is NULL or points to a
/// `seqfab_options`; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn seqfab_open_agent(
    socket: *const c_char,
    queues: u32,
    options: *const seqfab_options,
    out: *mut *mut seqfab_sequencer,
) -> seqfab_result {
    guard(|| {
        let out = out_ptr(out, "out")?;
        // SAFETY: non-null and aligned; writable by the caller's contract.
        unsafe { out.as_ptr().write(ptr::null_mut()) };
        // SAFETY: NULL or a NUL-terminated string (the caller's contract).
        let socket = unsafe { c_str(socket, "socket") }?;
        // SAFETY: NULL or a `seqfab_options` (the caller's contract).
        let o = unsafe { read_options(options) }?;
        let seq = Sequencer::builder()
            .agent(socket, queues.max(1) as usize)
            .spin(Duration::from_nanos(o.spin_ns))
            .timeout(Duration::from_nanos(o.timeout_ns))
            .open()?;
        // SAFETY: as above.
        unsafe { out.as_ptr().write(into_handle(seq)) };
        Ok(())
    })
}

/// Releases the caller's reference on the sequencer; the cards are closed once no
/// ticket holds one either (release every ticket first: the ticket rule at
/// `seqfab_submit`). NULL is ignored. No other thread may still be using
/// `seq`, and `seq` must not be used afterwards.
///
/// # Safety
/// `seq` is NULL or a sequencer from `seqfab_open` that was not closed yet.
#[no_mangle]
pub unsafe extern "C" fn seqfab_close(seq: *mut seqfab_sequencer) {
    let _ = guard(|| {
        if !seq.is_null() && seq.is_aligned() {
            // SAFETY: from `Arc::into_raw` in `seqfab_open`, and this is the caller's
            // one release of its reference (the caller's contract).
            drop(unsafe { Arc::from_raw(seq.cast_const()) });
        }
        Ok(())
    });
}

/// Takes the next number into `*out`.
///
/// # Safety
/// `seq` is NULL or a live sequencer; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn seqfab_next(seq: *const seqfab_sequencer, out: *mut u64) -> seqfab_result {
    guard(|| {
        // SAFETY: NULL or live (the caller's contract).
        let seq = unsafe { sequencer(seq) }?;
        let out = out_ptr(out, "out")?;
        let n = seq.seq.next()?;
        // SAFETY: non-null and aligned; writable by the caller's contract.
        unsafe { out.as_ptr().write(n) };
        Ok(())
    })
}

/// Takes `n` consecutive numbers, `[*start, *start + n)`, with one request. `n` is
/// 1..=`SEQFAB_MAX_COUNT`.
///
/// # Safety
/// `seq` is NULL or a live sequencer; `start` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn seqfab_next_batch(
    seq: *const seqfab_sequencer,
    n: u32,
    start: *mut u64,
) -> seqfab_result {
    guard(|| {
        // SAFETY: NULL or live (the caller's contract).
        let seq = unsafe { sequencer(seq) }?;
        let start = out_ptr(start, "start")?;
        let r = seq.seq.next_batch(n)?;
        // SAFETY: non-null and aligned; writable by the caller's contract.
        unsafe { start.as_ptr().write(r.start) };
        Ok(())
    })
}

/// Submits a request for `count` numbers without waiting (the pipelined API): up to
/// `SEQFAB_QUEUE_DEPTH` per queue outstanding, then `SEQFAB_RESULT_QUEUE_FULL`.
/// On success `*out` is a new ticket, else NULL.
///
/// **The ticket rule:** every ticket is released exactly once, by `seqfab_wait` or
/// `seqfab_ticket_free`, and before its sequencer is closed. A ticket holds a
/// reference on its sequencer, so releasing them in the other order is safe, but the
/// cards stay open until the last ticket goes.
///
/// # Safety
/// `seq` is NULL or a live sequencer; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn seqfab_submit(
    seq: *const seqfab_sequencer,
    count: u32,
    out: *mut *mut seqfab_ticket,
) -> seqfab_result {
    guard(|| {
        let out = out_ptr(out, "out")?;
        // SAFETY: non-null and aligned; writable by the caller's contract.
        unsafe { out.as_ptr().write(ptr::null_mut()) };
        // SAFETY: NULL or live (the caller's contract).
        let owner = unsafe { sequencer_arc(seq) }?;
        let raw = owner.seq.submit(count)?.into_raw();
        let raw = raw.ok_or_else(|| fail(seqfab_result::Panic, "a new ticket was answered"))?;
        let t = Box::new(seqfab_ticket {
            owner,
            raw: Mutex::new(Some(raw)),
        });
        // SAFETY: as above.
        unsafe { out.as_ptr().write(Box::into_raw(t)) };
        Ok(())
    })
}

/// Checks whether the ticket's answer is there, without waiting. If it is, `*ready`
/// is true and the range is `[*start, *start + count)`; if not yet, `*ready` is false
/// (and `*start` is not written). After `*ready` is true or an error, the ticket is
/// spent: release it with `seqfab_ticket_free` (waiting on it returns
/// `SEQFAB_RESULT_BAD_ARGUMENT`). `seq` must be the ticket's sequencer.
///
/// # Safety
/// `ticket` is NULL or a live ticket; `start` and `ready` are NULL or writable. `seq`
/// is only compared with the ticket's sequencer, never read.
#[no_mangle]
pub unsafe extern "C" fn seqfab_poll(
    seq: *const seqfab_sequencer,
    ticket: *mut seqfab_ticket,
    start: *mut u64,
    ready: *mut bool,
) -> seqfab_result {
    guard(|| {
        // SAFETY: NULL or live (the caller's contract).
        let t = unsafe { self::ticket(ticket) }?;
        check_owner(seq, t)?;
        let start = out_ptr(start, "start")?;
        let ready = out_ptr(ready, "ready")?;
        // SAFETY: non-null and aligned; writable by the caller's contract.
        unsafe { ready.as_ptr().write(false) };
        let mut slot = t.raw.lock().unwrap_or_else(PoisonError::into_inner);
        let s = &t.owner.seq;
        let mut pending = s.ticket_from_raw(slot.take().ok_or_else(spent)?);
        // On an error `pending` drops here and gives the request up: the ticket is
        // spent either way.
        match s.poll(&mut pending)? {
            Some(r) => {
                // SAFETY: as above, for both.
                unsafe {
                    start.as_ptr().write(r.start);
                    ready.as_ptr().write(true);
                }
            }
            None => *slot = pending.into_raw(),
        }
        Ok(())
    })
}

/// Waits for the ticket's answer under the wait policy (counted from the submit) and
/// releases the ticket, whatever the result (also on an argument error, unless
/// `ticket` is NULL). On success the range is `[*start, *start + count)`. A refused
/// or lost request is not re-issued here. `seq` must be the ticket's sequencer.
///
/// # Safety
/// `ticket` is NULL or a live ticket, which the call takes over; `start` is NULL or
/// writable. `seq` is only compared with the ticket's sequencer, never read.
#[no_mangle]
pub unsafe extern "C" fn seqfab_wait(
    seq: *const seqfab_sequencer,
    ticket: *mut seqfab_ticket,
    start: *mut u64,
) -> seqfab_result {
    guard(|| {
        // SAFETY: NULL or live (the caller's contract); checks null and alignment.
        unsafe { self::ticket(ticket) }?;
        // SAFETY: from `Box::into_raw` in `seqfab_submit`, and this call takes the
        // caller's ownership of it (the caller's contract); it drops at the end.
        let mut t = unsafe { Box::from_raw(ticket) };
        check_owner(seq, &t)?;
        let start = out_ptr(start, "start")?;
        let raw = t
            .raw
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let s = &t.owner.seq;
        let r = s.wait(s.ticket_from_raw(raw.ok_or_else(spent)?))?;
        // SAFETY: non-null and aligned; writable by the caller's contract.
        unsafe { start.as_ptr().write(r.start) };
        Ok(())
    })
}

/// Releases a ticket. One not answered yet is given up: its numbers become a gap,
/// never a duplicate. NULL is ignored.
///
/// # Safety
/// `ticket` is NULL or a live ticket, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn seqfab_ticket_free(ticket: *mut seqfab_ticket) {
    let _ = guard(|| {
        if !ticket.is_null() && ticket.is_aligned() {
            // SAFETY: from `Box::into_raw` in `seqfab_submit`, released once (the
            // caller's contract).
            drop(unsafe { Box::from_raw(ticket) });
        }
        Ok(())
    });
}

/// Copies the sequencer's wait-policy counters into `*out`.
///
/// # Safety
/// `seq` is NULL or a live sequencer; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn seqfab_get_stats(
    seq: *const seqfab_sequencer,
    out: *mut seqfab_stats,
) -> seqfab_result {
    guard(|| {
        // SAFETY: NULL or live (the caller's contract).
        let seq = unsafe { sequencer(seq) }?;
        let out = out_ptr(out, "out")?;
        // SAFETY: non-null and aligned; writable by the caller's contract.
        unsafe { out.as_ptr().write(seq.seq.stats().into()) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    //! The ABI driven from Rust as C would drive it, against the driver's instant card.

    use super::*;
    use seqfab_driver::instant::{Answer, InstantCard};

    fn open_instant(dev: &Arc<InstantCard>, timeout: Duration) -> *mut seqfab_sequencer {
        let seq = Sequencer::builder()
            .backend(Box::new(dev.clone()), 0)
            .timeout(timeout)
            .open()
            .unwrap();
        into_handle(seq)
    }

    fn last_error() -> String {
        let mut buf = [0 as c_char; 512];
        // SAFETY: `buf` has `buf.len()` writable bytes.
        let n = unsafe { seqfab_last_error(buf.as_mut_ptr(), buf.len()) };
        // SAFETY: `seqfab_last_error` NUL-terminated it within the buffer.
        let s = unsafe { CStr::from_ptr(buf.as_ptr()) };
        assert_eq!(n, s.to_bytes().len(), "message fits the buffer");
        s.to_str().unwrap().to_string()
    }

    #[test]
    fn numbers_batches_and_stats_through_the_abi() {
        let dev = Arc::new(InstantCard::new());
        let seq = open_instant(&dev, Duration::from_secs(1));
        let mut last = None;
        for i in 0..200u32 {
            let mut n = 0u64;
            // SAFETY: `seq` is live; `n` is writable.
            let rc = unsafe {
                if i % 2 == 0 {
                    seqfab_next(seq, &mut n)
                } else {
                    seqfab_next_batch(seq, 1 + i % 7, &mut n)
                }
            };
            assert_eq!(rc, seqfab_result::Ok, "{}", last_error());
            assert_eq!(last_error(), "");
            if let Some(l) = last {
                assert!(n > l);
            }
            last = Some(n);
        }
        let mut stats = seqfab_stats::default();
        // SAFETY: `seq` is live; `stats` is writable.
        let rc = unsafe { seqfab_get_stats(seq, &mut stats) };
        assert_eq!(rc, seqfab_result::Ok);
        assert!(stats.completed_spinning >= 200);

        // A bad count leaves the output alone and says why.
        let mut n = 7u64;
        // SAFETY: as above.
        let rc = unsafe { seqfab_next_batch(seq, 0, &mut n) };
        assert_eq!(rc, seqfab_result::BadArgument);
        assert_eq!(n, 7);
        assert!(last_error().contains("count 0"), "{}", last_error());
        // SAFETY: `seq` is live and released once.
        unsafe { seqfab_close(seq) };
    }

    #[test]
    fn tickets_poll_wait_free_and_outlive_their_sequencer() {
        let dev = Arc::new(InstantCard::new());
        dev.set_answer(Answer::Hold);
        let seq = open_instant(&dev, Duration::from_secs(2));
        let mut tickets = [ptr::null_mut(); 3];
        for t in &mut tickets {
            // SAFETY: `seq` is live; `t` is writable.
            assert_eq!(unsafe { seqfab_submit(seq, 4, t) }, seqfab_result::Ok);
            assert!(!t.is_null());
        }
        let (mut start, mut ready) = (0u64, true);
        // SAFETY: live ticket of `seq`; writable outputs.
        let rc = unsafe { seqfab_poll(seq, tickets[0], &mut start, &mut ready) };
        assert_eq!(rc, seqfab_result::Ok);
        assert!(!ready);
        dev.release();
        let mut starts = Vec::new();
        loop {
            // SAFETY: as above.
            let rc = unsafe { seqfab_poll(seq, tickets[0], &mut start, &mut ready) };
            assert_eq!(rc, seqfab_result::Ok, "{}", last_error());
            if ready {
                starts.push(start);
                break;
            }
        }
        // Spent: polling or waiting again is an argument error (and wait releases it).
        // SAFETY: as above; `seqfab_wait` takes the ticket over.
        unsafe {
            let rc = seqfab_poll(seq, tickets[0], &mut start, &mut ready);
            assert_eq!(rc, seqfab_result::BadArgument);
            assert!(last_error().contains("seqfab_ticket_free"));
            assert_eq!(
                seqfab_wait(seq, tickets[0], &mut start),
                seqfab_result::BadArgument
            );
        }
        // SAFETY: live ticket of `seq`, taken over by the call.
        let rc = unsafe { seqfab_wait(seq, tickets[1], &mut start) };
        assert_eq!(rc, seqfab_result::Ok);
        starts.push(start);
        assert_eq!(starts[1], starts[0] + 4);

        // Closed with a ticket outstanding: the ticket keeps the sequencer alive and
        // can still be released (which gives its request up).
        // SAFETY: `seq` is live and released once; the ticket is live and released once.
        unsafe {
            seqfab_close(seq);
            seqfab_ticket_free(tickets[2]);
        }
    }

    #[test]
    fn a_ticket_of_another_sequencer_is_refused() {
        let dev = Arc::new(InstantCard::new());
        let a = open_instant(&dev, Duration::from_secs(1));
        let b = open_instant(&Arc::new(InstantCard::new()), Duration::from_secs(1));
        let mut t = ptr::null_mut();
        let mut start = 0;
        // SAFETY: live handles; writable outputs; the ticket is released once (by
        // `seqfab_wait`, which takes it over even when it fails).
        unsafe {
            assert_eq!(seqfab_submit(a, 1, &mut t), seqfab_result::Ok);
            assert_eq!(seqfab_wait(b, t, &mut start), seqfab_result::BadArgument);
            assert!(last_error().contains("another sequencer"));
            seqfab_close(a);
            seqfab_close(b);
        }
    }

    #[test]
    fn null_arguments_are_refused_and_release_functions_ignore_null() {
        let dev = Arc::new(InstantCard::new());
        let seq = open_instant(&dev, Duration::from_secs(1));
        let mut n = 0u64;
        let mut t = ptr::null_mut();
        let mut ready = false;
        // SAFETY: every non-null pointer is live and writable; the NULLs are the point.
        unsafe {
            assert_eq!(
                seqfab_next(ptr::null(), &mut n),
                seqfab_result::NullArgument
            );
            assert!(last_error().contains("`seq`"));
            assert_eq!(
                seqfab_next(seq, ptr::null_mut()),
                seqfab_result::NullArgument
            );
            // The output is checked before a number is taken: none is lost.
            assert_eq!(dev.counter(), 0);
            assert_eq!(
                seqfab_next_batch(seq, 1, ptr::null_mut()),
                seqfab_result::NullArgument
            );
            assert_eq!(
                seqfab_submit(seq, 1, ptr::null_mut()),
                seqfab_result::NullArgument
            );
            assert_eq!(
                seqfab_submit(ptr::null(), 1, &mut t),
                seqfab_result::NullArgument
            );
            assert!(t.is_null());
            assert_eq!(
                seqfab_poll(seq, ptr::null_mut(), &mut n, &mut ready),
                seqfab_result::NullArgument
            );
            assert_eq!(
                seqfab_wait(seq, ptr::null_mut(), &mut n),
                seqfab_result::NullArgument
            );
            assert_eq!(
                seqfab_get_stats(seq, ptr::null_mut()),
                seqfab_result::NullArgument
            );
            assert_eq!(
                seqfab_options_init(ptr::null_mut()),
                seqfab_result::NullArgument
            );
            let mut out = ptr::null_mut();
            assert_eq!(
                seqfab_open(ptr::null(), 0, ptr::null(), &mut out),
                seqfab_result::NullArgument
            );
            assert_eq!(
                seqfab_open(c"x.sock".as_ptr(), 0, ptr::null(), ptr::null_mut()),
                seqfab_result::NullArgument
            );
            // A misaligned output pointer is refused, not written.
            let mut words = [0u64; 2];
            let odd = words.as_mut_ptr().cast::<u8>().add(1).cast::<u64>();
            assert_eq!(seqfab_next(seq, odd), seqfab_result::NullArgument);
            assert_eq!(words, [0, 0]);
            // A ticket with a NULL sequencer is refused and (by `seqfab_wait`) released.
            assert_eq!(seqfab_submit(seq, 1, &mut t), seqfab_result::Ok);
            assert_eq!(
                seqfab_poll(ptr::null(), t, &mut n, &mut ready),
                seqfab_result::NullArgument
            );
            assert_eq!(
                seqfab_wait(ptr::null(), t, &mut n),
                seqfab_result::NullArgument
            );
            seqfab_ticket_free(ptr::null_mut());
            seqfab_close(ptr::null_mut());
            seqfab_close(seq);
        }
    }

    #[test]
    fn open_fails_with_a_driver_error_and_a_message() {
        // Not NULL before the call, so the test sees the call set it to NULL.
        let mut out = NonNull::<seqfab_sequencer>::dangling().as_ptr();
        let mut o = seqfab_options::default();
        // SAFETY: `o` is writable; the strings are NUL-terminated; `out` is writable.
        unsafe {
            assert_eq!(seqfab_options_init(&mut o), seqfab_result::Ok);
            assert_eq!(o.ring_log2, 10);
            assert_eq!(o.timeout_ns, 1_000_000_000);
            let rc = seqfab_open(c"/nonexistent/card0.sock".as_ptr(), 0, &o, &mut out);
            assert_eq!(rc, seqfab_result::Driver);
            assert!(out.is_null());
            assert!(
                last_error().contains("/nonexistent/card0.sock"),
                "{}",
                last_error()
            );
            let rc = seqfab_open(c"".as_ptr(), 0, ptr::null(), &mut out);
            assert_eq!(rc, seqfab_result::BadArgument);
            let bad = [0xffu8, 0];
            let rc = seqfab_open(bad.as_ptr().cast(), 0, ptr::null(), &mut out);
            assert_eq!(rc, seqfab_result::BadArgument);
            assert!(last_error().contains("UTF-8"));
        }
    }

    #[test]
    fn a_panic_becomes_a_code_and_a_message() {
        let rc = guard(|| panic!("planted panic"));
        assert_eq!(rc, seqfab_result::Panic);
        assert!(last_error().contains("planted panic"), "{}", last_error());
        assert_eq!(guard(|| Ok(())), seqfab_result::Ok);
        assert_eq!(last_error(), "");
    }

    #[test]
    fn strerror_names_every_code_and_last_error_truncates_like_snprintf() {
        for r in seqfab_result::ALL {
            // SAFETY: `seqfab_strerror` returns a static NUL-terminated string.
            let s = unsafe { CStr::from_ptr(seqfab_strerror(r as u32)) };
            assert!(!s.to_bytes().is_empty());
        }
        // SAFETY: as above.
        let s = unsafe { CStr::from_ptr(seqfab_strerror(12345)) };
        assert_eq!(s.to_str().unwrap(), "unknown seqfab_result code");
        // SAFETY: as above.
        let v = unsafe { CStr::from_ptr(seqfab_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));

        let _ = guard(|| Err(fail(seqfab_result::Driver, "µµµµ")));
        let mut buf = [1 as c_char; 4];
        // SAFETY: NULL with length 0, then `buf` with its length.
        unsafe {
            assert_eq!(seqfab_last_error(ptr::null_mut(), 0), 8);
            assert_eq!(seqfab_last_error(buf.as_mut_ptr(), buf.len()), 8);
        }
        // Three bytes fit; cut at the character boundary before them: one `µ`.
        assert_eq!(buf.map(|c| c as u8), [0xc2, 0xb5, 0, 1]);
    }
}
