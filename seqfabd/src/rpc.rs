//! The agent's RPC: HTTP/1.1 with JSON bodies over TCP (docs/management.md, "RPC").
//!
//! One definition of every message, used by the server ([`crate::http`]), by the manager
//! reading other hosts' cards ([`crate::manager`]) and by `seqctl`. HTTP/JSON rather than
//! gRPC: the calls are few and small, `curl` can make every one of them, and the same
//! port serves Prometheus, which speaks HTTP anyway.
//!
//! | call | what |
//! |---|---|
//! | `GET /v1/card` | this host's card: every readable register by name, its DMA mirror, the agent's queues ([`CardView`]) |
//! | `POST /v1/fence` | send the card a CONFIG of a newer epoch, then report its final stored value ([`FenceRequest`] -> [`FenceReply`]) |
//! | `GET /v1/manager` | the active manager as this daemon knows it ([`ManagerView`]) |
//! | `POST /v1/init`, `/v1/failover`, `/v1/window`, `/v1/drain`, `/v1/remove`, `/v1/add` | operator commands, to the active manager ([`InitRequest`], [`NodeRequest`], [`WindowRequest`]) |
//! | `POST /v1/agent/drain`, `/v1/agent/undrain` | this agent stops (resumes) granting queues |
//! | `GET /metrics` | Prometheus text format |
//!
//! Errors are a status code and an [`ErrorBody`] that says what to do.

use seqfab_manage::{ClusterState, Roles};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// The header carrying the operator token (`Authorization: Bearer <token>`).
pub const AUTHORIZATION: &str = "Authorization";

/// A card as its host's agent reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardView {
    pub node: u8,
    /// The card's device (PCI address or socket).
    pub device: String,
    /// The card answers with its magic (a dead or removed card reads all ones).
    pub alive: bool,
    /// Every readable BAR0 register of the contract, by name (empty when not alive).
    pub regs: BTreeMap<String, u64>,
    /// The state mirror the card last wrote into this host's memory (also when the card
    /// is gone: the memory is the host's).
    pub mirror: MirrorView,
    pub agent: AgentView,
}

impl CardView {
    /// Register `name`, when the card answered.
    pub fn reg(&self, name: &str) -> Option<u64> {
        self.regs.get(name).copied()
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirrorView {
    pub counter: u64,
    pub stored: u64,
    pub limit: u64,
    pub epoch: u32,
    /// Mirror writes so far (0: the card never wrote one).
    pub sequence: u32,
}

/// The agent's queue service.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentView {
    pub queues: usize,
    pub granted: usize,
    pub draining: usize,
    /// Grants since the agent started.
    pub grants: u64,
    /// The agent grants no new queues (`seqctl drain`).
    pub drained: bool,
}

/// `POST /v1/fence`: the epoch the card must adopt so that it stores nothing more.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FenceRequest {
    pub epoch: u32,
    pub primary: u8,
    pub secondary: u8,
    pub quorum: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FenceReply {
    /// The card answers.
    pub alive: bool,
    /// The card shows the fence's epoch (or a newer one).
    pub fenced: bool,
    /// Its STORED register after the fence (alive cards only).
    pub stored: Option<u64>,
    /// The mirror in host memory.
    pub mirror: MirrorView,
}

impl FenceReply {
    /// The stored value no later store can pass: the register of a fenced card (it is
    /// at least the mirror), or the mirror of a card that is gone. `None` when the card
    /// is alive and not fenced: it might store more.
    pub fn final_stored(&self) -> Option<u64> {
        match (self.alive, self.fenced) {
            (false, _) if self.mirror.sequence > 0 => Some(self.mirror.stored),
            (true, true) => Some(self.stored.unwrap_or(0).max(self.mirror.stored)),
            _ => None,
        }
    }
}

/// `GET /v1/manager`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagerView {
    /// The daemon answering.
    pub node: u8,
    /// This daemon is a manager candidate.
    pub candidate: bool,
    /// This daemon is the active manager.
    pub active: bool,
    /// The active manager's name (`node<N>@<rpc address>`), as the store says.
    pub leader: Option<String>,
    /// The durable state (the active manager's view; others' read of the store).
    pub state: Option<ClusterState>,
    pub failovers: u64,
    pub window_raises: u64,
    pub seeds: u64,
    pub mirror_recoveries: u64,
    /// The manager's recent log lines, oldest first.
    pub events: Vec<String>,
}

