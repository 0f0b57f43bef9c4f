//! [`EtcdStore`]: the durable store of managers on several hosts (DESIGN.md 5: "leader
//! election with an etcd lease, and every write guarded by the leader key, so a deposed
//! manager changes nothing"). docs/management.md, "Durable store", has the argument.
//!
//! Keys, under a prefix shared by the candidates:
//! - `<prefix>/leader`: the leader's name, attached to its lease. Created only when absent
//!   (a transaction comparing its create revision with 0), so at most one candidate holds
//!   it; it disappears when the lease is revoked or runs out. Its create revision is the
//!   leadership's token.
//! - `<prefix>/state`: the JSON of [`ClusterState`], written only by a transaction that
//!   first checks that `<prefix>/leader` still has this leadership's create revision and
//!   this candidate's name. A deposed manager's write fails that check in etcd itself,
//!   whatever the manager believes.
//!
//! Only leases, KV and transactions are used (no election service), all of which etcd 3.4
//! (Debian bookworm's etcd-server) has.
//!
//! The manager is synchronous: the store owns a tokio runtime with one worker thread,
//! blocks on it for each call, and keeps the lease alive from a task on that worker, so
//! the lease is renewed while the manager is busy elsewhere.

use super::{ClusterState, Leader, Result, Store, StoreError};
use etcd_client::{
    Client, Compare, CompareOp, ConnectOptions, Error as EtcdError, PutOptions, Txn, TxnOp,
    TxnOpResponse,
};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Bound on one call to etcd (connect, request and reply), so that nothing hangs.
const CALL_TIMEOUT: Duration = Duration::from_secs(3);
/// How often `campaign` retries while another candidate leads.
const RETRY: Duration = Duration::from_millis(50);

/// What the keep-alive task knows about the lease, shared with the store.
#[derive(Debug)]
struct Life {
    /// Until then the lease certainly has not expired in etcd: the send time of the last
    /// renewal etcd confirmed plus the TTL, minus a margin.
    deadline: Instant,
    /// etcd said the lease is gone (revoked, or expired while we could not renew it).
    dead: bool,
    /// The leadership token the task checks against `<prefix>/leader`, and whether the
    /// key still carried it at the last check.
    token: Option<i64>,
    lost: bool,
}

struct Lease {
    id: i64,
    life: Arc<Mutex<Life>>,
    task: tokio::task::JoinHandle<()>,
}

impl Lease {
    fn life(&self) -> std::sync::MutexGuard<'_, Life> {
        lock(&self.life)
    }

    fn alive(&self) -> bool {
        let l = self.life();
        !l.dead && Instant::now() < l.deadline
    }
}

fn lock(life: &Mutex<Life>) -> std::sync::MutexGuard<'_, Life> {
    // Plain data: a panic while holding it leaves nothing half-updated that matters.
    life.lock().unwrap_or_else(|e| e.into_inner())
}

/// One candidate of an election in etcd, and the state it may write while it leads.
pub struct EtcdStore {
    rt: tokio::runtime::Runtime,
    client: Client,
    endpoints: String,
    name: String,
    leader_key: String,
    state_key: String,
    ttl: Duration,
    lease: Option<Lease>,
    /// The leader key's create revision while this candidate leads.
    token: Option<i64>,
}

