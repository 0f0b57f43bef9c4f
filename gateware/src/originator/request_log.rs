//! The request log: every request taken into a batch, in arrival order.

use rust_hdl::prelude::*;
use seqfab_contract::limits::{BATCH_SLOTS, MAX_REQUESTS_PER_FRAME};

/// Entries in the log (`BATCH_SLOTS * MAX_REQUESTS_PER_FRAME`, as
/// `seqfab_contract::limits` promises): the requests of the batches in flight and of
/// those waiting for a slot. The originator takes no request while it is full.
pub const LOG_ENTRIES: usize = BATCH_SLOTS * MAX_REQUESTS_PER_FRAME;
/// Address bits of the log RAM.
pub const LOG_ADDR_BITS: usize = 6;
/// Pointer bits: one more than the address, so full and empty differ.
pub const LOG_PTR_BITS: usize = LOG_ADDR_BITS + 1;
const _: () = assert!(LOG_ENTRIES == 1 << LOG_ADDR_BITS);

/// A first-word-fall-through FIFO of requests (queue, tag, count) over block RAM.
///
/// Batches are opened, and so completed, in log order, so each batch is a contiguous run
/// of entries and the splitter only ever reads the head: a FIFO is all the log needs, and
/// it needs no per-batch start address.
///
/// The RAMs read synchronously; the read address is the *next* head pointer, so `head_*`
/// always shows the entry at the head pointer and one entry can be popped every clock. An
/// entry becomes visible (`empty` falls) the clock after it is written, because a RAM
/// returns the old contents when it reads and writes one address in the same clock.
///
/// The three fields live in three RAMs rather than one packed word: packing needs
/// zero-extension, and the RAMs share their addresses, so the cost is the same.
///
/// `full` and `empty` are functions of the pointers only (never of `push`/`pop`), and the
/// push/pop logic recomputes them from the pointers: Verilator orders the generated
/// `always` blocks by the variables they share, and a `push` that depended on a `full`
/// computed in the same block would look like a combinational loop (UNOPTFLAT).
#[derive(LogicBlock)]
pub struct RequestLog {
    /// Card clock.
    pub clock: Signal<In, Clock>,
    /// Write `in_*` at the tail (ignored while `full`).
    pub push: Signal<In, bool>,
    /// Queue of the request to write.
    pub in_queue: Signal<In, Bits<2>>,
    /// Doorbell tag of the request to write.
    pub in_tag: Signal<In, Bits<16>>,
    /// Count of the request to write.
    pub in_count: Signal<In, Bits<24>>,
    /// No room for another entry.
    pub full: Signal<Out, bool>,
    /// The head entry has been used: drop it (ignored while `empty`).
    pub pop: Signal<In, bool>,
    /// Queue of the oldest entry (meaningful while `!empty`).
    pub head_queue: Signal<Out, Bits<2>>,
    /// Doorbell tag of the oldest entry.
    pub head_tag: Signal<Out, Bits<16>>,
    /// Count of the oldest entry.
    pub head_count: Signal<Out, Bits<24>>,
    /// Nothing to read.
    pub empty: Signal<Out, bool>,
    /// Empty the log (CONTROL.SOFT_RESET).
    pub soft_reset: Signal<In, bool>,
    queue_ram: RAM<Bits<2>, LOG_ADDR_BITS>,
    tag_ram: RAM<Bits<16>, LOG_ADDR_BITS>,
    count_ram: RAM<Bits<24>, LOG_ADDR_BITS>,
    /// Tail pointer: where the next entry is written.
    write_ptr: DFF<Bits<LOG_PTR_BITS>>,
    /// `write_ptr` one clock late: entries below it are readable from the RAM.
    visible_ptr: DFF<Bits<LOG_PTR_BITS>>,
    /// Head pointer: the entry `head_*` shows.
    read_ptr: DFF<Bits<LOG_PTR_BITS>>,
    /// The head pointer after this clock; the RAMs read it so `head_*` follows `read_ptr`.
    read_next: Signal<Local, Bits<LOG_PTR_BITS>>,
    write_address: Signal<Local, Bits<LOG_ADDR_BITS>>,
    write_enable: Signal<Local, bool>,
    read_address: Signal<Local, Bits<LOG_ADDR_BITS>>,
    one: Constant<Bits<LOG_PTR_BITS>>,
    zero: Constant<Bits<LOG_PTR_BITS>>,
    /// `write_ptr ^ read_ptr` when the log is full (only the wrap bit differs).
    full_mark: Constant<Bits<LOG_PTR_BITS>>,
}