impl ManagerView {
    pub fn roles(&self) -> Option<Roles> {
        self.state.as_ref().map(|s| s.roles)
    }
}

/// `POST /v1/init`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitRequest {
    pub primary: u8,
    pub secondary: u8,
    /// Numbers per window raise.
    pub window: u64,
}

/// `POST /v1/drain`, `/v1/remove`, `/v1/add`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRequest {
    pub node: u8,
}

/// `POST /v1/window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowRequest {
    pub size: u64,
}

/// Any call's answer on success when there is nothing else to say.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Done {
    pub done: String,
}

/// An error answer: why, and what to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    /// The active manager's name when the call went to another daemon.
    #[serde(default)]
    pub leader: Option<String>,
}

/// Why a call to a daemon failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("no seqfabd answers at {addr}: {why} (is seqfabd running there with --rpc {addr}?)")]
    Unreachable { addr: String, why: String },
    #[error("{addr} refused: {status} {}", body.error)]
    Refused {
        addr: String,
        status: u16,
        body: ErrorBody,
    },
    #[error("{addr} answered something that is not seqfabd's RPC: {why}")]
    Garbled { addr: String, why: String },
}

/// A client of one daemon's RPC.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    token: Option<String>,
}

impl Client {
    /// A client whose calls give up after `timeout`; `token` goes with every POST.
    pub fn new(timeout: Duration, token: Option<String>) -> Client {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(timeout)
            .timeout(timeout)
            .build();
        Client { agent, token }
    }

    pub fn card(&self, addr: &str) -> Result<CardView, CallError> {
        self.get(addr, "/v1/card")
    }

    pub fn manager(&self, addr: &str) -> Result<ManagerView, CallError> {
        self.get(addr, "/v1/manager")
    }

    pub fn get<T: serde::de::DeserializeOwned>(
        &self,
        addr: &str,
        path: &str,
    ) -> Result<T, CallError> {
        let r = self.agent.get(&format!("http://{addr}{path}")).call();
        Self::answer(addr, r)
    }

    pub fn post<B: Serialize, T: serde::de::DeserializeOwned>(
        &self,
        addr: &str,
        path: &str,
        body: &B,
    ) -> Result<T, CallError> {
        let mut req = self.agent.post(&format!("http://{addr}{path}"));
        if let Some(t) = &self.token {
            req = req.set(AUTHORIZATION, &format!("Bearer {t}"));
        }
        Self::answer(addr, req.send_json(body))
    }

    fn answer<T: serde::de::DeserializeOwned>(
        addr: &str,
        r: Result<ureq::Response, ureq::Error>,
    ) -> Result<T, CallError> {
        let garbled = |why: String| CallError::Garbled {
            addr: addr.to_string(),
            why,
        };
        match r {
            Ok(resp) => resp.into_json().map_err(|e| garbled(e.to_string())),
            Err(ureq::Error::Status(status, resp)) => {
                let body: ErrorBody = resp
                    .into_json()
                    .map_err(|e| garbled(format!("status {status}: {e}")))?;
                Err(CallError::Refused {
                    addr: addr.to_string(),
                    status,
                    body,
                })
            }
            Err(ureq::Error::Transport(t)) => Err(CallError::Unreachable {
                addr: addr.to_string(),
                why: t.to_string(),
            }),
        }
    }
}

/// The RPC address in a leader name `node<N>@<address>`.
pub fn leader_addr(name: &str) -> Option<&str> {
    name.split_once('@').map(|(_, a)| a)
}