impl EtcdStore {
    /// A candidate called `name` in the election under `prefix` (e.g. `/seqfab/cluster1`)
    /// of the etcd cluster at `endpoints` (`http://host:2379`). `ttl` is the lease: a
    /// leader that stops renewing it (crash, pause, partition) loses leadership after at
    /// most `ttl` (etcd rounds it up to whole seconds, and to its minimum, 2 s by default).
    /// Fails with [`StoreError::Unreachable`] when no endpoint answers within a few seconds.
    pub fn connect(
        endpoints: &[String],
        prefix: &str,
        name: &str,
        ttl: Duration,
    ) -> Result<EtcdStore> {
        let joined = endpoints.join(",");
        let unreachable = |why: String| StoreError::Unreachable {
            endpoints: joined.clone(),
            why,
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("seqfab-etcd")
            .enable_all()
            .build()
            .map_err(|e| unreachable(format!("cannot start the etcd client's runtime: {e}")))?;
        let options = ConnectOptions::new()
            .with_connect_timeout(CALL_TIMEOUT)
            .with_timeout(CALL_TIMEOUT);
        let client = rt
            .block_on(timed(Client::connect(endpoints, Some(options))))
            .map_err(unreachable)?;
        let prefix = prefix.trim_end_matches('/');
        let mut store = EtcdStore {
            rt,
            client,
            endpoints: joined,
            name: name.to_string(),
            leader_key: format!("{prefix}/leader"),
            state_key: format!("{prefix}/state"),
            ttl,
            lease: None,
            token: None,
        };
        // The client connects lazily: ask once so that a wrong address fails here.
        store.leader()?;
        Ok(store)
    }

    /// The lease this candidate campaigns with (etcd's id), if it has one.
    pub fn lease_id(&self) -> Option<i64> {
        self.lease.as_ref().map(|l| l.id)
    }

    /// Stops renewing the lease without revoking it, as a paused or partitioned manager
    /// would: leadership ends when the lease runs out, and another candidate can take it.
    /// (For tests, and for stepping down without a word.)
    pub fn stop_keep_alive(&mut self) {
        if let Some(l) = &self.lease {
            l.task.abort();
        }
    }

    fn unreachable(&self, why: String) -> StoreError {
        StoreError::Unreachable {
            endpoints: self.endpoints.clone(),
            why,
        }
    }

    /// Runs one call to etcd, bounded by [`CALL_TIMEOUT`].
    fn call<T>(&self, f: impl Future<Output = std::result::Result<T, EtcdError>>) -> Result<T> {
        self.rt
            .block_on(timed(f))
            .map_err(|why| self.unreachable(why))
    }

    /// A lease that is alive, granted (with its keep-alive task) if needed.
    fn ensure_lease(&mut self) -> Result<i64> {
        if let Some(l) = &self.lease {
            if l.alive() && !l.task.is_finished() {
                return Ok(l.id);
            }
        }
        self.drop_lease(false);
        let secs = (self.ttl.as_millis().div_ceil(1000) as i64).max(1);
        let mut client = self.client.clone();
        let sent = Instant::now();
        let granted = self.call(async move { client.lease_grant(secs, None).await })?;
        if !granted.error().is_empty() || granted.ttl() <= 0 {
            return Err(self.unreachable(format!("lease grant refused: {}", granted.error())));
        }
        let ttl = Duration::from_secs(granted.ttl() as u64);
        let life = Arc::new(Mutex::new(Life {
            deadline: sent + safe(ttl),
            dead: false,
            token: None,
            lost: false,
        }));
        let task = self.rt.spawn(keep_alive(
            self.client.clone(),
            granted.id(),
            ttl,
            life.clone(),
            self.leader_key.clone(),
        ));
        self.lease = Some(Lease {
            id: granted.id(),
            life,
            task,
        });
        Ok(granted.id())
    }

    /// Stops the keep-alive and forgets the lease; `revoke` also revokes it in etcd
    /// (which deletes the leader key if it is ours).
    fn drop_lease(&mut self, revoke: bool) -> Option<Result<()>> {
        self.token = None;
        let l = self.lease.take()?;
        l.task.abort();
        if !revoke {
            return None;
        }
        let mut client = self.client.clone();
        Some(
            self.call(async move { client.lease_revoke(l.id).await })
                .map(|_| ()),
        )
    }

    /// One attempt at creating the leader key. `Ok(Some(token))`: this candidate leads.
    fn try_lead(&mut self, lease: i64) -> Result<Option<i64>> {
        let key = self.leader_key.clone();
        let txn = Txn::new()
            .when([Compare::create_revision(key.clone(), CompareOp::Equal, 0)])
            .and_then([TxnOp::put(
                key.clone(),
                self.name.clone(),
                Some(PutOptions::new().with_lease(lease)),
            )])
            .or_else([TxnOp::get(key, None)]);
        let mut client = self.client.clone();
        let resp = match self
            .rt
            .block_on(timed(async move { client.txn(txn).await }))
        {
            Ok(r) => r,
            Err(why) if why.contains("lease not found") => {
                // Revoked behind our back: the next attempt grants a new one.
                if let Some(l) = &self.lease {
                    l.life().dead = true;
                }
                return Ok(None);
            }
            Err(why) => return Err(self.unreachable(why)),
        };
        if resp.succeeded() {
            // The key was created by this transaction, at its revision.
            return Ok(resp.header().map(|h| h.revision()));
        }
        // Ours already: an earlier attempt committed but its reply was lost.
        for op in resp.op_responses() {
            if let TxnOpResponse::Get(get) = op {
                if let Some(kv) = get.kvs().first() {
                    if kv.lease() == lease && kv.value() == self.name.as_bytes() {
                        return Ok(Some(kv.create_revision()));
                    }
                }
            }
        }
        Ok(None)
    }
}

impl Drop for EtcdStore {
    fn drop(&mut self) {
        // Revoking hands leadership over at once instead of after the TTL. Best effort:
        // if etcd cannot be reached the lease runs out by itself.
        let _ = self.drop_lease(true);
    }
}

impl Store for EtcdStore {
    fn campaign(&mut self, wait: Duration) -> Result<bool> {
        if self.is_leader() {
            return Ok(true);
        }
        self.token = None;
        super::retry_until(wait, RETRY, || {
            let lease = self.ensure_lease()?;
            let Some(token) = self.try_lead(lease)? else {
                return Ok(false);
            };
            self.token = Some(token);
            if let Some(l) = &self.lease {
                let mut life = l.life();
                life.token = Some(token);
                life.lost = false;
            }
            Ok(true)
        })
    }

