//! Building a [`Worker`]: its handlers, queues, sizes, durations and policies, checked against
//! the application's registry.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;
use serde_json::Value;
use tokio::sync::Notify;

use crate::error::MessengerError;
use crate::message::Message;
use crate::registry::Registry;
use crate::statements::StatementMode;
use crate::worker::handler::{Handler, Raw, Typed};
use crate::worker::heartbeat::Leases;
use crate::worker::{
    Config, Consumer, Context, HandlerError, Listener, Metrics, Retention, RetryPolicy, Shared,
    Worker,
};

/// Builds a [`Worker`]: handlers, queues, sizes, durations, policies.
pub struct WorkerBuilder {
    pool: Pool,
    registry: &'static Registry,
    transport: String,
    name: Option<String>,
    handlers: HashMap<String, Arc<dyn Handler>>,
    duplicate_handlers: Vec<String>,
    default_policy: RetryPolicy,
    policies: HashMap<String, RetryPolicy>,
    config: Config,
    prefetch_set: bool,
    heartbeat_set: bool,
    retention: Retention,
    mode: StatementMode,
    listener: Option<Listener>,
}

impl Worker {
    /// A worker of `transport` of the application whose `registry` (usually `registry()` of the
    /// module `messenger-gen` generates) declares its message types; its statements go through
    /// `pool`, which should have room for the worker's own few connections (claim, ack,
    /// heartbeat, rescue) besides what the handlers take.
    pub fn builder(pool: Pool, registry: &'static Registry, transport: &str) -> WorkerBuilder {
        WorkerBuilder {
            pool,
            registry,
            transport: transport.to_owned(),
            name: None,
            handlers: HashMap::new(),
            duplicate_handlers: Vec::new(),
            default_policy: RetryPolicy::default(),
            policies: HashMap::new(),
            config: Config {
                queues: vec!["default".to_owned()],
                concurrency: 10,
                batch_size: 10,
                prefetch: 10,
                lease: Duration::from_secs(30),
                heartbeat: Duration::from_secs(10),
                handler_timeout: Some(Duration::from_secs(300)),
                rescue_interval: Duration::from_secs(5),
                rescue_batch: 1000,
                poll_interval: Duration::from_secs(1),
                hot_poll: Duration::from_millis(25),
                hot_period: Duration::from_secs(1),
                drain_timeout: Duration::from_secs(30),
                purge_interval: Duration::from_secs(60),
                purge_batch: 1000,
                ack_batch: 1000,
            },
            prefetch_set: false,
            heartbeat_set: false,
            retention: Retention::default(),
            mode: StatementMode::Prepared,
            listener: None,
        }
    }
}

/// A worker name unique enough for people reading `locked_by`: host, process, random suffix.
/// (Fencing does not rely on it: see [`Consumer`].)
fn default_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".to_owned());
    format!(
        "{host}:{}:{:06x}",
        std::process::id(),
        rand::random::<u32>() & 0xff_ffff
    )
}

