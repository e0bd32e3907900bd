//! What an application registers with a worker: handlers (typed by the generated payload
//! struct, or raw JSON), the [`Context`] each receives and the [`HandlerError`] it returns.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use serde_json::Value;
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

use crate::error::MessengerError;
use crate::message::Message;
use crate::statements::Executor;
use crate::worker::lease::{self, Lease};
use crate::worker::retention::Retention;

/// Why a handler did not handle its message. Any `std::error::Error` converts into it with `?`
/// (the error's type name becomes its class, its chain of causes its trace); it is retried with
/// back-off unless marked [`HandlerError::permanent`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerError {
    message: String,
    class: String,
    trace: Option<String>,
    permanent: bool,
    retry_after: Option<Duration>,
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for HandlerError {
    fn from(err: E) -> HandlerError {
        let mut causes = Vec::new();
        let mut source = err.source();
        while let Some(cause) = source {
            causes.push(format!("caused by: {cause}"));
            source = cause.source();
        }
        HandlerError {
            message: err.to_string(),
            class: std::any::type_name::<E>().to_owned(),
            trace: (!causes.is_empty()).then(|| causes.join("\n")),
            permanent: false,
            retry_after: None,
        }
    }
}

impl HandlerError {
    /// An error with a message (class `HandlerError`).
    pub fn msg(message: impl std::fmt::Display) -> HandlerError {
        HandlerError {
            message: message.to_string(),
            class: "HandlerError".to_owned(),
            trace: None,
            permanent: false,
            retry_after: None,
        }
    }

    /// Marks the error permanent: the message goes straight to the dead letters, without the
    /// attempts it has left.
    pub fn permanent(mut self) -> HandlerError {
        self.permanent = true;
        self
    }

    /// Asks for the next attempt after `delay` instead of the retry policy's back-off.
    pub fn retry_after(mut self, delay: Duration) -> HandlerError {
        self.retry_after = Some(delay);
        self
    }

    /// Sets the class recorded with a dead letter (default: the error's type name).
    pub fn with_class(mut self, class: impl Into<String>) -> HandlerError {
        self.class = class.into();
        self
    }

    /// Sets the trace recorded with a dead letter.
    pub fn with_trace(mut self, trace: impl Into<String>) -> HandlerError {
        self.trace = Some(trace.into());
        self
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The class.
    pub fn class(&self) -> &str {
        &self.class
    }

    /// The trace, if any.
    pub fn trace(&self) -> Option<&str> {
        self.trace.as_deref()
    }

    /// Whether it is permanent.
    pub fn is_permanent(&self) -> bool {
        self.permanent
    }

    /// The delay asked for, if any.
    pub fn requested_delay(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl std::fmt::Display for HandlerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.class)
    }
}

/// What a handler learns about the message it handles, and what it can do besides returning.
#[derive(Debug, Clone)]
pub struct Context {
    pub(crate) lease: Lease,
    pub(crate) attempt: u32,
    pub(crate) max_attempts: u32,
    pub(crate) transport: Arc<str>,
    pub(crate) queue: Arc<str>,
    pub(crate) message_type: String,
    pub(crate) headers: LazyJson,
    pub(crate) metadata: LazyJson,
    pub(crate) created_at: DateTime<FixedOffset>,
    pub(crate) cancel: CancellationToken,
    pub(crate) retention: Retention,
    pub(crate) acked: Arc<AtomicBool>,
}

impl Context {
    /// The message's id.
    pub fn message_id(&self) -> i64 {
        self.lease.message_id
    }

    /// The lease this attempt holds.
    pub fn lease(&self) -> Lease {
        self.lease
    }

    /// Which attempt this is (1 for the first).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// How many attempts the message gets in all.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The transport.
    pub fn transport(&self) -> &str {
        &self.transport
    }

    /// The queue.
    pub fn queue(&self) -> &str {
        &self.queue
    }

    /// The message type.
    pub fn message_type(&self) -> &str {
        &self.message_type
    }

    /// The envelope headers (`message_type` and the sender's extra headers).
    pub fn headers(&self) -> &Value {
        self.headers.get()
    }

    /// The metadata stored beside the message.
    pub fn metadata(&self) -> &Value {
        self.metadata.get()
    }

    /// When the message was dispatched.
    pub fn created_at(&self) -> DateTime<FixedOffset> {
        self.created_at
    }

