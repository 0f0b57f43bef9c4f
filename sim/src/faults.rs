//! The fault schedule language of `seqfab-sim run --faults`.
//!
//! A schedule is a comma-separated list of `ACTION@CYCLE` events:
//!
//! | action | meaning |
//! |---|---|
//! | `kill:N` | card N stops (not clocked, ports silent); its host's waiting requests time out |
//! | `revive:N` | card N runs again from the state it had: the zombie case |
//! | `partition:P:A-B` | on plane P (X, Y, or XY for both), nodes A..=B are cut off from the others |
//! | `partition:P:A+B+C` | the same for any set of nodes |
//! | `heal:P` | plane P's partition ends |
//! | `linkdown:P:N` | node N's link on plane P goes down |
//! | `linkup:P:N` | and comes back |
//! | `mute:P:N` / `unmute:P:N` | what node N sends on plane P is lost (it still hears the others): asymmetric loss |
//! | `deaf:P:N` / `undeaf:P:N` | what is sent to node N on plane P is lost (the others still hear it) |
//! | `loss:P:PERMILLE` | random loss on plane P from now on, in 1/1000 (0 ends it) |
//! | `pause-manager:CYCLES` | the management process is stopped for CYCLES clocks (its logic is not run) |
//!
//! Example: `kill:1@50000,revive:1@90000,partition:X:1-3@60000,heal:X@70000`.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Kill(usize),
    Revive(usize),
    /// The nodes of bitmap `members` are cut off from the others on `plane`.
    Partition {
        plane: usize,
        members: u64,
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
    Mute {
        plane: usize,
        node: usize,
        on: bool,
    },
    Deaf {
        plane: usize,
        node: usize,
        on: bool,
    },
    /// Loss probability in 1/1000.
    Loss {
        plane: usize,
        permille: u32,
    },
    PauseManager(u64),
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

/// X, Y, or XY (both planes: one event each).
fn planes(s: &str) -> Result<Vec<usize>, String> {
    match s {
        "XY" | "xy" | "YX" | "yx" => Ok(vec![0, 1]),
        _ => plane(s)
            .map(|p| vec![p])
            .map_err(|e| e.replace("X or Y", "X, Y or XY")),
    }
}

/// `A-B` or `A+B+C` as a bitmap of nodes.
fn members(s: &str, nodes: usize) -> Result<u64, String> {
    if let Some((a, b)) = s.split_once('-') {
        let (from, to) = (node(a, nodes)?, node(b, nodes)?);
        if from > to {
            return Err(format!("range {s} is empty"));
        }
        return Ok((from..=to).fold(0, |m, n| m | 1 << n));
    }
    s.split('+')
        .map(|n| node(n, nodes))
        .try_fold(0u64, |m, n| Ok(m | 1 << n?))
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

fn parse_item(item: &str, nodes: usize) -> Result<Vec<Event>, String> {
    let (what, at) = item.split_once('@').ok_or("missing @CYCLE")?;
    let cycle: u64 = at
        .parse()
        .map_err(|_| format!("{at:?} is not a cycle number"))?;
    let parts: Vec<&str> = what.split(':').collect();
    let per_plane = |p: &str, f: &dyn Fn(usize) -> Action| -> Result<Vec<Event>, String> {
        Ok(planes(p)?
            .into_iter()
            .map(|plane| Event {
                cycle,
                action: f(plane),
            })
            .collect())
    };
    let action = match parts.as_slice() {
        ["kill", n] => Action::Kill(node(n, nodes)?),
        ["revive", n] => Action::Revive(node(n, nodes)?),
        ["partition", p, set] => {
            let members = members(set, nodes)?;
            return per_plane(p, &|plane| Action::Partition { plane, members });
        }
        ["heal", p] => return per_plane(p, &|plane| Action::Heal { plane }),
        [kind @ ("mute" | "unmute" | "deaf" | "undeaf"), p, n] => {
            let node = node(n, nodes)?;
            let on = !kind.starts_with("un");
            let deaf = kind.ends_with("deaf");
            return per_plane(p, &|plane| {
                if deaf {
                    Action::Deaf { plane, node, on }
                } else {
                    Action::Mute { plane, node, on }
                }
            });
        }
        ["loss", p, pm] => {
            let permille: u32 = pm
                .parse()
                .ok()
                .filter(|&v| v <= 1000)
                .ok_or_else(|| format!("loss {pm:?} must be 0..=1000 (per mille)"))?;
            return per_plane(p, &|plane| Action::Loss { plane, permille });
        }
        ["pause-manager", d] => Action::PauseManager(
            d.parse()
                .map_err(|_| format!("{d:?} is not a number of cycles"))?,
        ),
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
    Ok(vec![Event { cycle, action }])
}

/// Parses a schedule for a cluster of `nodes` nodes; events come back sorted by cycle.
pub fn parse(schedule: &str, nodes: usize) -> Result<Vec<Event>, FaultError> {
    let mut events = Vec::new();
    for item in schedule.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        events.extend(parse_item(item, nodes).map_err(|reason| FaultError {
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
            Action::Partition { plane, members } => {
                let set: Vec<String> = (0..64)
                    .filter(|n| members >> n & 1 == 1)
                    .map(|n| n.to_string())
                    .collect();
                let (lo, hi) = (members.trailing_zeros(), 63 - members.leading_zeros());
                let contiguous = members >> lo == (1u64 << (hi - lo + 1)).wrapping_sub(1);
                if contiguous {
                    write!(f, "partition:{}:{lo}-{hi}@{}", p(plane), self.cycle)
                } else {
                    write!(f, "partition:{}:{}@{}", p(plane), set.join("+"), self.cycle)
                }
            }
            Action::Mute { plane, node, on } => {
                let k = if on { "mute" } else { "unmute" };
                write!(f, "{k}:{}:{node}@{}", p(plane), self.cycle)
            }
            Action::Deaf { plane, node, on } => {
                let k = if on { "deaf" } else { "undeaf" };
                write!(f, "{k}:{}:{node}@{}", p(plane), self.cycle)
            }
            Action::Loss { plane, permille } => {
                write!(f, "loss:{}:{permille}@{}", p(plane), self.cycle)
            }
            Action::PauseManager(d) => write!(f, "pause-manager:{d}@{}", self.cycle),
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
                members: 0b1110
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
    fn subsets_both_planes_asymmetric_loss_and_pauses_round_trip() {
        let s =
            "partition:XY:0+2+4@10,mute:X:1@20,undeaf:Y:3@30,loss:XY:25@40,pause-manager:5000@50";
        let e = parse(s, 5).unwrap();
        assert_eq!(e.len(), 7, "XY items are one event per plane");
        assert_eq!(
            e[0].action,
            Action::Partition {
                plane: 0,
                members: 0b10101
            }
        );
        assert_eq!(
            e[1].action,
            Action::Partition {
                plane: 1,
                members: 0b10101
            }
        );
        let text: Vec<String> = e.iter().map(|e| e.to_string()).collect();
        let again = parse(&text.join(","), 5).unwrap();
        assert_eq!(again, e, "{text:?}");
        assert_eq!(text[0], "partition:X:0+2+4@10");
        assert_eq!(
            parse("partition:Y:1+2@1", 4).unwrap()[0].to_string(),
            "partition:Y:1-2@1"
        );
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
            ("partition:Q:1@5", "X, Y or XY"),
            ("partition:X:1+9@5", "does not exist"),
            ("loss:X:2000@5", "per mille"),
            ("pause-manager:soon@5", "not a number"),
            ("mute:X@5", "unknown action"),
        ] {
            let e = parse(s, 4).unwrap_err();
            assert!(e.to_string().contains(want), "{s}: {e}");
        }
    }
}
