//! The worker's hot connection: claims and batched acks go through one pooled connection the
//! worker keeps, not a connection per statement. The fetcher's claims and the handler groups' acks
//! are then pipelined on it (tokio-postgres sends concurrent statements of one client back to
//! back) and run one after the other in one server process — the way a hand-written consumer
//! loop runs them — instead of in two processes competing for the same rows, index pages and
//! cores. Measured (BENCHMARKS.md): a connection per statement put twice as many server
//! processes to work for the same jobs; keeping one took the paired bench from 0.85 / 0.75 /
//! 0.74 of the raw loop to 0.90 / 0.94 / 0.91 at batch 1 / 10 / 100 on 2 cores.
//!
//! The connection is taken from the pool on first use and replaced when it closes; the
//! heartbeat, the rescuer, retention, retries and dead letters keep using the pool. A pool of
//! one connection has none to spare: the worker then takes it per statement, as before.

use std::sync::{Arc, Mutex};

use deadpool_postgres::{Object, Pool};

use crate::error::MessengerError;

/// The connection, when the pool can spare one.
pub(crate) struct Hot {
    pool: Pool,
    current: Mutex<Option<Arc<Object>>>,
}

impl Hot {
    pub(crate) fn new(pool: Pool) -> Hot {
        Hot {
            pool,
            current: Mutex::new(None),
        }
    }

    fn current(&self) -> std::sync::MutexGuard<'_, Option<Arc<Object>>> {
        // Only a replace happens under this lock: a poisoned one still holds a valid value.
        self.current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The hot connection (a fresh one from the pool when it has none or it closed), or a
    /// connection for one statement when the pool cannot spare one for the worker to keep.
    pub(crate) async fn get(&self) -> Result<Arc<Object>, MessengerError> {
        if let Some(client) = self.current().as_ref().filter(|c| !c.is_closed()) {
            return Ok(client.clone());
        }
        let fresh = Arc::new(
            self.pool
                .get()
                .await
                .map_err(|e| MessengerError::Pool(e.to_string()))?,
        );
        if self.pool.status().max_size >= 2 {
            *self.current() = Some(fresh.clone());
        }
        Ok(fresh)
    }

    /// Gives the connection back to the pool (once nothing uses it any more).
    pub(crate) fn release(&self) {
        self.current().take();
    }
}
