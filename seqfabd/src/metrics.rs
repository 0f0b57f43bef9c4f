//! Prometheus text format (exposition format 0.0.4) of this host's card, its agent and
//! its manager: what `GET /metrics` serves.
//!
//! Names follow Prometheus' conventions: a `seqfab_` prefix, `_total` on counters, the
//! unit in the name (`_cycles`). The card's statistics registers are counters of the
//! card (they restart at a soft reset); NACKs are counted by the card per direction, not
//! per reason (the reasons reach the applications, in their completions).

use crate::rpc::{CardView, ManagerView};
use std::fmt::Write;

/// One metric family: `# HELP`, `# TYPE`, then its samples.
struct Family<'a> {
    out: &'a mut String,
}

impl Family<'_> {
    fn start<'a>(out: &'a mut String, name: &str, kind: &str, help: &str) -> Family<'a> {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        Family { out }
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: u64) {
        let _ = write!(self.out, "{name}");
        if !labels.is_empty() {
            let l: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            let _ = write!(self.out, "{{{}}}", l.join(","));
        }
        let _ = writeln!(self.out, " {value}");
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn gauge(out: &mut String, name: &str, help: &str, value: Option<u64>) {
    if let Some(v) = value {
        Family::start(out, name, "gauge", help).sample(name, &[], v);
    }
}

/// The whole page.
pub fn render(card: &CardView, manager: &ManagerView) -> String {
    let mut out = String::new();
    let o = &mut out;
    gauge(
        o,
        "seqfab_card_alive",
        "1 when the card answers with its magic.",
        Some(card.alive as u64),
    );
    let regs: [(&str, &str, &str); 9] = [
        ("EPOCH", "seqfab_card_epoch", "The card's current epoch."),
        (
            "COUNTER",
            "seqfab_card_next_number",
            "Primary: the next number it will issue (the COUNTER register).",
        ),
        (
            "STORED",
            "seqfab_card_stored",
            "Secondary: end of the highest range stored.",
        ),
        (
            "LIMIT",
            "seqfab_card_limit",
            "Primary: it issues nothing at or above this.",
        ),
        (
            "LEASE",
            "seqfab_card_lease_cycles",
            "Cycles left on the card's lease (0: it neither issues nor stores).",
        ),
        (
            "LEASE_HOLD_LEFT",
            "seqfab_card_lease_hold_cycles",
            "Cycles of lease still to run before the card may issue as primary.",
        ),
        (
            "PRIMARY_ID",
            "seqfab_card_primary_node",
            "The primary of the card's epoch.",
        ),
        (
            "SECONDARY_ID",
            "seqfab_card_secondary_node",
            "The secondary of the card's epoch.",
        ),
        ("NODE_ID", "seqfab_card_node", "The card's node id."),
    ];
    for (reg, name, help) in regs {
        gauge(o, name, help, card.reg(reg));
    }
    if let Some(status) = card.reg("STATUS") {
        let mut f = Family::start(
            o,
            "seqfab_card_role",
            "gauge",
            "1 for the role(s) this card holds in its epoch.",
        );
        f.sample("seqfab_card_role", &[("role", "primary")], status >> 2 & 1);
        f.sample(
            "seqfab_card_role",
            &[("role", "secondary")],
            status >> 3 & 1,
        );
        let mut f = Family::start(
            o,
            "seqfab_card_link_up",
            "gauge",
            "1 when the plane's link is up.",
        );
        f.sample("seqfab_card_link_up", &[("plane", "x")], status & 1);
        f.sample("seqfab_card_link_up", &[("plane", "y")], status >> 1 & 1);
    }
    if let (Some(x), Some(y)) = (card.reg("LIVE_X"), card.reg("LIVE_Y")) {
        let mut f = Family::start(
            o,
            "seqfab_card_peers_heard",
            "gauge",
            "Nodes whose heartbeats this card hears, per plane.",
        );
        f.sample(
            "seqfab_card_peers_heard",
            &[("plane", "x")],
            x.count_ones() as u64,
        );
        f.sample(
            "seqfab_card_peers_heard",
            &[("plane", "y")],
            y.count_ones() as u64,
        );
    }
    let stats: Vec<(&String, &u64)> = card
        .regs
        .iter()
        .filter(|(k, _)| k.starts_with("STAT_"))
        .collect();
    if !stats.is_empty() {
        let mut f = Family::start(
            o,
            "seqfab_card_events_total",
            "counter",
            "The card's statistics registers (requests, responses, NACKs, drops by reason, retries, frames per plane).",
        );
        for (k, v) in stats {
            let event = k.trim_start_matches("STAT_").to_ascii_lowercase();
            f.sample("seqfab_card_events_total", &[("event", &event)], *v);
        }
    }
    gauge(
        o,
        "seqfab_mirror_stored",
        "The stored value in the card's DMA mirror in host memory.",
        Some(card.mirror.stored),
    );
    gauge(
        o,
        "seqfab_agent_queues",
        "Queues the agent grants.",
        Some(card.agent.queues as u64),
    );
    gauge(
        o,
        "seqfab_agent_queues_granted",
        "Queues held by processes now.",
        Some(card.agent.granted as u64),
    );
    gauge(
        o,
        "seqfab_agent_queues_draining",
        "Queues draining after their process went.",
        Some(card.agent.draining as u64),
    );
    Family::start(
        o,
        "seqfab_agent_grants_total",
        "counter",
        "Queues granted since the agent started.",
    )
    .sample("seqfab_agent_grants_total", &[], card.agent.grants);
    gauge(
        o,
        "seqfab_manager_candidate",
        "1 when this daemon is a manager candidate.",
        Some(manager.candidate as u64),
    );
    gauge(
        o,
        "seqfab_manager_active",
        "1 when this daemon is the active manager.",
        Some(manager.active as u64),
    );
    if manager.active {
        let c = |o: &mut String, name: &str, help: &str, v: u64| {
            Family::start(o, name, "counter", help).sample(name, &[], v);
        };
        c(
            o,
            "seqfab_manager_failovers_total",
            "Failovers this manager completed.",
            manager.failovers,
        );
        c(
            o,
            "seqfab_manager_window_raises_total",
            "Window raises this manager made durable and sent.",
            manager.window_raises,
        );
        c(
            o,
            "seqfab_manager_seeds_total",
            "Failovers seeded from the durable limit.",
            manager.seeds,
        );
        c(
            o,
            "seqfab_manager_mirror_recoveries_total",
            "Failovers whose counter came from a host's DMA mirror.",
            manager.mirror_recoveries,
        );
        if let Some(s) = &manager.state {
            gauge(
                o,
                "seqfab_manager_epoch",
                "The highest epoch the store holds.",
                Some(s.epoch as u64),
            );
            gauge(
                o,
                "seqfab_manager_limit",
                "The durable window limit.",
                Some(s.limit),
            );
        }
    }
    out
}
