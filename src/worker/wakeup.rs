//! Wake-up: LISTEN on a dedicated connection for the notifications the queue sends when
//! messages become consumable (`trg_messenger_messages_notify`, one per statement, transport and
//! queue; release and rescue send them too), with polling as the fallback — always on, and the
//! only source when LISTEN is unavailable: no listener configured, the connection fails, or
//! notifications do not arrive (LISTEN through a transaction-mode pooler "succeeds" but delivers
//! nothing, which the listener detects with a probe notification to itself).
//!
//! Notifications are debounced: they only store a wake-up permit (`tokio::sync::Notify`), so a
//! burst of them costs the worker one claim.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{AsyncMessage, Client, Notification, Socket};
use tokio_util::sync::CancellationToken;

use crate::worker::Shared;

/// The channel the queue notifies.
pub const CHANNEL: &str = "symphony_messenger";

/// A connection and the notifications it receives (its I/O driven by a task of its own).
type Connected = (Client, mpsc::UnboundedReceiver<Notification>);

type Connect = dyn Fn() -> Pin<Box<dyn Future<Output = Result<Connected, tokio_postgres::Error>> + Send>>
    + Send
    + Sync;

/// How a worker opens its dedicated LISTEN connection: a direct connection (a session of its
/// own), not one through a transaction-mode pooler.
#[derive(Clone)]
pub struct Listener {
    connect: Arc<Connect>,
    probe_timeout: Duration,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener").finish_non_exhaustive()
    }
}

impl Listener {
    /// A listener connecting with `config` and `tls` (the same as the pool's, e.g.
    /// `"postgres://…".parse()?` and `NoTls`, or your TLS connector).
    pub fn new<T>(config: tokio_postgres::Config, tls: T) -> Listener
    where
        T: MakeTlsConnect<Socket> + Clone + Send + Sync + 'static,
        T::Stream: Send + 'static,
        T::TlsConnect: Send,
        <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
    {
        let connect = move || -> Pin<Box<dyn Future<Output = Result<Connected, tokio_postgres::Error>> + Send>> {
            let config = config.clone();
            let tls = tls.clone();
            Box::pin(async move {
                let (client, mut connection) = config.connect(tls).await?;
                let (sender, receiver) = mpsc::unbounded_channel();
                tokio::spawn(async move {
                    // Drives the connection; ends when the client is dropped or it fails.
                    while let Some(message) =
                        std::future::poll_fn(|cx| connection.poll_message(cx)).await
                    {
                        match message {
                            Ok(AsyncMessage::Notification(n)) => {
                                if sender.send(n).is_err() {
                                    return;
                                }
                            }
                            Ok(_) => {}
                            Err(err) => {
                                tracing::warn!(error = %err, "the LISTEN connection failed");
                                return;
                            }
                        }
                    }
                });
                Ok((client, receiver))
            })
        };
        Listener {
            connect: Arc::new(connect),
            probe_timeout: Duration::from_secs(2),
        }
    }

    /// How long the listener waits for its probe notification before concluding that
    /// notifications do not arrive (default 2 s).
    pub fn with_probe_timeout(mut self, timeout: Duration) -> Listener {
        self.probe_timeout = timeout;
        self
    }
}

/// Whether a notification payload (`<transport>:<queue>`) concerns this worker.
fn concerns(shared: &Shared, payload: &str) -> bool {
    payload.split_once(':').is_some_and(|(transport, queue)| {
        transport == &*shared.transport && shared.config.queues.iter().any(|q| q == queue)
    })
}

/// LISTENs (reconnecting with back-off) and turns matching notifications into wake-ups, until
/// `stop`. While it is not listening the worker polls.
pub(crate) async fn listen_loop(shared: Arc<Shared>, listener: Listener, stop: CancellationToken) {
    let mut pause = Duration::from_secs(1);
    loop {
        let outcome = tokio::select! {
            () = stop.cancelled() => return,
            outcome = listen(&shared, &listener, &stop) => outcome,
        };
        match outcome {
            Ok(()) if stop.is_cancelled() => return,
            Ok(()) => {
                tracing::warn!(transport = %shared.transport, "the LISTEN connection closed; polling until it is back");
                pause = Duration::from_secs(1);
            }
            Err(Unavailable::NotDelivered(reason)) => {
                tracing::warn!(transport = %shared.transport, %reason, "LISTEN is unavailable; polling");
                // Not delivering is a property of the setup (a pooler): check again rarely.
                pause = Duration::from_secs(300);
            }
            Err(Unavailable::Failed(reason)) => {
                tracing::warn!(transport = %shared.transport, %reason, "LISTEN is unavailable; polling");
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(pause) => {}
        }
        pause = (pause * 2).min(Duration::from_secs(300));
    }
}

/// Why a LISTEN session ended early.
enum Unavailable {
    /// The probe did not come back: this connection does not deliver notifications (a
    /// transaction-mode pooler), which trying again soon will not change.
    NotDelivered(String),
    /// Connecting, LISTEN or NOTIFY failed, or the connection closed: worth trying again soon.
    Failed(String),
}

/// One LISTEN session: connect, LISTEN, prove delivery with a probe, then forward until the
/// connection ends (`Ok`) or something fails (`Err` with the reason).
async fn listen(
    shared: &Shared,
    listener: &Listener,
    stop: &CancellationToken,
) -> Result<(), Unavailable> {
    let (client, mut notifications) = (listener.connect)().await.map_err(|e| {
        Unavailable::Failed(format!(
            "cannot connect: {}",
            crate::error::db_error_text(&e)
        ))
    })?;
    client
        .batch_execute(&format!("LISTEN {CHANNEL}"))
        .await
        .map_err(|e| {
            Unavailable::Failed(format!(
                "LISTEN failed: {}",
                crate::error::db_error_text(&e)
            ))
        })?;
    // Payloads of real notifications start with a transport name (a lowercase letter), so no
    // worker takes the probe for work.
    let probe = format!("?probe {}", rand::random::<u64>());
    client
        .batch_execute(&format!("NOTIFY {CHANNEL}, '{probe}'"))
        .await
        .map_err(|e| {
            Unavailable::Failed(format!(
                "NOTIFY failed: {}",
                crate::error::db_error_text(&e)
            ))
        })?;
    let deadline = tokio::time::sleep(listener.probe_timeout);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            () = &mut deadline => {
                return Err(Unavailable::NotDelivered(format!(
                    "the probe notification did not arrive within {:?}: notifications are not \
                     delivered on this connection (a transaction-mode pooler?)",
                    listener.probe_timeout
                )));
            }
            received = notifications.recv() => match received {
                Some(n) if n.payload() == probe => break,
                Some(n) => {
                    if concerns(shared, n.payload()) {
                        shared.wake.notify_one();
                    }
                }
                None => {
                    return Err(Unavailable::Failed(
                        "the connection closed during the probe".to_owned(),
                    ));
                }
            },
        }
    }
    tracing::debug!(transport = %shared.transport, "listening for notifications");
    // Messages may have arrived while nobody listened.
    shared.wake.notify_one();
    loop {
        tokio::select! {
            () = stop.cancelled() => return Ok(()),
            received = notifications.recv() => match received {
                Some(n) => {
                    if concerns(shared, n.payload()) {
                        shared.wake.notify_one();
                    }
                }
                None => return Ok(()),
            },
        }
    }
}
