//! The consumer runtime: a [`Worker`] consumes one transport (some of its queues) and runs the
//! application's handlers on its messages, with fenced leases, automatic heartbeats, retries with
//! back-off, dead letters, rescue of other workers' expired leases, retention, wake-up by
//! LISTEN/NOTIFY with polling as the fallback, and a graceful drain.
//!
//! How the parts meet (each a task of [`Worker::run`]):
//! - `fetch` claims (`concurrency + prefetch` messages held at most) and starts what it claimed
//!   as handler slots free up (`concurrency` at once);
//! - `execute` runs the messages started together in one task and turns each attempt into an
//!   outcome, which it writes (`finish`: acks batched);
//! - `hot` is the connection claims and acks go through;
//! - `heartbeat` renews every held lease in one statement per interval;
//! - `rescue` and `retention` keep the table healthy for everyone; `wakeup` LISTENs;
//! - `drain` stops them in the order that leaves nothing in `processing`.
//!
//! The lease invariant (see [`Consumer`]): nothing is written about a claimed message without its
//! lease token.

mod backoff;
mod builder;
mod drain;
mod execute;
mod fetch;
mod finish;
mod handler;
mod heartbeat;
mod hot;
mod lease;
mod metrics;
mod rescue;
mod retention;
mod wakeup;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use backoff::{Jitter, RetryPolicy};
pub use builder::WorkerBuilder;
pub use drain::DrainReport;
pub use handler::{Context, HandlerError};
pub use lease::{Consumer, Delivery, Fenced, Lease, Rescued};
pub use metrics::{Metrics, MetricsSnapshot};
pub use retention::Retention;
pub use wakeup::{CHANNEL, Listener};

use crate::error::MessengerError;
use crate::registry::Registry;
use handler::Handler;
use heartbeat::Leases;

/// The settings of a worker (see the [`WorkerBuilder`] methods for each).
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) queues: Vec<String>,
    pub(crate) concurrency: usize,
    pub(crate) batch_size: usize,
    pub(crate) prefetch: usize,
    pub(crate) lease: Duration,
    pub(crate) heartbeat: Duration,
    pub(crate) handler_timeout: Option<Duration>,
    pub(crate) rescue_interval: Duration,
    pub(crate) rescue_batch: usize,
    pub(crate) poll_interval: Duration,
    pub(crate) hot_poll: Duration,
    pub(crate) hot_period: Duration,
    pub(crate) drain_timeout: Duration,
    pub(crate) purge_interval: Duration,
    pub(crate) purge_batch: usize,
    pub(crate) ack_batch: usize,
}

/// What the worker's tasks share.
pub(crate) struct Shared {
    pub(crate) transport: Arc<str>,
    pub(crate) consumer: Consumer,
    pub(crate) registry: &'static Registry,
    pub(crate) handlers: HashMap<String, Arc<dyn Handler>>,
    pub(crate) default_policy: RetryPolicy,
    pub(crate) policies: HashMap<String, RetryPolicy>,
    pub(crate) config: Config,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) leases: Leases,
    /// The connection claims and acks go through.
    pub(crate) hot: hot::Hot,
    /// Messages may have become consumable (a notification, a rescue).
    pub(crate) wake: Notify,
    /// Held messages were finished: there is room to claim.
    pub(crate) capacity: Notify,
}

impl Shared {
    /// The retry policy of a message type.
    pub(crate) fn policy(&self, message_type: &str) -> &RetryPolicy {
        self.policies
            .get(message_type)
            .unwrap_or(&self.default_policy)
    }
}

/// Cancels every handler of a worker when dropped (with [`Worker::run`]'s future).
struct CancelHandlers(Arc<Shared>);

impl Drop for CancelHandlers {
    fn drop(&mut self) {
        self.0.leases.cancel_all();
    }
}

/// A consumer of one transport. Build it with [`Worker::builder`], run it with [`Worker::run`].
pub struct Worker {
    shared: Arc<Shared>,
    listener: Option<Listener>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("transport", &self.shared.transport)
            .field("worker", &self.shared.consumer.worker())
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl Worker {
    /// The worker's counters (shared: read them while it runs).
    pub fn metrics(&self) -> Arc<Metrics> {
        self.shared.metrics.clone()
    }

    /// The name recorded in `locked_by` of its claims.
    pub fn name(&self) -> &str {
        self.shared.consumer.worker()
    }

    /// Runs until `shutdown` resolves (a signal, a token the application cancels), then drains:
    /// stops claiming, hands back claimed-but-unstarted messages at once, lets running handlers
    /// finish until the drain timeout, cancels the rest (their attempt counts) and writes every
    /// outcome. Dropping this future instead stops the worker without draining: its leases
    /// expire and are rescued.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<DrainReport, MessengerError> {
        let shared = self.shared;
        let root = CancellationToken::new();
        // Dropping `run` cancels every task (no heartbeat keeps abandoned leases alive) and
        // every handler.
        // (Declared first, dropped last: the root token is cancelled first.)
        let _handlers_guard = CancelHandlers(shared.clone());
        let _guard = root.clone().drop_guard();
        let stop_fetching = root.child_token();
        let stop_background = root.child_token();
        let cancel_handlers = root.child_token();
        let tracker = TaskTracker::new();
        let (abandoned_in, abandoned_out) = mpsc::unbounded_channel();

        let mut background = vec![
            tokio::spawn(heartbeat::heartbeat_loop(
                shared.clone(),
                stop_background.clone(),
            )),
            tokio::spawn(rescue::rescue_loop(shared.clone(), stop_background.clone())),
            tokio::spawn(retention::purge_loop(
                shared.clone(),
                stop_background.clone(),
            )),
        ];
        if let Some(listener) = self.listener {
            background.push(tokio::spawn(wakeup::listen_loop(
                shared.clone(),
                listener,
                stop_background.clone(),
            )));
        }
        let finisher = tokio::spawn(finish::finish_loop(shared.clone(), abandoned_out));
        let starter = execute::Starter::new(
            &shared,
            abandoned_in,
            cancel_handlers.clone(),
            tracker.clone(),
        );
        let fetcher = tokio::spawn(fetch::fetch_loop(
            shared.clone(),
            starter,
            stop_fetching.clone(),
        ));
        tracing::info!(
            transport = %shared.transport,
            worker = %shared.consumer.worker(),
            queues = ?shared.config.queues,
            "worker started"
        );
        shutdown.await;
        tracing::info!(transport = %shared.transport, "draining");
        let report = drain::drain(
            shared.clone(),
            drain::Running {
                fetcher,
                stop_fetching,
                handlers: tracker,
                cancel_handlers,
                finisher,
                background,
                stop_background,
            },
        )
        .await;
        tracing::info!(transport = %shared.transport, report = ?report, "worker stopped");
        report
    }
}
