//! The live control channel of `seqfab-sim serve`: a UNIX socket `DIR/control.sock`
//! taking one command per line, answered with one line.
//!
//! | command | answer |
//! |---|---|
//! | a fault of the `--faults` language without `@CYCLE`: `kill:1`, `revive:1`, `partition:X:1-2`, `heal:X`, `linkdown:Y:2`, `linkup:Y:2` | `ok`, applied at the next clock |
//! | `status` | one JSON object: cycle, failovers, and per card alive, client, DMA writes, dropped DMA writes, interrupts |
//! | `read N REG` | card N's BAR0 register REG (a name of `docs/registers.md`), read through the card's host port beside the client: a view of the card independent of the client's (all ones for a dead card) |
//! | `stop` | `ok`, then the server stops as on SIGTERM |
//!
//! Anything else is answered `error: ...` and changes nothing.

use super::hosts::Request;
use crate::faults;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;

/// Accepts control connections until the process ends.
pub fn listen(listener: UnixListener, nodes: usize, tx: Sender<Request>, stop: Arc<AtomicBool>) {
    for stream in listener.incoming().flatten() {
        let tx = tx.clone();
        let stop = stop.clone();
        std::thread::spawn(move || session(stream, nodes, tx, stop));
    }
}

fn session(stream: UnixStream, nodes: usize, tx: Sender<Request>, stop: Arc<AtomicBool>) {
    let Ok(mut out) = stream.try_clone() else {
        return;
    };
    for line in BufReader::new(stream).lines() {
        let Ok(line) = line else { break };
        let answer = command(line.trim(), nodes, &tx, &stop);
        if writeln!(out, "{answer}").is_err() {
            break;
        }
    }
}

/// Carries out one command line and returns its answer.
pub fn command(line: &str, nodes: usize, tx: &Sender<Request>, stop: &AtomicBool) -> String {
    match line {
        "" => "error: empty command (try status, stop, or a fault such as kill:1)".into(),
        "stop" => {
            stop.store(true, Ordering::Relaxed);
            "ok".into()
        }
        read if read.starts_with("read ") => {
            let f: Vec<&str> = read.split_whitespace().collect();
            let (Some(card), Some(reg)) = (
                f.get(1)
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|&n| n < nodes),
                f.get(2).and_then(|r| {
                    seqfab_contract::regs::REGISTERS
                        .iter()
                        .find(|x| x.name.eq_ignore_ascii_case(r))
                }),
            ) else {
                return format!("error: expected `read N REG` with N in 0..{nodes} and REG a register name such as EPOCH");
            };
            let (reply, rx) = channel();
            let offset = reg.offset;
            if tx
                .send(Request::Read {
                    card,
                    offset,
                    reply,
                })
                .is_err()
            {
                return "error: the simulation has stopped".into();
            }
            match rx.recv() {
                Ok(v) => v.to_string(),
                Err(_) => "error: the simulation has stopped".into(),
            }
        }
        "status" => {
            let (reply, rx) = channel();
            if tx.send(Request::Status { reply }).is_err() {
                return "error: the simulation has stopped".into();
            }
            match rx.recv() {
                Ok(s) => serde_json::to_string(&s).unwrap_or_else(|e| format!("error: {e}")),
                Err(_) => "error: the simulation has stopped".into(),
            }
        }
        fault => match faults::parse(&format!("{fault}@0"), nodes) {
            Ok(events) if events.len() == 1 => match tx.send(Request::Fault(events[0].action)) {
                Ok(()) => "ok".into(),
                Err(_) => "error: the simulation has stopped".into(),
            },
            Ok(_) => "error: one command per line".into(),
            Err(e) => format!("error: {e}"),
        },
    }
}
