//! [`MemStore`]: the durable store of a manager that lives inside a simulator.

use super::{ClusterState, Leader, Result, Store, StoreError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Shared {
    state: Option<ClusterState>,
    leader: Option<String>,
}

/// A store in memory, shared by clones: each clone is one candidate, and the simulator
/// "restarts" a manager by building a new one over a clone. Leadership is first come;
/// [`MemStore::depose`] hands it to nobody, as an expired lease would.
#[derive(Clone)]
pub struct MemStore {
    name: String,
    shared: Arc<Mutex<Shared>>,
}

impl MemStore {
    /// A new, empty store with one candidate called `name`.
    pub fn new(name: &str) -> Self {
        MemStore {
            name: name.to_string(),
            shared: Arc::default(),
        }
    }

    /// Another candidate over the same store.
    pub fn candidate(&self, name: &str) -> Self {
        MemStore {
            name: name.to_string(),
            shared: self.shared.clone(),
        }
    }

    /// Ends the current leadership (the leader's lease ran out).
    pub fn depose(&self) {
        self.lock().leader = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        // A panic while holding this lock leaves plain data behind: take it as it is.
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Store for MemStore {
    fn campaign(&mut self, _wait: Duration) -> Result<bool> {
        let mut s = self.lock();
        if s.leader.is_none() {
            s.leader = Some(self.name.clone());
        }
        Ok(s.leader.as_deref() == Some(&self.name))
    }

    fn is_leader(&mut self) -> bool {
        self.lock().leader.as_deref() == Some(&self.name)
    }

    fn leader(&mut self) -> Result<Option<Leader>> {
        Ok(self.lock().leader.clone().map(|name| Leader { name }))
    }

    fn resign(&mut self) -> Result<()> {
        let mut s = self.lock();
        if s.leader.as_deref() == Some(&self.name) {
            s.leader = None;
        }
        Ok(())
    }

    fn load(&mut self) -> Result<Option<ClusterState>> {
        Ok(self.lock().state.clone())
    }

    fn save(&mut self, state: &ClusterState) -> Result<()> {
        let mut s = self.lock();
        if s.leader.as_deref() != Some(&self.name) {
            return Err(StoreError::NotLeader);
        }
        s.state = Some(state.clone());
        Ok(())
    }
}
