//! The fault schedule language of `seqfab-sim run --faults`.
//!
//! A schedule is a comma-separated list of `ACTION@CYCLE` events:
//!
//! | action | meaning |
//! |---|---|
//! | `kill:N` | card N stops (not clocked, ports silent); its host's waiting requests time out |
//! | `revive:N` | card N runs again from the state it had: the zombie case |
//! | `partition:P:A-B` | on plane P (X or Y), nodes A..=B are cut off from the others |
//! | `heal:P` | plane P's partition ends |
//! | `linkdown:P:N` | node N's link on plane P goes down |
//! | `linkup:P:N` | and comes back |
//!
//! Example: `kill:1@50000,revive:1@90000,partition:X:1-3@60000,heal:X@70000`.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Kill(usize),
    Revive(usize),
    Partition {
        plane: usize,
        from: usize,
        to: usize,
    },
    Heal {
        plane: usize,
    },
    LinkDown {
        plane: usize,
        node: usize,
    },
    LinkUp {
        plane: usize,
        node: usize,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub cycle: u64,
    pub action: Action,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("fault schedule item {item:?}: {reason} (see `seqfab-sim run --help` for the syntax)")]
pub struct FaultError {
    pub item: String,
    pub reason: String,
}

fn plane(s: &str) -> Result<usize, String> {
    match s {
        "X" | "x" => Ok(0),
        "Y" | "y" => Ok(1),
        _ => Err(format!("plane must be X or Y, not {s:?}")),
    }
}

fn node(s: &str, nodes: usize) -> Result<usize, String> {
    let n: usize = s
        .parse()
        .map_err(|_| format!("{s:?} is not a node number"))?;
    if n >= nodes {
        return Err(format!(
            "node {n} does not exist (the cluster has nodes 0..{nodes})"
        ));
    }
    Ok(n)
}

fn parse_item(item: &str, nodes: usize) -> Result<Event, String> {
    let (what, at) = item.split_once('@').ok_or("missing @CYCLE")?;
    let cycle: u64 = at
        .parse()
        .map_err(|_| format!("{at:?} is not a cycle number"))?;
    let parts: Vec<&str> = what.split(':').collect();
    let action = match parts.as_slice() {
        ["kill", n] => Action::Kill(node(n, nodes)?),
        ["revive", n] => Action::Revive(node(n, nodes)?),
        ["partition", p, range] => {
            let (a, b) = range.split_once('-').unwrap_or((range, range));
            let (from, to) = (node(a, nodes)?, node(b, nodes)?);
            if from > to {
                return Err(format!("range {range} is empty"));
            }
            Action::Partition {
                plane: plane(p)?,
                from,
                to,
            }
        }
        ["heal", p] => Action::Heal { plane: plane(p)? },
        ["linkdown", p, n] => Action::LinkDown {
            plane: plane(p)?,
            node: node(n, nodes)?,
        },
        ["linkup", p, n] => Action::LinkUp {
            plane: plane(p)?,
            node: node(n, nodes)?,
        },
        _ => return Err(format!("unknown action {what:?}")),
    };
    Ok(Event { cycle, action })
}

/// Parses a schedule for a cluster of `nodes` nodes; events come back sorted by cycle.
pub fn parse(schedule: &str, nodes: usize) -> Result<Vec<Event>, FaultError> {
    let mut events = Vec::new();
    for item in schedule.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        events.push(parse_item(item, nodes).map_err(|reason| FaultError {
            item: item.into(),
            reason,
        })?);
    }
    events.sort_by_key(|e| e.cycle);
    Ok(events)
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = |p: usize| if p == 0 { 'X' } else { 'Y' };
        match self.action {
            Action::Kill(n) => write!(f, "kill:{n}@{}", self.cycle),
            Action::Revive(n) => write!(f, "revive:{n}@{}", self.cycle),
            Action::Partition { plane, from, to } => {
                write!(f, "partition:{}:{from}-{to}@{}", p(plane), self.cycle)
            }
            Action::Heal { plane } => write!(f, "heal:{}@{}", p(plane), self.cycle),
            Action::LinkDown { plane, node } => {
                write!(f, "linkdown:{}:{node}@{}", p(plane), self.cycle)
            }
            Action::LinkUp { plane, node } => {
                write!(f, "linkup:{}:{node}@{}", p(plane), self.cycle)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example_in_cycle_order() {
        let e = parse(
            "kill:1@50000,revive:1@90000,partition:X:1-3@60000,heal:X@70000",
            4,
        )
        .unwrap();
        assert_eq!(e.len(), 4);
        assert_eq!(
            e[0],
            Event {
                cycle: 50000,
                action: Action::Kill(1)
            }
        );
        assert_eq!(
            e[1].action,
            Action::Partition {
                plane: 0,
                from: 1,
                to: 3
            }
        );
        assert_eq!(
            e.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(","),
            "kill:1@50000,partition:X:1-3@60000,heal:X@70000,revive:1@90000"
        );
        assert_eq!(
            parse("linkdown:Y:2@5, linkup:y:2@9", 3).unwrap()[1].action,
            Action::LinkUp { plane: 1, node: 2 }
        );
        assert_eq!(parse("", 3).unwrap(), vec![]);
    }

    #[test]
    fn bad_items_say_what_is_wrong() {
        for (s, want) in [
            ("kill:9@5", "does not exist"),
            ("kill:1", "missing @CYCLE"),
            ("kill:1@soon", "not a cycle"),
            ("explode:1@5", "unknown action"),
            ("partition:Z:1-2@5", "plane must be"),
            ("partition:X:3-1@5", "empty"),
        ] {
            let e = parse(s, 4).unwrap_err();
            assert!(e.to_string().contains(want), "{s}: {e}");
        }
    }
}
