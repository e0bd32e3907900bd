//! The traits that tie generated payload types to their message type and transports.
//!
//! `generated/rust/payloads.rs` implements them for every message type and transport declared
//! in SQL, so a message can only be dispatched to a transport that accepts it: the compiler
//! checks `T: Accepts<M>`.

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A message type: a payload struct generated from a table of `messenger_payloads`.
pub trait Message: Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static {
    /// The message type's name (the table name), carried as `headers.message_type`.
    const MESSAGE_TYPE: &'static str;
    /// The transports that accept this message type, sorted.
    const TRANSPORTS: &'static [&'static str];
}

/// A transport declared in `messenger_transports` (a generated marker type).
pub trait Transport: Send + Sync + 'static {
    /// The transport's name.
    const NAME: &'static str;
    /// The message types it accepts, sorted.
    const MESSAGE_TYPES: &'static [&'static str];
}

/// Implemented for a transport `T` and every message type `M` it accepts.
pub trait Accepts<M: Message>: Transport {}
