//! This host's card as the RPC shows it: a [`CardView`] read from the card, and the
//! fence the manager asks of a secondary's host before it trusts its mirror.

use crate::agent::Shared;
use crate::rpc::{CardView, FenceReply, FenceRequest, MirrorView};
use seqfab_contract::program::Config;
use seqfab_contract::regs::{self, Access};
use std::time::{Duration, Instant};

/// Registers the manager's poll needs ([`seqfab_manage::POLLED`]) and the status bits.
fn polled() -> impl Iterator<Item = &'static regs::Register> {
    seqfab_manage::POLLED
        .iter()
        .chain(&[regs::STATUS])
        .filter_map(|&off| regs::lookup(off))
}

/// Reads the card: every readable register (`full`), or only those a manager's poll
/// needs. A card that does not answer with its magic is reported dead, with no
/// registers (a gone card reads all ones, which would read as "hears everyone").
pub fn card_view(s: &Shared, full: bool) -> CardView {
    let card = &s.card;
    let alive = card.read(regs::ID_MAGIC).ok() == Some(seqfab_contract::MAGIC);
    let mut view = CardView {
        node: s.opts.node,
        device: card.device().to_string(),
        alive,
        mirror: mirror(s),
        agent: s.agent_view(),
        ..CardView::default()
    };
    if !alive {
        return view;
    }
    let read = |r: &regs::Register| card.read(r.offset).ok().map(|v| (r.name.to_string(), v));
    view.regs = if full {
        regs::REGISTERS
            .iter()
            .filter(|r| r.access != Access::Wo && !r.name.starts_with("MGMT_TX"))
            .filter_map(read)
            .collect()
    } else {
        polled().filter_map(read).collect()
    };
    // A card that died during the reads: report it dead rather than half read.
    if card.read(regs::ID_MAGIC).ok() != Some(seqfab_contract::MAGIC) {
        view.alive = false;
        view.regs.clear();
    }
    view
}

/// The state mirror in this host's memory (zero before the card's first write).
pub fn mirror(s: &Shared) -> MirrorView {
    s.card
        .mirror()
        .map(|m| MirrorView {
            counter: m.counter,
            stored: m.stored,
            limit: m.limit,
            epoch: m.epoch,
            sequence: m.sequence,
        })
        .unwrap_or_default()
}

/// Sends this host's card a CONFIG of `f.epoch` (through its own management window, to
/// itself), waits until it shows that epoch, and reports its final stored value. A card
/// of a newer epoch drops every FWD of the old one (I4), so once it shows the fence's
/// epoch it stores nothing more of the epoch whose pair was lost.
pub fn fence(s: &Shared, f: &FenceRequest) -> FenceReply {
    let card = &s.card;
    let alive = || card.read(regs::ID_MAGIC).ok() == Some(seqfab_contract::MAGIC);
    let mut reply = FenceReply {
        alive: alive(),
        fenced: false,
        stored: None,
        mirror: mirror(s),
    };
    if !reply.alive {
        return reply;
    }
    let cfg = Config {
        epoch: f.epoch,
        primary: f.primary,
        secondary: f.secondary,
        counter: None,
        limit: None,
        quorum: f.quorum,
    };
    let deadline = Instant::now() + Duration::from_millis(500);
    let mut sent = Instant::now() - Duration::from_secs(1);
    while Instant::now() < deadline {
        if sent.elapsed() >= Duration::from_millis(50) {
            if card.send_config(s.opts.node, &cfg).is_err() {
                break;
            }
            sent = Instant::now();
        }
        if card.read(regs::EPOCH).is_ok_and(|e| e >= f.epoch as u64) {
            reply.fenced = alive();
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    if reply.fenced {
        reply.stored = card.read(regs::STORED).ok();
        // The mirror may have been written once more before the epoch changed.
        reply.mirror = mirror(s);
    }
    reply.alive = alive();
    reply
}
