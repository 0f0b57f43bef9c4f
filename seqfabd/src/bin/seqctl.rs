//! `seqctl`: the operator's command line for a seqfab cluster (DESIGN.md 5). It talks to
//! the hosts' `seqfabd` over their RPC ([`seqfabd::rpc`]); commands go to the active
//! manager, which it finds by asking any daemon.

use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, Subcommand};
use seqfabd::rpc::{
    leader_addr, CallError, CardView, Client, Done, InitRequest, ManagerView, NodeRequest,
    WindowRequest,
};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "seqctl",
    about = "Operate a seqfab cluster: status, init, planned failover, window, drain/remove/add of a card."
)]
struct Args {
    /// The hosts' seqfabd RPC addresses (HOST:PORT, comma separated), in node order.
    #[arg(
        long,
        env = "SEQFAB_ENDPOINTS",
        value_delimiter = ',',
        default_value = "127.0.0.1:7300"
    )]
    endpoints: Vec<String>,
    /// File holding the operator token the daemons were started with (--token-file).
    #[arg(long, env = "SEQFAB_TOKEN_FILE")]
    token_file: Option<PathBuf>,
    /// Print JSON (a stable interface) instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Milliseconds to wait for a daemon.
    #[arg(long, default_value_t = 2000)]
    timeout_ms: u64,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Every card (role, epoch, counter, stored, limit, lease, liveness, statistics) and
    /// the active manager.
    Status,
    /// Start the cluster: epoch 1 with these roles, counter 0, one window.
    Init {
        #[arg(long)]
        primary: u8,
        #[arg(long)]
        secondary: u8,
        /// Numbers per window raise.
        #[arg(long, default_value_t = 1 << 20)]
        window: u64,
    },
    /// Planned failover: the secondary becomes primary and a new secondary is picked.
    /// Service pauses for the new primary's hold (about one lease).
    Failover,
    /// Numbers per window raise.
    Window {
        #[arg(long)]
        size: u64,
    },
    /// Move roles off a card and stop its host granting new queues (maintenance).
    Drain {
        #[arg(long)]
        node: u8,
    },
    /// Move roles off a card for good (it still counts in the quorum).
    Remove {
        #[arg(long)]
        node: u8,
    },
    /// Undo drain/remove: the card may hold roles again, its host grants queues again.
    Add {
        #[arg(long)]
        node: u8,
    },
}

/// `seqctl status --json`: the stable shape.
#[derive(Serialize)]
struct Status {
    cards: Vec<CardStatus>,
    manager: Option<ManagerView>,
}

#[derive(Serialize)]
struct CardStatus {
    endpoint: String,
    /// The daemon's answer, or why there is none.
    #[serde(flatten)]
    view: Option<CardView>,
    error: Option<String>,
}

fn nodes(bits: u64) -> String {
    let v: Vec<String> = (0..64)
        .filter(|n| bits >> n & 1 == 1)
        .map(|n| n.to_string())
        .collect();
    if v.is_empty() {
        "-".into()
    } else {
        v.join(",")
    }
}

fn print_status(s: &Status) {
    match &s.manager {
        Some(m) => {
            let who = m.leader.clone().unwrap_or_else(|| "none elected".into());
            println!("manager: {who}");
            if let Some(st) = &m.state {
                println!(
                    "  epoch {} (highest used {}), primary {}, secondary {}, limit {}, window {}{}{}",
                    st.roles.epoch,
                    st.epoch,
                    st.roles.primary,
                    st.roles.secondary,
                    st.limit,
                    st.window,
                    if st.pending.is_some() { ", promotion pending" } else { "" },
                    if st.removed != 0 { format!(", removed {}", nodes(st.removed)) } else { String::new() }
                );
                println!(
                    "  failovers {}, window raises {}, seeds {}, mirror recoveries {}",
                    m.failovers, m.window_raises, m.seeds, m.mirror_recoveries
                );
            } else {
                println!("  not initialised (seqctl init --primary A --secondary B)");
            }
        }
        None => println!("manager: none answers"),
    }
    println!(
        "{:<5} {:<10} {:>5} {:>12} {:>12} {:>12} {:>8} {:>5} {:<12} {:<12} {:>9} {:>6} {:>6}",
        "node",
        "role",
        "epoch",
        "counter",
        "stored",
        "limit",
        "lease",
        "hold",
        "hears X",
        "hears Y",
        "requests",
        "nacks",
        "queues"
    );
    for c in &s.cards {
        match (&c.view, &c.error) {
            (Some(v), _) if v.alive => {
                let r = |n: &str| v.reg(n).unwrap_or(0);
                let status = r("STATUS");
                let role = match (status >> 2 & 1, status >> 3 & 1) {
                    (1, 1) => "prim+sec",
                    (1, 0) => "primary",
                    (0, 1) => "secondary",
                    _ => "originator",
                };
                println!(
                    "{:<5} {:<10} {:>5} {:>12} {:>12} {:>12} {:>8} {:>5} {:<12} {:<12} {:>9} {:>6} {:>6}",
                    v.node,
                    role,
                    r("EPOCH"),
                    r("COUNTER"),
                    r("STORED"),
                    r("LIMIT"),
                    r("LEASE"),
                    r("LEASE_HOLD_LEFT"),
                    nodes(r("LIVE_X")),
                    nodes(r("LIVE_Y")),
                    r("STAT_DOORBELLS"),
                    r("STAT_NACK_RX"),
                    format!("{}/{}", v.agent.granted, v.agent.queues),
                );
            }
            (Some(v), _) => println!(
                "{:<5} card dead (its host answers; mirror: stored {}, epoch {})",
                v.node, v.mirror.stored, v.mirror.epoch
            ),
            (None, e) => println!("{:<5} {}", c.endpoint, e.clone().unwrap_or_default()),
        }
    }
}