impl RequestLog {
    pub fn new() -> Self {
        Self {
            clock: Default::default(),
            push: Default::default(),
            in_queue: Default::default(),
            in_tag: Default::default(),
            in_count: Default::default(),
            full: Default::default(),
            pop: Default::default(),
            head_queue: Default::default(),
            head_tag: Default::default(),
            head_count: Default::default(),
            empty: Default::default(),
            soft_reset: Default::default(),
            queue_ram: Default::default(),
            tag_ram: Default::default(),
            count_ram: Default::default(),
            write_ptr: Default::default(),
            visible_ptr: Default::default(),
            read_ptr: Default::default(),
            read_next: Default::default(),
            write_address: Default::default(),
            write_enable: Default::default(),
            read_address: Default::default(),
            one: Constant::new(1u64.into()),
            zero: Constant::new(0u64.into()),
            full_mark: Constant::new((LOG_ENTRIES as u64).into()),
        }
    }
}

impl Default for RequestLog {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for RequestLog {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, write_ptr, visible_ptr, read_ptr);
        self.queue_ram.read_clock.next = self.clock.val();
        self.queue_ram.write_clock.next = self.clock.val();
        self.tag_ram.read_clock.next = self.clock.val();
        self.tag_ram.write_clock.next = self.clock.val();
        self.count_ram.read_clock.next = self.clock.val();
        self.count_ram.write_clock.next = self.clock.val();

        // Status, from the pointers only.
        self.full.next = (self.write_ptr.q.val() ^ self.read_ptr.q.val()) == self.full_mark.val();
        self.empty.next = self.visible_ptr.q.val() == self.read_ptr.q.val();
        self.head_queue.next = self.queue_ram.read_data.val();
        self.head_tag.next = self.tag_ram.read_data.val();
        self.head_count.next = self.count_ram.read_data.val();

        // Write side.
        self.write_address.next = self.write_ptr.q.val().get_bits::<LOG_ADDR_BITS>(0);
        self.write_enable.next = self.push.val()
            && ((self.write_ptr.q.val() ^ self.read_ptr.q.val()) != self.full_mark.val());
        self.queue_ram.write_address.next = self.write_address.val();
        self.queue_ram.write_data.next = self.in_queue.val();
        self.queue_ram.write_enable.next = self.write_enable.val();
        self.tag_ram.write_address.next = self.write_address.val();
        self.tag_ram.write_data.next = self.in_tag.val();
        self.tag_ram.write_enable.next = self.write_enable.val();
        self.count_ram.write_address.next = self.write_address.val();
        self.count_ram.write_data.next = self.in_count.val();
        self.count_ram.write_enable.next = self.write_enable.val();
        if self.write_enable.val() {
            self.write_ptr.d.next = self.write_ptr.q.val() + self.one.val();
        }
        self.visible_ptr.d.next = self.write_ptr.q.val();

        // Read side.
        self.read_next.next = self.read_ptr.q.val();
        if self.pop.val() && (self.visible_ptr.q.val() != self.read_ptr.q.val()) {
            self.read_next.next = self.read_ptr.q.val() + self.one.val();
        }
        if self.soft_reset.val() {
            self.write_ptr.d.next = self.zero.val();
            self.visible_ptr.d.next = self.zero.val();
            self.read_next.next = self.zero.val();
        }
        self.read_ptr.d.next = self.read_next.val();
        self.read_address.next = self.read_next.val().get_bits::<LOG_ADDR_BITS>(0);
        self.queue_ram.read_address.next = self.read_address.val();
        self.tag_ram.read_address.next = self.read_address.val();
        self.count_ram.read_address.next = self.read_address.val();
    }
}

#[cfg(test)]
mod tests;