    fn is_leader(&mut self) -> bool {
        let Some(token) = self.token else {
            return false;
        };
        let leads = self.lease.as_ref().is_some_and(|l| {
            let life = l.life();
            !life.dead && !life.lost && life.token == Some(token) && Instant::now() < life.deadline
        });
        if !leads {
            self.token = None;
        }
        leads
    }

    fn leader(&mut self) -> Result<Option<Leader>> {
        let mut client = self.client.clone();
        let key = self.leader_key.clone();
        let resp = self.call(async move { client.get(key, None).await })?;
        Ok(resp.kvs().first().map(|kv| Leader {
            name: String::from_utf8_lossy(kv.value()).into_owned(),
        }))
    }

    fn resign(&mut self) -> Result<()> {
        self.drop_lease(true).unwrap_or(Ok(()))
    }

    fn load(&mut self) -> Result<Option<ClusterState>> {
        let mut client = self.client.clone();
        let key = self.state_key.clone();
        let resp = self.call(async move { client.get(key, None).await })?;
        let Some(kv) = resp.kvs().first() else {
            return Ok(None);
        };
        serde_json::from_slice(kv.value())
            .map(Some)
            .map_err(|e| StoreError::Corrupt {
                place: format!("etcd key {} at {}", self.state_key, self.endpoints),
                why: format!("the JSON does not parse: {e}"),
            })
    }

    fn save(&mut self, state: &ClusterState) -> Result<()> {
        // No local check beyond having been elected: etcd decides, below.
        let Some(token) = self.token else {
            return Err(StoreError::NotLeader);
        };
        let json = serde_json::to_vec(state).expect("ClusterState serialises");
        let txn = Txn::new()
            .when([
                Compare::create_revision(self.leader_key.clone(), CompareOp::Equal, token),
                Compare::value(self.leader_key.clone(), CompareOp::Equal, self.name.clone()),
            ])
            .and_then([TxnOp::put(self.state_key.clone(), json, None)]);
        let mut client = self.client.clone();
        let resp = self.call(async move { client.txn(txn).await })?;
        if resp.succeeded() {
            Ok(())
        } else {
            // The leader key is gone or another's: deposed, and nothing was written.
            self.token = None;
            Err(StoreError::NotLeader)
        }
    }
}

/// How long after a confirmed renewal (from its send time) this process still counts on
/// the lease: a quarter of the TTL short of etcd's own expiry, which is at least the TTL
/// after etcd received the renewal.
fn safe(ttl: Duration) -> Duration {
    ttl - ttl / 4
}

async fn timed<T>(
    f: impl Future<Output = std::result::Result<T, EtcdError>>,
) -> std::result::Result<T, String> {
    match tokio::time::timeout(CALL_TIMEOUT, f).await {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {CALL_TIMEOUT:?}")),
    }
}

/// Renews lease `id` every quarter TTL while it lives, and checks that the leader key
/// still carries the leadership token (if any).
async fn keep_alive(
    mut client: Client,
    id: i64,
    ttl: Duration,
    life: Arc<Mutex<Life>>,
    leader_key: String,
) {
    let period = ttl / 4;
    let mut keeper = None;
    loop {
        let started = Instant::now();
        let renewed = tokio::time::timeout(period.max(Duration::from_millis(200)), async {
            match &mut keeper {
                None => {
                    // The first request of a new stream is itself a renewal.
                    keeper = Some(client.lease_keep_alive(id).await?);
                    Ok(Some(ttl.as_secs() as i64))
                }
                Some((k, stream)) => {
                    k.keep_alive().await?;
                    Ok(stream.message().await?.map(|r| r.ttl()))
                }
            }
        })
        .await;
        match renewed {
            Ok(Ok(Some(left))) if left > 0 => lock(&life).deadline = started + safe(ttl),
            Ok(Err(EtcdError::LeaseKeepAliveError(e))) if e.contains("not found") => {
                lock(&life).dead = true;
                return;
            }
            Ok(Ok(Some(_))) => {
                lock(&life).dead = true;
                return;
            }
            // Stream ended, error or timeout: a new stream next time.
            _ => keeper = None,
        }
        let token = lock(&life).token;
        if let Some(token) = token {
            if let Ok(Ok(resp)) =
                tokio::time::timeout(period, client.get(leader_key.clone(), None)).await
            {
                let ours = resp
                    .kvs()
                    .first()
                    .is_some_and(|kv| kv.create_revision() == token);
                if !ours {
                    lock(&life).lost = true;
                }
            }
        }
        tokio::time::sleep(period.saturating_sub(started.elapsed())).await;
    }
}
