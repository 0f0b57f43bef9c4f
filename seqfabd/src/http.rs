//! The RPC and metrics server ([`crate::rpc`] lists the calls): tiny_http, one thread
//! accepting and one per request, so a slow card read never holds up `/metrics`.
//!
//! Reads (`GET`) are open to anyone who reaches the port (bind it where only the cluster
//! can). Commands (`POST`) change the cluster: with `--token-file` they must carry that
//! token; without one, only loopback callers may send them.

use crate::agent::{log, Shared};
use crate::manager::{Op, Role};
use crate::rpc::{Done, ErrorBody, FenceRequest, InitRequest, NodeRequest, WindowRequest};
use seqfab_manage::Command;
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tiny_http::{Header, Method, Request, Response};

/// The running server; [`Server::join`] waits for it after `stop` was set.
pub struct Server {
    thread: JoinHandle<()>,
}

struct Ctx {
    shared: Arc<Shared>,
    role: Option<Arc<Role>>,
}

type Reply = (u16, String);

impl Server {
    /// Binds `addr` (port 0: any free port; the address is logged) and serves until `stop`.
    pub fn bind(
        addr: SocketAddr,
        shared: Arc<Shared>,
        role: Option<Arc<Role>>,
        stop: Arc<AtomicBool>,
    ) -> std::io::Result<Server> {
        let server = tiny_http::Server::http(addr).map_err(std::io::Error::other)?;
        log(format!(
            "RPC and metrics on http://{}",
            server
                .server_addr()
                .to_ip()
                .map_or(addr.to_string(), |a| a.to_string())
        ));
        let ctx = Arc::new(Ctx { shared, role });
        let thread = std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match server.recv_timeout(Duration::from_millis(100)) {
                    Ok(Some(req)) => {
                        let ctx = ctx.clone();
                        std::thread::spawn(move || handle(&ctx, req));
                    }
                    Ok(None) => {}
                    Err(e) => log(format!("RPC: {e}")),
                }
            }
        });
        Ok(Server { thread })
    }

    pub fn join(self) {
        let _ = self.thread.join();
    }
}

fn json<T: Serialize>(status: u16, body: &T) -> Reply {
    (
        status,
        serde_json::to_string_pretty(body).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")),
    )
}

fn error(status: u16, why: impl Into<String>, leader: Option<String>) -> Reply {
    json(
        status,
        &ErrorBody {
            error: why.into(),
            leader,
        },
    )
}

fn handle(ctx: &Ctx, mut req: Request) {
    let url = req.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let is_metrics = path == "/metrics";
    let (status, body) = match (req.method(), path) {
        (Method::Get, _) => get(ctx, path, query),
        (Method::Post, _) => match authorize(ctx, &req) {
            Err(r) => r,
            Ok(()) => {
                let mut body = String::new();
                match std::io::Read::read_to_string(req.as_reader(), &mut body) {
                    Ok(_) => post(ctx, path, &body),
                    Err(e) => error(400, format!("reading the body: {e}"), None),
                }
            }
        },
        (m, _) => error(405, format!("{m} is not served: use GET or POST"), None),
    };
    let content = if is_metrics && status == 200 {
        "text/plain; version=0.0.4; charset=utf-8"
    } else {
        "application/json"
    };
    let header = Header::from_bytes("Content-Type", content).expect("a valid header");
    let _ = req.respond(
        Response::from_string(body)
            .with_status_code(status)
            .with_header(header),
    );
}

fn authorize(ctx: &Ctx, req: &Request) -> Result<(), Reply> {
    match &ctx.shared.opts.token {
        Some(token) => {
            let sent = req
                .headers()
                .iter()
                .find(|h| h.field.equiv(crate::rpc::AUTHORIZATION))
                .map(|h| h.value.as_str().trim_start_matches("Bearer ").to_string());
            match sent {
                Some(t) if t == *token => Ok(()),
                Some(_) => Err(error(403, "not allowed: the token does not match this daemon's --token-file", None)),
                None => Err(error(401, "not allowed: commands need the operator token (seqctl --token-file FILE)", None)),
            }
        }
        None if req.remote_addr().is_some_and(|a| a.ip().is_loopback()) => Ok(()),
        None => Err(error(
            403,
            "not allowed: without --token-file this daemon takes commands from loopback callers only",
            None,
        )),
    }
}

fn get(ctx: &Ctx, path: &str, query: &str) -> Reply {
    match path {
        "/v1/card" => json(
            200,
            &crate::local::card_view(&ctx.shared, query != "polled"),
        ),
        "/v1/manager" => json(200, &manager_view(ctx)),
        "/metrics" => (
            200,
            crate::metrics::render(
                &crate::local::card_view(&ctx.shared, true),
                &manager_view(ctx),
            ),
        ),
        _ => error(
            404,
            format!("no such call {path}: see `seqfabd --help`"),
            None,
        ),
    }
}

fn manager_view(ctx: &Ctx) -> crate::rpc::ManagerView {
    match &ctx.role {
        Some(r) => r.view(),
        None => crate::rpc::ManagerView {
            node: ctx.shared.opts.node,
            ..Default::default()
        },
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, Reply> {
    serde_json::from_str(body).map_err(|e| error(400, format!("bad request body: {e}"), None))
}

fn post(ctx: &Ctx, path: &str, body: &str) -> Reply {
    let r = (|| -> Result<Reply, Reply> {
        let op = match path {
            "/v1/fence" => {
                let f: FenceRequest = parse(body)?;
                log(format!("fence: epoch {} asked by the manager", f.epoch));
                return Ok(json(200, &crate::local::fence(&ctx.shared, &f)));
            }
            "/v1/agent/drain" | "/v1/agent/undrain" => {
                let on = path.ends_with("/drain");
                ctx.shared.drained.store(on, Ordering::Relaxed);
                log(if on {
                    "drained: no new grants"
                } else {
                    "undrained: granting again"
                });
                return Ok(json(
                    200,
                    &Done {
                        done: path.trim_start_matches("/v1/agent/").into(),
                    },
                ));
            }
            "/v1/init" => Op::Init(parse::<InitRequest>(body)?),
            "/v1/failover" => Op::Cmd(Command::Handover),
            "/v1/window" => Op::Cmd(Command::Window(parse::<WindowRequest>(body)?.size)),
            "/v1/remove" | "/v1/drain" => {
                Op::Cmd(Command::Remove(parse::<NodeRequest>(body)?.node))
            }
            "/v1/add" => Op::Cmd(Command::Add(parse::<NodeRequest>(body)?.node)),
            _ => return Err(error(404, format!("no such call {path}"), None)),
        };
        let Some(role) = &ctx.role else {
            return Err(error(
                409,
                "this daemon is not a manager candidate (start it with --manager); send the command to the active manager",
                None,
            ));
        };
        match role.ask(op) {
            Ok(done) => Ok(json(200, &Done { done })),
            Err((status, why, leader)) => Err(error(status, why, leader)),
        }
    })();
    r.unwrap_or_else(|e| e)
}