    /// Resolves when the worker gives up on this attempt: its deadline passed, the lease was
    /// lost, or the worker's drain ran out of time. The handler's future is dropped at its next
    /// `.await` anyway; this lets it stop cleanly at a point of its choosing.
    pub fn cancelled(&self) -> WaitForCancellationFuture<'_> {
        self.cancel.cancelled()
    }

    /// Whether [`Context::cancelled`] has resolved.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Acks the message on the application's own client or transaction, so "do the work and
    /// ack" commits (or rolls back) as one: the worker then does not ack it itself. Fails with
    /// [`MessengerError::LeaseLost`] (and changes nothing) when the lease is no longer held —
    /// roll back then. If the transaction rolls back after this returned, the message stays
    /// claimed until its lease expires and is then delivered again.
    pub async fn ack_in<E: Executor + ?Sized>(&self, executor: &E) -> Result<(), MessengerError> {
        lease::ack_with(executor, self.retention, self.lease).await?;
        self.acked.store(true, Ordering::Release);
        Ok(())
    }
}

/// JSON text from PostgreSQL, parsed the first time it is read (most handlers never look at
/// their message's headers or metadata).
#[derive(Debug, Clone)]
pub(crate) struct LazyJson {
    text: String,
    value: OnceLock<Value>,
}

impl LazyJson {
    pub(crate) fn new(text: String) -> LazyJson {
        LazyJson {
            text,
            value: OnceLock::new(),
        }
    }

    fn get(&self) -> &Value {
        // PostgreSQL's json output is JSON; `null` stands in should serde_json ever disagree.
        self.value
            .get_or_init(|| serde_json::from_str(&self.text).unwrap_or(Value::Null))
    }
}

/// The future a handler returns, boxed.
pub(crate) type HandlerFuture = Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send>>;

/// A handler for one message type, type-erased: it takes the validated body's text.
pub(crate) trait Handler: Send + Sync {
    /// Starts handling `body`; fails when the body cannot become the handler's input.
    fn call(&self, body: &str, ctx: Context) -> Result<HandlerFuture, HandlerError>;
}

/// A handler of the generated payload struct `M`.
pub(crate) struct Typed<M, F> {
    handler: F,
    message: PhantomData<fn() -> M>,
}

impl<M, F> Typed<M, F> {
    pub(crate) fn new(handler: F) -> Typed<M, F> {
        Typed {
            handler,
            message: PhantomData,
        }
    }
}

impl<M, F, Fut> Handler for Typed<M, F>
where
    M: Message,
    F: Fn(M, Context) -> Fut + Send + Sync,
    Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
{
    fn call(&self, body: &str, ctx: Context) -> Result<HandlerFuture, HandlerError> {
        let message: M = serde_json::from_str(body).map_err(|e| {
            HandlerError::msg(format!(
                "the body matches the `{}` schema but does not deserialize into {}: {e}",
                M::MESSAGE_TYPE,
                std::any::type_name::<M>()
            ))
            .with_class("InvalidPayload")
            .permanent()
        })?;
        Ok(Box::pin((self.handler)(message, ctx)))
    }
}

/// A handler of the raw JSON body.
pub(crate) struct Raw<F>(pub(crate) F);

impl<F, Fut> Handler for Raw<F>
where
    F: Fn(Value, Context) -> Fut + Send + Sync,
    Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
{
    fn call(&self, body: &str, ctx: Context) -> Result<HandlerFuture, HandlerError> {
        let body: Value = serde_json::from_str(body).map_err(|e| {
            HandlerError::msg(format!("the body is not JSON serde_json can read: {e}"))
                .with_class("InvalidPayload")
                .permanent()
        })?;
        Ok(Box::pin((self.0)(body, ctx)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("smtp refused")]
    struct Refused(#[source] std::io::Error);

    #[test]
    fn errors_keep_their_type_name_and_causes() {
        let err: HandlerError = Refused(std::io::Error::other("connection reset")).into();
        assert_eq!(err.message(), "smtp refused");
        assert!(err.class().ends_with("Refused"), "{}", err.class());
        assert_eq!(err.trace(), Some("caused by: connection reset"));
        assert!(!err.is_permanent());
        let permanent = err.permanent().retry_after(Duration::from_secs(3));
        assert!(permanent.is_permanent());
        assert_eq!(permanent.requested_delay(), Some(Duration::from_secs(3)));
        assert_eq!(HandlerError::msg("x").class(), "HandlerError");
    }
}