/// The active manager's address: the daemon that says it is, or the leader others name.
fn leader(client: &Client, endpoints: &[String]) -> Result<String> {
    let mut errors = Vec::new();
    let mut named = None;
    for e in endpoints {
        match client.manager(e) {
            Ok(m) if m.active => return Ok(e.clone()),
            Ok(m) => {
                if let Some(a) = m.leader.as_deref().and_then(leader_addr) {
                    named.get_or_insert(a.to_string());
                }
            }
            Err(err) => errors.push(err.to_string()),
        }
    }
    if let Some(a) = named {
        return Ok(a);
    }
    if errors.len() == endpoints.len() {
        bail!("no seqfabd answers:\n  {}", errors.join("\n  "));
    }
    bail!("no active manager: no daemon of {} is elected (is any seqfabd started with --manager, and its store reachable?)", endpoints.join(","))
}

fn command<B: Serialize>(
    client: &Client,
    endpoints: &[String],
    path: &str,
    body: &B,
) -> Result<String> {
    let addr = leader(client, endpoints)?;
    let d: Done = client.post(&addr, path, body).map_err(explain)?;
    Ok(d.done)
}

fn explain(e: CallError) -> anyhow::Error {
    match &e {
        CallError::Refused {
            status: 401 | 403, ..
        } => {
            anyhow!("{e}\n(hint: pass the daemons' token with --token-file, or run seqctl on the daemon's host)")
        }
        _ => anyhow!(e),
    }
}

fn run(a: Args) -> Result<()> {
    let token = a
        .token_file
        .as_ref()
        .map(|f| {
            std::fs::read_to_string(f)
                .map(|t| t.trim().to_string())
                .with_context(|| format!("reading {}", f.display()))
        })
        .transpose()?;
    let client = Client::new(Duration::from_millis(a.timeout_ms), token);
    let eps = &a.endpoints;
    let done = |what: String| -> Result<()> {
        if a.json {
            println!("{}", serde_json::json!({ "done": what }));
        } else {
            println!("{what}");
        }
        Ok(())
    };
    match a.cmd {
        Cmd::Status => {
            let cards: Vec<CardStatus> = eps
                .iter()
                .map(|e| match client.card(e) {
                    Ok(v) => CardStatus {
                        endpoint: e.clone(),
                        view: Some(v),
                        error: None,
                    },
                    Err(err) => CardStatus {
                        endpoint: e.clone(),
                        view: None,
                        error: Some(err.to_string()),
                    },
                })
                .collect();
            if cards.iter().all(|c| c.view.is_none()) {
                let why: Vec<String> = cards.iter().filter_map(|c| c.error.clone()).collect();
                bail!("no seqfabd answers:\n  {}", why.join("\n  "));
            }
            let views: Vec<ManagerView> =
                eps.iter().filter_map(|e| client.manager(e).ok()).collect();
            let manager = views
                .iter()
                .find(|m| m.active)
                .or_else(|| views.iter().find(|m| m.leader.is_some()))
                .cloned();
            let s = Status { cards, manager };
            if a.json {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                print_status(&s);
            }
            Ok(())
        }
        Cmd::Init {
            primary,
            secondary,
            window,
        } => done(command(
            &client,
            eps,
            "/v1/init",
            &InitRequest {
                primary,
                secondary,
                window,
            },
        )?),
        Cmd::Failover => done(command(
            &client,
            eps,
            "/v1/failover",
            &serde_json::json!({}),
        )?),
        Cmd::Window { size } => done(command(
            &client,
            eps,
            "/v1/window",
            &WindowRequest { size },
        )?),
        Cmd::Remove { node } => done(command(&client, eps, "/v1/remove", &NodeRequest { node })?),
        Cmd::Drain { node } | Cmd::Add { node } => {
            let drain = matches!(a.cmd, Cmd::Drain { .. });
            let path = if drain { "/v1/drain" } else { "/v1/add" };
            let what = command(&client, eps, path, &NodeRequest { node })?;
            let host = eps
                .get(node as usize)
                .with_context(|| format!("no endpoint for node {node} in --endpoints"))?;
            let agent = if drain {
                "/v1/agent/drain"
            } else {
                "/v1/agent/undrain"
            };
            let d: Done = client
                .post(host, agent, &serde_json::json!({}))
                .map_err(explain)?;
            done(format!("{what}; host {host}: {}", d.done))
        }
    }
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("seqctl: error: {e:#}");
            ExitCode::from(1)
        }
    }
}