impl WorkerBuilder {
    /// Handles message type `M` (a generated payload struct) with `handler`, which receives the
    /// body deserialised into `M` after it was validated against `M`'s schema.
    ///
    /// For example `.handle::<SendEmail, _>(|email, ctx| async move { send(email).await?; Ok(()) })`
    /// (README's "Consuming messages" has a whole worker; `tests/worker.rs` runs them).
    pub fn handle<M, Fut>(
        mut self,
        handler: impl Fn(M, Context) -> Fut + Send + Sync + 'static,
    ) -> WorkerBuilder
    where
        M: Message,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        self.add(M::MESSAGE_TYPE, Arc::new(Typed::new(handler)));
        self
    }

    /// Handles `message_type` with `handler`, which receives the validated body as JSON.
    pub fn handle_json<Fut>(
        mut self,
        message_type: &str,
        handler: impl Fn(Value, Context) -> Fut + Send + Sync + 'static,
    ) -> WorkerBuilder
    where
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        self.add(message_type, Arc::new(Raw(handler)));
        self
    }

    fn add(&mut self, message_type: &str, handler: Arc<dyn Handler>) {
        if self
            .handlers
            .insert(message_type.to_owned(), handler)
            .is_some()
        {
            self.duplicate_handlers.push(message_type.to_owned());
        }
    }

    /// The queues of the transport to consume, in priority order: a queue listed later is
    /// claimed from only when the ones before it have nothing consumable (default `default`).
    pub fn queues<S: Into<String>>(mut self, queues: impl IntoIterator<Item = S>) -> WorkerBuilder {
        self.config.queues = queues.into_iter().map(Into::into).collect();
        self
    }

    /// The name recorded in `locked_by` (default `host:pid:random`). Fencing does not depend
    /// on it; two workers may share a name.
    pub fn name(mut self, name: impl Into<String>) -> WorkerBuilder {
        self.name = Some(name.into());
        self
    }

    /// How many handlers run at once (default 10).
    pub fn concurrency(mut self, concurrency: usize) -> WorkerBuilder {
        self.config.concurrency = concurrency;
        self
    }

    /// The most messages one claim takes (default 10).
    pub fn batch_size(mut self, batch_size: usize) -> WorkerBuilder {
        self.config.batch_size = batch_size;
        self
    }

    /// How many claimed messages may wait for a free handler (default: the batch size). They
    /// are leased (and renewed) while they wait, and handed back at once on drain.
    pub fn prefetch(mut self, prefetch: usize) -> WorkerBuilder {
        self.config.prefetch = prefetch;
        self.prefetch_set = true;
        self
    }

    /// How long a claim lasts without renewal (default 30 s). Short leases bring a dead
    /// worker's messages back sooner; the heartbeat keeps a live worker's leases.
    pub fn lease(mut self, lease: Duration) -> WorkerBuilder {
        self.config.lease = lease;
        self
    }

    /// How often the worker renews its leases (default: a third of the lease).
    pub fn heartbeat(mut self, interval: Duration) -> WorkerBuilder {
        self.config.heartbeat = interval;
        self.heartbeat_set = true;
        self
    }

    /// The hard deadline of one attempt (default 5 min; `None`: none): a handler still running
    /// then is cancelled and the attempt fails (retried with back-off).
    pub fn handler_timeout(mut self, timeout: Option<Duration>) -> WorkerBuilder {
        self.config.handler_timeout = timeout;
        self
    }

    /// How often this process rescues expired leases (default 5 s).
    pub fn rescue_interval(mut self, interval: Duration) -> WorkerBuilder {
        self.config.rescue_interval = interval;
        self
    }

    /// The most expired leases one rescue statement finishes (default 1,000).
    pub fn rescue_batch(mut self, rows: usize) -> WorkerBuilder {
        self.config.rescue_batch = rows;
        self
    }

    /// How long an idle worker waits before looking for messages again when no notification
    /// wakes it (default 1 s). Delayed and retried messages are found this way.
    pub fn poll_interval(mut self, interval: Duration) -> WorkerBuilder {
        self.config.poll_interval = interval;
        self
    }

    /// After it claimed something or was notified, the worker looks again every `interval`
    /// (default 25 ms) for `period` (default 1 s) when its queues run dry, instead of waiting
    /// for the poll interval. Notifications are debounced across concurrent transactions (only
    /// one of the transactions inserting into a queue at the same moment notifies), so a message
    /// may commit just after the notification that woke the worker; this finds it. A zero
    /// `period` turns it off.
    pub fn hot_polling(mut self, interval: Duration, period: Duration) -> WorkerBuilder {
        self.config.hot_poll = interval;
        self.config.hot_period = period;
        self
    }

    /// How long a drain lets running handlers finish before cancelling them (default 30 s).
    pub fn drain_timeout(mut self, timeout: Duration) -> WorkerBuilder {
        self.config.drain_timeout = timeout;
        self
    }

    /// The retry policy of every message type without its own (default
    /// [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> WorkerBuilder {
        self.default_policy = policy;
        self
    }

    /// The retry policy of message type `M`.
    pub fn retry_policy_for<M: Message>(self, policy: RetryPolicy) -> WorkerBuilder {
        self.retry_policy_for_type(M::MESSAGE_TYPE, policy)
    }

    /// The retry policy of the message type named `message_type`.
    pub fn retry_policy_for_type(
        mut self,
        message_type: &str,
        policy: RetryPolicy,
    ) -> WorkerBuilder {
        self.policies.insert(message_type.to_owned(), policy);
        self
    }

    /// What an ack does with the message (default: keep it a day, then purge).
    pub fn retention(mut self, retention: Retention) -> WorkerBuilder {
        self.retention = retention;
        self
    }

    /// How often this process purges finished messages past their retention (default 60 s),
    /// and how many rows per statement (default 1,000).
    pub fn purge(mut self, interval: Duration, rows: usize) -> WorkerBuilder {
        self.config.purge_interval = interval;
        self.config.purge_batch = rows;
        self
    }

    /// How statements are sent (default prepared); [`StatementMode::Unnamed`] when `pool`
    /// connects through a transaction-mode pooler.
    pub fn statement_mode(mut self, mode: StatementMode) -> WorkerBuilder {
        self.mode = mode;
        self
    }

    /// LISTENs for notifications on a dedicated connection (a direct one, not through a
    /// transaction-mode pooler), so an idle worker starts on a new message at once instead of
    /// at its next poll. Without it, or when LISTEN turns out unavailable, the worker polls.
    pub fn listen(mut self, listener: Listener) -> WorkerBuilder {
        self.listener = Some(listener);
        self
    }

    /// Checks the settings and the handlers against the registry.
    pub fn build(self) -> Result<Worker, MessengerError> {
        let mut config = self.config;
        if !self.prefetch_set {
            config.prefetch = config.batch_size;
        }
        if !self.heartbeat_set {
            config.heartbeat = config.lease / 3;
        }
        let invalid = |reason: String| Err(MessengerError::InvalidOption(reason));
        if config.concurrency == 0 || config.batch_size == 0 {
            return invalid("concurrency and batch size must be at least 1".to_owned());
        }
        if config.queues.is_empty() {
            return invalid("a worker needs at least one queue".to_owned());
        }
        if config.lease < Duration::from_millis(100) {
            return invalid(format!(
                "the lease {:?} is shorter than 100 ms",
                config.lease
            ));
        }
        if config.heartbeat.is_zero() || config.heartbeat >= config.lease {
            return invalid(format!(
                "the heartbeat interval {:?} must be positive and shorter than the lease {:?}",
                config.heartbeat, config.lease
            ));
        }
        if config.rescue_interval.is_zero()
            || config.poll_interval.is_zero()
            || (config.hot_poll.is_zero() && !config.hot_period.is_zero())
            || config.purge_interval.is_zero()
            || config.rescue_batch == 0
            || config.purge_batch == 0
        {
            return invalid(
                "the rescue, poll, hot poll and purge intervals and batches must be positive"
                    .to_owned(),
            );
        }
        if let Some(duplicate) = self.duplicate_handlers.first() {
            return invalid(format!("two handlers for `{duplicate}`"));
        }
        for (name, policy) in std::iter::once(("", &self.default_policy))
            .chain(self.policies.iter().map(|(n, p)| (n.as_str(), p)))
        {
            if let Some(problem) = policy.problem() {
                return invalid(if name.is_empty() {
                    problem
                } else {
                    format!("{problem} (policy of `{name}`)")
                });
            }
        }
        let Some(accepted) = self
            .registry
            .message_types(&self.transport)
            .map(|types| types.map(str::to_owned).collect::<Vec<String>>())
        else {
            return Err(MessengerError::UnknownTransport {
                transport: self.transport,
                known: self.registry.transports().map(str::to_owned).collect(),
            });
        };
        for message_type in self.handlers.keys().chain(self.policies.keys()) {
            if !accepted.contains(message_type) {
                let known_elsewhere = self
                    .registry
                    .transports()
                    .filter_map(|t| self.registry.message_types(t))
                    .flatten()
                    .any(|t| t == message_type);
                return Err(if known_elsewhere {
                    MessengerError::NotAccepted {
                        transport: self.transport,
                        message_type: message_type.clone(),
                        accepted,
                    }
                } else {
                    MessengerError::UnknownMessageType {
                        message_type: message_type.clone(),
                    }
                });
            }
        }
        let name = self.name.unwrap_or_else(default_name);
        let hot = super::hot::Hot::new(self.pool.clone());
        let consumer = Consumer::new(self.pool, &self.transport, &name)
            .with_statement_mode(self.mode)
            .with_retention(self.retention);
        Ok(Worker {
            shared: Arc::new(Shared {
                transport: Arc::from(self.transport.as_str()),
                consumer,
                registry: self.registry,
                handlers: self.handlers,
                default_policy: self.default_policy,
                policies: self.policies,
                config,
                metrics: Arc::new(Metrics::default()),
                leases: Leases::default(),
                hot,
                wake: Notify::new(),
                capacity: Notify::new(),
            }),
            listener: self.listener,
        })
    }
}
