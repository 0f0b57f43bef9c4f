//! The record lines of `seqfab`'s `stamp` example (userlib/examples/stamp.rs), read back
//! for the independent checker (`seqfab-sim check-stamps`, run by `scripts/demo`):
//!
//! ```text
//! 1764892800.123456789 pid 4242 record 7: number 1032 issued 1764892800.123450000
//! ```
//!
//! The first field is the wall-clock time the number arrived, `issued` the time it was
//! asked for (seconds, 9 decimals). Times become the history's "cycles" in nanoseconds.

use anyhow::{anyhow, Result};
use seqfab_contract::ring::Status;
use seqfab_testbench::history::RequestRecord;

fn ns(t: &str) -> Result<u64> {
    let (s, f) = t
        .split_once('.')
        .ok_or_else(|| anyhow!("time {t:?} has no fraction"))?;
    if f.len() != 9 {
        return Err(anyhow!("time {t:?}: expected 9 decimals"));
    }
    Ok(s.parse::<u64>()? * 1_000_000_000 + f.parse::<u64>()?)
}

/// One line: `None` when it is not a record (other output of the example), otherwise
/// the record or why it is malformed. `node` says which file (host) it came from.
pub fn parse(line: &str, node: u8) -> Option<Result<RequestRecord>> {
    let f: Vec<&str> = line.split_whitespace().collect();
    let after = |key: &str| f.iter().position(|x| *x == key).and_then(|i| f.get(i + 1));
    let (number, issued) = (after("number")?, after("issued")?);
    Some((|| {
        Ok(RequestRecord {
            node,
            queue: 0,
            tag: 0,
            count: 1,
            issued_cycle: ns(issued)?,
            completed_cycle: Some(ns(f[0])?),
            value: number.parse()?,
            status: Some(Status::Ok as u8),
            epoch: 0,
        })
    })())
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn reads_a_record_and_refuses_a_malformed_one() {
        let r = parse(
            "12.000000005 pid 1 record 0: number 77 issued 12.000000001",
            3,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (r.value, r.issued_cycle, r.completed_cycle, r.node),
            (77, 12_000_000_001, Some(12_000_000_005), 3)
        );
        assert!(parse("granted queue 2", 0).is_none());
        assert!(
            parse("12.5 pid 1 record 0: number 77 issued 12.000000001", 0)
                .unwrap()
                .is_err()
        );
    }
}
