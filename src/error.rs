//! The runtime's one error type.

/// One reason a payload is invalid.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PayloadError {
    /// JSON pointer into the payload (`""` for the payload itself, `/to_address`, `/cc/2`).
    pub pointer: String,
    /// The JSON Schema keyword that failed (`required`, `maxLength`, `pattern`, ...).
    pub keyword: String,
    /// A human sentence.
    pub message: String,
}

impl std::fmt::Display for PayloadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "at {at}: {} ({})", self.message, self.keyword)
    }
}

/// Everything that can go wrong when dispatching or consuming messages.
#[derive(Debug, thiserror::Error)]
pub enum MessengerError {
    /// The payload does not match its message type's schema; nothing was inserted.
    #[error(
        "invalid `{message_type}` payload for transport `{transport}`{}: {}",
        index.map(|i| format!(" (batch item {i})")).unwrap_or_default(),
        errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    Validation {
        /// The transport.
        transport: String,
        /// The message type.
        message_type: String,
        /// The index of the offending item in a batch.
        index: Option<usize>,
        /// Every error found.
        errors: Vec<PayloadError>,
    },
    /// No transport of this name is declared in `messenger_transports`.
    #[error("unknown transport `{transport}`; known transports: {}", known.join(", "))]
    UnknownTransport {
        /// The name asked for.
        transport: String,
        /// The transports that exist.
        known: Vec<String>,
    },
    /// No message type of this name is declared in `messenger_payloads`.
    #[error("unknown message type `{message_type}`")]
    UnknownMessageType {
        /// The name asked for.
        message_type: String,
    },
    /// The message type exists but this transport does not accept it.
    #[error(
        "transport `{transport}` does not accept `{message_type}`; it accepts: {}",
        accepted.join(", ")
    )]
    NotAccepted {
        /// The transport.
        transport: String,
        /// The message type.
        message_type: String,
        /// What the transport accepts.
        accepted: Vec<String>,
    },
    /// The payload is larger than the configured limit; it was not parsed.
    #[error("payload of {size} bytes exceeds the limit of {limit} bytes")]
    PayloadTooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The payload is not JSON (or not UTF-8, or nested too deeply).
    #[error("payload is not valid JSON: {reason}")]
    InvalidJson {
        /// What is wrong.
        reason: String,
    },
    /// A dispatch or worker option is out of range (priority outside 1–10, negative
    /// max_retries, a zero concurrency, ...).
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// The worker no longer holds the lease it presented: the lease expired and the message was
    /// rescued (and maybe claimed again, by anyone), or it was finished already. Nothing was
    /// changed; the message is (or will be) delivered again.
    #[error(
        "lost the lease on message {message_id} (lease token {lease_token}); nothing was changed"
    )]
    LeaseLost {
        /// The message.
        message_id: i64,
        /// The lease token that is no longer valid.
        lease_token: i64,
    },
    /// A bug of the runtime (a statement and the code reading it disagree), reported instead of
    /// a panic.
    #[error("internal error: {0}")]
    Internal(String),
    /// A batch item with an index, wrapping what went wrong with it.
    #[error("batch item {index}: {source}")]
    BatchItem {
        /// The item's index.
        index: usize,
        /// What is wrong with it.
        source: Box<MessengerError>,
    },
    /// PostgreSQL refused or failed the statement; nothing of it was inserted.
    #[error("database error: {}", db_error_text(.0))]
    Database(#[from] tokio_postgres::Error),
    /// No connection could be taken from the pool.
    #[error("connection pool error: {0}")]
    Pool(String),
}

/// The most useful text of a PostgreSQL client error: the server's message (with its detail)
/// when the server answered, else the error and its whole chain of causes (`error connecting
/// to server: Connection refused (os error 111)`), which tokio-postgres' `Display` leaves out.
pub fn db_error_text(err: &tokio_postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        return match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_owned(),
        };
    }
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
