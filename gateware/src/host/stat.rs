//! Indices of the `STAT_*` counters in [`super::RegFile::stat_inc`]: index k is the k-th
//! `STAT_*` register of the contract's table, counted from `STAT_DOORBELLS`. Computed from
//! the contract at compile time, so the card core wires counters by name
//! (`stat_inc[stat::DROP_FCS]`) and a new counter in the contract needs no edit here
//! beyond its name.

use seqfab_contract::regs::{self, REGISTERS};

const fn is_stat(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() > 5 && b[0] == b'S' && b[1] == b'T' && b[2] == b'A' && b[3] == b'T' && b[4] == b'_'
}

const fn first() -> usize {
    let mut i = 0;
    while i < REGISTERS.len() {
        if REGISTERS[i].offset == regs::STAT_DOORBELLS {
            return i;
        }
        i += 1;
    }
    panic!("STAT_DOORBELLS is not in the register table")
}

/// Table position of `STAT_DOORBELLS`, the first counter.
const FIRST: usize = first();

const fn count() -> usize {
    let mut n = 0;
    while FIRST + n < REGISTERS.len() && is_stat(REGISTERS[FIRST + n].name) {
        n += 1;
    }
    // The counters form one run of the table: no STAT_ register outside it.
    let mut i = 0;
    while i < REGISTERS.len() {
        assert!(
            !is_stat(REGISTERS[i].name) || (i >= FIRST && i < FIRST + n),
            "STAT_ registers are not contiguous in the table"
        );
        i += 1;
    }
    n
}

/// Number of statistics counters.
pub const COUNT: usize = count();

/// Index of the counter whose register is at `offset`.
pub const fn index(offset: u32) -> usize {
    let mut k = 0;
    while k < COUNT {
        if REGISTERS[FIRST + k].offset == offset {
            return k;
        }
        k += 1;
    }
    panic!("not a STAT_ register offset")
}

/// BAR0 offset of each counter, by index.
pub const OFFSETS: [u32; COUNT] = {
    let mut a = [0u32; COUNT];
    let mut k = 0;
    while k < COUNT {
        a[k] = REGISTERS[FIRST + k].offset;
        k += 1;
    }
    a
};

pub const DOORBELLS: usize = index(regs::STAT_DOORBELLS);
pub const COMPLETIONS: usize = index(regs::STAT_COMPLETIONS);
pub const REQ_TX: usize = index(regs::STAT_REQ_TX);
pub const REQ_ACCEPTED: usize = index(regs::STAT_REQ_ACCEPTED);
pub const FWD_STORED: usize = index(regs::STAT_FWD_STORED);
pub const RSP_RX: usize = index(regs::STAT_RSP_RX);
pub const NACK_TX: usize = index(regs::STAT_NACK_TX);
pub const NACK_RX: usize = index(regs::STAT_NACK_RX);
pub const RETRIES: usize = index(regs::STAT_RETRIES);
pub const TIMEOUTS: usize = index(regs::STAT_TIMEOUTS);
pub const DROP_FCS: usize = index(regs::STAT_DROP_FCS);
pub const DROP_LENGTH: usize = index(regs::STAT_DROP_LENGTH);
pub const DROP_FOREIGN: usize = index(regs::STAT_DROP_FOREIGN);
pub const DROP_VERSION: usize = index(regs::STAT_DROP_VERSION);
pub const DROP_TYPE: usize = index(regs::STAT_DROP_TYPE);
pub const DROP_DEST: usize = index(regs::STAT_DROP_DEST);
pub const DROP_EPOCH: usize = index(regs::STAT_DROP_EPOCH);
pub const DROP_DUP_RSP: usize = index(regs::STAT_DROP_DUP_RSP);
pub const DROP_DOORBELL: usize = index(regs::STAT_DROP_DOORBELL);
/// Counted inside the register file; the card leaves this input at 0.
pub const DROP_REGISTER: usize = index(regs::STAT_DROP_REGISTER);
pub const RX_OVERFLOW: usize = index(regs::STAT_RX_OVERFLOW);
pub const TX_X: usize = index(regs::STAT_TX_X);
pub const TX_Y: usize = index(regs::STAT_TX_Y);
pub const RX_X: usize = index(regs::STAT_RX_X);
pub const RX_Y: usize = index(regs::STAT_RX_Y);
pub const TX_ALT_PLANE: usize = index(regs::STAT_TX_ALT_PLANE);
